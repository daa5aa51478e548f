"""Teach a small CNN your own classes by drawing them (the live tab's drawing section; docs/TEACH_BY_DRAWING.md).

A student names 2-5 classes, draws a few examples of each, and a small CNN learns them from scratch in seconds:
the lesson Teachable Machine teaches, with numbers. Each sketch becomes a 28x28 grey image the way MNIST's digits
were made (the ink's bounding box scaled into 20x20, centred by its centre of mass in 28x28), so a doodle in a
corner and one filling the canvas look alike to the network. Training adds light augmentation (shifts, small
rotations and scalings, thicker or thinner strokes) to every batch, because a handful of drawings is all there is.

Held out: every third drawing of a class (the 3rd, 6th, ...) is never trained on; the accuracy on those is the
honest number the section shows after each training, so the student sees it grow as they add more, and more
varied, drawings.

Out of domain: the same signal as the image tab (core.training.ood): the Mahalanobis distance of the penultimate
features to the nearest class mean, with the threshold at the same 96th percentile of in-domain scores. Where the
image tab measures that percentile on thousands of held-out Fashion-MNIST images, here there are a few dozen
drawings, so the statistics are fitted on augmented copies of the training drawings and kept to a few principal
directions (a full 256-dimensional covariance from 30 drawings would flag everything), and the threshold is set on
fresh augmented copies of every drawing plus the held-out drawings as they are.

Nothing here is stored: the model lives in the visitor's session (the tab's gr.State) and goes with it.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from core.runtime.messages import Bilingual, UserError

if TYPE_CHECKING:  # annotations only: torch is imported where it runs (the app imports this module at build)
    import torch

SIZE = 28  # Fashion-MNIST / MNIST-sized input
INK_BOX = 20  # MNIST: the digit's bounding box fits 20x20, centred by mass in 28x28
MIN_CLASSES, MAX_CLASSES = 2, 5
MAX_NAME_CHARS = 24
MIN_PER_CLASS = 2  # to train at all: one drawing per class cannot show a network what varies
MAX_PER_CLASS = 30
HOLD_OUT_EVERY = 3  # every third drawing of a class is held out for the accuracy
TRAIN_SECONDS = 12.0  # wall-clock cap of one training (it usually ends sooner, after TRAIN_STEPS)
TRAIN_STEPS = 120
BATCH = 32
CHANNELS = (16, 32, 64)  # the zoo SimpleCNN, narrowed: 28x28 doodles need far less than Fashion-MNIST's 32/64/128
OOD_QUANTILE = 0.96  # the image tab's calibrations sit at the same in-domain percentile
OOD_DIMS = 8  # principal directions kept for the Mahalanobis statistics (few drawings, few directions)
MIN_INK = 0.002  # fraction of the canvas that must be inked (a stray dot is not a drawing)


class DrawingError(UserError, ValueError):
    """A visitor's drawing request that cannot run (no ink, too many classes, nothing trained)."""


# ---- sketches -> 28x28 ------------------------------------------------------------------------------------------


def ink_of(sketch) -> np.ndarray:
    """The ink of one sketch as floats in [0, 1] (H, W), 1 = fully inked.

    Takes what Gradio's Sketchpad gives (a dict with "composite", or a plain array) in grey, RGB or RGBA. On a
    transparent canvas the ink is wherever it was painted (the alpha); on an opaque one it is the contrast
    with the background (the colour most pixels have), so dark-on-white and white-on-black both work."""
    if isinstance(sketch, dict):
        sketch = sketch.get("composite")
    if sketch is None:
        raise DrawingError("Draw something on the canvas first.", "Hãy vẽ gì đó lên khung vẽ trước.")
    a = np.asarray(sketch)
    if a.ndim not in (2, 3) or a.size == 0 or min(a.shape[:2]) < 8:
        raise DrawingError("That is not a drawing this section can read.", "Không đọc được hình vẽ này.")
    a = a.astype(np.float32)
    if a.max() > 1.0:
        a = a / 255.0
    if a.ndim == 2:
        grey, alpha = a, None
    else:
        c = a.shape[2]
        grey = a[..., :3].mean(-1) if c >= 3 else a[..., 0]
        alpha = a[..., 3] if c == 4 else None
    if alpha is not None and alpha.min() < 0.5:  # a transparent canvas: ink is where it was painted
        return np.clip(alpha, 0, 1)
    background = float(np.median(grey))
    return np.clip(np.abs(grey - background) / max(background, 1 - background, 1e-6), 0, 1)


def to_example(sketch) -> torch.Tensor:
    """One sketch -> a (28, 28) float tensor in [0, 1], MNIST's way: crop to the ink, scale into 20x20 keeping the
    aspect ratio, centre by the centre of mass in 28x28."""
    import torch
    import torch.nn.functional as F

    ink = ink_of(sketch)
    if (ink > 0.2).mean() < MIN_INK:
        raise DrawingError("The canvas is empty: draw a shape first.", "Khung vẽ còn trống: hãy vẽ một hình trước.")
    rows, cols = np.nonzero(ink > 0.2)
    box = ink[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    h, w = box.shape
    scale = INK_BOX / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    # Area averaging keeps thin strokes visible (a nearest-neighbour shrink of a 400 px canvas would drop them).
    small = F.interpolate(torch.from_numpy(box)[None, None], size=(nh, nw), mode="area")[0, 0]
    small = (small / small.max().clamp_min(1e-6)).clamp(0, 1)
    out = torch.zeros(SIZE, SIZE)
    top, left = (SIZE - nh) // 2, (SIZE - nw) // 2
    out[top : top + nh, left : left + nw] = small
    total = out.sum()
    yy, xx = torch.meshgrid(torch.arange(SIZE, dtype=torch.float32), torch.arange(SIZE, dtype=torch.float32),
                            indexing="ij")  # fmt: skip
    dy = round((SIZE - 1) / 2 - float((out * yy).sum() / total))
    dx = round((SIZE - 1) / 2 - float((out * xx).sum() / total))
    dy = max(-top, min(dy, SIZE - (top + nh)))  # never shift ink off the image
    dx = max(-left, min(dx, SIZE - (left + nw)))
    return torch.roll(out, shifts=(dy, dx), dims=(0, 1))


# ---- light augmentation -----------------------------------------------------------------------------------------


def augment(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random small rotations (±15°), scalings (±10 %), shifts (±3 px) and stroke-width changes on (B, 28, 28)."""
    import torch
    import torch.nn.functional as F

    b = len(x)

    def uniform(lo: float, hi: float) -> torch.Tensor:
        return lo + (hi - lo) * torch.rand(b, generator=generator)

    angle = uniform(-15, 15) * math.pi / 180
    scale = uniform(0.9, 1.1)
    shift = uniform(-3, 3), uniform(-3, 3)
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack(
        [torch.stack([cos, -sin, shift[0] * 2 / SIZE], 1), torch.stack([sin, cos, shift[1] * 2 / SIZE], 1)], 1
    )
    grid = F.affine_grid(theta, (b, 1, SIZE, SIZE), align_corners=False)
    out = F.grid_sample(x[:, None], grid, align_corners=False, padding_mode="zeros")
    # Stroke width: a third thicker (3x3 max = dilation), a third thinner (erosion, kept only where ink remains).
    kind = torch.randint(0, 3, (b,), generator=generator)
    thick = F.max_pool2d(out, 3, stride=1, padding=1)
    thin = -F.max_pool2d(-out, 3, stride=1, padding=1)
    thin = torch.where(thin.flatten(1).sum(1)[:, None, None, None] > 0.2 * out.flatten(1).sum(1)[:, None, None, None],
                       thin, out)  # fmt: skip
    out = torch.where((kind == 1)[:, None, None, None], thick, torch.where((kind == 2)[:, None, None, None], thin, out))
    return out[:, 0].clamp(0, 1)


# ---- the network ------------------------------------------------------------------------------------------------


def build_network(num_classes: int):
    """The zoo's SimpleCNN (core.models.zoo_cnn, three VGG blocks), narrowed. Its adaptive pooling takes 28x28 as it
    takes 32x32; it reads three channels, so the grey drawing is repeated into each (see `as_input`)."""
    from core.catalog import build_architecture

    return build_architecture("simple_cnn", num_classes=num_classes, channels=CHANNELS, dropout=0.2)


def as_input(x: torch.Tensor) -> torch.Tensor:
    """(B, 28, 28) ink in [0, 1] -> the network's (B, 3, 28, 28), centred around 0."""

    return ((x - 0.5) / 0.5)[:, None].expand(-1, 3, -1, -1).contiguous()


# ---- the student's set ------------------------------------------------------------------------------------------


def clean_classes(names) -> list[str]:
    """2-5 distinct, non-empty class names from a comma-separated text (or a list), each trimmed and shortened."""
    items = names.split(",") if isinstance(names, str) else list(names or [])
    out = []
    for item in items:
        name = " ".join(str(item).split())[:MAX_NAME_CHARS]
        if name and name.casefold() not in {n.casefold() for n in out}:
            out.append(name)
    if not MIN_CLASSES <= len(out) <= MAX_CLASSES:
        raise DrawingError(
            f"Name {MIN_CLASSES} to {MAX_CLASSES} different classes, separated by commas (got {len(out)}).",
            f"Hãy đặt tên từ {MIN_CLASSES} đến {MAX_CLASSES} lớp khác nhau, cách nhau bằng dấu phẩy (đang có "
            f"{len(out)}).",
        )
    return out


def split(drawings: dict[str, list]) -> tuple[list, list]:
    """([(example, class index)] to train on, [(example, class index)] held out): every third of each class held out."""
    train, held = [], []
    for c, examples in enumerate(drawings.values()):
        for i, x in enumerate(examples):
            (held if i % HOLD_OUT_EVERY == HOLD_OUT_EVERY - 1 else train).append((x, c))
    return train, held


def check_trainable(drawings: dict[str, list]) -> None:
    if not MIN_CLASSES <= len(drawings) <= MAX_CLASSES:
        raise DrawingError("Name the classes first.", "Hãy đặt tên các lớp trước.")
    short = [name for name, xs in drawings.items() if len(xs) < MIN_PER_CLASS]
    if short:
        names = ", ".join(short)
        raise DrawingError(
            f"Draw at least {MIN_PER_CLASS} examples of each class first (still short: {names}).",
            f"Hãy vẽ ít nhất {MIN_PER_CLASS} ví dụ cho mỗi lớp trước (còn thiếu: {names}).",
        )


def add_drawing(drawings: dict[str, list], name: str, sketch) -> dict[str, list]:
    """A new dict with the sketch (as a 28x28 example) added to class `name`; the caller's dict is left as it is."""
    if name not in drawings:
        raise DrawingError("Pick which class this drawing is.", "Hãy chọn lớp của hình vẽ này.")
    if len(drawings[name]) >= MAX_PER_CLASS:
        raise DrawingError(
            f"{MAX_PER_CLASS} drawings of one class is the most this section keeps.",
            f"Mỗi lớp giữ tối đa {MAX_PER_CLASS} hình vẽ.",
        )
    example = to_example(sketch)
    return {k: [*v, example] if k == name else list(v) for k, v in drawings.items()}


# ---- training -----------------------------------------------------------------------------------------------


@dataclass
class DrawingModel:
    """A network taught by drawing, with what it was taught on and how it did."""

    module: torch.nn.Module
    classes: list[str]
    per_class: list[int]  # drawings per class, all of them (trained on + held out)
    trained_on: int
    held_out: int
    held_out_accuracy: float | None  # None when no drawing was held out yet (fewer than 3 of a class)
    seconds: float
    steps: int
    final_loss: float
    ood: object | None = field(default=None, repr=False)  # (FeatureStats, threshold) or None


@dataclass(frozen=True)
class Prediction:
    probabilities: dict[str, float]
    score: float | None  # the out-of-domain score, None without a calibration
    threshold: float | None
    unlike_drawings: bool

    def note(self) -> Bilingual:
        """The out-of-domain sentence (the image tab's lesson, in this section's words)."""
        if self.score is None:
            return Bilingual(
                "Too few drawings to say whether this one is unlike them.",
                "Quá ít hình vẽ để biết hình này có khác chúng hay không.",
            )
        numbers = f"(score {self.score:.1f}, threshold {self.threshold:.1f})"
        numbers_vi = f"(điểm {self.score:.1f}, ngưỡng {self.threshold:.1f})".replace(".", ",")
        if self.unlike_drawings:
            return Bilingual(
                f"This drawing is unlike the drawings the model was taught {numbers}. It must still pick one of "
                "your classes, so the answer above means little: confidence is not correctness.",
                f"Hình này không giống các hình mô hình đã học {numbers_vi}. Nó vẫn buộc phải chọn một trong các "
                "lớp của bạn, nên câu trả lời ở trên ít ý nghĩa: độ tự tin không phải là độ đúng.",
            )
        return Bilingual(f"Looks like the drawings it was taught {numbers}.", f"Giống các hình nó đã học {numbers_vi}.")


def _features(module, x: torch.Tensor, num_classes: int) -> tuple[torch.Tensor, torch.Tensor]:

    from core.training.ood import forward_with_penultimate

    module.eval()
    return forward_with_penultimate(module, as_input(x), num_classes)


def _calibrate(module, train_x, train_y, held_x, num_classes: int, generator: torch.Generator):
    """(FeatureStats, threshold) from augmented copies of the drawings; see the module docstring for why."""
    import torch

    from core.training.ood import FeatureStats, threshold_at

    fit_x = torch.cat([train_x, *[augment(train_x, generator) for _ in range(7)]])
    fit_y = train_y.repeat(8)
    _, feats = _features(module, fit_x, num_classes)
    dims = max(2, min(OOD_DIMS, len(fit_x) // (4 * num_classes)))
    stats = FeatureStats.fit(feats, fit_y, num_classes, dims=dims)
    every = torch.cat([train_x, held_x]) if len(held_x) else train_x
    check_x = torch.cat([held_x, *[augment(every, generator) for _ in range(4)]])
    _, check_feats = _features(module, check_x, num_classes)
    return stats, threshold_at(stats.score(check_feats), OOD_QUANTILE)


# torch's thread count is one setting for the whole process. Trainings run on one thread (on this 2-core server,
# two threads per training under load were slower, and a training cut short by its time budget learns nothing), so
# the first training to start sets it to 1 and the last to end puts back what it was: two trainings that saved and
# restored it each on their own could leave the process on one thread for good. Other requests during a training
# run on one thread too.
_threads_lock = threading.Lock()
_threads_state = {"active": 0, "saved": 1}


def _one_thread_enter() -> None:
    import torch

    with _threads_lock:
        if _threads_state["active"] == 0:
            _threads_state["saved"] = torch.get_num_threads()
            torch.set_num_threads(1)
        _threads_state["active"] += 1


def _one_thread_exit() -> None:
    import torch

    with _threads_lock:
        _threads_state["active"] -= 1
        if _threads_state["active"] == 0:
            torch.set_num_threads(_threads_state["saved"])


def train(drawings: dict[str, list], *, seed: int = 0, seconds: float = TRAIN_SECONDS,
          steps: int = TRAIN_STEPS) -> DrawingModel:  # fmt: skip
    """A fresh small CNN trained on the drawings (held-out ones excepted) with augmentation, for `steps` batches or
    `seconds`, whichever ends first, on one thread (the server's other visitors keep the rest)."""
    import torch

    from core.training.loop import train_one_epoch

    check_trainable(drawings)
    classes = list(drawings)
    train_set, held_set = split(drawings)
    train_x = torch.stack([x for x, _ in train_set])
    train_y = torch.tensor([c for _, c in train_set])
    held_x = torch.stack([x for x, _ in held_set]) if held_set else torch.zeros(0, SIZE, SIZE)
    held_y = torch.tensor([c for _, c in held_set], dtype=torch.long)

    _one_thread_enter()
    try:
        torch.manual_seed(seed)
        generator = torch.Generator().manual_seed(seed)
        module = build_network(len(classes))
        optimizer = torch.optim.AdamW(module.parameters(), lr=3e-3, weight_decay=1e-4)
        scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-3, total_steps=steps, pct_start=0.2)
        start = time.perf_counter()
        deadline = start + seconds
        done, loss = 0, math.nan

        def batches():
            # Each batch: drawings drawn at random (with replacement: 6 drawings still fill a batch), augmented.
            for _ in range(steps):
                idx = torch.randint(0, len(train_x), (BATCH,), generator=generator)
                yield as_input(augment(train_x[idx], generator)), train_y[idx]

        result = train_one_epoch(module, batches(), optimizer, scheduler,
                                 should_stop=lambda: time.perf_counter() > deadline)  # fmt: skip
        done, loss = result.seen // BATCH, result.loss
        module.eval()
        accuracy = None
        if len(held_x):
            with torch.inference_mode():
                accuracy = float((module(as_input(held_x)).argmax(1) == held_y).float().mean())
        ood = _calibrate(module, train_x, train_y, held_x, len(classes), generator)
        elapsed = time.perf_counter() - start
    finally:
        _one_thread_exit()
    return DrawingModel(
        module=module, classes=classes, per_class=[len(v) for v in drawings.values()], trained_on=len(train_x),
        held_out=len(held_x), held_out_accuracy=accuracy, seconds=elapsed, steps=done, final_loss=loss, ood=ood,
    )  # fmt: skip


def predict(model: DrawingModel, sketch) -> Prediction:
    """Class probabilities of one sketch and the out-of-domain verdict."""
    x = to_example(sketch)[None]
    logits, feats = _features(model.module, x, len(model.classes))
    probs = logits.softmax(-1)[0]
    probabilities = {name: float(p) for name, p in zip(model.classes, probs)}
    if model.ood is None:
        return Prediction(probabilities, None, None, False)
    stats, threshold = model.ood
    score = float(stats.score(feats)[0])
    return Prediction(probabilities, score, threshold, score > threshold)
