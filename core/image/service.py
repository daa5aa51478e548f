"""Image classification as plain functions (docs/ARCHITECTURE.md, "Request flow"): PIL image in, plain data out.

`classify` is what the image tab, its HTTP API and the benchmarks call. Latency is the model's forward pass
(with the Grad-CAM backward reported separately), measured on the warm, already-loaded module.
"""

from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass, field, replace

import numpy as np
import torch
from PIL import Image

from core.catalog.labels import superclass_of
from core.catalog.store import DATASET_NAMES, LoadedModel
from core.image.explain import draw_reading_grid, forward_with_gradcam, forward_with_gradcam_batch, overlay_heatmap
from core.runtime.coalesce import CACHED, COMPUTED, Coalescer, coalesced, model_token, pixels_key
from core.runtime.device import module_device
from core.runtime.messages import Bilingual
from core.runtime.microbatch import MicroBatcher
from core.runtime.serving import serving_settings
from core.training.ood import Verdict, calibration_for, forward_with_penultimate

# Inputs at or below this size are CIFAR-sized; show them enlarged with crisp pixels so students see them.
VIEW_SIZE = 224


@dataclass
class Prediction:
    label: str
    probability: float
    superclass: str | None


@dataclass
class ClassifyResult:
    model_name: str
    display_name: str
    predictions: list[Prediction]
    forward_ms: float  # forward pass only (with Grad-CAM: forward + backward to the feature map)
    total_ms: float  # preprocessing + forward + post-processing
    num_params: int
    input_size: int
    model_input: Image.Image  # what the network sees, de-normalised, shown at >= VIEW_SIZE px
    explanation: Image.Image | None
    explanation_method: str | None
    source: str
    notes: list[str] = field(default_factory=list)
    batch_size: int = 1  # requests that shared this forward (core.runtime.microbatch)
    # Is the input unlike the training images? None where the weights have no calibration (core.training.ood): no
    # verdict is better than an invented threshold. Its sentence is also in `notes` (ood_note), for the HTTP API.
    out_of_domain: Verdict | None = None
    ood_note: str | None = None
    # True: this answer was computed once for an identical request (same image pixels, model, weights and options)
    # that ran just before or at the same time (core.runtime.coalesce); forward_ms and total_ms are that
    # computation's, and a note says so.
    cached: bool = False


# The last answers, keyed by everything an answer depends on (see _key); identical requests share one computation.
RESULTS = Coalescer(32, "image")

CACHED_NOTE = Bilingual(
    "Answered from the cache: this image with the same model and options was computed before (for you or another "
    "visitor), so no forward pass ran now; the times shown are that computation's.",
    "Trả lời từ bộ nhớ đệm: ảnh này với cùng mô hình và tùy chọn đã được tính trước đó (cho bạn hoặc người khác) nên "
    "lần này không chạy lan truyền xuôi; thời gian hiển thị là của lần tính đó.",
)
JOINED_NOTE = Bilingual(
    "Computed once for several identical requests that arrived together (same image, model and options); the times "
    "shown are that one computation's.",
    "Tính một lần cho nhiều yêu cầu giống hệt nhau đến cùng lúc (cùng ảnh, mô hình và tùy chọn); thời gian hiển thị "
    "là của lần tính đó.",
)


def classify(image: Image.Image, model: LoadedModel, *, top_k: int = 5, explain: bool = True) -> ClassifyResult:
    """Top-k predictions of `model` on `image`; identical requests share one computation (core.runtime.coalesce)."""
    result, how = coalesced(
        RESULTS, _key(image, model, top_k, explain), lambda: _classify(image, model, top_k, explain)
    )
    if how == COMPUTED:
        return replace(result, notes=list(result.notes))  # callers may add notes: never to the stored answer's
    return replace(result, notes=[*result.notes, CACHED_NOTE if how == CACHED else JOINED_NOTE], cached=True)


def _key(image: Image.Image, model: LoadedModel, top_k: int, explain: bool) -> tuple:
    """Everything the answer depends on: the module itself (an int8 copy is another module), what the result
    reports about the weights, the options and the input's pixels. The profile decides the OOD verdict."""
    notes = tuple((str(n), getattr(n, "vi", None)) for n in model.notes)
    return (model_token(model.module), model.name, str(model.source), model.profile, notes, top_k, explain,
            pixels_key(image))  # fmt: skip


def _classify(image: Image.Image, model: LoadedModel, top_k: int, explain: bool) -> ClassifyResult:
    start = time.perf_counter()
    crop = model.preprocess.crop(image)  # (3, S, S) uint8
    x = model.preprocess.normalise(crop).unsqueeze(0).to(module_device(model.module))  # (1, 3, S, S)
    t0 = time.perf_counter()
    batch_size = 1
    # CPU only: on a GPU one image is fast already, and on a ZeroGPU Space the GPU is attached to the request's own
    # thread (demo.server.gpu), not to a batcher's worker.
    if serving_settings().microbatch and x.device.type == "cpu":
        (logits, cam), info = _batcher(model.module, explain).submit(x)
        forward_ms, batch_size = info.forward_ms, info.size
    else:
        if explain:
            logits, cam = forward_with_gradcam(model.module, x)
        else:
            with torch.inference_mode():
                logits, cam = model.module(x), None
        forward_ms = (time.perf_counter() - t0) * 1000
    probs = torch.softmax(logits.reshape(-1).float().cpu(), dim=0)
    k = min(top_k, probs.numel())
    top = torch.topk(probs, k)
    predictions = [
        Prediction(label=model.labels[i], probability=float(p), superclass=superclass_of(model.labels[i]))
        for p, i in zip(top.values.tolist(), top.indices.tolist())
    ]
    view = _model_view(crop)
    explanation = overlay_heatmap(view, cam) if cam is not None else None
    notes = list(model.notes)
    if hasattr(model.module, "reading_grid"):  # sequence models: show the steps they read
        view = draw_reading_grid(view, *model.module.reading_grid)
        notes.append(f"Reads the image as {model.module.reading_description}.")
    if batch_size > 1:
        notes.append(
            Bilingual(
                f"Ran in one forward pass with {batch_size - 1} other requests (micro-batching); the time shown "
                "is that whole batch's.",
                f"Chạy chung một lượt lan truyền xuôi với {batch_size - 1} yêu cầu khác (gộp lô); thời gian hiển "
                "thị là của cả lô.",
            )
        )
    verdict = out_of_domain(model, x)
    ood_note = None
    if verdict is not None:
        ood_note = verdict.note(DATASET_NAMES.get(model.dataset or "", model.dataset or ""))
        notes.append(ood_note)
    if cam is not None and cam.size == 1:
        notes.append(
            f"At {crop.shape[-1]} px input the last feature map is 1x1, so the map cannot point anywhere: the "
            "network has lost all spatial detail (one reason the course's 32 px ResNet-50 scored low)."
        )
    return ClassifyResult(
        model_name=model.name,
        display_name=model.display_name,
        predictions=predictions,
        forward_ms=forward_ms,
        total_ms=(time.perf_counter() - start) * 1000,
        num_params=model.num_params,
        input_size=int(crop.shape[-1]),
        model_input=view,
        explanation=explanation,
        explanation_method=getattr(model.module, "explanation", None) if explain else None,
        source=model.source,
        notes=notes,
        batch_size=batch_size,
        out_of_domain=verdict,
        ood_note=ood_note,
    )


def out_of_domain(model: LoadedModel, x: torch.Tensor) -> Verdict | None:
    """The calibrated verdict on one normalised input (1, 3, S, S); None without a calibration for these weights.

    A feature method needs the penultimate features, so it runs one more forward of its own here (the zoo models
    are small: a few ms), rather than reaching into the micro-batcher's shared forward."""
    if model.profile != "default":
        return None
    calibration = calibration_for(model.checkpoint_dir)
    if calibration is None:
        return None
    try:
        logits, features = forward_with_penultimate(model.module, x, len(model.labels))
    except ValueError:  # no float Linear head to read (an int8 module): no verdict rather than a wrong one
        return None
    return calibration.verdict(logits, features)


# module -> {explain: batcher}. Weak keys and a weak reference in the batcher: a model dropped from the cache
# (model_store.forget, a retrained checkpoint) takes its batchers with it.
_batchers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_batchers_lock = threading.Lock()


def _batcher(module, explain: bool) -> MicroBatcher:
    """One batcher per loaded module and mode (Grad-CAM needs gradients, the plain forward runs without)."""
    with _batchers_lock:
        batchers = _batchers.setdefault(module, {})
        if explain not in batchers:
            s = serving_settings()
            ref = weakref.ref(module)
            if explain:

                def run(x):
                    logits, cams = forward_with_gradcam_batch(ref(), x)
                    return list(zip(logits, cams))

            else:

                def run(x):
                    with torch.inference_mode():
                        return [(row, None) for row in ref()(x)]

            size = s.max_batch_explain if explain else s.max_batch
            name = f"{type(module).__name__}{'-cam' if explain else ''}"
            batchers[explain] = MicroBatcher(
                run, max_batch=size, wait_s=s.batch_wait_ms / 1000, workers=s.batch_workers, name=name
            )
        return batchers[explain]


def _model_view(crop: torch.Tensor) -> Image.Image:
    view = Image.fromarray(np.ascontiguousarray(crop.permute(1, 2, 0).numpy()))
    if view.size[0] < VIEW_SIZE:  # nearest-neighbour keeps 32 px CIFAR pixels visible as blocks
        view = view.resize((VIEW_SIZE, VIEW_SIZE), Image.Resampling.NEAREST)
    return view
