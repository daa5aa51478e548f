"""Optional ZeroGPU support: `gpu_task` is `spaces.GPU` on a Hugging Face ZeroGPU Space and a no-op elsewhere.

On ZeroGPU a GPU is attached only while a function decorated with spaces.GPU runs, so every handler that runs a
model is wrapped with this. The `spaces` package is present on Spaces; importing it elsewhere is harmless, but it
is only used when the Space says it runs on ZeroGPU (SPACES_ZERO_GPU), so local runs and CI are unaffected.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeVar

F = TypeVar("F", bound=Callable)
GPU_SECONDS = 60  # the longest a single request may hold the GPU (a Grad-CAM pass of two models takes < 1 s)


def zero_gpu_enabled() -> bool:
    if os.environ.get("SPACES_ZERO_GPU", "").lower() not in ("1", "true"):
        return False
    try:
        import spaces  # noqa: F401
    except ImportError:
        return False
    return True


def gpu_task(fn: F) -> F:
    """Run `fn` with a GPU attached on ZeroGPU; return it unchanged everywhere else."""
    if not zero_gpu_enabled():
        return fn
    import spaces

    return spaces.GPU(duration=GPU_SECONDS)(fn)
