"""torch's Transformer encoder layer with its self-attention always run by F.scaled_dot_product_attention.

In eval mode without gradients, nn.TransformerEncoderLayer and nn.MultiheadAttention take a fused "fast path"
(torch._transformer_encoder_layer_fwd, torch._native_multi_head_attention) that on CPU holds every head's T x T
score matrix at once: for the pixel-token ViT (1,024 tokens, 4 heads) that is 16 MiB an image; a batch of 100 raised
the process's peak memory by 1.4 GB (measured, torch 2.14 on CPU), and 1,000 at once got the test suite killed.
scaled_dot_product_attention runs a fused kernel that works through the scores in blocks: the same 100 images raise
the peak by under 20 MB, and run faster (4.1 s vs 6.2 s on one thread). With gradients (training) torch's layer
already ends in scaled_dot_product_attention; these classes take that path in every mode.

Parameters (names, shapes, initialisation, random-number draws) and dropout masks are torch's, so checkpoints saved
from nn.TransformerEncoderLayer load unchanged and a seeded training run gives the same weights (to float rounding).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class SdpaSelfAttention(nn.MultiheadAttention):
    """nn.MultiheadAttention whose unmasked batch-first self-attention calls F.scaled_dot_product_attention.

    Anything else (attention weights requested, masks, cross-attention, separate k/v sizes) goes to torch's forward.
    """

    def forward(
        self,
        query: torch.Tensor,
        key: torch.Tensor,
        value: torch.Tensor,
        key_padding_mask: torch.Tensor | None = None,
        need_weights: bool = True,
        attn_mask: torch.Tensor | None = None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        plain = (
            not need_weights
            and key_padding_mask is None
            and attn_mask is None
            and not is_causal
            and query is key
            and key is value
            and query.dim() == 3
            and self.batch_first
            and self._qkv_same_embed_dim
            and self.bias_k is None
            and not self.add_zero_attn
        )
        if not plain:
            return super().forward(
                query, key, value, key_padding_mask, need_weights, attn_mask, average_attn_weights, is_causal
            )
        b, t, d = query.shape
        qkv = F.linear(query, self.in_proj_weight, self.in_proj_bias)  # (B, T, 3D)
        q, k, v = qkv.view(b, t, 3, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4)  # 3 x (B, H, T, Dh)
        mixed = F.scaled_dot_product_attention(q, k, v, dropout_p=self.dropout if self.training else 0.0)
        # Laid out (T, B, D) in memory and returned as a (B, T, D) view, as torch's forward does: a dropout after
        # this layer then draws the same mask, so seeded training runs are unchanged. out_proj's weights are used
        # directly, as torch does (its module is never called).
        mixed = mixed.permute(2, 0, 1, 3).reshape(t, b, d)
        return F.linear(mixed, self.out_proj.weight, self.out_proj.bias).transpose(0, 1), None


class SdpaEncoderLayer(nn.TransformerEncoderLayer):
    """nn.TransformerEncoderLayer (same arguments) without the fused fast path; self-attention is SdpaSelfAttention."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        torch_attn = self.self_attn
        with torch.device("meta"):  # no weights allocated, no random numbers drawn: torch's are reused below
            attn = SdpaSelfAttention(
                torch_attn.embed_dim,
                torch_attn.num_heads,
                dropout=torch_attn.dropout,
                bias=torch_attn.in_proj_bias is not None,
                batch_first=torch_attn.batch_first,
            )
        attn.load_state_dict(torch_attn.state_dict(), assign=True)
        self.self_attn = attn

    def forward(
        self,
        src: torch.Tensor,
        src_mask: torch.Tensor | None = None,
        src_key_padding_mask: torch.Tensor | None = None,
        is_causal: bool = False,
    ) -> torch.Tensor:
        if src_mask is not None or src_key_padding_mask is not None or is_causal:
            return super().forward(src, src_mask, src_key_padding_mask, is_causal)
        # torch's forward below its fast-path branch (which would bypass self_attn).
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), None, None)
            return x + self._ff_block(self.norm2(x))
        x = self.norm1(x + self._sa_block(x, None, None))
        return self.norm2(x + self._ff_block(x))
