"""Which models can run here, without loading any of them: the data behind the app's status panel."""

from __future__ import annotations

import os
from dataclasses import dataclass

from core.checkpoint import WEIGHTS_FILE
from core.registry import get_spec, list_models
from core.weights import (
    HUB_REPO_ENV,
    HubCheckpoint,
    LocalCheckpoint,
    OpenClipHub,
    TorchvisionWeights,
    TransformersHub,
    hub_available,
)


@dataclass
class ModelStatus:
    name: str
    display_name: str
    state: str  # "available locally" | "downloadable" | "missing"
    where: str
    fix: str


def _cached(source) -> bool:
    if isinstance(source, LocalCheckpoint):
        return (source.path() / WEIGHTS_FILE).is_file()
    if isinstance(source, TorchvisionWeights):
        return source.cached_file().is_file()
    if isinstance(source, OpenClipHub):
        return source.cached_file() is not None
    from huggingface_hub import try_to_load_from_cache

    if isinstance(source, TransformersHub):
        return isinstance(try_to_load_from_cache(source.repo_id, "model.safetensors"), str)
    if isinstance(source, HubCheckpoint):
        repo = os.environ.get(HUB_REPO_ENV)
        return bool(repo) and isinstance(try_to_load_from_cache(repo, f"{source.subfolder}/{WEIGHTS_FILE}"), str)
    return False


def model_status(name: str, *, online: bool | None = None) -> ModelStatus:
    spec = get_spec(name)
    for source in spec.weights:
        if _cached(source):
            return ModelStatus(name, spec.display_name, "available locally", source.describe(), "")
    online = hub_available() if online is None else online
    remote = [s for s in spec.weights if not isinstance(s, LocalCheckpoint)]
    if online and any(not isinstance(s, HubCheckpoint) or os.environ.get(HUB_REPO_ENV) for s in remote):
        return ModelStatus(name, spec.display_name, "downloadable", remote[0].describe(), "python -m core.prefetch")
    fixes = dict.fromkeys(s.fix() for s in spec.weights if not isinstance(s, HubCheckpoint))
    return ModelStatus(name, spec.display_name, "missing", "nowhere reachable", "  or  ".join(fixes))


def all_statuses() -> list[ModelStatus]:
    online = hub_available()
    return [model_status(n, online=online) for n in list_models()]


def vqa_statuses() -> list[ModelStatus]:
    from core.vqa.catalog import DATASETS, TRAIN_CMD, VARIANT_NAMES
    from core.weights import checkpoint_dir

    rows = []
    for dataset in DATASETS:
        for variant, description in VARIANT_NAMES.items():
            path = checkpoint_dir() / "vqa" / dataset / variant
            kind = "easy_vqa" if dataset == "easy_vqa" else f"folder --data-dir data/{dataset}"
            ok = (path / WEIGHTS_FILE).is_file()
            rows.append(
                ModelStatus(
                    f"vqa:{dataset}/{variant}",
                    description,
                    "available locally" if ok else "missing",
                    str(path) if ok else "nowhere",
                    "" if ok else TRAIN_CMD.format(kind=kind, variant=variant),
                )
            )
    return rows


def caption_statuses() -> list[ModelStatus]:
    """The three Vietnamese captioners' checkpoints (GPT-2 and CLIP are checked when one loads)."""
    from core.caption.catalog import CHECKPOINT_SUBDIR, TRAIN_CMD, VARIANT_NAMES
    from core.weights import checkpoint_dir

    rows = []
    for variant, description in VARIANT_NAMES.items():
        path = checkpoint_dir() / CHECKPOINT_SUBDIR / variant
        ok = (path / WEIGHTS_FILE).is_file()
        state, where = ("available locally", str(path)) if ok else ("missing", "nowhere")
        fix = "" if ok else TRAIN_CMD.format(variant=variant)
        rows.append(ModelStatus(f"caption:{variant}", description, state, where, fix))
    return rows
