"""Recompute a text checkpoint's test metrics (accuracy, F1-macro, confusion, most confused pairs) from its files.

The checkpoint's own tokenizer.json and train config (header removal, seed) are used, so the numbers are those of
the same test set the training script reported. Also prints evaluation throughput (documents per second).

Examples:
  python -m train.evaluate_text --checkpoint checkpoints/text/gru_20ng
  python -m train.evaluate_text --checkpoint checkpoints/text/minilm_wordnet
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from core.catalog.checkpoint import METRICS_FILE, load_checkpoint, read_metrics, write_json
from core.text import WORDNET_NAME
from core.text import tokenizer as wp
from train.common import Timer, evaluate, pick_device
from train.text import load_data, make_loader


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", required=True, help="folder with model.safetensors, config.json, tokenizer.json")
    p.add_argument("--data-dir", help="dataset location (default: the one used in training)")
    p.add_argument("--max-samples", type=int, help="as in training: caps train, test gets a fifth")
    p.add_argument("--batch-size", type=int, default=32, help="evaluation batch size")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda ...")
    p.add_argument("--write", action="store_true", help="store the recomputed test metrics in metrics.json")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    device = pick_device(args.device)
    folder = Path(args.checkpoint)
    model, config = load_checkpoint(folder, device=str(device))
    train_config = config.get("train_config", {})
    found = wp.for_checkpoint(folder, config)
    if found is None:
        raise FileNotFoundError(f"{folder / wp.TOKENIZER_FILE} is missing and the config names no packaged tokenizer")
    tokenizer = found[0]
    tokenizer.enable_truncation(int(train_config.get("max_length", wp.MAX_TOKENS)))
    # The data as the training script read it (its own train config), the same test split.
    data_args = argparse.Namespace(
        dataset="wordnet" if train_config.get("dataset") == WORDNET_NAME else "20ng",
        data_dir=args.data_dir or train_config.get("data_dir"),
        val_fraction=train_config.get("val_fraction", 0.1),
        seed=train_config.get("seed", 0),
        max_samples=args.max_samples if args.max_samples is not None else train_config.get("max_samples"),
        max_train=train_config.get("max_train"),
    )
    splits = load_data(data_args, tuple(train_config.get("remove", ())))
    if splits.labels != config["labels"]:
        raise SystemExit("the dataset's groups differ from the checkpoint's labels")
    loader = make_loader(tokenizer, splits.test, args.batch_size, wp.pad_id(tokenizer), data_args, train=False)
    with Timer() as timer:
        test = evaluate(model.to(device), loader, device, config["labels"])
    summary = {
        **{k: test[k] for k in ("accuracy", "f1_macro", "num_samples", "most_confused")},
        "docs_per_second": round(len(splits.test) / max(timer.seconds, 1e-9), 1),
    }
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    if args.write:
        metrics = read_metrics(folder) or {}
        metrics["test"] = test
        write_json(folder / METRICS_FILE, metrics)
    return test


if __name__ == "__main__":
    from core.catalog.weights import WeightsUnavailable
    from core.text.data import DataUnavailable
    from core.text.pretrained import PackageUnavailable

    try:
        main()
    except (WeightsUnavailable, FileNotFoundError, DataUnavailable, PackageUnavailable) as exc:
        # something to download or put in place: say what
        raise SystemExit(f"error: {exc}") from None
