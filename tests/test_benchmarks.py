"""Every benchmark in tests/benchmarks runs end to end in its --smoke mode: tiny models (APP_PROFILE=tiny), one
repeat, the smallest sizes, through the same handlers, app launches and subprocesses as a real run.

The numbers they print are not checked (tiny random models measure nothing); what is checked is that each one
still runs against today's code (exit code 0) and reaches its final summary line, in the format
docs/PERFORMANCE.md quotes. A refactor that changes a handler's signature or removes a name a benchmark uses fails
here, not months later when someone re-measures. Each runs in its own process, as
`python -m tests.benchmarks.bench_x --smoke`.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import pytest

from tests.conftest import CHROMIUM, REPO

NUMBER = r"\d+(?:\.\d+)?"

# module -> the regular expression its last printed line must match (the lines its main() prints last).
LAST_LINE = {
    "bench_caption": rf"beam 5 / greedy \(cache\): +{NUMBER}x",
    "bench_class": (
        rf"identical_makespan_s={NUMBER} distinct_makespan_s={NUMBER} limit_s={NUMBER} identical_over_forward={NUMBER}"
        rf" distinct_over_limit={NUMBER} server_cpu_per_req_over_forward={NUMBER}"
    ),
    "bench_clip": rf"probe refit k=20, C=10, D=512: plain {NUMBER} ms, zero-shot-initialised {NUMBER} ms",
    "bench_image": rf"peak RSS, app \+ ResNet-50 \+ ViT-B/16 loaded and run once: {NUMBER} MB",
    # The last variant's row: torch.ao's, or torchao's where torchao is importable.
    "bench_int8": rf"(torch\.ao|torchao) .* {NUMBER} ms .* x{NUMBER} vs fp32",
    "bench_memory": rf"peak with every tab warmed: {NUMBER} MB \+ GPT-2 {NUMBER} MB = {NUMBER} MB of 16,384 MB",
    # "none" where the page sends no queued request on load.
    "bench_page_load": rf".*: settled +(median {NUMBER} ms \(min {NUMBER}, max {NUMBER}\)|none) over \d+ loads",
    "bench_rss_drift": rf"after a {NUMBER} s pause: RSS {NUMBER} MB, peak {NUMBER}",
    "bench_text": rf"handler \(both models, no highlights\) {NUMBER} ms vs both bare forwards {NUMBER} ms: {NUMBER}x",
    # The memory table's row for the smoke run's one 6-second video (a failed child prints its stderr instead).
    "bench_video": rf" +0\.1 min 640x360 @25 fps +\d+ +{NUMBER} +{NUMBER} +-?{NUMBER} +{NUMBER}s",
    "bench_vqa": rf"\w+ +jpg tiny +{NUMBER}ms +{NUMBER}ms +{NUMBER}ms +{NUMBER}",
}
assert set(LAST_LINE) == {p.stem for p in (REPO / "tests" / "benchmarks").glob("bench_*.py")}, "one entry each"

SERVER = {"bench_class", "bench_memory", "bench_page_load", "bench_rss_drift"}  # they launch app.py
TIMEOUT_S = 150  # each takes 5-30 s here; the limit is for a hung server or client


def _marks(name: str) -> list:
    marks = [pytest.mark.slow]
    if name in SERVER:
        marks.append(pytest.mark.server)
    if name == "bench_page_load":
        marks.append(pytest.mark.browser)
        marks.append(
            pytest.mark.skipif(not CHROMIUM, reason="no Chromium found (install 'chromium' or set CHROMIUM_PATH)")
        )
    return marks


def run_smoke(name: str) -> subprocess.CompletedProcess:
    """`python -m tests.benchmarks.<name> --smoke` in its own session, so that a timeout kills everything it started
    (its app servers also die with it: core.runtime.subprocess_guard)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    cmd = [sys.executable, "-m", f"tests.benchmarks.{name}", "--smoke"]
    proc = subprocess.Popen(
        cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        out, err = proc.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"{name} --smoke ran over {TIMEOUT_S} s\n{out[-2000:]}\n{err[-2000:]}")
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


@pytest.mark.parametrize("name", [pytest.param(n, marks=_marks(n)) for n in sorted(LAST_LINE)])
def test_benchmark_smoke(name):
    if name == "bench_page_load":
        pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
    result = run_smoke(name)
    assert result.returncode == 0, f"{name} --smoke failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert lines, f"{name} printed nothing:\n{result.stderr[-3000:]}"
    assert re.fullmatch(LAST_LINE[name], lines[-1]), f"{name}'s last line is not its summary:\n{result.stdout[-2000:]}"
