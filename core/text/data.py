"""20 Newsgroups as (text, label) lists: scikit-learn's download (train/test split by date) or a local copy.

Headers, signatures (footers) and quoted replies are removed by default, as scikit-learn recommends for a
realistic score: with them, a classifier learns the posters' names and e-mail domains and scores 10-20 points
higher. `remove=()` keeps them.

A local copy is the 20news-bydate tarball unpacked (`20news-bydate-train/` and `20news-bydate-test/`, one folder
per group, one post per file) or any folder with `train/` and `test/` laid out the same way; its groups are its
folder names, so the test suite's small synthetic corpus uses the same loader.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from core.text import NEWSGROUPS

REMOVE_ALL = ("headers", "footers", "quotes")
SKLEARN_HOST = "ndownloader.figshare.com"


class DataUnavailable(RuntimeError):
    pass


@dataclass
class TextSplits:
    train: list[tuple[str, int]]
    val: list[tuple[str, int]]
    test: list[tuple[str, int]]
    labels: list[str]
    source: str


def load_splits(
    data_dir: str | None,
    *,
    remove: tuple[str, ...] = REMOVE_ALL,
    val_fraction: float = 0.1,
    seed: int = 0,
    max_samples: int | None = None,
) -> TextSplits:
    """Train/validation/test. The validation split is a seeded, stratified-by-shuffle slice of train.

    `max_samples` caps the train split (test gets a fifth of it) for quick runs and tests.
    """
    if data_dir and _folder_root(Path(data_dir)) is not None:
        train, test, labels, source = _from_folder(Path(data_dir), remove)
    else:
        train, test, labels, source = _from_sklearn(data_dir, remove)
    rng = random.Random(seed)
    rng.shuffle(train)
    if max_samples:
        train = train[:max_samples]
        test = random.Random(seed + 1).sample(test, min(len(test), max(max_samples // 5, 1)))
    n_val = max(1, round(len(train) * val_fraction)) if val_fraction > 0 else 0
    return TextSplits(train[n_val:], train[:n_val], test, labels, source)


def _folder_root(path: Path) -> tuple[Path, Path] | None:
    for train, test in (("20news-bydate-train", "20news-bydate-test"), ("train", "test")):
        if (path / train).is_dir() and (path / test).is_dir():
            return path / train, path / test
    return None


def _from_folder(path: Path, remove: tuple[str, ...]):
    train_dir, test_dir = _folder_root(path)
    labels = sorted(p.name for p in train_dir.iterdir() if p.is_dir())
    if not labels:
        raise DataUnavailable(f"{train_dir} has no group folders")

    def read(split_dir: Path) -> list[tuple[str, int]]:
        rows = []
        for index, label in enumerate(labels):
            for file in sorted((split_dir / label).glob("*")):
                if file.is_file():
                    # latin-1, as scikit-learn reads the archive: every byte decodes, nothing is dropped.
                    rows.append((_strip(file.read_text(encoding="latin-1"), remove), index))
        return rows

    return read(train_dir), read(test_dir), labels, f"folder {path}"


def _strip(text: str, remove: tuple[str, ...]) -> str:
    from sklearn.datasets._twenty_newsgroups import (
        strip_newsgroup_footer,
        strip_newsgroup_header,
        strip_newsgroup_quoting,
    )

    if "headers" in remove:
        text = strip_newsgroup_header(text)
    if "footers" in remove:
        text = strip_newsgroup_footer(text)
    if "quotes" in remove:
        text = strip_newsgroup_quoting(text)
    return text


def _from_sklearn(data_home: str | None, remove: tuple[str, ...]):
    from sklearn.datasets import fetch_20newsgroups, get_data_home

    from core.catalog.weights import host_reachable

    # Probe first: offline, scikit-learn would retry the download and fail with a bare URLError.
    download = host_reachable(SKLEARN_HOST)
    try:
        parts = {
            subset: fetch_20newsgroups(
                data_home=data_home, subset=subset, remove=remove, shuffle=False, download_if_missing=download
            )
            for subset in ("train", "test")
        }
    except OSError as exc:
        raise DataUnavailable(
            f"20 Newsgroups is not in scikit-learn's cache ({get_data_home(data_home)}) and {SKLEARN_HOST} is "
            'unreachable. Run once with network: python -c "from sklearn.datasets import fetch_20newsgroups; '
            "fetch_20newsgroups(subset='all')\", or unpack 20news-bydate.tar.gz and pass --data-dir to its folder."
        ) from exc
    labels = list(parts["train"].target_names)
    if tuple(labels) != NEWSGROUPS:
        raise DataUnavailable(f"unexpected 20 Newsgroups groups: {labels}")
    rows = {s: list(zip(p.data, (int(t) for t in p.target))) for s, p in parts.items()}
    return rows["train"], rows["test"], labels, f"scikit-learn fetch_20newsgroups ({get_data_home(data_home)})"
