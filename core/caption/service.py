"""Captioning one image with each of the three captioners: plain functions the tab, the HTTP API and the
evaluation script call. Models load once per (variant, profile) and stay in memory.

APP_PROFILE=tiny builds tiny random instances of the same classes in a second or two, offline: a byte-level BPE
tokenizer trained on a few Vietnamese sentences, a 2-layer GPT-2, random mappers, the tiny CLIP and the tiny
ResNet of core.catalog.store. Their captions are meaningless but exercise every path.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from core.caption import loading
from core.caption.decoding import DecodeOptions
from core.caption.metrics import CiderD, image_metrics
from core.caption.text import clean_decoded, metric_tokens, normalize_caption
from core.catalog import ModelSpec, caption_model_name, caption_variants, get_spec
from core.catalog.checkpoint import WEIGHTS_FILE
from core.catalog.weights import SourceFailed, WeightsUnavailable, describe_checkpoint
from core.runtime.inputs import InputError


@dataclass
class LoadedCaptioner:
    variant: str
    model: Any  # ClipCaptionModel or LSTMCaptioner, eval mode
    encoder: str  # "clip" or "cnn"
    encoder_profile: str
    source: str
    tokenizer: Any = None  # GPT-2 tokenizer (ClipCap)
    vocab: Any = None  # WordVocab (LSTM)
    cider: CiderD | None = None
    config: dict = field(default_factory=dict)

    @property
    def is_clipcap(self) -> bool:
        return self.tokenizer is not None

    @property
    def eos_id(self) -> int:
        """ClipCap: the id core.caption.loading.end_of_text chose at load time (the model's own when the
        tokenizer's is not an embedding row), else the tokenizer's; the LSTM: its vocabulary's <eos>."""
        if not self.is_clipcap:
            return 2
        return int(self.config.get("eos_id", self.tokenizer.eos_token_id))

    @property
    def notes(self) -> tuple:
        """Facts about this captioner a person should see beside its captions (Bilingual sentences), e.g. that
        the tokenizer's end-of-text id was replaced by the model's (set by core.caption.loading.load_clipcap)."""
        return tuple(self.config.get("load_notes", ()))

    def to_text(self, ids: list[int]) -> str:
        """Token ids -> readable NFC text (byte-level BPE decoded as bytes, never joined as "Ġ" pieces)."""
        if self.is_clipcap:
            return clean_decoded(self.tokenizer.decode(ids, skip_special_tokens=True))
        return clean_decoded(self.vocab.decode(ids))


@dataclass
class CaptionResult:
    variant: str
    captions: list[str]
    encode_ms: float
    decode_ms: float

    @property
    def total_ms(self) -> float:
        return self.encode_ms + self.decode_ms


def load_captioner(variant: str, profile: str = "default") -> LoadedCaptioner:
    """The captioner `variant` ("clipcap_mlp", "clipcap_transformer", "cnn_lstm"), loaded once per profile by
    core.catalog.store."""
    from core.catalog.store import load_model

    if variant not in caption_variants():
        raise KeyError(f"unknown caption model {variant!r}; valid: {', '.join(caption_variants())}")
    return load_model(caption_model_name(variant), profile)


def load_entry(spec: ModelSpec, profile: str) -> LoadedCaptioner:
    """core.catalog.store's builder for task "caption": the checkpoint, or a random instance of the same classes
    (tiny: a few dozen units wide; random: the course's sizes, GPT-2-base-sized decoder)."""
    if profile == "default":
        local = spec.weights[0].path()
        if not (local / WEIGHTS_FILE).is_file():  # not trained here: the class's Hub repo, if it holds one
            for source in spec.weights[1:]:
                try:
                    return from_checkpoint(source.folder())
                except SourceFailed:
                    continue
        return from_checkpoint(local)
    return _random_init(spec.variant, profile)


def from_checkpoint(path: Path) -> LoadedCaptioner:
    variant = path.name
    if not (path / WEIGHTS_FILE).is_file():
        known = variant if variant in caption_variants() else "clipcap_mlp"
        spec = get_spec(caption_model_name(known))
        raise WeightsUnavailable(
            spec.display_name if known == variant else variant,
            [f"missing file {path / WEIGHTS_FILE}"],
            [spec.weights[0].fix()],
        )
    corpus = loading.read_cider_corpus(path)
    # As syllables, whatever the file holds (a corpus written as pyvi words joins syllables with "_").
    cider = CiderD([[metric_tokens(" ".join(ref)) for ref in refs] for refs in corpus]) if corpus else None
    from core.catalog.checkpoint import read_config

    if read_config(path)["arch"] == "clipcap_mapper":
        model, tokenizer, config = loading.load_clipcap(path)
        return LoadedCaptioner(
            config.get("variant", variant), model, "clip", config["clip"]["profile"], describe_checkpoint(path),
            tokenizer=tokenizer, cider=cider, config=config,
        )  # fmt: skip
    model, vocab, config = loading.load_lstm(path)
    return LoadedCaptioner(
        config.get("variant", variant), model, "cnn", config["cnn"]["profile"], describe_checkpoint(path),
        vocab=vocab, cider=cider, config=config,
    )  # fmt: skip


_random_gpt2: dict[str, Any] = {}  # profile -> (GPT-2, tokenizer)


def _random_init(variant: str, profile: str) -> LoadedCaptioner:
    from core.caption.baseline import LSTMCaptioner, WordVocab
    from core.caption.clipcap import ClipCaptionModel, build_mapper

    sentences = loading.TINY_SENTENCES
    cider = CiderD([[metric_tokens(s)] for s in sentences])
    tiny = profile == "tiny"
    size = "tiny" if tiny else "full-size"
    note = f"{size} random-initialised {get_spec(caption_model_name(variant)).display_name} "
    note += f"(the app's {profile} profile): captions are meaningless"
    with torch.random.fork_rng():
        torch.manual_seed(0)
        if variant == "cnn_lstm":
            vocab = WordVocab.build(sentences)
            _, _, dim = loading.image_encoder("cnn", profile)
            sizes = dict(embed_dim=16, hidden=32) if tiny else {}
            model = LSTMCaptioner(feature_dim=dim, vocab_size=len(vocab), dropout=0.0, **sizes)
            return LoadedCaptioner(variant, model.eval(), "cnn", profile, note, vocab=vocab, cider=cider)
        if profile not in _random_gpt2:  # both ClipCap mappers share one frozen decoder, as with real weights
            tokenizer = loading.train_tiny_tokenizer(sentences)
            gpt_sizes = {} if tiny else dict(n_layer=12, n_embd=768, n_head=12)  # GPT-2 base
            _random_gpt2[profile] = (loading.tiny_gpt2(len(tokenizer), tokenizer.eos_token_id, **gpt_sizes), tokenizer)
        gpt, tokenizer = _random_gpt2[profile]
        _, _, dim = loading.image_encoder("clip", profile)
        mapping = variant.removeprefix("clipcap_")
        sizes = dict(prefix_length=4, clip_length=4, num_layers=1, num_heads=2) if tiny else {}
        mapper = build_mapper(mapping_type=mapping, clip_dim=dim, gpt_dim=gpt.config.n_embd, **sizes)
        model = ClipCaptionModel(gpt, mapper).eval()
    return LoadedCaptioner(variant, model, "clip", profile, note, tokenizer=tokenizer, cider=cider)


def encode_images(cap: LoadedCaptioner, images: list) -> np.ndarray:
    """PIL images -> (N, D) features of the captioner's frozen encoder."""
    _, encode, _ = loading.image_encoder(cap.encoder, cap.encoder_profile)
    return encode(images)


def captions_from_features(cap: LoadedCaptioner, features: np.ndarray, options: DecodeOptions) -> list[str]:
    """(D,) features of one image -> its caption(s), readable text."""
    x = torch.as_tensor(np.asarray(features, dtype=np.float32)).reshape(1, -1)
    seqs = cap.model.caption_ids(x, cap.eos_id, options)
    return [cap.to_text(s) for s in seqs]


def caption_image(cap: LoadedCaptioner, image, options: DecodeOptions) -> CaptionResult:
    """One PIL image -> captions with the time spent encoding the image and decoding."""
    start = time.perf_counter()
    features = encode_images(cap, [image])[0]
    encoded = time.perf_counter()
    captions = captions_from_features(cap, features, options)
    done = time.perf_counter()
    return CaptionResult(cap.variant, captions, (encoded - start) * 1000, (done - encoded) * 1000)


def score_caption(cap: LoadedCaptioner, caption: str, references: list[str]) -> dict[str, float | None]:
    """Per-image BLEU-1..4, ROUGE-L and CIDEr (IDF from the checkpoint's training references) on syllables."""
    refs = [metric_tokens(r) for r in references if normalize_caption(r)]
    if not refs:
        raise InputError("The reference caption has no words.", "Chú thích tham chiếu không có chữ nào.")
    return image_metrics(metric_tokens(caption), refs, cap.cider)
