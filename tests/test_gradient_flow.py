"""Plain vs residual stacks (core/training/gradient_flow.py): gradients by hand on a two-layer stack, and the
vanishing gradient of the plain deep stack measured against the residual one."""

from __future__ import annotations

import math

import pytest
import torch

from core.runtime.inputs import InputError
from core.training.gradient_flow import Stack, compare, layer_gradient_norms, random_stack


def _scalar_stack(w1, b1, w2, b2, v, c, x, y) -> Stack:
    t = lambda *a: torch.tensor(a, dtype=torch.float64)  # noqa: E731
    return Stack([t([w1]), t([w2])], [t(b1), t(b2)], (t([v]), t(c)), t([x]), t([y]))


@pytest.mark.parametrize("residual", [False, True])
def test_two_layer_gradients_by_hand(residual):
    # Width 1, one sample: h1 = tanh(w1 x + b1) (+ x), h2 = tanh(w2 h1 + b2) (+ h1), pred = v h2 + c,
    # L = (pred - y)^2. Chain rule: dL/dh2 = 2 (pred - y) v, dh2/dh1 = w2 (1 - a2^2) (+ 1),
    # dL/dw_l = dL/dh_l (1 - a_l^2) h_{l-1}.
    w1, b1, w2, b2, v, c, x, y = 0.8, 0.1, -1.2, 0.3, 0.7, -0.2, 1.5, 0.4
    a1 = math.tanh(w1 * x + b1)
    h1 = a1 + (x if residual else 0)
    a2 = math.tanh(w2 * h1 + b2)
    h2 = a2 + (h1 if residual else 0)
    d_h2 = 2 * (v * h2 + c - y) * v
    d_w2 = d_h2 * (1 - a2**2) * h1
    d_h1 = d_h2 * (w2 * (1 - a2**2) + (1 if residual else 0))
    d_w1 = d_h1 * (1 - a1**2) * x
    got = layer_gradient_norms(_scalar_stack(w1, b1, w2, b2, v, c, x, y), "tanh", residual)
    assert got == pytest.approx([abs(d_w1), abs(d_w2)], rel=1e-12)


def test_sigmoid_stack_vanishes_without_skips_and_not_with_them():
    got = compare(20, 16, "sigmoid", 0)
    assert len(got.plain) == len(got.residual) == 20
    # The plain stack: sigmoid' <= 1/4 per layer, the first layer's gradient is many orders below the last's.
    assert got.plain[0] < got.plain[-1] * 1e-8
    # The residual stack: the skip path keeps every layer's gradient within a factor of 100 of the last's.
    assert min(got.residual) > max(got.residual) / 100
    assert got.residual[0] > 1e10 * got.plain[0]
    assert compare(20, 16, "sigmoid", 0) == got  # same seed, same numbers


def test_same_weights_for_both_and_bad_settings_refused():
    a, b = random_stack(5, 4, 3), random_stack(5, 4, 3)
    assert all(torch.equal(p, q) for p, q in zip(a.weights, b.weights))
    for bad in [(1, 16, "tanh"), (20, 0, "tanh"), (20, 16, "gelu"), (float("nan"), 16, "tanh")]:
        with pytest.raises(InputError):
            compare(*bad)
