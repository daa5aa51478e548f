"""k-shot CLIP: fit linear heads on k frozen support features per class and classify a query image.

The shots are nested: class c's images are shuffled once (fixed seed) and k takes the first k, so moving the
slider from 5 to 10 adds five images instead of drawing ten new ones, and a student sees the effect of more data,
not of a different draw. Features are cached upstream (core.clip.support), so a slider move costs two probe fits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from core.clip.probe import PROBES, fit_probe, zero_shot_weight
from core.clip.support import MAX_SHOTS, SupportSet
from core.clip.zero_shot import ClipInputError, ZeroShotResult, zero_shot
from core.runtime.messages import Bilingual


@dataclass
class ProbeOutput:
    kind: str
    probabilities: np.ndarray  # (C,)
    fit_ms: float
    prior_scale: float


@dataclass
class KShotResult:
    names: list[str]
    k: int
    shots: list[int]  # support images used per class
    zero_shot: ZeroShotResult
    probes: dict[str, ProbeOutput]  # empty for k = 0
    nearest: list[tuple[str, str, float]]  # (path, class, cosine) of the support images closest to the query
    notes: list[str] = field(default_factory=list)


def select_shots(support: SupportSet, k: int, seed: int = 0) -> tuple[np.ndarray, list[int], list[str]]:
    """Indices of up to k images per class (nested in k), images used per class, notes about short classes."""
    rng = np.random.default_rng(seed)
    chosen, used, notes = [], [], []
    for c, name in enumerate(support.names):
        idx = np.flatnonzero(support.labels == c)
        take = rng.permutation(idx)[:k]
        chosen.append(take)
        used.append(len(take))
        if 0 < len(idx) < k:
            notes.append(
                Bilingual(
                    f"'{name}' has only {len(idx)} support image(s), so {len(idx)} were used instead of {k}.",
                    f"'{name}' chỉ có {len(idx)} ảnh mẫu nên dùng {len(idx)} ảnh thay vì {k}.",
                )
            )
    return np.concatenate(chosen) if chosen else np.zeros(0, np.int64), used, notes


def k_shot(
    model,
    model_key: str,
    query: np.ndarray,
    support: SupportSet,
    k: int,
    templates: Sequence[str],
    *,
    probes: Sequence[str] = PROBES,
    nearest: int = 6,
    seed: int = 0,
) -> KShotResult:
    """Zero-shot plus, for k >= 1, each probe's class probabilities for one (D,) unit query embedding."""
    if not 0 <= k <= MAX_SHOTS:
        raise ClipInputError(
            Bilingual(f"k must be between 0 and {MAX_SHOTS}, got {k}.", f"k phải từ 0 đến {MAX_SHOTS}.")
        )
    names = support.names
    if len(names) < 1:
        raise ClipInputError(Bilingual("The support set has no classes.", "Bộ ảnh mẫu không có lớp nào."))
    zs = zero_shot(model, model_key, query, names, templates)
    notes = list(support.notes)
    if k == 0:
        return KShotResult(names, 0, [0] * len(names), zs, {}, _nearest(query, support, nearest), notes)
    idx, used, short = select_shots(support, k, seed)
    notes += short
    empty = [n for n, u in zip(names, used) if u == 0]
    if empty:
        listed = ", ".join(empty)
        raise ClipInputError(
            Bilingual(
                f"No usable support images for: {listed}. Add images for every class, or set k = 0.",
                f"Không có ảnh mẫu dùng được cho: {listed}. Hãy thêm ảnh cho mọi lớp, hoặc đặt k = 0.",
            )
        )
    if len(names) == 1:
        notes.append(
            Bilingual(
                "Only one class: every probe gives it 100 %. Add a second class to compare.",
                "Chỉ có một lớp: mọi bộ phân loại đều cho nó 100 %. Thêm lớp thứ hai để so sánh.",
            )
        )
    x, y = support.features[idx], support.labels[idx]
    query = np.asarray(query, dtype=np.float32).reshape(1, -1)
    outputs = {}
    for kind in probes:
        prior = zero_shot_weight(zs.weights, zs.logit_scale) if kind == "zs_init" else None
        probe = fit_probe(x, y, len(names), prior=prior)
        outputs[kind] = ProbeOutput(kind, probe.predict_proba(query)[0], probe.fit_ms, probe.prior_scale)
    return KShotResult(names, k, used, zs, outputs, _nearest(query, support, nearest, idx), notes)


def _nearest(query: np.ndarray, support: SupportSet, n: int, among: np.ndarray | None = None):
    """The n support images (of those used, when `among` is given) with the highest cosine to the query."""
    pool = np.arange(len(support.paths)) if among is None else np.asarray(among)
    if len(pool) == 0 or n <= 0:
        return []
    sims = support.features[pool] @ np.asarray(query, dtype=np.float32).reshape(-1)
    order = np.argsort(-sims)[:n]
    return [(support.paths[pool[i]], support.names[support.labels[pool[i]]], float(sims[i])) for i in order]
