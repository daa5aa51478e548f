"""Synthetic image data that tests generate: classes a tiny model can learn in a few steps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

# Each class is a dominant colour plus a shape position, so both colour and layout carry the label.
CLASS_COLOURS = {"do": (220, 40, 40), "xanh_la": (40, 200, 60), "xanh_duong": (40, 70, 220)}


def synthetic_image(cls: str, rng: np.random.Generator, size: int = 40) -> Image.Image:
    colour = np.array(CLASS_COLOURS[cls], dtype=float)
    arr = rng.normal(128, 20, (size, size, 3))
    i = list(CLASS_COLOURS).index(cls)
    lo, hi = i * size // 3, (i + 1) * size // 3
    arr[lo:hi, :, :] = colour + rng.normal(0, 15, 3)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def write_image_folder(root: Path, per_class_train: int = 8, per_class_test: int = 4, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    for split, n in (("train", per_class_train), ("test", per_class_test)):
        for cls in CLASS_COLOURS:
            d = root / split / cls
            d.mkdir(parents=True, exist_ok=True)
            for k in range(n):
                synthetic_image(cls, rng).save(d / f"{k}.png")
    return root
