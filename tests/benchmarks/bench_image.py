"""Image tab benchmark: handler vs bare forward, Grad-CAM cost, app import+build time, peak RSS.

Run: python -m tests.benchmarks.bench_image [--repeats 20] [--smoke]
Uses APP_PROFILE=random (full-size ResNet-50 and ViT-B/16 with random weights: the same compute as the real
ones, no download). Prints ratios measured in this one run; it is not a timed test.
--smoke (tests/test_benchmarks.py): APP_PROFILE=tiny (the same classes, tiny), one repeat, the same handler, app
import and peak-memory subprocess; its numbers mean nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "images" / "ten_lua.jpg"


def interleaved_medians_ms(fns: dict, repeats: int) -> dict[str, float]:
    """Median time of each function, run round-robin so that machine noise hits all of them alike."""
    for fn in fns.values():
        fn()  # warm-up
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeats):
        for key, fn in fns.items():
            t = time.perf_counter()
            fn()
            times[key].append((time.perf_counter() - t) * 1000)
    return {k: statistics.median(v) for k, v in times.items()}


def import_and_build_seconds() -> tuple[float, float]:
    code = (
        "import time; t=time.perf_counter(); import gradio; g=time.perf_counter()-t; "
        "t=time.perf_counter(); import app; a=time.perf_counter()-t; print(g, a)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    gradio_s, app_s = map(float, out.stdout.split()[-2:])
    return gradio_s, app_s


def peak_rss_mb_with_default_models(profile: str = "random") -> float:
    code = (
        "import app; from core.catalog.store import load_model; from core.image.service import classify;"
        f"from core.runtime.images import load_image; img = load_image({str(EXAMPLE)!r}).image;"
        f"[classify(img, load_model(n, {profile!r})) for n in ('resnet50', 'vit_b16')];"
        # VmHWM, not ru_maxrss: the latter is inherited from this (big) parent process across fork+exec.
        "print(int(open('/proc/self/status').read().split('VmHWM:')[1].split()[0]) / 1024)"
    )
    env = {**os.environ, "APP_PROFILE": profile}
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=True)
    return float(out.stdout.split()[-1])


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=20, help="timed repetitions per measurement (median reported)")
    p.add_argument("--smoke", action="store_true", help="tiny models, 1 repeat: checks the code runs")
    args = p.parse_args(argv)
    profile = "tiny" if args.smoke else "random"
    if args.smoke:
        args.repeats = 1
    os.environ["APP_PROFILE"] = profile
    import torch

    import app
    from core.catalog.store import load_model
    from core.runtime.images import load_image

    handler = next(f.fn for f in app.demo.fns.values() if f.api_name == "classify_image")
    payload = {"path": str(EXAMPLE)}
    image = load_image(str(EXAMPLE)).image
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch 1, warm, median of {args.repeats}")
    print(f"{'model':<18} {'forward':>9} {'handler':>9} {'ratio':>6} {'fwd+CAM':>9} {'handler+CAM':>12} {'CAM/fwd':>8}")
    # resnet50 is the course's 32 px CIFAR model; the *_imagenet entries run at 224 px.
    for name in ("resnet50", "resnet50_imagenet", "vit_b16", "vit_b16_imagenet"):
        model = load_model(name, profile)
        x = model.preprocess(image).unsqueeze(0)

        def forward(model=model, x=x):
            with torch.inference_mode():
                model.module(x)

        def forward_cam(model=model, x=x):
            from core.image.explain import forward_with_gradcam

            forward_with_gradcam(model.module, x)

        # The handler runs both panels; pass the same model twice and halve, so the ratio is per model.
        m = interleaved_medians_ms(
            {
                "fwd": forward,
                "fwd_cam": forward_cam,
                "hnd": lambda n=name: handler(payload, n, n, explain=False),
                "hnd_cam": lambda n=name: handler(payload, n, n, explain=True),
            },
            args.repeats,
        )
        fwd, fwd_cam, hnd, hnd_cam = m["fwd"], m["fwd_cam"], m["hnd"] / 2, m["hnd_cam"] / 2
        print(
            f"{name:<18} {fwd:>7.1f}ms {hnd:>7.1f}ms {hnd / fwd:>6.2f} {fwd_cam:>7.1f}ms {hnd_cam:>10.1f}ms "
            f"{fwd_cam / fwd:>8.2f}"
        )
    gradio_s, app_s = import_and_build_seconds()
    print(
        f"import gradio: {gradio_s:.2f}s; import app.py + build UI on top of it: {app_s:.2f}s "
        f"(total {gradio_s + app_s:.2f}s, no weights loaded)"
    )
    print(
        f"peak RSS, app + ResNet-50 + ViT-B/16 loaded and run once: {peak_rss_mb_with_default_models(profile):.0f} MB"
    )


if __name__ == "__main__":
    main()
