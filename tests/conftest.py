"""Shared fixtures: a launched app on a loopback port, tiny models, and image files for bad-input tests.

Also the suite's memory and its processes: the app servers started here die with pytest however it ends
(core.runtime.subprocess_guard), each session-wide server stops after the last test that uses it, and the end of every
run prints the peak memory of pytest and all its child processes together.
"""

from __future__ import annotations

import gc
import os
import resource
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from core.runtime import memory, subprocess_guard

REPO = Path(__file__).resolve().parent.parent
memory.limit_malloc_arenas()  # as app.py does at start: the suite's memory figures are the app's


def _release_free_memory() -> None:
    """Hand the pages malloc holds free back to the system (glibc's malloc_trim) after a test file's models go."""
    libc = memory._libc()
    if libc is not None:
        libc.malloc_trim(0)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LaunchedApp:
    def __init__(self, url: str, proc: subprocess.Popen, log: Path, label: str):
        self.url, self.proc, self.log, self.label = url, proc, log, label
        self.peak_mb: float | None = None  # VmHWM, read when it stops

    def alive(self) -> bool:
        return self.proc.poll() is None


_launched: list[LaunchedApp] = []  # every server started in this process, for the memory summary


def launch_app(tmp: Path, **env: str) -> LaunchedApp:
    """app.py on a free loopback port. It dies with this process however that ends (core.runtime.subprocess_guard:
    parent-death signal, its own session); stop it with stop_app."""
    port = free_port()
    log = tmp / "app.log"
    full_env = {
        **os.environ,
        "GRADIO_SERVER_PORT": str(port),
        "GRADIO_SERVER_NAME": "127.0.0.1",
        "GRADIO_ANALYTICS_ENABLED": "False",
        **env,
    }
    proc = subprocess_guard.popen(
        [sys.executable, "app.py"], cwd=REPO, env=full_env, stdout=log.open("w"), stderr=subprocess.STDOUT
    )
    app = LaunchedApp(f"http://127.0.0.1:{port}/", proc, log, f"{tmp.name} ({env.get('APP_PROFILE', 'default')})")
    _launched.append(app)
    try:
        deadline = time.time() + 90
        while time.time() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"app.py exited early:\n{log.read_text()}")
            try:
                urllib.request.urlopen(app.url, timeout=2)
                return app
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"app.py did not start in 90 s:\n{log.read_text()}")
    except BaseException:  # also Ctrl-C while waiting
        stop_app(app)
        raise


def stop_app(app: LaunchedApp) -> None:
    """Stop the server (SIGTERM, SIGKILL after 10 s) and wait for it; a second call does nothing."""
    if app.proc.returncode is not None:
        return
    app.peak_mb = _status_mb(app.proc.pid, "VmHWM") or app.peak_mb
    app.proc.terminate()
    try:
        app.proc.wait(10)
    except subprocess.TimeoutExpired:
        app.proc.kill()
        app.proc.wait()


# Session-wide servers stop after the last collected test that uses them, not at the end of the session: three
# servers of 0.6-1.7 GB each, kept until the last test, would add up to the biggest part of the suite's peak.
# In the order their tests run (pytest_collection_modifyitems).
_SERVER_FIXTURES = ("offline_default_app", "repo_default_app", "tiny_app")
_last_user: dict[str, str] = {}  # fixture name -> node id of the last test that uses it
_running: dict[str, LaunchedApp] = {}


@pytest.hookimpl(tryfirst=True)  # before pytest's own hook applies -m, so `-m "not server"` sees these marks
def pytest_collection_modifyitems(items):
    """A test that uses an app server (or Chromium) is marked so, whether or not its author remembered to.

    Then the tests that use a session server run first, grouped by server (stable: files keep their order inside a
    group): each server lives for one stretch of the run and stops after its last test, before the in-process tests
    that make pytest itself largest (the committed-model evaluations). Interleaved by file, as collected, three
    servers of 0.7-1.9 GB each stayed up beside a grown pytest and Chromium: the suite's memory peak, 4.2 GB.
    A module split this way sets its module fixtures up twice; that costs seconds."""
    for item in items:
        names = getattr(item, "fixturenames", ())
        if any(name in names for name in _SERVER_FIXTURES):
            item.add_marker(pytest.mark.server)
        if "browser" in names:
            item.add_marker(pytest.mark.browser)

    def server_group(item) -> int:
        names = getattr(item, "fixturenames", ())
        return next((i for i, name in enumerate(_SERVER_FIXTURES) if name in names), len(_SERVER_FIXTURES))

    items.sort(key=server_group)


def pytest_collection_finish(session):
    for item in session.items:  # the order they run in
        for name in _SERVER_FIXTURES:
            if name in getattr(item, "fixturenames", ()):
                _last_user[name] = item.nodeid


def pytest_runtest_teardown(item, nextitem):
    for name, nodeid in _last_user.items():
        if nodeid == item.nodeid and name in _running:
            stop_app(_running.pop(name))


def _session_server(name: str, tmp: Path, **env: str):
    app = launch_app(tmp, **env)
    _running[name] = app
    try:
        yield app
    finally:
        _running.pop(name, None)
        stop_app(app)


@pytest.fixture(scope="session")
def tiny_app(tmp_path_factory):
    """app.py with APP_PROFILE=tiny, offline, with its MCP server (DL_MCP=1; tests/test_mcp.py)."""
    tmp = tmp_path_factory.mktemp("tiny_app")
    yield from _session_server("tiny_app", tmp, APP_PROFILE="tiny", HF_HUB_OFFLINE="1", DL_MCP="1")


@pytest.fixture(scope="session")
def offline_default_app(tmp_path_factory):
    """app.py with real-weight profile but no weights anywhere: empty checkpoint dir, empty caches, offline."""
    tmp = tmp_path_factory.mktemp("default_app")
    (tmp / "ckpt").mkdir()
    yield from _session_server(
        "offline_default_app",
        tmp,
        APP_PROFILE="default",
        HF_HUB_OFFLINE="1",
        CHECKPOINT_DIR=str(tmp / "ckpt"),
        TORCH_HOME=str(tmp / "torch"),
        HF_HOME=str(tmp / "hf"),
    )


@pytest.fixture
def client_for():
    from gradio_client import Client

    return lambda app: Client(app.url, verbose=False)


@pytest.fixture
def example_image() -> str:
    return str(REPO / "examples" / "images" / "ten_lua.jpg")


@pytest.fixture(scope="session")
def repo_default_app(tmp_path_factory):
    """app.py with real weights from the repo's committed checkpoints only: a fresh offline machine."""
    tmp = tmp_path_factory.mktemp("repo_app")
    yield from _session_server(
        "repo_default_app",
        tmp,
        APP_PROFILE="default",
        HF_HUB_OFFLINE="1",
        TORCH_HOME=str(tmp / "torch"),
        HF_HOME=str(tmp / "hf"),
    )


@pytest.fixture(autouse=True, scope="module")
def _free_models_after_each_file():
    """Models a test file loaded are dropped after it, so pytest holds one file's models at a time rather than the
    whole suite's (the loaders cache per process, as the app must)."""
    yield
    store = sys.modules.get("core.catalog.store")  # the one cache of every entry, text models included
    if store is not None and store.clear_cache():  # gc.collect takes 0.2 s here: only when models were dropped
        gc.collect()
    _release_free_memory()


CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = REPO / "artifacts"  # browser screenshots, one per tab


@pytest.fixture(scope="module")
def browser():
    """Playwright driving Debian's Chromium; open pages with browser.new_page(locale="en-US" or "vi-VN").
    Per module, so Chromium is not kept for the rest of the suite after the browser tests."""
    if not CHROMIUM:
        pytest.skip("no Chromium found (.ci/run installs Debian's 'chromium'; or set CHROMIUM_PATH)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield b
        b.close()


# ---- The suite's peak memory -------------------------------------------------------------------------------------
def _status_mb(pid: int | str, field: str) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _smaps_mb(pid: int) -> tuple[float, float]:
    """(Rss, Pss) of one process in MB. Pss divides each shared page among the processes that map it, so a sum of
    Pss over processes counts torch's 300 MB of shared libraries once, not once per server."""
    rss = pss = 0.0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Rss:"):
                rss = int(line.split()[1]) / 1024
            elif line.startswith("Pss:"):
                pss = int(line.split()[1]) / 1024
    except OSError:
        pass
    return rss, pss


_current_test = ""  # the sampler names the test that was running at the peak


def pytest_runtest_logstart(nodeid, location):
    global _current_test
    _current_test = nodeid


def _process_name(pid: int) -> str:
    """ "pytest", an app server's label ("app tiny"), or the program's name (chromium, python)."""
    if pid == os.getpid():
        return "pytest"
    for app in _launched:
        if app.proc.pid == pid:
            return f"app {app.label}"
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return str(pid)


class _TreeSampler(threading.Thread):
    """Every second, the memory of pytest plus all its descendants (servers, Chromium, subprocesses), summed;
    keeps the largest sums. Pss summed is the memory the tree really occupies; Rss summed counts a library mapped
    by four processes four times (shown too, it errs high). Linux only (/proc)."""

    def __init__(self):
        super().__init__(daemon=True, name="memory-sampler")
        self.peak_pss_mb = self.peak_rss_mb = 0.0
        self.peak_processes = 0
        self.peak_detail = ""
        self._done = threading.Event()

    def _tree(self) -> set[int]:
        parent_of = {}
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                try:
                    parent_of[int(entry.name)] = int(Path(entry.path, "stat").read_text().rpartition(")")[2].split()[1])
                except OSError:
                    continue
        tree, frontier = {os.getpid()}, [os.getpid()]
        while frontier:
            children = [pid for pid, parent in parent_of.items() if parent in frontier and pid not in tree]
            tree.update(children)
            frontier = children
        return tree

    def sample(self) -> None:
        tree = sorted(self._tree())
        sizes = [_smaps_mb(pid) for pid in tree]
        rss, pss = sum(r for r, _ in sizes), sum(p for _, p in sizes)
        self.peak_rss_mb = max(self.peak_rss_mb, rss)
        if pss > self.peak_pss_mb:
            self.peak_pss_mb, self.peak_processes = pss, len(tree)
            # What made the peak: the test running and the largest processes, so the next engineer knows where to cut.
            largest = sorted(zip((p for _, p in sizes), tree), reverse=True)[:4]
            self.peak_detail = f"during {_current_test or 'collection'}; " + ", ".join(
                f"{_process_name(pid)} {mb:,.0f}" for mb, pid in largest
            )

    def run(self) -> None:
        while not self._done.wait(1.0):
            self.sample()

    def stop(self) -> None:
        self._done.set()
        self.sample()


_sampler: _TreeSampler | None = None


def pytest_sessionstart(session):
    global _sampler
    if Path("/proc/self/stat").is_file():
        _sampler = _TreeSampler()
        _sampler.start()


def pytest_terminal_summary(terminalreporter):
    """Printed at the end of every run. The goal for the whole suite (`python -m pytest`) is under 4 GB."""
    for app in _launched:  # normally all stopped by now
        stop_app(app)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    servers = ", ".join(f"{a.label} {a.peak_mb or 0:,.0f}" for a in _launched) or "none"
    write = terminalreporter.write_line
    terminalreporter.section("peak memory")
    if _sampler is not None:
        _sampler.stop()
        write(
            f"pytest and its child processes together: {_sampler.peak_pss_mb:,.0f} MB (proportional set size summed "
            f"over the process tree, sampled every second, {_sampler.peak_processes} processes at its peak; "
            f"resident sizes summed, shared libraries counted once per process: {_sampler.peak_rss_mb:,.0f} MB)"
        )
        write(f"at that peak (MB, proportional): {_sampler.peak_detail}")
    write(
        f"pytest alone: {own:,.0f} MB; largest child process: {children:,.0f} MB (ru_maxrss; a child forked from "
        "pytest counts the pages it shared with it until it started its program)"
    )
    write(f"app servers started by the tests (MB, VmHWM): {servers}")
