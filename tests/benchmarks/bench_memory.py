"""Peak memory of the app with every tab warmed: will the default models fit a free CPU Space (16 GB)?

    python -m tests.benchmarks.bench_memory [--smoke]

Starts app.py with APP_PROFILE=random (every registry model at full size with random weights: the same memory as
the real weights, no download), calls each tab's HTTP API once with its default models, and reads the server's
peak resident memory (VmHWM) after each call. The caption tab's frozen Vietnamese GPT-2 cannot be built offline by
the app, so its footprint is measured separately: a GPT-2-base-sized GPT2LMHeadModel in a fresh process.
Not a timed test; prints a table. --smoke (tests/test_benchmarks.py): APP_PROFILE=tiny and a 1-layer, 32-wide
GPT-2; the same launch, API calls and memory readings; its numbers mean nothing.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.conftest import REPO, launch_app, stop_app


def vm_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def gpt2_base_mb(config: str = "") -> float:
    """RSS growth of building and running a GPT2LMHeadModel(GPT2Config(<config>)) (default: GPT-2 base)."""
    code = (
        "import torch; from transformers import GPT2Config, GPT2LMHeadModel\n"
        "r=lambda: int(open('/proc/self/status').read().split('VmRSS:')[1].split()[0])\n"
        f"before=r(); m=GPT2LMHeadModel(GPT2Config({config})).eval()\n"
        "with torch.inference_mode(): m(torch.zeros(1, 20, dtype=torch.long))\n"
        "print((r()-before)/1024)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    return float(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--smoke", action="store_true", help="APP_PROFILE=tiny, tiny GPT-2: checks the code runs")
    smoke = p.parse_args(argv).smoke
    profile = "tiny" if smoke else "random"
    from gradio_client import Client, handle_file

    image = handle_file(str(REPO / "examples" / "images" / "ten_lua.jpg"))
    video = handle_file(str(REPO / "examples" / "video" / "big_buck_bunny.mp4"))
    calls = [
        ("image: ResNet-50 + ViT-B/16", "/classify_image", (image, "resnet50", "vit_b16")),
        ("VQA chat", "/vqa_answer", (image, "what color is the shape?", "cnn_att", "easy_vqa")),
        ("text: GRU + DistilBERT", "/classify_text", ("The goalie stopped 45 shots in overtime.", "gru", "distilbert")),
        ("CLIP zero-shot (ViT-B/32)", "/clip_zero_shot", (image, "dog, cat, rocket")),
        ("captions (checkpoints needed)", "/caption", (image,)),
        ("video search: CLIP + OCR index", "/video_search", (video, "a rabbit")),
        ("CNN tab: layer table", "/layer_table", ("simple_cnn",)),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        app = launch_app(Path(tmp), APP_PROFILE=profile, HF_HUB_OFFLINE="1", VIDEO_CACHE_DIR=str(Path(tmp) / "v"))
        try:
            client = Client(app.url, verbose=False)
            pid = app.proc.pid
            print(f"{'after':<38} {'RSS MB':>8} {'peak MB':>8}")
            print(f"{'start (UI built, nothing loaded)':<38} {vm_kb(pid, 'VmRSS') / 1024:8.0f} "
                  f"{vm_kb(pid, 'VmHWM') / 1024:8.0f}")  # fmt: skip
            for what, api, args in calls:
                try:
                    client.predict(*args, api_name=api)
                    status = ""
                except Exception as exc:  # a tab without weights answers with a message; memory is still real
                    status = f"  ({type(exc).__name__}: {str(exc)[:60]})"
                print(f"{what:<38} {vm_kb(pid, 'VmRSS') / 1024:8.0f} {vm_kb(pid, 'VmHWM') / 1024:8.0f}{status}")
            peak = vm_kb(pid, "VmHWM") / 1024
        finally:
            stop_app(app)
    gpt2 = gpt2_base_mb("n_layer=1, n_embd=32, n_head=2" if smoke else "")
    what = "GPT-2 1x32 (smoke)" if smoke else "GPT-2-base (124M, fp32)"
    print(f"{what} for the caption tab, measured alone: {gpt2:.0f} MB")
    print(f"peak with every tab warmed: {peak:.0f} MB + GPT-2 {gpt2:.0f} MB = {peak + gpt2:.0f} MB of 16,384 MB")


if __name__ == "__main__":
    main()
