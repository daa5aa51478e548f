"""Read and plot what a train/ script recorded beside a checkpoint (curves, confusion matrix)."""

from __future__ import annotations

from typing import Any

from core.catalog import get_spec
from core.catalog.checkpoint import read_config, read_metrics
from core.catalog.weights import LocalCheckpoint

# Axis words of the plots, for the UI's two languages (course terms: hàm mất mát = loss, độ chính xác = accuracy).
PLOT_WORDS = {
    "en": {
        "epoch": "epoch",
        "loss_axis": "cross-entropy loss",
        "loss": "loss",
        "acc_axis": "accuracy (%)",
        "acc": "accuracy",
        "train": "train",
        "val": "val",
        "predicted": "predicted",
        "true": "true",
        "confusion": "confusion matrix (row-normalised)",
    },
    "vi": {
        "epoch": "epoch",
        "loss_axis": "hàm mất mát cross-entropy",
        "loss": "hàm mất mát",
        "acc_axis": "độ chính xác (%)",
        "acc": "độ chính xác",
        "train": "huấn luyện",
        "val": "kiểm định",
        "predicted": "dự đoán",
        "true": "nhãn đúng",
        "confusion": "ma trận nhầm lẫn (chuẩn hoá theo hàng)",
    },
}


def find_report(model_name: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(config, metrics) of the model's local checkpoint, without loading its weights; None if absent."""
    for source in get_spec(model_name).weights:
        if isinstance(source, LocalCheckpoint):
            path = source.path()
            metrics = read_metrics(path)
            if metrics is not None:
                return read_config(path), metrics
    return None


def curve_rows(history: list[dict[str, Any]], *, lang: str = "en", points: list[dict[str, Any]] | None = None):
    """Loss and accuracy, train vs validation, as long-form rows for a line plot: a pandas DataFrame with columns
    epoch (a number: fractional within an epoch), value (a number; accuracy as a fraction, so both fit one axis)
    and curve (its name in `lang`). The UI draws them with gr.LinePlot: the browser gets the numbers, not a picture.

    `points` (what live training records: {"epoch", "split", "loss", "acc"}, train points every few batches and
    validation before training and after each epoch) draw each curve inside an epoch too, so a one-epoch run is a
    line, not a dot; without them, one point per epoch from `history`. The columns are numeric even when empty:
    a plot first sent an empty table of text columns keeps drawing its axis as text (unordered labels, no line)."""
    import pandas as pd

    words = PLOT_WORDS.get(lang, PLOT_WORDS["en"])
    if points:
        rows = [
            (float(p["epoch"]), round(float(p[kind]), 4), f"{words[p['split']]} · {words[name]}")
            for split in ("train", "val")  # train first: the legend lists the curves in the order they come
            for p in points
            if p["split"] == split
            for kind, name in (("loss", "loss"), ("acc", "acc"))
        ]
    else:
        rows = [
            (float(h["epoch"]), round(float(h[f"{split}_{kind}"]), 4), f"{words[split]} · {words[name]}")
            for h in history
            for kind, name in (("loss", "loss"), ("acc", "acc"))
            for split in ("train", "val")
        ]
    return pd.DataFrame(
        {
            "epoch": pd.Series([r[0] for r in rows], dtype="float64"),
            "value": pd.Series([r[1] for r in rows], dtype="float64"),
            "curve": pd.Series([r[2] for r in rows], dtype="str"),
        }
    )


def plot_curves(metrics: dict[str, Any], title: str = "", *, lang: str = "en"):
    """Loss and accuracy per epoch, train vs validation, as a matplotlib Figure (the PNG train/ scripts write
    beside a checkpoint; the app sends curve_rows to a gr.LinePlot instead). Figure API: see plot_confusion."""
    from matplotlib.figure import Figure

    words = PLOT_WORDS.get(lang, PLOT_WORDS["en"])
    history = metrics.get("history", [])
    epochs = [h["epoch"] for h in history]
    fig = Figure(figsize=(9, 3.2))
    ax_loss, ax_acc = fig.subplots(1, 2)
    for split in ("train", "val"):
        ax_loss.plot(epochs, [h[f"{split}_loss"] for h in history], marker="o", label=words[split])
        ax_acc.plot(epochs, [100 * h[f"{split}_acc"] for h in history], marker="o", label=words[split])
    ax_loss.set(xlabel=words["epoch"], ylabel=words["loss_axis"], title=words["loss"])
    ax_acc.set(xlabel=words["epoch"], ylabel=words["acc_axis"], title=words["acc"])
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_confusion(metrics: dict[str, Any], labels: list[str], title: str = "", *, lang: str = "en"):
    """Row-normalised confusion matrix of the test set, axes in `lang` ("en" or "vi").

    Built with matplotlib's Figure API, not pyplot: pyplot keeps global state that two requests drawing at once
    in Gradio's worker threads would share; a Figure of its own is thread-safe and freed with its last reference."""
    import numpy as np
    from matplotlib.figure import Figure

    cm = np.asarray(metrics["test"]["confusion_matrix"], dtype=float)
    cm = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    fig = Figure(figsize=(6, 5.5))
    ax = fig.subplots()
    im = ax.imshow(cm, cmap="Blues", vmin=0, vmax=1)
    words = PLOT_WORDS.get(lang, PLOT_WORDS["en"])
    ax.set(xlabel=words["predicted"], ylabel=words["true"], title=title or words["confusion"])
    if len(labels) <= 20:
        ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=7)
        ax.set_yticks(range(len(labels)), labels, fontsize=7)
    fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    return fig
