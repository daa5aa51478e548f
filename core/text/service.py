"""Classify one text with a registered text model: top-k groups, latency, tokens read, and word highlights.

Plain data in, plain data out (docs/ARCHITECTURE.md, "Request flow"): the tab and the HTTP API format
`TextPrediction`; tests call it directly. Highlights:
- GRU: gradient x input on the word embeddings (sum over the embedding dimension) for the predicted class:
  how much each token's embedding pushed that logit up (positive) or down (negative).
- DistilBERT: the last layer's attention from [CLS] (the token the classifier reads), averaged over heads.
- MiniLM (mean-pooled): the last layer's attention averaged over heads and over every token the mean reads.
"""

from __future__ import annotations

import hashlib
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import torch

from core.catalog import ModelSpec, list_models
from core.catalog.store import LoadedModel, load_model, load_module
from core.runtime.coalesce import COMPUTED, Coalescer, coalesced, model_token
from core.runtime.messages import Bilingual, UnknownChoice, vietnamese_of
from core.text import UNLIKE_TRAINING
from core.text import tokenizer as wp
from core.text.data import DataUnavailable
from core.text.model import BiGRUClassifier, DistilBertClassifier, MiniLMClassifier
from core.text.ood import known_english_words, load_calibration, text_verdict, word_check
from core.training.ood import Verdict

GRADIENT, CLS_ATTENTION, POOLED_ATTENTION = (
    "gradient x input",
    "attention from [CLS], last layer",
    "attention into the mean-pooled tokens, last layer",
)
METHODS = {
    "gru": GRADIENT,
    "distilbert": CLS_ATTENTION,
    "gru_wordnet": GRADIENT,
    "minilm_wordnet": POOLED_ATTENTION,
}
TRANSFORMER_CLASSES = (DistilBertClassifier, MiniLMClassifier)


@dataclass
class TextModel:
    """A text classifier as core.catalog.store caches it (its entry's loader): the module and the tokenizer it was
    trained with, loaded together once per (name, profile)."""

    loaded: LoadedModel
    tokenizer: Any
    tokenizer_source: str
    ood: dict | None = None  # the checkpoint's ood.json (core/text/ood.py); None: not calibrated, no verdict
    # The English words its training texts use (core.text.ood.known_english_words): WordNet models only; None: no
    # word check (another data set, or WordNet not installed).
    known_words: frozenset[str] | None = None

    @property
    def module(self) -> torch.nn.Module:
        return self.loaded.module

    @property
    def source(self) -> str:
        """Where the weights and the tokenizer came from, in words."""
        loaded = self.loaded.source
        return Bilingual(
            f"{loaded}; tokenizer: {self.tokenizer_source}",
            f"{vietnamese_of(loaded) or loaded}; tokenizer: {self.tokenizer_source}",
        )

    @property
    def checkpoint_dir(self) -> str | None:  # demo.prefetch lists the folder's files
        return self.loaded.checkpoint_dir


@dataclass
class TextPrediction:
    model: str
    display_name: str
    top_k: list[tuple[str, float]]
    forward_ms: float
    num_tokens: int  # tokens the model read, [CLS] and [SEP] included
    max_tokens: int  # the most it reads (its training max length)
    truncated: bool
    chars_cut: int
    method: str
    highlight_ms: float | None = None
    source: str = ""  # where the weights and the tokenizer came from, in words
    # The text the model read, split into (piece, weight): one weight in [-1, 1] per word piece shown,
    # None for the spaces between them.
    segments: list[tuple[str, float | None]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    out_of_domain: Verdict | None = None  # is the text unlike the training texts (None: not calibrated)
    # True: computed once for an identical request (same text, model and options) just before or at the same time
    # (core.runtime.coalesce); forward_ms and highlight_ms are that computation's.
    cached: bool = False


# The last answers, keyed by the model itself, its tokenizer, the options and the text. Everything in a prediction
# is language-free (Bilingual notes, English method names): the tab formats it in each visitor's language.
RESULTS = Coalescer(32, "text")


def text_model_name(name: object) -> str:
    """`name` if the catalogue has a text classifier of that name, else UnknownChoice listing them (checked before
    anything loads, so a wrong name costs nothing)."""
    valid = list_models("text-classification")
    if isinstance(name, str) and name in valid:
        return name
    listed = ", ".join(valid)
    raise UnknownChoice(
        f"{str(name)[:40]!r} is not a text model; valid: {listed}",
        f"{str(name)[:40]!r} không phải mô hình văn bản; các tên hợp lệ: {listed}",
    )


def load_text_model(name: str, profile: str = "default") -> TextModel:
    """The model and the tokenizer it was trained with, through the one loader (core.catalog.store.load_model:
    loaded once, under its lock). Raises UnknownChoice, WeightsUnavailable or TokenizerUnavailable."""
    return load_model(text_model_name(name), profile)


def load_entry(spec: ModelSpec, profile: str) -> TextModel:
    """core.catalog.store's builder for task "text-classification": the module as for any entry (the same profiles),
    then its tokenizer (tiny and random: the tiny WordPiece). The module is cached on its own (load_module): when
    the tokenizer fails (TokenizerUnavailable: a Hub tokenizer offline, a package missing) the next request
    retries only the tokenizer, without reading the weights again."""
    loaded = load_module(spec.name, profile)
    tokenizer, source = _tokenizer_for(loaded)
    calibration = load_calibration(loaded.checkpoint_dir)
    return TextModel(loaded, tokenizer, source, calibration, _known_words(spec, calibration))


def _known_words(spec: ModelSpec, calibration: dict | None) -> frozenset[str] | None:
    """The known-word list for a calibrated WordNet model (read once, shared), else None."""
    if spec.dataset != "wordnet" or calibration is None:
        return None
    try:
        return known_english_words()
    except (DataUnavailable, OSError):  # no WordNet here: the energy check alone, as before
        return None


def _tokenizer_for(loaded: LoadedModel) -> tuple[Any, str]:
    if loaded.profile != "default":
        # Tiny and random instances read the tiny vocabulary (its ids fit every registered vocab size).
        return wp.tiny_tokenizer(), f"tiny WordPiece ({wp.TINY_VOCAB_SIZE} tokens)"
    from core.catalog.checkpoint import read_config

    config = read_config(loaded.checkpoint_dir)
    name = (config.get("tokenizer") or {}).get("name", wp.DISTILBERT_TOKENIZER)
    found = wp.for_checkpoint(loaded.checkpoint_dir, config)
    if found:
        tok, source = found
    elif name == "tiny":
        tok, source = wp.tiny_tokenizer(), "tiny WordPiece"
    else:  # a checkpoint from the Hub repo carries no tokenizer.json: the one it names
        tok, source = wp.from_hub(name), f"Hub {name}"
    # Read as many tokens as in training (the train script's --max-length, 256 by default).
    tok.enable_truncation(int((config.get("preprocess") or {}).get("max_length", wp.MAX_TOKENS)))
    return tok, source


def classify_text(model: TextModel, text: str, *, top_k: int = 5, explain: bool = True) -> TextPrediction:
    """Top-k groups of `text` (stripped; EmptyText if nothing is left) and, with `explain`, per-token highlights.
    Identical requests share one computation (core.runtime.coalesce)."""
    if not isinstance(text, str):  # the checks in _classify_text say what is wrong with it
        return _classify_text(model, text, top_k, explain)
    key = (
        model_token(model.module),
        model_token(model.tokenizer),
        model.loaded.name,
        str(model.source),
        tuple(map(str, model.loaded.notes)),
        top_k,
        explain,
        hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest(),
    )
    result, how = coalesced(RESULTS, key, lambda: _classify_text(model, text, top_k, explain))
    if how == COMPUTED:
        return replace(result, notes=list(result.notes), segments=list(result.segments))
    return replace(result, notes=list(result.notes), segments=list(result.segments), cached=True)


def _classify_text(model: TextModel, text: str, top_k: int, explain: bool) -> TextPrediction:
    encoded = wp.encode(model.tokenizer, wp.check_text(text))
    module = model.module
    device = next(module.parameters()).device
    ids = torch.tensor([encoded.ids], device=device)  # (1, T)
    start = time.perf_counter()
    hidden = None
    with torch.inference_mode():
        if isinstance(module, TRANSFORMER_CLASSES):  # keep the last layer's input: attention comes from it
            logits, hidden = module.forward_hidden(ids, keep_last_input=explain)
        else:
            logits = module(ids)
    forward_ms = (time.perf_counter() - start) * 1000
    probs = logits.float().softmax(-1)[0].cpu()
    values, indices = probs.topk(min(top_k, probs.numel()))
    labels = model.loaded.labels
    prediction = TextPrediction(
        model=model.loaded.name,
        display_name=model.loaded.display_name,
        top_k=[(labels[i], float(p)) for p, i in zip(values.tolist(), indices.tolist())],
        forward_ms=forward_ms,
        num_tokens=len(encoded.ids),
        max_tokens=int((model.tokenizer.truncation or {}).get("max_length", wp.MAX_TOKENS)),
        truncated=encoded.truncated,
        chars_cut=encoded.chars_cut,
        method=METHODS.get(model.loaded.name, _method_of(module)),
        notes=list(model.loaded.notes),
        source=model.source,
    )
    words = None if model.known_words is None else word_check(encoded.text, model.known_words)
    prediction.out_of_domain = text_verdict(logits, model.ood, words)
    if prediction.out_of_domain is not None and prediction.out_of_domain.unlike_training_data:
        if words is not None and words.unlike_training_data:  # the reason first: "most words (6 of 7) ..."
            prediction.notes.append(words.reason(prediction.out_of_domain.energy_unlike))
        prediction.notes.append(UNLIKE_TRAINING)
    if explain:
        start = time.perf_counter()
        weights = token_weights(module, ids, int(indices[0]), hidden=hidden)
        prediction.highlight_ms = (time.perf_counter() - start) * 1000
        prediction.segments = segments(encoded, weights)
    return prediction


def _method_of(module: torch.nn.Module) -> str:
    if isinstance(module, BiGRUClassifier):
        return GRADIENT
    return POOLED_ATTENTION if isinstance(module, MiniLMClassifier) else CLS_ATTENTION


def token_weights(module: torch.nn.Module, ids: torch.Tensor, target: int, hidden=None) -> list[float]:
    """One weight per token of `ids` (1, T), scaled to [-1, 1] (attention: [0, 1]).

    For the Transformers, `hidden` (the last layer's input from the forward pass already run) saves a second
    forward.
    """
    if isinstance(module, TRANSFORMER_CLASSES):
        with torch.inference_mode():
            if hidden is None:
                hidden = module.forward_hidden(ids, keep_last_input=True)[1]
            w = module.reading_weights(hidden, ids != module.pad_id)[0].float()
    elif isinstance(module, BiGRUClassifier):
        w = _gradient_x_input(module, ids, target)
    else:
        raise TypeError(f"no highlight method for {type(module).__name__}")
    w = w.cpu()
    return (w / w.abs().max().clamp(min=1e-12)).tolist()


def _gradient_x_input(module: BiGRUClassifier, ids: torch.Tensor, target: int) -> torch.Tensor:
    # torch.autograd.grad, not backward(): nothing accumulates in the shared module's .grad between requests.
    # cuDNN's RNN backward refuses eval mode, so the native kernel serves this one pass on a GPU. The cuDNN switch
    # is process-wide: two requests toggling it at once could restore each other's "off" and leave cuDNN disabled
    # for every model in the app, so the switch is flipped under a lock, and only where cuDNN could run at all.
    padded = module.pad_inputs(ids)
    with _cudnn_off(padded.is_cuda), torch.enable_grad():
        emb = module.embedding(padded).detach().requires_grad_(True)  # (1, T', E)
        logit = module.forward_embeddings(emb, padded != module.pad_id)[0, target]
        (grad,) = torch.autograd.grad(logit, emb)
    return (grad * emb).sum(-1)[0, : ids.shape[1]].detach()  # (T,)


_cudnn_lock = threading.Lock()


@contextmanager
def _cudnn_off(on_gpu: bool):
    if not on_gpu:
        yield
        return
    with _cudnn_lock, torch.backends.cudnn.flags(enabled=False):
        yield


def segments(encoded: wp.Encoded, weights: list[float]) -> list[tuple[str, float | None]]:
    """The read text as (piece, weight) for each non-special token, with the gaps between them unweighted."""
    out: list[tuple[str, float | None]] = []
    cursor = 0
    for (start, end), special, weight in zip(encoded.offsets, encoded.special, weights):
        if special or end <= start:
            continue
        if start > cursor:
            out.append((encoded.text[cursor:start], None))
        out.append((encoded.text[start:end], round(float(weight), 4)))
        cursor = end
    return out
