"""KTVIC in its official JSON layout, and the frozen-encoder feature cache that training reads.

Layout (the KTVIC release; any folder with the same files works):
  <data_dir>/train_data.json, <data_dir>/test_data.json
      {"images": [{"id": 0, "filename": "00000.jpg"}, ...],
       "annotations": [{"id": 0, "image_id": 0, "caption": "...", "segment_caption": "..._..."}, ...]}
  <data_dir>/train-images/, <data_dir>/public-test-images/   (or images/ for both)
With network, `fetch_ktvic(repo_id, data_dir)` copies a Hub dataset repo holding that layout into data_dir.

Image encoders are frozen, so their features are computed once per (encoder, image list) and stored as
.npy in the cache folder; a second run (another mapper, more epochs) reads them instead of re-encoding.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.caption.text import nfc, segment

SPLIT_FILES = {
    "train": ("train_data.json", "train.json"),
    "val": ("val_data.json", "val.json"),
    "test": ("test_data.json", "public_test_data.json", "test.json"),
}
IMAGE_DIRS = {
    "train": ("train-images", "train_images", "images/train", "images"),
    "val": ("val-images", "images/val", "images"),
    "test": ("public-test-images", "test-images", "test_images", "images/test", "images"),
}
FETCH_CMD = "python -m train.caption fetch --hub-dataset <user>/<ktvic-repo> --data-dir data/ktvic"


@dataclass(frozen=True)
class CaptionImage:
    image_id: str
    path: Path
    captions: tuple[str, ...]  # NFC, as annotated
    segmented: tuple[str, ...]  # KTVIC's segment_caption (NFC), or computed with core.caption.text.segment


def split_file(data_dir: Path, split: str) -> Path | None:
    return next((data_dir / n for n in SPLIT_FILES[split] if (data_dir / n).is_file()), None)


def load_ktvic(data_dir: str | Path, split: str, max_images: int | None = None) -> list[CaptionImage]:
    """One split as a list of images with all their captions, in the file's image order."""
    data_dir = Path(data_dir)
    if split not in SPLIT_FILES:
        raise ValueError(f"split must be one of {', '.join(SPLIT_FILES)}")
    path = split_file(data_dir, split)
    if path is None:
        raise FileNotFoundError(
            f"no {' or '.join(SPLIT_FILES[split])} in {data_dir}. Put KTVIC there (its official JSON layout), "
            f"or download it: {FETCH_CMD}"
        )
    data = json.loads(path.read_text(encoding="utf-8"))
    image_dir = next((data_dir / d for d in IMAGE_DIRS[split] if (data_dir / d).is_dir()), data_dir)
    by_id: dict[str, list[tuple[str, str]]] = {}
    for ann in data["annotations"]:
        caption = nfc(str(ann["caption"])).strip()
        seg = nfc(str(ann.get("segment_caption") or "")).strip() or segment(caption)
        by_id.setdefault(str(ann["image_id"]), []).append((caption, seg))
    out = []
    root = image_dir.resolve()
    for image in data["images"]:
        image_id = str(image["id"])
        if image_id not in by_id:
            continue
        file = (image_dir / str(image.get("filename") or image.get("file_name"))).resolve()
        if not file.is_relative_to(root):
            raise ValueError(f"image path {file} leaves the image folder {root}")
        pairs = by_id[image_id]
        out.append(CaptionImage(image_id, file, tuple(c for c, _ in pairs), tuple(s for _, s in pairs)))
        if max_images and len(out) >= max_images:
            break
    return out


def fetch_ktvic(repo_id: str, data_dir: str | Path) -> Path:
    """Download a Hub dataset repo with the KTVIC layout into data_dir (fails at once when offline)."""
    from huggingface_hub import snapshot_download

    from core.catalog.weights import hub_available

    if not hub_available():
        raise RuntimeError(f"the Hugging Face Hub is unreachable (or HF_HUB_OFFLINE=1): cannot download {repo_id}")
    snapshot_download(repo_id, repo_type="dataset", local_dir=str(data_dir))
    return Path(data_dir)


def cache_key(images: list[CaptionImage], encoder: str) -> str:
    """Names the cache file: the encoder and each image's path, size and modification time."""
    h = hashlib.sha1(encoder.encode())
    for im in images:
        stat = im.path.stat()
        h.update(f"{im.path}|{stat.st_size}|{stat.st_mtime_ns}".encode())
    return h.hexdigest()[:20]


def cached_features(
    images: list[CaptionImage],
    encoder: str,
    encode: Callable[[list], np.ndarray],
    cache_dir: str | Path,
    batch_size: int = 32,
    log: Callable[[str], None] = print,
) -> np.ndarray:
    """(N, D) float32 features of `images` by the frozen `encode` (PIL list -> array), computed once."""
    from core.runtime.images import load_image

    cache_dir = Path(cache_dir)
    safe = "".join(ch if ch.isalnum() else "_" for ch in encoder)
    path = cache_dir / f"{safe}_{cache_key(images, encoder)}.npy"
    if path.is_file():
        log(f"features: read {len(images)} cached {encoder} vectors from {path}")
        return np.load(path, allow_pickle=False)
    chunks = []
    for i in range(0, len(images), batch_size):
        batch = [load_image(str(im.path)).image for im in images[i : i + batch_size]]
        chunks.append(np.asarray(encode(batch), dtype=np.float32))
        if i and i % (batch_size * 20) == 0:
            log(f"features: {i}/{len(images)} images encoded with {encoder}")
    features = np.concatenate(chunks) if chunks else np.zeros((0, 0), np.float32)
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, features)
    tmp.replace(path)
    log(f"features: cached {features.shape} {encoder} vectors in {path}")
    return features
