"""A class clicks at once: bursts of N simultaneous /classify_image requests against `python app.py`, measured from
the server's side, with the bare compute limit measured in the same run.

Run: python -m tests.benchmarks.bench_class [--clients 30] [--profile random] [--rounds 2] [--configs a,b,...]
[--int8] [--fresh] [--smoke]

The load generator is light, so that it measures the server rather than itself: the photos are uploaded once
beforehand, then each simulated student is one thread speaking raw HTTP (http.client): POST queue/join, then read
the session's SSE stream until its answer. Its own CPU is reported beside each burst. Per burst: the makespan
(release to last answer), p50/p95, the server's CPU (/proc/<pid>/stat, all its threads) per request, the
generator's CPU and the other processes' CPU on the machine (/proc/stat minus both) during the burst.

Bursts, the default pair (ResNet-50 32 px + ViT-B/16 224 px with APP_PROFILE=random: the real compute, random
weights), explanation off:
- identical: every student sends the same photo (the class clicks the first example); a photo new to the app each
  round, so the first request computes and the others share it (core/runtime/coalesce.py), never an old answer;
- distinct: 30 different photos (new to the app each round);
- mixed: half the class on one new photo, the other half on distinct ones;
- trivial: 30 /conv_arithmetic calls on a 3x3 grid: Gradio's own floor for a burst of 30 calls.
With --fresh each request comes from a new session (Gradio builds its state on a session's first event); by default
the students' sessions are warm (each made one trivial call first).

The bare compute limit: a subprocess (`--bare`) loads the same models the same way (core.catalog.store, the same
profile and INFERENCE_THREADS) and runs core.image.service.classify on the round's distinct photos one after the
other, coalescing off: `limit_s` is the sum over 30 photos of one ResNet-50 + ViT-B/16 pair; `forward` the median
pair; its CPU per pair is the bare CPU the server's is compared with. --int8 also measures the int8 distinct burst
(precision="int8") against the fp32 limit and its own int8 limit.

Every request must be answered (a refusal or error fails the run) and the app must serve afterwards. The last line:
identical_makespan_s=.. distinct_makespan_s=.. limit_s=.. identical_over_forward=.. distinct_over_limit=..
server_cpu_per_req_over_forward=..   (the first configuration, medians over rounds; ratios per round, then median)
--smoke (tests/test_benchmarks.py): APP_PROFILE=tiny, 3 clients, one round; its numbers mean nothing.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlparse

REPO = Path(__file__).resolve().parents[2]
PHOTOS = sorted((REPO / "examples" / "images").glob("*.jpg"))
PAIR = ("resnet50", "vit_b16")

# name -> environment on top of the user's. "default" is the app as it ships (core/runtime/serving.py).
CONFIGS = {
    "default": {},
    "no-coalescing": {"RESULT_CACHE": "0"},
    "no-microbatch": {"MICROBATCH": "0"},
    "microbatch+threads=1": {"INFERENCE_THREADS": "1"},
    "no-microbatch+threads=1": {"MICROBATCH": "0", "INFERENCE_THREADS": "1"},
    "none": {"CLASSROOM_SPEEDUPS": "0"},  # none of core/runtime/serving.py's speed-ups
}


# ---------------------------------------------------------------------------------------------------------- machine
def cpu_of(pid: int) -> float:
    """CPU seconds (user + system) of process `pid`, all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_cpu() -> float:
    """CPU seconds the whole machine spent busy (every core), from /proc/stat."""
    parts = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    busy = sum(parts) - parts[3] - parts[4]  # all but idle and iowait
    return busy / os.sysconf("SC_CLK_TCK")


def load() -> str:
    return "load " + " ".join(f"{v:.2f}" for v in os.getloadavg())


# ---------------------------------------------------------------------------------------------------------- photos
def make_photos(folder: Path, count: int, seed: int) -> list[Path]:
    """`count` different photos (crops of the examples at different places and sizes, 320x240), as JPEG files."""
    from PIL import Image

    rng = random.Random(seed)
    sources = [Image.open(p).convert("RGB") for p in PHOTOS]
    out = []
    for i in range(count):
        image = sources[i % len(sources)]
        w, h = image.size
        cw, ch = int(w * rng.uniform(0.5, 0.95)), int(h * rng.uniform(0.5, 0.95))
        x, y = rng.randrange(0, w - cw + 1), rng.randrange(0, h - ch + 1)
        path = folder / f"photo_{seed}_{i}.jpg"
        image.crop((x, y, x + cw, y + ch)).resize((320, 240)).save(path, quality=90)
        out.append(path)
    return out


# ---------------------------------------------------------------------------------------------------------- client
class Server:
    """The launched app as the generator sees it: host, port, the endpoints' fn_index, uploads."""

    def __init__(self, url: str):
        u = urlparse(url)
        self.host, self.port = u.hostname, u.port
        config = json.loads(urllib.request.urlopen(url.rstrip("/") + "/config", timeout=60).read())
        self.fn = {d.get("api_name"): d["id"] for d in config["dependencies"] if d.get("api_name")}
        self.root = "/gradio_api"

    def upload(self, path: Path) -> dict:
        boundary = uuid.uuid4().hex
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{path.name}"\r\n'
                "Content-Type: image/jpeg\r\n\r\n"
            ).encode()
            + path.read_bytes()
            + f"\r\n--{boundary}--\r\n".encode()
        )
        conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
        conn.request("POST", f"{self.root}/upload", body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})
        server_path = json.loads(conn.getresponse().read())[0]
        conn.close()
        return {"path": server_path, "orig_name": path.name, "meta": {"_type": "gradio.FileData"}}

    def call(self, api_name: str, data: list, session: str) -> dict:
        """One queued call as a browser makes it: join, then read the session's event stream to the answer."""
        join = http.client.HTTPConnection(self.host, self.port, timeout=600)
        body = json.dumps({"data": data, "fn_index": self.fn[api_name], "session_hash": session, "trigger_id": None})
        join.request("POST", f"{self.root}/queue/join", body, {"Content-Type": "application/json"})
        reply = join.getresponse()
        payload = reply.read()
        join.close()
        if reply.status != 200:
            raise RuntimeError(f"queue/join {reply.status}: {payload[:200]!r}")
        event_id = json.loads(payload)["event_id"]
        stream = http.client.HTTPConnection(self.host, self.port, timeout=600)
        stream.request("GET", f"{self.root}/queue/data?session_hash={session}", headers={"Accept": "text/event-stream"})
        response = stream.getresponse()
        try:
            while line := response.readline():
                if not line.startswith(b"data:"):
                    continue
                message = json.loads(line[5:])
                if message.get("event_id") == event_id and message.get("msg") == "process_completed":
                    if not message.get("success"):
                        raise RuntimeError(f"{api_name} failed: {str(message.get('output'))[:200]}")
                    return message["output"]["data"][0]
            raise RuntimeError(f"{api_name}: the stream ended without an answer")
        finally:
            stream.close()


def image_call(photo: dict, precision: str = "fp32") -> tuple[str, list]:
    # classify_image(image, model_a, model_b, top_k, precision, explain, language)
    return "classify_image", [photo, *PAIR, 5, precision, False, "en"]


def trivial_call() -> tuple[str, list]:
    return "conv_arithmetic", ["1 2 3\n4 5 6\n7 8 9", "1 0\n0 1", 0, 1, "max", "en"]


def burst(server: Server, pid: int, calls: list[tuple[str, list]], sessions: list[str]) -> dict:
    """The calls released together, one thread each; times, and CPU of the server, this process and the rest."""
    n = len(calls)
    barrier = threading.Barrier(n + 1)
    latencies, errors, answers = [0.0] * n, [], [None] * n

    def student(i: int) -> None:
        barrier.wait()
        start = time.perf_counter()
        try:
            answers[i] = server.call(*calls[i], sessions[i])
            latencies[i] = time.perf_counter() - start
        except Exception as exc:  # refused or failed: the run fails below
            errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=student, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    cpu0, own0, all0 = cpu_of(pid), time.process_time(), machine_cpu()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join(600)
    makespan = time.perf_counter() - t0
    server_cpu, own_cpu = cpu_of(pid) - cpu0, time.process_time() - own0
    others = machine_cpu() - all0 - server_cpu - own_cpu
    if errors or any(a is None for a in answers):
        raise SystemExit(f"{sum(a is not None for a in answers)} of {n} answered; errors: {sorted(set(errors))[:3]}")
    return {
        "makespan_s": makespan,
        "p50_s": statistics.median(latencies),
        "p95_s": sorted(latencies)[max(0, round(0.95 * n) - 1)],
        "server_cpu_s": server_cpu,
        "generator_cpu_s": own_cpu,
        "others_cpu_s": max(0.0, others),
        "cached": sum(bool(a.get("A", {}).get("cached")) for a in answers if isinstance(a, dict)),
    }


# ---------------------------------------------------------------------------------------------------------- bare
def bare(profile: str, precision: str, paths: list[str]) -> dict:
    """In this process (started as `--bare`): the models loaded as the app loads them, then one pair per photo."""
    os.environ["RESULT_CACHE"] = "0"  # every photo computed (they are distinct anyway)
    os.environ["MICROBATCH"] = "0"
    from core.catalog.store import load_model
    from core.image.quantize import int8_applies, int8_model
    from core.image.service import classify
    from core.runtime.images import load_image
    from core.runtime.serving import apply_thread_settings

    apply_thread_settings()
    models = [load_model(name, profile) for name in PAIR]
    if precision == "int8":
        models = [int8_model(m)[0] if int8_applies(m.module) else m for m in models]
    pairs, cpus = [], []

    def run() -> None:
        for m in models:  # warm, as the app's preload
            classify(load_image(paths[0]).image, m, explain=False)
        for path in paths:
            t0, c0 = time.perf_counter(), time.process_time()
            image = load_image(path).image
            for m in models:
                classify(image, m, explain=False)
            pairs.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)

    # In a worker thread, where the server runs its handlers (Gradio's thread pool): on this machine a forward
    # from the main thread took 4x the wall time and CPU of the same forward from a worker thread
    # (docs/CLASS_BURSTS.md).
    worker = threading.Thread(target=run, name="bare")
    worker.start()
    worker.join()
    return {"limit_s": sum(pairs), "pair_s": statistics.median(pairs), "cpu_per_pair_s": statistics.median(cpus)}


def measure_bare(profile: str, precision: str, paths: list[Path], env: dict) -> dict:
    cmd = [sys.executable, "-m", "tests.benchmarks.bench_class", "--bare", profile, precision, *map(str, paths)]
    out = subprocess.run(cmd, cwd=REPO, env={**os.environ, **env}, capture_output=True, text=True, timeout=1200)
    if out.returncode:
        raise SystemExit(f"bare compute failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------------------------- app
def launch(name: str, env: dict, profile: str, tmp: Path, tries: int = 3):
    """`python app.py` as a user starts it (longer patience than tests.conftest: a busy machine loads slowly).
    Gradio's own check that localhost answers has a short timeout that a loaded machine can miss (the app then
    exits with "When localhost is not accessible..."): that launch is tried again."""
    for attempt in range(tries):
        try:
            return _launch(name, env, profile, tmp)
        except SystemExit as exc:
            if "localhost is not accessible" not in str(exc) or attempt == tries - 1:
                raise
            print(f"{name}: Gradio's localhost check timed out on a busy machine; launching again ({load()})")


def _launch(name: str, env: dict, profile: str, tmp: Path):
    from core.runtime import subprocess_guard
    from tests.conftest import LaunchedApp, free_port

    port = free_port()
    log = tmp / f"{''.join(c if c.isalnum() else '_' for c in name)}.log"
    full = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_SERVER_NAME": "127.0.0.1",
            "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1", "APP_PROFILE": profile, **env}  # fmt: skip
    t0 = time.perf_counter()
    proc = subprocess_guard.popen([sys.executable, "app.py"], cwd=REPO, env=full, stdout=log.open("w"),
                                  stderr=subprocess.STDOUT)  # fmt: skip
    app = LaunchedApp(f"http://127.0.0.1:{port}/", proc, log, name)
    while time.perf_counter() - t0 < 600:
        if proc.poll() is not None:
            raise SystemExit(f"{name}: app.py exited early:\n{log.read_text()[-3000:]}")
        try:
            urllib.request.urlopen(app.url, timeout=2)
            return app, time.perf_counter() - t0
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"{name}: app.py did not start in 600 s")


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def new_session() -> str:
    return uuid.uuid4().hex[:11]


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clients", type=int, default=30, help="simultaneous requests per burst (default 30)")
    p.add_argument("--profile", default="random", help="APP_PROFILE (default random: full-size models)")
    p.add_argument("--rounds", type=int, default=2, help="rounds; in each, every configuration's bursts in turn")
    p.add_argument("--configs", default="default", help=f"comma-separated, the first is reported: {', '.join(CONFIGS)}")
    p.add_argument("--int8", action="store_true", help="also an int8 distinct burst and the int8 bare limit")
    p.add_argument("--fresh", action="store_true", help="also the identical burst from fresh sessions")
    p.add_argument("--smoke", action="store_true", help="APP_PROFILE=tiny, 3 clients, 1 round: checks the code runs")
    p.add_argument("--bare", nargs="+", help=argparse.SUPPRESS)  # the compute-limit subprocess
    args = p.parse_args(argv)
    if args.bare:
        print(json.dumps(bare(args.bare[0], args.bare[1], args.bare[2:])))
        return
    if args.smoke:
        args.clients, args.profile, args.rounds = 3, "tiny", 1
    names = args.configs.split(",")
    n = args.clients
    print(f"{n} clients per burst, APP_PROFILE={args.profile}, configs {names}, {args.rounds} rounds; {load()}")
    print(f"cores {os.cpu_count()}; CPU columns: seconds during the burst (server / this generator / other processes)")
    from tests.conftest import stop_app

    apps, servers, students, rows = {}, {}, {}, []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        try:
            for name in names:
                apps[name], started = launch(name, CONFIGS[name], args.profile, tmp)
                servers[name] = Server(apps[name].url)
                photo = servers[name].upload(make_photos(tmp, 1, 999)[0])
                first = timed(lambda s=servers[name], ph=photo: s.call(*image_call(ph), new_session()))
                repeat = statistics.median(
                    timed(lambda s=servers[name], ph=photo: s.call(*image_call(ph), new_session())) for _ in range(3)
                )  # the same photo again: answered from the cache; a photo new to the app is the honest warm request
                fresh_photos = [servers[name].upload(path) for path in make_photos(tmp, 3, 998)]
                warm = statistics.median(
                    timed(lambda s=servers[name], ph=ph: s.call(*image_call(ph), new_session())) for ph in fresh_photos
                )
                students[name] = [new_session() for _ in range(n)]
                burst(servers[name], apps[name].proc.pid, [trivial_call()] * n, students[name])  # warm sessions
                print(f"{name}: port open after {started:.1f}s; first request {first:.2f}s, warm {warm:.2f}s "
                      f"(x{first / warm:.2f}), a repeat {repeat:.2f}s; {load()}")  # fmt: skip
            for r in range(args.rounds):
                # Photos new to every app this round: the identical one, the distinct ones, the mixed ones.
                same = make_photos(tmp, 1, 1000 + r)[0]
                distinct = make_photos(tmp, n, 2000 + r)
                mixed = make_photos(tmp, n - n // 2, 3000 + r)
                int8_photos = make_photos(tmp, n, 4000 + r) if args.int8 else []
                limit = measure_bare(args.profile, "fp32", distinct, CONFIGS[names[0]])
                row = {"round": r, "limit": limit, "load_before": load()}
                if args.int8:
                    row["limit_int8"] = measure_bare(args.profile, "int8", int8_photos, CONFIGS[names[0]])
                for name in names:
                    s, pid, sessions = servers[name], apps[name].proc.pid, students[name]
                    up_same = s.upload(same)
                    up_distinct = [s.upload(x) for x in distinct]
                    up_mixed = [s.upload(x) for x in mixed]
                    plan = {
                        "trivial": [trivial_call()] * n,
                        "identical": [image_call(up_same)] * n,
                        "distinct": [image_call(x) for x in up_distinct],
                        "mixed": [image_call(up_same if i % 2 else up_mixed[i // 2]) for i in range(n)],
                    }
                    if args.int8:
                        plan["int8 distinct"] = [image_call(s.upload(x), "int8") for x in int8_photos]
                    for kind, calls in plan.items():
                        # "mixed" reuses the identical photo: already cached, as the example is after the first click
                        row[(name, kind)] = burst(s, pid, calls, sessions)
                    if args.fresh:
                        fresh_same = s.upload(make_photos(tmp, 1, 5000 + r)[0])
                        row[(name, "identical fresh")] = burst(
                            s, pid, [image_call(fresh_same)] * n, [new_session() for _ in range(n)]
                        )
                    row[(name, "load_after")] = load()
                rows.append(row)
                report_round(row, names, n)
            for name in names:
                servers[name].call(*trivial_call(), new_session())  # the app still serves after the bursts
                if not apps[name].alive():
                    raise SystemExit(f"{name}: the app died")
        finally:
            for app in apps.values():
                stop_app(app)
    for name, app in apps.items():
        print(f"{name}: peak RSS {app.peak_mb or 0:.0f} MB")
    summary(rows, names[0], n)


def report_round(row: dict, names: list[str], n: int) -> None:
    limit = row["limit"]
    print(f"round {row['round']}: bare limit {limit['limit_s']:.2f}s for {n} pairs (pair {limit['pair_s'] * 1000:.0f}"
          f" ms, CPU {limit['cpu_per_pair_s'] * 1000:.0f} ms per pair); {row['load_before']}")  # fmt: skip
    if "limit_int8" in row:
        i8 = row["limit_int8"]
        print(f"  int8 bare limit {i8['limit_s']:.2f}s (pair {i8['pair_s'] * 1000:.0f} ms)")
    for name in names:
        for key, b in row.items():
            if isinstance(key, tuple) and key[0] == name and isinstance(b, dict):
                kind = key[1]
                ratio = b["makespan_s"] / limit["limit_s"]
                print(
                    f"  {name:<22} {kind:<16} makespan {b['makespan_s']:6.2f}s (x{ratio:.2f} limit) "
                    f"p50 {b['p50_s']:5.2f}s p95 {b['p95_s']:5.2f}s  CPU {b['server_cpu_s']:5.2f}/"
                    f"{b['generator_cpu_s']:4.2f}/{b['others_cpu_s']:5.2f}s  server CPU/req "
                    f"{b['server_cpu_s'] / n * 1000:4.0f} ms  cached {b['cached']}"
                )
        print(f"  {name} {row[(name, 'load_after')]}")
    sys.stdout.flush()


def summary(rows: list[dict], name: str, n: int) -> None:
    med = statistics.median
    ident = med(r[(name, "identical")]["makespan_s"] for r in rows)
    dist = med(r[(name, "distinct")]["makespan_s"] for r in rows)
    limit = med(r["limit"]["limit_s"] for r in rows)
    trivial = med(r[(name, "trivial")]["makespan_s"] for r in rows)
    pair = med(r["limit"]["pair_s"] for r in rows)
    i_over_f = med(r[(name, "identical")]["makespan_s"] / r["limit"]["pair_s"] for r in rows)
    d_over_l = med(r[(name, "distinct")]["makespan_s"] / r["limit"]["limit_s"] for r in rows)
    cpu = med(r[(name, "distinct")]["server_cpu_s"] / n / r["limit"]["cpu_per_pair_s"] for r in rows)
    print(f"{name}: identical {ident:.2f}s vs trivial floor {trivial:.2f}s + two pairs {2 * pair:.2f}s = "
          f"{trivial + 2 * pair:.2f}s")  # fmt: skip
    if "limit_int8" in rows[0]:
        i8 = med(r[(name, "int8 distinct")]["makespan_s"] / r["limit"]["limit_s"] for r in rows)
        i8_own = med(r[(name, "int8 distinct")]["makespan_s"] / r["limit_int8"]["limit_s"] for r in rows)
        print(f"{name}: int8 distinct burst / fp32 limit {i8:.2f}; / int8 limit {i8_own:.2f}")
    print(
        f"identical_makespan_s={ident:.2f} distinct_makespan_s={dist:.2f} limit_s={limit:.2f} "
        f"identical_over_forward={i_over_f:.2f} distinct_over_limit={d_over_l:.2f} "
        f"server_cpu_per_req_over_forward={cpu:.2f}"
    )


if __name__ == "__main__":
    main()
