"""VQA chat benchmark: answer latency with cached image features vs recomputing them, and the first turn.

Run: python -m tests.benchmarks.bench_vqa [--repeats 30] [--smoke]
Uses the committed easy-VQA checkpoints when present (else tiny random models), on CPU, batch 1.
Prints ratios measured in this one run; it is not a timed test. --smoke (tests/test_benchmarks.py): the tiny random
models whatever is committed, one repeat, the same session code; its numbers mean nothing.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
IMAGE = REPO / "examples" / "vqa" / "easy_vqa_test_0.png"
PHOTO = REPO / "examples" / "images" / "tach_ca_phe.jpg"


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=30, help="timed repetitions (median reported)")
    p.add_argument("--smoke", action="store_true", help="tiny random models, 1 repeat: checks the code runs")
    args = p.parse_args(argv)
    if args.smoke:
        args.repeats = 1
    import torch

    from core.catalog import VQA_VARIANTS
    from core.catalog.weights import WeightsUnavailable
    from core.vqa import service as session

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"{'variant':<16} {'image':<10} {'first turn':>11} {'cached':>9} {'recompute':>10} {'ratio':>6}")
    for variant in VQA_VARIANTS:
        vqa, profile = None, "tiny"
        if not args.smoke:
            try:
                vqa, profile = session.load_vqa(variant, "easy_vqa"), "checkpoint"
            except WeightsUnavailable:
                pass
        if vqa is None:
            vqa = session.load_vqa(variant, "easy_vqa", "tiny")
        for image in (IMAGE, PHOTO):
            session.FEATURES.clear()
            t = time.perf_counter()
            session.answer_question(vqa, str(image), "what color is the shape?")
            first = (time.perf_counter() - t) * 1000
            cached, fresh = [], []
            for _ in range(args.repeats):
                t = time.perf_counter()
                session.answer_question(vqa, str(image), "is there a circle?")
                cached.append((time.perf_counter() - t) * 1000)
                t = time.perf_counter()
                session.answer_question(vqa, str(image), "is there a circle?", use_cache=False)
                fresh.append((time.perf_counter() - t) * 1000)
            c, f = statistics.median(cached), statistics.median(fresh)
            print(
                f"{variant:<16} {image.suffix[1:] + ' ' + profile[:4]:<10} {first:>9.1f}ms {c:>7.2f}ms "
                f"{f:>8.2f}ms {f / c:>6.1f}"
            )


if __name__ == "__main__":
    main()
