"""Read and plot what a train/ script recorded beside a checkpoint (curves, confusion matrix)."""

from __future__ import annotations

from typing import Any

from core.checkpoint import read_config, read_metrics
from core.registry import get_spec
from core.weights import LocalCheckpoint


def find_report(model_name: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(config, metrics) of the model's local checkpoint, without loading its weights; None if absent."""
    for source in get_spec(model_name).weights:
        if isinstance(source, LocalCheckpoint):
            path = source.path()
            metrics = read_metrics(path)
            if metrics is not None:
                return read_config(path), metrics
    return None


def plot_curves(metrics: dict[str, Any], title: str = ""):
    """Loss and accuracy per epoch, train vs validation (a matplotlib Figure)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    history = metrics.get("history", [])
    epochs = [h["epoch"] for h in history]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(9, 3.2))
    for split in ("train", "val"):
        ax_loss.plot(epochs, [h[f"{split}_loss"] for h in history], marker="o", label=split)
        ax_acc.plot(epochs, [100 * h[f"{split}_acc"] for h in history], marker="o", label=split)
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy loss", title="loss")
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", title="accuracy")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_confusion(metrics: dict[str, Any], labels: list[str], title: str = ""):
    """Row-normalised confusion matrix of the test set."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    cm = np.asarray(metrics["test"]["confusion_matrix"], dtype=float)
    cm = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(6, 5.5))
    im = ax.imshow(cm, cmap="Blues", vmin=0, vmax=1)
    ax.set(xlabel="predicted", ylabel="true", title=title or "confusion matrix (row-normalised)")
    if len(labels) <= 20:
        ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=7)
        ax.set_yticks(range(len(labels)), labels, fontsize=7)
    fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    return fig
