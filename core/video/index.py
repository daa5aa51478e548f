"""The searchable index of one video, cached on disk by content hash, keyframe settings and model.

Layout under VIDEO_CACHE_DIR (default: <system temp>/dl_classroom_video_cache):

    <sha256 of the video bytes>/<keyframe settings>/
        keyframes.json          video info, keyframe times and reasons, notes
        kf00000.jpg ...         the keyframes (thumbnails for the gallery, input for CLIP and OCR)
        clip-<model>-<profile>.npy   (N, D) float16 unit-length image embeddings
        ocr.json                text read in each keyframe

Every name is derived from the hash and our own settings, never from the uploaded file's name, so an upload
cannot make the app read or write outside this folder. Encoders run in batches over the JPEGs, so memory stays
at one batch of images whatever the length of the video. A second query, another student uploading the same
clip, or a restarted app reuses all of it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from core.runtime.lru import KeyLocks, LRUCache
from core.video.decode import VideoInfo, probe
from core.video.keyframes import Keyframe, KeyframeParams, extract_keyframes

FORMAT_VERSION = 2  # bump when what is cached changes meaning (2: OCR drops symbol-only lines)
DEFAULT_CACHE_MB = 2000
CLIP_BATCH = 32
OCR_MAX_KEYFRAMES = 400  # ~0.1-0.4 s each on CPU; beyond this the OCR pass samples evenly and says so
OCR_SAME_FRAME = 2.0  # mean absolute difference (0-255) of 32x18 grey thumbnails under which text is reused

Progress = Callable[[float, str], None]


def cache_root() -> Path:
    root = os.environ.get("VIDEO_CACHE_DIR") or str(Path(tempfile.gettempdir()) / "dl_classroom_video_cache")
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


def content_hash(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass
class VideoIndex:
    folder: Path
    info: VideoInfo
    keyframes: list[Keyframe]
    notes: list[tuple[str, str]]
    embeddings: np.ndarray | None = None  # (N, D) float32 for `model`
    model: str | None = None
    ocr: list[str] | None = None
    cached: dict[str, bool] = field(default_factory=dict)  # which parts came from disk, e.g. {"keyframes": True}

    @functools.cached_property
    def times(self) -> np.ndarray:
        """(N,) keyframe times in seconds, built once: every query of a 10,000-keyframe index needs them."""
        return np.array([k.time_s for k in self.keyframes], dtype=np.float64)

    def image_path(self, i: int) -> str:
        return str(self.folder / self.keyframes[i].file)


_indexing = KeyLocks()  # folder -> held while that video is indexed
MEMORY_ENTRIES = 16
_memory = LRUCache(MEMORY_ENTRIES)  # (kind, file) -> array already read from disk


def _lock_for(folder: Path):
    """Held while `folder`'s video is indexed (a context manager)."""
    return _indexing.hold(folder)


def build_index(
    path: str | Path,
    *,
    params: KeyframeParams | None = None,
    clip_name: str | None = "clip_vit_b32_openai",
    profile: str = "default",
    ocr: bool = True,
    progress: Progress | None = None,
    limit_s: float | None = None,
) -> VideoIndex:
    """Keyframes, CLIP embeddings (if `clip_name`) and OCR (if `ocr`) of a video, from the cache when present."""
    params = params or KeyframeParams()
    report = progress or (lambda f, m: None)
    info = probe(path, limit_s=limit_s)  # bad files and over-long videos fail here, before any work
    report(0.0, "hashing")
    folder = cache_root() / content_hash(path) / f"v{FORMAT_VERSION}-{params.key()}"
    with _lock_for(folder):  # two students indexing the same clip: the second waits and reuses the first's work
        index = _keyframes(path, folder, params, info, limit_s, lambda f, m: report(0.6 * f, m))
        if clip_name:
            index.embeddings, index.cached["clip"] = _embeddings(index, clip_name, profile, report)
            index.model = clip_name
        if ocr:
            index.ocr, index.cached["ocr"] = _ocr(index, report)
        # Just used, whatever the encoding took: eviction spares the last minute's videos, and the caller still has
        # to show these keyframes (gallery, speech, preview) after another request may have evicted.
        os.utime(folder.parent)
    report(1.0, "ready")
    if not all(index.cached.values()):  # only new files can push the cache over its size
        _evict_old(folder.parent)
    return index


def _keyframes(path, folder: Path, params: KeyframeParams, info: VideoInfo, limit_s, report) -> VideoIndex:
    meta_file = folder / "keyframes.json"
    if meta_file.is_file():
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        keyframes = [Keyframe(**k) for k in meta["keyframes"]]
        if all((folder / k.file).is_file() for k in keyframes):
            os.utime(folder.parent)  # recently used: evicted last
            notes = [tuple(n) for n in meta["notes"]]
            return VideoIndex(folder, info, keyframes, notes, cached={"keyframes": True})
    if folder.exists():
        shutil.rmtree(folder)  # a half-written index from an interrupted run
    notes: list[tuple[str, str]] = []
    keyframes = extract_keyframes(
        path, folder, params, duration_s=info.duration_s, limit_s=limit_s, progress=report, notes=notes
    )
    meta = {"info": info.as_dict(), "params": params.key(), "keyframes": [k.as_dict() for k in keyframes]}
    _write_json(meta_file, {**meta, "notes": notes})
    return VideoIndex(folder, info, keyframes, notes, cached={"keyframes": False})


def _embeddings(index: VideoIndex, clip_name: str, profile: str, report: Progress) -> tuple[np.ndarray, bool]:
    file = index.folder / f"clip-{clip_name}-{profile}.npy"
    key = ("clip", str(file))
    remembered = _memory.get(key)
    if remembered is not None:
        return remembered, True
    if file.is_file():
        emb = np.load(file).astype(np.float32)
        if len(emb) == len(index.keyframes):
            _memory.put(key, emb)
            return emb, True
    from core.catalog.store import load_model  # torch and open_clip: only once a video is actually indexed

    clip = load_model(clip_name, profile).module
    chunks = []
    for start in range(0, len(index.keyframes), CLIP_BATCH):
        batch = [Image.open(index.image_path(i)).convert("RGB") for i in _range(start, CLIP_BATCH, index)]
        chunks.append(clip.encode_images(batch, batch_size=CLIP_BATCH))  # (B, D)
        report(0.6 + 0.2 * (start + len(batch)) / len(index.keyframes), "CLIP")
    emb = np.concatenate(chunks) if chunks else np.zeros((0, clip.embed_dim), np.float32)
    _write_npy(file, emb.astype(np.float16))  # half the disk; cosine scores change in the 4th decimal
    emb = emb.astype(np.float16).astype(np.float32)  # the same numbers a cache hit will read back
    _memory.put(key, emb)
    return emb, False


def _ocr(index: VideoIndex, report: Progress) -> tuple[list[str], bool]:
    from core.video.ocr import read_text

    n = len(index.keyframes)
    stride = max(1, -(-n // OCR_MAX_KEYFRAMES))
    if stride > 1:  # said on every query, a cache hit included: the cached text is just as sparse
        index.notes.append(
            (
                f"OCR chỉ đọc 1 trên {stride} khung hình chính (giới hạn {OCR_MAX_KEYFRAMES}).",
                f"OCR read one keyframe in {stride} (cap of {OCR_MAX_KEYFRAMES}).",
            )
        )
    file = index.folder / "ocr.json"
    if file.is_file():
        texts = json.loads(file.read_text(encoding="utf-8"))["texts"]
        if len(texts) == n:
            return texts, True
    texts: list[str] = []
    prev_small, prev_text = None, ""
    for i in range(n):
        if i % stride:
            texts.append(prev_text)  # the nearest earlier reading stands in for a skipped keyframe
            continue
        rgb = np.asarray(Image.open(index.image_path(i)).convert("RGB"))
        small = np.asarray(Image.fromarray(rgb).convert("L").resize((32, 18)), dtype=np.float32)
        if prev_small is not None and np.abs(small - prev_small).mean() < OCR_SAME_FRAME:
            texts.append(prev_text)  # the same picture as the last one read: same text, no second OCR
            continue
        prev_small, prev_text = small, " | ".join(line.text for line in read_text(rgb))
        texts.append(prev_text)
        report(0.8 + 0.2 * (i + 1) / n, "OCR")
    _write_json(file, {"texts": texts})
    return texts, False


def _range(start: int, size: int, index: VideoIndex) -> range:
    return range(start, min(start + size, len(index.keyframes)))


def _write_json(file: Path, data) -> None:
    tmp = file.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    tmp.replace(file)  # atomic: a reader sees the old file or the whole new one


def _write_npy(file: Path, array: np.ndarray) -> None:
    tmp = file.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp.npy")
    np.save(tmp, array)
    tmp.replace(file)


def _evict_old(keep: Path) -> None:
    """Delete least recently used videos while the cache is over VIDEO_CACHE_MB (a classroom uploads a lot)."""
    limit = float(os.environ.get("VIDEO_CACHE_MB", DEFAULT_CACHE_MB)) * 1e6
    root = cache_root()
    entries = []
    for d in (d for d in root.iterdir() if d.is_dir()):
        try:  # another request may be renaming its temporary files or evicting this very folder
            size = sum(f.stat().st_size for f in d.rglob("*") if f.is_file())
            entries.append((d.stat().st_mtime, size, d))
        except OSError:
            continue
    total = sum(e[1] for e in entries)
    # A video being indexed right now holds its folder's lock. Its top folder's mtime is when indexing started
    # (files land one level down), so a build longer than a minute would otherwise look old and be deleted.
    busy = {folder.parent for folder in _indexing.busy()}
    for mtime, size, d in sorted(entries):
        if total <= limit:
            break
        if d != keep and d not in busy and time.time() - mtime > 60:  # nor one just used
            shutil.rmtree(d, ignore_errors=True)
            total -= size
            for key in [k for k in _memory.keys() if k[1].startswith(str(d) + os.sep)]:
                _memory.pop(key)  # the arrays of a deleted video are not served from memory either
