"""Text classification on 20 Newsgroups (course Task 2): a bidirectional GRU vs DistilBERT, same WordPiece tokens.

Nothing here imports torch or transformers at package import: the app imports the labels at build time.
"""

from __future__ import annotations

# scikit-learn's `fetch_20newsgroups(...).target_names`: the label index order of every 20 Newsgroups checkpoint.
NEWSGROUPS: tuple[str, ...] = (
    "alt.atheism",
    "comp.graphics",
    "comp.os.ms-windows.misc",
    "comp.sys.ibm.pc.hardware",
    "comp.sys.mac.hardware",
    "comp.windows.x",
    "misc.forsale",
    "rec.autos",
    "rec.motorcycles",
    "rec.sport.baseball",
    "rec.sport.hockey",
    "sci.crypt",
    "sci.electronics",
    "sci.med",
    "sci.space",
    "soc.religion.christian",
    "talk.politics.guns",
    "talk.politics.mideast",
    "talk.politics.misc",
    "talk.religion.misc",
)
DATASET_NAME = "20 Newsgroups"
