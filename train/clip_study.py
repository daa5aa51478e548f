"""Zero-shot vs k-shot CLIP on Flickr30k (course Task 3): accuracy and F1-macro against k, several draws per k.

    python -m train.clip_study --data-dir data/flickr30k           # a local folder: images + a captions file
    python -m train.clip_study                                     # the Hub copy (nlphuji/flickr30k), test split
    python -m train.clip_study --prompts course study              # both prompt phrasings, side by side
    python -m train.clip_study --per-class 100 --all-splits        # balanced, ~100 per class like the course's set

Zero-shot prompts: the course's "a photo of a {class}" by default; --prompts study uses this study's own phrasing
("a photo of {}." with "an outdoor scene", "a dog", ...), --prompts course study reports both (zero-shot and the
zero-shot-initialised probe for each). The keyword labeller's class counts are printed and written to the results;
--per-class N caps every class at N images (the course's set has about 100 per class).

Images are labelled into 10 classes from their five captions (core/clip/study.py states the keyword lists and the
tie-breaking). Each class is split once (seeded) into a support pool and an evaluation set; for every k and draw the
k support images per class are drawn from the pool, both probes (plain, zero-shot-initialised) are fitted, and all
of them are scored on the same evaluation set. Image features are cached on disk (features_<model>.npz beside the
results), so re-running the sweep with other k or draws takes seconds. Writes results.json, results.md and
accuracy_vs_k.png into --out-dir.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

import numpy as np

from core.clip.kshot import PROBES
from core.clip.probe import fit_probe, zero_shot_weight
from core.clip.study import (
    CLASSES,
    PROMPT_SETS,
    balance,
    class_counts,
    hub_flickr,
    label_captions,
    local_flickr,
    select_images,
)
from core.clip.templates import TEMPLATE_SETS
from core.clip.zero_shot import fill, text_weights
from core.training.metrics import classification_metrics

REPO = Path(__file__).resolve().parent.parent
COURSE = {0: (54.60, 0.517), 1: (32.80, 0.338), 5: (61.20, 0.622), 10: (76.40, 0.766), 20: (93.00, 0.932)}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", type=Path, help="folder with Flickr30k images and a captions file (else the Hub)")
    p.add_argument("--captions", type=Path, help="captions file, if not one of the known names inside --data-dir")
    p.add_argument("--model", default="clip_vit_b32_openai", help="CLIP registry name (core/catalog/registry.py)")
    p.add_argument("--profile", default="default", choices=("default", "tiny", "random"), help="weights profile")
    p.add_argument("--num-images", type=int, default=1000, help="images to label when no test split is given")
    p.add_argument("--ks", type=int, nargs="+", default=[0, 1, 5, 10, 20], help="shots per class to sweep")
    p.add_argument("--draws", type=int, default=5, help="random support draws per k >= 1")
    p.add_argument("--pool-per-class", type=int, default=40, help="support pool per class (the rest is evaluated)")
    p.add_argument(
        "--prompts",
        nargs="+",
        choices=sorted(PROMPT_SETS),
        default=["course"],
        help="zero-shot prompts: course ('a photo of a {class}', default), study (this study's phrasing), or both",
    )
    p.add_argument(
        "--templates",
        default="default",
        choices=sorted(TEMPLATE_SETS),
        help="template ensemble for the 'study' prompts (default: its single 'a photo of {}.')",
    )
    p.add_argument("--per-class", type=int, help="balanced mode: at most N images per class (course: about 100)")
    p.add_argument(
        "--all-splits",
        action="store_true",
        help="label images of every split, not only the test split (to fill --per-class for rare classes)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed for image selection, the split and the draws")
    p.add_argument("--batch-size", type=int, default=64, help="images per encoder batch")
    p.add_argument("--out-dir", type=Path, default=REPO / "checkpoints" / "clip_study", help="where results go")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    if args.data_dir:
        items = local_flickr(args.data_dir, args.captions)
    else:
        chooser = None
        if args.per_class:  # extract only the images the balanced set keeps

            def chooser(captions):
                names = list(captions)
                return {names[i] for i in balance([label_captions(captions[n]) for n in names], args.per_class,
                                                   args.seed)}  # fmt: skip

        items = hub_flickr(args.out_dir / "data", split=None if args.all_splits else "test", choose=chooser)
    items = select_images(items, args.num_images, args.seed, all_splits=args.all_splits, keep_all=bool(args.per_class))
    labels = [label_captions(it.captions) for it in items]
    counts = class_counts(labels)
    print("keyword labeller's classes:", json.dumps(counts))
    used = balance(labels, args.per_class, args.seed) if args.per_class else [i for i, lab in enumerate(labels) if lab]
    kept = [(items[i], labels[i]) for i in used]
    used_counts = class_counts([lab for _, lab in kept])
    del used_counts["(no label)"]
    if args.per_class:
        print(f"balanced, at most {args.per_class} per class:", json.dumps(used_counts))
    present = [c for c in CLASSES if used_counts[c] > 0]
    y = np.array([present.index(lab) for _, lab in kept], dtype=np.int64)

    from core.catalog.store import load_model

    model = load_model(args.model, args.profile).module
    key = f"{args.model}/{args.profile}"
    feats, encoded = cached_features(model, [it.path for it, _ in kept], args.out_dir, key, args.batch_size)
    prompts, weights = {}, {}
    for name in args.prompts:
        template, names = PROMPT_SETS[name]
        templates = TEMPLATE_SETS[args.templates] if name == "study" and args.templates != "default" else (template,)
        weights[name], _ = text_weights(model, key, [names[c] for c in present], templates)
        prompts[name] = {"templates": list(templates), "names": [names[c] for c in present],
                         "example": fill(templates[0], names[present[0]])}  # fmt: skip

    pool, evaluate = split_pool(y, args.pool_per_class, args.seed)
    start = time.perf_counter()
    rows = sweep(feats, y, pool, evaluate, weights, model.logit_scale, args.ks, args.draws, args.seed, present)
    summary = summarise(rows)
    result = {
        "config": {**{k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}, "classes": present},
        "prompts": prompts,
        "class_counts": counts,
        "class_counts_used": used_counts,
        "num_labelled": sum(n for c, n in counts.items() if c in CLASSES),
        "num_used": len(kept),
        "num_eval": int(len(evaluate)),
        "features_encoded_this_run": encoded,
        "sweep_seconds": round(time.perf_counter() - start, 2),
        "runs": rows,
        "summary": summary,
    }
    (args.out_dir / "results.json").write_text(json.dumps(result, indent=2))
    text = table(summary, counts, used_counts if args.per_class else None, args.per_class, prompts)
    (args.out_dir / "results.md").write_text(text)
    plot(summary, args.out_dir / "accuracy_vs_k.png")
    print(text)
    return result


def cached_features(model, paths: list[str], out_dir: Path, key: str, batch_size: int) -> tuple[np.ndarray, int]:
    """(N, D) image features, encoding only images not already in out_dir/features_<model>.npz."""
    from core.runtime.images import load_image

    file = out_dir / f"features_{key.replace('/', '_')}.npz"
    cache: dict[str, np.ndarray] = {}
    if file.exists():
        with np.load(file) as data:
            cache = dict(zip(data["keys"].tolist(), data["features"]))
    ids = [hashlib.sha1(f"{Path(p).name}:{Path(p).stat().st_size}".encode()).hexdigest() for p in paths]
    missing = [i for i, k in enumerate(ids) if k not in cache]
    for s in range(0, len(missing), batch_size):
        chunk = missing[s : s + batch_size]
        vectors = model.encode_images([load_image(paths[i]).image for i in chunk])
        cache.update({ids[i]: v for i, v in zip(chunk, vectors)})
        print(f"encoded {min(s + batch_size, len(missing))}/{len(missing)} images", flush=True)
    if missing:
        keys = list(cache)
        np.savez(file, keys=np.array(keys), features=np.stack([cache[k] for k in keys]))
    return np.stack([cache[k] for k in ids]).astype(np.float32), len(missing)


def split_pool(y: np.ndarray, pool_per_class: int, seed: int) -> tuple[dict[int, np.ndarray], np.ndarray]:
    """Per class: up to pool_per_class images (at most half the class) to draw shots from; the rest is evaluated."""
    rng = np.random.default_rng(seed)
    pool, evaluate = {}, []
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        n = min(pool_per_class, len(idx) // 2)
        pool[int(c)], rest = idx[:n], idx[n:]
        evaluate.extend(rest.tolist())
    return pool, np.array(sorted(evaluate), dtype=np.int64)


def sweep(feats, y, pool, evaluate, weights: dict[str, np.ndarray], scale, ks, draws, seed, names) -> list[dict]:
    """One row per (k, draw, method, prompt set) with accuracy and F1-macro on the fixed evaluation set; zero-shot
    and the zero-shot-initialised probe once per prompt set in `weights`, the plain probe (no prompts) once."""
    rows = []
    x_eval, y_eval = feats[evaluate], y[evaluate]
    priors = {p: zero_shot_weight(w, scale) for p, w in weights.items()}
    for p, w in weights.items():
        rows.append(_row(0, 0, "zero_shot", p, y_eval, (x_eval @ w.T).argmax(1), names, [0] * len(names)))
    for k in (k for k in ks if k > 0):
        for d in range(draws):
            rng = np.random.default_rng([seed, k, d])
            chosen = [rng.permutation(pool[c])[:k] for c in sorted(pool)]
            idx = np.concatenate(chosen)
            shots = [len(c) for c in chosen]
            for kind in PROBES:
                for p in [None] if kind == "plain" else list(priors):
                    probe = fit_probe(feats[idx], y[idx], len(names), prior=priors[p] if p else None)
                    rows.append(_row(k, d, kind, p, y_eval, probe.predict(x_eval), names, shots, probe.fit_ms))
    return rows


def _row(k, draw, method, prompts, y_true, y_pred, names, shots, fit_ms=0.0) -> dict:
    m = classification_metrics(y_true, y_pred, names)
    return {"k": k, "draw": draw, "method": method, "prompts": prompts, "accuracy": m["accuracy"],
            "f1_macro": m["f1_macro"], "shots_per_class": shots, "fit_ms": round(fit_ms, 2)}  # fmt: skip


def summarise(rows: list[dict]) -> list[dict]:
    out = []
    for k, method, prompts in dict.fromkeys((r["k"], r["method"], r.get("prompts")) for r in rows):
        same = [r for r in rows if (r["k"], r["method"], r.get("prompts")) == (k, method, prompts)]
        acc, f1 = np.array([r["accuracy"] for r in same]), np.array([r["f1_macro"] for r in same])
        out.append(
            {"k": k, "method": method, "prompts": prompts, "draws": len(acc), "accuracy_mean": float(acc.mean()),
             "accuracy_std": float(acc.std()), "f1_mean": float(f1.mean()), "f1_std": float(f1.std())}
        )  # fmt: skip
    return out


def table(summary, counts, used_counts=None, per_class=None, prompts=None) -> str:
    lines = [
        "| k | method | prompts | draws | accuracy (%) | F1-macro | course accuracy / F1 |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in summary:
        course = COURSE.get(s["k"])
        lines.append(
            f"| {s['k']} | {s['method']} | {s.get('prompts') or '—'} | {s['draws']} | "
            f"{100 * s['accuracy_mean']:.2f} ± {100 * s['accuracy_std']:.2f} | {s['f1_mean']:.3f} ± "
            f"{s['f1_std']:.3f} | " + (f"{course[0]:.2f} / {course[1]:.3f} |" if course else "— |")
        )
    lines.append("")
    for name, p in (prompts or {}).items():
        what = "the course's prompt" if name == "course" else "this study's phrasing"
        lines.append(f"Prompts `{name}` ({what}): {', '.join(repr(t) for t in p['templates'][:3])}"
                     f"{' ...' if len(p['templates']) > 3 else ''}, e.g. {p['example']!r}.")  # fmt: skip
    lines.append("Keyword labeller's classes: " + ", ".join(f"{c} {n}" for c, n in counts.items()))
    if used_counts is not None:
        short = [c for c, n in used_counts.items() if n < per_class]
        lines.append(
            f"Balanced (at most {per_class} per class; the course's set has about 100): "
            + ", ".join(f"{c} {n}" for c, n in used_counts.items())
            + (f". Fewer than {per_class}: {', '.join(short)}." if short else ".")
        )
    return "\n".join(lines) + "\n"


def plot(summary: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4), dpi=110)
    ks = sorted({s["k"] for s in summary if s["k"] > 0})
    for i, zs in enumerate(s for s in summary if s["method"] == "zero_shot"):
        ax.axhline(
            100 * zs["accuracy_mean"], color="gray", ls=("--", "-.")[i % 2], label=f"zero-shot ({zs['prompts']})"
        )
    for method, prompts in dict.fromkeys((s["method"], s.get("prompts")) for s in summary if s["k"] > 0):
        label = "plain probe" if method == "plain" else f"zero-shot-initialised probe ({prompts})"
        rows = [next(s for s in summary if (s["k"], s["method"], s.get("prompts")) == (k, method, prompts)) for k in ks]
        mean = np.array([100 * r["accuracy_mean"] for r in rows])
        std = np.array([100 * r["accuracy_std"] for r in rows])
        ax.errorbar(ks, mean, yerr=std, marker="o", capsize=3, label=label)
    ax.plot(list(COURSE), [v[0] for v in COURSE.values()], "k:", marker="x", label="course (one draw)")
    ax.set(xlabel="k (support images per class)", ylabel="accuracy (%)", title="CLIP on Flickr30k, 10 classes")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


if __name__ == "__main__":
    from core.catalog.weights import WeightsUnavailable

    try:
        main()
    except (WeightsUnavailable, FileNotFoundError) as exc:  # something to download or put in place: say what
        raise SystemExit(f"error: {exc}") from None
