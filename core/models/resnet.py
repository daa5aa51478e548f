"""ResNet-50 classifier: torchvision's ResNet with the course's head, Dropout(p) + Linear(2048 -> C)."""

from __future__ import annotations

import torch
from torch import nn
from torchvision.models.resnet import Bottleneck, ResNet

from core.runtime.messages import Bilingual


class ResNetClassifier(nn.Module):
    """torchvision ResNet (Bottleneck blocks) whose last stage is exposed for Grad-CAM.

    `layers=(3, 4, 6, 3)` is ResNet-50; tests build `(1, 1, 1, 1)`, the same class with one block per stage.
    With dropout 0 the head is a plain Linear, so torchvision's ImageNet state dict loads unchanged.
    """

    family = "CNN"
    explanation = Bilingual(
        "Grad-CAM on the last convolutional stage (layer4)",
        "Grad-CAM trên tầng tích chập cuối (layer4)",
    )

    def __init__(self, *, num_classes: int = 1000, dropout: float = 0.0, layers: tuple[int, ...] = (3, 4, 6, 3)):
        super().__init__()
        self.net = ResNet(Bottleneck, list(layers))
        in_features = self.net.fc.in_features  # 2048
        head = nn.Linear(in_features, num_classes)
        self.net.fc = nn.Sequential(nn.Dropout(dropout), head) if dropout > 0 else head

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def forward_with_features(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        n = self.net
        x = n.maxpool(n.relu(n.bn1(n.conv1(x))))
        feats = n.layer4(n.layer3(n.layer2(n.layer1(x))))  # (B, 2048, H/32, W/32)
        logits = n.fc(torch.flatten(n.avgpool(feats), 1))
        return logits, feats

    @staticmethod
    def features_to_grid(feats: torch.Tensor) -> torch.Tensor:
        return feats  # already (B, C, h, w)

    def load_torchvision_state_dict(self, state_dict: dict[str, torch.Tensor]) -> None:
        """Load weights published for torchvision.models.resnet50 (ImageNet head, dropout 0)."""
        self.net.load_state_dict(state_dict)
