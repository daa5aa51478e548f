"""Caption latency per image, the hand-written decoder of an earlier commit against today's generate() one.

Run: python -m tests.benchmarks.decode_before_after [--before 52d382a] [--rounds 3] [--repeats 3] [--threads 1]
     [--profiles tiny random] [--max-length 30]

The earlier commit's core/ is unpacked with `git archive` into a temporary folder (the repository is not touched).
Each round runs one child process per tree, alternating which goes first, and each child captions
examples/images/ten_lua.jpg through core.caption.service (encode_images, then captions_from_features) with
every captioner of the profile, greedy and beam 3, after one warm-up call: the encoder, then the decoder (the
tab's path), each timed by the wall clock and by the process's CPU time (one torch thread, so CPU time is the work
done, less sensitive than the wall clock to other jobs on a shared machine). The table pools the timed calls of
all rounds (median), and says whether both trees wrote the same captions (the same work). tiny: the app's tiny random
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
            w0, c0 = time.perf_counter(), time.process_time()
            features = service.encode_images(cap, [image])[0]
            w1, c1 = time.perf_counter(), time.process_time()
            captions = service.captions_from_features(cap, features, options)
            w2, c2 = time.perf_counter(), time.process_time()
            runs.append([1000 * (w2 - w1), 1000 * (c2 - c1), 1000 * (w2 - w0), 1000 * (c2 - c0)])
        out[f"{variant} {method}"] = {"runs": runs[1:], "captions": captions}
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
            print(f"\nprofile {profile}: median of {args.rounds} x {args.repeats} calls, ms per image, before -> after")
            print(f"{'captioner, method':<28} {'decode wall':>17} {'decode CPU':>17} {'CPU ratio':>9} "
                  f"{'image wall':>17} {'image CPU':>17}  same captions")  # fmt: skip
            for key in pooled["before"]:
                b, a = ([statistics.median(run[i] for run in pooled[side][key]) for i in range(4)]
                        for side in ("before", "after"))  # fmt: skip
                cols = " ".join(f"{b[i]:>8.1f}->{a[i]:<8.1f}" for i in (0, 1))
                totals = " ".join(f"{b[i]:>8.1f}->{a[i]:<8.1f}" for i in (2, 3))
                same = captions["before"][key] == captions["after"][key]
                print(f"{key:<28} {cols} {a[1] / b[1]:>8.2f}x {totals}  {same}")
    print(f"\nload average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
