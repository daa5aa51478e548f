"""The report's baseline: a frozen ImageNet CNN (ResNet-50, global-average-pooled layer4, 2048-d) -> LSTM decoder
over a word-level Vietnamese vocabulary (Show and Tell: the projected image is the LSTM's first input).

The vocabulary is the syllables of the NFC, lower-cased training captions (Vietnamese writes one syllable per
space-separated token, so this needs no segmenter); <pad> = 0, <unk> = 1, <eos> = 2.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import torch
from torch import nn

from core.caption.clipcap import FeatureNorm
from core.caption.text import normalize_caption

PAD, UNK, EOS = 0, 1, 2
SPECIALS = ("<pad>", "<unk>", "<eos>")


class WordVocab:
    def __init__(self, words: Sequence[str]):
        if tuple(words[:3]) != SPECIALS:
            raise ValueError(f"a caption vocabulary starts with {SPECIALS}")
        self.words = list(words)
        self.index = {w: i for i, w in enumerate(self.words)}

    @classmethod
    def build(cls, captions: Iterable[str], min_count: int = 1) -> WordVocab:
        counts = Counter(w for c in captions for w in normalize_caption(c).split())
        kept = sorted(w for w, n in counts.items() if n >= min_count)
        return cls([*SPECIALS, *kept])

    def __len__(self) -> int:
        return len(self.words)

    def encode(self, caption: str) -> list[int]:
        """Caption -> ids ending with <eos>."""
        return [self.index.get(w, UNK) for w in normalize_caption(caption).split()] + [EOS]

    def decode(self, ids: Iterable[int]) -> str:
        return " ".join(self.words[i] for i in ids if i > EOS)


class LSTMCaptioner(nn.Module):
    def __init__(
        self,
        *,
        feature_dim: int,
        vocab_size: int,
        embed_dim: int = 256,
        hidden: int = 512,
        num_layers: int = 1,
        dropout: float = 0.3,
    ):
        super().__init__()
        self.norm = FeatureNorm(feature_dim)
        self.image_proj = nn.Linear(feature_dim, embed_dim)
        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=PAD)
        self.lstm = nn.LSTM(embed_dim, hidden, num_layers, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(hidden, vocab_size)

    def forward(self, features: torch.Tensor, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Mean cross-entropy over caption tokens. features (B, F); ids/mask (B, T), ids ending with <eos>."""
        image = self.image_proj(self.norm(features)).unsqueeze(1)  # (B, 1, E)
        inputs = torch.cat([image, self.embed(ids[:, :-1])], dim=1)  # (B, T, E): image, w1 .. w_{T-1}
        hidden, _ = self.lstm(self.dropout(inputs))  # (B, T, H)
        logits = self.out(self.dropout(hidden))  # (B, T, V): position t predicts ids[:, t]
        labels = ids.masked_fill(mask == 0, -100)
        return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1))


class LSTMStepper:
    """Incremental decoding state for core.caption.decoding (the LSTM's (h, c) is its natural cache)."""

    def __init__(self, model: LSTMCaptioner, features: torch.Tensor):
        self.model, self.features, self.state = model, features, None

    @torch.inference_mode()
    def start(self) -> torch.Tensor:
        hidden, self.state = self.model.lstm(self.model.image_proj(self.model.norm(self.features)).unsqueeze(1))
        return self.model.out(hidden[:, -1])

    @torch.inference_mode()
    def advance(self, tokens: torch.Tensor) -> torch.Tensor:
        hidden, self.state = self.model.lstm(self.model.embed(tokens[:, None]), self.state)
        return self.model.out(hidden[:, -1])

    def reorder(self, index: torch.Tensor) -> None:
        self.state = tuple(s.index_select(1, index) for s in self.state)  # (layers, B, H)
