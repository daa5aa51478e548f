"""A class clicks at once: N simultaneous requests against the app started as a user starts it, with the
speed-ups of core/runtime/serving.py on and off (CLASSROOM_SPEEDUPS=0) in the same run.

Run: python -m tests.benchmarks.bench_class [--clients 30] [--profile random] [--tabs image,text,vqa] [--levers]
[--smoke]

For each configuration: `python app.py` on a loopback port (APP_PROFILE=random: full-size ResNet-50 + ViT-B/16
with random weights, the real compute without a download); the first request as soon as the page answers, then
a warm one; a burst of N /classify_image requests released together (the default pair, explanation off, then on);
one more request afterwards (the app still serves); the server's peak RSS (VmHWM). Every request must be answered:
a refusal or error fails the run. `--tabs text,vqa` adds bursts of /classify_text and /vqa_answer with the
committed checkpoints (default profile). `--levers` adds one configuration per lever (that lever alone).
The last line: `makespan_s=<x> baseline_makespan_s=<y> ratio=<x/y>` for the image burst, explanation off.
--smoke (tests/test_benchmarks.py): bursts of 2 clients against APP_PROFILE=tiny apps; the same launches, bursts
and checks; its numbers mean nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from gradio_client import Client, handle_file

REPO = Path(__file__).resolve().parents[2]
IMAGE = str(REPO / "examples" / "images" / "ten_lua.jpg")
VQA_PHOTO = str(REPO / "examples" / "vqa" / "easy_vqa_test_0.png")

# name -> environment on top of the user's; "baseline" is the app without any of core/runtime/serving.py's speed-ups.
CONFIGS = {"baseline": {"CLASSROOM_SPEEDUPS": "0"}, "improved": {}}
# The page started on int8 weights (ViT-B/16's Linear layers; ResNet-50 stays fp32): answers may differ from fp32,
# so it is the instructor's choice, not a default (core/image/quantize.py). Measured with --int8.
INT8 = {"improved + int8": {"IMAGE_PRECISION": "int8"}}
# The levers that are off by default, on top of the baseline's settings (preload alone is "improved").
LEVERS = {
    "microbatch": {"MICROBATCH": "1", "PRELOAD": "0"},
    "microbatch+threads=1": {"MICROBATCH": "1", "INFERENCE_THREADS": "1", "PRELOAD": "0"},
    "threads=1": {"INFERENCE_THREADS": "1", "PRELOAD": "0"},
}


def classify_image(client: Client, explain: bool) -> dict:
    """One /classify_image call with the page's default pair (the one place to adapt if the API changes)."""
    return client.predict(handle_file(IMAGE), "resnet50", "vit_b16", explain=explain, api_name="/classify_image")


def classify_text(client: Client, explain: bool) -> dict:
    return client.predict("A large bird of prey with a hooked beak.", api_name="/classify_text")


def vqa_answer(client: Client, explain: bool) -> dict:
    return client.predict(handle_file(VQA_PHOTO), "what color is the shape?", api_name="/vqa_answer")


# gradio_client's uploads and queue joins time out after 20 s by default; a browser waits longer, and so does this.
CLIENT_TIMEOUT_S = 600


def connect(url: str) -> Client:
    return Client(url, verbose=False, httpx_kwargs={"timeout": CLIENT_TIMEOUT_S})


def burst(url: str, call, clients: int, explain: bool, name: str = "") -> dict:
    """`clients` requests released together from as many clients; latencies and the time to the last answer."""
    sessions = [connect(url) for _ in range(clients)]  # connected before the clock starts
    barrier = threading.Barrier(clients + 1)
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def student(client: Client) -> None:
        barrier.wait()
        start = time.perf_counter()
        try:
            call(client, explain)
            with lock:
                latencies.append(time.perf_counter() - start)
        except Exception as exc:  # refused or failed: the run fails below
            with lock:
                errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=student, args=(c,)) for c in sessions]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join(600)
    makespan = time.perf_counter() - t0
    if errors or len(latencies) != clients:
        raise SystemExit(f"{name}: {len(latencies)} of {clients} answered; errors: {sorted(set(errors))[:3]}")
    return {
        "makespan_s": makespan,
        "p50_s": statistics.median(latencies),
        "p95_s": statistics.quantiles(latencies, n=20)[18] if clients >= 2 else latencies[0],
    }


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def launch(name: str, env: dict, profile: str, tmp: Path, first_call):
    """Start the app as a user does and send it one request as soon as its page answers, then three warm ones."""
    from tests.conftest import launch_app

    folder = tmp / "".join(c if c.isalnum() else "_" for c in name)
    folder.mkdir()
    t0 = time.perf_counter()
    app = launch_app(folder, APP_PROFILE=profile, **env)
    started_s = time.perf_counter() - t0
    client = connect(app.url)
    first_s = timed(lambda: first_call(client, False))
    warm_s = statistics.median(timed(lambda: first_call(client, False)) for _ in range(3))
    return app, {"start_s": started_s, "first_s": first_s, "warm_s": warm_s}


def run_configs(configs: dict, profile: str, clients: int, calls: list, rounds: int, tmp: Path) -> dict:
    """Every configuration's app runs at once and their bursts alternate (round after round, median kept), so a
    load change on a shared machine hits them all alike."""
    from tests.conftest import stop_app

    apps, results = {}, {}
    try:
        for name, env in configs.items():
            apps[name], results[name] = launch(name, env, profile, tmp, calls[0][1])
        for label, call, explains in calls:
            for explain in explains:
                key = f"{label}{' explain' if explain else ''}"
                runs = {name: [] for name in configs}
                for app in apps.values():  # the models this burst uses are loaded (and warm) before it
                    call(connect(app.url), explain)
                for _ in range(rounds):
                    for name, app in apps.items():
                        runs[name].append(burst(app.url, call, clients, explain, name))
                for name in configs:
                    results[name][key] = {k: statistics.median(r[k] for r in runs[name]) for k in runs[name][0]}
        for name, app in apps.items():
            calls[0][1](connect(app.url), False)  # the app still serves after the bursts
            if not app.alive():
                raise SystemExit(f"{name}: the app died")
    finally:
        for name, app in apps.items():
            stop_app(app)
            results.setdefault(name, {})["peak_rss_mb"] = app.peak_mb
    return results


def report(name: str, result: dict) -> None:
    first, warm = result["first_s"], result["warm_s"]
    print(
        f"{name:<16} port open after {result['start_s']:.1f}s; first request {first:.2f}s, warm {warm:.2f}s "
        f"(x{first / warm:.2f}), peak RSS {result['peak_rss_mb']:.0f} MB"
    )
    for key, b in result.items():
        if isinstance(b, dict):
            print(f"  {key:<22} makespan {b['makespan_s']:6.2f}s  p50 {b['p50_s']:6.2f}s  p95 {b['p95_s']:6.2f}s")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clients", type=int, default=30, help="simultaneous requests per burst (default 30)")
    p.add_argument("--profile", default="random", help="APP_PROFILE for the image tab (default random)")
    p.add_argument("--tabs", default="image", help="comma-separated: image, text, vqa (default image)")
    p.add_argument("--levers", action="store_true", help="also measure each lever alone")
    p.add_argument("--int8", action="store_true", help="also measure the page started on int8 weights")
    p.add_argument("--no-explain", action="store_true", help="image bursts without the explanation map only")
    p.add_argument("--rounds", type=int, default=1, help="bursts per configuration, alternating (median kept)")
    p.add_argument("--smoke", action="store_true", help="2 clients, APP_PROFILE=tiny: checks the code runs")
    args = p.parse_args(argv)
    if args.smoke:
        args.clients, args.profile = 2, "tiny"
    tabs = set(args.tabs.split(","))
    configs = {**CONFIGS, **(LEVERS if args.levers else {}), **(INT8 if args.int8 else {})}
    print(f"{args.clients} simultaneous clients per burst; image tab: APP_PROFILE={args.profile}")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        if "image" in tabs:
            explains = (False,) if args.no_explain else (False, True)
            calls = [("image", classify_image, explains)]
            results = run_configs(configs, args.profile, args.clients, calls, args.rounds, Path(tmp))
            for name, result in results.items():
                report(name, result)
        other = [(t, fn, (False,)) for t, fn in (("text", classify_text), ("vqa", vqa_answer)) if t in tabs]
        if other:
            named = {f"{name} (text, VQA)": env for name, env in CONFIGS.items()}
            for name, result in run_configs(named, "default", args.clients, other, args.rounds, Path(tmp)).items():
                report(name, result)
    if "image" in tabs:
        base, best = results["baseline"], results["improved"]
        for name, result in results.items():
            if name == "baseline":
                continue
            ratios = [
                f"{key} makespan {v['makespan_s'] / base[key]['makespan_s']:.2f}"
                for key, v in result.items()
                if isinstance(v, dict)
            ]
            print(
                f"{name} / baseline: {'; '.join(ratios)}; first/warm {result['first_s'] / result['warm_s']:.2f}; "
                f"peak RSS {result['peak_rss_mb'] / base['peak_rss_mb']:.2f}"
            )
        x, y = best["image"]["makespan_s"], base["image"]["makespan_s"]
        print(f"makespan_s={x:.2f} baseline_makespan_s={y:.2f} ratio={x / y:.2f}")


if __name__ == "__main__":
    main()
