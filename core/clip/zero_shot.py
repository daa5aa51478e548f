"""CLIP zero-shot classification with a text-embedding cache per (model, template, class name).

A class's text weight is the normalised mean of the embeddings of its prompts (one per template): CLIP's
"prompt ensembling". Each prompt embedding is cached under (model key, template, class name), so editing one class
name re-encodes only that class's prompts and repeating a query encodes no text at all; only the image passes
through an encoder.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from core.clip.probe import softmax
from core.runtime.lru import LRUCache
from core.runtime.messages import Bilingual, UserError, number_text

MAX_CLASSES = 1000
# Prompts encoded in one request: 80 templates x 100 classes. A full-size ViT-B/32 text tower encodes ~110 prompts/s
# on a 2-core CPU, so the worst request holds a model slot for about a minute (then it is cached).
MAX_PROMPTS = 8_000
MAX_NAME_CHARS = 100
MAX_TEMPLATES = 100
# A template longer than this is refused: CLIP reads 77 tokens anyway, and a 100 kB template x 100 classes kept a
# model slot busy for minutes just tokenizing. The 80 ImageNet templates are all under 60 characters.
MAX_TEMPLATE_CHARS = 200
MAX_TEXT_CHARS = 500_000  # the whole class or template box: far above 1,000 names of 100 characters
MAX_NAMED = 5  # names a note lists (cut, duplicate, skipped); the rest are counted


class ClipInputError(UserError, ValueError):
    """Class names, templates or support images that cannot be used; the message says what to do."""

    title = Bilingual("Cannot use this input", "Đầu vào không dùng được")


def parse_class_names(text: str | Sequence[str] | None) -> tuple[list[str], list[str]]:
    """Comma- or newline-separated names -> (unique names in order, notes about what was changed)."""
    _check_size(text, "class names", "tên lớp")
    parts = re.split(r"[,\n;]", text) if isinstance(text, str) else list(text or [])
    names, notes, seen, dupes, cut = [], [], set(), [], []
    for raw in parts:
        name = " ".join(str(raw).split())  # trims and collapses inner whitespace
        if not name:
            continue
        if len(name) > MAX_NAME_CHARS:
            cut.append(name[:30])
            name = name[:MAX_NAME_CHARS]
        if name.casefold() in seen:
            dupes.append(name)
            continue
        seen.add(name.casefold())
        names.append(name)
    if not names:
        raise ClipInputError(
            Bilingual(
                "No class names: type at least two, separated by commas or new lines (e.g. cat, dog).",
                "Chưa có tên lớp: hãy gõ ít nhất hai lớp, cách nhau bởi dấu phẩy hoặc xuống dòng (vd. mèo, chó).",
            )
        )
    if len(names) > MAX_CLASSES:
        raise ClipInputError(
            Bilingual(
                f"{len(names)} classes is too many; the limit is {MAX_CLASSES}.",
                f"{len(names)} lớp là quá nhiều; tối đa {MAX_CLASSES} lớp.",
            )
        )
    # One note per kind, naming a few: a pasted megabyte must not come back as thousands of notes.
    if cut:
        listed = _first_few([f"'{c}…'" for c in dict.fromkeys(cut)])
        notes.append(
            Bilingual(
                f"Class names cut to {MAX_NAME_CHARS} characters: {listed}.",
                f"Tên lớp đã được cắt còn {MAX_NAME_CHARS} ký tự: {listed}.",
            )
        )
    if dupes:
        listed = _first_few(sorted(set(dupes)))
        notes.append(Bilingual(f"Duplicate class names removed: {listed}.", f"Đã bỏ tên lớp trùng: {listed}."))
    if len(names) == 1:
        notes.append(
            Bilingual(
                f"Only one class ('{names[0]}'): its probability is always 100 %. Add more classes to compare.",
                f"Chỉ có một lớp ('{names[0]}'): xác suất của nó luôn là 100 %. Thêm lớp khác để so sánh.",
            )
        )
    return names, notes


def parse_templates(text: str | Sequence[str] | None) -> tuple[list[str], list[str]]:
    """One template per line, each with "{}" where the class name goes -> (templates, notes)."""
    _check_size(text, "templates", "mẫu câu")
    lines = text.splitlines() if isinstance(text, str) else list(text or [])
    templates, notes, seen, skipped = [], [], set(), []
    for raw in lines:
        line = " ".join(str(raw).split())
        if not line or line in seen:
            continue
        seen.add(line)
        if "{}" not in line:
            skipped.append(line)
            continue
        if len(line) > MAX_TEMPLATE_CHARS:
            raise ClipInputError(
                Bilingual(
                    f"A template is {len(line):,} characters long; the limit is {MAX_TEMPLATE_CHARS} ('{line[:40]}…').",
                    f"Một mẫu câu dài {number_text(len(line)).vi} ký tự; tối đa {MAX_TEMPLATE_CHARS} ('{line[:40]}…').",
                )
            )
        templates.append(line)
    if skipped:
        # One note naming the first few: a pasted text of thousands of lines must not become thousands of notes.
        named = _first_few([f"'{line[:60]}'" for line in skipped])
        notes.append(
            Bilingual(
                f"Skipped {len(skipped)} template(s) with no {{}} for the class name: {named}.",
                f"Đã bỏ qua {len(skipped)} mẫu câu không có {{}} cho tên lớp: {named}.",
            )
        )
    if not templates:
        raise ClipInputError(
            Bilingual(
                "No usable prompt template: each line needs {} where the class name goes, e.g. 'a photo of a {}.'",
                "Không có mẫu câu dùng được: mỗi dòng cần {} ở chỗ tên lớp, vd. 'a photo of a {}.'",
            )
        )
    if len(templates) > MAX_TEMPLATES:
        raise ClipInputError(
            Bilingual(
                f"{len(templates)} templates is too many; the limit is {MAX_TEMPLATES}.",
                f"{len(templates)} mẫu câu là quá nhiều; tối đa {MAX_TEMPLATES}.",
            )
        )
    return templates, notes


def _check_size(text, what_en: str, what_vi: str) -> None:
    """The raw text box (or list) is bounded before it is split: the per-item caps come after."""
    if isinstance(text, str):
        size = len(text)
    elif isinstance(text, (list, tuple)):
        size = sum(len(str(t)) + 1 for t in text[: MAX_TEXT_CHARS + 1])
    elif text is None:
        return
    else:
        raise ClipInputError(Bilingual(f"The {what_en} must be text.", f"Ô {what_vi} phải là văn bản."))
    if size > MAX_TEXT_CHARS:
        raise ClipInputError(
            Bilingual(
                f"The {what_en} are {size:,} characters long; the limit is {MAX_TEXT_CHARS:,}.",
                f"Ô {what_vi} dài {number_text(size).vi} ký tự; tối đa {number_text(MAX_TEXT_CHARS).vi}.",
            )
        )


def _first_few(items: list[str]) -> str:
    """The first MAX_NAMED items joined, then how many more (the same count reads in English and Vietnamese)."""
    more = len(items) - MAX_NAMED
    return ", ".join(items[:MAX_NAMED]) + (f" (+{more:,})" if more > 0 else "")


def fill(template: str, name: str) -> str:
    # str.replace, not str.format: a template may contain other braces, and a class name may contain "{}".
    return template.replace("{}", name)


class TextEmbeddingCache:
    """The one cache of CLIP text embeddings (the playground's prompts, video search's queries), keyed by
    (model key, text) in a core.runtime.lru.LRUCache; least recently used entries leave first.

    The model key is "<entry name>/<profile>" (core.clip.service.clip_model): tiny and random models are built
    with a fixed seed, so one key always means the same weights."""

    def __init__(self, capacity: int = 100_000):
        self._items = LRUCache(capacity)

    def embed(self, model, model_key: str, texts: Sequence[str]) -> np.ndarray:
        """(N, D) unit text embeddings; only texts never seen for this model go through the encoder."""
        return self.embed_counted(model, model_key, texts)[0]

    def embed_counted(self, model, model_key: str, texts: Sequence[str]) -> tuple[np.ndarray, int]:
        """embed's (N, D) embeddings and how many texts this call sent through the encoder. Counted per call, not
        as the difference of a shared counter: the playground and video search share the cache, so another
        request encoding at the same time would be counted as this one's."""
        found = [self._items.get((model_key, t)) for t in texts]
        missing = list(dict.fromkeys(t for t, v in zip(texts, found) if v is None))
        if missing:
            # One batched call (ClipModel.encode_texts splits it into chunks of 256 prompts).
            encoded = dict(zip(missing, model.encode_texts(missing)))
            for text, vector in encoded.items():
                self._items.put((model_key, text), vector)
            found = [encoded[t] if v is None else v for t, v in zip(texts, found)]
        return np.stack(found), len(missing)

    def prompt_embeddings(
        self, model, model_key: str, names: Sequence[str], templates: Sequence[str]
    ) -> tuple[np.ndarray, int]:
        """(C, T, D) unit prompt embeddings, every template filled with every class name, and how many of the
        prompts this call encoded."""
        vectors, encoded = self.embed_counted(model, model_key, [fill(t, n) for n in names for t in templates])
        return vectors.reshape(len(names), len(templates), -1), encoded

    def clear(self) -> None:
        self._items.clear()


TEXT_CACHE = TextEmbeddingCache()


def class_weights(prompt_embeddings: np.ndarray) -> np.ndarray:
    """(C, T, D) prompt embeddings -> (C, D) unit class weights (mean over templates, then renormalised)."""
    mean = prompt_embeddings.mean(axis=1)
    return (mean / np.maximum(np.linalg.norm(mean, axis=1, keepdims=True), 1e-12)).astype(np.float32)


@dataclass
class ZeroShotResult:
    names: list[str]
    templates: list[str]
    probabilities: np.ndarray  # (C,) softmax(logit_scale * cosine)
    cosine: np.ndarray  # (C,) image vs the class weight (the averaged prompts)
    prompt_cosine: np.ndarray  # (C, T) image vs each single prompt, before any averaging or softmax
    weights: np.ndarray  # (C, D) unit class text weights (the k-shot zero-shot-initialised probe starts here)
    logit_scale: float
    prompts_encoded: int  # how many prompts this call had to encode (0 when all were cached)
    text_ms: float
    notes: list[str] = field(default_factory=list)

    def ranked(self) -> list[tuple[str, float]]:
        order = np.argsort(-self.probabilities)
        return [(self.names[i], float(self.probabilities[i])) for i in order]


def text_weights(model, model_key: str, names: Sequence[str], templates: Sequence[str], cache=None):
    """(C, D) class weights and (C, T, D) prompt embeddings, through the cache; raises on too many prompts."""
    weights, prompts, _ = _text_weights_counted(model, model_key, names, templates, cache)
    return weights, prompts


def _text_weights_counted(model, model_key: str, names: Sequence[str], templates: Sequence[str], cache=None):
    """text_weights and how many prompts this call encoded."""
    if len(names) * len(templates) > MAX_PROMPTS:
        n = len(names) * len(templates)
        raise ClipInputError(
            Bilingual(
                f"{len(names)} classes x {len(templates)} templates = {n} prompts; the limit is {MAX_PROMPTS}. "
                "Use fewer templates (e.g. the 18 CIFAR ones) or fewer classes.",
                f"{len(names)} lớp x {len(templates)} mẫu = {n} câu; tối đa {MAX_PROMPTS}. "
                "Hãy dùng ít mẫu hơn (vd. 18 mẫu CIFAR) hoặc ít lớp hơn.",
            )
        )
    prompts, encoded = (cache or TEXT_CACHE).prompt_embeddings(model, model_key, names, templates)
    return class_weights(prompts), prompts, encoded


def zero_shot(
    model,
    model_key: str,
    image_embedding: np.ndarray,
    names: Sequence[str],
    templates: Sequence[str],
    *,
    cache: TextEmbeddingCache | None = None,
) -> ZeroShotResult:
    """Classify one (D,) unit image embedding among `names`, prompting with `templates`."""
    start = time.perf_counter()
    weights, prompts, encoded = _text_weights_counted(model, model_key, names, templates, cache)
    text_ms = (time.perf_counter() - start) * 1000
    image = np.asarray(image_embedding, dtype=np.float32).reshape(-1)
    cosine = weights @ image  # (C,)
    scale = model.logit_scale
    return ZeroShotResult(
        names=list(names),
        templates=list(templates),
        probabilities=softmax(scale * cosine),
        cosine=cosine,
        prompt_cosine=prompts @ image,  # (C, T)
        weights=weights,
        logit_scale=scale,
        prompts_encoded=encoded,
        text_ms=text_ms,
    )
