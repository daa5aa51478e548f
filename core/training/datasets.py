"""Image datasets for training and evaluation: CIFAR-100 (torchvision) or a local class-per-folder layout.

The folder layout is `ROOT/train/<class>/*.png` and `ROOT/test/<class>/*.png` (optional `ROOT/val/...`); it is how
a class, or a test, brings its own images. Validation is split off train with a fixed seed when absent.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch.utils.data import Dataset, Subset


@dataclass
class Splits:
    train: Dataset
    val: Dataset
    test: Dataset
    labels: list[str]


class Transformed(Dataset):
    """Applies an image transform to a (PIL image, label) dataset; keeps train/eval transforms separate."""

    def __init__(self, base: Dataset, transform):
        self.base, self.transform = base, transform

    def __len__(self) -> int:
        return len(self.base)

    def __getitem__(self, i):
        image, label = self.base[i]
        return self.transform(image.convert("RGB")), label


def load_splits(
    kind: str,
    root: str | Path,
    *,
    val_fraction: float = 0.1,
    seed: int = 0,
    max_samples: int | None = None,
    download: bool = True,
) -> Splits:
    """Raw (PIL, label) splits; `max_samples` caps each split for quick runs."""
    root = Path(root)
    if kind == "cifar100":
        from torchvision.datasets import CIFAR100

        try:
            train_full = CIFAR100(str(root), train=True, download=download)
            test = CIFAR100(str(root), train=False, download=download)
        except Exception as exc:  # offline: torchvision raises URLError / RuntimeError
            raise RuntimeError(
                f"CIFAR-100 is not in {root} and could not be downloaded ({type(exc).__name__}). Put the extracted "
                f"'cifar-100-python' folder there, or run once with network access."
            ) from exc
        labels = list(train_full.classes)
        val_from = train_full
    elif kind == "folder":
        from torchvision.datasets import ImageFolder

        if not (root / "train").is_dir() or not (root / "test").is_dir():
            raise RuntimeError(f"{root} must contain train/<class>/ and test/<class>/ folders of images")
        train_full = ImageFolder(str(root / "train"))
        test = ImageFolder(str(root / "test"))
        labels = list(train_full.classes)
        if test.classes != labels:
            raise RuntimeError("train/ and test/ must have the same class folders")
        val_from = ImageFolder(str(root / "val")) if (root / "val").is_dir() else train_full
    else:
        raise ValueError(f"unknown dataset kind {kind!r}; valid: cifar100, folder")

    generator = torch.Generator().manual_seed(seed)
    if val_from is train_full:
        order = torch.randperm(len(train_full), generator=generator).tolist()
        n_val = max(1, int(round(len(order) * val_fraction)))
        train, val = Subset(train_full, order[n_val:]), Subset(train_full, order[:n_val])
    else:
        train, val = train_full, val_from
    return Splits(
        train=_cap(train, max_samples, seed),
        val=_cap(val, max_samples and max(1, max_samples // 5), seed),
        test=_cap(test, max_samples and max(1, max_samples // 5), seed),
        labels=labels,
    )


def _cap(ds: Dataset, n: int | None, seed: int) -> Dataset:
    if not n or n >= len(ds):
        return ds
    idx = torch.randperm(len(ds), generator=torch.Generator().manual_seed(seed + 1))[:n].tolist()
    return Subset(ds, idx)
