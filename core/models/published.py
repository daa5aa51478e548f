"""The two public CIFAR-100 checkpoints of the `detectors` project (github.com/edadaltocg/detectors), rebuilt here.

Read from its source (src/detectors/models/resnet.py, vit.py, utils.py), not guessed:
- `resnet50_cifar100`: timm's `resnet50` with `conv1` replaced by a 3x3 stride-1 convolution (64 channels, no
  bias), `maxpool` by Identity and `fc` by Linear(2048, 100). Default config: 32x32 input, crop_pct 1, bilinear,
  CIFAR-100 mean (0.5071, 0.4867, 0.4408) / std (0.2675, 0.2565, 0.2761).
- `vit_base_patch16_224_in21k_ft_cifar100`: timm's `vit_base_patch16_224.orig_in21k_ft_in1k` with `head` replaced by
  Linear(768, 100); the rest of timm's config: 224 px, crop_pct 0.9 (resize 248), bicubic, mean = std = 0.5.
Both load with `model.load_state_dict(...)` on the timm module itself, from
`https://huggingface.co/edadaltocg/<name>/resolve/main/pytorch_model.bin`, so the file's keys are timm's own
(`conv1.weight`, `layer1.0.conv1.weight`, `fc.weight`; `cls_token`, `pos_embed`, `blocks.0.attn.qkv.weight`,
`head.weight`). The modules below hold exactly that timm module as `net`, so the file loads into `net` unchanged.
"""

from __future__ import annotations

import math

import torch
from timm.models.resnet import Bottleneck, ResNet
from timm.models.vision_transformer import VisionTransformer
from torch import nn

from core.runtime.messages import Bilingual


class DetectorsResNet50(nn.Module):
    """timm ResNet-50 with the CIFAR stem (3x3 stride-1 conv, no max-pool): 32 px images keep a 4x4 last map."""

    family = "CNN"
    explanation = Bilingual(
        "Grad-CAM on the last convolutional stage (layer4)",
        "Grad-CAM trên tầng tích chập cuối (layer4)",
    )

    def __init__(
        self,
        *,
        num_classes: int = 100,
        layers: tuple[int, ...] = (3, 4, 6, 3),
        channels: tuple[int, ...] = (64, 128, 256, 512),
    ):
        super().__init__()
        # Tests shrink layers and channels; the key names stay those of the published file. timm's plain stem
        # has 64 channels whatever `channels` says, as does detectors' replacement conv1.
        net = ResNet(block=Bottleneck, layers=tuple(layers), channels=tuple(channels), num_classes=num_classes)
        net.conv1 = nn.Conv2d(3, 64, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)
        net.maxpool = nn.Identity()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def forward_with_features(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        feats = self.net.forward_features(x)  # (B, 2048, 4, 4) at 32 px
        return self.net.forward_head(feats), feats

    @staticmethod
    def features_to_grid(feats: torch.Tensor) -> torch.Tensor:
        return feats

    def load_published_state_dict(self, state_dict: dict[str, torch.Tensor]) -> None:
        self.net.load_state_dict(state_dict, strict=True)


class DetectorsViTB16(nn.Module):
    """timm ViT-B/16 (class token, 224 px) with a 100-class head."""

    family = "Transformer"
    explanation = Bilingual(
        "Grad-CAM on the patch tokens entering the last encoder block",
        "Grad-CAM trên các token mảnh ảnh đi vào khối encoder cuối",
    )

    def __init__(
        self,
        *,
        num_classes: int = 100,
        img_size: int = 224,
        patch_size: int = 16,
        embed_dim: int = 768,
        depth: int = 12,
        num_heads: int = 12,
    ):
        super().__init__()
        self.net = VisionTransformer(
            img_size=img_size,
            patch_size=patch_size,
            embed_dim=embed_dim,
            depth=depth,
            num_heads=num_heads,
            num_classes=num_classes,
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def forward_with_features(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        n = self.net
        x = n.norm_pre(n.patch_drop(n._pos_embed(n.patch_embed(x))))
        for block in n.blocks[:-1]:
            x = block(x)
        # The last block's output patch tokens do not reach the class-token head (zero gradient); its input does.
        feats = x
        logits = n.forward_head(n.norm(n.blocks[-1](feats)))
        return logits, feats

    @staticmethod
    def features_to_grid(feats: torch.Tensor) -> torch.Tensor:
        tokens = feats[:, 1:]  # drop the class token: (B, N, D)
        side = math.isqrt(tokens.shape[1])
        return tokens.transpose(1, 2).reshape(tokens.shape[0], tokens.shape[2], side, side)

    def load_published_state_dict(self, state_dict: dict[str, torch.Tensor]) -> None:
        self.net.load_state_dict(state_dict, strict=True)
