"""Child processes that die with the process that started them, however it ends (even SIGKILL).

Every process the app or its tests start (METEOR's Java, espeak-ng, app servers launched by the tests) goes through
`popen` / `run` here, which pass subprocess.Popen's own arguments through and add:
- on Linux, prctl(PR_SET_PDEATHSIG, SIGKILL) in the child before it runs its program: the kernel kills the child
  when its parent dies, which no handler in the parent can do after a SIGKILL or an out-of-memory kill;
- its own session (start_new_session), so a Ctrl-C or a signal meant for the parent's process group reaches the
  parent, which then ends the child in its own cleanup.
Elsewhere only the session applies (POSIX) and callers' cleanup stays what ends the child.

Linux sends the signal when the *thread* that started the child ends: start children from a thread that outlives
them (the main thread, or the request handler that waits for them), as every caller here does.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
from typing import Any

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _libc_prctl():
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl  # resolved here: the child must not load libraries
    except (OSError, AttributeError):
        return None


_prctl = _libc_prctl()


def _die_with(parent_pid: int):
    def preexec() -> None:  # runs in the child between fork and exec
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent_pid:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


def guarded(kwargs: dict[str, Any]) -> dict[str, Any]:
    """subprocess keyword arguments plus the parent-death signal and a session of the child's own."""
    if "preexec_fn" in kwargs:
        raise ValueError("subprocess_guard sets preexec_fn itself")
    out = {"start_new_session": True, **kwargs}
    if _prctl is not None:
        out["preexec_fn"] = _die_with(os.getpid())
    return out


def popen(args, **kwargs) -> subprocess.Popen:
    """subprocess.Popen(args, **kwargs) whose child dies with this process."""
    return subprocess.Popen(args, **guarded(kwargs))


def run(args, **kwargs) -> subprocess.CompletedProcess:
    """subprocess.run(args, **kwargs) whose child dies with this process (and, as always, on its timeout)."""
    return subprocess.run(args, **guarded(kwargs))


def kills_children_with_parent() -> bool:
    """Whether the kernel's parent-death signal is used here (Linux)."""
    return _prctl is not None
