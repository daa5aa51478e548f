"""VQA datasets: easy-VQA (shipped inside the `easy-vqa` package, offline) and a simple documented layout.

Layout for any (image, question, answer) dataset, e.g. the course's Vietnamese food set:

    ROOT/images/...                       image files (any sub-folders)
    ROOT/annotations.json                 [{"image": "banh_beo/001.jpg", "question": "món này là món gì",
                                            "answer": "bánh bèo", "split": "train"}, ...]
    (or ROOT/annotations.csv with the columns image,question,answer[,split])

`split` is train / val / test; rows without it are split 80/10/10 by image (seeded), so one photo never
appears in two splits. Text is kept in Unicode NFC.
"""

from __future__ import annotations

import csv
import json
import random
import unicodedata
from dataclasses import dataclass
from pathlib import Path

SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class VQASample:
    image: str  # absolute path
    question: str
    answer: str


def easy_vqa_splits(val_fraction: float = 0.1, seed: int = 0) -> dict[str, list[VQASample]]:
    """easy-VQA's train/test, with a validation split taken from train by image."""
    import easy_vqa

    def samples(questions, paths) -> list[VQASample]:
        qs, answers, image_ids = questions
        return [VQASample(paths[i], q, a) for q, a, i in zip(qs, answers, image_ids)]

    train = samples(easy_vqa.get_train_questions(), easy_vqa.get_train_image_paths())
    test = samples(easy_vqa.get_test_questions(), easy_vqa.get_test_image_paths())
    train, val = _split_by_image(train, val_fraction, seed)
    return {"train": train, "val": val, "test": test}


def load_layout(root: str | Path, seed: int = 0) -> dict[str, list[VQASample]]:
    root = Path(root).resolve()
    images = root / "images"
    if (root / "annotations.json").is_file():
        rows = json.loads((root / "annotations.json").read_text(encoding="utf-8"))
    elif (root / "annotations.csv").is_file():
        with (root / "annotations.csv").open(encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
    else:
        raise FileNotFoundError(f"{root} has no annotations.json or annotations.csv (see core/vqa/data.py)")
    by_split: dict[str, list[VQASample]] = {s: [] for s in SPLITS}
    unsplit: list[VQASample] = []
    for n, row in enumerate(rows):
        path = (images / row["image"]).resolve()
        if not path.is_relative_to(images):  # "../../etc/passwd" in a downloaded annotation file
            raise ValueError(f"row {n}: image path {row['image']!r} leaves {images}")
        sample = VQASample(str(path), _nfc(row["question"]), _nfc(row["answer"]))
        split = (row.get("split") or "").strip().lower()
        (by_split[split] if split in SPLITS else unsplit).append(sample)
    if unsplit:
        rest, test = _split_by_image(unsplit, 0.1, seed)
        train, val = _split_by_image(rest, 1 / 9, seed + 1)
        for name, part in (("train", train), ("val", val), ("test", test)):
            by_split[name] += part
    return by_split


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip()


def _split_by_image(samples: list[VQASample], fraction: float, seed: int) -> tuple[list, list]:
    images = sorted({s.image for s in samples})
    random.Random(seed).shuffle(images)
    held = set(images[: max(1, round(len(images) * fraction))])
    return [s for s in samples if s.image not in held], [s for s in samples if s.image in held]
