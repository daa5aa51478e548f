"""Caption latency per image, the hand-written decoder of an earlier commit against today's generate() one.

Run: python -m tests.benchmarks.decode_before_after [--before 52d382a] [--rounds 3] [--repeats 3] [--threads 1]
     [--profiles tiny random] [--max-length 30]

The earlier commit's core/ is unpacked with `git archive` into a temporary folder (the repository is not touched).
Each round runs one child process per tree, alternating which goes first, and each child captions
examples/images/ten_lua.jpg through core.caption.service.caption_image (the tab's path: encode, then decode) with
every captioner of the profile, greedy and beam 3, after one warm-up call. The table pools the timed calls of all
rounds (median), and says whether both trees wrote the same captions (the same work). tiny: the app's tiny random
models; random: the course's sizes with random weights (GPT-2 base, 12 x 768; CLIP ViT-B/32; ResNet-50). The
machine's load average is printed before and after. Not a timed test.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
VARIANTS = {"tiny": ("clipcap_mlp", "clipcap_transformer", "cnn_lstm"), "random": ("clipcap_mlp", "cnn_lstm")}

CHILD = r"""
import json, sys, time
import torch
from PIL import Image
from core.caption import service
from core.caption.decoding import DecodeOptions
args = json.loads(sys.argv[1])
torch.set_num_threads(args["threads"])
image = Image.open(args["image"]).convert("RGB")
out = {}
for variant in args["variants"]:
    cap = service.load_captioner(variant, args["profile"])
    for method, width in (("greedy", 1), ("beam", 3)):
        options = DecodeOptions(method=method, beam_width=width, max_length=args["max_length"])
        runs = []
        for i in range(args["repeats"] + 1):  # the first call warms up and is not kept
            result = service.caption_image(cap, image, options)
            runs.append((result.decode_ms, result.total_ms))
        out[f"{variant} {method}"] = {"runs": runs[1:], "captions": result.captions}
print("RESULT " + json.dumps(out, ensure_ascii=False))
"""


def unpack(rev: str, into: Path) -> Path:
    """core/ of commit `rev` (and the files it reads at import) into `into`, without touching the repository."""
    archive = subprocess.run(["git", "archive", rev, "core"], cwd=REPO, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def child(tree: Path, profile: str, args) -> dict:
    payload = dict(profile=profile, variants=VARIANTS[profile], repeats=args.repeats, threads=args.threads,
                   max_length=args.max_length, image=str(REPO / "examples" / "images" / "ten_lua.jpg"))  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(tree), "APP_PROFILE": profile, "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run([sys.executable, "-c", CHILD, json.dumps(payload)], cwd=tree, env=env,
                          capture_output=True, text=True, timeout=1800)  # fmt: skip
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode or not lines:
        raise SystemExit(f"{tree} ({profile}) failed:\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1].removeprefix("RESULT "))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--before", default="52d382a", help="commit with the hand-written decoder")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--repeats", type=int, default=3, help="timed calls per child, after one warm-up")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--max-length", type=int, default=30)
    p.add_argument("--profiles", nargs="+", default=["tiny", "random"], choices=sorted(VARIANTS))
    args = p.parse_args(argv)
    print(f"load average before: {os.getloadavg()}; {args.threads} torch thread(s), {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"before": unpack(args.before, Path(tmp)), "after": REPO}
        for profile in args.profiles:
            pooled: dict[str, dict[str, list]] = {"before": {}, "after": {}}
            captions: dict[str, dict[str, list]] = {"before": {}, "after": {}}
            for r in range(args.rounds):
                for side in ("before", "after") if r % 2 == 0 else ("after", "before"):
                    for key, value in child(trees[side], profile, args).items():
                        pooled[side].setdefault(key, []).extend(value["runs"])
                        captions[side][key] = value["captions"]
            print(f"\nprofile {profile}: median of {args.rounds} x {args.repeats} calls, ms per image")
            print(f"{'captioner, method':<28} {'decode before':>13} {'decode after':>12} {'ratio':>6} "
                  f"{'total before':>12} {'total after':>11}  same captions")  # fmt: skip
            for key in pooled["before"]:
                before, after = pooled["before"][key], pooled["after"][key]
                db, da = (statistics.median(run[0] for run in runs) for runs in (before, after))
                tb, ta = (statistics.median(run[1] for run in runs) for runs in (before, after))
                same = captions["before"][key] == captions["after"][key]
                print(f"{key:<28} {db:>13.1f} {da:>12.1f} {da / db:>5.2f}x {tb:>12.1f} {ta:>11.1f}  {same}")
    print(f"\nload average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
