"""A Transformer encoder written with nn.Linear, nn.LayerNorm, torch.einsum and F.softmax only.

Pre-LN by default (x + Attn(LN(x)), the course's), Post-LN with norm="post" (LN(x + Attn(x)), the 2017 paper's).

Course zoo 5 (CustomViT) uses it to show what nn.TransformerEncoder does inside. Shapes and the order of
operations match torch's norm_first layer, so weights copied from it give the same outputs (tested). Q/K/V have no
bias: that is what the course's parameter count (819.4K vs SimpleViT's 821.0K, 4 x 384 fewer) implies.

Unlike the other zoo encoders (core.models.attention: F.scaled_dot_product_attention), it holds every head's full
T x T score matrix, because computing it is what it teaches: 68 KB an image and layer for CustomViT's 65 tokens, which
core.runtime.batching counts when it sizes evaluation batches.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from core.models.zoo_common import check_norm


class EinsumSelfAttention(nn.Module):
    def __init__(self, d_model: int, heads: int):
        super().__init__()
        assert d_model % heads == 0, "d_model must be divisible by heads"
        self.heads, self.d_head = heads, d_model // heads
        self.q = nn.Linear(d_model, d_model, bias=False)
        self.k = nn.Linear(d_model, d_model, bias=False)
        self.v = nn.Linear(d_model, d_model, bias=False)
        self.out = nn.Linear(d_model, d_model)  # no dropout on attention weights, as in zoo_common.pre_ln_encoder

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, _ = x.shape
        # (B, T, D) -> (B, H, T, Dh)
        q, k, v = (proj(x).view(b, t, self.heads, self.d_head).transpose(1, 2) for proj in (self.q, self.k, self.v))
        scores = torch.einsum("bhqd,bhkd->bhqk", q, k) / self.d_head**0.5  # (B, H, T, T)
        weights = F.softmax(scores, dim=-1)
        mixed = torch.einsum("bhqk,bhkd->bhqd", weights, v)  # (B, H, T, Dh)
        return self.out(mixed.transpose(1, 2).reshape(b, t, -1))


class EinsumEncoderLayer(nn.Module):
    def __init__(self, d_model: int, heads: int, ffn: int, dropout: float, norm: str = "pre"):
        super().__init__()
        check_norm(norm)
        self.pre_norm = norm == "pre"
        self.norm1, self.norm2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.attn = EinsumSelfAttention(d_model, heads)
        self.linear1, self.linear2 = nn.Linear(d_model, ffn), nn.Linear(ffn, d_model)
        self.dropout, self.dropout1, self.dropout2 = nn.Dropout(dropout), nn.Dropout(dropout), nn.Dropout(dropout)

    def _ffn(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear2(self.dropout(F.gelu(self.linear1(x))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.pre_norm:  # normalise what enters each branch; the residual stream itself is never normalised
            x = x + self.dropout1(self.attn(self.norm1(x)))
            return x + self.dropout2(self._ffn(self.norm2(x)))
        x = self.norm1(x + self.dropout1(self.attn(x)))  # normalise each residual sum
        return self.norm2(x + self.dropout2(self._ffn(x)))


class EinsumEncoder(nn.Module):
    def __init__(self, d_model: int, heads: int, ffn: int, layers: int, dropout: float, *, norm: str = "pre"):
        super().__init__()
        self.layers = nn.ModuleList(EinsumEncoderLayer(d_model, heads, ffn, dropout, norm) for _ in range(layers))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)
        return x
