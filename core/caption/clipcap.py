"""ClipCap (Mokady et al. 2021) for Vietnamese: CLIP image embedding -> mapping network -> prefix of soft tokens
-> frozen GPT-2 that continues the prefix with a caption.

Only the mapping network trains. Two mappers, as in the paper:
- "mlp": Linear(clip_dim -> k*d/2) -> Tanh -> Linear(-> k*d), reshaped to k prefix tokens;
- "transformer": the CLIP vector is projected to `clip_length` tokens, `prefix_length` learned constant tokens are
  appended, a small Transformer encoder mixes them, and the outputs at the constant tokens are the prefix.

GPT-2 is frozen by construction: its parameters have requires_grad False, it stays in eval mode whatever
`.train()` is called with, and it is kept outside the mapper's state dict, so a checkpoint holds the mapper only
(the GPT-2 is named by its Hub id or folder in the checkpoint's JSON).
"""

from __future__ import annotations

import torch
from torch import nn

from core.caption.decoding import DecodeOptions, generate

MAPPING_TYPES = ("mlp", "transformer")


class FeatureNorm(nn.Module):
    """Standardise frozen image features with the training set's per-dimension mean and std (buffers, saved in
    the checkpoint). CLIP embeddings of similar photos share most of their direction; centring and scaling lets
    a small mapper see the differences from the first step instead of learning the scale itself."""

    def __init__(self, dim: int):
        super().__init__()
        self.register_buffer("mean", torch.zeros(dim))
        self.register_buffer("std", torch.ones(dim))

    @torch.no_grad()
    def fit(self, features: torch.Tensor) -> None:
        self.mean.copy_(features.float().mean(0))
        self.std.copy_(features.float().std(0).clamp_min(1e-6) if len(features) > 1 else torch.ones_like(self.std))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x.float() - self.mean) / self.std


class MLPMapper(nn.Module):
    def __init__(self, *, clip_dim: int, gpt_dim: int, prefix_length: int):
        super().__init__()
        self.prefix_length, self.gpt_dim = prefix_length, gpt_dim
        self.norm = FeatureNorm(clip_dim)
        hidden = gpt_dim * prefix_length // 2
        self.net = nn.Sequential(nn.Linear(clip_dim, hidden), nn.Tanh(), nn.Linear(hidden, gpt_dim * prefix_length))

    def forward(self, clip_embed: torch.Tensor) -> torch.Tensor:
        return self.net(self.norm(clip_embed)).view(-1, self.prefix_length, self.gpt_dim)  # (B, k, d)


class TransformerMapper(nn.Module):
    def __init__(
        self, *, clip_dim: int, gpt_dim: int, prefix_length: int, clip_length: int, num_layers: int, num_heads: int
    ):
        super().__init__()
        self.prefix_length, self.clip_length, self.gpt_dim = prefix_length, clip_length, gpt_dim
        self.norm = FeatureNorm(clip_dim)
        self.project = nn.Linear(clip_dim, clip_length * gpt_dim)
        self.prefix_const = nn.Parameter(torch.randn(prefix_length, gpt_dim) * 0.02)
        layer = nn.TransformerEncoderLayer(
            gpt_dim, num_heads, dim_feedforward=2 * gpt_dim, dropout=0.0, batch_first=True, norm_first=True
        )
        self.transformer = nn.TransformerEncoder(layer, num_layers, enable_nested_tensor=False)

    def forward(self, clip_embed: torch.Tensor) -> torch.Tensor:
        x = self.project(self.norm(clip_embed)).view(-1, self.clip_length, self.gpt_dim)  # (B, c, d)
        const = self.prefix_const.unsqueeze(0).expand(x.shape[0], -1, -1)  # (B, k, d)
        out = self.transformer(torch.cat([x, const], dim=1))  # (B, c + k, d)
        return out[:, self.clip_length :]  # (B, k, d)


def build_mapper(
    *,
    mapping_type: str,
    clip_dim: int,
    gpt_dim: int,
    prefix_length: int = 10,
    clip_length: int = 10,
    num_layers: int = 8,
    num_heads: int = 8,
) -> nn.Module:
    if mapping_type == "mlp":
        return MLPMapper(clip_dim=clip_dim, gpt_dim=gpt_dim, prefix_length=prefix_length)
    if mapping_type == "transformer":
        return TransformerMapper(
            clip_dim=clip_dim,
            gpt_dim=gpt_dim,
            prefix_length=prefix_length,
            clip_length=clip_length,
            num_layers=num_layers,
            num_heads=num_heads,
        )
    raise ValueError(f"mapping_type must be one of {MAPPING_TYPES}, not {mapping_type!r}")


class ClipCaptionModel(nn.Module):
    """Mapper (trainable) + frozen GPT-2 language model. `self.mapper` is what checkpoints store."""

    def __init__(self, gpt: nn.Module, mapper: nn.Module):
        super().__init__()
        self.mapper = mapper
        gpt.eval()
        for p in gpt.parameters():
            p.requires_grad_(False)
        # Stored outside the module tree: state_dict()/parameters() of this model are the mapper's only, so the
        # optimizer cannot reach GPT-2 and a checkpoint does not copy its 500 MB.
        object.__setattr__(self, "gpt", gpt)

    @property
    def prefix_length(self) -> int:
        return self.mapper.prefix_length

    def train(self, mode: bool = True) -> ClipCaptionModel:
        super().train(mode)
        self.gpt.eval()  # no dropout in the frozen language model
        return self

    def to(self, *args, **kwargs) -> ClipCaptionModel:
        self.gpt.to(*args, **kwargs)
        return super().to(*args, **kwargs)

    def embed_tokens(self, ids: torch.Tensor) -> torch.Tensor:
        return self.gpt.get_input_embeddings()(ids)

    def prefix(self, clip_embed: torch.Tensor) -> torch.Tensor:
        """(B, clip_dim) -> (B, k, d) soft tokens, in GPT-2's embedding dtype."""
        return self.mapper(clip_embed.float()).to(self.gpt.get_input_embeddings().weight.dtype)

    def forward(self, clip_embed: torch.Tensor, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Mean cross-entropy over caption tokens only.

        clip_embed (B, clip_dim); ids (B, T) caption tokens ending with EOS; mask (B, T) 1 on real tokens.
        The logits at prefix position k-1 predict ids[:, 0]; prefix positions and padding carry no loss.
        """
        prefix = self.prefix(clip_embed)  # (B, k, d)
        inputs = torch.cat([prefix, self.embed_tokens(ids)], dim=1)  # (B, k + T, d)
        ones = torch.ones(mask.shape[0], prefix.shape[1], dtype=mask.dtype, device=mask.device)
        attention = torch.cat([ones, mask], dim=1)
        logits = self.gpt(inputs_embeds=inputs, attention_mask=attention).logits
        k = prefix.shape[1]
        predict = logits[:, k - 1 : -1]  # (B, T, V): position k-1+t predicts ids[:, t]
        labels = ids.masked_fill(mask == 0, -100)
        return nn.functional.cross_entropy(predict.reshape(-1, predict.shape[-1]).float(), labels.reshape(-1))

    def caption_ids(self, clip_embed: torch.Tensor, eos_id: int | None, options: DecodeOptions) -> list[list[int]]:
        """(1, clip_dim) -> token ids of the caption(s) (core.caption.decoding.DecodeOptions): GPT-2's generate()
        continues the prefix given as inputs_embeds, with its KV cache (generate() always caches after embeds)."""
        with torch.inference_mode():
            prefix = self.prefix(clip_embed)
        return generate(self.gpt, eos_id, options, inputs_embeds=prefix)
