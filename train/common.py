"""Training-loop pieces shared by the train/ scripts: device choice, seeding, epochs, evaluation, hardware."""

from __future__ import annotations

import math
import os
import platform
import random
import time
from collections.abc import Callable

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from core.batching import eval_batch_size, predict_in_batches
from core.metrics import classification_metrics


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
    loader: DataLoader,
    optimizer: torch.optim.Optimizer,
    scheduler,
    device: torch.device,
    *,
    grad_clip: float = 1.0,
    autocast_dtype: torch.dtype | None = None,
    log: Callable[[str], None] = print,
) -> tuple[float, float]:
    """One pass over `loader`; returns (mean loss, accuracy). The scheduler steps per batch."""
    model.train()
    loss_fn = nn.CrossEntropyLoss()
    total_loss, correct, seen = 0.0, 0, 0
    for step, (x, y) in enumerate(loader):
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        with torch.autocast(device.type, dtype=autocast_dtype, enabled=autocast_dtype is not None):
            logits = model(x)
            loss = loss_fn(logits.float(), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if grad_clip:
            nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
        optimizer.step()
        scheduler.step()
        if not math.isfinite(loss.item()):
            raise FloatingPointError(f"loss became {loss.item()} at step {step}; lower the learning rate")
        total_loss += loss.item() * len(y)
        correct += int((logits.argmax(1) == y).sum())
        seen += len(y)
        if step % 50 == 0:
            log(f"  step {step}/{len(loader)} loss {loss.item():.4f}")
    return total_loss / max(seen, 1), correct / max(seen, 1)


@torch.no_grad()
def predict(model: nn.Module, loader: DataLoader, device: torch.device) -> tuple[float, list[int], list[int]]:
    """Mean loss, true labels and predicted labels over `loader`. Each of its batches runs in pieces sized by the
    model's activation memory (core.batching), whatever batch size the loader was given."""
    model.eval()
    loss_fn = nn.CrossEntropyLoss(reduction="sum")
    total, y_true, y_pred = 0.0, [], []
    sized_for, batch_size = 0, 1  # measured again when an input is bigger (text batches grow to the longest text)
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        if x[0].numel() > sized_for:
            sized_for, batch_size = x[0].numel(), eval_batch_size(model, x)
        logits = predict_in_batches(model, x, batch_size=batch_size).float()
        total += loss_fn(logits, y).item()
        y_true += y.tolist()
        y_pred += logits.argmax(1).tolist()
    return total / max(len(y_true), 1), y_true, y_pred


def evaluate(model: nn.Module, loader: DataLoader, device: torch.device, labels: list[str]) -> dict:
    loss, y_true, y_pred = predict(model, loader, device)
    return {"loss": loss, **classification_metrics(y_true, y_pred, labels)}


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start


def write_run_metrics(folder, history: list[dict], test: dict, summary: dict, device: torch.device, command: str):
    """metrics.json beside a checkpoint: curves, test metrics, a summary row, hardware, time and command."""
    from pathlib import Path

    from core.checkpoint import METRICS_FILE, write_json

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
