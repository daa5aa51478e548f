"""Pooling window by window, for the "How a CNN computes" tab (reports 001, 2.2.3 and 003's pooling slide).

Each output cell is the maximum (or the mean) of one size x size window; the window moves by the stride. Output
size per side: floor((n - f) / s) + 1 (report 001 writes it for pooling without padding). Pooling has no
parameters, and works on each channel separately. Plain numpy; a test checks it against torch's pooling.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.image.conv_arithmetic import SLIDE_POOL_INPUT, GridError, _num, output_size
from core.runtime.inputs import choice, number
from core.runtime.messages import Bilingual

MAX_SIZE, MAX_STRIDE = 4, 4  # the tab's sliders
MODES = ("max", "avg")


@dataclass
class PoolStep:
    row: int
    col: int
    top: int
    left: int
    window: np.ndarray
    value: float
    mode: str

    def formula(self) -> str:
        values = [_num(v) for v in self.window.ravel()]
        if self.mode == "max":
            return f"out[{self.row}][{self.col}] = max({', '.join(values)}) = {_num(self.value)}"
        return f"out[{self.row}][{self.col}] = ({' + '.join(values)}) / {len(values)} = {_num(self.value)}"


def checked_pool_settings(size: object, stride: object, mode: object) -> tuple[int, int, str]:
    return (
        number(size, ("Pool size", "Cỡ cửa sổ gộp"), 1, MAX_SIZE, integer=True),
        number(stride, ("Pool stride", "Bước trượt khi gộp"), 1, MAX_STRIDE, integer=True),
        choice(mode, MODES, ("Pooling", "Cách gộp")),
    )


def pool_steps(grid, *, size: int = 2, stride: int = 2, mode: str = "max") -> tuple[np.ndarray, list[PoolStep]]:
    """(pooled grid, one step per output cell) of a 2-D grid; GridError when the window does not fit."""
    x = np.asarray(grid, dtype=float)
    if x.ndim != 2:
        raise GridError(Bilingual("the input must be a 2-D grid", "đầu vào phải là lưới 2 chiều"))
    if size > min(x.shape):
        raise GridError(
            Bilingual(
                f"a {size}x{size} window does not fit a {x.shape[0]}x{x.shape[1]} grid",
                f"cửa sổ {size}x{size} không vừa với lưới {x.shape[0]}x{x.shape[1]}",
            )
        )
    h, w = output_size(x.shape[0], size, 0, stride), output_size(x.shape[1], size, 0, stride)
    reduce = np.max if mode == "max" else np.mean
    out, steps = np.zeros((h, w)), []
    for i in range(h):
        for j in range(w):
            window = x[i * stride : i * stride + size, j * stride : j * stride + size]
            out[i, j] = reduce(window)
            steps.append(PoolStep(i, j, i * stride, j * stride, window, float(out[i, j]), mode))
    return out, steps


@dataclass(frozen=True)
class PoolExample:
    grid: list[list[float]]
    size: int
    stride: int
    mode: str


# Report 003's pooling slide (9 7 / 8 6 and 4.25 4.25 / 4.25 3.5); report 001's pooling examples are figures whose
# numbers are not in its text. The overlapping one (2x2 windows, stride 1) is chosen here, on the same grid.
POOL_EXAMPLES: dict[str, PoolExample] = {
    "slide_max": PoolExample(SLIDE_POOL_INPUT, 2, 2, "max"),
    "slide_avg": PoolExample(SLIDE_POOL_INPUT, 2, 2, "avg"),
    "overlap_max": PoolExample(SLIDE_POOL_INPUT, 2, 1, "max"),
}
