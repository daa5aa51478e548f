"""The CNN tab's "Recurrent networks: RNN and LSTM, one time step at a time" section (report 001, 2.1; report 003's
LSTM gates): every gate's weighted sum and activation written out per step, and the gradient through time measured
by autograd (core.text.rnn_steps does the arithmetic)."""

from __future__ import annotations

from types import SimpleNamespace

import gradio as gr
import numpy as np

from core.runtime.messages import number_text
from core.text.rnn_steps import CELL_EXAMPLES, CELLS, MAX_STEPS, parse_sequence, parse_weights, run_cell
from demo.server.fair_queue import QUICK_GROUP
from demo.tabs.cnn_grids import CELL_STYLE
from demo.tabs.cnn_steps import chosen_example, slider_reset, step_at
from demo.ui.components import checked_choices
from demo.ui.errors import shows_user_errors
from demo.ui.i18n import say, tr

# Choice labels of core.text.rnn_steps.CELL_EXAMPLES.
CELL_TEXT = {
    "lstm_short": ("LSTM, 4 bước: 1 0.5 −1 2", "LSTM, 4 steps: 1 0.5 −1 2"),
    "rnn_short": ("RNN, 4 bước: 1 0.5 −1 2", "RNN, 4 steps: 1 0.5 −1 2"),
    "rnn_long": ("RNN, 12 bước: gradient biến mất", "RNN, 12 steps: the gradient vanishes"),
    "lstm_long": ("LSTM, 12 bước, cổng quên gần 1", "LSTM, 12 steps, forget gate near 1"),
}
GATE_LABELS = {
    "a": ("RNN: W_a | b_a (hàng: trọng số trên h(t−1), trên x(t), rồi bias)",
          "RNN: W_a | b_a (rows: weights on h(t−1), on x(t), then the bias)"),
    "f": ("LSTM cổng quên: W_f | b_f", "LSTM forget gate: W_f | b_f"),
    "i": ("LSTM cổng vào: W_i | b_i", "LSTM input gate: W_i | b_i"),
    "c": ("LSTM thông tin mới C~: W_C | b_C", "LSTM candidate C~: W_C | b_C"),
    "o": ("LSTM cổng ra: W_o | b_o", "LSTM output gate: W_o | b_o"),
}  # fmt: skip
GATE_ROLE = {  # what each value is, in words, for the step view
    "f": ("cổng quên: giữ bao nhiêu phần của C cũ (0 = quên hết, 1 = giữ hết)",
          "forget gate: how much of the old C to keep (0 = forget all, 1 = keep all)"),
    "i": ("cổng vào: thêm bao nhiêu thông tin mới", "input gate: how much new information to add"),
    "c": ("C~: thông tin mới tiềm năng", "C~: the candidate new information"),
    "C": ("C: trạng thái ô (bộ nhớ), chuyển sang bước sau", "C: the cell state (memory), carried to the next step"),
    "o": ("cổng ra: phần nào của C đi ra", "output gate: which part of C goes out"),
    "h": ("h: trạng thái ẩn, chuyển sang bước sau", "h: the hidden state, carried to the next step"),
}  # fmt: skip
SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def build_rnn_section() -> None:
    """Lay out the section inside the CNN tab and wire it: an example fills the cell, sequence and weights and runs
    at once; Run recomputes what was edited; the step slider writes out the chosen time step."""
    ui = _rnn_panel()
    boxes = list(ui.gates.values())
    ins = [ui.cell, ui.sequence, *boxes]
    outs = [ui.summary, ui.table, ui.step, ui.step_html, ui.grads]
    ui.example.input(rnn_example, ui.example, [*ins, *outs], api_visibility="private", **QUICK_GROUP)
    ui.cell.input(rnn_cell_shown, ui.cell, boxes, api_visibility="private", **QUICK_GROUP)
    ui.run.click(rnn_run, ins, outs, api_visibility="private", **QUICK_GROUP)
    ui.step.input(rnn_step, [*ins, ui.step], ui.step_html, api_visibility="private", **QUICK_GROUP)


def _rnn_panel() -> SimpleNamespace:
    gr.Markdown(
        tr(
            "cnn.rnn_intro",
            "### Mạng hồi quy: RNN và LSTM, từng bước thời gian\n"
            "RNN (báo cáo 001, 2.1.1): **a⟨t⟩ = tanh(W_aa·a⟨t−1⟩ + W_ax·x⟨t⟩ + b_a)**, cùng trọng số ở mọi bước. "
            "LSTM (báo cáo 003): các cổng f, i, o = σ(W·[h(t−1), x(t)] + b), C~ = tanh(…), "
            "**C(t) = f·C(t−1) + i·C~**, **h(t) = o·tanh(C(t))**. Mỗi cổng có một hàng cho mỗi đơn vị ẩn: trọng số "
            "trên h(t−1), trên x(t), rồi bias. Chuỗi: một bước mỗi số (hoặc mỗi dòng / dấu ; một véc-tơ). "
            "Lan truyền ngược theo thời gian (báo cáo 001, 2.1.3) cộng đóng góp của mọi bước t; bảng cuối đo "
            "‖∂h_T/∂h_t‖ bằng autograd: nó teo lại khi t lùi về đầu chuỗi, đó là gradient biến mất.",
            "### Recurrent networks: RNN and LSTM, one time step at a time\n"
            "RNN (report 001, 2.1.1): **a⟨t⟩ = tanh(W_aa·a⟨t−1⟩ + W_ax·x⟨t⟩ + b_a)**, the same weights at every step. "
            "LSTM (report 003): gates f, i, o = σ(W·[h(t−1), x(t)] + b), C~ = tanh(…), "
            "**C(t) = f·C(t−1) + i·C~**, **h(t) = o·tanh(C(t))**. Each gate has one row per hidden unit: weights on "
            "h(t−1), on x(t), then the bias. Sequence: one step per number (or one vector per line / ';'). "
            "Backpropagation through time (report 001, 2.1.3) adds up a contribution from every step t; the last "
            "table measures ‖∂h_T/∂h_t‖ by autograd: it shrinks as t goes back to the start, the vanishing gradient.",
        )
    )
    example = gr.Radio(
        [(tr(f"cnn.cell.{k}", *CELL_TEXT[k]), k) for k in CELL_EXAMPLES],
        value=None,
        label=tr("cnn.cell_examples", "Ví dụ (trọng số chọn ở đây)", "Examples (weights chosen here)"),
        elem_id="rnn_examples",
    )
    with gr.Row():
        cell = gr.Radio([("RNN", "rnn"), ("LSTM", "lstm")], value="lstm", label=tr("cnn.cell", "Ô", "Cell"))
        sequence = gr.Textbox(
            CELL_EXAMPLES["lstm_short"].sequence,
            label=tr("cnn.sequence", "Chuỗi x(1) … x(T)", "Sequence x(1) … x(T)"),
            scale=3,
        )
        run = gr.Button(tr("cnn.rnn_run", "Chạy", "Run"), variant="primary")
    with gr.Row():
        start = {**CELL_EXAMPLES["rnn_short"].weights, **CELL_EXAMPLES["lstm_short"].weights}
        gates = {
            g: gr.Textbox(start[g], lines=2, label=tr(f"cnn.gate_{g}", *GATE_LABELS[g]), visible=g != "a")
            for g in GATE_LABELS
        }
    summary = gr.Markdown(elem_id="rnn_summary")
    table = gr.HTML(elem_id="rnn_table")
    step = gr.Slider(1, 2, value=1, step=1, label=tr("cnn.rnn_step", "Bước thời gian t", "Time step t"))
    step_html = gr.HTML(elem_id="rnn_step")
    grads = gr.HTML(elem_id="rnn_grads")
    return SimpleNamespace(**locals())  # the components, by name


# --- handlers: plain values in and out; tests call them directly ----------------------------------------------------


@shows_user_errors
def rnn_run(cell, sequence, a, f, i, c, o, request: gr.Request | None = None):
    """Summary in words, every gate per step, the step slider at t = 1 and that step, the gradient through time."""
    cell, weights, run = _rnn_parse(cell, sequence, (a, f, i, c, o))
    hidden, T, d = len(run.steps[0].values["h"]), len(run.steps), len(run.steps[0].x)
    last = _vec(run.steps[-1].values["h"])
    summary = say(
        request,
        f"{cell.upper()} với {hidden} đơn vị ẩn, đầu vào {d} số mỗi bước, {T} bước. h₀ = 0"
        + (", C₀ = 0" if cell == "lstm" else "")
        + f"; mỗi bước dùng h của bước trước. Trạng thái ẩn cuối h_T = {last}.",
        f"{cell.upper()} with {hidden} hidden units, {d} input number(s) per step, {T} steps. h₀ = 0"
        + (", C₀ = 0" if cell == "lstm" else "")
        + f"; each step takes the previous step's h. Final hidden state h_T = {last}.",
    )
    return (
        summary,
        _rnn_table(run, request),
        slider_reset(T, first=1),  # time steps count from t = 1
        _rnn_step_html(cell, weights, run.steps[0], request),
        _rnn_grads(run, request),
    )


def rnn_step(cell, sequence, a, f, i, c, o, t, request: gr.Request | None = None) -> str:
    """Time step `t` written out; empty while the inputs cannot compute (Run says why)."""
    try:
        cell, weights, run = _rnn_parse(cell, sequence, (a, f, i, c, o))
        step = step_at(run.steps, t, first=1, most=MAX_STEPS, what=("Time step", "Bước thời gian"))
    except ValueError:
        return ""
    return _rnn_step_html(cell, weights, step, request)


def rnn_cell_shown(cell):
    """Only the chosen cell's weight boxes are shown."""
    return [gr.update(visible=(g == "a") == (cell == "rnn")) for g in GATE_LABELS]


def rnn_example(key, request: gr.Request | None = None):
    """A preset: its cell, sequence and weights (only its cell's boxes shown), then everything Run shows."""
    ex = chosen_example(key, CELL_EXAMPLES)
    texts = [ex.weights.get(g, "") for g in GATE_LABELS]
    # The other cell's boxes keep what they hold (switching cells back finds its weights), only hidden.
    shown = [
        gr.update(value=t, visible=True) if g in ex.weights else gr.update(visible=False)
        for g, t in zip(GATE_LABELS, texts)
    ]
    return (ex.cell, ex.sequence, *shown, *rnn_run.__wrapped__(ex.cell, ex.sequence, *texts, request))


# --- what the handlers share ----------------------------------------------------------------------------------------


def _vec(v) -> str:
    return "[" + ", ".join(_r3(x) for x in np.asarray(v).ravel()) + "]"


def _r3(x: float) -> str:
    text = f"{x:.3f}"
    return "0.000" if text == "-0.000" else text


def _rnn_parse(cell, sequence, texts):
    """(cell, weights, run) for the cell's name, the sequence's text and the five weight boxes' texts; raises
    ValueError (InputError, a parse error) for bad input."""
    (cell,) = checked_choices((cell, CELLS, ("Cell", "Ô")))
    xs = parse_sequence(sequence)
    weights = parse_weights(cell, dict(zip(GATE_LABELS, texts)), xs.shape[1])
    return cell, weights, run_cell(cell, xs, weights)


def _rnn_table(run, request) -> str:
    names = ["h"] if run.cell == "rnn" else ["f", "i", "c", "C", "o", "h"]
    head = ["t", "x(t)"] + [{"c": "C~"}.get(n, n) + "(t)" for n in names]
    th = "".join(f'<th style="{CELL_STYLE}">{h}</th>' for h in head)
    rows = []
    for s in run.steps:
        cells = [str(s.t), _vec(s.x)] + [_vec(s.values[n]) for n in names]
        rows.append("<tr>" + "".join(f'<td style="{CELL_STYLE}">{c}</td>' for c in cells) + "</tr>")
    caption = say(request, "Giá trị của từng cổng ở mỗi bước", "Every gate's value at each step")
    return (
        '<table class="rnn-table" style="border-collapse:collapse">'
        f'<caption style="caption-side:top;text-align:left;white-space:nowrap">{caption}</caption>'
        f"<tr>{th}</tr>{''.join(rows)}</table>"
    )


def _dot(w_row, hx) -> str:
    return " + ".join(f"{_p3(a)}·{_p3(b)}" for a, b in zip(w_row, hx))


def _p3(x: float) -> str:
    """A factor in a written-out product: negatives in parentheses, "0.5·(-1.000)" not "0.5·-1.000"."""
    return f"({_r3(x)})" if _r3(x).startswith("-") else _r3(x)


def _rnn_step_html(cell, weights, s, request) -> str:
    """Time step s (one of a run's steps) written out unit by unit: [h(t−1), x(t)], each gate's weighted sum and
    activation, C and h."""
    t = s.t
    sub, prev = str(t).translate(SUB), str(t - 1).translate(SUB)
    hx = np.concatenate([s.h_prev, s.x])
    unit = say(request, "đơn vị", "unit")
    lines = [f"[h{prev}, x{sub}] = {_vec(hx)}" + say(request, "  (h₀ = 0)", "  (h₀ = 0)") * (t == 1)]
    if cell == "rnn":
        w, b = weights["a"]
        for k in range(len(b)):
            lines.append(
                f"h{sub}[{unit} {k + 1}] = tanh({_dot(w[k], hx)} + {_r3(b[k])}) = tanh({_r3(s.z['a'][k])}) "
                f"= {_r3(s.values['h'][k])}"
            )
        words = say(request, *GATE_ROLE["h"])
        return (
            f'<div class="rnn-step"><p>{words}</p><p>' + "<br>".join(f"<code>{x}</code>" for x in lines) + "</p></div>"
        )
    blocks = []
    for g, fn in (("f", "σ"), ("i", "σ"), ("c", "tanh"), ("o", "σ")):
        w, b = weights[g]
        name = "C~" if g == "c" else g
        rows = [
            f"{name}{sub}[{unit} {k + 1}] = {fn}({_dot(w[k], hx)} + {_r3(b[k])}) = {fn}({_r3(s.z[g][k])}) "
            f"= {_r3(s.values[g][k])}"
            for k in range(len(b))
        ]
        blocks.append((say(request, *GATE_ROLE[g]), rows))
    v = s.values
    c_rows = [
        f"C{sub}[{unit} {k + 1}] = f{sub}·C{prev} + i{sub}·C~{sub} = {_p3(v['f'][k])}·{_p3(s.c_prev[k])} + "
        f"{_p3(v['i'][k])}·{_p3(v['c'][k])} = {_r3(v['C'][k])}"
        for k in range(len(v["C"]))
    ]
    h_rows = [
        f"h{sub}[{unit} {k + 1}] = o{sub}·tanh(C{sub}) = {_p3(v['o'][k])}·tanh({_r3(v['C'][k])}) = {_r3(v['h'][k])}"
        for k in range(len(v["h"]))
    ]
    blocks += [(say(request, *GATE_ROLE["C"]), c_rows), (say(request, *GATE_ROLE["h"]), h_rows)]
    body = "".join(
        f"<p>{words}<br>" + "<br>".join(f"<code>{x}</code>" for x in rows) + "</p>" for words, rows in blocks
    )
    return f'<div class="rnn-step"><p><code>{lines[0]}</code></p>{body}</div>'


def _rnn_grads(run, request) -> str:
    """‖∂h_T/∂h_t‖ (and ‖∂h_T/∂C_t‖ for the LSTM) per t, each with a bar on a log scale (a bar per factor of 10)."""
    T = len(run.steps)
    cols = [(f"‖∂h{str(T).translate(SUB)}/∂h(t)‖", run.grad_h)]
    if run.grad_c:
        cols.append((f"‖∂h{str(T).translate(SUB)}/∂C(t)‖", run.grad_c))

    def bar(v):
        width = max(2, int(40 * (5 + np.log10(max(v, 1e-9)))))  # 1 → 200 px, 40 px less per factor of 10
        bar = f'<div style="background:#2563eb;height:10px;width:{width}px"></div>'
        return f'<td style="{CELL_STYLE};text-align:left">{bar}</td>'

    th = "".join(f'<th style="{CELL_STYLE}">{h}</th>' for h in ["t", *(x for c, _ in cols for x in (c, ""))])
    rows = "".join(
        f'<tr><td style="{CELL_STYLE}">{t + 1}</td>'
        + "".join(
            f'<td style="{CELL_STYLE}">{say(request, _vi_e(vals[t]), f"{vals[t]:.2e}")}</td>{bar(vals[t])}'
            for _, vals in cols
        )
        + "</tr>"
        for t in range(T)
    )
    first, last = run.grad_h[0], run.grad_h[-1]
    note = say(
        request,
        f"Đo bằng autograd (một lần lan truyền ngược cho mỗi đơn vị của h_T). Từ t = {T} lùi về t = 1, "
        f"‖∂h_T/∂h_t‖ đi từ {_vi_e(last)} xuống {_vi_e(first)}: phần đóng góp của các bước đầu chuỗi vào ∂L/∂W nhỏ "
        "đi theo đúng tỉ lệ đó. Thanh xanh: thang log, 1 dài 200 px, mỗi lần nhỏ đi 10 lần thì ngắn đi 40 px.",
        f"Measured by autograd (one backward pass per unit of h_T). From t = {T} back to t = 1, ‖∂h_T/∂h_t‖ goes "
        f"from {last:.2e} to {first:.2e}: the early steps' share of ∂L/∂W shrinks by the same factor. "
        "Blue bars: log scale, 1 is 200 px long, 40 px shorter per factor of 10.",
    )
    if run.grad_c:
        note += say(
            request,
            f" Qua trạng thái ô C: {_vi_e(run.grad_c[-1])} ở t = {T}, {_vi_e(run.grad_c[0])} ở t = 1 "
            "(C(t) = f·C(t−1) + …: khi f gần 1, đường này giữ gradient lâu hơn).",
            f" Through the cell state C: {run.grad_c[-1]:.2e} at t = {T}, {run.grad_c[0]:.2e} at t = 1 "
            "(C(t) = f·C(t−1) + …: with f near 1 this path keeps the gradient longer).",
        )
    return f'<table class="rnn-grads" style="border-collapse:collapse"><tr>{th}</tr>{rows}</table><p>{note}</p>'


def _vi_e(x: float, decimals: int = 2) -> str:
    """3,21e-05: the Vietnamese page's decimal comma in scientific notation."""
    return number_text(x, decimals, scientific=True).vi
