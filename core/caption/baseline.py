"""This repo's CNN+LSTM baseline (report 004 names a CNN+LSTM baseline but gives no architecture): a frozen
ImageNet CNN (ResNet-50, global-average-pooled layer4, 2048-d) -> LSTM decoder over a word-level Vietnamese
vocabulary (Show and Tell: the projected image is the LSTM's first input).

The vocabulary is the syllables of the NFC, lower-cased training captions (Vietnamese writes one syllable per
space-separated token, so this needs no segmenter); <pad> = 0, <unk> = 1, <eos> = 2.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import torch
from torch import nn
from transformers import GenerationMixin, PretrainedConfig, PreTrainedModel
from transformers.modeling_outputs import CausalLMOutput

from core.caption.clipcap import FeatureNorm
from core.caption.decoding import DecodeOptions, generate
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

    def caption_ids(self, features: torch.Tensor, eos_id: int, options: DecodeOptions) -> list[list[int]]:
        """(1, F) image features -> word ids of the caption(s), through transformers' generate()."""
        start = torch.full((1, 1), PAD, dtype=torch.long, device=features.device)  # the image's slot
        return generate(LSTMForGeneration(self), eos_id, options, input_ids=start, image=features)


class LSTMForGeneration(PreTrainedModel, GenerationMixin):
    """The LSTM as transformers' generate() expects a language model, for one caption_ids call (it holds that
    call's LSTM states; it shares the captioner's parameters, nothing is copied).

    The LSTM's first input is the projected image, not a word, so input_ids start with a PAD placeholder in that
    slot (a word the vocabulary never shows; the repetition penalty counts it, which only makes PAD less likely)
    and the image features come as the model keyword `image`, which generate() repeats for beams and samples.

    generate() keeps caches for attention layers only and hands this model every row's whole prefix at each step,
    so the LSTM's (h, c) after each prefix is kept here, keyed by the prefix's ids: a step runs the LSTM over one
    word per row from its parent prefix's state, whatever rows beam search kept, dropped or copied. Re-running the
    LSTM over the whole prefix instead cost about 3x more at the course's size (docs/DECODING.md)."""

    config_class = PretrainedConfig

    def __init__(self, captioner: LSTMCaptioner):
        config = PretrainedConfig(vocab_size=captioner.out.out_features, eos_token_id=EOS, pad_token_id=PAD)
        super().__init__(config)
        self.generation_config.use_cache = False  # no transformers cache: the states below are the cache
        self.captioner = captioner
        self.states: dict[tuple[int, ...], tuple[torch.Tensor, torch.Tensor]] = {}

    def forward(self, input_ids: torch.Tensor, image: torch.Tensor, **kwargs) -> CausalLMOutput:
        m = self.captioner
        prefixes = [tuple(row) for row in input_ids.tolist()]
        if input_ids.shape[1] == 1:  # the image slot: the LSTM's first input is the projected image
            hidden, (h, c) = m.lstm(m.image_proj(m.norm(image)).unsqueeze(1))
        else:
            parents = [self.states[p[:-1]] for p in prefixes]
            state = (torch.cat([h for h, _ in parents], dim=1), torch.cat([c for _, c in parents], dim=1))
            hidden, (h, c) = m.lstm(m.embed(input_ids[:, -1:]), state)
        for row, prefix in enumerate(prefixes):
            self.states[prefix] = (h[:, row : row + 1], c[:, row : row + 1])  # (layers, 1, H) each
        return CausalLMOutput(logits=m.out(hidden[:, -1]).unsqueeze(1))
