"""Course zoo 3: SimpleCNN, three VGG-style blocks."""

from __future__ import annotations

import torch
from torch import nn

from core.runtime.messages import Bilingual


def vgg_block(c_in: int, c_out: int) -> nn.Sequential:
    """[Conv3x3 + BN + ReLU] x 2 + MaxPool2: halves the resolution."""
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, padding=1),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
        nn.Conv2d(c_out, c_out, 3, padding=1),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(2),
    )


class SimpleCNN(nn.Module):
    """Blocks 32/64/128 -> AdaptiveAvgPool -> FC(128->256)+ReLU+Dropout(0.3) -> FC(256->C): 346.6K at C=100."""

    family = "CNN"
    explanation = Bilingual(
        "Grad-CAM on the last block's 4x4 feature map",
        "Grad-CAM trên bản đồ đặc trưng 4x4 của khối cuối",
    )

    def __init__(self, *, num_classes: int = 100, channels: tuple[int, ...] = (32, 64, 128), dropout: float = 0.3):
        super().__init__()
        blocks, c_in = [], 3
        for c in channels:
            blocks.append(vgg_block(c_in, c))
            c_in = c
        self.features = nn.Sequential(*blocks)
        self.head = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Linear(c_in, 256),
            nn.ReLU(inplace=True),
            nn.Dropout(dropout),
            nn.Linear(256, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))

    def forward_with_features(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        feats = self.features(x)  # (B, 128, 4, 4)
        return self.head(feats), feats

    @staticmethod
    def features_to_grid(feats: torch.Tensor) -> torch.Tensor:
        return feats
