"""A micro-batcher: requests for the same model that arrive within a few milliseconds share one forward pass.

When thirty students click at once, running thirty batch-1 forwards two at a time leaves the CPU's matrix units
half idle and makes the last student wait for everyone. Here the first request of a batch waits at most
`wait_s` for others (up to `max_batch`), a worker thread runs them stacked, and each caller gets its own row back.
Requests that arrive while a batch runs form the next batch, without waiting again. `workers` batches of the same
model may run at once (core/runtime/serving.py pairs that with torch's threads per forward, so the cores stay busy).

Thread safe (callers are Gradio's worker threads). Errors are isolated: if a stacked forward fails, every request
of that batch is retried alone, so one bad input fails only its own request. Inputs of different shapes never
share a forward.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch


@dataclass
class BatchInfo:
    size: int  # requests in the forward that served this one
    forward_ms: float  # that forward's time (shared by all its requests)


@dataclass
class _Request:
    x: torch.Tensor  # (1, ...)
    done: threading.Event = field(default_factory=threading.Event)
    result: Any = None
    error: BaseException | None = None
    info: BatchInfo | None = None


class MicroBatcher:
    """`submit(x)` with x of shape (1, ...) returns (`run(stacked)` split per request, BatchInfo).

    `run` takes a (B, ...) tensor and returns a sequence (or tensor) of B per-request results."""

    def __init__(
        self,
        run: Callable[[torch.Tensor], Any],
        *,
        max_batch: int,
        wait_s: float,
        workers: int = 1,
        name: str = "batch",
    ):
        self._run = run
        self.max_batch = max(1, max_batch)
        self.wait_s = max(0.0, wait_s)
        self.workers = max(1, workers)
        self._pending: list[_Request] = []
        self._cond = threading.Condition()
        self._threads: list[threading.Thread] = []
        self._name = name
        self.batch_sizes: list[int] = []  # every forward tried, its size: for tests (the last 1,000 kept)

    def submit(self, x: torch.Tensor) -> tuple[Any, BatchInfo]:
        request = _Request(x)
        with self._cond:
            self._pending.append(request)
            self._threads = [t for t in self._threads if t.is_alive()]
            while len(self._threads) < self.workers:
                thread = threading.Thread(target=self._loop, name=f"microbatch-{self._name}", daemon=True)
                thread.start()
                self._threads.append(thread)
            self._cond.notify_all()
        request.done.wait()
        if request.error is not None:
            raise request.error
        return request.result, request.info

    def _loop(self) -> None:
        while True:
            with self._cond:
                # A worker exits when idle; the next submit starts new ones (no threads kept for idle models).
                if not self._cond.wait_for(lambda: self._pending, timeout=30.0):
                    self._threads = [t for t in self._threads if t is not threading.current_thread()]
                    return
                deadline = time.monotonic() + self.wait_s
                while len(self._pending) < self.max_batch and (left := deadline - time.monotonic()) > 0:
                    self._cond.wait(left)
                if not self._pending:  # another worker took them meanwhile
                    continue
                shape = self._pending[0].x.shape
                batch = [r for r in self._pending if r.x.shape == shape][: self.max_batch]
                taken = set(map(id, batch))
                self._pending = [r for r in self._pending if id(r) not in taken]
            self._serve(batch)

    def _serve(self, batch: list[_Request]) -> None:
        try:
            self._forward(batch)
        except Exception:
            if len(batch) == 1:
                self._fail(batch[0])
            else:
                for request in batch:  # isolate the failing input: each request alone
                    try:
                        self._forward([request])
                    except Exception:
                        self._fail(request)
        finally:
            for request in batch:
                request.done.set()

    def _forward(self, batch: list[_Request]) -> None:
        self.batch_sizes = [*self.batch_sizes[-999:], len(batch)]
        x = torch.cat([r.x for r in batch]) if len(batch) > 1 else batch[0].x
        t0 = time.perf_counter()
        outputs = self._run(x)
        info = BatchInfo(size=len(batch), forward_ms=(time.perf_counter() - t0) * 1000)
        if len(outputs) != len(batch):
            raise RuntimeError(f"{self._name}: {len(outputs)} outputs for {len(batch)} inputs")
        for request, out in zip(batch, outputs):
            request.result, request.info, request.error = out, info, None

    @staticmethod
    def _fail(request: _Request) -> None:
        import sys

        request.error = sys.exc_info()[1]
