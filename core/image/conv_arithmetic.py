"""The arithmetic of a convolution layer, step by step, for the "How a CNN computes" tab.

Plain numpy (no torch): every output cell is a sum of products that the UI can show term by term, so students can
check the slides' numbers. A test checks these against torch.nn.functional.conv2d / max_pool2d / avg_pool2d.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.runtime.inputs import choice, number
from core.runtime.messages import Bilingual, UserError, number_text

KERNELS: dict[str, list[list[float]]] = {
    "edge (Laplacian)": [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]],
    "Sobel x": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "Sobel y": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    "blur (box 1/9)": [[1 / 9] * 3, [1 / 9] * 3, [1 / 9] * 3],
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "slide example": [[0, 2, 1], [4, 1, 0], [1, 0, 1]],
    "slide example (binary image)": [[1, 0, 1], [0, 1, 0], [1, 0, 1]],
}
# The course's CNN slides (report on CNNs and VQA): the grids and outputs as printed.
# Convolution: with the "slide example" kernel, output[0][0] = 16, as the slide works out term by term.
SLIDE_INPUT = [
    [9, 4, 1, 2, 2],
    [1, 1, 1, 0, 4],
    [1, 2, 1, 0, 6],
    [1, 0, 0, 2, 0],
    [9, 6, 7, 4, 0],
]
# The binary image the slides step through, with its outputs 4 3 4 / 2 4 3 / 2 3 4. The slides do not print this
# kernel: 1 0 1 / 0 1 0 / 1 0 1 is inferred from those outputs, and it reproduces all nine of them (a test checks).
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
        raise GridError(
            Bilingual(f"at most {MAX_GRID_CHARS:,} characters", f"tối đa {number_text(MAX_GRID_CHARS).vi} ký tự")
        )
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


# --- Convolution on a multi-channel (RGB) input (report 001, 2.2.2.2) ---------------------------------------------
# The filter has one 3x3 slice per input channel (its depth equals the input's depth); each slice is multiplied with
# its own channel's window, the channel sums are added, plus one bias, then ReLU. The output has depth 1: the filter
# slides across and down, never through the channels.
MAX_CHANNELS = 3
CHANNEL_NAMES = ("R", "G", "B")


@dataclass
class ChannelStep:
    row: int
    col: int
    top: int
    left: int
    windows: list[np.ndarray]  # one (f, f) window per channel
    kernels: list[np.ndarray]
    sums: list[float]  # per channel: sum of its products
    bias: float
    total: float  # sum of the channel sums plus the bias
    out: float  # ReLU(total)

    def channel_formula(self, c: int) -> str:
        terms = " + ".join(
            f"{_signed(w)}·{_signed(k)}" for w, k in zip(self.windows[c].ravel(), self.kernels[c].ravel())
        )
        name = CHANNEL_NAMES[c] if len(self.sums) > 1 else "x"  # a grey input: one channel, no colour name
        return f"{name}: {terms} = {_num(self.sums[c])}"

    def sum_formula(self) -> str:
        parts = " + ".join(_signed(s) for s in self.sums)
        bias = f" − {_num(-self.bias)}" if self.bias < 0 else f" + {_num(self.bias)}"
        return f"z[{self.row}][{self.col}] = {parts}{bias} = {_num(self.total)}"

    def relu_formula(self) -> str:
        return f"ReLU({_num(self.total)}) = max(0, {_num(self.total)}) = {_num(self.out)}"


def _signed(v: float) -> str:
    return f"({_num(v)})" if v < 0 else _num(v)


def conv_channels(channels, kernels, bias: float = 0.0, *, padding: int = 0, stride: int = 1):
    """(z before ReLU, ReLU(z), steps) of one filter over a C-channel input. Raises GridError when the filter's
    depth differs from the input's, or the channels (or kernel slices) differ in shape."""
    xs = [np.asarray(c, dtype=float) for c in channels]
    ks = [np.asarray(k, dtype=float) for k in kernels]
    if not xs or len(xs) > MAX_CHANNELS:
        raise GridError(Bilingual("give 1 to 3 input channels", "hãy nhập từ 1 đến 3 kênh đầu vào"))
    if len(ks) != len(xs):
        raise GridError(
            Bilingual(
                f"the input has {len(xs)} channel(s) and the filter {len(ks)}: a filter's depth must equal the "
                "input's depth (one kernel slice per channel)",
                f"đầu vào có {len(xs)} kênh còn bộ lọc có {len(ks)}: chiều sâu của bộ lọc phải bằng chiều sâu của "
                "đầu vào (mỗi kênh một lát bộ lọc)",
            )
        )
    if len({x.shape for x in xs}) != 1:
        raise GridError(Bilingual("every channel must have the same size", "mọi kênh phải có cùng kích thước"))
    if len({k.shape for k in ks}) != 1:
        raise GridError(
            Bilingual("every kernel slice must have the same size", "mọi lát của bộ lọc phải có cùng kích thước")
        )
    per_channel = [conv2d(x, k, padding=padding, stride=stride) for x, k in zip(xs, ks)]
    z = sum(out for out, _ in per_channel) + bias
    steps = []
    for n, first in enumerate(per_channel[0][1]):
        sums = [float(s[n].total) for _, s in per_channel]
        total = float(z[first.row, first.col])
        steps.append(
            ChannelStep(
                first.row, first.col, first.top, first.left, [s[n].window for _, s in per_channel], ks, sums,
                float(bias), total, max(0.0, total),
            )
        )  # fmt: skip
    return z, np.maximum(z, 0.0), steps


def parse_channels(texts, *, max_size: int = MAX_GRID) -> list[np.ndarray]:
    """The non-empty channel boxes, in order (R, G, B); an empty box between two filled ones is refused."""
    filled = [bool((t or "").strip()) if isinstance(t, str) or t is None else True for t in texts]
    if any(not a and b for a, b in zip(filled, filled[1:])):
        raise GridError(
            Bilingual(
                "fill the channels in order: R, then G, then B",
                "hãy điền các kênh theo thứ tự: R, rồi G, rồi B",
            )
        )
    return [parse_grid(t, max_size=max_size) for t, f in zip(texts, filled) if f]


@dataclass(frozen=True)
class RGBExample:
    channels: tuple  # 1 to 3 grids
    kernels: tuple  # as many kernel slices
    bias: float = 0.0


EDGE_KERNEL = [[1, 0, -1], [1, 0, -1], [1, 0, -1]]  # report 001 (2.2.5.1): "Filter 1,0,-1" finds vertical edges
# Report 001 (2.2.2.1) convolves a 6x6 grey image with that filter; its text prints only the first 3x3 window and
# the sum "1x1 + 7x0 + 0x(-1) + 4x1 + 4x0 + 1x(-1) + 5x1 + 1x0 + 7x(-1) = 2" (the other cells are in a figure).
REPORT_001_WINDOW = [[1, 7, 0], [4, 4, 1], [5, 1, 7]]
# Report 001 (2.2.5.1) describes its 6x6 example as bright columns 1-3 and dark (purple) columns 4-6 with the edge
# between columns 3 and 4; the figure's numbers are not in the text: 10 and 0 are chosen here.
EDGE_6X6 = [[10, 10, 10, 0, 0, 0] for _ in range(6)]
RGB_EXAMPLES: dict[str, RGBExample] = {
    # A made-up 3-channel 4x4 input, one 3x3x3 filter and a bias of -2: some cells end negative, so ReLU shows.
    "rgb_small": RGBExample(
        channels=(
            [[1, 2, 0, 1], [0, 1, 3, 1], [2, 1, 0, 0], [1, 0, 1, 2]],
            [[0, 1, 1, 0], [2, 0, 1, 1], [1, 1, 2, 0], [0, 2, 1, 1]],
            [[1, 0, 0, 2], [1, 1, 0, 1], [0, 2, 1, 1], [2, 1, 0, 0]],
        ),
        kernels=(EDGE_KERNEL, [[0, 1, 0], [1, -1, 1], [0, 1, 0]], [[-1, 0, 0], [0, 1, 0], [0, 0, -1]]),
        bias=-2,
    ),
    # The same bright|purple edge in colour: white (2, 2, 2) beside purple (1, 0, 1), the [1 0 -1] filter on each
    # channel: every row of the output reads 0 12 12 0, the edge lit, the flat parts 0.
    "rgb_edge": RGBExample(
        channels=tuple([[2, 2, 2, v, v, v] for _ in range(6)] for v in (1, 0, 1)),
        kernels=(EDGE_KERNEL,) * 3,
    ),
    "report001_edge": RGBExample(channels=(EDGE_6X6,), kernels=(EDGE_KERNEL,)),
    "report001_window": RGBExample(channels=(REPORT_001_WINDOW,), kernels=(EDGE_KERNEL,)),
}
