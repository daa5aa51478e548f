"""Recompute a checkpoint's test metrics (accuracy, F1-macro, confusion, most confused pairs) from its files alone.

Examples:
  python -m train.evaluate --checkpoint checkpoints/resnet50_cifar100
  python -m train.evaluate --model resnet50_detectors    # a catalogue entry as the app loads it (public checkpoints)
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from torch.utils.data import DataLoader

from core.catalog.checkpoint import METRICS_FILE, load_checkpoint, read_metrics, write_json
from core.catalog.preprocess import Preprocess
from core.catalog.weights import REPO_ROOT
from core.training.datasets import Transformed, load_splits
from train.common import evaluate, pick_device


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--checkpoint", help="checkpoint folder (model.safetensors + config.json)")
    which.add_argument(
        "--model",
        help="a catalogue entry loaded as the app loads it, e.g. resnet50_detectors / vit_b16_detectors (the public "
        "CIFAR-100 checkpoints: downloaded where the Hub is reachable)",
    )
    p.add_argument("--data", choices=["cifar100", "folder"], help="dataset kind (default: the one trained on)")
    p.add_argument("--data-dir", default=str(REPO_ROOT / "data"), help="dataset root (default: ./data)")
    p.add_argument("--max-samples", type=int, help="cap the train split as in training (test gets a fifth)")
    p.add_argument("--batch-size", type=int, default=64, help="evaluation batch size")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda ...")
    p.add_argument("--write", action="store_true", help="store the recomputed test metrics in metrics.json")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    device = pick_device(args.device)
    if args.model:
        if args.write:
            raise SystemExit("--write stores metrics in a checkpoint folder; --model has none")
        model, config = _catalogue_model(args.model)
    else:
        model, config = load_checkpoint(args.checkpoint, device=str(device))
    train_config = config.get("train_config", {})
    kind = args.data or train_config.get("dataset", "cifar100")
    splits = load_splits(
        kind,
        args.data_dir,
        val_fraction=train_config.get("val_fraction", 0.1),
        seed=train_config.get("seed", 0),
        max_samples=args.max_samples,
        download=True,
    )
    if splits.labels != config["labels"]:
        raise SystemExit("the dataset's classes differ from the checkpoint's labels")
    loader = DataLoader(
        Transformed(splits.test, Preprocess.from_dict(config["preprocess"])), batch_size=args.batch_size
    )
    test = evaluate(model.to(device), loader, device, config["labels"])
    summary = {k: test[k] for k in ("accuracy", "f1_macro", "num_samples", "most_confused")}
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    if args.write:
        metrics = read_metrics(args.checkpoint) or {}
        metrics["test"] = test
        write_json(Path(args.checkpoint) / METRICS_FILE, metrics)
    return test


def _catalogue_model(name: str):
    """The entry's module with the labels and preprocessing the app uses for it (its weights' own, or the entry's)."""
    from core.catalog.store import load_model

    loaded = load_model(name)
    config = {"labels": list(loaded.labels), "preprocess": loaded.preprocess.to_dict(), "train_config": {}}
    return loaded.module, config


if __name__ == "__main__":
    main()
