"""Evaluation in batches sized by a model's activation memory, not by the size of the data set.

One forward pass over 1,000 Fashion-MNIST images through the pixel-token ViT (1,024 tokens, 4 heads) once needed
about 17 GB for its attention scores alone and got the test suite killed. Every evaluation over a data set (tests,
train/ scripts, live training) goes through `predict_in_batches`, whose batch keeps the largest tensor one batch
creates under a budget (256 MiB by default).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

DEFAULT_BUDGET_BYTES = 256 * 2**20
MAX_BATCH = 1024
_HEAD_ATTRS = ("num_heads", "n_heads", "heads")  # torch / open_clip, DistilBERT, this repo's einsum encoder


def activation_bytes_per_sample(module: nn.Module, sample: torch.Tensor) -> int:
    """The largest tensor one input creates inside `module` (measured by running `sample[:1]` once): a sub-module's
    output, or an attention layer's heads x T x T score matrix, counted as if held whole (the einsum encoder and
    the "math" kernel do hold it; the fused kernels would not, so this errs on the safe side)."""
    largest = 0

    def hook(mod, args, kwargs, out):
        nonlocal largest
        outs = out if isinstance(out, tuple | list) else (out,)
        for t in outs:
            if torch.is_tensor(t):
                largest = max(largest, t.numel() * t.element_size())
        heads = next((h for a in _HEAD_ATTRS if isinstance(h := getattr(mod, a, None), int)), None)
        x = args[0] if args else kwargs.get("hidden_states", kwargs.get("query"))
        if heads and torch.is_tensor(x) and x.dim() == 3 and x.is_floating_point():
            tokens = x.numel() // x.shape[-1]  # one sample: (1, T, D) or (T, 1, D)
            largest = max(largest, heads * tokens * tokens * max(x.element_size(), 4))

    handles = [m.register_forward_hook(hook, with_kwargs=True) for m in module.modules()]
    was_training = module.training
    try:
        module.eval()
        with torch.no_grad():
            module(sample[:1])
    finally:
        module.train(was_training)
        for h in handles:
            h.remove()
    return largest


def eval_batch_size(
    module: nn.Module, sample: torch.Tensor, *, budget_bytes: int = DEFAULT_BUDGET_BYTES, max_batch: int = MAX_BATCH
) -> int:
    """How many inputs like `sample` one evaluation batch may hold: budget / largest tensor per input, in
    [1, max_batch]. For the pixel-token ViT that is 15 (its scores, 4 x 1024 x 1024 floats, are 16 MiB an image)."""
    per_sample = max(activation_bytes_per_sample(module, sample), 1)
    return max(1, min(max_batch, budget_bytes // per_sample))


def predict_in_batches(
    module: nn.Module,
    x: torch.Tensor,
    *,
    batch_size: int | None = None,
    budget_bytes: int = DEFAULT_BUDGET_BYTES,
    transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> torch.Tensor:
    """`module(transform(x))` in eval mode without gradients, in batches of `batch_size` (default: `eval_batch_size`);
    the outputs are concatenated. `transform` (e.g. normalisation) runs per batch, so a whole uint8 data set is never
    converted to floats at once. The module is left in eval mode."""
    transform = transform or (lambda t: t)
    module.eval()
    if len(x) == 0:
        raise ValueError("nothing to evaluate: x is empty")
    if batch_size is None:
        batch_size = eval_batch_size(module, transform(x[:1]), budget_bytes=budget_bytes)
    with torch.no_grad():
        return torch.cat([module(transform(chunk)) for chunk in x.split(batch_size)])
