"""The public HTTP API, and the same functions as MCP tools: one plain function per capability.

Each function is registered with `gr.api` (register_api), so its endpoint name is the function's name, its
parameters and their JSON types come from the type hints, and its description (the API page, the MCP tool list)
from the docstring's first lines and its Args section. The tabs' own events are private (api_visibility): they
return component updates, which mean nothing to a program.

Conventions every endpoint keeps:
- the same name for the same thing: `image`, `text`, `model` (or `model_a`/`model_b` for a comparison), `top_k`,
  `language` ("vi" or "en"; left out: the language of the request, as the page chooses it, else English);
- whole numbers are `int`, so a client sends 5 and not 5.0;
- the result is one JSON object: the result's own fields, then `notes` (a list of sentences in `language`) and
  `ms` (the time the server spent on the call);
- a value the app cannot use is refused with the message a visitor of the tab would read, in `language`, with any
  long value the caller sent cut short (core.runtime.inputs.shorten_echoes);
- through MCP (demo/server/gradio_hooks.py) files are data URLs, model parameters enumerate the names that can run on
this
  server (`mcp_choices`), and results are JSON text.

The functions call the same helpers and core functions as the tabs (demo/*_tab.py): the numbers are the UI's.
"""

from __future__ import annotations

import functools
import inspect
import time
from typing import Literal

import gradio as gr
from gradio.data_classes import FileData

from core.catalog import DEFAULT_CLIP
from core.catalog.availability import vqa_choice
from core.clip.templates import DEFAULT_TEMPLATE
from core.runtime.inputs import choice, number, shorten_echoes
from core.video.service import CLIP_MODELS, deadline_progress
from demo.server import gradio_hooks
from demo.server.fair_queue import MODELS_GROUP, QUICK_GROUP, VIDEO_GROUP, image_group
from demo.server.gpu import gpu_task
from demo.server.limits import video_request_limit_s
from demo.tabs import caption as caption_tab
from demo.tabs import clip as clip_tab
from demo.tabs import cnn as cnn_tab
from demo.tabs import cnn_layer_table
from demo.tabs import image as image_tab
from demo.tabs import status as status_tab
from demo.tabs import text as text_tab
from demo.tabs import video as video_tab
from demo.tabs import vqa as vqa_tab
from demo.ui.components import read_user_image
from demo.ui.errors import localized, shows_user_errors
from demo.ui.i18n import LANGUAGES, LanguageRequest, lang_of

Language = Literal["vi", "en"] | None
MAX_TOP_K = 20
_profile = {"name": "default"}  # set by register_api: the profile the app was built with


def classify_image(
    image: FileData,
    model_a: str = "",
    model_b: str = "",
    top_k: int = image_tab.TOP_K,
    precision: Literal["fp32", "int8", "compare"] = "fp32",
    explain: bool = False,
    language: Language = None,
    request: gr.Request = None,
) -> dict:
    """Classify one photo with two image classifiers side by side (e.g. a CNN and a Vision Transformer).

    Args:
        image: the photo (JPEG, PNG, WebP...).
        model_a: first model's name: through MCP one of this parameter's enum (the models that can run on this
            server now, live-trained "live_..." entries included); /model_status lists every model and what a
            missing one needs. Empty: the pair the page opens on (ResNet-50 vs ViT-B/16 where their weights are,
            else the committed SimpleCNN vs CNN+Transformer).
        model_b: second model's name; empty: as model_a.
        top_k: how many classes to return per model (1-20).
        precision: "fp32"; "int8" (Linear layers in 8-bit integers, for models made mostly of them: ViT, MLP);
            "compare": int8, plus per model fp32 vs int8 latency, size and top-1 under "precision".
        explain: also compute the explanation map (Grad-CAM: one extra backward pass), returned per model as
            "explanation": {"method", "png_base64"} (the tab's overlay; none with int8 weights).
        language: "vi" or "en" for the notes and errors; default: the request's language.
    Returns:
        {"A": {...}, "B": {...}, "notes", "ms"}: per model its top_k labels with probabilities (and "label_vi"
        where the app has a Vietnamese name), forward time, size, and "out_of_domain": {"method", "score",
        "threshold", "unlike_training_data"} for weights with a calibration (docs/OOD.md), else null.
    """
    start, req = time.perf_counter(), _request(language, request)
    # The tab's own checks and loop (demo.tabs.image): empty names give the pair the page opens on.
    model_a, model_b, precision = image_tab.checked_inputs(model_a, model_b, precision, _profile["name"])
    k = _top_k(top_k)
    loaded = read_user_image(image)
    sides = image_tab.classify_pair(loaded.image, (model_a, model_b), _profile["name"], explain=bool(explain),
                                    precision=precision, top_k=k, request=req)  # fmt: skip
    result = {}
    for one in sides:  # one.raw carries "precision" in compare mode (the tab's table row fills it)
        result[one.side] = one.raw
        if one.result is not None and one.result.explanation is not None:
            png = _png_base64(one.result.explanation)
            result[one.side]["explanation"] = {"method": one.result.explanation_method, "png_base64": png}
        if one.result is not None:
            result[one.side]["notes"] = [localized(req, n) for n in one.result.notes]
    return _done(result, [localized(req, n) for n in loaded.notes], start)


def classify_text(
    text: str,
    model_a: str = "",
    model_b: str = "",
    top_k: int = text_tab.TOP_K,
    explain: bool = True,
    language: Language = None,
    request: gr.Request = None,
) -> dict:
    """Classify one text with two text classifiers side by side (a GRU and a Transformer).

    Args:
        text: the text to classify (English; long texts are cut at the model's token limit, said in the result).
        model_a: first model's name (through MCP, one of this parameter's enum: the text models that can run on
            this server now); empty: the tab's default pair.
        model_b: second model's name, as model_a; empty: the tab's default pair.
        top_k: how many classes to return per model (1-20).
        explain: also compute which tokens drove the prediction (the tab's highlights; counted in the result).
        language: "vi" or "en" for the notes and errors; default: the request's language.
    Returns:
        {"A": {...}, "B": {...}, "notes", "ms"}: per model its top_k labels, tokens read and whether it was cut.
    """
    start, req = time.perf_counter(), _request(language, request)
    k = _top_k(top_k)
    # The tab's own checks and loop (demo.tabs.text): an empty text is refused, empty names give the page's pair.
    sides = text_tab.classify_pair(text, model_a, model_b, _profile["name"], explain=bool(explain), top_k=k,
                                   request=req)  # fmt: skip
    return _done({one.side: one.raw for one in sides}, [], start)


def clip_zero_shot(
    image: FileData,
    classes: str,
    templates: str = DEFAULT_TEMPLATE,
    model: str = DEFAULT_CLIP,
    language: Language = None,
    request: gr.Request = None,
) -> dict:
    """CLIP zero-shot: which of the given class names fits the photo best, without any training.

    Args:
        image: the photo.
        classes: the class names, separated by commas or new lines, e.g. "dog, cat, rocket".
        templates: prompt templates, one per line, each with {} where the class name goes.
        model: the CLIP model (through MCP, one of this parameter's enum: the CLIP models that can run here now).
        language: "vi" or "en" for the notes and errors; default: the request's language.
    Returns:
        {"probabilities": {class: p}, "cosine", "prompt_cosine", "logit_scale", "model", "notes", "ms"}.
    """
    start, req = time.perf_counter(), _request(language, request)
    result, query = clip_tab.run_zero_shot(image, classes, templates, model, _profile["name"], req)
    summary = clip_tab.zero_shot_summary(result, query)
    return _done(summary, [localized(req, n) for n in summary.pop("notes")], start)


def clip_k_shot(
    image: FileData,
    k: int = 5,
    support: str = "easy_vqa_shapes",
    classes: str = "",
    templates: str = DEFAULT_TEMPLATE,
    model: str = DEFAULT_CLIP,
    support_images: list[list[FileData]] | None = None,
    language: Language = None,
    request: gr.Request = None,
) -> dict:
    """CLIP k-shot: zero-shot beside two logistic-regression probes fitted on k example images per class.

    Args:
        image: the photo to classify.
        k: example images per class (0-20; 0 gives zero-shot only).
        support: the built-in example set, "easy_vqa_shapes" or "easy_vqa_colors", or "user" for support_images.
        classes: with support "user": the class names, one per list in support_images.
        templates: prompt templates for the zero-shot part, one per line, each with {}.
        model: the CLIP model, as for clip_zero_shot.
        support_images: with support "user": up to ten lists of images, one list per class.
        language: "vi" or "en" for the notes and errors; default: the request's language.
    Returns:
        {"zero_shot": {class: p}, "probes": {kind: {"probabilities", "fit_ms"}}, "shots", "nearest", "notes", "ms"}.
    """
    start, req = time.perf_counter(), _request(language, request)
    result, query = clip_tab.run_k_shot(image, k, support, classes, templates, model, support_images,
                                        _profile["name"], req)  # fmt: skip
    summary = clip_tab.k_shot_summary(result, query)
    return _done(summary, [localized(req, n) for n in summary.pop("notes")], start)


def caption(
    image: FileData,
    method: Literal["greedy", "beam", "sample"] = "beam",
    beam_width: int = 3,
    top_p: float = 0.9,
    temperature: float = 1.0,
    num_captions: int = 1,
    repetition_penalty: float = 1.2,
    max_length: int = 30,
    reference: str = "",
    language: Language = None,
    request: gr.Request = None,
) -> dict:
    """Vietnamese captions of a photo from each captioner (two ClipCap mappers and a CNN+LSTM baseline).

    Args:
        image: the photo.
        method: "greedy", "beam" (beam search) or "sample" (top-p sampling).
        beam_width: beams kept by beam search (1-10).
        top_p: nucleus sampling's probability mass (sampling only).
        temperature: sampling temperature.
        num_captions: captions per model (1-5).
        repetition_penalty: penalty on repeated tokens (1 = none).
        max_length: most tokens per caption.
        reference: a reference caption in Vietnamese; when given, each model's BLEU, ROUGE-L and CIDEr against it.
        language: "vi" or "en" for the notes and errors; default: the request's language.
    Returns:
        {"models": {variant: {"captions", "latency_ms", "scores"?} or {"error"}}, "notes", "ms"}.
    """
    start, req = time.perf_counter(), _request(language, request)
    options = (method, beam_width, top_p, temperature, num_captions, repetition_penalty, max_length, reference)
    *_, summary = caption_tab.caption_photo(image, *options, req, profile=_profile["name"])  # the tab's handler
    return _done({"models": summary}, [], start)


def vqa_answer(
    image: FileData,
    question: str,
    model: str = "",
    dataset: str = "",
    language: Language = None,
    request: gr.Request = None,
) -> dict:
    """Answer a question about a photo (visual question answering).

    Args:
        image: the photo.
        question: the question, in English for easy_vqa, e.g. "what color is the shape?".
        model: the VQA variant ("cnn_att", "cnn_noatt", "mobilenet_att", "mobilenet_noatt"; through MCP the enum
            lists those that can run here now); empty: the variant the page opens on.
        dataset: the data set the variant was trained on, e.g. "easy_vqa"; empty: the page's.
        language: "vi" or "en" for the notes and errors; default: the request's language.
    Returns:
        {"answer", "confidence", "unsure", "alternatives", "features_cached", "notes", "ms"}.
    """
    start, req = time.perf_counter(), _request(language, request)
    model, dataset = _vqa_defaults(model, dataset)
    answer = vqa_tab.ask(image, question, model, dataset, _profile["name"], req)
    return _done(vqa_tab.answer_summary(answer), [localized(req, n) for n in answer.notes], start)


def vqa_chat(
    image: FileData,
    question: str,
    history: list[dict] | None = None,
    model: str = "",
    dataset: str = "",
    language: Language = None,
    request: gr.Request = None,
) -> dict:
    """One turn of a conversation about a photo: the answer, and the history with this question and reply added.

    Args:
        image: the photo.
        question: the question.
        history: the conversation so far, as returned by the previous call ([{"role", "content"}, ...]).
        model: the VQA variant ("cnn_att", "cnn_noatt", "mobilenet_att", "mobilenet_noatt"; through MCP the enum
            lists those that can run here now); empty: the variant the page opens on.
        dataset: the data set the variant was trained on, e.g. "easy_vqa"; empty: the page's.
        language: "vi" or "en" for the reply, notes and errors; default: the request's language.
    Returns:
        {"history", "answer", "confidence", "unsure", "alternatives", "features_cached", "notes", "ms"}.
    """
    start, req = time.perf_counter(), _request(language, request)
    model, dataset = _vqa_defaults(model, dataset)
    turns, answer = vqa_tab.chat_turn(image, question, history or [], model, dataset, _profile["name"], req)
    summary = {"history": turns, **vqa_tab.answer_summary(answer)}
    return _done(summary, [localized(req, n) for n in answer.notes], start)


def video_search(
    video: FileData,
    query: str,
    mode: Literal["combined", "clip", "ocr"] = "combined",
    model: str = CLIP_MODELS[0],
    top_k: int = 5,
    keyframes: Literal["uniform", "shots", "both"] = "both",
    interval_s: float = 2.0,
    window_s: float = 10.0,
    language: Language = None,
    request: gr.Request = None,
) -> dict:
    """Find the moments of a video that match a text: CLIP on keyframes, text on screen (OCR), or both. One search
    runs for at most VIDEO_MAX_REQUEST_S seconds (5 minutes by default); what was indexed by then is kept.

    Args:
        video: the video file (MP4, WebM...).
        query: what to look for, e.g. "a rabbit" or a word shown on screen.
        mode: "combined", "clip" (what is seen) or "ocr" (text on screen).
        model: the CLIP model for the "clip" part (the multilingual one understands Vietnamese queries).
        top_k: how many moments to return.
        keyframes: how keyframes are chosen: "uniform" (every interval_s), "shots" (at scene cuts) or "both".
        interval_s: seconds between keyframes taken at a fixed interval.
        window_s: seconds grouped into one moment.
        language: "vi" or "en" for the summary, notes and errors; default: the request's language.
    Returns:
        {"moments": [{"time_s", "score", ...}], "summary", "notes", "ms"}.
    """
    start, req = time.perf_counter(), _request(language, request)
    options = (video, query, mode, model or CLIP_MODELS[0], top_k, keyframes, interval_s, window_s)
    progress = deadline_progress(_no_progress, video_request_limit_s())  # the wall-clock cap (demo/server/limits.py)
    _, result = video_tab.run_search(*options, profile=_profile["name"], request=req, progress=progress)
    summary = {**result.as_dict(), "summary": video_tab.spoken_summary(result, query, lang_of(req))}
    summary.pop("notes")  # English only there; the same notes in `language` below
    return _done(summary, [vi if lang_of(req) == "vi" else en for vi, en in result.index.notes], start)


def conv_arithmetic(
    grid: str,
    kernel: str,
    padding: int = 0,
    stride: int = 1,
    pool: Literal["max", "avg"] = "max",
    language: Language = None,
    request: gr.Request = None,
) -> dict:
    """Convolve a small grid of numbers with a kernel, then pool 2x2, as on the course's slides.

    Args:
        grid: the input, rows on lines, numbers separated by spaces, e.g. "1 2 3\\n4 5 6\\n7 8 9".
        kernel: the kernel in the same form (square, at most 7x7).
        padding: zeros added around the grid (p).
        stride: the step of the kernel (s).
        pool: 2x2 pooling of the output, "max" or "avg".
        language: "vi" or "en" for the size line and errors; default: the request's language.
    Returns:
        {"size": the formula floor((n - f + 2p) / s) + 1, "output", "pooled", "steps", "step", "notes", "ms"}.
    """
    start, req = time.perf_counter(), _request(language, request)
    result = cnn_tab.conv_result(grid, kernel, padding, stride, pool)  # a UserError: the tab's message and title
    result["size"] = result["size"][lang_of(req)]
    return _done(result, [], start)


def layer_table(model: str = "lenet5_course", language: Language = None, request: gr.Request = None) -> dict:
    """Every layer of a model: output shape, activations and parameters, measured by running the module once.

    Args:
        model: "lenet5_course" (the course's LeNet-5 table beside the real network), "lenet5", "lenet5_1998",
            or a zoo model's name such as "simple_cnn" or "simple_vit".
        language: "vi" or "en" for the column names, summary and errors; default: the request's language.
    Returns:
        {"summary", "headers", "rows", "notes", "ms"}.
    """
    start, req = time.perf_counter(), _request(language, request)
    summary, table = cnn_layer_table.layer_table_event(model, req)
    return _done({"summary": summary, "headers": table["headers"], "rows": table["data"]}, [], start)


def model_status(language: Language = None, request: gr.Request = None) -> dict:
    """Every model the app knows: whether its weights are here, downloadable or missing, and the command that
    fixes a missing one.

    Args:
        language: "vi" or "en" for the summary, the states and errors; default: the request's language.
    Returns:
        {"summary", "models": [{"name", "display_name", "state", "weights_from", "fix"}], "notes", "ms"}.
    """
    start, req = time.perf_counter(), _request(language, request)
    summary, table = status_tab.model_rows(req)
    keys = ("name", "display_name", "state", "weights_from", "fix")
    return _done({"summary": summary, "models": [dict(zip(keys, row)) for row in table["data"]]}, [], start)


def _png_base64(image) -> str:
    import base64
    import io

    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _vqa_defaults(model: str, dataset: str) -> tuple[str, str]:
    """What the page opens on (core.catalog.availability.vqa_choice) for what the call leaves out."""
    first_dataset, first_variant = vqa_choice(_profile["name"]).models
    return model or first_variant, dataset or first_dataset


def _request(language, request) -> LanguageRequest:
    """The language to answer in, as a stand-in request the tabs' helpers read (demo.ui.i18n.LanguageRequest)."""
    if language in (None, ""):
        return LanguageRequest(lang_of(request))
    return LanguageRequest(choice(language, LANGUAGES, ("language", "language")))  # an InputError if not vi/en


def _error_language(arguments: dict) -> LanguageRequest:
    """The language an endpoint's error is shown in: the call's `language` when it is valid, else the request's
    (an unknown `language` is itself the error to report)."""
    language = arguments.get("language")
    return LanguageRequest(language if language in LANGUAGES else lang_of(arguments.get("request")))


def _top_k(value) -> int:
    return number(value, ("top_k", "top_k"), 1, MAX_TOP_K, integer=True)


def _done(result: dict, notes: list[str], start: float) -> dict:
    return {**result, "notes": notes, "ms": round(1000 * (time.perf_counter() - start), 1)}


def _no_progress(*_args, **_kwargs) -> None:
    """API calls report no progress bar."""


# Endpoint -> its concurrency group (demo.server.fair_queue): model calls share the models' slots, as in the tabs.
ENDPOINTS = (
    (classify_image, None),  # demo.server.fair_queue.image_group(), read at launch: its own group when micro-batching
    (classify_text, MODELS_GROUP),
    (clip_zero_shot, MODELS_GROUP),
    (clip_k_shot, MODELS_GROUP),
    (caption, MODELS_GROUP),
    (vqa_answer, MODELS_GROUP),
    (vqa_chat, MODELS_GROUP),
    (video_search, VIDEO_GROUP),
    (conv_arithmetic, QUICK_GROUP),
    (layer_table, QUICK_GROUP),
    (model_status, QUICK_GROUP),
)


def mcp_choices(endpoint: str) -> dict[str, list[str]]:
    """Per model parameter of `endpoint`, the values that can run on this server now ("" first where an empty
    value means the page's choice): the `enum` an assistant reads in the MCP tool list (demo/server/gradio_hooks.py). An
    empty list: no model for it can run here now."""
    from core.catalog import VQA_DATASETS, VQA_VARIANTS, list_models, models_for, vqa_model_name
    from core.catalog.availability import runs_here
    from core.training import live_models

    profile = _profile["name"]

    def running(names) -> list[str]:
        known = set(list_models())  # a live-trained model may be deleted meanwhile
        return [n for n in names if n in known and runs_here(n, profile)]

    if endpoint == "classify_image":
        live_models.sync()  # live-trained entries come and go
        names = [""] + running(list_models(image_tab.TASK))
        return {"model_a": names, "model_b": names}
    if endpoint == "classify_text":
        names = [""] + running(models_for("text"))
        return {"model_a": names, "model_b": names}
    if endpoint in ("clip_zero_shot", "clip_k_shot"):
        return {"model": running(list_models("clip"))}  # empty: none can run (the schema says so)
    if endpoint in ("vqa_answer", "vqa_chat"):
        pairs = [(d, v) for d in VQA_DATASETS for v in VQA_VARIANTS if running([vqa_model_name(d, v)])]
        return {"model": [""] + sorted({v for _, v in pairs}), "dataset": [""] + sorted({d for d, _ in pairs})}
    if endpoint == "video_search":
        return {"model": list(CLIP_MODELS)}  # checked in every mode; only "clip" and "combined" use it
    if endpoint == "layer_table":
        return {"model": list(cnn_layer_table.TABLE_MODELS)}  # built from the architecture: no weights needed
    return {}


def short_echoes(fn):
    """An endpoint whose error messages carry no long value the caller sent (core.runtime.inputs.shorten_echoes): a
    registry lookup quoting a 600 kB model name sent it all back. demo.ui.errors does the same for a UserError; this
    also covers a gr.Error raised by a tab's helper."""
    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def endpoint(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except gr.Error as exc:
            arguments = signature.bind_partial(*args, **kwargs).arguments
            arguments.pop("request", None)
            exc.message = shorten_echoes(str(exc.message), arguments)
            raise

    return endpoint


def register_api(profile: str) -> None:
    """Register every endpoint in the gr.Blocks being built (call inside its `with` block)."""
    _profile["name"] = profile
    # MCP (--mcp): files, bounds, schemas and JSON results, demo/server/gradio_hooks.py
    gradio_hooks.install(mcp_choices)
    for fn, group in ENDPOINTS:
        # A core.runtime.messages.UserError reaches the caller in the call's `language`, as the tabs' in the browser's.
        endpoint = short_echoes(shows_user_errors(fn, request_of=_error_language))
        gr.api(gpu_task(endpoint), api_name=fn.__name__, **(group or image_group()))
