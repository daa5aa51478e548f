"""A tiny RNN or LSTM cell run step by step on a short sequence, for the "How a CNN computes" tab's sequence section.

The equations are the courses': report 001 (2.1.1) writes the RNN step a<t> = g1(W_aa a<t-1> + W_ax x<t> + b_a),
here with g1 = tanh; report 003 writes the LSTM gates on the concatenation [h_{t-1}, x_t]:

    f_t = σ(W_f·[h_{t-1}, x_t] + b_f)      i_t = σ(W_i·[h_{t-1}, x_t] + b_i)
    C~_t = tanh(W_C·[h_{t-1}, x_t] + b_C)  C_t = f_t * C_{t-1} + i_t * C~_t
    o_t = σ(W_o·[h_{t-1}, x_t] + b_o)      h_t = o_t * tanh(C_t)

So every gate's weights are one matrix with H rows (one per hidden unit) and H + d columns (first on h_{t-1}, then
on x_t), written here as rows of H + d + 1 numbers, the last being the bias. h_0 = C_0 = 0.

Backpropagation through time (report 001, 2.1.3) sums a contribution from every step; how much of h_T's gradient
reaches step t is the Jacobian dh_T/dh_t, measured here by autograd (torch, float64) for every t. Its norm shrinking
as t goes back is the vanishing gradient; the LSTM's cell state C carries gradient further when f_t is near 1.
No Gradio here: the tab formats what this module computes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from core.runtime.messages import Bilingual, UserError

CELLS = ("rnn", "lstm")
GATES = {"rnn": ("a",), "lstm": ("f", "i", "c", "o")}  # "c" is C~, the candidate cell state
MAX_HIDDEN, MAX_INPUT, MAX_STEPS = 3, 3, 20
MAX_WEIGHT = 100.0
MAX_CHARS = 2000


class SequenceError(UserError, ValueError):
    """A sequence or a weight matrix the cell cannot run with."""

    title = Bilingual("Cannot run the cell", "Không chạy được ô hồi quy")


def _numbers(row: str, where: Bilingual) -> list[float]:
    values = []
    for token in row.replace(",", " ").split():
        try:
            v = float(token)
        except ValueError:
            raise SequenceError(
                Bilingual(f"{where}: not a number: {token[:20]!r}", f"{where.vi}: không phải là số: {token[:20]!r}")
            ) from None
        if not np.isfinite(v) or abs(v) > MAX_WEIGHT:
            raise SequenceError(
                Bilingual(
                    f"{where}: every value must be a number between -{MAX_WEIGHT:g} and {MAX_WEIGHT:g}",
                    f"{where.vi}: mọi giá trị phải là số trong khoảng -{MAX_WEIGHT:g} đến {MAX_WEIGHT:g}",
                )
            )
        values.append(v)
    return values


def _rows(text: object, where: Bilingual) -> list[str]:
    if text is not None and not isinstance(text, str):
        raise SequenceError(Bilingual(f"{where}: must be text", f"{where.vi}: phải là văn bản"))
    if text and len(text) > MAX_CHARS:
        raise SequenceError(
            Bilingual(f"{where}: at most {MAX_CHARS} characters", f"{where.vi}: tối đa {MAX_CHARS} ký tự")
        )
    return [r for r in (text or "").replace(";", "\n").splitlines() if r.strip()]


SEQUENCE = Bilingual("Sequence", "Chuỗi")


def parse_sequence(text: object) -> np.ndarray:
    """x_1 .. x_T: one step per line (or separated by ';'), each 1 to 3 numbers; a single line of numbers is read as
    one number per step ("1 0.5 -1 2" is four steps of one number)."""
    rows = _rows(text, SEQUENCE)
    if len(rows) == 1:
        rows = rows[0].replace(",", " ").split()
    xs = [_numbers(r, SEQUENCE) for r in rows]
    if not xs:
        raise SequenceError(Bilingual("the sequence is empty: type a few numbers", "chuỗi đang trống: hãy gõ vài số"))
    if len(xs) > MAX_STEPS:
        raise SequenceError(Bilingual(f"at most {MAX_STEPS} time steps", f"tối đa {MAX_STEPS} bước thời gian"))
    if len({len(x) for x in xs}) != 1 or not 1 <= len(xs[0]) <= MAX_INPUT:
        raise SequenceError(
            Bilingual(
                f"every step must have the same number of values (1 to {MAX_INPUT})",
                f"mọi bước phải có cùng số giá trị (từ 1 đến {MAX_INPUT})",
            )
        )
    return np.array(xs, dtype=float)


GATE_NAMES = {"a": "W_a | b_a", "f": "W_f | b_f", "i": "W_i | b_i", "c": "W_C | b_C", "o": "W_o | b_o"}


def parse_gate(text: object, gate: str, inputs: int, hidden: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(W of shape (H, H + d), b of shape (H,)) from H rows of H + d + 1 numbers; H is the number of rows (or must
    equal `hidden` when given, so all gates agree)."""
    where = Bilingual(GATE_NAMES[gate], GATE_NAMES[gate])
    rows = [_numbers(r, where) for r in _rows(text, where)]
    h = len(rows)
    if not 1 <= h <= MAX_HIDDEN or (hidden is not None and h != hidden):
        want = f"{hidden}" if hidden is not None else f"1 to {MAX_HIDDEN}"
        want_vi = f"{hidden}" if hidden is not None else f"từ 1 đến {MAX_HIDDEN}"
        raise SequenceError(
            Bilingual(
                f"{where}: {want} rows, one per hidden unit (all gates have the same number of rows)",
                f"{where.vi}: cần {want_vi} hàng, mỗi đơn vị ẩn một hàng (mọi cổng có cùng số hàng)",
            )
        )
    width = h + inputs + 1
    if any(len(r) != width for r in rows):
        raise SequenceError(
            Bilingual(
                f"{where}: each row needs {width} numbers: {h} weights on h(t-1), {inputs} on x(t), then the bias",
                f"{where.vi}: mỗi hàng cần {width} số: {h} trọng số cho h(t-1), {inputs} cho x(t), rồi bias",
            )
        )
    m = np.array(rows, dtype=float)
    return m[:, :-1], m[:, -1]


def parse_weights(cell: str, texts: dict[str, object], inputs: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Every gate of `cell` from its text, all with the first gate's number of hidden units."""
    first = GATES[cell][0]
    weights = {first: parse_gate(texts.get(first), first, inputs)}
    hidden = weights[first][1].shape[0]
    for gate in GATES[cell][1:]:
        weights[gate] = parse_gate(texts.get(gate), gate, inputs, hidden)
    return weights


@dataclass
class Step:
    """One time step: pre-activations z (W·[h_{t-1}, x_t] + b) and values of every gate, as numpy vectors."""

    t: int
    x: np.ndarray
    h_prev: np.ndarray
    z: dict[str, np.ndarray]
    values: dict[str, np.ndarray]  # rnn: h; lstm: f, i, c (C~), C, o, h
    c_prev: np.ndarray | None = None


@dataclass
class CellRun:
    cell: str
    steps: list[Step]
    grad_h: list[float]  # ||dh_T/dh_t||_2 for t = 1 .. T (the last is 1: the identity)
    grad_c: list[float] = field(default_factory=list)  # LSTM: ||dh_T/dC_t||_2 for t = 1 .. T


def _lstm_step(w, hx, c_prev):
    """The gate equations of report 003 on the concatenation hx = [h_{t-1}, x_t] (torch or numpy arrays)."""
    import torch  # here, not at import: the app imports this module when it builds the page

    lib = torch if isinstance(hx, torch.Tensor) else np
    sig = torch.sigmoid if lib is torch else (lambda v: 1 / (1 + np.exp(-v)))
    z = {g: w[g][0] @ hx + w[g][1] for g in ("f", "i", "c", "o")}
    f, i, c_tilde, o = sig(z["f"]), sig(z["i"]), lib.tanh(z["c"]), sig(z["o"])
    c = f * c_prev + i * c_tilde
    return z, {"f": f, "i": i, "c": c_tilde, "C": c, "o": o, "h": o * lib.tanh(c)}


def run_cell(cell: str, xs: np.ndarray, weights: dict[str, tuple[np.ndarray, np.ndarray]]) -> CellRun:
    """Run the cell over xs (T, d) from h_0 = C_0 = 0, recording every gate, then measure dh_T/dh_t (and dh_T/dC_t
    for the LSTM) for every t by autograd: one backward pass per hidden unit of h_T."""
    import torch  # here, not at import: the app imports this module when it builds the page

    with torch.enable_grad():  # also when called under no_grad (a server's inference mode): the graph is the point
        return _run(cell, xs, weights)


def _run(cell, xs, weights) -> CellRun:
    import torch  # here, not at import: the app imports this module when it builds the page

    w = {
        g: (torch.tensor(m, dtype=torch.float64), torch.tensor(b, dtype=torch.float64)) for g, (m, b) in weights.items()
    }
    hidden = next(iter(w.values()))[1].shape[0]
    h = torch.zeros(hidden, dtype=torch.float64, requires_grad=True)  # a leaf: every h_t after it joins the graph
    c = torch.zeros(hidden, dtype=torch.float64, requires_grad=True)
    hs, cs, steps = [], [], []
    for t, x in enumerate(torch.tensor(xs, dtype=torch.float64), start=1):
        hx = torch.cat([h, x])
        if cell == "rnn":
            z = {"a": w["a"][0] @ hx + w["a"][1]}
            values = {"h": torch.tanh(z["a"])}
        else:
            z, values = _lstm_step(w, hx, c)
        steps.append(
            Step(t, x.numpy().copy(), h.detach().numpy().copy(), {k: v.detach().numpy() for k, v in z.items()},
                 {k: v.detach().numpy() for k, v in values.items()}, None if cell == "rnn" else c.detach().numpy())
        )  # fmt: skip
        h = values["h"]
        hs.append(h)
        if cell == "lstm":
            c = values["C"]
            cs.append(c)
    targets = hs + cs
    rows = [torch.autograd.grad(h[k], targets, retain_graph=True, allow_unused=True) for k in range(hidden)]

    def norms(offset: int, count: int) -> list[float]:
        out = []
        for t in range(count):
            jac = np.stack([
                (r[offset + t] if r[offset + t] is not None else torch.zeros(hidden, dtype=torch.float64)).numpy()
                for r in rows
            ])  # fmt: skip
            out.append(float(np.linalg.norm(jac, 2)))
        return out

    return CellRun(cell, steps, norms(0, len(hs)), norms(len(hs), len(cs)) if cs else [])


@dataclass(frozen=True)
class CellExample:
    cell: str
    sequence: str
    weights: dict  # gate -> text


# Small weights chosen here (the reports give equations, no numbers): H = 2 hidden units, one number per step.
LSTM_WEIGHTS = {
    "f": "0.5 0 1 1\n0 0.5 -1 1",
    "i": "0.5 0.5 1 0\n-0.5 0.5 1 0",
    "c": "1 0 1 0\n0 1 -1 0",
    "o": "0.5 0 0.5 0\n0 0.5 0.5 0",
}
RNN_WEIGHTS = {"a": "0.5 -0.3 1 0\n0.2 0.4 -1 0.1"}
CELL_EXAMPLES: dict[str, CellExample] = {
    "lstm_short": CellExample("lstm", "1 0.5 -1 2", LSTM_WEIGHTS),
    "rnn_short": CellExample("rnn", "1 0.5 -1 2", RNN_WEIGHTS),
    # Twelve steps: the RNN's recurrent weights of 0.5 shrink dh_T/dh_t by about half (times tanh') per step back;
    # the LSTM with its forget gate's bias at 3 (f near 0.95) keeps C's path open much longer.
    "rnn_long": CellExample("rnn", "1 0 0 0 0 0 0 0 0 0 0 1", {"a": "0.5 0 1 0\n0 0.5 -1 0"}),
    "lstm_long": CellExample("lstm", "1 0 0 0 0 0 0 0 0 0 0 1", {**LSTM_WEIGHTS, "f": "0.5 0 1 3\n0 0.5 -1 3"}),
}
