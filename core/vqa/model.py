"""VQA models of the course: image encoder -> spatial cells; question encoder (embedding + LSTM); fusion;
answer classifier. Four variants: {MobileNetV2, small CNN} x {question-guided attention over cells, mean pool}.

The image side and the question side are separate methods so the chat can encode a photo once and answer many
questions about it (features cached per image).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

ENCODERS = ("mobilenet_v2", "small_cnn")


def small_cnn(width: int = 64) -> nn.Sequential:
    """Four Conv+BN+ReLU(+pool) stages: a 64 px image -> an 8x8 grid of `width` channels."""
    layers, c_in = [], 3
    for i, c in enumerate((width // 4, width // 2, width, width)):
        layers += [nn.Conv2d(c_in, c, 3, padding=1), nn.BatchNorm2d(c), nn.ReLU(inplace=True)]
        if i < 3:
            layers.append(nn.MaxPool2d(2))
        c_in = c
    return nn.Sequential(*layers)


class VQAModel(nn.Module):
    def __init__(
        self,
        *,
        vocab_size: int,
        num_answers: int,
        encoder: str = "small_cnn",
        attention: bool = True,
        embed_dim: int = 128,
        hidden: int = 256,
        cnn_width: int = 64,
        dropout: float = 0.3,
    ):
        super().__init__()
        if encoder not in ENCODERS:
            raise ValueError(f"encoder must be one of {ENCODERS}")
        self.encoder_name, self.use_attention = encoder, attention
        if encoder == "mobilenet_v2":
            from torchvision.models import mobilenet_v2

            self.backbone = mobilenet_v2(weights=None).features  # (B, 1280, H/32, W/32)
            feat_dim = 1280
        else:
            self.backbone = small_cnn(cnn_width)  # (B, width, H/8, W/8)
            feat_dim = cnn_width
        self.image_proj = nn.Linear(feat_dim, hidden)
        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.lstm = nn.LSTM(embed_dim, hidden, batch_first=True)
        if attention:
            self.att_image = nn.Linear(hidden, hidden)
            self.att_question = nn.Linear(hidden, hidden)
            self.att_score = nn.Linear(hidden, 1)
        self.classifier = nn.Sequential(
            nn.Dropout(dropout),
            nn.Linear(hidden, hidden),
            nn.ReLU(inplace=True),
            nn.Dropout(dropout),
            nn.Linear(hidden, num_answers),
        )

    def load_imagenet_backbone(self, state_dict: dict[str, torch.Tensor]) -> None:
        """torchvision's MobileNet_V2 ImageNet weights (the `features.*` part)."""
        feats = {k.removeprefix("features."): v for k, v in state_dict.items() if k.startswith("features.")}
        self.backbone.load_state_dict(feats)

    def encode_image(self, images: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) -> (B, N, hidden) cell features, N = h * w spatial cells."""
        fmap = self.backbone(images)  # (B, C, h, w)
        return torch.tanh(self.image_proj(fmap.flatten(2).transpose(1, 2)))

    def encode_question(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """(B, T) padded ids -> (B, hidden) final LSTM state."""
        packed = nn.utils.rnn.pack_padded_sequence(
            self.embed(ids), lengths.cpu(), batch_first=True, enforce_sorted=False
        )
        _, (h, _) = self.lstm(packed)
        return torch.tanh(h[-1])

    def answer(self, cells: torch.Tensor, ids: torch.Tensor, lengths: torch.Tensor):
        """Logits (B, answers) and attention over cells (B, N), or None without attention."""
        q = self.encode_question(ids, lengths)  # (B, hidden)
        if self.use_attention:
            scores = self.att_score(torch.tanh(self.att_image(cells) + self.att_question(q)[:, None]))  # (B, N, 1)
            attn = F.softmax(scores.squeeze(-1), dim=1)  # (B, N), sums to 1 over cells
            image = (attn[..., None] * cells).sum(1)
        else:
            attn, image = None, cells.mean(1)
        return self.classifier(image * q), attn  # element-wise fusion

    def forward(self, images: torch.Tensor, ids: torch.Tensor, lengths: torch.Tensor):
        return self.answer(self.encode_image(images), ids, lengths)


def pad_batch(sequences: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    lengths = torch.tensor([len(s) for s in sequences])
    ids = torch.zeros(len(sequences), int(lengths.max()), dtype=torch.long)
    for i, s in enumerate(sequences):
        ids[i, : len(s)] = torch.tensor(s)
    return ids, lengths
