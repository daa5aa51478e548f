"""Classification metrics shared by every train/ and evaluate script: scikit-learn's accuracy, macro-F1 and
confusion matrix, and the most confused pairs read off that matrix."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def classification_metrics(
    y_true: Sequence[int], y_pred: Sequence[int], labels: Sequence[str], *, top_pairs: int = 10
) -> dict:
    """Accuracy, F1-macro (over the classes present in the labels or the predictions), confusion matrix (rows:
    true class, columns: predicted, every class of `labels`) and the most confused (true -> predicted) pairs."""
    # Imported here, not at the top: sklearn.metrics takes seconds to import (docs/DECODING.md) and only training
    # and evaluation call this.
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

    y_true, y_pred = np.asarray(y_true, dtype=int), np.asarray(y_pred, dtype=int)
    n = len(labels)
    empty = len(y_true) == 0  # scikit-learn raises on empty inputs; an empty evaluation reports zeros
    cm = np.zeros((n, n), np.int64) if empty else confusion_matrix(y_true, y_pred, labels=np.arange(n))
    return {
        "accuracy": 0.0 if empty else float(accuracy_score(y_true, y_pred)),
        "f1_macro": 0.0 if empty else float(f1_score(y_true, y_pred, average="macro", zero_division=0.0)),
        "num_samples": int(len(y_true)),
        "confusion_matrix": cm.tolist(),
        "most_confused": most_confused_pairs(cm, labels, top_pairs),
    }


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
