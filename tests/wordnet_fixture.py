"""A small WordNet-format data.noun on disk: the licence header, real line syntax, three lexicographer files.

Each line is `offset lex_filenum n word_count(hex) word lex_id ... pointer_count pointers | gloss`, as in WordNet
3.0's data.noun (the offsets here are line numbers, not byte offsets: nothing reads them as positions). The glosses
mix a class's own words with common ones, some carry quoted examples, a few definitions are repeated word for word
in two synsets (they must land in one split), and one synset is in noun.Tops, which is not one of the classes.
"""

from __future__ import annotations

import random
from pathlib import Path

HEADER = (
    "  1 This software and database is being provided to you, the LICENSEE, by  \n"
    "  2 Princeton University under the following license.  By obtaining, using  \n"
    "  3 and/or copying this software and database, you agree that you have  \n"
)
COMMON = "a an the of with for that is used or and by in its".split()
WORDS = {  # lexicographer file number -> words of its definitions
    5: "animal mammal bird fish feathers fur tail wings hunts prey nests burrows eggs herd".split(),  # noun.animal
    13: "food dish soup bread sauce cooked baked eaten sweet meal flavoured served spices".split(),  # noun.food
    20: "plant shrub tree flowers leaves roots grows stems seeds herb fern vine petals".split(),  # noun.plant
}
REPEATED = "a common thing of the kind that is found in many places"


def definition(rng: random.Random, lexfile: int) -> str:
    return " ".join(rng.choice(WORDS[lexfile]) if rng.random() < 0.6 else rng.choice(COMMON) for _ in range(9))


def write_wordnet(root: Path, per_class: int = 40, seed: int = 0) -> Path:
    """root/data.noun with `per_class` synsets per class (+ 2 repeated definitions, + 1 noun.Tops); returns root."""
    rng = random.Random(seed)
    lines = []

    def add(lexfile: int, words: list[str], gloss: str) -> None:
        offset = f"{len(lines) + 1:08d}"
        pairs = " ".join(f"{w} 0" for w in words)
        lines.append(f"{offset} {lexfile:02d} n {len(words):02x} {pairs} 001 @ 00001740 n 0000 | {gloss}  ")

    for i in range(per_class):
        for lexfile in WORDS:
            gloss = definition(rng, lexfile)
            if i % 5 == 0:
                gloss += f'; "the {rng.choice(WORDS[lexfile])} was there"; "another example"'
            add(lexfile, [f"word{lexfile}_{i}"], gloss)
    # 16 words: the count is hexadecimal ("10"), as in WordNet.
    add(5, [f"synonym_{k}" for k in range(16)], definition(rng, 5))
    add(13, ["thing_a"], REPEATED)
    add(20, ["thing_b"], REPEATED + '; "an example"')
    add(3, ["entity"], "that which is perceived or known or inferred to have its own distinct existence")
    root.mkdir(parents=True, exist_ok=True)
    (root / "data.noun").write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    return root
