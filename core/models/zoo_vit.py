"""Course zoo 4-8: small Vision Transformers that differ in what a token is.

- SimpleViT / CustomViT: 4x4 patches -> 64 tokens + [CLS] (CustomViT: the einsum-only encoder).
- CNNTransformer: two conv blocks -> an 8x8 map whose 64 cells are the tokens.
- SpatialTokenViT: each of the 1024 pixels is a token.
- ChannelTokenViT: each of 64 feature channels (a 32x32 map, flattened) is a token.

Each takes `norm`: "pre" (the course's Pre-LN, the default: what every checkpoint without the key was trained with)
or "post" (Post-LN, the 2017 paper's; course report 2, 4.3 compares the two). The head's LayerNorm stays in both, so
the parameters, and their count, are the same.
"""

from __future__ import annotations

import torch
from torch import nn

from core.models.einsum_transformer import EinsumEncoder
from core.models.zoo_common import check_norm, run_encoder_with_features, tokens_to_grid, zoo_encoder
from core.runtime.messages import Bilingual


class _TokenViT(nn.Module):
    """Shared tail: tokens (+[CLS]) + positions -> encoder -> LayerNorm -> [CLS] or mean -> Linear."""

    family = "Transformer"
    explanation = Bilingual(
        "Grad-CAM on the tokens entering the last encoder layer",
        "Grad-CAM trên các token đi vào lớp encoder cuối",
    )
    use_cls = True

    def _init_tail(self, d: int, n_tokens: int, num_classes: int, encoder: nn.Module) -> None:
        self.cls = nn.Parameter(torch.zeros(1, 1, d)) if self.use_cls else None
        self.pos = nn.Parameter(torch.randn(1, n_tokens + int(self.use_cls), d) * 0.02)
        self.encoder = encoder
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, num_classes)

    def tokens(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def _embed(self, x: torch.Tensor) -> torch.Tensor:
        t = self.tokens(x)  # (B, N, D)
        if self.cls is not None:
            t = torch.cat([self.cls.expand(t.shape[0], -1, -1), t], dim=1)
        return t + self.pos

    def _classify(self, t: torch.Tensor) -> torch.Tensor:
        t = self.norm(t)
        return self.head(t[:, 0] if self.cls is not None else t.mean(dim=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._classify(self.encoder(self._embed(x)))

    def forward_with_features(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out, feats = run_encoder_with_features(self.encoder, self._embed(x))
        return self._classify(out), feats

    def features_to_grid(self, feats: torch.Tensor) -> torch.Tensor:
        return tokens_to_grid(feats, skip_cls=self.cls is not None)


class SimpleViT(_TokenViT):
    """Conv2d(3,128,k=4,s=4) -> 64 tokens + CLS -> 4 Pre-LN layers (d=128, 4 heads, FFN 512): 821.0K at C=100."""

    def __init__(
        self,
        *,
        num_classes: int = 100,
        image_size: int = 32,
        patch: int = 4,
        dim: int = 128,
        depth: int = 4,
        heads: int = 4,
        ffn: int = 512,
        dropout: float = 0.1,
        norm: str = "pre",
    ):
        super().__init__()
        check_norm(norm)
        self.norm_placement = norm
        self.patch_embed = nn.Conv2d(3, dim, patch, stride=patch)
        encoder = self._encoder(dim, heads, ffn, depth, dropout, norm)
        self._init_tail(dim, (image_size // patch) ** 2, num_classes, encoder)

    @staticmethod
    def _encoder(dim, heads, ffn, depth, dropout, norm) -> nn.Module:
        return zoo_encoder(dim, heads, ffn, depth, dropout, norm=norm)

    def tokens(self, x: torch.Tensor) -> torch.Tensor:
        return self.patch_embed(x).flatten(2).transpose(1, 2)  # (B, 64, 128)


class CustomViT(SimpleViT):
    """SimpleViT with the encoder written in einsum (core/models/einsum_transformer.py): 819.4K at C=100."""

    explanation = Bilingual(
        "Grad-CAM on the tokens entering the last (einsum) encoder layer",
        "Grad-CAM trên các token đi vào lớp encoder (einsum) cuối",
    )

    @staticmethod
    def _encoder(dim, heads, ffn, depth, dropout, norm) -> nn.Module:
        return EinsumEncoder(dim, heads, ffn, depth, dropout, norm=norm)


class CNNTransformer(_TokenViT):
    """Two Conv+BN+ReLU+MaxPool blocks to [B,64,8,8] -> 64 tokens -> FC(64->128) -> CLS + positions ->
    2 layers (d=128, 4 heads, FFN 512) -> LN -> CLS -> FC: 446.1K at C=100."""

    family = "CNN + Transformer"

    def __init__(
        self,
        *,
        num_classes: int = 100,
        dim: int = 128,
        depth: int = 2,
        heads: int = 4,
        ffn: int = 512,
        dropout: float = 0.1,
        norm: str = "pre",
    ):
        super().__init__()
        self.norm_placement = norm
        self.conv = nn.Sequential(
            nn.Conv2d(3, 32, 3, padding=1),
            nn.BatchNorm2d(32),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1),
            nn.BatchNorm2d(64),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
        )
        self.proj = nn.Linear(64, dim)
        self._init_tail(dim, 64, num_classes, zoo_encoder(dim, heads, ffn, depth, dropout, norm=norm))

    def tokens(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(self.conv(x).flatten(2).transpose(1, 2))  # (B, 64, 64) -> (B, 64, 128)


class SpatialTokenViT(_TokenViT):
    """1024 pixel tokens, FC(3->64) + positions -> 2 layers (d=64, 4 heads, FFN 256) -> LN -> mean: 172.4K."""

    use_cls = False

    def __init__(
        self,
        *,
        num_classes: int = 100,
        image_size: int = 32,
        dim: int = 64,
        depth: int = 2,
        heads: int = 4,
        ffn: int = 256,
        dropout: float = 0.1,
        norm: str = "pre",
    ):
        super().__init__()
        self.norm_placement = norm
        self.proj = nn.Linear(3, dim)
        encoder = zoo_encoder(dim, heads, ffn, depth, dropout, norm=norm)
        self._init_tail(dim, image_size * image_size, num_classes, encoder)

    def tokens(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x.flatten(2).transpose(1, 2))  # (B, 1024, 3) -> (B, 1024, 64)


class ChannelTokenViT(_TokenViT):
    """Conv1x1(3->64)+BN+ReLU -> 64 channel tokens of 1024 values -> FC(1024->128) -> 2 layers (d=128, FFN 512)
    -> LN -> mean: 549.5K at C=100. Tokens are channels, so Grad-CAM looks at the 1x1 conv's map instead."""

    use_cls = False
    explanation = Bilingual(
        "Grad-CAM on the 1x1 convolution's 64 feature maps (the tokens are channels, not places)",
        "Grad-CAM trên 64 bản đồ đặc trưng của tích chập 1x1 (token là kênh, không phải vị trí)",
    )

    def __init__(
        self,
        *,
        num_classes: int = 100,
        image_size: int = 32,
        channels: int = 64,
        dim: int = 128,
        depth: int = 2,
        heads: int = 4,
        ffn: int = 512,
        dropout: float = 0.1,
        norm: str = "pre",
    ):
        super().__init__()
        self.norm_placement = norm
        self.stem = nn.Sequential(nn.Conv2d(3, channels, 1), nn.BatchNorm2d(channels), nn.ReLU(inplace=True))
        self.proj = nn.Linear(image_size * image_size, dim)
        self._init_tail(dim, channels, num_classes, zoo_encoder(dim, heads, ffn, depth, dropout, norm=norm))

    def tokens(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(self.stem(x).flatten(2))  # (B, 64, 1024) -> (B, 64, 128)

    def forward_with_features(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        fmap = self.stem(x)  # (B, 64, 32, 32)
        t = self.proj(fmap.flatten(2)) + self.pos
        return self._classify(self.encoder(t)), fmap

    @staticmethod
    def features_to_grid(feats: torch.Tensor) -> torch.Tensor:
        return feats
