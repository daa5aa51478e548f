"""The one training loop and the one evaluation: train/ scripts (via train/common.py) and live training use these.

A recipe change made here (gradient clipping, the loss, a divergence check) reaches every checkpoint this project
trains, the ones trained during a lecture included. Callers bring their own data as any iterable of (x, y) batches:
a DataLoader, or `TensorBatches` over uint8 tensors held in memory. Live training watches the loop through
`on_batch` (progress) and stops it through `should_stop` (cancel, time budget).

Evaluation runs in bounded batches: every batch the caller's iterable yields is split again into pieces
of at most `batch_size` inputs, by default as many as the model's activations allow (core.runtime.batching), so memory
does not grow with the evaluation set or with a caller's large loader batch.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import torch
from torch import nn

from core.runtime.batching import eval_batch_size, predict_in_batches
from core.runtime.messages import Bilingual, UserError
from core.training.metrics import classification_metrics

EVAL_BATCH_SIZE = 512  # inputs normalised at once by TensorBatches for evaluation; the forward may split further


class TrainingDiverged(UserError, FloatingPointError):
    title = Bilingual("Training diverged", "Quá trình huấn luyện phân kỳ")


@dataclass
class BatchReport:
    """What `on_batch` sees after each optimiser step."""

    step: int  # batches done in this epoch, from 1
    steps: int | None  # batches in the epoch, when the iterable has a len()
    loss: float  # this batch's loss
    mean_loss: float  # over the epoch so far
    accuracy: float  # over the epoch so far


@dataclass
class EpochResult:
    loss: float  # mean over the inputs seen
    accuracy: float
    seen: int
    stopped: bool = False  # should_stop() ended the epoch early


class TensorBatches:
    """(x, y) batches from tensors in memory: shuffled and augmented (core.training.zoo_data.augment_batch) when
    `augment`,
    normalised per batch, so a uint8 data set is never converted to floats at once. An epoch per iteration.

    `indices` picks a subset without copying it (live training's first n images of a shuffled order).
    """

    def __init__(
        self,
        x: torch.Tensor,
        y: torch.Tensor,
        batch_size: int,
        normalise: Callable[[torch.Tensor], torch.Tensor] | None = None,
        generator: torch.Generator | None = None,
        *,
        augment: bool = False,
        indices: torch.Tensor | None = None,
    ):
        if augment and generator is None:
            raise ValueError("augment=True needs a generator (the order and the crops must be reproducible)")
        self.x, self.y, self.batch_size = x, y, batch_size
        self.normalise = normalise or (lambda t: t)
        self.generator, self.augment = generator, augment
        self.indices = torch.arange(len(y)) if indices is None else indices

    def __len__(self) -> int:
        return -(-len(self.indices) // self.batch_size)

    def __iter__(self):
        from core.training.zoo_data import augment_batch

        order = self.indices
        if self.augment:
            order = order[torch.randperm(len(order), generator=self.generator)]
        for i in range(0, len(order), self.batch_size):
            idx = order[i : i + self.batch_size]
            x = self.x[idx]
            if self.augment:
                x = augment_batch(x, self.generator)
            yield self.normalise(x), self.y[idx]


def train_one_epoch(
    model: nn.Module,
    batches: Iterable,
    optimizer: torch.optim.Optimizer,
    scheduler=None,
    device: torch.device | None = None,
    *,
    grad_clip: float = 1.0,
    autocast_dtype: torch.dtype | None = None,
    on_batch: Callable[[BatchReport], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> EpochResult:
    """One pass over `batches` with cross-entropy, gradient clipping (max norm `grad_clip`, 0 for none) and the
    scheduler stepped per batch. `should_stop()` is asked before each batch; True ends the epoch there
    (`stopped`). A non-finite loss raises TrainingDiverged instead of training on NaN weights."""
    model.train()
    loss_fn = nn.CrossEntropyLoss()
    steps = len(batches) if hasattr(batches, "__len__") else None
    total_loss, correct, seen = 0.0, 0, 0
    for step, (x, y) in enumerate(batches):
        if should_stop is not None and should_stop():
            return EpochResult(total_loss / max(seen, 1), correct / max(seen, 1), seen, stopped=True)
        if device is not None:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        kind = (device or x.device).type
        with torch.autocast(kind, dtype=autocast_dtype, enabled=autocast_dtype is not None):
            logits = model(x)
            loss = loss_fn(logits.float(), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if grad_clip:
            nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        value = loss.item()
        if not math.isfinite(value):
            raise TrainingDiverged(
                f"loss became {value} at step {step}; lower the learning rate",
                f"hàm mất mát thành {value} ở bước {step}; hãy giảm tốc độ học (learning rate)",
            )
        total_loss += value * len(y)
        correct += int((logits.argmax(1) == y).sum())
        seen += len(y)
        if on_batch is not None:
            on_batch(BatchReport(step + 1, steps, value, total_loss / seen, correct / seen))
    return EpochResult(total_loss / max(seen, 1), correct / max(seen, 1), seen)


@torch.no_grad()
def predict(
    model: nn.Module, batches: Iterable, device: torch.device | None = None, *, batch_size: int | None = None
) -> tuple[float, list[int], list[int]]:
    """Mean cross-entropy, true labels and predicted labels over `batches`, in eval mode without gradients.

    Each batch runs in pieces of at most `batch_size` inputs; None (the default) sizes them by the model's
    activation memory (core.runtime.batching.eval_batch_size: a 256 MiB budget, at most 1,024 inputs), measured again
    when an input is bigger (text batches grow to the longest text)."""
    model.eval()
    loss_fn = nn.CrossEntropyLoss(reduction="sum")
    total, y_true, y_pred = 0.0, [], []
    sized_for, size = 0, batch_size or 1
    for x, y in batches:
        if device is not None:
            x, y = x.to(device), y.to(device)
        if batch_size is None and x[0].numel() > sized_for:
            sized_for, size = x[0].numel(), eval_batch_size(model, x)
        logits = predict_in_batches(model, x, batch_size=size).float()
        total += loss_fn(logits, y).item()
        y_true += y.tolist()
        y_pred += logits.argmax(1).tolist()
    return total / max(len(y_true), 1), y_true, y_pred


def evaluate(
    model: nn.Module,
    batches: Iterable,
    device: torch.device | None = None,
    labels: list[str] | None = None,
    *,
    batch_size: int | None = None,
) -> dict:
    """{"loss", "accuracy", "f1_macro", "num_samples", "confusion_matrix", "most_confused"} over `batches` (see
    `predict` for the batch size). Without `labels`, the classes are numbered."""
    loss, y_true, y_pred = predict(model, batches, device, batch_size=batch_size)
    if labels is None:
        labels = [str(i) for i in range(max(y_true + y_pred, default=-1) + 1)]
    return {"loss": loss, **classification_metrics(y_true, y_pred, labels)}
