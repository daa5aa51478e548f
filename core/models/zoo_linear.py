"""Course zoo 1-2: softmax regression and an MLP on the flattened 3x32x32 image."""

from __future__ import annotations

import torch
from torch import nn

from core.models.zoo_common import input_requiring_grad
from core.runtime.messages import Bilingual


class _FlatClassifier(nn.Module):
    family = "Linear / MLP"
    explanation = Bilingual(
        "gradient x input on the pixels (no spatial layers to look inside)",
        "gradient x đầu vào trên từng điểm ảnh (không có lớp không gian nào để nhìn vào bên trong)",
    )
    saliency = "grad_x_input"
    net: nn.Module

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def forward_with_features(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = input_requiring_grad(x)  # (B, 3, 32, 32)
        return self.net(x), x

    @staticmethod
    def features_to_grid(feats: torch.Tensor) -> torch.Tensor:
        return feats


class SoftmaxRegression(_FlatClassifier):
    """Flatten -> Linear(3072 -> C): 307.3K parameters at C=100."""

    def __init__(self, *, num_classes: int = 100, image_size: int = 32):
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(3 * image_size * image_size, num_classes))


class MLP(_FlatClassifier):
    """3072 -> 512 -> 256 -> C with BatchNorm, ReLU and Dropout(0.3): 1.7M parameters at C=100."""

    def __init__(
        self,
        *,
        num_classes: int = 100,
        image_size: int = 32,
        hidden: tuple[int, ...] = (512, 256),
        dropout: float = 0.3,
    ):
        super().__init__()
        layers: list[nn.Module] = [nn.Flatten()]
        width = 3 * image_size * image_size
        for h in hidden:
            layers += [nn.Linear(width, h), nn.BatchNorm1d(h), nn.ReLU(inplace=True), nn.Dropout(dropout)]
            width = h
        layers.append(nn.Linear(width, num_classes))
        self.net = nn.Sequential(*layers)
