"""Is this photo like the images a VQA model was trained on? A distance in the model's own image features.

An easy-VQA model has only ever seen one coloured shape on a white square; shown a cat it still picks one of its
13 answers, often with high confidence ("brown", 96 %). Its softmax cannot say "I don't know", so the app measures
something else: how far the photo's image features (the cells `VQAModel.encode_image` produces, which the chat
already computes and caches) lie from the training images' features.

The feature of one image is the mean and the standard deviation of its cell features over the grid (2 x hidden
numbers), `"feature": "cells"` in ood.json. Where a model's own image features hardly vary from one image to the
next (the committed MobileNetV2 variants, trained from scratch at 64 px, answer mostly from the question: every
image, easy-VQA or cat, lands at the same point), they cannot tell worlds apart, and the calibration falls back to
the picture itself as the model receives it: an 8 x 8 colour thumbnail of the crop (`"feature": "pixels"`). The
calibration picks the feature that catches more of a calibration set of other images (photos, Fashion-MNIST) and
reports its catch rate on video frames it did not use. The score is a diagonal Mahalanobis distance: the root mean
square, over those numbers, of (feature - training mean) / training spread. The threshold is a high percentile of the
scores of held-out in-domain images (validation images the statistics were not fitted on), so at most a few per cent of
real easy-VQA images are flagged; `python -m train.vqa --ood-only` fits it and writes `ood.json` beside each checkpoint
(docs/OOD_VQA_TEXT.md has the measured rates). Plain functions, numpy in and out; no Gradio.
"""

from __future__ import annotations

import numpy as np

from core.training.ood import (  # noqa: F401  (the shared pieces, used through this module by train/vqa.py)
    Verdict,
    flag_rate,
    load_calibration,
    percentile_threshold,
    threshold_verdict,
    write_calibration,
)

METHOD = 'diagonal Mahalanobis distance of an image feature ("feature") from the training images'


def cell_summary(cells) -> np.ndarray:
    """(B, N, hidden) cell features (a torch tensor or an array) -> (B, 2 * hidden): their mean and std over cells."""
    x = np.asarray(cells.float().cpu() if hasattr(cells, "float") else cells, dtype=np.float64)
    return np.concatenate([x.mean(1), x.std(1)], axis=1)


def pixel_summary(crops) -> np.ndarray:
    """(B, 3, S, S) uint8 crops (what the model receives) -> (B, 192): an 8 x 8 colour thumbnail, values in [0, 1]."""
    import torch
    import torch.nn.functional as F

    x = torch.as_tensor(crops).float() / 255.0
    return F.adaptive_avg_pool2d(x, 8).flatten(1).numpy().astype(np.float64)


def image_feature(kind: str, crops, cells) -> np.ndarray:
    """The feature a calibration names ("cells" or "pixels") of a batch: its crops (B, 3, S, S) or its cells."""
    return cell_summary(cells) if kind == "cells" else pixel_summary(crops)


def fit(features: np.ndarray) -> dict:
    """The training features' per-dimension mean and spread (std, floored so a constant dimension cannot divide
    by zero)."""
    features = np.asarray(features, dtype=np.float64)
    std = features.std(0)
    floor = max(float(np.median(std)) * 0.1, 1e-6)
    return {"mean": features.mean(0).tolist(), "scale": np.maximum(std, floor).tolist()}


def scores(stats: dict, features: np.ndarray) -> np.ndarray:
    """Distance of each row of `features` (B, D) from the fitted statistics: RMS of the standardised difference."""
    z = (np.asarray(features, dtype=np.float64) - np.asarray(stats["mean"])) / np.asarray(stats["scale"])
    return np.sqrt((z**2).mean(1))


def verdict(calibration: dict, feature: np.ndarray) -> Verdict:
    """One feature row against a calibration (what load_calibration returns)."""
    score = float(scores(calibration["stats"], np.asarray(feature)[None])[0])
    return threshold_verdict(score, calibration, "feature distance")


def rounded(values, digits: int = 5) -> list[float]:
    """Fewer digits in the JSON (the statistics need no more than float32's precision)."""
    return [float(f"{v:.{digits}g}") for v in values]
