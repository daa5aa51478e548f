"""Image classification as plain functions (docs/ARCHITECTURE.md, "Request flow"): PIL image in, plain data out.

`classify` is what the image tab, its HTTP API and the benchmarks call. Latency is the model's forward pass
(with the Grad-CAM backward reported separately), measured on the warm, already-loaded module.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch
from PIL import Image

from core.device import module_device
from core.explain import draw_reading_grid, forward_with_gradcam, overlay_heatmap
from core.labels import superclass_of
from core.model_store import LoadedModel

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


def classify(image: Image.Image, model: LoadedModel, *, top_k: int = 5, explain: bool = True) -> ClassifyResult:
    start = time.perf_counter()
    crop = model.preprocess.crop(image)  # (3, S, S) uint8
    x = model.preprocess.normalise(crop).unsqueeze(0).to(module_device(model.module))  # (1, 3, S, S)
    t0 = time.perf_counter()
    if explain:
        logits, cam = forward_with_gradcam(model.module, x)
    else:
        with torch.inference_mode():
            logits, cam = model.module(x), None
    forward_ms = (time.perf_counter() - t0) * 1000
    probs = torch.softmax(logits[0].float().cpu(), dim=0)
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
    )


def _model_view(crop: torch.Tensor) -> Image.Image:
    view = Image.fromarray(np.ascontiguousarray(crop.permute(1, 2, 0).numpy()))
    if view.size[0] < VIEW_SIZE:  # nearest-neighbour keeps 32 px CIFAR pixels visible as blocks
        view = view.resize((VIEW_SIZE, VIEW_SIZE), Image.Resampling.NEAREST)
    return view
