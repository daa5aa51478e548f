"""Text classification (course Task 2): a bidirectional GRU vs a pre-trained Transformer, same WordPiece tokens.

Two data sets: 20 Newsgroups (the course's; a download) and WordNet 3.0 noun definitions by lexicographer file
(offline, Debian's wordnet-base; see core/text/wordnet.py).

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

# The 20 largest of WordNet 3.0's 26 noun lexicographer files, in file-number order: the label index order of every
# WordNet checkpoint (core/text/wordnet.py says why these).
WORDNET_CLASSES: tuple[str, ...] = (
    "noun.act",
    "noun.animal",
    "noun.artifact",
    "noun.attribute",
    "noun.body",
    "noun.cognition",
    "noun.communication",
    "noun.event",
    "noun.food",
    "noun.group",
    "noun.location",
    "noun.object",
    "noun.person",
    "noun.plant",
    "noun.possession",
    "noun.process",
    "noun.quantity",
    "noun.state",
    "noun.substance",
    "noun.time",
)
WORDNET_NAME = "WordNet 3.0 nouns"
