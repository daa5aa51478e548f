"""A small synthetic newsgroup corpus on disk (train/ and test/ folders of one folder per group).

Four groups whose posts mix the group's own words with common ones: different enough that a tiny model trained
for a few seconds must separate them, which is what the round-trip test asserts.
"""

from __future__ import annotations

import random
from pathlib import Path

COMMON = "the a and is are was to of in for that this it with have not but about what think people know".split()
TOPICS = {
    "comp.graphics": "image graphics file files format jpeg gif color display screen video monitor".split(),
    "rec.sport.hockey": "puck goal goals goalie nhl ice playoff playoffs score coach team season".split(),
    "sci.space": "nasa orbit launch shuttle moon mars earth satellite rocket mission station planet".split(),
    "talk.politics.guns": "gun guns weapon weapons firearms law laws crime police amendment rights shot".split(),
}
HEADER = "From: someone@example.edu (Some One)\nSubject: Re: a question\nOrganization: Example U\nLines: 9\n\n"


def post(rng: random.Random, group: str, words: int = 30) -> str:
    body = [rng.choice(TOPICS[group]) if rng.random() < 0.5 else rng.choice(COMMON) for _ in range(words)]
    quote = "> In article <1@example.edu> someone wrote:\n> " + " ".join(rng.choices(COMMON, k=8)) + "\n"
    return HEADER + quote + " ".join(body) + ".\n\n-- \nSome One, Example U\n"


def write_corpus(root: Path, per_group: int = 40, test_per_group: int = 10, seed: int = 0) -> Path:
    rng = random.Random(seed)
    for split, n in (("train", per_group), ("test", test_per_group)):
        for group in TOPICS:
            folder = root / split / group
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(n):
                (folder / f"{i}").write_text(post(rng, group), encoding="latin-1")
    return root
