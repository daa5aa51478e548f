"""Course VQA report: train the four variants ({MobileNetV2, small CNN} x {attention, no attention}).

Datasets: easy-VQA (inside the `easy-vqa` package: offline) or any dataset in the layout of core/vqa/data.py
(the course's Vietnamese food set is not public; put yours in that layout. Report 003 states 65,331 samples split
into Train 41,613 + Validation 4,839 + Test 10,879, which add up to 57,331: core.vqa.answers.course_food_split_note).
Writes checkpoints/vqa/<dataset>/<variant>/ (safetensors + config.json with vocabulary and answers + metrics.json) and a
leaderboard with the majority-answer baseline beside the variants. The course's report gives the four variants' results
but not their training settings (epochs, learning rate, image size); the defaults below are this script's.

Variants are only comparable on one budget (training questions, epochs, schedule, backbone start): leaderboard.md
states it in its header, or says that the rows' budgets differ. Image size is a column (each encoder has its own
default, which sets its grid of cells).

Examples:
  python -m train.vqa --dataset easy_vqa                                   # all four, this script's defaults
  python -m train.vqa --dataset folder --data-dir data/food_vqa --pretrained-backbone --freeze-backbone
  python -m train.vqa --dataset easy_vqa --leaderboard-only                # rewrite leaderboard.md, train nothing
  python -m train.vqa --dataset easy_vqa --ood-only --ood-percentile 99    # calibrate the OOD check (ood.json)
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections import Counter
from pathlib import Path

import torch
from PIL import Image

from core.catalog.checkpoint import CONFIG_FILE, read_config, save_checkpoint, write_json
from core.catalog.preprocess import Preprocess
from core.catalog.weights import REPO_ROOT, SourceFailed, TorchvisionWeights
from core.runtime.batching import eval_batch_size
from core.vqa.data import easy_vqa_splits, load_layout
from core.vqa.model import VQAModel, pad_batch
from core.vqa.text import Vocabulary
from train.common import Timer, budget_header, pick_device, seed_everything, write_run_metrics

VARIANTS = {
    "mobilenet_att": ("mobilenet_v2", True),
    "mobilenet_noatt": ("mobilenet_v2", False),
    "cnn_att": ("small_cnn", True),
    "cnn_noatt": ("small_cnn", False),
}
DEFAULT_IMAGE_SIZE = {"mobilenet_v2": 128, "small_cnn": 64}  # MobileNetV2 at 128 px -> 4x4 cells; CNN 64 -> 8x8


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset", choices=["easy_vqa", "folder"], default="easy_vqa", help="easy_vqa or a layout folder")
    p.add_argument("--data-dir", help="layout folder for --dataset folder (see core/vqa/data.py)")
    p.add_argument("--name", help="dataset name for the output folder (default: easy_vqa, or the folder's name)")
    p.add_argument(
        "--variants",
        nargs="+",
        choices=list(VARIANTS),
        default=list(VARIANTS),
        metavar="VARIANT",
        help=f"which of {', '.join(VARIANTS)} to train (default: all)",
    )
    p.add_argument("--epochs", type=int, default=5, help="training epochs")
    p.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate")
    p.add_argument("--batch-size", type=int, default=64, help="batch size")
    p.add_argument("--image-size", type=int, help="input size (default: 128 MobileNetV2, 64 small CNN)")
    p.add_argument(
        "--pretrained-backbone",
        action="store_true",
        help="start MobileNetV2 from torchvision's ImageNet weights (needs them cached or network)",
    )
    p.add_argument("--freeze-backbone", action="store_true", help="keep the MobileNetV2 backbone frozen")
    p.add_argument("--segment-words", action="store_true", help="pyvi word segmentation instead of syllables")
    p.add_argument("--max-samples", type=int, help="cap training questions (quick runs, tests)")
    p.add_argument("--max-test", type=int, help="cap test questions")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda ...")
    p.add_argument("--seed", type=int, default=0, help="seed for init, split and shuffling")
    p.add_argument("--fp16", action="store_true", help="store weights as float16 (for committing)")
    p.add_argument("--out-dir", help="output folder (default: checkpoints/vqa/<name>)")
    p.add_argument(
        "--leaderboard-only",
        action="store_true",
        help="train nothing: rewrite leaderboard.md from leaderboard.json and each variant's config.json",
    )
    p.add_argument(
        "--ood-only",
        action="store_true",
        help="train nothing: calibrate the out-of-domain signal of each variant's checkpoint (writes ood.json)",
    )
    p.add_argument("--ood-percentile", type=float, default=97.5, help="threshold: this percentile of held-out scores")
    p.add_argument("--ood-max-fit", type=int, default=2000, help="training images the OOD statistics are fitted on")
    return p.parse_args(argv)


class ImageCache:
    """Every distinct image decoded once, at the training size, as uint8 (the app's preprocessing)."""

    def __init__(self, paths: list[str], pre: Preprocess):
        self.index = {p: i for i, p in enumerate(dict.fromkeys(paths))}
        self.pixels = torch.stack([pre.crop(Image.open(p).convert("RGB")) for p in self.index])  # (N, 3, S, S)
        self.pre = pre

    def batch(self, paths: list[str]) -> torch.Tensor:
        return self.pre.normalise(self.pixels[[self.index[p] for p in paths]])


def batches(samples, vocab, answer_index, cache, batch_size, generator=None):
    order = torch.randperm(len(samples), generator=generator).tolist() if generator else range(len(samples))
    order = list(order)
    for i in range(0, len(order), batch_size):
        chunk = [samples[j] for j in order[i : i + batch_size]]
        ids, lengths = pad_batch([vocab.encode(s.question)[0] for s in chunk])
        targets = torch.tensor([answer_index.get(s.answer, -100) for s in chunk])
        yield cache.batch([s.image for s in chunk]), ids, lengths, targets


@torch.no_grad()
def evaluate(model, samples, vocab, answer_index, cache, device) -> dict:
    """Each distinct image is encoded once (a few questions share every image), as the chat does."""
    model.eval()
    loss_fn = torch.nn.CrossEntropyLoss(reduction="sum", ignore_index=-100)
    images = list(dict.fromkeys(s.image for s in samples))
    row = {p: i for i, p in enumerate(images)}
    step = eval_batch_size(model.backbone, cache.batch(images[:1]).to(device))  # sized by activation memory
    cells = torch.cat(
        [model.encode_image(cache.batch(images[i : i + step]).to(device)) for i in range(0, len(images), step)]
    )  # (images, N, hidden)
    total, correct, n = 0.0, 0, 0
    for i in range(0, len(samples), 512):
        chunk = samples[i : i + 512]
        ids, lengths = pad_batch([vocab.encode(s.question)[0] for s in chunk])
        y = torch.tensor([answer_index.get(s.answer, -100) for s in chunk])
        logits, _ = model.answer(cells[[row[s.image] for s in chunk]], ids.to(device), lengths)
        total += loss_fn(logits, y.to(device)).item()
        correct += int((logits.argmax(1).cpu() == y).sum())
        n += len(y)
    return {"loss": total / max(n, 1), "accuracy": correct / max(n, 1), "num_samples": n}


def train_variant(variant, args, splits, vocab, answers, device, out_dir, command) -> dict:
    encoder, attention = VARIANTS[variant]
    size = args.image_size or DEFAULT_IMAGE_SIZE[encoder]
    pre = Preprocess(crop_size=size, resize_size=size)
    seed_everything(args.seed)
    model_args = dict(vocab_size=len(vocab), num_answers=len(answers), encoder=encoder, attention=attention)
    model = VQAModel(**model_args)
    if args.pretrained_backbone and encoder == "mobilenet_v2":
        try:
            model.load_imagenet_backbone(TorchvisionWeights("MobileNet_V2_Weights.IMAGENET1K_V2").state_dict())
        except SourceFailed as exc:
            raise SystemExit(
                f"{exc}. Run `python -m demo.prefetch` with network, or drop --pretrained-backbone."
            ) from None
    if args.freeze_backbone:
        model.backbone.requires_grad_(False)
    model.to(device)
    answer_index = {a: i for i, a in enumerate(answers)}
    cache = ImageCache([s.image for part in splits.values() for s in part], pre)
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=args.lr)
    loss_fn = torch.nn.CrossEntropyLoss(ignore_index=-100)
    gen = torch.Generator().manual_seed(args.seed)
    params = sum(p.numel() for p in model.parameters())
    print(f"== {variant}: {params:,} params, {size}px, {len(splits['train'])} train questions", flush=True)
    history = []
    with Timer() as total:
        for epoch in range(1, args.epochs + 1):
            model.train()
            if args.freeze_backbone:
                model.backbone.eval()  # frozen means frozen BatchNorm statistics too
            seen, loss_sum, correct = 0, 0.0, 0
            with Timer() as t:
                for x, ids, lengths, y in batches(splits["train"], vocab, answer_index, cache, args.batch_size, gen):
                    logits, _ = model(x.to(device), ids.to(device), lengths)
                    loss = loss_fn(logits, y.to(device))
                    optimizer.zero_grad(set_to_none=True)
                    loss.backward()
                    optimizer.step()
                    loss_sum += loss.item() * len(y)
                    correct += int((logits.argmax(1).cpu() == y).sum())
                    seen += len(y)
                val = evaluate(model, splits["val"], vocab, answer_index, cache, device)
            history.append(
                {
                    "epoch": epoch,
                    "train_loss": loss_sum / seen,
                    "train_acc": correct / seen,
                    "val_loss": val["loss"],
                    "val_acc": val["accuracy"],
                    "seconds": round(t.seconds, 1),
                }
            )
            print(
                f"  epoch {epoch}: train {loss_sum / seen:.4f}/{correct / seen:.4f} "
                f"val {val['loss']:.4f}/{val['accuracy']:.4f} ({t.seconds:.0f}s)",
                flush=True,
            )
    test = evaluate(model, splits["test"], vocab, answer_index, cache, device)
    print(f"  test accuracy {test['accuracy']:.4f} (loss {test['loss']:.4f})", flush=True)
    model = model.cpu().eval()
    if args.fp16:
        model = model.half()
    folder = out_dir / variant
    save_checkpoint(
        folder,
        model,
        arch="vqa",
        model_args=model_args,
        labels=answers,
        preprocess=pre.to_dict(),
        train_config={**vars(args), "variants": [variant], "command": command},
        extra={
            "dataset": args.name,
            "vocab": vocab.tokens,
            "segment_words": vocab.segment_words,
            "dtype": "float16" if args.fp16 else "float32",
        },
    )
    summary = {
        "params": params,
        "test_accuracy": test["accuracy"],
        "test_loss": test["loss"],
        "val_accuracy": history[-1]["val_acc"] if history else None,
        "epochs": args.epochs,
        "train_samples": len(splits["train"]),
        "image_size": size,
        "train_seconds": round(total.seconds, 1),
        "budget": budget(len(splits["train"]), args),
    }
    write_run_metrics(folder, history, test, summary, device, command)
    return summary


def budget(train_questions: int, args) -> dict:
    """What must match for two variants' rows to be compared (image size is a column: it is each encoder's own)."""
    if args.pretrained_backbone:
        backbone = "ImageNet MobileNetV2" + (", frozen" if args.freeze_backbone else ", fine-tuned")
    else:
        backbone = "from scratch"
    return {
        "train_questions": train_questions,
        "epochs": args.epochs,
        "augmentation": "none",
        "schedule": f"Adam, constant learning rate {args.lr}, batch {args.batch_size}",
        "backbone": backbone,
    }


def row_budget(row: dict, folder: Path) -> dict:
    """A row's budget; rows written before budgets were recorded get it from their config.json."""
    if "budget" in row:
        return row["budget"]
    config = read_config(folder) if (folder / CONFIG_FILE).is_file() else {}
    tc = config.get("train_config", {})
    args = argparse.Namespace(
        epochs=row["epochs"],
        lr=tc.get("lr", 1e-3),
        batch_size=tc.get("batch_size", 64),
        pretrained_backbone=tc.get("pretrained_backbone", False),
        freeze_backbone=tc.get("freeze_backbone", False),
    )
    return budget(row["train_samples"], args)


def row_image_size(row: dict, folder: Path) -> int | str:
    if "image_size" in row:
        return row["image_size"]
    config = read_config(folder) if (folder / CONFIG_FILE).is_file() else {}
    return config.get("preprocess", {}).get("crop_size", "?")


def describe_budget(b: dict) -> str:
    return (
        f"{b['train_questions']:,} training questions, {b['epochs']} epochs, augmentation {b['augmentation']}, "
        f"{b['schedule']}, image encoder {b['backbone']}; image size per encoder (column)."
    )


def write_leaderboard(out_dir: Path, name: str, results: dict[str, dict], majority=None) -> None:
    """leaderboard.json (merged with what is there) and leaderboard.md, with the budget in the header."""
    board_path = out_dir / "leaderboard.json"
    board = json.loads(board_path.read_text()) if board_path.is_file() else {}
    board.update(results)
    if majority is not None:
        board["majority_baseline"] = {"answer": majority[0], "test_accuracy": majority[1]}
    write_json(board_path, board)
    rows = sorted(((k, v) for k, v in board.items() if k in VARIANTS), key=lambda kv: -kv[1]["test_accuracy"])
    budgets = {k: row_budget(r, out_dir / k) for k, r in rows}
    fix = "Retrain all four with one `--epochs` and `--max-samples` to compare encoders and attention."
    lines = [
        f"# VQA leaderboard: {name}",
        "",
        *budget_header(budgets, describe_budget, fix),
        "| variant | params | test acc | test loss | epochs | train questions | image px | time (s) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for variant, r in rows:
        lines.append(
            f"| {variant} | {r['params']:,} | {100 * r['test_accuracy']:.2f}% | {r['test_loss']:.4f} | "
            f"{r['epochs']} | {r['train_samples']} | {row_image_size(r, out_dir / variant)} | {r['train_seconds']} |"
        )
    base = board.get("majority_baseline")
    if base:
        lines.append(f"| majority answer ('{base['answer']}') | 0 | {100 * base['test_accuracy']:.2f}% | | | | | |")
    (out_dir / "leaderboard.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def load_splits(args) -> dict:
    splits = easy_vqa_splits(seed=args.seed) if args.dataset == "easy_vqa" else load_layout(args.data_dir, args.seed)
    if args.max_samples:
        splits["train"] = splits["train"][: args.max_samples]
        splits["val"] = splits["val"][: max(1, args.max_samples // 5)]
    if args.max_test:
        splits["test"] = splits["test"][: args.max_test]
    return splits


# ---- out-of-domain calibration (core/vqa/ood.py): statistics from training images, a threshold from held-out ones ----
BUNNY = REPO_ROOT / "examples" / "video" / "big_buck_bunny.mp4"
SHAPES_VIDEO = REPO_ROOT / "examples" / "video" / "shapes_and_captions.mp4"


def other_images(fmnist: int = 300, frames: int = 60) -> dict[str, list[Image.Image]]:
    """Images from other worlds the app has offline, by set: photos (examples/images, scikit-learn's two sample
    photos, and four corner crops of each), Fashion-MNIST test images, Big Buck Bunny frames, and the synthetic
    shapes-and-captions video's frames (nearest to easy-VQA: coloured shapes, but with text and other backgrounds)."""
    from sklearn.datasets import load_sample_images

    from core.training.zoo_data import DEBIAN_FASHION_MNIST, _read_idx
    from core.video.decode import iter_frames

    photos = [Image.open(p).convert("RGB") for p in sorted((REPO_ROOT / "examples" / "images").glob("*.jpg"))]
    photos += [Image.fromarray(a) for a in load_sample_images().images]
    crops = []
    for photo in photos:
        w, h = photo.size
        s = min(w, h) // 2
        crops += [photo.crop((x, y, x + s, y + s)) for x in (0, w - s) for y in (0, h - s)]
    fm = _read_idx(Path(DEBIAN_FASHION_MNIST) / "t10k-images-idx3-ubyte.gz")[:fmnist]
    sets = {"photos": photos + crops, "fashion_mnist": [Image.fromarray(a).convert("RGB") for a in fm]}
    for name, path in (("big_buck_bunny", BUNNY), ("shapes_video", SHAPES_VIDEO)):
        sets[name] = [f.frame.to_image() for i, f in enumerate(iter_frames(path)) if i % 4 == 0][:frames]
    return sets


@torch.no_grad()
def image_summaries(model, pre: Preprocess, images: list, batch: int = 64) -> dict:
    """Both OOD features of each image (paths or PIL images), {"cells", "pixels"}, as the app computes them."""
    import numpy as np

    from core.vqa.ood import image_feature

    out = {"cells": [], "pixels": []}
    for i in range(0, len(images), batch):
        chunk = [
            Image.open(p).convert("RGB") if isinstance(p, str) else p.convert("RGB") for p in images[i : i + batch]
        ]
        crops = torch.stack([pre.crop(im) for im in chunk])
        cells = model.encode_image(pre.normalise(crops))
        for kind in out:
            out[kind].append(image_feature(kind, crops, cells))
    return {kind: np.concatenate(v) for kind, v in out.items()}


CALIBRATION_OTHERS = ("photos", "fashion_mnist")  # choose the feature on these; measure on the video frames


def calibrate_all(out_dir: Path, args, splits: dict, command: str) -> dict:
    """Fit and write ood.json for every variant with a checkpoint in out_dir; print the measured rates."""
    from core.catalog.checkpoint import load_checkpoint
    from core.vqa import ood

    images = {part: list(dict.fromkeys(s.image for s in splits[part])) for part in ("train", "val", "test")}
    others = other_images()
    results = {}
    for variant in args.variants:
        folder = out_dir / variant
        if not (folder / CONFIG_FILE).is_file():
            continue
        model, config = load_checkpoint(folder)
        model = model.float().eval()
        pre = Preprocess.from_dict(config["preprocess"])
        fit_on = images["train"][: args.ood_max_fit]
        feats = {name: image_summaries(model, pre, ims) for name, ims in
                 (("fit", fit_on), ("val", images["val"]), ("test", images["test"]), *others.items())}  # fmt: skip
        candidates = {}
        for kind in ("cells", "pixels"):
            stats = {k: ood.rounded(v) for k, v in ood.fit(feats["fit"][kind]).items()}
            val = ood.scores(stats, feats["val"][kind])
            threshold = ood.percentile_threshold(val, args.ood_percentile)
            rate = {name: ood.flag_rate(ood.scores(stats, feats[name][kind]), threshold) for name in others}
            measured = {
                "in_domain_flagged": {"val (calibration)": ood.flag_rate(val, threshold),
                                      "test": ood.flag_rate(ood.scores(stats, feats["test"][kind]), threshold)},
                "other_images_flagged": {
                    "calibration (chooses the feature)": {n: rate[n] for n in CALIBRATION_OTHERS},
                    "held out": {n: r for n, r in rate.items() if n not in CALIBRATION_OTHERS},
                },
                "counts": {name: len(feats[name][kind]) for name in feats},
            }  # fmt: skip
            caught = sum(rate[n] for n in CALIBRATION_OTHERS)
            candidates[kind] = (caught, stats, threshold, measured)
        kind = max(candidates, key=lambda k: (candidates[k][0], k == "cells"))  # ties: the model's own features
        _, stats, threshold, measured = candidates[kind]
        calibration = {
            "method": ood.METHOD,
            "feature": kind,
            "stats": stats,
            "threshold": round(threshold, 5),
            "percentile": args.ood_percentile,
            "measured": measured,
            "other_feature_measured": candidates["pixels" if kind == "cells" else "cells"][3],
            "command": command,
        }
        ood.write_calibration(folder, calibration)
        print(f"{variant}: feature {kind}, threshold {threshold:.3f}; {json.dumps(measured)}", flush=True)
        results[variant] = measured
    return results


def main(argv: list[str] | None = None) -> dict[str, dict]:
    args = parse_args(argv)
    if args.dataset == "folder" and not args.data_dir:
        raise SystemExit("--dataset folder needs --data-dir")
    args.name = args.name or ("easy_vqa" if args.dataset == "easy_vqa" else Path(args.data_dir).name)
    if args.leaderboard_only:
        out_dir = Path(args.out_dir or REPO_ROOT / "checkpoints" / "vqa" / args.name)
        write_leaderboard(out_dir, args.name, {})
        print(f"leaderboard: {out_dir / 'leaderboard.md'}")
        return {}
    if args.ood_only:
        out_dir = Path(args.out_dir or REPO_ROOT / "checkpoints" / "vqa" / args.name)
        command = "python -m train.vqa " + shlex.join(sys.argv[1:] if argv is None else argv)
        return calibrate_all(out_dir, args, load_splits(args), command)
    command = "python -m train.vqa " + shlex.join(sys.argv[1:] if argv is None else argv)
    device = pick_device(args.device)
    splits = load_splits(args)
    vocab = Vocabulary.build((s.question for s in splits["train"]), segment_words=args.segment_words)
    answers = [a for a, _ in Counter(s.answer for s in splits["train"]).most_common()]
    majority = answers[0]
    baseline = sum(s.answer == majority for s in splits["test"]) / max(len(splits["test"]), 1)
    print(
        f"{len(vocab)} question tokens, {len(answers)} answers; majority answer '{majority}' scores "
        f"{baseline:.4f} on test"
    )
    out_dir = Path(args.out_dir or REPO_ROOT / "checkpoints" / "vqa" / args.name)
    results = {v: train_variant(v, args, splits, vocab, answers, device, out_dir, command) for v in args.variants}
    write_leaderboard(out_dir, args.name, results, (majority, baseline))
    return results


if __name__ == "__main__":
    main()
