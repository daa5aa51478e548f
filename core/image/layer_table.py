"""Per-layer activation shapes and parameter counts, measured by running the real module once."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from core.runtime.messages import Bilingual


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


# The course's LeNet-5 table (video event query report, section 2.2.6, "thông số của mạng cnn"), as printed:
# (row, module of CourseLeNet5 or None for the input, activation shape (H, W, C), activation size, parameters).
COURSE_LENET_ROWS: tuple[tuple[str, str | None, tuple[int, ...], int, int], ...] = (
    ("Input", None, (32, 32, 3), 3_072, 0),
    ("CONV1 (f=5, s=1)", "conv1", (28, 28, 8), 6_272, 208),
    ("POOL1", "pool1", (14, 14, 8), 1_568, 0),
    ("CONV2 (f=5, s=1)", "conv2", (10, 10, 16), 1_600, 416),
    ("POOL2", "pool2", (5, 5, 16), 400, 0),
    ("FC3", "fc3", (120, 1), 120, 48_001),
    ("FC4", "fc4", (84, 1), 84, 10_081),
    ("SOFTMAX", "fc5", (10, 1), 10, 841),
)
COURSE_LENET_TOTAL = 59_547  # printed; the sum of the printed rows
COURSE_LENET_INPUT = (3, 32, 32)

IGNORES_DEPTH = Bilingual(
    "ignores the input depth: each filter spans all {c} input channels, so it has {k}·{k}·{c} weights, not {k}·{k}",
    "bỏ qua chiều sâu của đầu vào: mỗi bộ lọc trải qua cả {c} kênh đầu vào nên có {k}·{k}·{c} trọng số, "
    "không phải {k}·{k}",
)
ONE_BIAS_PER_LAYER = Bilingual(
    "one bias for the whole layer instead of one per unit: {n} units have {n} biases",
    "một bias cho cả lớp thay vì một bias cho mỗi nơ-ron: {n} nơ-ron có {n} bias",
)
UNEXPLAINED = Bilingual("no simple rule gives the printed number", "không có quy tắc đơn giản nào cho ra số được in")


@dataclass
class CourseComparison:
    row: str  # the course table's row name
    module: str  # the real module's name ("" for the input)
    kind: str
    output_shape: tuple[int, ...]  # measured, channels first
    activations: int  # measured
    params: int  # measured
    printed_shape: tuple[int, ...]
    printed_activations: int
    printed_params: int
    formula: str  # how the measured count comes about, e.g. "8 × (5·5·3 + 1) = 608"
    printed_formula: str  # the rule that reproduces the printed number ("" where it is right)
    broken_rule: Bilingual | None  # which rule the printed number broke (None where it is right)


def _fmt(n: int) -> str:
    return f"{n:,}"


def explain_count(mod: nn.Module, printed: int) -> tuple[str, str, Bilingual | None]:
    """(formula of the true count, formula that gives the printed count, the rule it broke)."""
    if isinstance(mod, nn.Conv2d):
        o, c, (kh, kw) = mod.out_channels, mod.in_channels // mod.groups, mod.kernel_size
        b = 1 if mod.bias is not None else 0
        true = f"{o} × ({kh}·{kw}·{c} + {b}) = {_fmt(o * (kh * kw * c + b))}"
        if printed == o * (kh * kw * c + b):
            return true, "", None
        if printed == o * (kh * kw + b):
            rule = Bilingual(IGNORES_DEPTH.format(c=c, k=kh), IGNORES_DEPTH.vi.format(c=c, k=kh))
            return true, f"{o} × ({kh}·{kw} + {b}) = {_fmt(printed)}", rule
        return true, "?", UNEXPLAINED
    if isinstance(mod, nn.Linear):
        i, o = mod.in_features, mod.out_features
        b = o if mod.bias is not None else 0
        true = f"{i}·{o} + {b} = {_fmt(i * o + b)}"
        if printed == i * o + b:
            return true, "", None
        if printed == i * o + 1:
            rule = Bilingual(ONE_BIAS_PER_LAYER.format(n=o), ONE_BIAS_PER_LAYER.vi.format(n=o))
            return true, f"{i}·{o} + 1 = {_fmt(printed)}", rule
        return true, "?", UNEXPLAINED
    own = sum(p.numel() for p in mod.parameters())
    if own == 0:
        return "0", "", None if printed == 0 else UNEXPLAINED
    return _fmt(own), "?", None if printed == own else UNEXPLAINED


def compare_with_course(module: nn.Module | None = None) -> list[CourseComparison]:
    """The course's LeNet-5 table row by row beside the real network it describes (`CourseLeNet5` by default):
    measured shape, activations and parameters, the formula of each count, and the rule the printed count broke."""
    from core.models.lenet import CourseLeNet5

    module = module if module is not None else CourseLeNet5()
    measured = {r.name: r for r in layer_table(module, COURSE_LENET_INPUT)}
    subs = dict(module.named_modules())
    out = []
    for row, name, shape, acts, printed in COURSE_LENET_ROWS:
        if name is None:
            size = int(torch.tensor(COURSE_LENET_INPUT).prod())
            out.append(
                CourseComparison(row, "", "input", COURSE_LENET_INPUT, size, 0, shape, acts, printed, "0", "", None)
            )
            continue
        r = measured[name]
        formula, printed_formula, rule = explain_count(subs[name], printed)
        out.append(
            CourseComparison(
                row, name, r.kind, r.output_shape, r.activations, r.params, shape, acts, printed, formula,
                printed_formula, rule,
            )
        )  # fmt: skip
    return out


LENETS = ("lenet5", "lenet5_1998")  # the LeNet-5 variants besides the course's table (compare_with_course)


def model_layers(name: str) -> list[LayerRow]:
    """The layer table of a LeNet-5 variant (1x32x32 input) or of a catalogue entry at full size (3x32x32).

    The module is built here, not in the tab: demo/ never builds a torch module (docs/ARCHITECTURE.md).
    """
    from core.catalog import build_architecture, get_spec
    from core.models.lenet import LeNet5, LeNet5Original

    if name in LENETS:
        return layer_table(LeNet5() if name == "lenet5" else LeNet5Original(), (1, 32, 32))
    spec = get_spec(name)
    return layer_table(build_architecture(spec.arch, **spec.model_args), (3, 32, 32))
