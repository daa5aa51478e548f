"""core.training.metrics against scikit-learn and hand-computed cases."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

from core.training.metrics import classification_metrics


def test_matches_scikit_learn_on_random_predictions():
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 7, 500)
    y_pred = np.where(rng.random(500) < 0.6, y_true, rng.integers(0, 7, 500))
    y_pred[y_pred == 6] = 5  # class 6 never predicted: F1 0 for it, as scikit-learn counts it
    m = classification_metrics(y_true, y_pred, [str(i) for i in range(7)])
    assert m["accuracy"] == accuracy_score(y_true, y_pred)
    assert abs(m["f1_macro"] - f1_score(y_true, y_pred, average="macro")) < 1e-12
    assert m["confusion_matrix"] == confusion_matrix(y_true, y_pred, labels=range(7)).tolist()


def test_most_confused_pairs_by_hand():
    labels = ["beaver", "otter", "bus", "train"]
    y_true = [0, 0, 0, 1, 2, 2, 3]
    y_pred = [1, 1, 0, 0, 3, 2, 3]
    pairs = classification_metrics(y_true, y_pred, labels)["most_confused"]
    assert pairs[0] == {"true": "beaver", "pred": "otter", "count": 2, "rate": 2 / 3}
    assert {(p["true"], p["pred"]) for p in pairs[1:]} == {("otter", "beaver"), ("bus", "train")}
