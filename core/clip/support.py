"""Support sets for k-shot CLIP: built-in ones that work offline, or the user's own images per class.

Built-in: easy-VQA (the PyPI package `easy-vqa` ships 4,000 training images of one coloured shape each). Its
questions give every image a shape (circle, rectangle, triangle) and a colour (8 colours), so it makes a clear
3-class and a harder 8-class support set with no download. Photos of real objects would suit CLIP better, but no
labelled photo collection with 20 images per class is available offline; the UI says so.

Image embeddings are cached: built-in sets per (model, set) once, single images per (model, content hash), so
moving the k slider or asking again about the same picture never re-runs the image encoder.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.runtime.images import ImageInputError, load_image
from core.runtime.lru import LRUCache
from core.runtime.messages import Bilingual, vietnamese_of
from core.runtime.uploads import digest

MAX_SHOTS = 20
EASY_VQA_SHAPES = ("circle", "rectangle", "triangle")
EASY_VQA_COLORS = ("red", "green", "blue", "yellow", "teal", "brown", "gray", "black")
BUILTIN_SETS = {  # name -> (description, easy-VQA answer kind, classes, how a class is named in prompts)
    "easy_vqa_shapes": ("easy-VQA shapes (3 classes)", "shape", EASY_VQA_SHAPES, "{}"),
    "easy_vqa_colors": (
        "easy-VQA colours (8 classes)",
        "color",
        EASY_VQA_COLORS,
        "{} shape",
    ),  # "a photo of a red shape."
}


@dataclass
class SupportSet:
    names: list[str]
    features: np.ndarray  # (N, D) unit image embeddings
    labels: np.ndarray  # (N,) index into names
    paths: list[str]
    source: str
    notes: list[str] = field(default_factory=list)

    def per_class(self) -> list[int]:
        return np.bincount(self.labels, minlength=len(self.names)).tolist()


IMAGE_CACHE = LRUCache(4096)  # (model key, content key) -> (N, D) embeddings


def content_key(source) -> str | None:
    """A hash of a file's bytes (or of raw bytes); None for in-memory images, which are not cached.

    A file is hashed in chunks after core.runtime.uploads' checks: a FIFO, a device or a file over the upload limit
    raises ImageInputError before anything is read into memory."""
    if isinstance(source, bytes):
        return hashlib.sha1(source).hexdigest()
    if isinstance(source, (str, Path)):
        return digest(source)
    return None


def embed_image(model, model_key: str, source, *, use_cache: bool = True) -> tuple[np.ndarray, bool]:
    """One image (path, bytes or PIL) -> ((D,) unit embedding, whether it came from the cache).

    Raises core.runtime.images.ImageInputError for files that are not usable images."""
    key = content_key(source) if use_cache else None
    if key is not None and (hit := IMAGE_CACHE.get((model_key, key))) is not None:
        return hit, True
    vector = model.encode_images([load_image(source).image])[0]
    if key is not None:
        IMAGE_CACHE.put((model_key, key), vector)
    return vector, False


def easy_vqa_labels(split: str = "train") -> dict[int, dict[str, str]]:
    """image id -> {"shape": ..., "color": ...}, read from the answers to easy-VQA's "what ..." questions."""
    import easy_vqa

    questions, answers, ids = easy_vqa.get_train_questions() if split == "train" else easy_vqa.get_test_questions()
    labels: dict[int, dict[str, str]] = {}
    for q, a, i in zip(questions, answers, ids):
        if not q.startswith("what"):
            continue  # yes/no questions name a shape or colour that may be absent
        kind = "shape" if a in EASY_VQA_SHAPES else "color" if a in EASY_VQA_COLORS else None
        if kind:
            labels.setdefault(int(i), {})[kind] = a
    return labels


def builtin_paths(name: str, per_class: int = MAX_SHOTS, seed: int = 0) -> dict[str, list[str]]:
    """class -> `per_class` training image paths of a built-in set, the same ones every time for a seed."""
    import easy_vqa

    if name not in BUILTIN_SETS:
        raise KeyError(f"unknown support set {name!r}; choose one of {', '.join(BUILTIN_SETS)}")
    _, kind, classes, _ = BUILTIN_SETS[name]
    paths = easy_vqa.get_train_image_paths()
    by_class: dict[str, list[int]] = {c: [] for c in classes}
    for image_id, lab in sorted(easy_vqa_labels("train").items()):
        if lab.get(kind) in by_class:
            by_class[lab[kind]].append(image_id)
    rng = np.random.default_rng(seed)
    return {c: [paths[i] for i in rng.permutation(ids)[:per_class]] for c, ids in by_class.items()}


# (model key, set name) -> SupportSet. Bounded: 2 built-in sets x 3 CLIP entries is 6 per profile, and a set is
# ~160 image embeddings (under 0.5 MB), so 16 keeps every set the app can ask for and caps what tests that build many
# model keys leave behind.
BUILTIN_CACHE = LRUCache(16)


def builtin_support(model, model_key: str, name: str) -> SupportSet:
    """A built-in support set with its features, encoded once per model (a few seconds for 160 images)."""

    def build() -> SupportSet:
        by_class = builtin_paths(name)
        paths = [p for c in by_class for p in by_class[c]]
        labels = np.array([i for i, c in enumerate(by_class) for _ in by_class[c]], dtype=np.int64)
        names = [BUILTIN_SETS[name][3].format(c) for c in by_class]
        images = [load_image(p).image for p in paths]
        return SupportSet(
            names=names,
            features=model.encode_images(images),
            labels=labels,
            paths=paths,
            source=BUILTIN_SETS[name][0],
        )

    # Under the key's own lock: two first requests encode the set once, and other sets and models do not wait.
    return BUILTIN_CACHE.get_or_create((model_key, name), build)


def user_support(model, model_key: str, names: Sequence[str], files: Sequence[Sequence]) -> SupportSet:
    """The user's images, `files[i]` for class `names[i]`; unreadable files are skipped and named in the notes."""
    feats, labels, paths, skipped = [], [], [], []
    for label, class_files in enumerate(files[: len(names)]):
        class_files = list(class_files or [])
        if len(class_files) > MAX_SHOTS:
            # k never exceeds MAX_SHOTS: encoding a dropped folder of hundreds of images would be work for nothing.
            skipped.append(
                Bilingual(
                    f"'{names[label]}': only the first {MAX_SHOTS} of {len(class_files)} images were used.",
                    f"'{names[label]}': chỉ dùng {MAX_SHOTS} ảnh đầu trong {len(class_files)} ảnh.",
                )
            )
            class_files = class_files[:MAX_SHOTS]
        for source in class_files:
            try:
                vector, _ = embed_image(model, model_key, source)
            except ImageInputError as exc:
                name = f"{Path(str(source)).name} ({names[label]})"
                skipped.append(
                    Bilingual(
                        f"Skipped unreadable support image {name}: {exc}",
                        f"Đã bỏ qua ảnh mẫu không đọc được {name}: {vietnamese_of(exc) or exc}",
                    )
                )
                continue
            feats.append(vector)
            labels.append(label)
            paths.append(str(source))
    dim = model.embed_dim
    return SupportSet(
        names=list(names),
        features=np.stack(feats) if feats else np.zeros((0, dim), np.float32),
        labels=np.array(labels, dtype=np.int64),
        paths=paths,
        source="your images",
        notes=skipped,
    )
