"""Where inference runs: the GPU when there is one (a ZeroGPU Space, a lab machine), else the CPU.

DL_DEVICE=cpu forces the CPU (e.g. to compare latencies). Modules are moved once, when they are loaded
(core.catalog.store); inference functions move their inputs to the module's device and bring results back to the CPU.
On a ZeroGPU Space, `.to("cuda")` outside a GPU task is allowed (the `spaces` package defers it), and the demo's
handlers run inside `demo.server.gpu.gpu_task`.
"""

from __future__ import annotations

import os


def inference_device():
    import torch

    if os.environ.get("DL_DEVICE", "auto").strip().lower() == "cpu":
        return torch.device("cpu")
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def module_device(module):
    """The device of a module's first parameter (CPU for a module without parameters)."""
    import torch

    for p in module.parameters():
        return p.device
    return torch.device("cpu")
