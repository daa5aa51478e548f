"""Accuracy vs k on the support set loaded in the CLIP tab: the course's Task 3 curve, measured on what is here.

The course (report 000, Task 3) fitted a linear head on k CLIP features per class and scored it on 1,000 other
Flickr30k images. Here the only labelled images are the tab's support set (a built-in easy-VQA set or the user's
own), so it is split the same way, many times: in each draw every class keeps a quarter of its images (at least one)
as held-out test images, the probes are fitted on k of the others, and accuracy is counted on the held-out ones
only; zero-shot (k = 0) is scored on the same held-out images. A k larger than what every class has left after the
split is skipped, and the result says which k were measured. Features are the ones already cached for k-shot, so
the curve costs probe fits only (len(ks) x draws x 2 fits of a few milliseconds each).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import partial

import numpy as np

from core.clip.probe import PROBES, fit_probe, zero_shot_weight
from core.clip.support import SupportSet
from core.clip.zero_shot import ClipInputError, text_weights
from core.runtime.coalesce import Coalescer, coalesced, model_token
from core.runtime.messages import Bilingual

COURSE_KS = (1, 5, 10, 20)  # report 000's k values; 0 (zero-shot) is always measured
DRAWS = 5
HOLD_OUT = 0.25  # share of each class's images held out as test images in a draw
# Curves on a built-in support set, keyed by the model, the set and the templates: the class clicking "draw the
# curve" together gets one computation (core.runtime.coalesce). The user's own sets are not shared between visitors.
CURVES = Coalescer(8, "clip curve")


@dataclass
class KCurve:
    ks: list[int]  # measured k (> 0)
    zero_shot: float  # mean held-out accuracy at k = 0 (fraction)
    accuracy: dict[str, list[float]]  # probe ("plain", "zs_init") -> mean held-out accuracy per k (fraction)
    spread: dict[str, list[float]]  # the same, standard deviation over the draws
    held_out: int  # test images per draw
    per_class: list[int]  # support images per class
    draws: int
    names: list[str]
    notes: list[str] = field(default_factory=list)


def split_counts(per_class: Sequence[int]) -> tuple[list[int], int]:
    """(held-out images per class, the largest k every class can still train on)."""
    held = [max(1, int(round(HOLD_OUT * n))) for n in per_class]
    return held, min(n - h for n, h in zip(per_class, held))


def accuracy_vs_k(
    model, model_key: str, support: SupportSet, templates: Sequence[str], *, ks: Sequence[int] = COURSE_KS,
    draws: int = DRAWS, seed: int = 0,
) -> KCurve:  # fmt: skip
    """Mean held-out accuracy of zero-shot and of each probe for every k in `ks` the support set allows."""
    names, per_class = support.names, support.per_class()
    if len(names) < 2:
        raise ClipInputError(
            Bilingual("The accuracy curve needs at least two classes.", "Đường cong độ chính xác cần ít nhất hai lớp.")
        )
    short = [n for n, c in zip(names, per_class) if c < 2]
    if short:
        listed = ", ".join(short[:5]) + ("…" if len(short) > 5 else "")
        raise ClipInputError(
            Bilingual(
                f"Every class needs at least 2 support images (one to fit on, one to test on); too few for: {listed}.",
                f"Mỗi lớp cần ít nhất 2 ảnh mẫu (một để huấn luyện, một để kiểm tra); chưa đủ ở: {listed}.",
            )
        )
    held, k_max = split_counts(per_class)
    measured = [k for k in sorted(set(ks)) if 0 < k <= k_max]
    notes = []
    if skipped := [k for k in sorted(set(ks)) if k > k_max]:
        listed = ", ".join(map(str, skipped))
        notes.append(
            Bilingual(
                f"k = {listed} skipped: after holding out test images, the smallest class has {k_max} left to fit on.",
                f"Bỏ qua k = {listed}: sau khi để riêng ảnh kiểm tra, lớp ít ảnh nhất chỉ còn {k_max} ảnh để huấn "
                "luyện.",
            )
        )
    if k_max not in measured and k_max > 0 and (not measured or k_max > measured[-1]):
        measured.append(k_max)  # the most this set allows, so the curve reaches as far as it can
    weights, _ = text_weights(model, model_key, names, templates)
    prior = zero_shot_weight(weights, model.logit_scale)
    zero: list[float] = []
    scores: dict[str, dict[int, list[float]]] = {kind: {k: [] for k in measured} for kind in PROBES}
    for d in range(draws):
        rng = np.random.default_rng([seed, d])
        train_pool, test = [], []
        for c, h in enumerate(held):
            idx = rng.permutation(np.flatnonzero(support.labels == c))
            test.append(idx[:h])
            train_pool.append(idx[h:])
        test_idx = np.concatenate(test)
        x_test, y_test = support.features[test_idx], support.labels[test_idx]
        zero.append(float(((x_test @ weights.T).argmax(1) == y_test).mean()))
        for k in measured:
            idx = np.concatenate([pool[:k] for pool in train_pool])  # nested in k within a draw
            x, y = support.features[idx], support.labels[idx]
            for kind in PROBES:
                probe = fit_probe(x, y, len(names), prior=prior if kind == "zs_init" else None)
                scores[kind][k].append(float((probe.predict(x_test) == y_test).mean()))
    return KCurve(
        ks=measured,
        zero_shot=float(np.mean(zero)),
        accuracy={kind: [float(np.mean(scores[kind][k])) for k in measured] for kind in PROBES},
        spread={kind: [float(np.std(scores[kind][k])) for k in measured] for kind in PROBES},
        held_out=int(sum(held)),
        per_class=per_class,
        draws=draws,
        names=list(names),
        notes=notes,
    )


def curve_for_tab(
    support: str, class_text, template_text, model_name: str | None, profile: str, user_files: Sequence[Sequence] = ()
) -> tuple[KCurve, str]:
    """The curve on the tab's support set (a built-in set, or the user's images with the class names): (curve, the
    CLIP's display name). The same checks and caches as k-shot (core.clip.service)."""
    from core.clip.service import USER_SUPPORT, clip_model
    from core.clip.support import BUILTIN_SETS, builtin_support, user_support
    from core.clip.zero_shot import parse_class_names, parse_templates
    from core.runtime.inputs import echo
    from core.runtime.messages import UnknownChoice

    if not isinstance(support, str) or support not in (*BUILTIN_SETS, USER_SUPPORT):
        choices = ", ".join([*BUILTIN_SETS, USER_SUPPORT])
        raise UnknownChoice(
            f"unknown support set {echo(support)}; choose {choices}.",
            f"không có bộ ảnh mẫu {echo(support)}; hãy chọn {choices}.",
        )
    templates, template_notes = parse_templates(template_text)
    model, key, display = clip_model(model_name, profile)
    if support == USER_SUPPORT:
        names, notes = parse_class_names(class_text)
        names = names[: len(user_files)]
        support_set = user_support(model, key, names, user_files)
        curve = accuracy_vs_k(model, key, support_set, templates)
    else:
        notes, support_set = [], builtin_support(model, key, support)
        compute = partial(accuracy_vs_k, model, key, support_set, templates)
        curve, _ = coalesced(CURVES, (model_token(model), key, support, tuple(templates)), compute)
    notes = notes + template_notes + list(support_set.notes) + curve.notes
    return replace(curve, notes=notes), display  # never the stored curve's own list
