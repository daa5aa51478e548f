"""What the CLIP playground tab and its HTTP API call: plain Python in, plain data out (no Gradio).

The model comes from core.catalog.store (one ClipModel per registry name and profile, loaded once); the query
image's embedding, the prompt embeddings and the built-in support features are all cached, so a repeated query or a
slider move runs no encoder at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from core.catalog import DEFAULT_CLIP, list_models
from core.catalog.store import load_model
from core.clip.kshot import KShotResult, k_shot
from core.clip.support import BUILTIN_SETS, MAX_SHOTS, builtin_support, content_key, embed_image, user_support
from core.clip.zero_shot import (
    ClipInputError,
    ZeroShotResult,
    _first_few,
    parse_class_names,
    parse_templates,
    zero_shot,
)
from core.runtime.coalesce import COMPUTED, Coalescer, coalesced, model_token
from core.runtime.inputs import echo
from core.runtime.messages import Bilingual, UnknownChoice

USER_SUPPORT = "user"

# The last zero-shot answers, keyed by the model, the image file's content and the parsed classes and templates
# (language-free: the tab formats them). Identical requests share one computation (core.runtime.coalesce).
ZERO_SHOT = Coalescer(32, "clip")
# k-shot answers on a built-in support set, keyed the same way plus the set and k: a class moving the slider
# together asks the same few questions. Not on the user's own support images: an answer lists their file paths
# (the nearest support images), which must not reach another visitor.
K_SHOT = Coalescer(32, "clip k-shot")


@dataclass
class ClipQuery:
    model_name: str
    model_display: str
    model_key: str
    image_cached: bool


def clip_model(name: str | None, profile: str):
    """(ClipModel, cache key, display name); KeyError for a name that is not a CLIP registry entry."""
    name = name or DEFAULT_CLIP
    # The registry's own KeyError would list every model, image and text too. Not `in` on a raw API value: a list
    # or dict sent as the name must get this message, and a huge one comes back as a short prefix
    # (core.runtime.inputs.echo).
    if not isinstance(name, str) or name not in list_models("clip"):
        choices = ", ".join(list_models("clip"))
        raise UnknownChoice(
            f"{echo(name)} is not a CLIP model; choose {choices}.",
            f"{echo(name)} không phải mô hình CLIP; hãy chọn {choices}.",
        )
    loaded = load_model(name, profile)
    return loaded.module, f"{name}/{profile}", loaded.display_name


def classify_zero_shot(
    image_source, class_text, template_text, model_name: str | None, profile: str
) -> tuple[ZeroShotResult, ClipQuery]:
    """Parse the user's classes and templates, embed the image (cached), and classify it."""
    names, notes = parse_class_names(class_text)
    templates, template_notes = parse_templates(template_text)
    model, key, display = clip_model(model_name, profile)

    def compute():
        vector, cached = embed_image(model, key, image_source)
        return zero_shot(model, key, vector, names, templates), cached

    content = content_key(image_source)  # None for in-memory images: not coalesced (as embed_image's cache)
    if content is None:
        (result, cached), how = compute(), COMPUTED
    else:
        (result, cached), how = coalesced(
            ZERO_SHOT, (model_token(model), key, content, tuple(names), tuple(templates)), compute
        )
    result = replace(result, notes=notes + template_notes)  # never the stored answer's own list
    if how != COMPUTED:  # this call encoded no prompt: the count is this call's (its timings stay the original's)
        result = replace(result, prompts_encoded=0)
    # A shared answer ran no image encoder for this request: the tab's "cached" mark says so.
    return result, ClipQuery(model_name or DEFAULT_CLIP, display, key, cached or how != COMPUTED)


def classify_k_shot(
    image_source,
    k: int,
    support: str,
    class_text,
    template_text,
    model_name: str | None,
    profile: str,
    user_files: Sequence[Sequence] = (),
) -> tuple[KShotResult, ClipQuery]:
    """k-shot on a built-in support set or on the user's images (user_files[i] belongs to the i-th class)."""
    k = _shots(k)
    if not isinstance(support, str) or support not in (*BUILTIN_SETS, USER_SUPPORT):
        # Checked before any use: a list sent through the API made `support in BUILTIN_SETS` raise TypeError
        # ("unhashable type"), and the message echoes a short prefix of what was sent, never a 600 kB value.
        choices = ", ".join([*BUILTIN_SETS, USER_SUPPORT])
        raise UnknownChoice(
            f"unknown support set {echo(support)}; choose {choices}.",
            f"không có bộ ảnh mẫu {echo(support)}; hãy chọn {choices}.",
        )
    templates, template_notes = parse_templates(template_text)
    model, key, display = clip_model(model_name, profile)
    notes: list[str] = []
    if support == USER_SUPPORT:
        names, notes = parse_class_names(class_text)
        if len(user_files) < len(names):
            left = _first_few(names[len(user_files) :])  # a few names, then a count: never a pasted list
            notes.append(
                Bilingual(
                    f"Only the first {len(user_files)} classes can have support images here; {left} were left out.",
                    f"Chỉ {len(user_files)} lớp đầu có ô ảnh mẫu; đã bỏ {left}.",
                )
            )
            names = names[: len(user_files)]
        support_set = user_support(model, key, names, user_files)
    else:
        support_set = builtin_support(model, key, support)

    def compute():
        vector, cached = embed_image(model, key, image_source)
        return k_shot(model, key, vector, support_set, k, templates), cached

    content = content_key(image_source) if support != USER_SUPPORT else None
    if content is None:
        (result, cached), how = compute(), COMPUTED
    else:
        query = (model_token(model), key, content, support, k, tuple(templates))
        (result, cached), how = coalesced(K_SHOT, query, compute)
    result = replace(result, notes=notes + template_notes + result.notes)  # never the stored answer's own list
    if how != COMPUTED:  # as in classify_zero_shot: this call encoded no prompt, and ran no encoder
        result = replace(result, zero_shot=replace(result.zero_shot, prompts_encoded=0))
    return result, ClipQuery(model_name or DEFAULT_CLIP, display, key, cached or how != COMPUTED)


def _shots(k) -> int:
    """k as the API sent it (the event skips Gradio's preprocessing): a whole number or a clear ClipInputError."""
    try:
        value = float(k)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an int with hundreds of digits
        value = float("nan")
    if not value.is_integer() or not 0 <= value <= MAX_SHOTS:  # None, "abc", 2.5, nan, inf, 1e300
        raise ClipInputError(
            Bilingual(
                f"k must be a whole number from 0 to {MAX_SHOTS}, got {echo(k)}.",
                f"k phải là số nguyên từ 0 đến {MAX_SHOTS}, nhận được {echo(k)}.",
            )
        )
    return int(value)


def as_dict(probabilities: np.ndarray, names: Sequence[str]) -> dict[str, float]:
    return {n: float(p) for n, p in zip(names, probabilities)}
