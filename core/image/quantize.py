"""int8 weights as a lesson: what they buy (model size, latency) and what they may cost (a different top-1).

Dynamic quantization: the weights of the nn.Linear layers are stored as int8 (one scale per tensor); activations are
quantized on the fly per batch, and the matrix products run in int8 (fbgemm). It applies where Linear layers hold
most of the parameters (ViTs, the MLP, the transformer zoo models); a CNN's convolutions are left in fp32, so for
ResNet-50 it would change almost nothing and is not offered.

Which path: torch 2.14 marks torch.ao.quantization as deprecated in favour of torchao, and torchao 0.18.0 installs
from PyPI for it. But torchao's eager int8 configs (Int8DynamicActivationInt8WeightConfig, Int8WeightOnlyConfig)
ran ViT-B/16 slower than fp32 on this CPU (x0.80 and x0.89; they target GPUs and torch.compile), while torch.ao's
quantize_dynamic ran it 3x as fast (python -m tests.benchmarks.bench_int8; README, "int8"). So this uses torch.ao's,
the path whose CPU kernels exist in the pinned torch; its deprecation warning is silenced here only.
"""

from __future__ import annotations

import copy
import io
import statistics
import threading
import time
import warnings
import weakref
from dataclasses import dataclass

import torch
from torch import nn

from core.catalog.store import LoadedModel
from core.runtime.messages import Bilingual, vietnamese_of

LINEAR_SHARE = 0.5  # int8 is offered when Linear layers hold at least this share of the parameters


def linear_share(module: nn.Module) -> float:
    total = sum(p.numel() for p in module.parameters())
    linear = sum(p.numel() for m in module.modules() if isinstance(m, nn.Linear) for p in m.parameters(False))
    return linear / total if total else 0.0


def int8_applies(module: nn.Module) -> bool:
    return linear_share(module) >= LINEAR_SHARE


# Projections whose outputs become attention scores stay in fp32: the softmax over the scores amplifies their
# rounding. Measured on the committed custom_vit, test images 5000-5999: top-1 agreement with fp32 98.8 % with
# them in int8, 99.4 % without (tests/test_quantize.py asserts >= 99 % on every committed zoo model it applies to).
SCORE_PROJECTIONS = frozenset({"q", "k", "v", "qkv", "query", "key"})


def int8_layers(module: nn.Module) -> list[str]:
    """The nn.Linear layers that get int8 weights (exact type: nn.MultiheadAttention's out_proj is read as a
    weight tensor by the attention code, so it must stay a Linear)."""
    return [
        name
        for name, m in module.named_modules()
        if type(m) is nn.Linear and name.rsplit(".", 1)[-1] not in SCORE_PROJECTIONS
    ]


def quantize_int8(module: nn.Module) -> nn.Module:
    """A copy of `module` (fp32, eval) with its Linear weights in int8 (int8_layers); the original is untouched."""
    from torch.ao.quantization import default_dynamic_qconfig, quantize_dynamic

    spec = dict.fromkeys(int8_layers(module), default_dynamic_qconfig)
    # The copy shares every tensor with the original (read-only at inference): only the module objects are new,
    # so the int8 copy adds its int8 weights, not a second fp32 model (ViT-B/16: 350 MB) on top.
    shared = {id(t): t for t in [*module.parameters(), *module.buffers()]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # see the module docstring: the maintained CPU path
        warnings.simplefilter("ignore", UserWarning)
        return quantize_dynamic(copy.deepcopy(module, shared).eval(), spec, dtype=torch.qint8, inplace=True)


def size_mb(module: nn.Module) -> float:
    """The module's weights as saved (state_dict through torch.save), in MB: what int8 shrinks."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        torch.save(module.state_dict(), buffer)
    return buffer.tell() / 1e6


# fp32 module -> its int8 copy and both sizes; weak keys: a model dropped from the cache takes its copy along.
_int8: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_int8_lock = threading.Lock()


def int8_model(model: LoadedModel) -> tuple[LoadedModel, float, float]:
    """(the int8 copy of `model`, fp32 MB, int8 MB), built once per loaded module."""
    with _int8_lock:
        if model.module not in _int8:
            quantized = quantize_int8(model.module)
            int8 = LoadedModel(
                **{
                    **model.__dict__,
                    "module": quantized,
                    "source": Bilingual(
                        f"{model.source} (int8 weights)",
                        f"{vietnamese_of(model.source) or model.source} (trọng số int8)",
                    ),
                }
            )
            _int8[model.module] = (int8, size_mb(model.module), size_mb(quantized))
        return _int8[model.module]


@dataclass
class PrecisionComparison:
    model_name: str
    fp32_ms: float  # one forward, batch 1, median of `repeats`
    int8_ms: float
    fp32_mb: float
    int8_mb: float
    fp32_top1: str
    int8_top1: str
    fp32_probability: float
    int8_probability: float

    @property
    def agree(self) -> bool:
        return self.fp32_top1 == self.int8_top1


def compare_precisions(x: torch.Tensor, model: LoadedModel, repeats: int = 3) -> PrecisionComparison:
    """fp32 and int8 on the same preprocessed input (1, 3, S, S): latency, size, top-1 of each."""
    int8, fp32_mb, int8_mb = int8_model(model)
    results = {}
    for key, module in (("fp32", model.module), ("int8", int8.module)):
        times = []
        with torch.inference_mode():
            for _ in range(repeats):
                t0 = time.perf_counter()
                logits = module(x)
                times.append((time.perf_counter() - t0) * 1000)
        probs = torch.softmax(logits[0].float(), dim=0)
        p, i = probs.max(dim=0)
        results[key] = (statistics.median(times), model.labels[int(i)], float(p))
    return PrecisionComparison(
        model_name=model.name,
        fp32_ms=results["fp32"][0],
        int8_ms=results["int8"][0],
        fp32_mb=fp32_mb,
        int8_mb=int8_mb,
        fp32_top1=results["fp32"][1],
        int8_top1=results["int8"][1],
        fp32_probability=results["fp32"][2],
        int8_probability=results["int8"][2],
    )
