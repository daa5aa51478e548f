"""The CNN tab's "Convolution on a multi-channel (RGB) input" section (report 001, 2.2.2.2): one filter as deep as
the input, each channel with its own slice, the channels' sums added with one bias, then ReLU, cell by cell."""

from __future__ import annotations

from types import SimpleNamespace

import gradio as gr
import numpy as np

from core.image.conv_arithmetic import (
    CHANNEL_NAMES,
    MAX_VALUE,
    RGB_EXAMPLES,
    checked_settings,
    conv_channels,
    output_size,
    parse_channels,
)
from core.runtime.inputs import number
from demo.server.fair_queue import QUICK_GROUP
from demo.tabs.cnn_grids import cell_text, grid_html, grid_to_text, side_by_side
from demo.tabs.cnn_steps import chosen_example, slider_reset, step_at
from demo.ui.errors import shows_user_errors
from demo.ui.i18n import say, tr

# The examples (keys of core.image.conv_arithmetic.RGB_EXAMPLES): choice label and the note under the result.
RGB_TEXT = {
    "rgb_small": ("Ảnh 4x4x3, bộ lọc 3x3x3, bias −2 (tự chọn)", "4x4x3 input, 3x3x3 filter, bias −2 (made up)"),
    "rgb_edge": (
        "Cạnh dọc trên ảnh màu: trắng | tím, bộ lọc [1 0 −1] cho mỗi kênh",
        "Vertical edge in colour: white | purple, filter [1 0 −1] on each channel",
    ),
    "report001_edge": (
        "Báo cáo 001: bộ lọc [1 0 −1] trên ảnh xám 6x6 có cạnh giữa cột 3 và 4",
        "Report 001: filter [1 0 −1] on a grey 6x6 image, edge between columns 3 and 4",
    ),
    "report001_window": (
        "Báo cáo 001: ô cửa sổ đầu tiên được in trong báo cáo (= 2)",
        "Report 001: the first window the report prints (= 2)",
    ),
}
RGB_NOTES = {
    "rgb_small": ("Các số do ứng dụng này chọn.", "Numbers chosen here."),
    "rgb_edge": (
        "Trắng = (2, 2, 2), tím = (1, 0, 1), chọn ở đây. Mỗi kênh cho 3·(sáng − tối); ba kênh cộng lại: "
        "3 + 6 + 3 = 12 ở cạnh, 0 ở vùng phẳng.",
        "White = (2, 2, 2), purple = (1, 0, 1), chosen here. Each channel gives 3·(bright − dark); the three channels "
        "add up: 3 + 6 + 3 = 12 on the edge, 0 on flat parts.",
    ),
    "report001_edge": (
        "Báo cáo 001 (2.2.5.1) mô tả ảnh này bằng lời (3 cột sáng, 3 cột tím, bộ lọc làm nổi cạnh giữa cột 3 và "
        "cột 4); các số của hình không có trong văn bản, nên 10 và 0 là chọn ở đây. Đầu ra 6 − 3 + 1 = 4, tức 4x4, "
        "như báo cáo.",
        "Report 001 (2.2.5.1) describes this image in words (3 bright columns, 3 purple ones, the filter highlights "
        "the edge between columns 3 and 4); the figure's numbers are not in its text, so 10 and 0 are chosen here. "
        "Output 6 − 3 + 1 = 4, so 4x4, as in the report.",
    ),
    "report001_window": (
        "Báo cáo 001 (2.2.2.1) chỉ in ô cửa sổ 3x3 đầu tiên của ảnh 6x6 và tổng của nó: 1x1 + 7x0 + 0x(−1) + 4x1 + "
        "4x0 + 1x(−1) + 5x1 + 1x0 + 7x(−1) = 2 (các ô còn lại nằm trong hình). Ở đây là đúng ô cửa sổ đó.",
        "Report 001 (2.2.2.1) prints only the first 3x3 window of its 6x6 image and its sum: 1x1 + 7x0 + 0x(−1) + "
        "4x1 + 4x0 + 1x(−1) + 5x1 + 1x0 + 7x(−1) = 2 (the other cells are in a figure). This is that window.",
    ),
}


def build_rgb_section() -> None:
    """Lay out the section inside the CNN tab and wire it. Clicking an example fills the inputs and computes at
    once (one event, so the first click shows the result); Compute recomputes what was edited; the step slider
    writes out the chosen output cell and colours it on the two maps."""
    ui = _rgb_panel()
    ins = [*ui.chans, *ui.kerns, ui.bias, ui.padding, ui.stride]
    outs = [ui.summary, ui.grids, ui.step, ui.step_html]
    ui.example.input(rgb_example, ui.example, [*ins, *outs], api_visibility="private", **QUICK_GROUP)
    ui.run.click(rgb_compute, ins, outs, api_visibility="private", **QUICK_GROUP)
    ui.step.input(rgb_step, [*ins, ui.step], ui.step_html, api_visibility="private", **QUICK_GROUP)
    ui.step.input(rgb_maps_at, [*ins, ui.step], ui.grids, api_visibility="private", **QUICK_GROUP)


def _rgb_panel() -> SimpleNamespace:
    gr.Markdown(
        tr(
            "cnn.rgb_intro",
            "### Tích chập trên ảnh nhiều kênh (RGB)\n"
            "Báo cáo 001 (2.2.2.2): bộ lọc có **cùng chiều sâu với đầu vào** (mỗi kênh một lát). Mỗi ô đầu ra = tổng "
            "các tích của kênh R với lát R, cộng của G, cộng của B, **cộng một bias**, rồi qua **ReLU = max(0, z)**. "
            "Bộ lọc chỉ trượt ngang và dọc, không trượt theo chiều sâu, nên một bộ lọc cho một bản đồ đầu ra. "
            "Chọn một ví dụ (tính ngay), hoặc sửa các số rồi bấm Tính. Để trống kênh G và B cho ảnh xám.",
            "### Convolution on a multi-channel (RGB) input\n"
            "Report 001 (2.2.2.2): the filter has **the same depth as the input** (one slice per channel). Each output "
            "cell = the sum of products of channel R with slice R, plus G's, plus B's, **plus one bias**, then "
            "**ReLU = max(0, z)**. The filter slides across and down, never through the depth, so one filter gives "
            "one output map. Pick an example (it computes at once), or edit the numbers and press Compute. Leave G "
            "and B empty for a grey image.",
        )
    )
    example = gr.Radio(
        [(tr(f"cnn.rgb.{k}", *RGB_TEXT[k]), k) for k in RGB_EXAMPLES],
        value=None,
        label=tr("cnn.rgb_examples", "Ví dụ", "Examples"),
        elem_id="rgb_examples",
    )
    with gr.Row():
        chans = [
            gr.Textbox(lines=4, label=tr(f"cnn.rgb_ch_{n}", f"Kênh {n} của đầu vào", f"Input channel {n}"))
            for n in CHANNEL_NAMES
        ]
    with gr.Row():
        kerns = [
            gr.Textbox(lines=3, label=tr(f"cnn.rgb_k_{n}", f"Lát {n} của bộ lọc", f"Filter slice {n}"))
            for n in CHANNEL_NAMES
        ]
    with gr.Row():
        bias = gr.Number(0, label=tr("cnn.rgb_bias", "Bias (một số cho cả bộ lọc)", "Bias (one number per filter)"))
        padding = gr.Slider(0, 2, value=0, step=1, label=tr("cnn.padding", "Đệm p", "Padding p"))
        stride = gr.Slider(1, 3, value=1, step=1, label=tr("cnn.stride", "Bước trượt s", "Stride s"))
        run = gr.Button(tr("cnn.compute", "Tính", "Compute"), variant="primary")
    summary = gr.Markdown(elem_id="rgb_summary")
    grids = gr.HTML(elem_id="rgb_output")
    step = gr.Slider(0, 1, value=0, step=1, label=tr("cnn.step", "Bước (ô đầu ra)", "Step (output cell)"))
    step_html = gr.HTML(elem_id="rgb_step")
    return SimpleNamespace(**locals())  # the components, by name


# --- handlers: plain values in and out; tests call them directly ----------------------------------------------------


@shows_user_errors
def rgb_compute(r, g, b, kr, kg, kb, bias, p, s, request: gr.Request | None = None):
    """The size line in words, the maps before and after ReLU, the step slider at the first cell and that cell."""
    channels, kernels, bias, p, s, z, out, steps = _rgb_parse((r, g, b, kr, kg, kb), bias, p, s)
    n, f, depth = channels[0].shape[0], kernels[0].shape[0], len(channels)
    size = output_size(n, f, p, s)
    summary = say(
        request,
        f"Đầu vào {n}x{channels[0].shape[1]}x{depth}, bộ lọc {f}x{f}x{depth}: chiều sâu bộ lọc = chiều sâu đầu vào "
        f"= {depth}. Kích thước: ⌊({n} − {f} + 2·{p}) / {s}⌋ + 1 = **{size}** → đầu ra {z.shape[0]}x{z.shape[1]}x1 "
        f"(một bộ lọc, một bản đồ). Mỗi ô: {depth} tổng các tích (mỗi kênh một tổng) cộng lại, cộng bias "
        f"{cell_text(bias)}, rồi ReLU. {int((z < 0).sum())} ô âm bị ReLU đưa về 0.",
        f"Input {n}x{channels[0].shape[1]}x{depth}, filter {f}x{f}x{depth}: the filter's depth = the input's depth "
        f"= {depth}. Size: ⌊({n} − {f} + 2·{p}) / {s}⌋ + 1 = **{size}** → output {z.shape[0]}x{z.shape[1]}x1 "
        f"(one filter, one map). Each cell: {depth} sums of products (one per channel) added, plus the bias "
        f"{cell_text(bias)}, then ReLU. {int((z < 0).sum())} negative cell(s) set to 0 by ReLU.",
    )
    return (
        summary,
        _rgb_maps(z, out, steps[0], request),
        slider_reset(len(steps)),
        _rgb_step_html(channels, kernels, p, steps[0], request),
    )


def rgb_step(r, g, b, kr, kg, kb, bias, p, s, index, request: gr.Request | None = None) -> str:
    """Output cell `index` written out; empty while the inputs cannot compute (Compute says why)."""
    try:
        channels, kernels, _, p, _, _, _, steps = _rgb_parse((r, g, b, kr, kg, kb), bias, p, s)
        st = step_at(steps, index)
    except ValueError:
        return ""
    return _rgb_step_html(channels, kernels, p, st, request)


def rgb_maps_at(r, g, b, kr, kg, kb, bias, p, s, index, request: gr.Request | None = None) -> str:
    """The two maps with output cell `index` coloured (follows the step slider); unchanged while the inputs cannot
    compute."""
    try:
        *_, z, out, steps = _rgb_parse((r, g, b, kr, kg, kb), bias, p, s)
        st = step_at(steps, index)
    except ValueError:
        return gr.update()
    return _rgb_maps(z, out, st, request)


def rgb_example(key, request: gr.Request | None = None):
    """A preset: its channels, kernel slices, bias, p = 0, s = 1, then everything Compute shows, with its note."""
    ex = chosen_example(key, RGB_EXAMPLES)
    chans = [grid_to_text(c) for c in ex.channels] + [""] * (3 - len(ex.channels))
    kerns = [grid_to_text(k) for k in ex.kernels] + [""] * (3 - len(ex.kernels))
    summary, maps, step, html = rgb_compute.__wrapped__(*chans, *kerns, ex.bias, 0, 1, request)
    return (*chans, *kerns, ex.bias, 0, 1, f"{summary}\n\n{say(request, *RGB_NOTES[key])}", maps, step, html)


# --- what the handlers share ----------------------------------------------------------------------------------------


def _rgb_parse(texts, bias, p, s):
    """The channels and kernel slices read from their six boxes, the checked bias and settings, and the result:
    (channels, kernels, bias, p, s, z, out, steps). Raises ValueError (InputError, GridError) for bad input."""
    channels = parse_channels(texts[:3])
    kernels = parse_channels(texts[3:], max_size=5)
    bias = number(bias, ("Bias", "Bias"), -MAX_VALUE, MAX_VALUE)
    p, s, _ = checked_settings(p, s)
    return channels, kernels, bias, p, s, *conv_channels(channels, kernels, bias, padding=p, stride=s)


def _rgb_maps(z, out, st, request) -> str:
    """The map before ReLU beside the map after it, the step's output cell coloured on both."""
    words = say(request, "z = tổng + bias (trước ReLU)", "z = sums + bias (before ReLU)"), "ReLU(z)"
    cell = (st.row, st.col, 1)
    return side_by_side(grid_html(z, mark=cell, caption=words[0]), grid_html(out, mark=cell, caption=words[1]))


def _rgb_step_html(channels, kernels, p, st, request) -> str:
    """Each channel with the window coloured and its kernel slice, then the per-channel sums written out, their sum
    with the bias, and ReLU."""
    names = CHANNEL_NAMES if len(channels) > 1 else ("x",)
    f = kernels[0].shape[0]
    boxes = []
    for c, (x, k) in enumerate(zip(channels, kernels)):
        boxes.append(
            grid_html(np.pad(x, p), mark=(st.top, st.left, f), padding=p,
                      caption=say(request, f"Kênh {names[c]}", f"Channel {names[c]}"))
            + grid_html(k, caption=say(request, f"Lát {names[c]}", f"Slice {names[c]}"))
        )  # fmt: skip
    lines = [st.channel_formula(c) for c in range(len(channels))]
    head = say(
        request,
        f"Ô ({st.row}, {st.col}): mỗi kênh nhân từng ô của cửa sổ với lát bộ lọc của nó rồi cộng lại; sau đó cộng "
        "các kênh và bias, rồi ReLU.",
        f"Cell ({st.row}, {st.col}): each channel multiplies its window cell by cell with its own filter slice and "
        "adds; then the channels and the bias are added, then ReLU.",
    )
    formulas = "<br>".join(f"<code>{line}</code>" for line in [*lines, st.sum_formula(), st.relu_formula()])
    channel_boxes = [f'<div style="display:flex;gap:6px">{b}</div>' for b in boxes]  # a channel beside its slice
    return f'<div class="rgb-step"><p>{head}</p>' + side_by_side(*channel_boxes, gap=18) + f"<p>{formulas}</p></div>"
