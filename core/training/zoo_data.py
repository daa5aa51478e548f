"""In-memory 3x32x32 uint8 datasets for the from-scratch zoo: CIFAR-100 and Fashion-MNIST.

Both fit in memory (60k x 3 KB), so training augments whole batches of tensors instead of decoding PIL images
one by one: on a 2-core CPU that keeps the data pipeline far below the model's cost.
"""

from __future__ import annotations

import gzip
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from core.catalog.preprocess import CIFAR100_MEAN, CIFAR100_STD, Preprocess
from core.runtime.messages import Bilingual, UserError

# Debian's dataset-fashion-mnist package puts the original idx files here.
DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
FASHION_MNIST_LABELS = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]
DATASETS = ("cifar100", "fashion_mnist")


class DatasetMissing(UserError, RuntimeError):
    """A data set is neither on disk nor downloadable here. The message is words for the visitor (the live tab shows
    it); `fix` (the command) and `detail` (where it looked, the library's error) are the instructor's: demo.prefetch and
    the train/ scripts print them. A RuntimeError as before, so they catch it unchanged."""

    title = Bilingual("No data to train on", "Không có dữ liệu để huấn luyện")

    def __init__(self, en: str, vi: str, fix: str, detail: str = ""):
        super().__init__(en, vi)
        self.fix, self.detail = fix, detail

    def instructor_details(self) -> str:
        return "\n".join(x for x in (self.detail, f"fix: {self.fix}") if x)


@dataclass
class TensorSplits:
    train_x: torch.Tensor  # (N, 3, 32, 32) uint8
    train_y: torch.Tensor  # (N,) int64
    test_x: torch.Tensor
    test_y: torch.Tensor
    labels: list[str]
    preprocess: Preprocess  # what the app must do to a photo for models trained on this data


def load_dataset(name: str, root: str | os.PathLike) -> TensorSplits:
    if name == "cifar100":
        return _cifar100(Path(root))
    if name == "fashion_mnist":
        return _fashion_mnist(Path(root))
    raise ValueError(f"unknown dataset {name!r}; valid: {', '.join(DATASETS)}")


def _cifar100(root: Path) -> TensorSplits:
    from torchvision.datasets import CIFAR100

    try:
        train, test = CIFAR100(str(root), train=True, download=True), CIFAR100(str(root), train=False, download=True)
    except Exception as exc:
        fix = "python -m demo.prefetch cifar100"
        raise DatasetMissing(
            "CIFAR-100 is not on this machine and could not be downloaded. The instructor fetches it once on a "
            "machine with network access (the app's prefetch script).",
            "Chưa có CIFAR-100 trên máy này và không tải về được. Giảng viên tải về một lần trên máy có mạng (script "
            "prefetch của ứng dụng).",
            fix,
            f"CIFAR-100 not in {root} ({type(exc).__name__}: {exc}); or put the extracted 'cifar-100-python' there",
        ) from exc

    def to_tensor(ds):
        return torch.from_numpy(ds.data).permute(0, 3, 1, 2).contiguous(), torch.tensor(ds.targets)

    (tx, ty), (vx, vy) = to_tensor(train), to_tensor(test)
    pre = Preprocess(crop_size=32, resize_size=32, mean=CIFAR100_MEAN, std=CIFAR100_STD)
    return TensorSplits(tx, ty, vx, vy, list(train.classes), pre)


def _read_idx(path: Path) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def _fashion_mnist_files(root: Path) -> Path:
    for folder in (root / "fashion-mnist", root / "FashionMNIST" / "raw", DEBIAN_FASHION_MNIST):
        if (folder / "train-images-idx3-ubyte.gz").is_file():
            return folder
    from torchvision.datasets import FashionMNIST

    try:  # torchvision's download leaves the same .gz files in root/FashionMNIST/raw
        FashionMNIST(str(root), train=True, download=True)
        FashionMNIST(str(root), train=False, download=True)
    except Exception as exc:
        fix = "python -m demo.prefetch fashion_mnist"
        raise DatasetMissing(
            "Fashion-MNIST is not on this machine. The instructor installs it once: Debian's dataset-fashion-mnist "
            "package (no network needed), or the app's prefetch script on a machine with network access.",
            "Chưa có Fashion-MNIST trên máy này. Giảng viên cài một lần: gói dataset-fashion-mnist của Debian (không "
            "cần mạng), hoặc script prefetch của ứng dụng trên máy có mạng.",
            f"apt-get install dataset-fashion-mnist  or  {fix}",
            f"Fashion-MNIST not in {root} nor {DEBIAN_FASHION_MNIST} ({type(exc).__name__}: {exc})",
        ) from exc
    return root / "FashionMNIST" / "raw"


def _fashion_mnist(root: Path) -> TensorSplits:
    folder = _fashion_mnist_files(root)

    def load(prefix: str) -> tuple[torch.Tensor, torch.Tensor]:
        images = torch.from_numpy(_read_idx(folder / f"{prefix}-images-idx3-ubyte.gz").copy())  # (N, 28, 28)
        labels = torch.from_numpy(_read_idx(folder / f"{prefix}-labels-idx1-ubyte.gz").astype(np.int64))
        # 28 -> 32 px (the zoo's input size), grey -> 3 identical channels; 10,000 images at a time (all at once,
        # with the float copies the mean and std were taken from, loading raised the peak memory by 750 MB; now 400)
        x = torch.empty(len(images), 3, 32, 32, dtype=torch.uint8)
        for i in range(0, len(images), 10_000):
            chunk = images[i : i + 10_000, None].float()
            chunk = F.interpolate(chunk, size=(32, 32), mode="bilinear", align_corners=False)
            x[i : i + 10_000] = chunk.round().clamp(0, 255).to(torch.uint8)
        return x, labels

    (tx, ty), (vx, vy) = load("train"), load("t10k")
    # Mean and std of the pixel values from their histogram (no float copy of the 61M values); rounded to float32
    # as before, so the normalisation is bit-for-bit what it was.
    counts = torch.bincount(tx[:, 0].flatten(), minlength=256).double()
    values, n = torch.arange(256, dtype=torch.float64), counts.sum()
    pixel_mean = (counts * values).sum() / n
    pixel_std = ((counts * (values - pixel_mean) ** 2).sum() / (n - 1)).sqrt()
    mean, std = float(pixel_mean.float() / 255), float(pixel_std.float() / 255)
    pre = Preprocess(crop_size=32, resize_size=32, mean=(mean,) * 3, std=(std,) * 3, grayscale=True)
    return TensorSplits(tx, ty, vx, vy, FASHION_MNIST_LABELS, pre)


def augment_batch(x: torch.Tensor, generator: torch.Generator, pad: int = 4) -> torch.Tensor:
    """RandomCrop(32, padding=pad) + RandomHorizontalFlip on a uint8 batch (B, 3, H, W)."""
    b, _, h, w = x.shape
    padded = F.pad(x, (pad, pad, pad, pad))
    dx = torch.randint(0, 2 * pad + 1, (b,), generator=generator)
    dy = torch.randint(0, 2 * pad + 1, (b,), generator=generator)
    rows = (dy[:, None] + torch.arange(h))[:, None, :, None]  # (B, 1, H, 1)
    cols = (dx[:, None] + torch.arange(w))[:, None, None, :]  # (B, 1, 1, W)
    out = padded[torch.arange(b)[:, None, None, None], torch.arange(3)[None, :, None, None], rows, cols]
    flip = torch.rand(b, generator=generator) < 0.5
    return torch.where(flip[:, None, None, None], out.flip(3), out)
