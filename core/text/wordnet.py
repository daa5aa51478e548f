"""WordNet 3.0 noun definitions labelled by lexicographer file: an offline English topic-classification set.

Every noun synset in WordNet's `data.noun` carries the number of the lexicographer file its lexicographers filed it
under (noun.animal, noun.food, noun.artifact, ...: 26 files) and a gloss: a definition, often followed by quoted
example sentences. The text of an example here is the definition alone, examples removed: the examples are usage
sentences that often contain the headword itself, most synsets have none, and what the tab asks a model is "what
kind of thing does this definition describe". The classes are the 20 largest noun files (770 to 11,587 synsets
each, 80,175 synsets in all), the same number of classes as 20 Newsgroups; the six left out are small
(noun.Tops 51, noun.motive 42, noun.shape 341, noun.feeling 428, noun.relation 437, noun.phenomenon 641: 1,940 in
all, 2.4 %) and too few to learn or test a class on.

The split is by synset, seeded: synsets whose definitions are word-for-word identical (1,011 synsets share 380 texts)
go to the same split, so no test text was seen in training. Debian's `wordnet-base` package installs the files in
/usr/share/wordnet (Princeton's WordNet 3.0 licence: use, copy, modify and distribute, with its notice).
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from core.text import WORDNET_CLASSES
from core.text.data import DataUnavailable, TextSplits

DEBIAN_PACKAGE = "wordnet-base"
DEFAULT_DIR = Path("/usr/share/wordnet")
DATA_FILE = "data.noun"
# WordNet's lexnames file, noun part: lexicographer file number -> name.
NOUN_LEXNAMES: dict[int, str] = {
    3: "noun.Tops",
    4: "noun.act",
    5: "noun.animal",
    6: "noun.artifact",
    7: "noun.attribute",
    8: "noun.body",
    9: "noun.cognition",
    10: "noun.communication",
    11: "noun.event",
    12: "noun.feeling",
    13: "noun.food",
    14: "noun.group",
    15: "noun.location",
    16: "noun.motive",
    17: "noun.object",
    18: "noun.person",
    19: "noun.phenomenon",
    20: "noun.plant",
    21: "noun.possession",
    22: "noun.process",
    23: "noun.quantity",
    24: "noun.relation",
    25: "noun.shape",
    26: "noun.state",
    27: "noun.substance",
    28: "noun.time",
}
_EXAMPLES = re.compile(r';\s*"')


@dataclass(frozen=True)
class Synset:
    offset: int  # byte offset in data.noun: WordNet's synset id
    lexname: str
    words: tuple[str, ...]
    definition: str  # the gloss without its example sentences
    gloss: str  # the whole gloss, examples included


def find_data(data_dir: str | Path | None = None) -> Path:
    """The data.noun file in `data_dir` (default /usr/share/wordnet). Raises DataUnavailable naming the package."""
    folder = Path(data_dir) if data_dir else DEFAULT_DIR
    path = folder / DATA_FILE if folder.is_dir() or not folder.suffix else folder
    if not path.is_file():
        raise DataUnavailable(
            f"WordNet 3.0 noun data not found ({path}). Install Debian's {DEBIAN_PACKAGE} package "
            f"(apt-get install {DEBIAN_PACKAGE}), or pass --data-dir to a WordNet dict folder holding {DATA_FILE}."
        )
    return path


def read_synsets(data_dir: str | Path | None = None) -> list[Synset]:
    """Every noun synset of data.noun, in file order (the licence header's indented lines skipped)."""
    path = find_data(data_dir)
    synsets = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith(" "):
            continue
        head, sep, gloss = line.partition(" | ")
        fields = head.split()
        try:
            offset, lexfile, word_count = int(fields[0]), int(fields[1]), int(fields[3], 16)
            words = tuple(fields[4 : 4 + 2 * word_count : 2])
            lexname = NOUN_LEXNAMES[lexfile]
        except (IndexError, ValueError, KeyError) as exc:
            raise DataUnavailable(f"{path}:{number}: not a WordNet data.noun line ({exc})") from None
        gloss = gloss.strip() if sep else ""
        synsets.append(Synset(offset, lexname, words, definition(gloss), gloss))
    if not synsets:
        raise DataUnavailable(f"{path} holds no synsets")
    return synsets


def definition(gloss: str) -> str:
    """The gloss up to its first quoted example sentence ('a dog; "the dog barked"' -> 'a dog')."""
    text = _EXAMPLES.split(gloss, maxsplit=1)[0].strip()
    return "" if text.startswith('"') else text.rstrip(";").strip()


def load_splits(
    data_dir: str | Path | None = None,
    *,
    classes: tuple[str, ...] = WORDNET_CLASSES,
    val_fraction: float = 0.02,
    test_fraction: float = 0.05,
    seed: int = 0,
    max_train: int | None = None,
) -> TextSplits:
    """Train/validation/test (definition, class index) lists over `classes`, split by synset with `seed`.

    Identical definitions are kept in one split. `max_train` keeps the first `max_train` training rows of the seeded
    order (validation and test are never capped, so capped and full runs are scored on the same test set).
    """
    index = {name: i for i, name in enumerate(classes)}
    groups: dict[str, list[int]] = defaultdict(list)
    for synset in read_synsets(data_dir):
        if synset.lexname in index and synset.definition:
            groups[synset.definition].append(index[synset.lexname])
    if not groups:
        raise DataUnavailable(f"no synset of {find_data(data_dir)} is in the classes {', '.join(classes)}")
    texts = sorted(groups)
    random.Random(seed).shuffle(texts)
    total = sum(len(v) for v in groups.values())
    n_test, n_val = round(total * test_fraction), round(total * val_fraction)
    test: list[tuple[str, int]] = []
    val: list[tuple[str, int]] = []
    train: list[tuple[str, int]] = []
    for text in texts:
        rows = [(text, label) for label in groups[text]]
        if len(test) < n_test:
            test += rows
        elif len(val) < n_val:
            val += rows
        else:
            train += rows
    if max_train:
        train = train[:max_train]
    return TextSplits(train, val, test, list(classes), f"WordNet 3.0 {find_data(data_dir)}")
