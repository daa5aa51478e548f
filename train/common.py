"""Pieces shared by the train/ scripts: device choice, seeding, hardware, metrics.json, leaderboard headers.

The training loop and the evaluation are core's (core/training/loop.py), the same ones live training runs;
`predict` and `evaluate` are re-exported from there, `train_one_epoch` adds the scripts' step log.
"""

from __future__ import annotations

import os
import platform
import random
import time
from collections.abc import Callable, Iterable

import numpy as np
import torch
from torch import nn

from core.training import loop as training_loop
from core.training.loop import evaluate, predict  # noqa: F401 (the scripts import them from here)


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def hardware_description(device: torch.device) -> str:
    if device.type == "cuda":
        return f"{torch.cuda.get_device_name(device)} (CUDA), torch {torch.__version__}"
    cpu = platform.processor() or platform.machine()
    return f"CPU {cpu} x{os.cpu_count()} (torch threads {torch.get_num_threads()}), torch {torch.__version__}"


def train_one_epoch(
    model: nn.Module,
    loader: Iterable,
    optimizer: torch.optim.Optimizer,
    scheduler,
    device: torch.device,
    *,
    grad_clip: float = 1.0,
    autocast_dtype: torch.dtype | None = None,
    log: Callable[[str], None] = print,
) -> tuple[float, float]:
    """One pass over `loader` with the one loop (core.training.loop), logging every 50 steps; (mean loss, accuracy).

    The scheduler steps per batch."""

    def every_50(b: training_loop.BatchReport) -> None:
        if (b.step - 1) % 50 == 0:
            log(f"  step {b.step - 1}/{b.steps} loss {b.loss:.4f}")

    result = training_loop.train_one_epoch(
        model,
        loader,
        optimizer,
        scheduler,
        device,
        grad_clip=grad_clip,
        autocast_dtype=autocast_dtype,
        on_batch=every_50,
    )
    return result.loss, result.accuracy


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start


def write_run_metrics(folder, history: list[dict], test: dict, summary: dict, device: torch.device, command: str):
    """metrics.json beside a checkpoint: curves, test metrics, a summary row, hardware, time and command."""
    from pathlib import Path

    from core.catalog.checkpoint import METRICS_FILE, write_json

    write_json(
        Path(folder) / METRICS_FILE,
        {
            "history": history,
            "test": test,
            "summary": summary,
            "hardware": hardware_description(device),
            "command": command,
            "train_seconds": summary.get("train_seconds"),
        },
    )


def budget_header(budgets: dict[str, dict], describe: Callable[[dict], str], fix: str) -> list[str]:
    """Markdown lines above a leaderboard stating its training budget (a dict per row: what must match for two
    rows to be compared). One line when every row shares it; otherwise which parts differ, and `fix`."""
    if not budgets:
        return []
    first = next(iter(budgets.values()))
    keys = list(dict.fromkeys(k for b in budgets.values() for k in b))
    differ = [k for k in keys if len({repr(b.get(k)) for b in budgets.values()}) > 1]
    if not differ:
        return [f"Budget, the same for every row: {describe(first)}", ""]
    groups: dict[str, list[str]] = {}
    for name, b in budgets.items():
        groups.setdefault(repr([b.get(k) for k in differ]), []).append(name)
    shared = max(groups.values(), key=len)
    others = [n for n in budgets if n not in shared]
    return [
        f"**Budgets differ between rows** ({', '.join(k.replace('_', ' ') for k in differ)}; see the columns): a "
        f"row's rank says as much about its budget as about its architecture. Compare only rows with the same "
        f"budget: {len(shared)} of {len(budgets)} rows share {describe(budgets[shared[0]]).rstrip('.')}; "
        f"on other budgets: {', '.join(others)}. {fix}",
        "",
    ]
