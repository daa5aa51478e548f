"""Answering questions about one photo, turn after turn: checkpoints loaded once, image features cached.

The chat encodes a photo once (the CNN is most of the cost) and reuses its cell features for every later
question about it; the cache is keyed by the file's content hash, so a repeated upload skips decoding too.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field, replace

import numpy as np
import torch
from PIL import Image

from core.catalog import ModelSpec, vqa_spec
from core.catalog.checkpoint import WEIGHTS_FILE, load_checkpoint
from core.catalog.preprocess import Preprocess
from core.catalog.weights import WeightsUnavailable, describe_checkpoint
from core.runtime.coalesce import COMPUTED, Coalescer, coalesced, model_token
from core.runtime.device import inference_device, module_device
from core.runtime.images import load_image
from core.runtime.lru import LRUCache
from core.runtime.messages import Bilingual
from core.runtime.uploads import digest
from core.training.ood import Verdict
from core.vqa.answers import EASY_VQA_VI, UNSURE_BELOW
from core.vqa.model import VQAModel, pad_batch
from core.vqa.ood import image_feature, load_calibration, verdict
from core.vqa.text import Vocabulary


@dataclass
class LoadedVQA:
    variant: str
    dataset: str
    model: VQAModel
    vocab: Vocabulary
    answers: list[str]
    preprocess: Preprocess
    source: str
    ood: dict | None = None  # the checkpoint's ood.json (core/vqa/ood.py); None: no calibration, no verdict

    @property
    def key(self) -> str:
        return f"{self.dataset}/{self.variant}/{id(self.model)}"


@dataclass
class VQAAnswer:
    answer: str
    confidence: float
    alternatives: list[tuple[str, float]]
    unsure: bool
    unknown_fraction: float
    attention: np.ndarray | None  # (h, w) over image cells, sums to 1
    view: Image.Image  # the model's input, for drawing the attention on
    cached_features: bool
    notes: list[str] = field(default_factory=list)
    out_of_domain: Verdict | None = None  # is the photo unlike the training images (None: not calibrated)
    # True: the whole answer was computed once for an identical request (same photo, question and model) just before
    # or at the same time (core.runtime.coalesce).
    cached: bool = False


def load_vqa(variant: str, dataset: str, profile: str = "default") -> LoadedVQA:
    """The VQA entry (dataset, variant) for `profile`, loaded once by core.catalog.store (KeyError if unknown)."""
    from core.catalog.store import load_model

    return load_model(vqa_spec(dataset, variant).name, profile)


def load_entry(spec: ModelSpec, profile: str) -> LoadedVQA:
    """core.catalog.store's builder for task "vqa": the checkpoint, or a random instance in the tiny/random profile."""
    loaded = _random_init(spec, profile) if profile != "default" else _from_checkpoint(spec)
    loaded.model.to(inference_device())  # once, at load; a no-op on a CPU-only machine
    return loaded


def _from_checkpoint(spec: ModelSpec) -> LoadedVQA:
    variant, dataset = spec.variant, spec.dataset
    source = spec.weights[0]
    path = source.path()
    if not source.is_cached():
        raise WeightsUnavailable(f"{variant} ({dataset})", [f"missing file {path / WEIGHTS_FILE}"], [source.fix()])
    model, config = load_checkpoint(path)
    vocab = Vocabulary(config["vocab"], segment_words=config.get("segment_words", False))
    return LoadedVQA(
        variant,
        dataset,
        model,
        vocab,
        config["labels"],
        Preprocess.from_dict(config["preprocess"]),
        describe_checkpoint(path),
        load_calibration(path),
    )


def _random_init(spec: ModelSpec, profile: str) -> LoadedVQA:
    """A random VQAModel of the entry's class: its tiny_args in the tiny profile, full size in the random one."""
    from core.catalog.store import architecture_args

    args = architecture_args(spec, profile)
    encoder = args["encoder"]
    vocab = Vocabulary.build(
        [
            "what color is the shape",
            "what shape is in the image",
            "is there a circle",
            "món này là món gì",
            "màu chủ đạo của món này là gì",
        ]
    )
    answers = list(EASY_VQA_VI)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = VQAModel(vocab_size=len(vocab), num_answers=len(answers), **args).eval()
    size = 128 if encoder == "mobilenet_v2" else 64
    return LoadedVQA(
        spec.variant,
        spec.dataset,
        model,
        vocab,
        answers,
        Preprocess(crop_size=size, resize_size=size),
        f"{'tiny' if profile == 'tiny' else 'full-size'} random-initialised VQAModel (the app's {profile} profile): "
        "answers are meaningless",
    )


FEATURES = LRUCache(64)  # (model, image content hash) -> (cell features, model view)


def image_key(source) -> str:
    """Content hash of an uploaded file, of encoded image bytes, or of a PIL image's pixels.

    A file is hashed in chunks after core.runtime.uploads' checks (a regular file under the size limit): a FIFO, a
    device or a huge file raises ImageInputError before anything is read into memory."""
    if isinstance(source, Image.Image):
        return hashlib.sha1(source.tobytes()).hexdigest()
    if isinstance(source, bytes):
        return hashlib.sha1(source).hexdigest()
    return digest(source)


def image_features(vqa: LoadedVQA, source, *, use_cache: bool = True) -> tuple[torch.Tensor, Image.Image, bool]:
    """(1, N, hidden) cell features and the model's view; computed once per (model, image)."""
    key = (vqa.key, image_key(source))
    hit = FEATURES.get(key) if use_cache else None
    if hit is not None:
        return hit[0], hit[1], True
    image = source if isinstance(source, Image.Image) else load_image(source).image
    crop = vqa.preprocess.crop(image)  # (3, S, S) uint8
    with torch.inference_mode():
        cells = vqa.model.encode_image(vqa.preprocess.normalise(crop)[None].to(module_device(vqa.model)))
    view = Image.fromarray(crop.permute(1, 2, 0).numpy())
    FEATURES.put(key, (cells, view))
    return cells, view, False


# The last answers, keyed by the model, the photo's content and the question (all language-free: Bilingual notes).
ANSWERS = Coalescer(32, "vqa")


def answer_question(vqa: LoadedVQA, source, question: str, *, use_cache: bool = True) -> VQAAnswer:
    """The answer to `question` about the photo; identical requests share one computation unless `use_cache` is
    off (core.runtime.coalesce)."""
    if not use_cache or not isinstance(question, str):
        return _answer(vqa, source, question, use_cache=use_cache)
    key = (model_token(vqa.model), vqa.key, image_key(source), question)
    answer, how = coalesced(ANSWERS, key, lambda: _answer(vqa, source, question, use_cache=True))
    if how == COMPUTED:
        return replace(answer, notes=list(answer.notes))
    return replace(answer, notes=list(answer.notes), cached_features=True, cached=True)


def _answer(vqa: LoadedVQA, source, question: str, *, use_cache: bool) -> VQAAnswer:
    cells, view, cached = image_features(vqa, source, use_cache=use_cache)
    ids, unknown = vqa.vocab.encode(question)
    tokens, lengths = pad_batch([ids])
    with torch.inference_mode():
        logits, attn = vqa.model.answer(cells, tokens.to(cells.device), lengths)
    probs = torch.softmax(logits[0].float().cpu(), 0)
    top = torch.topk(probs, min(3, probs.numel()))
    ranked = [(vqa.answers[i], float(p)) for p, i in zip(top.values.tolist(), top.indices.tolist())]
    grid = None
    if attn is not None:
        side = math.isqrt(attn.shape[1])
        grid = attn[0].reshape(side, side).float().cpu().numpy()
    notes = []
    unlike = photo_verdict(vqa, cells, view)
    if unlike is not None and unlike.unlike_training_data:
        notes.append(UNLIKE_TRAINING.get(vqa.dataset, UNLIKE_TRAINING["other"]))
    if unknown >= 0.5:
        notes.append(
            Bilingual(
                "most of the question's words are unknown to this model",
                "phần lớn các từ trong câu hỏi là từ mô hình này chưa biết",
            )
        )
    return VQAAnswer(
        answer=ranked[0][0],
        confidence=ranked[0][1],
        alternatives=ranked[1:],
        unsure=ranked[0][1] < UNSURE_BELOW or unknown >= 0.5 or bool(unlike and unlike.unlike_training_data),
        unknown_fraction=unknown,
        attention=grid,
        view=view,
        cached_features=cached,
        notes=notes,
        out_of_domain=unlike,
    )


# What the chat says when the photo is unlike the training images: the lesson, not only the flag.
UNLIKE_TRAINING = {
    "easy_vqa": Bilingual(
        "this photo is unlike every image this model was trained on: it only knows one simple shape in one colour "
        "on a white background, yet it must still pick one of its answers, and its confidence is not correctness",
        "ảnh này không giống ảnh nào mô hình đã học: nó chỉ biết một hình khối đơn giản, một màu, trên nền trắng, "
        "nhưng vẫn buộc phải chọn một câu trả lời, và độ tin cậy không có nghĩa là trả lời đúng",
    ),
    "other": Bilingual(
        "this photo is unlike the images this model was trained on: it must still pick one of its answers, and its "
        "confidence is not correctness",
        "ảnh này không giống các ảnh mô hình đã học: nó vẫn buộc phải chọn một câu trả lời, và độ tin cậy không có "
        "nghĩa là trả lời đúng",
    ),
}


def photo_verdict(vqa: LoadedVQA, cells: torch.Tensor, view: Image.Image) -> Verdict | None:
    """The photo's out-of-domain verdict from what the chat already computed (cells, the model's view)."""
    if vqa.ood is None:
        return None
    crop = torch.from_numpy(np.asarray(view).copy()).permute(2, 0, 1)[None]  # (1, 3, S, S) uint8
    return verdict(vqa.ood, image_feature(vqa.ood.get("feature", "cells"), crop, cells)[0])
