"""How the app serves a class that clicks at once: the speed-ups, each switchable by one environment variable.

`CLASSROOM_SPEEDUPS=0` turns every one off (the app as it was before them). Each lever also has its own variable,
so tests/benchmarks/bench_class.py can measure them one by one, alternating in one run (docs/CLASS_BURSTS.md).
Defaults from those measurements (2-core machine, 30 students, ResNet-50 + ViT-B/16): coalescing identical requests
is on (30 identical requests in 0.84-0.88 s instead of 28-40 s); micro-batching is on (the server spent 0.77-0.86x
the CPU per distinct request of the app without it, two rounds in each of two runs, 0.74-0.84x with one thread per
forward in a third; p50 rose in three rounds of four); one thread per forward stays off (alone it saved 0.81-0.87x,
with micro-batching nothing more).

| variable | default | what it does |
| --- | --- | --- |
| MICROBATCH | 1 | image requests for the same model that arrive within MICROBATCH_WAIT_MS go through one forward |
| MICROBATCH_WAIT_MS | 5 | how long the first request of a batch waits for others |
| INFERENCE_THREADS | 0 | torch's threads per forward (0: torch's default, one per core); 1 pairs with two batches \
at once |
| IMAGE_PRECISION | fp32 | the image tab's initial weight precision (fp32, int8 or compare): int8 made \
ViT-B/16 3x as fast (tests/benchmarks/bench_int8.py), with answers that may differ from fp32 \
(core/image/quantize.py), so \
it is a choice the page shows, never a silent default |
| RESULT_CACHE | 32 | identical requests (same model, weights, options and input content) share one computation, \
and the last RESULT_CACHE answers of each task answer repeats (core/runtime/coalesce.py); 0 turns both off |
| PRELOAD | 1 | the page's default image models load and run once in the background from the start of `python app.py`, \
which opens its port when they are ready (at most PRELOAD_WAIT_S, 180 s) |

The batcher's sizes are constants, not settings (nobody measured another value better): at most MAX_BATCH requests
in one forward, MAX_BATCH_EXPLAIN with Grad-CAM (its backward keeps every layer's activations: memory grows fast),
BATCH_WORKERS batches of the same model at once.

core reads them; demo only asks `image_concurrency()` how many image requests may reach the batcher at once.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class ServingSettings:
    microbatch: bool
    batch_wait_ms: float
    max_batch: int
    max_batch_explain: int
    batch_workers: int
    threads: int  # 0: leave torch's default (one thread per core)
    preload: bool
    result_cache: int  # answers kept per task; 0: no coalescing at all


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    return default if not value else value not in ("0", "false", "no", "off")


MAX_BATCH, MAX_BATCH_EXPLAIN, BATCH_WORKERS = 8, 4, 2


def _number(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    return float(value) if value else default


def serving_settings() -> ServingSettings:
    """The settings from the environment (read on each call: cheap, and tests can change them)."""
    on = _flag("CLASSROOM_SPEEDUPS", True)
    return ServingSettings(
        microbatch=on and _flag("MICROBATCH", True),
        batch_wait_ms=max(0.0, _number("MICROBATCH_WAIT_MS", 5)),
        max_batch=MAX_BATCH,
        max_batch_explain=MAX_BATCH_EXPLAIN,
        batch_workers=BATCH_WORKERS,
        threads=max(0, int(_number("INFERENCE_THREADS", 0))) if on else 0,
        preload=on and _flag("PRELOAD", True),
        result_cache=max(0, int(_number("RESULT_CACHE", 32))) if on else 0,
    )


# Image requests running at once without batching: each runs its own forward (the app's "models" slots).
UNBATCHED_CONCURRENCY = 2


def image_concurrency() -> int:
    """Image requests that may run at once. With batching they mostly wait inside the batcher, which bounds the
    compute and memory; without it, each runs its own forward, so only UNBATCHED_CONCURRENCY at a time."""
    s = serving_settings()
    return s.max_batch * s.batch_workers if s.microbatch else UNBATCHED_CONCURRENCY


def image_precision() -> str:
    value = os.environ.get("IMAGE_PRECISION", "fp32").strip().lower() or "fp32"
    if value not in ("fp32", "int8", "compare"):
        raise ValueError(f"IMAGE_PRECISION={value!r} is not one of fp32, int8, compare")
    return value


def apply_thread_settings() -> None:
    """torch's intra-op threads for this process (call once at startup)."""
    threads = serving_settings().threads
    if threads:
        import torch

        torch.set_num_threads(threads)
