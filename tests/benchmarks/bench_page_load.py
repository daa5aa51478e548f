"""Page load time with everything missing (issue #13: deciding each tab's selection per page load must stay fast).

    python -m tests.benchmarks.bench_page_load                    # this checkout
    python -m tests.benchmarks.bench_page_load --repo <other tree> # e.g. `git archive <commit>` extracted, to compare
    python -m tests.benchmarks.bench_page_load --smoke             # one measured load (tests/test_benchmarks.py)

Starts app.py from the given tree with APP_PROFILE=default, offline, with an empty checkpoint folder and empty Hub
and torch caches (nothing can run), then loads the page in Chromium N times (after one warm-up load) and reports
the median of: navigation to `load` (the HTML and scripts), navigation to the first tab rendered (what a visitor
sees), and navigation to the end of the page's queued requests (the page-load event, where there is one: the page
is then final). Not a timed test; prints one line per measure. --smoke keeps APP_PROFILE=default (with nothing
to load it is already the cheapest app) and measures one load after the warm-up; its numbers mean nothing.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.conftest import CHROMIUM, REPO, free_port

SETTLED_JS = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const queued = performance.getEntriesByType('resource').filter(e => e.name.includes('/queue/join'));
  return {load: nav.loadEventEnd, queued: queued.length ? Math.max(...queued.map(e => e.responseEnd)) : null};
}"""


def launch(repo: Path, tmp: Path) -> tuple[subprocess.Popen, str]:
    import os
    import urllib.request

    port = free_port()
    env = {
        **os.environ,
        "GRADIO_SERVER_PORT": str(port),
        "GRADIO_SERVER_NAME": "127.0.0.1",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "APP_PROFILE": "default",
        "HF_HUB_OFFLINE": "1",
        "CHECKPOINT_DIR": str(tmp / "ckpt"),
        "HF_HOME": str(tmp / "hf"),
        "TORCH_HOME": str(tmp / "torch"),
    }
    (tmp / "ckpt").mkdir()
    proc = subprocess.Popen(
        [sys.executable, "app.py"], cwd=repo, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 180
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("app.py did not start")


def measure(url: str, loads: int) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    out: dict[str, list[float]] = {"load": [], "first_tab": [], "settled": []}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        for i in range(loads + 1):
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            start = time.perf_counter()
            page.goto(url, wait_until="load")
            page.get_by_role("tab").first.wait_for(timeout=120_000)
            first_tab = (time.perf_counter() - start) * 1000
            time.sleep(3)  # let the page-load event (if any) finish
            timings = page.evaluate(SETTLED_JS)
            page.close()
            if i == 0:
                continue  # warm-up: first imports in the server
            out["load"].append(timings["load"])
            out["first_tab"].append(first_tab)
            if timings["queued"] is not None:
                out["settled"].append(max(timings["queued"], first_tab))
        browser.close()
    return out


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repo", default=str(REPO), help="the tree whose app.py to start (default: this checkout)")
    p.add_argument("--loads", type=int, default=5, help="measured page loads (after one warm-up)")
    p.add_argument("--smoke", action="store_true", help="one measured load: checks the code runs")
    args = p.parse_args(argv)
    if args.smoke:
        args.loads = 1
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = launch(Path(args.repo), Path(tmp))
        try:
            result = measure(url, args.loads)
        finally:
            proc.terminate()
            proc.wait(10)
    for key, values in result.items():
        shown = (
            f"median {statistics.median(values):.0f} ms (min {min(values):.0f}, max {max(values):.0f})"
            if values
            else "none"
        )
        print(f"{args.repo}: {key:<10} {shown} over {len(values)} loads")
    return result


if __name__ == "__main__":
    main()
