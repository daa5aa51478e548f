"""No process outlives the one that started it: app servers launched by the tests, and the app's own children
(METEOR's Java, espeak-ng), even when the parent is killed with SIGKILL (core.runtime.subprocess_guard)."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.runtime import subprocess_guard
from tests.conftest import REPO

pytestmark = pytest.mark.skipif(
    not subprocess_guard.kills_children_with_parent(), reason="the parent-death signal is Linux-only"
)


def running(pid: int) -> bool:
    """Alive and not a zombie (a killed orphan may wait as a zombie for a reaper that never comes)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def children_of(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rpartition(")")[2].split()[1]) == pid:
                    out.append(int(entry.name))
            except OSError:
                continue
    return out


def wait_until(condition, timeout: float, what: str):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def kill_parent_and_check_child_dies(parent: subprocess.Popen, child: int) -> None:
    assert running(child)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    wait_until(lambda: not running(child), 10, f"child {child} ({cmdline(child)}) to die with its parent")


PARENT = """
import subprocess, sys, time
from core.runtime import subprocess_guard
spawn = subprocess_guard.popen if sys.argv[1] == "guarded" else subprocess.Popen
print(spawn(["sleep", "300"]).pid, flush=True)
time.sleep(300)
"""


@pytest.mark.parametrize("how", ["guarded", "plain"])
@pytest.mark.slow
def test_a_child_dies_with_its_sigkilled_parent_only_when_guarded(how):
    parent = subprocess_guard.popen([sys.executable, "-c", PARENT, how], cwd=REPO, stdout=subprocess.PIPE, text=True)
    child = int(parent.stdout.readline())
    try:
        if how == "guarded":
            kill_parent_and_check_child_dies(parent, child)
        else:  # what happened before: the orphan keeps running (so the check above can fail)
            parent.send_signal(signal.SIGKILL)
            parent.wait()
            time.sleep(1)
            assert running(child)
    finally:
        parent.kill()
        if running(child) and "sleep" in cmdline(child):
            os.kill(child, signal.SIGKILL)


def fake_program(folder: Path, name: str) -> None:
    """A program of that name that never answers (a hung JVM, a stuck synthesiser)."""
    path = folder / name
    path.write_text("#!/bin/sh\nexec sleep 300\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


APP_CHILD = {
    "java": """
import sys
from pathlib import Path
from core.caption import metrics
metrics.meteor_unavailable_reason = lambda: None  # the fake java on PATH stands in for Java and the jar
metrics._meteor_jar = lambda: Path(sys.argv[1]) / "meteor-1.5.jar"
metrics.meteor([["con", "cho"]], [[["con", "cho"]]], timeout_s=300)
""",
    "espeak-ng": """
import sys
from pathlib import Path
from core.video import speech
speech._espeak("xin chao", "vi", Path(sys.argv[1]))
""",
}


@pytest.mark.parametrize("program", sorted(APP_CHILD))
@pytest.mark.slow
def test_the_apps_own_children_die_with_a_sigkilled_parent(program, tmp_path):
    """The real call sites (core.caption.metrics.meteor, core.video.speech) start the program; its parent is killed
    while it runs."""
    fake_program(tmp_path, program)
    env = {**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"}
    parent = subprocess_guard.popen([sys.executable, "-c", APP_CHILD[program], str(tmp_path)], cwd=REPO, env=env)
    try:
        (child,) = wait_until(
            lambda: [p for p in children_of(parent.pid) if "sleep 300" in cmdline(p)], 60, f"{program} to start"
        )
        kill_parent_and_check_child_dies(parent, child)
    finally:
        parent.kill()


HOLDER = """
import os, time

def test_holds_a_server(tiny_app):
    path = os.environ["SERVER_PID_FILE"]
    with open(path + ".tmp", "w") as f:
        f.write(str(tiny_app.proc.pid))
    os.replace(path + ".tmp", path)
    time.sleep(300)
"""


@pytest.mark.server
def test_servers_die_with_a_sigkilled_pytest(tmp_path):
    """A pytest run whose test holds tests/conftest.py's tiny_app server is killed with SIGKILL mid-test: no
    fixture teardown runs, and the server must go all the same."""
    (tmp_path / "test_holder.py").write_text(HOLDER)
    pid_file = tmp_path / "server.pid"
    log = tmp_path / "pytest.log"
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tests.conftest"]
    pytest_run = subprocess_guard.popen(
        [*cmd, str(tmp_path / "test_holder.py")],
        cwd=REPO,
        env={**os.environ, "SERVER_PID_FILE": str(pid_file)},
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until(lambda: pid_file.exists() or pytest_run.poll() is not None, 180, "the server to start")
        assert pid_file.exists(), log.read_text()[-3000:]
        server = int(pid_file.read_text())
        assert running(server) and "app.py" in cmdline(server)
        kill_parent_and_check_child_dies(pytest_run, server)
    finally:
        pytest_run.kill()


EARLY_STOP = """
import os
import tests.conftest as conftest
from core.runtime import subprocess_guard

def launch_stand_in(tmp, **env):  # a process in the server's place: no app start-up to wait for
    app = conftest.LaunchedApp("http://127.0.0.1:9/", subprocess_guard.popen(["sleep", "300"]), tmp / "log", "stand-in")
    conftest._launched.append(app)
    return app

conftest.launch_app = launch_stand_in
pids = []

def test_first_user(tiny_app):
    pids.append(tiny_app.proc.pid)

def test_last_user(tiny_app):
    assert tiny_app.alive()

def test_after_the_last_user():
    try:
        os.kill(pids[0], 0)
    except ProcessLookupError:
        return  # stopped and reaped
    raise AssertionError("the session's server outlived its last test")
"""


@pytest.mark.slow
def test_session_servers_stop_after_their_last_test_and_the_run_prints_its_peak_memory(tmp_path):
    (tmp_path / "test_early_stop.py").write_text(EARLY_STOP)
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tests.conftest"]
    out = subprocess_guard.run(
        [*cmd, str(tmp_path / "test_early_stop.py")], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stdout[-3000:]
    assert "3 passed" in out.stdout
    summary = out.stdout[out.stdout.index("peak memory") :]
    assert "pytest and its child processes together:" in summary and "pytest alone:" in summary
    assert "stand-in" in summary  # the server's own peak (VmHWM), read when it stopped
