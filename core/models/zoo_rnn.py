"""Course zoo 9-12: an image read as a sequence by a bidirectional GRU or LSTM.

Rows: 32 steps of one pixel row each (32 px x 3 channels = 96 values). Patch4: 64 steps of one 4x4 patch each
(4 x 4 x 3 = 48 values), in raster order. Hidden 256, 2 layers, dropout 0.3; the final forward and backward states
of the top layer are concatenated (512) -> Dropout -> Linear(512 -> C).
"""

from __future__ import annotations

import torch
from torch import nn

from core.models.zoo_common import input_requiring_grad
from core.runtime.messages import Bilingual

READINGS = {
    "row": "32 rows, top to bottom (and back): each step sees one row of 32 px x 3 channels",
    "patch4": "64 patches of 4x4 px in raster order (and back): each step sees 48 values",
}


class ImageRNN(nn.Module):
    family = "RNN"
    explanation = Bilingual(
        "gradient x input per step of the sequence (which rows / patches moved the decision)",
        "gradient x đầu vào theo từng bước của chuỗi (hàng / mảnh ảnh nào đã đẩy quyết định)",
    )
    saliency = "grad_x_input"

    def __init__(
        self,
        *,
        cell: str = "gru",
        reading: str = "row",
        num_classes: int = 100,
        image_size: int = 32,
        hidden: int = 256,
        layers: int = 2,
        dropout: float = 0.3,
    ):
        super().__init__()
        if cell not in ("gru", "lstm") or reading not in READINGS:
            raise ValueError(f"cell must be gru/lstm and reading one of {sorted(READINGS)}")
        self.cell, self.reading, self.image_size = cell, reading, image_size
        d_in = 3 * image_size if reading == "row" else 48
        rnn = nn.GRU if cell == "gru" else nn.LSTM
        self.rnn = rnn(
            d_in,
            hidden,
            num_layers=layers,
            batch_first=True,
            bidirectional=True,
            dropout=dropout if layers > 1 else 0.0,
        )
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(2 * hidden, num_classes))
        self.reading_description = READINGS[reading]

    @property
    def reading_grid(self) -> tuple[int, int]:
        """(rows, cols) of the steps over the image, for drawing how it is read."""
        return (self.image_size, 1) if self.reading == "row" else (self.image_size // 4, self.image_size // 4)

    def to_sequence(self, x: torch.Tensor) -> torch.Tensor:
        b = x.shape[0]
        if self.reading == "row":
            return x.permute(0, 2, 3, 1).reshape(b, x.shape[2], -1)  # (B, 32, 96)
        patches = x.unfold(2, 4, 4).unfold(3, 4, 4)  # (B, 3, 8, 8, 4, 4)
        return patches.permute(0, 2, 3, 1, 4, 5).reshape(b, -1, 48)  # (B, 64, 48)

    def _classify(self, seq: torch.Tensor) -> torch.Tensor:
        _, h = self.rnn(seq)
        h_n = h[0] if self.cell == "lstm" else h  # (layers * 2, B, hidden)
        return self.head(torch.cat([h_n[-2], h_n[-1]], dim=1))  # top layer: forward, backward

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._classify(self.to_sequence(x))

    def forward_with_features(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        seq = input_requiring_grad(self.to_sequence(x))  # (B, T, D)
        return self._classify(seq), seq

    def features_to_grid(self, feats: torch.Tensor) -> torch.Tensor:
        rows, cols = self.reading_grid
        return feats.transpose(1, 2).reshape(feats.shape[0], feats.shape[2], rows, cols)  # (B, D, rows, cols)
