"""Classification metrics shared by every train/ and evaluate script."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def classification_metrics(
    y_true: Sequence[int], y_pred: Sequence[int], labels: Sequence[str], *, top_pairs: int = 10
) -> dict:
    """Accuracy, F1-macro, confusion matrix and the most confused (true -> predicted) pairs."""
    y_true, y_pred = np.asarray(y_true, dtype=int), np.asarray(y_pred, dtype=int)
    n = len(labels)
    cm = np.zeros((n, n), dtype=np.int64)
    np.add.at(cm, (y_true, y_pred), 1)
    return {
        "accuracy": float((y_true == y_pred).mean()) if len(y_true) else 0.0,
        "f1_macro": f1_macro(cm),
        "num_samples": int(len(y_true)),
        "confusion_matrix": cm.tolist(),
        "most_confused": most_confused_pairs(cm, labels, top_pairs),
    }


def f1_macro(cm: np.ndarray) -> float:
    """Mean per-class F1 over the classes present in the labels or the predictions (as scikit-learn does)."""
    tp = np.diag(cm).astype(float)
    support, predicted = cm.sum(axis=1), cm.sum(axis=0)
    denom = support + predicted
    present = denom > 0
    f1 = np.divide(2 * tp, denom, out=np.zeros_like(tp), where=present)
    return float(f1[present].mean()) if present.any() else 0.0


def most_confused_pairs(cm: np.ndarray, labels: Sequence[str], k: int = 10) -> list[dict]:
    off = cm.copy()
    np.fill_diagonal(off, 0)
    order = np.argsort(off, axis=None)[::-1][:k]
    pairs = []
    for flat in order:
        t, p = np.unravel_index(flat, off.shape)
        if off[t, p] == 0:
            break
        pairs.append(
            {
                "true": labels[t],
                "pred": labels[p],
                "count": int(off[t, p]),
                "rate": float(off[t, p] / max(cm[t].sum(), 1)),
            }
        )
    return pairs
