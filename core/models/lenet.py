"""Three LeNet-5s for the CNN tab's layer table, each a real module whose parameters are counted by running it.

- `CourseLeNet5`: the network the course's LeNet-5 table describes (video event query report, section 2.2.6):
  a 32x32x3 input, 8 then 16 filters of 5x5, fully connected layers of 120, 84 and 10 units.
- `LeNet5`: the modern variant most tutorials teach (1 channel, 6 and 16 filters, ReLU, max-pooling, full C3
  connections, a plain linear output).
- `LeNet5Original`: LeCun et al. 1998 ("Gradient-based learning applied to document recognition"): C3 connects
  each of its 16 maps to only some of S2's 6 maps (the paper's Table I), S2 and S4 multiply each 2x2 sum by a
  trainable coefficient and add a trainable bias, the squashing function is 1.7159·tanh(2a/3), and the output is a
  layer of 10 Euclidean radial basis function units (84 weights each, no bias).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class CourseLeNet5(nn.Module):
    """The course table's network. The table names neither the activation nor the pooling kind (neither has
    parameters); ReLU and average pooling are used here, the pooling the report's section 2.2.3 says LeNet uses.
    Module names follow the table's rows: `fc5` is its "SOFTMAX" row (the 84 -> 10 layer a softmax follows)."""

    family = "CNN"

    def __init__(self, *, num_classes: int = 10, in_channels: int = 3, conv_channels: tuple[int, int] = (8, 16)):
        super().__init__()
        c1, c2 = conv_channels
        self.conv1 = nn.Conv2d(in_channels, c1, 5)  # 32 -> 28
        self.pool1 = nn.AvgPool2d(2)  # 28 -> 14
        self.conv2 = nn.Conv2d(c1, c2, 5)  # 14 -> 10
        self.pool2 = nn.AvgPool2d(2)  # 10 -> 5
        self.fc3 = nn.Linear(c2 * 5 * 5, 120)
        self.fc4 = nn.Linear(120, 84)
        self.fc5 = nn.Linear(84, num_classes)

    def forward(self, x):
        x = self.pool1(F.relu(self.conv1(x)))
        x = self.pool2(F.relu(self.conv2(x)))
        x = F.relu(self.fc3(torch.flatten(x, 1)))
        return self.fc5(F.relu(self.fc4(x)))


class LeNet5(nn.Module):
    """Modern LeNet-5: ReLU, max-pooling, full C3 connections, biases everywhere."""

    family = "CNN"

    def __init__(self, *, num_classes: int = 10, in_channels: int = 1):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, 5),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 32 -> 28 -> 14
            nn.Conv2d(6, 16, 5),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 14 -> 10 -> 5
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(16 * 5 * 5, 120),
            nn.ReLU(),
            nn.Linear(120, 84),
            nn.ReLU(),
            nn.Linear(84, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


# LeCun et al. 1998, Table I: which of S2's six maps each of C3's sixteen maps reads.
C3_CONNECTIONS: tuple[tuple[int, ...], ...] = (
    (0, 1, 2), (1, 2, 3), (2, 3, 4), (3, 4, 5), (4, 5, 0), (5, 0, 1),
    (0, 1, 2, 3), (1, 2, 3, 4), (2, 3, 4, 5), (3, 4, 5, 0), (4, 5, 0, 1), (5, 0, 1, 2),
    (0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5),
    (0, 1, 2, 3, 4, 5),
)  # fmt: skip


def squash(a: torch.Tensor) -> torch.Tensor:
    """The paper's sigmoid: f(a) = A·tanh(S·a) with A = 1.7159, S = 2/3."""
    return 1.7159 * torch.tanh(a * (2 / 3))


class Subsampling(nn.Module):
    """S2/S4: each map's 2x2 sums times a trainable coefficient plus a trainable bias (2 parameters per map)."""

    def __init__(self, channels: int):
        super().__init__()
        self.coefficient = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x):
        summed = F.avg_pool2d(x, 2) * 4
        return squash(summed * self.coefficient.view(1, -1, 1, 1) + self.bias.view(1, -1, 1, 1))


class PartialConv(nn.Module):
    """C3: a 5x5 convolution where output map j sees only the input maps `connections[j]`. Only the connected
    kernels are parameters (one flat vector), so the count is sum_j (|connections[j]|·5·5 + 1) = 1,516."""

    def __init__(self, in_channels: int, connections: tuple[tuple[int, ...], ...], kernel_size: int = 5):
        super().__init__()
        mask = torch.zeros(len(connections), in_channels, kernel_size, kernel_size, dtype=torch.bool)
        for j, inputs in enumerate(connections):
            mask[j, list(inputs)] = True
        self.register_buffer("mask", mask, persistent=False)
        fan_in = kernel_size * kernel_size * torch.tensor([len(c) for c in connections], dtype=torch.float)
        bound = (1 / fan_in).sqrt().repeat_interleave(mask.flatten(1).sum(1))
        self.weight = nn.Parameter((torch.rand(int(mask.sum())) * 2 - 1) * bound)
        self.bias = nn.Parameter(torch.zeros(len(connections)))

    def forward(self, x):
        full = torch.zeros(self.mask.shape, dtype=self.weight.dtype, device=self.weight.device)
        full = full.masked_scatter(self.mask, self.weight)
        return F.conv2d(x, full, self.bias)


class EuclideanRBF(nn.Module):
    """The 1998 output layer: y_i = sum_j (x_j - w_ij)^2, a penalty (lower = more likely), no bias."""

    def __init__(self, in_features: int, num_classes: int):
        super().__init__()
        self.centers = nn.Parameter(torch.randn(num_classes, in_features))

    def forward(self, x):
        return ((x[:, None, :] - self.centers[None]) ** 2).sum(-1)


class LeNet5Original(nn.Module):
    """LeNet-5 as published in 1998 (32x32 grey input): 60,840 parameters."""

    family = "CNN"

    def __init__(self, *, num_classes: int = 10):
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, 5)  # 32 -> 28
        self.s2 = Subsampling(6)  # 28 -> 14
        self.c3 = PartialConv(6, C3_CONNECTIONS)  # 14 -> 10
        self.s4 = Subsampling(16)  # 10 -> 5
        self.c5 = nn.Conv2d(16, 120, 5)  # 5 -> 1, every C5 unit sees all of S4
        self.f6 = nn.Linear(120, 84)
        self.output = EuclideanRBF(84, num_classes)

    def forward(self, x):
        x = self.s2(squash(self.c1(x)))
        x = self.s4(squash(self.c3(x)))
        x = squash(self.c5(x)).flatten(1)
        return self.output(squash(self.f6(x)))
