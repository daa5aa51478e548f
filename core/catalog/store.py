"""The one loader: a lazy, load-once cache for every catalogue entry (core/catalog/registry.py), and the app profiles.

Nothing is loaded at import. `load_model(name, profile)` resolves weights on first use, keeps the module in eval
mode in memory, and returns the same object afterwards. One lock per (name, profile) so two students' first
requests do not load the same 300 MB twice. Image classifiers and CLIP towers are built here and returned as
`LoadedModel`; tasks whose checkpoints carry more than a module (text classifiers: the tokenizer they were trained
with; VQA: vocabulary and answers; captioners: a tokenizer and a frozen decoder) name a function in their entry's
`loader` and get their own loaded type, cached the same way. The text builder starts from `load_module` (the module
alone, cached under its own key), so a tokenizer that fails to load is retried without reading the weights again.

Profiles, the same for every entry (tests/test_model_store.py checks each one):
- "default": real weights from the entry's sources, in order.
- "tiny":    a tiny random-initialised instance of the same class (the entry's tiny_args): tests, offline UI.
- "random":  the full-size architecture with random weights (benchmarks: same compute, no download).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from core.catalog.labels import label_set
from core.catalog.preprocess import Preprocess
from core.catalog.registry import ModelSpec, build_architecture, get_spec, resolve
from core.catalog.weights import SourceFailed, WeightsUnavailable
from core.runtime.device import inference_device
from core.runtime.lru import KeyLocks
from core.runtime.messages import Bilingual

PROFILES = ("default", "tiny", "random")
DATASET_NAMES = {"cifar100": "CIFAR-100", "fashion_mnist": "Fashion-MNIST", "imagenet1k": "ImageNet-1k"}


def current_profile() -> str:
    """APP_PROFILE, read once by whoever builds the app and then passed down explicitly."""
    profile = os.environ.get("APP_PROFILE", "default").strip().lower() or "default"
    if profile not in PROFILES:
        raise ValueError(f"APP_PROFILE={profile!r} is not one of {', '.join(PROFILES)}")
    return profile


@dataclass
class LoadedModel:
    name: str
    spec: ModelSpec
    module: Any  # torch.nn.Module in eval mode
    preprocess: Preprocess
    labels: tuple[str, ...]
    source: str  # where the weights came from, in words
    num_params: int
    profile: str
    checkpoint_dir: str | None = None
    dataset: str | None = None  # what the weights were trained on, from the checkpoint's JSON
    notes: list[str] = field(default_factory=list)

    @property
    def display_name(self) -> str:
        name = self.spec.display_name
        trained_on = DATASET_NAMES.get(self.dataset or "", self.dataset)
        if trained_on and trained_on not in name:
            name += f" ({trained_on})"
        return name + {"tiny": " [tiny random]", "random": " [random init]"}.get(self.profile, "")


def architecture_args(spec: ModelSpec, profile: str) -> dict[str, Any]:
    """The hyperparameters an entry is built with in `profile` (random: full size; tiny: with its tiny_args)."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; valid: {', '.join(PROFILES)}")
    args = dict(spec.model_args)
    if profile == "tiny":
        args.update(spec.tiny_args)
    return args


# (name, profile): what load_model returns; (name, profile, MODULE): the entry's LoadedModel alone. The two differ
# for entries with a `loader` that add to the module (text: a tokenizer): the weights stay cached when the addition
# fails, so a request retries only the tokenizer, not a re-read of hundreds of MB of weights.
MODULE = "module"
_cache: dict[tuple[str, ...], Any] = {}  # unbounded: a loaded model stays until clear_cache/forget
_loading = KeyLocks()


def _once(key: tuple[str, ...], build) -> Any:
    """`build()` cached under `key`, built once: one lock per key, so two first requests do not both build it.
    Nothing is cached when `build` raises; the next call tries again."""
    if key in _cache:
        return _cache[key]
    with _loading.hold(key):
        if key not in _cache:
            _cache[key] = build()
    return _cache[key]


def load_model(name: str, profile: str = "default") -> Any:
    """The entry `name` for `profile`, loaded once: a LoadedModel, or the task's own type (the entry's `loader`).

    Raises WeightsUnavailable with reasons and fixes, KeyError for a name the catalogue does not have."""
    spec = get_spec(name)
    if spec.loader is None:
        return load_module(name, profile)
    return _once((name, profile), lambda: resolve(spec.loader)(spec, profile))


def load_module(name: str, profile: str = "default") -> LoadedModel:
    """The entry's module as a LoadedModel, loaded once (what load_model returns for a plain entry). A `loader`
    function whose entry is a module plus more (text: plus its tokenizer) starts from it, and demo.prefetch fetches a
    text model's weights through it. Raises WeightsUnavailable, KeyError for an unknown name."""
    spec = get_spec(name)
    return _once((name, profile, MODULE), lambda: build_loaded(spec, profile))


def build_loaded(spec: ModelSpec, profile: str) -> LoadedModel:
    """An entry's module as a LoadedModel, uncached (load_module caches it). Raises WeightsUnavailable."""
    loaded = _load_uncached(spec, profile)
    loaded.module.to(inference_device())  # moved once, at load; a no-op on a CPU-only machine
    return loaded


def load_with_fallback(name: str, profile: str = "default") -> LoadedModel:
    """Like load_model, but a model without weights falls back along its registered fallbacks (the headline pair:
    the course recipe, then the public CIFAR-100 checkpoint, then ImageNet-1k), with one note saying which and why.
    """
    missing: list[tuple[ModelSpec, WeightsUnavailable]] = []
    spec = get_spec(name)
    while True:
        try:
            model = load_model(spec.name, profile)
        except WeightsUnavailable as exc:
            missing.append((spec, exc))
            if not spec.fallback:
                if len(missing) == 1:
                    raise
                reasons = [r for _, e in missing for r in e.reasons]
                raise WeightsUnavailable(name, reasons, _unique(f for _, e in missing for f in e.fixes)) from None
            spec = get_spec(spec.fallback)
            continue
        return _with_note(model, _fallback_note(missing, model)) if missing else model


def _fallback_note(missing: list[tuple[ModelSpec, WeightsUnavailable]], model: LoadedModel) -> Bilingual:
    """Why this panel shows another model, in words for the class; the missing files and the commands are the
    instructor's (the exceptions' reasons and fixes: the Status tab, demo.prefetch)."""
    wanted, shown = missing[0][0], model.spec
    if shown.labels != wanted.labels:
        labels = DATASET_NAMES.get(shown.labels, shown.labels)
        what_en, what_vi = f"with {labels} labels instead", f"với nhãn {labels}"
    else:
        what_en, what_vi = "(same classes, another recipe)", "(cùng các lớp, cách huấn luyện khác)"
    return Bilingual(
        f"{wanted.display_name} has no weights on this machine yet, so this panel shows {shown.display_name} "
        f"{what_en}. The Model status tab says how the instructor can get {wanted.display_name}.",
        f"Máy này chưa có trọng số của {wanted.display_name}, nên khung này hiển thị {shown.display_name} "
        f"{what_vi}. Thẻ Trạng thái mô hình cho biết cách giảng viên lấy {wanted.display_name}.",
    )


def load_notes() -> list[tuple[str, Any]]:
    """(entry name, Bilingual note) for what the loaded task entries say about how they were loaded, e.g. a
    captioner whose tokenizer's end-of-text id is not a row of GPT-2's embeddings (core.caption.loading). Only
    what is loaded already: the Status tab never loads a model to ask."""
    return [
        (key[0], note)
        for key, value in list(_cache.items())
        if len(key) == 2 and get_spec(key[0]).loader
        for note in getattr(value, "notes", ()) or ()
    ]


def clear_cache() -> int:
    """Forget every loaded model; returns how many (name, profile) there were."""
    dropped = len({key[:2] for key in list(_cache)})
    _cache.clear()
    return dropped


def forget(name: str) -> None:
    """Drop a model from the cache (e.g. after new weights were written); the next request reloads it."""
    for key in [k for k in list(_cache) if k[0] == name]:  # its module and what was built on it
        _cache.pop(key, None)


def _with_note(model: LoadedModel, note: str) -> LoadedModel:
    # A shallow copy: the module is shared, only the notes differ between the direct and the fallback use.
    return LoadedModel(**{**model.__dict__, "notes": [*model.notes, note]})


def _load_uncached(spec: ModelSpec, profile: str) -> LoadedModel:
    if profile in ("tiny", "random"):
        return _random_init(spec, profile)
    reasons: list[str] = []
    for source in spec.weights:
        try:
            module, meta = source.load(spec)
        except SourceFailed as exc:
            reasons.append(str(exc))
            continue
        config = meta.get("config") or {}
        labels = config.get("labels") or meta.get("labels") or label_set(spec.labels)
        # Text checkpoints store their tokenizer instead of image preprocessing (their "preprocess" has no crop).
        image_pre = config.get("preprocess") or {}
        preprocess = Preprocess.from_dict(image_pre) if "crop_size" in image_pre else spec.preprocess
        return LoadedModel(
            name=spec.name,
            spec=spec,
            module=module,
            preprocess=preprocess,
            labels=tuple(labels),
            source=source.describe(),
            num_params=_count_params(module),
            profile=profile,
            checkpoint_dir=meta.get("checkpoint_dir"),
            dataset=config.get("dataset") or config.get("train_config", {}).get("dataset") or spec.labels,
        )
    raise WeightsUnavailable(spec.name, reasons, _unique(s.fix() for s in spec.weights))


def _random_init(spec: ModelSpec, profile: str) -> LoadedModel:
    import torch

    args = architecture_args(spec, profile)
    with torch.random.fork_rng():  # deterministic weights without disturbing anyone else's RNG
        torch.manual_seed(0)
        module = build_architecture(spec.arch, **args).eval()
    what, vi = ("tiny", "nhỏ") if profile == "tiny" else ("full-size", "cỡ thật")
    return LoadedModel(
        name=spec.name,
        spec=spec,
        module=module,
        preprocess=spec.preprocess,
        labels=label_set(spec.labels),
        source=Bilingual(
            f"{what} random-initialised {type(module).__name__} (the app's {profile} profile): predictions are "
            "meaningless",
            f"{type(module).__name__} {vi} khởi tạo ngẫu nhiên (cấu hình {profile} của ứng dụng): dự đoán không có "
            "ý nghĩa",
        ),
        num_params=_count_params(module),
        profile=profile,
    )


def _count_params(module) -> int:
    return sum(p.numel() for p in module.parameters())


def _unique(items) -> list[str]:
    return list(dict.fromkeys(items))
