"""Course zoo 9-12: an image read as a sequence by a bidirectional GRU or LSTM.

Course report 2 (6.1) lists four readings; it trained the row and patch4 ones:
- row: 32 steps, one pixel row each (32 px x 3 channels = 96 values), top to bottom;
- col: 32 steps, one pixel column each (32 px x 3 channels = 96 values), left to right;
- patch4: 64 steps (8 x 8), one 4x4 patch each (4 x 4 x 3 = 48 values), in raster order;
- patch8: 16 steps (4 x 4), one 8x8 patch each (8 x 8 x 3 = 192 values), in raster order.
Hidden 256, 2 layers, dropout 0.3; the final forward and backward states of the top layer are concatenated (512)
-> Dropout -> Linear(512 -> C).
"""

from __future__ import annotations

import torch
from torch import nn

from core.models.zoo_common import input_requiring_grad
from core.runtime.messages import Bilingual

READINGS = {
    "row": "32 rows, top to bottom (and back): each step sees one row of 32 px x 3 channels",
    "col": "32 columns, left to right (and back): each step sees one column of 32 px x 3 channels",
    "patch4": "64 patches of 4x4 px in raster order (and back): each step sees 48 values",
    "patch8": "16 patches of 8x8 px in raster order (and back): each step sees 192 values",
}
PATCH_SIZES = {"patch4": 4, "patch8": 8}


class ImageRNN(nn.Module):
    family = "RNN"
    explanation = Bilingual(
        "gradient x input per step of the sequence (which rows / columns / patches moved the decision)",
        "gradient x đầu vào theo từng bước của chuỗi (hàng / cột / mảnh ảnh nào đã đẩy quyết định)",
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
        self.patch = PATCH_SIZES.get(reading)  # None: a whole row or column per step
        d_in = 3 * image_size if self.patch is None else 3 * self.patch**2
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
        if self.reading == "row":
            return self.image_size, 1
        if self.reading == "col":
            return 1, self.image_size
        return self.image_size // self.patch, self.image_size // self.patch

    def to_sequence(self, x: torch.Tensor) -> torch.Tensor:
        b = x.shape[0]
        if self.reading == "row":
            return x.permute(0, 2, 3, 1).reshape(b, x.shape[2], -1)  # (B, H, W*3): (B, 32, 96)
        if self.reading == "col":
            return x.permute(0, 3, 2, 1).reshape(b, x.shape[3], -1)  # (B, W, H*3): (B, 32, 96)
        p = self.patch
        patches = x.unfold(2, p, p).unfold(3, p, p)  # (B, 3, H/p, W/p, p, p)
        return patches.permute(0, 2, 3, 1, 4, 5).reshape(b, -1, 3 * p * p)  # patch4 (B, 64, 48), patch8 (B, 16, 192)

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
