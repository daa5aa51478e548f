"""Shared fixtures: a launched app on a loopback port, tiny models, and image files for bad-input tests.

The app servers started here die with pytest however it ends (core.subprocess_guard).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from core import subprocess_guard

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LaunchedApp:
    def __init__(self, url: str, proc: subprocess.Popen, log: Path):
        self.url, self.proc, self.log = url, proc, log

    def alive(self) -> bool:
        return self.proc.poll() is None


def launch_app(tmp: Path, **env: str) -> LaunchedApp:
    """app.py on a free loopback port. It dies with this process however that ends (core.subprocess_guard:
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
    app = LaunchedApp(f"http://127.0.0.1:{port}/", proc, log)
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
    app.proc.terminate()
    try:
        app.proc.wait(10)
    except subprocess.TimeoutExpired:
        app.proc.kill()
        app.proc.wait()


@pytest.fixture(scope="session")
def tiny_app(tmp_path_factory):
    """app.py with APP_PROFILE=tiny, offline."""
    tmp = tmp_path_factory.mktemp("tiny_app")
    app = launch_app(tmp, APP_PROFILE="tiny", HF_HUB_OFFLINE="1")
    yield app
    stop_app(app)


@pytest.fixture(scope="session")
def offline_default_app(tmp_path_factory):
    """app.py with real-weight profile but no weights anywhere: empty checkpoint dir, empty caches, offline."""
    tmp = tmp_path_factory.mktemp("default_app")
    (tmp / "ckpt").mkdir()
    app = launch_app(
        tmp,
        APP_PROFILE="default",
        HF_HUB_OFFLINE="1",
        CHECKPOINT_DIR=str(tmp / "ckpt"),
        TORCH_HOME=str(tmp / "torch"),
        HF_HOME=str(tmp / "hf"),
    )
    yield app
    stop_app(app)


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
    app = launch_app(
        tmp, APP_PROFILE="default", HF_HUB_OFFLINE="1", TORCH_HOME=str(tmp / "torch"), HF_HOME=str(tmp / "hf")
    )
    yield app
    stop_app(app)


CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = REPO / "artifacts"  # browser screenshots, one per tab


@pytest.fixture(scope="session")
def browser():
    """Playwright driving Debian's Chromium; open pages with browser.new_page(locale="en-US" or "vi-VN")."""
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
