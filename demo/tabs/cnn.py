"""Tab "How a CNN computes": its builder, and its first section, the arithmetic of one convolution on a grid of
numbers (typed, from the slides, or from a photo), cell by cell.

The tab's other sections are modules of their own, each a `build_..._section` and its handlers:
cnn_rgb (convolution on a multi-channel input), cnn_pooling (pooling window by window), cnn_layer_table (a model's
layers, and the course's LeNet-5 table checked), cnn_feature_maps (a trained model's first feature maps), cnn_rnn
(RNN and LSTM cells step by step) and cnn_skip_connections (skip connections against vanishing gradients).
cnn_grids draws the grids of numbers they show; cnn_steps holds what their examples and step sliders share.
"""

from __future__ import annotations

from types import SimpleNamespace

import gradio as gr
import numpy as np

from core.image.conv_arithmetic import (
    KERNELS,
    SLIDE_EXAMPLES,
    checked_settings,
    conv2d,
    output_size,
    parse_grid,
    pool2d,
)
from core.runtime.inputs import number
from demo.server import first_run
from demo.server.fair_queue import QUICK_GROUP
from demo.tabs.cnn_feature_maps import build_feature_maps_section
from demo.tabs.cnn_grids import cell_text, grid_html, grid_to_text, window_and_cell
from demo.tabs.cnn_layer_table import build_layer_table_section
from demo.tabs.cnn_pooling import build_pooling_section
from demo.tabs.cnn_rgb import build_rgb_section
from demo.tabs.cnn_rnn import build_rnn_section
from demo.tabs.cnn_skip_connections import build_skip_connections_section
from demo.tabs.cnn_steps import slider_reset, step_at
from demo.ui.components import image_input, read_user_image
from demo.ui.errors import localized, shows_user_errors
from demo.ui.i18n import lang_of, tr

# The slides' worked examples (keys of core.image.conv_arithmetic.SLIDE_EXAMPLES): dropdown label, note (vi, en).
EXAMPLE_TEXT = {
    "slide_convolution": (
        "Slide: tích chập lưới 5x5 (out[0][0] = 16)",
        "Slide: convolution of a 5x5 grid (out[0][0] = 16)",
    ),
    "slide_binary": (
        "Slide: ảnh nhị phân 5x5 (hàng đầu 4 3 4; bộ lọc suy ra từ kết quả)",
        "Slide: binary 5x5 image (first row 4 3 4; kernel inferred from the outputs)",
    ),
    "slide_max_pool": (
        "Slide: gộp cực đại 2x2, bước 2 (9 7 / 8 6)",
        "Slide: max pooling 2x2, stride 2 (9 7 / 8 6)",
    ),
    "slide_avg_pool": (
        "Slide: gộp trung bình 2x2, bước 2 (4.25 4.25 / 4.25 3.5)",
        "Slide: average pooling 2x2, stride 2 (4.25 4.25 / 4.25 3.5)",
    ),
}
# Display names of core.image.conv_arithmetic.KERNELS (the values stay the English names).
KERNEL_TEXT = {
    "edge (Laplacian)": ("phát hiện cạnh (Laplace)", "edge (Laplacian)"),
    "Sobel x": ("Sobel x (cạnh dọc)", "Sobel x (vertical edges)"),
    "Sobel y": ("Sobel y (cạnh ngang)", "Sobel y (horizontal edges)"),
    "blur (box 1/9)": ("làm mờ (trung bình 1/9)", "blur (box 1/9)"),
    "sharpen": ("làm sắc nét", "sharpen"),
    "slide example": ("ví dụ trong slide bài giảng", "slide example"),
    "slide example (binary image)": ("ví dụ ảnh nhị phân trong slide", "slide example (binary image)"),
}


def build_cnn_tab(profile: str) -> None:
    """The tab's heading and its sections, top to bottom."""
    gr.Markdown(
        tr(
            "cnn.heading",
            "## Mạng nơ-ron tính như thế nào: tích chập (ảnh xám và RGB), gộp, các lớp, RNN/LSTM, kết nối tắt",
            "## How the networks compute: convolution (grey and RGB), pooling, layers, RNN/LSTM, skip connections",
        )
    )
    build_convolution_section()
    build_rgb_section()
    build_pooling_section()
    build_layer_table_section()
    build_feature_maps_section(profile)  # the only section that runs a model, so the only one the profile changes
    build_rnn_section()
    build_skip_connections_section()


def build_convolution_section() -> None:
    """Lay out the convolution arithmetic section and wire it."""
    gr.Markdown(
        tr(
            "cnn.intro",
            "### Tích chập hoạt động thế nào\n"
            "Gõ một lưới số (hoặc lấy từ một bức ảnh), chọn bộ lọc, đệm và bước trượt, rồi đi qua từng ô của đầu ra: "
            "mỗi ô là một tổng các tích. Kích thước đầu ra: **⌊(n − f + 2p) / s⌋ + 1**.",
            "### How a convolution computes\n"
            "Type a grid (or take one from a photo), pick a kernel, padding and stride, and step through the output: "
            "each cell is a sum of products. Output size: **⌊(n − f + 2p) / s⌋ + 1**.",
        )
    )
    ui = _arithmetic_panel()
    ins = [ui.grid_box, ui.kernel_box, ui.padding, ui.stride, ui.pool_mode]
    outs = [ui.size_md, ui.output_df, ui.pooled_df, ui.step, ui.step_md]
    # The quick group: arithmetic and tables keep answering while model calls fill their own queue.
    ui.run.click(compute, ins, outs, api_visibility="private", **QUICK_GROUP)
    # A new grid (typed, from a photo, from an example), kernel or setting recomputes the output and the step view
    # at once: no stale slide output beside a new grid. While the text cannot compute (a row half typed) the size
    # line says why and the output is cleared; the Compute button shows the same message as an error.
    for changed in ins:
        changed.change(recompute, ins, outs, api_visibility="private", trigger_mode="always_last", **QUICK_GROUP)
    picked = [ui.grid_box, ui.kernel_box, ui.preset, ui.padding, ui.stride, ui.pool_mode]
    ui.example.input(pick_example, ui.example, picked, api_visibility="private")
    ui.step.change(show_step, [*ins[:4], ui.step], ui.step_md, api_visibility="private", **QUICK_GROUP)
    ui.preset.input(pick_kernel, ui.preset, ui.kernel_box, api_visibility="private")
    ui.photo.change(from_photo, [ui.photo, ui.photo_size], ui.grid_box, preprocess=False, api_visibility="private",
                    **QUICK_GROUP)  # fmt: skip
    ui.photo_size.change(from_photo, [ui.photo, ui.photo_size], ui.grid_box, preprocess=False,
                         api_visibility="private", trigger_mode="always_last", **QUICK_GROUP)  # fmt: skip


def _arithmetic_panel() -> SimpleNamespace:
    """The worked examples, grid, kernel and settings, and the output, pooled and step views."""
    first = SLIDE_EXAMPLES["slide_convolution"]
    # The slides' example is computed once here, so the tab opens with its output and first step already shown.
    grid0, kernel0 = grid_to_text(first.grid), grid_to_text(first.kernel)
    initial = conv_result(grid0, kernel0, first.padding, first.stride, first.pool)
    example = gr.Dropdown(
        [(tr(f"cnn.example.{key}", *EXAMPLE_TEXT[key]), key) for key in SLIDE_EXAMPLES],
        value="slide_convolution",
        label=tr("cnn.example", "Ví dụ trong slide bài giảng", "Worked examples from the slides"),
        info=tr(
            "cnn.example_info",
            "Ví dụ gộp dùng bộ lọc 1x1 bằng 1, giữ nguyên lưới, nên ô “Sau khi gộp” gộp chính lưới của slide.",
            "The pooling examples use a 1x1 kernel of 1, which copies the grid, so “After pooling” pools the "
            "slide's grid itself.",
        ),
    )
    grid_box, photo, photo_size, preset, kernel_box, padding, stride, pool_mode, run = _arithmetic_inputs(first)
    size_md = gr.Markdown(tr("cnn.initial_size", initial["size"]["vi"], initial["size"]["en"]))
    # Plain HTML tables: a gr.Dataframe adds a header row ("1 2 3") that reads like the first row of the output.
    with gr.Row():
        with gr.Column():
            gr.Markdown(tr("cnn.output", "Bản đồ đặc trưng đầu ra", "Output feature map"), elem_classes="cnn-title")
            output_df = gr.HTML(grid_html(initial["output"]), elem_id="cnn_output")
        with gr.Column():
            gr.Markdown(tr("cnn.pooled", "Sau khi gộp", "After pooling"), elem_classes="cnn-title")
            pooled_df = gr.HTML(grid_html(initial["pooled"]), elem_id="cnn_pooled")
    step = gr.Slider(
        0, initial["steps"] - 1, value=0, step=1, label=tr("cnn.step", "Bước (ô đầu ra)", "Step (output cell)")
    )
    # Built before any visitor, so its two grids' captions are in both languages; each page load shows it in the
    # visitor's own (first_run.on_page_load).
    step_md = gr.HTML(_initial_step(first), elem_id="cnn_step")
    first_run.on_page_load(
        lambda request: [show_step(grid0, kernel0, first.padding, first.stride, 0, request)], [step_md]
    )
    return SimpleNamespace(**locals())  # the components, by name


def _arithmetic_inputs(first) -> tuple:
    """Grid (typed or from a photo), kernel preset and text, padding, stride, pooling, the Compute button."""
    with gr.Row():
        with gr.Column():
            grid_box = gr.Textbox(
                grid_to_text(first.grid),
                lines=6,
                label=tr("cnn.grid", "Lưới đầu vào (các hàng số)", "Input grid (rows of numbers)"),
            )
            with gr.Row():
                photo = image_input(
                    label=tr("cnn.from_photo", "…hoặc một ảnh, được thu nhỏ", "…or a photo, downscaled"),
                    height=140,
                    sources=["upload", "clipboard"],
                    elem_id="cnn_photo",
                )
                photo_size = gr.Slider(
                    4, 16, value=8, step=1, label=tr("cnn.photo_size", "Cỡ lưới lấy từ ảnh", "Grid size from photo")
                )
        with gr.Column():
            preset = gr.Dropdown(
                [(tr(f"cnn.kernel.{_slug(k)}", *KERNEL_TEXT.get(k, (k, k))), k) for k in KERNELS],
                value="slide example",
                label=tr("cnn.preset", "Bộ lọc có sẵn", "Kernel preset"),
            )
            kernel_box = gr.Textbox(
                grid_to_text(first.kernel),
                lines=3,
                label=tr("cnn.kernel", "Bộ lọc (kernel) 3x3, sửa được", "Kernel 3x3 (editable)"),
            )
            with gr.Row():
                padding = gr.Slider(0, 2, value=first.padding, step=1, label=tr("cnn.padding", "Đệm p", "Padding p"))
                stride = gr.Slider(1, 3, value=first.stride, step=1, label=tr("cnn.stride", "Bước trượt s", "Stride s"))
                pool_mode = gr.Radio(
                    [
                        (tr("cnn.pool_max", "gộp cực đại", "max"), "max"),
                        (tr("cnn.pool_avg", "gộp trung bình", "average"), "avg"),
                    ],
                    value=first.pool,
                    label=tr("cnn.pooling", "Gộp 2x2", "Pooling 2x2"),
                )
            run = gr.Button(tr("cnn.compute", "Tính", "Compute"), variant="primary")
    return grid_box, photo, photo_size, preset, kernel_box, padding, stride, pool_mode, run


# --- handlers: plain values in and out; tests and the public API (demo/api.py) call them directly -------------------


@shows_user_errors
def compute(grid_text, kernel_text, p, s, mode, request: gr.Request | None = None):
    """The size line, output, pooled output (HTML tables), the step slider reset to the first cell, and that cell's
    step view (formula, input window and output cell coloured)."""
    result = conv_result(grid_text, kernel_text, p, s, mode)  # NaN, 1e400, "median": a clear message
    return (
        result["size"][lang_of(request)],
        grid_html(result["output"]),
        grid_html(result["pooled"]),
        slider_reset(result["steps"]),
        show_step(grid_text, kernel_text, p, s, 0, request),
    )


def recompute(grid_text, kernel_text, p, s, mode, request: gr.Request | None = None):
    """`compute` for an input that changed (typed, a photo, an example): a grid that cannot compute yet (a row half
    typed) shows why in the size line, in the visitor's language, and clears the output, without an error box."""
    from core.runtime.messages import UserError

    try:
        return compute.__wrapped__(grid_text, kernel_text, p, s, mode, request)
    except (UserError, ValueError) as exc:
        return f"⚠ {localized(request, exc)}", "", "", gr.update(), ""


def show_step(grid_text, kernel_text, p, s, index, request: gr.Request | None = None) -> str:
    """The formula of output cell `index`, its window coloured on the padded input and the cell coloured on the
    output; empty while the inputs cannot compute."""
    try:
        p, s, _ = checked_settings(p, s)
        grid, kernel = parse_grid(grid_text), parse_grid(kernel_text, max_size=7)
        out, steps = conv2d(grid, kernel, padding=p, stride=s)
        st = step_at(steps, index)
    except ValueError:  # the Compute button says what is wrong; the step view just stays empty meanwhile
        return ""
    return _step_html(grid, p, st, kernel.shape[0], out, lang_of(request))


def _initial_step(first) -> str:
    """The slide example's first step for the page as built (no request yet): captions in both languages."""
    grid, kernel = np.asarray(first.grid, dtype=float), np.asarray(first.kernel, dtype=float)
    out, steps = conv2d(grid, kernel, padding=first.padding, stride=first.stride)
    html = _step_html(grid, first.padding, steps[0], kernel.shape[0], out, "en")
    return html.replace("Input (padded)", "Đầu vào (đã đệm) / Input (padded)").replace(">Output<", ">Đầu ra / Output<")


@shows_user_errors
def from_photo(payload, size, request: gr.Request | None = None):
    """A photo, greyscale and downscaled to size x size, as grid text (no photo: the grid stays)."""
    if payload is None:
        return gr.update()
    size = number(size, ("Grid size", "Cỡ lưới"), 4, 16, integer=True)
    grey = read_user_image(payload).image.convert("L").resize((size, size))
    return grid_to_text(np.asarray(grey))


def pick_kernel(name):
    """A preset's kernel as text (an unknown name leaves the kernel box as it is)."""
    return grid_to_text(KERNELS[name]) if name in KERNELS else gr.update()


def pick_example(key):
    """A worked example of the slides: grid, kernel, its preset name, padding, stride, pooling."""
    ex = SLIDE_EXAMPLES[key]
    named = next((name for name, k in KERNELS.items() if k == ex.kernel), None)
    return grid_to_text(ex.grid), grid_to_text(ex.kernel), named, ex.padding, ex.stride, ex.pool


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name.lower()).strip("_")


def _step_text(grid, padding, step, f) -> str:
    return f"`{step.formula()}`\n\n" + _highlight(grid, padding, step.top, step.left, f)


def conv_result(grid_text: str, kernel_text: str, p, s, mode: str) -> dict:
    """Everything the convolution panel shows; the size line in both languages. Raises ValueError (Bilingual)."""
    grid, kernel = parse_grid(grid_text), parse_grid(kernel_text, max_size=7)
    p, s, mode = checked_settings(p, s, mode)  # the API may send NaN, 1e400 or "median": InputError, a ValueError
    out, steps = conv2d(grid, kernel, padding=p, stride=s)
    pooled = pool2d(out, mode=mode) if min(out.shape) >= 2 else out
    n, f = grid.shape[0], kernel.shape[0]
    shape = f"{out.shape[0]}x{out.shape[1]}"
    formula = f"n = {n}, f = {f}, p = {p}, s = {s}: ⌊({n} − {f} + 2·{p}) / {s}⌋ + 1 = **{output_size(n, f, p, s)}** → "
    return {
        "size": {"vi": formula + f"đầu ra {shape}", "en": formula + f"output {shape}"},
        "output": out.round(3).tolist(),
        "pooled": pooled.round(3).tolist(),
        "steps": len(steps),
        "step": _step_text(grid, p, steps[0], f),
    }


# --- what the handlers share ----------------------------------------------------------------------------------------


def _highlight(grid: np.ndarray, padding: int, top: int, left: int, f: int) -> str:
    """Markdown table of the padded input with the kernel's window in bold (padding shown as 0): the API's step."""
    padded = np.pad(grid, padding)
    lines = [
        "| "
        + " | ".join(
            f"**{cell_text(v)}**" if top <= i < top + f and left <= j < left + f else cell_text(v)
            for j, v in enumerate(row)
        )
        + " |"
        for i, row in enumerate(padded)
    ]
    header = "| " + " | ".join(" " for _ in range(padded.shape[1])) + " |"
    return "\n".join([header, "|" + "---|" * padded.shape[1], *lines])


def _step_html(grid, padding: int, step, f: int, out: np.ndarray, lang: str) -> str:
    """The formula of one output cell, the padded input with its window coloured, and the output with that cell
    coloured, side by side."""
    words = {"vi": ("Đầu vào (đã đệm)", "Đầu ra"), "en": ("Input (padded)", "Output")}[lang if lang == "vi" else "en"]
    padded = np.pad(np.asarray(grid, dtype=float), padding)
    return (
        f'<div class="cnn-step"><p><code>{step.formula()}</code></p>'
        + window_and_cell(padded, out, step, f, words, padding=padding)
        + "</div>"
    )
