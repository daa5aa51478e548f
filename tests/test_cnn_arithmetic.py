"""Convolution arithmetic and layer tables against torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from core.conv_arithmetic import KERNELS, SLIDE_INPUT, conv2d, output_size, parse_grid, pool2d
from core.layer_table import layer_table
from core.models import build_architecture
from core.models.lenet import LeNet5
from core.registry import get_spec


def test_slide_example_gives_16():
    out, steps = conv2d(SLIDE_INPUT, KERNELS["slide example"])
    assert out[0, 0] == 16 and out.shape == (3, 3)
    assert steps[0].formula().endswith("= 16")


@pytest.mark.parametrize("padding, stride", [(0, 1), (1, 1), (1, 2), (2, 3)])
def test_conv_and_pooling_match_torch(padding, stride):
    rng = np.random.default_rng(padding * 10 + stride)
    grid, kernel = rng.integers(-5, 9, (9, 7)).astype(float), rng.normal(size=(3, 3))
    ours, _ = conv2d(grid, kernel, padding=padding, stride=stride)
    ref = F.conv2d(torch.tensor(grid)[None, None], torch.tensor(kernel)[None, None], padding=padding, stride=stride)
    assert np.allclose(ours, ref[0, 0].numpy())
    assert ours.shape == (output_size(9, 3, padding, stride), output_size(7, 3, padding, stride))
    if min(ours.shape) >= 2:
        t = torch.tensor(ours)[None, None]
        assert np.allclose(pool2d(ours, mode="max"), F.max_pool2d(t, 2)[0, 0].numpy())
        assert np.allclose(pool2d(ours, mode="avg"), F.avg_pool2d(t, 2)[0, 0].numpy())


@pytest.mark.parametrize("text, fragment", [("", "empty"), ("1 2\n3", "same number"), ("1 x", "not a number")])
def test_bad_grids_are_explained(text, fragment):
    with pytest.raises(ValueError, match=fragment):
        parse_grid(text)


def test_kernel_too_big_for_input():
    with pytest.raises(ValueError, match="does not fit"):
        conv2d([[1, 2], [3, 4]], KERNELS["sharpen"])


def test_lenet_layer_table():
    rows = layer_table(LeNet5(), (1, 32, 32))
    assert sum(r.params for r in rows) == 61_706
    shapes = [r.output_shape for r in rows if r.kind in ("Conv2d", "MaxPool2d")]
    assert shapes == [(6, 28, 28), (6, 14, 14), (16, 10, 10), (16, 5, 5)]


@pytest.mark.parametrize("name", ["simple_cnn", "simple_vit", "gru_row"])
def test_layer_table_counts_every_parameter(name):
    spec = get_spec(name)
    module = build_architecture(spec.arch, **spec.model_args)
    rows = layer_table(module, (3, 32, 32))
    assert sum(r.params for r in rows) == sum(p.numel() for p in module.parameters())
