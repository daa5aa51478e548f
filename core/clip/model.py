"""One CLIP wrapper (docs/ARCHITECTURE.md, "The catalogue") for every tab that embeds images or text with CLIP.

`ClipModel` holds an open_clip model, the image transform that belongs to its weights, and its tokenizer, and
offers batched, L2-normalised `encode_images` / `encode_texts` as float32 numpy arrays: plain data that the
zero-shot, k-shot, captioning and video-search code can cache and compare without touching torch.

Weights come from open_clip's pretrained registry (Hub downloads; `OpenClipHub` in core/catalog/weights.py). For tests
and APP_PROFILE=tiny the same class is built tiny and random (`tiny=True`): a 1-layer ViT and text tower with the real
CLIP BPE tokenizer, which open_clip ships inside its wheel, so it works offline.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

# OpenAI CLIP statistics: every open_clip ViT-B/32 tag we offer uses them (open_clip sets them from the tag).
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
TINY_CONFIG = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 64, "layers": 1, "width": 32, "head_width": 16, "patch_size": 16},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
    "quick_gelu": True,
}


class ClipModel(nn.Module):
    """Frozen CLIP image/text encoders with their own preprocessing and tokenizer."""

    def __init__(self, *, model_name: str = "ViT-B-32-quickgelu", pretrained: str | None = None, tiny: bool = False):
        super().__init__()
        import open_clip

        self.model_name, self.pretrained, self.tiny = model_name, pretrained, tiny
        if tiny:
            cfg = TINY_CONFIG
            self.clip = open_clip.CLIP(
                embed_dim=cfg["embed_dim"],
                vision_cfg=open_clip.CLIPVisionCfg(**cfg["vision_cfg"]),
                text_cfg=open_clip.CLIPTextCfg(**cfg["text_cfg"]),
                quick_gelu=cfg["quick_gelu"],
            )
            self.image_transform = open_clip.image_transform(
                cfg["vision_cfg"]["image_size"], is_train=False, mean=CLIP_MEAN, std=CLIP_STD
            )
            self.tokenizer = open_clip.get_tokenizer("ViT-B-32")  # bundled BPE vocabulary: no download
        else:
            # pretrained=None builds the full-size architecture with random weights (APP_PROFILE=random).
            self.clip, _, self.image_transform = open_clip.create_model_and_transforms(
                model_name, pretrained=pretrained, weights_only=True
            )
            self.tokenizer = open_clip.get_tokenizer(model_name)
        self._tokenizer_lock = threading.Lock()
        self.clip.eval()
        for p in self.clip.parameters():  # frozen by construction: nothing here is ever trained
            p.requires_grad_(False)

    # nn.Module.train(True) would switch dropout back on; the encoders stay in eval mode whatever the caller does.
    def train(self, mode: bool = True) -> ClipModel:
        super().train(False)
        return self

    @property
    def embed_dim(self) -> int:
        return int(self.clip.text_projection.shape[1]) if self.clip.text_projection is not None else 0

    @property
    def logit_scale(self) -> float:
        return float(self.clip.logit_scale.exp())

    @property
    def device(self) -> torch.device:
        return self.clip.logit_scale.device

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) preprocessed pixels -> (B, D) normalised image embeddings (inputs moved to our device)."""
        return nn.functional.normalize(self.clip.encode_image(pixels.to(self.device)), dim=-1)

    def preprocess(self, images: Sequence[Any]) -> torch.Tensor:
        """PIL images -> (B, 3, S, S) with the transform that belongs to these weights."""
        return torch.stack([self.image_transform(im.convert("RGB")) for im in images])

    @torch.inference_mode()
    def encode_images(self, images: Sequence[Any], batch_size: int = 32) -> np.ndarray:
        """PIL images -> (N, D) float32, unit length."""
        out = [self(self.preprocess(images[i : i + batch_size])) for i in range(0, len(images), batch_size)]
        return _to_numpy(out, self.embed_dim)

    @torch.inference_mode()
    def encode_texts(self, texts: Sequence[str], batch_size: int = 256) -> np.ndarray:
        """Strings -> (N, D) float32, unit length. Batched so hundreds of prompts do not build one huge tensor."""
        out = []
        for i in range(0, len(texts), batch_size):
            with self._tokenizer_lock:  # a Hugging Face fast tokenizer (the multilingual tower) is not re-entrant
                tokens = self.tokenizer(list(texts[i : i + batch_size]))
            tokens = tokens.to(self.device)
            out.append(nn.functional.normalize(self.encode_tokens(tokens), dim=-1))
        return _to_numpy(out, self.embed_dim)

    def encode_tokens(self, tokens: torch.Tensor) -> torch.Tensor:
        """(B, 77) token ids -> (B, D) text features, the same as open_clip's CLIP.encode_text, but cut after the
        batch's last end-of-text token: under the causal mask no position after it affects the pooled one, and a
        ten-token prompt then costs ten positions instead of 77 (5-8x less text-encoder time on CPU for prompts).
        Other text towers (XLM-RoBERTa) go through open_clip unchanged."""
        clip = self.clip
        mask = getattr(clip, "attn_mask", None)
        if getattr(clip, "text_pool_type", None) != "argmax" or not isinstance(mask, torch.Tensor):
            return clip.encode_text(tokens)
        length = int(tokens.argmax(dim=-1).max()) + 1  # the end-of-text id is the largest in the vocabulary
        tokens = tokens[:, :length]
        cast = clip.transformer.get_cast_dtype()
        x = clip.token_embedding(tokens).to(cast) + clip.positional_embedding[:length].to(cast)  # (B, L, W)
        x = clip.ln_final(clip.transformer(x, attn_mask=mask[:length, :length]))
        x = x[torch.arange(x.shape[0], device=x.device), tokens.argmax(dim=-1)]  # (B, W) at end-of-text
        projection = clip.text_projection
        return projection(x) if isinstance(projection, nn.Linear) else x @ projection


def _to_numpy(chunks: list[torch.Tensor], dim: int) -> np.ndarray:
    if not chunks:
        return np.zeros((0, dim), dtype=np.float32)
    return torch.cat(chunks).float().cpu().numpy()
