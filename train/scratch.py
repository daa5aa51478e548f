"""Course report 2: train the twelve from-scratch architectures on CIFAR-100 (or Fashion-MNIST) and rank them, with
the variants the report describes but did not train (RNNs reading columns or 8x8 patches, Post-LN ViTs).

The course's loop: AdamW(weight_decay 1e-4) + CosineAnnealingLR, gradient clipping 1.0, cross-entropy; CIFAR-100
normalisation; RandomCrop(32, padding 4) + HFlip; 45,000 / 5,000 / 10,000 split. Per-model lr / batch / epochs as
the course where it gave them (RECIPES below). Each model gets checkpoints/zoo/<dataset>/<name>/ (safetensors +
config.json + metrics.json) and the folder gets leaderboard.json / leaderboard.md.

Examples:
  python -m train.scratch --list-models
  python -m train.scratch --dataset cifar100                      # all of RECIPES, course recipes
  python -m train.scratch --dataset fashion_mnist --models simple_cnn simple_vit --epochs 3 --max-samples 15000
  python -m train.scratch --dataset fashion_mnist --leaderboard-only   # rewrite leaderboard.md, train nothing

Models are only comparable on one budget (training images, epochs, augmentation, schedule): leaderboard.md states
it in its header, or says that the rows' budgets differ.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

import torch

from core.catalog import ZOO, ZooEntry, build_architecture
from core.catalog.checkpoint import CONFIG_FILE, read_config, save_checkpoint, write_json
from core.catalog.weights import REPO_ROOT
from core.training.loop import EVAL_BATCH_SIZE, TensorBatches
from core.training.zoo_data import DATASETS, load_dataset
from train.common import (
    Timer,
    budget_header,
    evaluate,
    pick_device,
    seed_everything,
    train_one_epoch,
    write_run_metrics,
)

# name -> (lr, batch size, epochs). The course gave the first four; the rest follow the closest documented one:
# Transformers like SimpleViT (3e-4/128) for 50 epochs, RNNs like the MLP/CNN (1e-3/128) for 30. The Post-LN
# ViTs and the column / 8x8-patch readings are variants the course describes (report 2, 4.3 and 6.1) but did not
# train: they take the recipe of the model they vary.
RECIPES: dict[str, tuple[float, int, int]] = {
    "softmax": (0.1, 256, 30),
    "mlp": (1e-3, 128, 50),
    "simple_cnn": (1e-3, 128, 50),
    "simple_vit": (3e-4, 128, 100),
    "custom_vit": (3e-4, 128, 100),
    "cnn_transformer": (3e-4, 128, 50),
    "spatial_token_vit": (3e-4, 128, 50),
    "channel_token_vit": (3e-4, 128, 50),
    "gru_row": (1e-3, 128, 30),
    "gru_patch4": (1e-3, 128, 30),
    "lstm_row": (1e-3, 128, 30),
    "lstm_patch4": (1e-3, 128, 30),
    "gru_col": (1e-3, 128, 30),
    "gru_patch8": (1e-3, 128, 30),
    "lstm_col": (1e-3, 128, 30),
    "lstm_patch8": (1e-3, 128, 30),
    "simple_vit_post_ln": (3e-4, 128, 100),
    "custom_vit_post_ln": (3e-4, 128, 100),
}
COURSE_RECIPES = {k: RECIPES[k] for k in ("softmax", "mlp", "simple_cnn", "simple_vit")}  # printed in report 2, 3.2

ZOO_BY_NAME = {z.name: z for z in ZOO}
# What every model of this script gets (it has never trained without them), recorded in each row's budget.
AUGMENTATION = "RandomCrop(32, padding 4) + horizontal flip"
SCHEDULE = "AdamW (weight decay {wd}) + cosine annealing per step to 0 over all epochs, gradient clipping {clip}"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--list-models", action="store_true", help="print each model with its parameter count and exit")
    p.add_argument(
        "--models",
        nargs="+",
        default=list(RECIPES),
        choices=list(RECIPES),
        metavar="NAME",
        help="which architectures to train (default: every one in RECIPES)",
    )
    p.add_argument("--dataset", choices=DATASETS, default="cifar100", help="cifar100 or fashion_mnist")
    p.add_argument("--data-dir", default=str(REPO_ROOT / "data"), help="dataset root (default: ./data)")
    p.add_argument("--epochs", type=int, help="override every model's epoch count")
    p.add_argument("--lr", type=float, help="override every model's learning rate")
    p.add_argument("--batch-size", type=int, help="override every model's batch size")
    p.add_argument("--weight-decay", type=float, default=1e-4, help="AdamW weight decay (course: 1e-4)")
    p.add_argument("--grad-clip", type=float, default=1.0, help="max gradient norm (course: 1.0)")
    p.add_argument("--val-size", type=int, default=5000, help="images held out of train for validation (5,000)")
    p.add_argument("--max-samples", type=int, help="cap the training images (quick runs; val is not capped)")
    p.add_argument(
        "--max-test", type=int, help="evaluate on the first N test images only (the rest stay unseen, e.g. for checks)"
    )
    p.add_argument("--device", default="auto", help="auto, cpu, cuda ...")
    p.add_argument("--seed", type=int, default=0, help="seed for init, split, shuffling and augmentation")
    p.add_argument("--fp16", action="store_true", help="store weights as float16 (half the size; for committing)")
    p.add_argument("--tiny", action="store_true", help="tiny instances of the same classes (tests)")
    p.add_argument("--out-dir", help="output folder (default: checkpoints/zoo/<dataset>)")
    p.add_argument(
        "--leaderboard-only",
        action="store_true",
        help="train nothing: rewrite leaderboard.md from leaderboard.json and each model's config.json",
    )
    return p.parse_args(argv)


def count_params(entry: ZooEntry, num_classes: int = 100) -> int:
    model = build_architecture(entry.arch, num_classes=num_classes, **entry.model_args)
    return sum(p.numel() for p in model.parameters())


def train_model(entry: ZooEntry, args, data, split, device, out_dir: Path, command: str) -> dict:
    lr, batch, epochs = RECIPES[entry.name]
    lr, batch, epochs = args.lr or lr, args.batch_size or batch, args.epochs or epochs
    seed_everything(args.seed)
    model_args = {"num_classes": len(data.labels), **entry.model_args, **(entry.tiny_args if args.tiny else {})}
    model = build_architecture(entry.arch, **model_args).to(device)
    params = sum(p.numel() for p in model.parameters())
    gen = torch.Generator().manual_seed(args.seed)
    norm = data.preprocess.normalise
    train_x, train_y, val_x, val_y, test_x, test_y = split
    train_batches = TensorBatches(train_x, train_y, batch, norm, gen, augment=True)
    val_batches = TensorBatches(val_x, val_y, EVAL_BATCH_SIZE, norm)
    test_batches = TensorBatches(test_x, test_y, EVAL_BATCH_SIZE, norm)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=args.weight_decay)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, epochs * len(train_batches)))
    print(
        f"== {entry.name}: {params:,} params, lr {lr}, batch {batch}, {epochs} epochs, "
        f"{len(train_y)} train / {len(val_y)} val / {len(test_y)} test"
    )
    history = []
    with Timer() as total:
        for epoch in range(1, epochs + 1):
            with Timer() as t:
                loss, acc = train_one_epoch(
                    model, train_batches, optimizer, scheduler, device, grad_clip=args.grad_clip, log=lambda s: None
                )
                val = evaluate(model, val_batches, device, data.labels)
            history.append(
                {
                    "epoch": epoch,
                    "train_loss": loss,
                    "train_acc": acc,
                    "val_loss": val["loss"],
                    "val_acc": val["accuracy"],
                    "seconds": round(t.seconds, 1),
                }
            )
            print(
                f"  epoch {epoch}: train {loss:.4f}/{acc:.4f} val {val['loss']:.4f}/{val['accuracy']:.4f} "
                f"({t.seconds:.0f}s)",
                flush=True,
            )
    test = evaluate(model, test_batches, device, data.labels)
    print(f"  test accuracy {test['accuracy']:.4f}, F1-macro {test['f1_macro']:.4f}", flush=True)
    model = model.cpu().eval()
    if args.fp16:
        model = model.half()
    folder = out_dir / entry.name
    train_config = {
        **vars(args),
        "models": [entry.name],
        "lr": lr,
        "batch_size": batch,
        "epochs": epochs,
        "train_samples": len(train_y),
        "test_samples": len(test_y),
        "command": command,
    }
    save_checkpoint(
        folder,
        model,
        arch=entry.arch,
        model_args=model_args,
        labels=data.labels,
        preprocess=data.preprocess.to_dict(),
        train_config=train_config,
        extra={"dataset": args.dataset, "dtype": "float16" if args.fp16 else "float32"},
    )
    summary = {
        "params": params,
        "test_accuracy": test["accuracy"],
        "f1_macro": test["f1_macro"],
        "val_accuracy": history[-1]["val_acc"] if history else None,
        "accuracy_per_million_params": test["accuracy"] * 100 / (params / 1e6),
        "epochs": epochs,
        "lr": lr,
        "batch_size": batch,
        "train_samples": len(train_y),
        "test_samples": len(test_y),
        "train_seconds": round(total.seconds, 1),
        "budget": budget(len(train_y), epochs, args.weight_decay, args.grad_clip),
    }
    write_run_metrics(folder, history, test, summary, device, command)
    return summary


def budget(train_images: int, epochs: int, weight_decay: float, grad_clip: float) -> dict:
    """The training budget a leaderboard row was trained on (what must match for rows to be compared)."""
    return {
        "train_images": train_images,
        "epochs": epochs,
        "augmentation": AUGMENTATION,
        "schedule": SCHEDULE.format(wd=weight_decay, clip=grad_clip),
    }


def row_budget(row: dict, folder: Path) -> dict:
    """A row's budget; rows written before budgets were recorded get it from their summary and config.json (this
    script always augmented and always used the cosine schedule)."""
    if "budget" in row:
        return row["budget"]
    train_config = read_config(folder).get("train_config", {}) if (folder / CONFIG_FILE).is_file() else {}
    return budget(
        row["train_samples"], row["epochs"], train_config.get("weight_decay", 1e-4), train_config.get("grad_clip", 1.0)
    )


def describe_budget(b: dict, rows: dict[str, dict]) -> str:
    lrs, batches = {r.get("lr") for r in rows.values()}, {r.get("batch_size") for r in rows.values()}
    if len(lrs) == len(batches) == 1 and None not in lrs | batches:
        recipe = f"learning rate {lrs.pop()} and batch size {batches.pop()} for every model"
    else:
        recipe = "learning rate and batch size per model, as each run used them (lr and batch columns)"
        overrides = recipe_overrides(rows)
        source = "train/scratch.py RECIPES"
        recipe += f"; from {source} except: {'; '.join(overrides)}" if overrides else f", those of {source}"
    return (
        f"{b['train_images']:,} training images, {b['epochs']} epochs, augmentation {b['augmentation']}, "
        f"schedule {b['schedule']}; {recipe}."
    )


def recipe_overrides(rows: dict[str, dict]) -> list[str]:
    """Rows whose run used another lr or batch size than RECIPES (an --lr / --batch-size override), in words."""
    out = []
    for name, r in rows.items():
        if name not in RECIPES:
            continue
        lr, batch, _ = RECIPES[name]
        changed = [f"{what} {r[key]} (recipe {want})" for what, key, want in (("lr", "lr", lr), ("batch size",
                   "batch_size", batch)) if r.get(key) is not None and r[key] != want]  # fmt: skip
        if changed:
            out.append(f"{name} ran at {' and '.join(changed)}")
    return out


def lr_cell(name: str, lr) -> str:
    """The lr a row ran at, and the course's (report 2, 3.2) beside it where the course printed another."""
    course = COURSE_RECIPES.get(name)
    if lr is None:
        return ""
    return f"{lr} (course {course[0]})" if course and course[0] != lr else f"{lr}"


def _pct(value) -> str:
    return "" if value is None else f"{100 * value:.2f}%"


def write_leaderboard(out_dir: Path, results: dict[str, dict], dataset: str) -> None:
    path = out_dir / "leaderboard.json"
    board = {}
    if path.is_file():
        import json

        board = json.loads(path.read_text())
    board.update(results)
    write_json(path, board)
    rows = sorted(board.items(), key=lambda kv: -kv[1]["test_accuracy"])
    budgets = {name: row_budget(r, out_dir / name) for name, r in rows}
    course_lrs = ", ".join(f"{name} {lr}" for name, (lr, _, _) in COURSE_RECIPES.items())
    lines = [
        f"# Leaderboard: {dataset}",
        "",
        *budget_header(
            budgets,
            lambda b: describe_budget(b, dict(rows)),
            "Retrain them all with one `--epochs` and `--max-samples` to rank architectures.",
        ),
        "Val acc: the validation split (`--val-size` training images held out, never trained on) after the last "
        "epoch; test acc: the test images (the first `--max-test` of them). Where a run used another learning rate "
        f"than the course printed (report 2, 3.2: {course_lrs}), the lr column gives the course's beside it. "
        "Time: wall-clock seconds of training on the machine named in the row's metrics.json, under whatever else "
        "ran there: compare times only between rows trained side by side.",
        "",
        "| rank | model | params | test acc | val acc | F1-macro | acc %/M params | epochs | lr | batch | train imgs "
        "| time (s) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for rank, (name, r) in enumerate(rows, 1):
        lines.append(
            f"| {rank} | {name} | {r['params']:,} | {_pct(r['test_accuracy'])} | {_pct(r.get('val_accuracy'))} | "
            f"{r['f1_macro']:.3f} | {r['accuracy_per_million_params']:.1f} | {r['epochs']} | "
            f"{lr_cell(name, r.get('lr'))} | {r.get('batch_size', '')} | {r['train_samples']} | {r['train_seconds']} |"
        )
    (out_dir / "leaderboard.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> dict[str, dict]:
    args = parse_args(argv)
    if args.list_models:
        for entry in ZOO_BY_NAME.values():
            print(f"{entry.name:<18} {count_params(entry):>10,}  (course: {entry.course_params})  {entry.family}")
        return {}
    out_dir = Path(args.out_dir or REPO_ROOT / "checkpoints" / "zoo" / args.dataset)
    if args.leaderboard_only:
        write_leaderboard(out_dir, {}, args.dataset)
        print(f"leaderboard: {out_dir / 'leaderboard.md'}")
        return {}
    command = "python -m train.scratch " + shlex.join(sys.argv[1:] if argv is None else argv)
    device = pick_device(args.device)
    data = load_dataset(args.dataset, args.data_dir)
    order = torch.randperm(len(data.train_y), generator=torch.Generator().manual_seed(args.seed))
    val_idx, train_idx = order[: args.val_size], order[args.val_size :]
    if args.max_samples:
        train_idx = train_idx[: args.max_samples]
    n_test = min(args.max_test or len(data.test_y), len(data.test_y))
    split = (
        data.train_x[train_idx],
        data.train_y[train_idx],
        data.train_x[val_idx],
        data.train_y[val_idx],
        data.test_x[:n_test],
        data.test_y[:n_test],
    )
    results = {}
    for name in args.models:
        results[name] = train_model(ZOO_BY_NAME[name], args, data, split, device, out_dir, command)
        write_leaderboard(out_dir, {name: results[name]}, args.dataset)
    print(f"leaderboard: {out_dir / 'leaderboard.md'}")
    return results


if __name__ == "__main__":
    main()
