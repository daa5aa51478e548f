"""The catalogue's spec type, registration and lookups (docs/ARCHITECTURE.md, "The catalogue").

The entries themselves live in one module per family (image_entries, text_entries, clip_entries, vqa_entries,
caption_entries), which core/catalog/__init__.py imports, so any import of the catalogue sees every entry. An entry
names its class directly (`builder`, a "module:attribute" path imported on first build), its hyperparameters, where its
weights come from in order (each source says whether it is cached here), the preprocessing used when the weights do not
carry their own, the label set, the tabs that offer it, the entries it runs on top of, and a description in both
languages. The `tiny_args` make the same class small enough for tests and for APP_PROFILE=tiny. Tabs and scripts ask
`models_for(...)` instead of keeping lists of names; core.catalog.store loads any entry, core.catalog.availability and
demo.prefetch loop over all.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from core.runtime.import_lock import IMPORT_LOCK
from core.runtime.messages import Bilingual, UnknownChoice

if TYPE_CHECKING:  # annotations only: weights and preprocessing sit beside the registry, not under it
    from core.catalog.preprocess import Preprocess
    from core.catalog.weights import WeightSource


@dataclass(frozen=True)
class ModelSpec:
    name: str
    display_name: str
    task: str
    # The architecture's name, written into checkpoints' config.json, and the class (or function) that builds it:
    # "module:attribute", imported on first build so that importing the catalogue imports no torch.
    arch: str
    builder: str
    model_args: Mapping[str, Any]
    weights: tuple[WeightSource, ...]
    preprocess: Preprocess | None  # None for text models: their tokenizer travels with the checkpoint
    labels: str  # a label set name from core.catalog.labels, used when the weights carry no labels
    description: str
    family: str
    tiny_args: Mapping[str, Any] = field(default_factory=dict)
    # Registry name to fall back to when no source has weights (e.g. the ImageNet variant of a CIFAR model).
    fallback: str | None = None
    tabs: tuple[str, ...] = ()  # the tabs whose model choices offer this entry (see models_for)
    requires: tuple[str, ...] = ()  # entries this one runs on top of (a captioner's frozen image encoder)
    # The identifiers the HTTP API uses for entries chosen by two keys (VQA: variant + dataset; captioners: variant).
    variant: str | None = None
    dataset: str | None = None
    # Someone else's published figure for these weights (source, licence, reported accuracy): shown as a model-card
    # number in the dropdown and the training-report panel, never as a result of this repo.
    model_card: Bilingual | None = None
    # For entries that are more than a module (a text classifier and its tokenizer, a VQA model and its vocabulary,
    # a captioner and its decoder): "module:function(spec, profile)" that core.catalog.store calls to load it.
    loader: str | None = None

    def is_cached(self) -> bool:
        """Weights for this entry are on this machine now (a disk lookup: cheap enough for every page load)."""
        return any(source.is_cached() for source in self.weights)


_REGISTRY: dict[str, ModelSpec] = {}
_BUILDERS: dict[str, str] = {}  # arch -> builder, from the entries (checkpoints name their arch, not the entry)


def register(spec: ModelSpec) -> ModelSpec:
    if spec.name in _REGISTRY:
        raise ValueError(f"model {spec.name!r} registered twice")
    if _BUILDERS.setdefault(spec.arch, spec.builder) != spec.builder:
        raise ValueError(f"arch {spec.arch!r} of {spec.name!r} is built by {_BUILDERS[spec.arch]!r} elsewhere")
    _REGISTRY[spec.name] = spec
    return spec


def unregister(name: str) -> None:
    """Remove an entry added at run time (core.training.live_models: a deleted live-trained model); no-op if absent."""
    _REGISTRY.pop(name, None)


def get_spec(name: str) -> ModelSpec:
    try:
        return _REGISTRY[name]
    except KeyError:
        valid = ", ".join(list_models())
        raise UnknownChoice(
            f"unknown model {name!r}; valid names: {valid}", f"không có mô hình tên {name!r}; các tên hợp lệ: {valid}"
        ) from None


def list_models(task: str | None = None) -> list[str]:
    return [n for n, s in _REGISTRY.items() if task is None or s.task == task]


def models_for(tab: str | None = None, *, task: str | None = None, dataset: str | None = None) -> list[str]:
    """Entry names in catalogue order, filtered by the tab that offers them, their task and/or their dataset."""
    return [
        n
        for n, s in _REGISTRY.items()
        if (tab is None or tab in s.tabs)
        and (task is None or s.task == task)
        and (dataset is None or s.dataset == dataset)
    ]


def all_specs() -> list[ModelSpec]:
    return list(_REGISTRY.values())


def frozen(**kwargs: Any) -> Mapping[str, Any]:
    """Hyperparameters an entry cannot change by accident (entries are shared by every request)."""
    return MappingProxyType(kwargs)


def resolve(target: str) -> Any:
    """The attribute a "module:attribute" path names, imported under IMPORT_LOCK (see core.runtime.import_lock)."""
    module_name, attribute = target.split(":")
    with IMPORT_LOCK:
        module = importlib.import_module(module_name)
    return getattr(module, attribute)


def architecture_class(arch: str) -> Any:
    """The class (or builder function) of an architecture, by the name checkpoints and entries use."""
    try:
        target = _BUILDERS[arch]
    except KeyError:
        raise KeyError(f"unknown architecture {arch!r}; valid: {', '.join(sorted(_BUILDERS))}") from None
    return resolve(target)


def build_architecture(arch: str, **model_args: Any):
    """Random-initialised module of `arch` with the given hyperparameters."""
    return architecture_class(arch)(**model_args)
