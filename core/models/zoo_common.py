"""Pieces shared by the from-scratch CIFAR-100 zoo (course report 2): token helpers and the Pre-LN encoder."""

from __future__ import annotations

import math

import torch
from torch import nn

from core.models.attention import SdpaEncoderLayer


def pre_ln_encoder(d_model: int, heads: int, ffn: int, layers: int, dropout: float) -> nn.TransformerEncoder:
    """torch's nn.TransformerEncoder, Pre-LN (norm_first), GELU, batch-first: the course's SimpleViT encoder as
    report 002 describes it (4 layers, d=128, 4 heads, FFN 512, Pre-LN). The report names no activation for the
    FFN; GELU is this repository's choice (ViT's usual one), not the course's.

    Its layers are core.models.attention.SdpaEncoderLayer: torch's layer and parameters, with self-attention run by
    scaled_dot_product_attention in every mode (torch's eval fast path holds all T x T scores at once).

    Dropout applies to the residual branches and the FFN but not to the attention weights: attention dropout
    forces PyTorch's slow "math" attention on CPU (8x slower for 1024 tokens, measured) for no accuracy gain
    at this size.
    """
    return zoo_encoder(d_model, heads, ffn, layers, dropout, norm="pre")


# Where each sub-layer's LayerNorm sits (course report 2, 4.3). "pre": x + Attn(LN(x)), the course's choice (stable
# without warmup); "post": LN(x + Attn(x)), the 2017 paper's. Same parameters either way, so a checkpoint's
# config.json must say which (a missing "norm" means "pre": every checkpoint written before the option).
NORMS = ("pre", "post")


def check_norm(norm: str) -> None:
    if norm not in NORMS:
        raise ValueError(f"norm must be one of {NORMS} (LayerNorm before or after each residual sum), not {norm!r}")


def zoo_encoder(d_model: int, heads: int, ffn: int, layers: int, dropout: float, *, norm: str = "pre") -> nn.Module:
    """pre_ln_encoder's encoder with the LayerNorms before ("pre") or after ("post") each residual sum."""
    check_norm(norm)
    layer = SdpaEncoderLayer(
        d_model, heads, ffn, dropout, activation="gelu", batch_first=True, norm_first=norm == "pre"
    )
    layer.self_attn.dropout = 0.0
    return nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)


def run_encoder_with_features(encoder: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Run every layer; also return the tokens entering the last layer (what Grad-CAM looks at)."""
    layers = list(encoder.layers)
    for layer in layers[:-1]:
        x = layer(x)
    feats = x  # (B, T, D)
    return layers[-1](feats), feats


def tokens_to_grid(tokens: torch.Tensor, *, skip_cls: bool) -> torch.Tensor:
    """(B, [1 +] N, D) square token grid -> (B, D, sqrt(N), sqrt(N))."""
    t = tokens[:, 1:] if skip_cls else tokens
    side = math.isqrt(t.shape[1])
    return t.transpose(1, 2).reshape(t.shape[0], t.shape[2], side, side)


def input_requiring_grad(x: torch.Tensor) -> torch.Tensor:
    """Models explained on their input need it as a leaf that records gradients."""
    return x if x.requires_grad else x.detach().requires_grad_(True)
