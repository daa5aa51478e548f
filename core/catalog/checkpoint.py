"""Self-describing checkpoints: model.safetensors + config.json (+ metrics.json) in one folder.

See docs/ARCHITECTURE.md, "Checkpoints".

The config holds everything needed to rebuild the module offline: architecture name and hyperparameters, labels,
preprocessing, and the train config. Loading never unpickles anything.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
METRICS_FILE = "metrics.json"
FORMAT_VERSION = 1


def save_checkpoint(
    directory: str | Path,
    module,
    *,
    arch: str,
    model_args: dict[str, Any],
    labels: list[str],
    preprocess: dict[str, Any],
    train_config: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> Path:
    from safetensors.torch import save_model

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    save_model(module, str(directory / WEIGHTS_FILE))  # handles tied/shared tensors, unlike save_file
    config = {
        "format_version": FORMAT_VERSION,
        "arch": arch,
        "model_args": model_args,
        "labels": list(labels),
        "preprocess": preprocess,
        "train_config": train_config or {},
        **(extra or {}),
    }
    write_json(directory / CONFIG_FILE, config)
    return directory


def read_config(directory: str | Path) -> dict[str, Any]:
    return json.loads((Path(directory) / CONFIG_FILE).read_text(encoding="utf-8"))


def read_metrics(directory: str | Path) -> dict[str, Any] | None:
    path = Path(directory) / METRICS_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def load_checkpoint(directory: str | Path, device: str = "cpu"):
    """Rebuild the module from config.json alone and load its safetensors weights (strict)."""
    from safetensors.torch import load_model

    from core.catalog.registry import build_architecture

    directory = Path(directory)
    config = read_config(directory)
    model_args = _tuples(config["model_args"])
    module = build_architecture(config["arch"], **model_args)
    load_model(module, str(directory / WEIGHTS_FILE), strict=True, device=device)
    return module.eval(), config


def write_json(path: Path, data: Any) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)  # atomic: a reader never sees half a file


def _tuples(args: dict[str, Any]) -> dict[str, Any]:
    # JSON has no tuples; architectures take tuples for per-stage settings.
    return {k: tuple(v) if isinstance(v, list) else v for k, v in args.items()}
