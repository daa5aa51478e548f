"""Per-layer activation shapes and parameter counts, measured by running the real module once."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass
class LayerRow:
    name: str
    kind: str
    output_shape: tuple[int, ...]  # without the batch dimension
    activations: int
    params: int


def layer_table(module: nn.Module, input_shape: tuple[int, ...]) -> list[LayerRow]:
    """One row per leaf module or module owning parameters itself (e.g. attention's in_proj, a ViT's [CLS] and
    positions), in execution order, so the rows' parameters add up to the model's total."""
    rows: list[LayerRow] = []
    handles = []
    for name, sub in module.named_modules():
        owns = any(True for _ in sub.parameters(recurse=False))
        if not owns and (list(sub.children()) or sub is module):
            continue

        def hook(mod, _inp, out, name=name):
            out = out[0] if isinstance(out, tuple) else out
            shape = tuple(out.shape[1:])
            params = sum(p.numel() for p in mod.parameters(recurse=False))
            rows.append(
                LayerRow(
                    name or "(model: its own parameters)",
                    type(mod).__name__,
                    shape,
                    int(torch.tensor(shape).prod()),
                    params,
                )
            )

        handles.append(sub.register_forward_hook(hook))
    was_training = module.training
    try:
        # Train mode, batch of 2: eval mode would send nn.TransformerEncoderLayer down its fused fast path, which
        # never calls its sub-modules (no hooks fire); BatchNorm in train mode needs more than one sample.
        module.train()
        with torch.no_grad():
            module(torch.zeros(2, *input_shape))
    finally:
        module.train(was_training)
        for h in handles:
            h.remove()
    # Some modules' weights are used by their parent without calling them (MultiheadAttention's out_proj):
    # count those parameters in the nearest ancestor's row.
    by_name = {r.name: r for r in rows}
    for name, sub in module.named_modules():
        own = sum(p.numel() for p in sub.parameters(recurse=False))
        if own and name and name not in by_name:
            parent = name
            while parent and parent not in by_name:
                parent = parent.rpartition(".")[0]
            (by_name.get(parent) or rows[-1]).params += own
    return rows
