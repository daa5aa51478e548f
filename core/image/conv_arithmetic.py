"""The arithmetic of a convolution layer, step by step, for the "How a CNN computes" tab.

Plain numpy (no torch): every output cell is a sum of products that the UI can show term by term, so students can
check the slides' numbers. A test checks these against torch.nn.functional.conv2d / max_pool2d / avg_pool2d.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.runtime.inputs import choice, number
from core.runtime.messages import Bilingual, UserError

KERNELS: dict[str, list[list[float]]] = {
    "edge (Laplacian)": [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]],
    "Sobel x": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "Sobel y": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    "blur (box 1/9)": [[1 / 9] * 3, [1 / 9] * 3, [1 / 9] * 3],
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "slide example": [[0, 2, 1], [4, 1, 0], [1, 0, 1]],
    "slide example (binary image)": [[1, 0, 1], [0, 1, 0], [1, 0, 1]],
}
# The course's CNN slides (report on CNNs and VQA), copied cell for cell.
# Convolution: with the "slide example" kernel, output[0][0] = 16, as the slide works out term by term.
SLIDE_INPUT = [
    [9, 4, 1, 2, 2],
    [1, 1, 1, 0, 4],
    [1, 2, 1, 0, 6],
    [1, 0, 0, 2, 0],
    [9, 6, 7, 4, 0],
]
# The binary image the slides step through with the "slide example (binary image)" kernel: 4 3 4 / 2 4 3 / 2 3 4.
SLIDE_BINARY_IMAGE = [
    [1, 1, 1, 0, 0],
    [0, 1, 1, 1, 0],
    [0, 0, 1, 1, 1],
    [0, 0, 1, 1, 0],
    [0, 1, 1, 0, 0],
]
# The pooling slide's grid, pooled 2x2 with stride 2: max 9 7 / 8 6, average 4.25 4.25 / 4.25 3.5.
SLIDE_POOL_INPUT = [
    [2, 2, 7, 3],
    [9, 4, 6, 1],
    [8, 5, 2, 4],
    [3, 1, 2, 6],
]
IDENTITY_1X1 = [[1]]  # a 1x1 kernel of 1 copies its input, so the tab's pooling step pools the grid itself


class GridError(UserError, ValueError):
    """A grid, kernel or setting the arithmetic panel cannot compute with."""

    title = Bilingual("Cannot compute", "Không tính được")


@dataclass(frozen=True)
class Example:
    grid: list[list[float]]
    kernel: list[list[float]]
    padding: int = 0
    stride: int = 1
    pool: str = "max"


# The slides' worked examples, as presets of the CNN tab (key -> settings).
SLIDE_EXAMPLES: dict[str, Example] = {
    "slide_convolution": Example(SLIDE_INPUT, KERNELS["slide example"]),
    "slide_binary": Example(SLIDE_BINARY_IMAGE, KERNELS["slide example (binary image)"]),
    "slide_max_pool": Example(SLIDE_POOL_INPUT, IDENTITY_1X1, pool="max"),
    "slide_avg_pool": Example(SLIDE_POOL_INPUT, IDENTITY_1X1, pool="avg"),
}
MAX_GRID = 32  # a grid bigger than this is unreadable as numbers
MAX_GRID_CHARS = MAX_GRID * MAX_GRID * 24  # a 32x32 grid of long decimals; a pasted novel is refused unread
MAX_PADDING, MAX_STRIDE = 2, 3  # the tab's sliders
POOL_MODES = ("max", "avg")
MAX_VALUE = 1e9  # a sum of 49 products of two such values is still exact enough to show


def checked_settings(padding: object, stride: object, mode: object = "max") -> tuple[int, int, str]:
    """Padding, stride and pooling as the API may send them (NaN, 1e400, "abc", "median"): checked, or InputError."""
    return (
        number(padding, ("Padding", "Đệm"), 0, MAX_PADDING, integer=True),
        number(stride, ("Stride", "Bước trượt"), 1, MAX_STRIDE, integer=True),
        choice(mode, POOL_MODES, ("Pooling", "Cách gộp")),
    )


def output_size(n: int, f: int, p: int, s: int) -> int:
    """floor((n - f + 2p) / s) + 1, the formula of the slides."""
    if s < 1:
        raise GridError(Bilingual("stride must be at least 1", "bước trượt phải ít nhất là 1"))
    size = (n - f + 2 * p) // s + 1
    if size < 1:
        raise GridError(
            Bilingual(
                f"kernel {f} does not fit an input of {n} with padding {p}",
                f"bộ lọc {f}x{f} không vừa với đầu vào {n}x{n} khi đệm {p}",
            )
        )
    return size


@dataclass
class ConvStep:
    row: int
    col: int
    top: int  # window position in the padded input
    left: int
    window: np.ndarray  # (f, f) input values under the kernel (zeros where padding)
    kernel: np.ndarray
    total: float

    def formula(self) -> str:
        terms = " + ".join(f"{_num(w)}·{_num(k)}" for w, k in zip(self.window.ravel(), self.kernel.ravel()))
        return f"out[{self.row}][{self.col}] = {terms} = {_num(self.total)}"


def _num(v: float) -> str:
    return f"{v:.3g}" if abs(v - round(v)) > 1e-9 else str(int(round(v)))


def conv2d(grid, kernel, *, padding: int = 0, stride: int = 1) -> tuple[np.ndarray, list[ConvStep]]:
    """Cross-correlation (what deep-learning 'convolution' computes) with zero padding; every step recorded."""
    x, k = np.asarray(grid, dtype=float), np.asarray(kernel, dtype=float)
    if x.ndim != 2 or k.ndim != 2 or k.shape[0] != k.shape[1]:
        raise GridError(
            Bilingual(
                "the input must be a 2-D grid and the kernel a square matrix",
                "đầu vào phải là lưới 2 chiều và bộ lọc phải là ma trận vuông",
            )
        )
    f = k.shape[0]
    h, w = output_size(x.shape[0], f, padding, stride), output_size(x.shape[1], f, padding, stride)
    padded = np.pad(x, padding)
    out, steps = np.zeros((h, w)), []
    for i in range(h):
        for j in range(w):
            window = padded[i * stride : i * stride + f, j * stride : j * stride + f]
            out[i, j] = (window * k).sum()
            steps.append(ConvStep(i, j, i * stride, j * stride, window, k, float(out[i, j])))
    return out, steps


def pool2d(x, *, size: int = 2, stride: int = 2, mode: str = "max") -> np.ndarray:
    x = np.asarray(x, dtype=float)
    h, w = output_size(x.shape[0], size, 0, stride), output_size(x.shape[1], size, 0, stride)
    reduce = np.max if mode == "max" else np.mean
    return np.array(
        [
            [reduce(x[i * stride : i * stride + size, j * stride : j * stride + size]) for j in range(w)]
            for i in range(h)
        ]
    )


def parse_grid(text: str, *, max_size: int = MAX_GRID) -> np.ndarray:
    """Rows of finite numbers separated by spaces or commas, one row per line."""
    if not isinstance(text, str) and text is not None:
        raise GridError(Bilingual("the grid must be text", "lưới phải là văn bản"))
    if text and len(text) > MAX_GRID_CHARS:
        raise GridError(Bilingual(f"at most {MAX_GRID_CHARS:,} characters", f"tối đa {MAX_GRID_CHARS:,} ký tự"))
    rows = [r.replace(",", " ").split() for r in (text or "").strip().splitlines() if r.strip()]
    if not rows:
        raise GridError(
            Bilingual(
                "the grid is empty: type rows of numbers, one row per line",
                "lưới đang trống: hãy gõ các hàng số, mỗi hàng một dòng",
            )
        )
    if len({len(r) for r in rows}) != 1:
        raise GridError(
            Bilingual("every row must have the same number of values", "mọi hàng phải có cùng số lượng giá trị")
        )
    if len(rows) > max_size or len(rows[0]) > max_size:
        raise GridError(Bilingual(f"at most {max_size}x{max_size} values", f"tối đa {max_size}x{max_size} giá trị"))
    for value in (v for r in rows for v in r):
        try:
            number = float(value)
        except ValueError:
            raise GridError(Bilingual(f"not a number: {value[:20]!r}", f"không phải là số: {value[:20]!r}")) from None
        if not np.isfinite(number) or abs(number) > MAX_VALUE:  # nan, inf, 1e400; products of 1e300s overflow
            raise GridError(
                Bilingual(
                    f"every value must be a finite number between -{MAX_VALUE:g} and {MAX_VALUE:g}, not {value[:20]!r}",
                    f"mọi giá trị phải là số hữu hạn trong khoảng -{MAX_VALUE:g} đến {MAX_VALUE:g}, "
                    f"không phải {value[:20]!r}",
                )
            )
    return np.array([[float(v) for v in r] for r in rows])
