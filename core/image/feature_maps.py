"""What the first convolution layer of a trained model computes on an image: its feature maps as a tiled picture."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image
from torch import nn

from core.runtime.messages import Bilingual, UserError


class NoConvolution(UserError, ValueError):
    title = Bilingual("No convolution", "Không có lớp tích chập")


def first_conv_feature_maps(module: nn.Module, x: torch.Tensor) -> tuple[np.ndarray, str]:
    """(C, H, W) outputs of the first nn.Conv2d for a (1, 3, S, S) input, and that layer's name."""
    name, conv = next(((n, m) for n, m in module.named_modules() if isinstance(m, nn.Conv2d)), (None, None))
    if conv is None:
        raise NoConvolution(
            Bilingual(
                "this model has no convolution layer (it reads pixels, rows or patches directly)",
                "mô hình này không có lớp tích chập (nó đọc trực tiếp điểm ảnh, hàng hoặc mảnh ảnh)",
            )
        )
    captured = {}
    handle = conv.register_forward_hook(lambda _m, _i, out: captured.setdefault("out", out.detach()))
    try:
        with torch.inference_mode():
            module(x)
    finally:
        handle.remove()
    return captured["out"][0].float().numpy(), name


def tile_maps(maps: np.ndarray, cell: int = 64, columns: int = 8) -> Image.Image:
    """Each map min-max scaled to grey and enlarged with crisp pixels, laid out in a grid."""
    c = maps.shape[0]
    rows = math.ceil(c / columns)
    canvas = Image.new("L", (columns * (cell + 2), rows * (cell + 2)), 255)
    for i, m in enumerate(maps):
        lo, hi = float(m.min()), float(m.max())
        grey = ((m - lo) / (hi - lo) * 255 if hi > lo else np.zeros_like(m)).astype(np.uint8)
        tile = Image.fromarray(grey).resize((cell, cell), Image.Resampling.NEAREST)
        canvas.paste(tile, ((i % columns) * (cell + 2), (i // columns) * (cell + 2)))
    return canvas


@dataclass
class FeatureMaps:
    maps: np.ndarray  # (C, H, W) outputs of the first convolution
    layer: str  # that convolution's module name
    display_name: str  # the model's
    source: str  # where its weights came from


def feature_maps_for(image: Image.Image, name: str, profile: str) -> FeatureMaps:
    """The first convolution's feature maps of catalogue entry `name` on `image`, with the entry's preprocessing.

    Raises WeightsUnavailable or NoConvolution (UserErrors: the tab shows them as they are).
    """
    from core.catalog.store import load_model

    model = load_model(name, profile)
    maps, layer = first_conv_feature_maps(model.module, model.preprocess(image)[None])
    return FeatureMaps(maps, layer, model.display_name, model.source)
