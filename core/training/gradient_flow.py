"""Vanishing gradients in a plain deep stack and the same stack with skip connections (report 001, 2.3).

A small real network: `depth` layers of Linear(width, width) + an activation, then a Linear(width, 1) head and a
mean squared error loss on a fixed random batch. "plain": h = act(W h + b). "residual": h = h + act(W h + b), the
skip connection of report 001 (H(x) = F(x) + x), so the gradient reaching layer l has a path that skips every
layer above it. Both use the same weights, batch and target (one seed); one backward pass each; the gradient norm
of each layer's weight matrix is what reaches that layer. float64, so a gradient of 1e-30 is still a number.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from core.runtime.inputs import choice, number

ACTIVATIONS = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu}
MIN_DEPTH, MAX_DEPTH = 2, 50
MIN_WIDTH, MAX_WIDTH = 1, 64
BATCH = 32


@dataclass
class Stack:
    weights: list[torch.Tensor]  # depth matrices (width, width)
    biases: list[torch.Tensor]
    head: tuple[torch.Tensor, torch.Tensor]  # (1, width), (1,)
    x: torch.Tensor  # (batch, width)
    y: torch.Tensor  # (batch, 1)


def random_stack(depth: int, width: int, seed: int = 0) -> Stack:
    """torch.nn.Linear's default initialisation (uniform in ±1/sqrt(width)) for every layer, a batch of standard
    normal inputs and targets: the same numbers for both networks and on every call with this seed."""
    gen = torch.Generator().manual_seed(seed)
    bound = width**-0.5

    def uniform(*shape):
        return (torch.rand(*shape, generator=gen, dtype=torch.float64) * 2 - 1) * bound

    weights = [uniform(width, width) for _ in range(depth)]
    biases = [uniform(width) for _ in range(depth)]
    head = (uniform(1, width), uniform(1))
    x = torch.randn(BATCH, width, generator=gen, dtype=torch.float64)
    y = torch.randn(BATCH, 1, generator=gen, dtype=torch.float64)
    return Stack(weights, biases, head, x, y)


def layer_gradient_norms(stack: Stack, activation: str, residual: bool) -> list[float]:
    """||dL/dW_l|| (Frobenius) for l = 1 .. depth after one forward and one backward pass."""
    with torch.enable_grad():  # also under a caller's no_grad: this measurement is a backward pass
        return _norms(stack, ACTIVATIONS[activation], residual)


def _norms(stack: Stack, act, residual: bool) -> list[float]:
    weights = [w.clone().requires_grad_(True) for w in stack.weights]
    h = stack.x
    for w, b in zip(weights, stack.biases):
        out = act(h @ w.T + b)
        h = h + out if residual else out
    pred = h @ stack.head[0].T + stack.head[1]
    loss = ((pred - stack.y) ** 2).mean()
    grads = torch.autograd.grad(loss, weights)
    return [float(g.norm()) for g in grads]


@dataclass
class Comparison:
    plain: list[float]
    residual: list[float]


def compare(depth: object = 20, width: object = 16, activation: object = "sigmoid", seed: object = 0) -> Comparison:
    """Per-layer gradient norms of the plain and the residual stack (checked inputs: the API may send anything)."""
    depth = number(depth, ("Depth", "Số lớp"), MIN_DEPTH, MAX_DEPTH, integer=True)
    width = number(width, ("Width", "Độ rộng"), MIN_WIDTH, MAX_WIDTH, integer=True)
    activation = choice(activation, ACTIVATIONS, ("Activation", "Hàm kích hoạt"))
    seed = number(seed, ("Seed", "Hạt giống ngẫu nhiên"), 0, 10_000, integer=True)
    stack = random_stack(depth, width, seed)
    return Comparison(layer_gradient_norms(stack, activation, False), layer_gradient_norms(stack, activation, True))


PLOT_WORDS = {
    "en": {
        "plain": "plain stack", "residual": "with skip connections (residual)",
        "x": "layer (1 = nearest the input)", "y": "gradient norm ‖dL/dW‖ (log scale)",
        "title": "Gradient reaching each layer after one backward pass",
    },
    "vi": {
        "plain": "mạng xếp chồng thường", "residual": "có kết nối tắt (phần dư)",
        "x": "lớp (1 = gần đầu vào nhất)", "y": "độ lớn gradient ‖dL/dW‖ (thang log)",
        "title": "Gradient đến được từng lớp sau một lần lan truyền ngược",
    },
}  # fmt: skip


def plot_comparison(got: Comparison, *, lang: str = "en"):
    """Both curves on one log-scale chart, words in `lang`. matplotlib's Figure API, not pyplot (thread-safe, freed
    with its last reference), as core.training.report.plot_confusion."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    words = PLOT_WORDS.get(lang, PLOT_WORDS["en"])
    layers = range(1, len(got.plain) + 1)
    fig = Figure(figsize=(8, 4.2))
    ax = fig.subplots()
    ax.plot(layers, got.plain, "o-", color="#dc2626", label=words["plain"])
    ax.plot(layers, got.residual, "s-", color="#2563eb", label=words["residual"])
    ax.set_yscale("log")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # layers are whole numbers
    ax.set(xlabel=words["x"], ylabel=words["y"], title=words["title"])
    ax.grid(True, which="major", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return fig
