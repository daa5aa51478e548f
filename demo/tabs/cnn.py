"""Tab "How a CNN computes": convolution arithmetic (grey and RGB input), pooling window by window, layer tables,
feature maps, RNN/LSTM cells step by step, and skip connections against vanishing gradients."""

from __future__ import annotations

from types import SimpleNamespace

import gradio as gr
import numpy as np

from core.catalog import ZOO
from core.image.conv_arithmetic import (
    CHANNEL_NAMES,
    KERNELS,
    MAX_GRID,
    MAX_VALUE,
    RGB_EXAMPLES,
    SLIDE_EXAMPLES,
    checked_settings,
    conv2d,
    conv_channels,
    output_size,
    parse_channels,
    parse_grid,
    pool2d,
)
from core.image.pooling import POOL_EXAMPLES
from core.runtime.inputs import number
from core.text.rnn_steps import CELL_EXAMPLES
from demo.server import first_run
from demo.server.fair_queue import QUICK_GROUP
from demo.server.gpu import gpu_task
from demo.ui.components import checked_choices, image_file, image_input, read_user_image
from demo.ui.errors import localized, shows_user_errors
from demo.ui.i18n import lang_of, say, tr
from demo.ui.wiring import for_profile, reveal

# Notes under the layer table, per LeNet-5 choice (vi, en).
LENET_NOTES = {
    "lenet5_course": (
        "Mạng mà bảng LeNet-5 của môn học mô tả (đầu vào 32x32x3, 8 rồi 16 bộ lọc 5x5 — phần chữ nói 6 bộ lọc, bảng "
        "ghi 8 — rồi các lớp 120, 84 và 10 nơ-ron), dựng từ các mô-đun thật. Kích thước đầu ra và số giá trị kích "
        "hoạt khớp với bảng ở mọi hàng; số tham số thì sai theo hai quy tắc. Các hàng tích chập bỏ qua chiều sâu của "
        "đầu vào: một bộ lọc 5x5 trên 3 kênh có 5·5·3 trọng số cộng 1 bias, nên CONV1 có 8 × 76 = 608 chứ không phải "
        "208 (CONV2: 16 × 201 = 3.216, không phải 416). Các hàng kết nối đầy đủ cộng một bias cho cả lớp thay vì một "
        "bias cho mỗi nơ-ron: FC3 có 400·120 + 120 = 48.120, không phải 48.001. Bảng không nói hàm kích hoạt hay "
        "kiểu gộp; ở đây dùng ReLU và gộp trung bình, cả hai đều không có tham số.",
        "The network the course's LeNet-5 table describes (32x32x3 input, 8 then 16 filters of 5x5 — its text says 6 "
        "filters, its table 8 — then layers of 120, 84 and 10 units), built from real modules. Output shapes and "
        "activation sizes agree with the table on every row; the parameter counts break two rules. The convolution "
        "rows ignore the input depth: a 5x5 filter on 3 channels has 5·5·3 weights plus 1 bias, so CONV1 has 8 × 76 "
        "= 608, not 208 (CONV2: 16 × 201 = 3,216, not 416). The fully connected rows add one bias for the whole layer "
        "instead of one per unit: FC3 has 400·120 + 120 = 48,120, not 48,001. The table names no activation or "
        "pooling kind; ReLU and average pooling are used here, neither has parameters.",
    ),
    "lenet5": (
        "LeNet-5 hiện đại (1 kênh, 6 rồi 16 bộ lọc, ReLU, gộp cực đại, C3 nối đầy đủ, có bias ở mọi lớp).",
        "Modern LeNet-5 (1 channel, 6 then 16 filters, ReLU, max-pooling, full C3 connections, biases everywhere).",
    ),
    "lenet5_1998": (
        "LeNet-5 như bài báo năm 1998: C3 chỉ nối mỗi bản đồ đặc trưng với một số bản đồ của S2 (1.516 tham số thay "
        "vì 2.416), S2 và S4 có một hệ số và một bias huấn luyện được cho mỗi bản đồ (12 + 32), và lớp đầu ra là 10 "
        "nơ-ron hàm cơ sở xuyên tâm không có bias (840).",
        "LeNet-5 as published in 1998: C3 connects each map to only some of S2's maps (1,516 parameters instead of "
        "2,416), S2 and S4 have a trainable coefficient and bias per map (12 + 32), and the output is a layer of 10 "
        "radial basis function units without biases (840).",
    ),
}
LENET_CHOICES = {
    "lenet5_course": ("LeNet-5 trong bảng của môn học (3x32x32, 8 và 16 bộ lọc)", "LeNet-5 of the course's table "
                      "(3x32x32, 8 and 16 filters)"),
    "lenet5": ("LeNet-5 hiện đại (1x32x32, 6 và 16 bộ lọc)", "LeNet-5, modern (1x32x32, 6 and 16 filters)"),
    "lenet5_1998": ("LeNet-5 bản gốc năm 1998", "LeNet-5, the 1998 original"),
}  # fmt: skip
TABLE_MODELS = (*LENET_CHOICES, *(z.name for z in ZOO))  # what /layer_table accepts: the dropdown's values
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
MAPS_MODELS = ("simple_cnn", "cnn_transformer", "channel_token_vit", "simple_vit")
LAYER_HEADERS = {
    "vi": ["lớp", "loại", "kích thước đầu ra", "số giá trị kích hoạt", "tham số"],
    "en": ["layer", "type", "output shape", "activations", "params"],
}
COURSE_HEADERS = {
    "vi": [
        "hàng trong bảng của môn học", "mô-đun", "kích thước đầu ra (HxWxC)", "số giá trị kích hoạt", "tham số (đo)",
        "tham số (bảng in)", "công thức", "số in ra đến từ", "quy tắc bị sai",
    ],
    "en": [
        "course table row", "module", "output shape (HxWxC)", "activations", "params (measured)",
        "params (printed)", "formula", "printed number comes from", "rule it broke",
    ],
}  # fmt: skip


def _grid_text(grid) -> str:
    return "\n".join(" ".join(_fmt(v) for v in row) for row in np.asarray(grid))


def _fmt(v: float) -> str:
    return str(int(round(v))) if abs(v - round(v)) < 1e-9 else f"{v:.2f}"


def _highlight(grid: np.ndarray, padding: int, top: int, left: int, f: int) -> str:
    """Markdown table of the padded input with the kernel's window in bold (padding shown as 0): the API's step."""
    padded = np.pad(grid, padding)
    lines = [
        "| "
        + " | ".join(
            f"**{_fmt(v)}**" if top <= i < top + f and left <= j < left + f else _fmt(v) for j, v in enumerate(row)
        )
        + " |"
        for i, row in enumerate(padded)
    ]
    header = "| " + " | ".join(" " for _ in range(padded.shape[1])) + " |"
    return "\n".join([header, "|" + "---|" * padded.shape[1], *lines])


# The step view's colours: the kernel's window on the input and the output cell it gives (the same amber), padding
# in grey. Explicit text colours, so the cells read the same in Gradio's light and dark themes.
WINDOW_STYLE = "background:#fbbf24;color:#111;font-weight:700;outline:2px solid #b45309"
PAD_STYLE = "background:#e5e7eb;color:#6b7280"
CELL_STYLE = "border:1px solid #9ca3af;padding:2px 8px;text-align:right;font-variant-numeric:tabular-nums"


def grid_html(grid, *, mark: tuple[int, int, int] | None = None, padding: int = 0, caption: str = "") -> str:
    """A grid of numbers as an HTML table without a header row (its first row is data). `mark` = (top, left, size)
    colours a size x size window; cells within `padding` of the edge are the zeros padding added, in grey. The
    cells are numbers formatted here (_fmt): no text from the visitor reaches the HTML."""
    values = np.asarray(grid, dtype=float)
    rows = []
    for i, row in enumerate(values):
        cells = []
        for j, v in enumerate(row):
            style = CELL_STYLE
            if mark and mark[0] <= i < mark[0] + mark[2] and mark[1] <= j < mark[1] + mark[2]:
                style += ";" + WINDOW_STYLE
            elif padding and not (
                padding <= i < values.shape[0] - padding and padding <= j < values.shape[1] - padding
            ):
                style += ";" + PAD_STYLE
            cells.append(f'<td style="{style}">{_fmt(v)}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    head = (
        f'<caption style="caption-side:top;text-align:left;padding-bottom:4px;white-space:nowrap">{caption}</caption>'
        if caption
        else ""
    )
    return f'<table class="cnn-grid" style="border-collapse:collapse;margin:0">{head}{"".join(rows)}</table>'


def _step_html(grid, padding: int, step, f: int, out: np.ndarray, lang: str) -> str:
    """The formula of one output cell, the padded input with its window coloured, and the output with that cell
    coloured, side by side."""
    words = {"vi": ("Đầu vào (đã đệm)", "Đầu ra"), "en": ("Input (padded)", "Output")}[lang if lang == "vi" else "en"]
    padded = np.pad(np.asarray(grid, dtype=float), padding)
    return (
        f'<div class="cnn-step"><p><code>{step.formula()}</code></p>'
        '<div style="display:flex;gap:24px;flex-wrap:wrap;align-items:flex-start">'
        + grid_html(padded, mark=(step.top, step.left, f), padding=padding, caption=words[0])
        + grid_html(out, mark=(step.row, step.col, 1), caption=words[1])
        + "</div></div>"
    )


def build_cnn_tab(profile: str) -> None:
    gr.Markdown(
        tr(
            "cnn.heading",
            "## Mạng nơ-ron tính như thế nào: tích chập (ảnh xám và RGB), gộp, các lớp, RNN/LSTM, kết nối tắt",
            "## How the networks compute: convolution (grey and RGB), pooling, layers, RNN/LSTM, skip connections",
        )
    )
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
    _wire_rgb(_rgb_panel())
    _wire_pool(_pool_panel())
    table_model, table_btn, table_md, table_df = _layers_panel()
    table_btn.click(layer_table_event, table_model, [table_md, table_df], api_visibility="private", **QUICK_GROUP).then(
        reveal, outputs=table_df, api_visibility="private"
    )
    maps_image, maps_model, maps_btn, maps_md, maps_out = _maps_panel()
    event = gpu_task(for_profile(feature_maps, profile))
    maps_btn.click(event, [maps_image, maps_model], [maps_out, maps_md], preprocess=False, concurrency_id="models",
                   api_visibility="private")  # fmt: skip
    _wire_rnn(_rnn_panel())
    _wire_skip(_skip_panel())


# Each section: clicking an example fills its inputs and computes at once (one event, so the first click shows the
# result); the button recomputes what was edited; the step slider writes out the chosen cell or time step.
def _wire_rgb(ui) -> None:
    ins = [*ui.chans, *ui.kerns, ui.bias, ui.padding, ui.stride]
    outs = [ui.summary, ui.grids, ui.step, ui.step_html]
    ui.example.input(rgb_example, ui.example, [*ins, *outs], api_visibility="private", **QUICK_GROUP)
    ui.run.click(rgb_compute, ins, outs, api_visibility="private", **QUICK_GROUP)
    ui.step.input(rgb_step, [*ins, ui.step], ui.step_html, api_visibility="private", **QUICK_GROUP)
    ui.step.input(rgb_maps_at, [*ins, ui.step], ui.grids, api_visibility="private", **QUICK_GROUP)


def _wire_pool(ui) -> None:
    ins = [ui.grid, ui.size, ui.stride, ui.mode]
    outs = [ui.summary, ui.step, ui.step_html]
    ui.example.input(pool_example, ui.example, [*ins, *outs], api_visibility="private", **QUICK_GROUP)
    ui.run.click(pool_compute, ins, outs, api_visibility="private", **QUICK_GROUP)
    ui.step.input(pool_step, [*ins, ui.step], ui.step_html, api_visibility="private", **QUICK_GROUP)


def _wire_rnn(ui) -> None:
    boxes = list(ui.gates.values())
    ins = [ui.cell, ui.sequence, *boxes]
    outs = [ui.summary, ui.table, ui.step, ui.step_html, ui.grads]
    ui.example.input(rnn_example, ui.example, [ui.cell, ui.sequence, *boxes, *outs], api_visibility="private",
                     **QUICK_GROUP)  # fmt: skip
    ui.cell.input(rnn_cell_shown, ui.cell, boxes, api_visibility="private", **QUICK_GROUP)
    ui.run.click(rnn_run, ins, outs, api_visibility="private", **QUICK_GROUP)
    ui.step.input(rnn_step, [*ins, ui.step], ui.step_html, api_visibility="private", **QUICK_GROUP)


def _wire_skip(ui) -> None:
    ins = [ui.depth, ui.width, ui.act, ui.seed]
    outs = [ui.plot, ui.summary]
    ui.example.input(skip_example, ui.example, [*ins, *outs], api_visibility="private", **QUICK_GROUP)
    ui.run.click(skip_compute, ins, outs, api_visibility="private", **QUICK_GROUP)


def _arithmetic_panel() -> SimpleNamespace:
    """The worked examples, grid, kernel and settings, and the output, pooled and step views."""
    first = SLIDE_EXAMPLES["slide_convolution"]
    # The slides' example is computed once here, so the tab opens with its output and first step already shown.
    initial = conv_result(_grid_text(first.grid), _grid_text(first.kernel), first.padding, first.stride, first.pool)
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
    grid0, kernel0 = _grid_text(first.grid), _grid_text(first.kernel)
    first_run.on_page_load(
        lambda request: [show_step(grid0, kernel0, first.padding, first.stride, 0, request)], [step_md]
    )
    return SimpleNamespace(**locals())  # the components, by name


def _arithmetic_inputs(first) -> tuple:
    """Grid (typed or from a photo), kernel preset and text, padding, stride, pooling, the Compute button."""
    with gr.Row():
        with gr.Column():
            grid_box = gr.Textbox(
                _grid_text(first.grid),
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
                _grid_text(first.kernel),
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


def _layers_panel() -> tuple:
    """The layer table's model choice, its button, summary and table."""
    gr.Markdown(
        tr(
            "cnn.layers_intro",
            "### Bảng các lớp\nKích thước đầu ra và số tham số đo được bằng cách chạy mô-đun thật một lần.",
            "### Layer table\nShapes and parameters measured by running the real module once.",
        )
    )
    with gr.Row():
        table_model = gr.Dropdown(
            [(tr(f"cnn.table.{key}", *text), key) for key, text in LENET_CHOICES.items()] + [z.name for z in ZOO],
            value="lenet5_course",
            label=tr("cnn.table_model", "Mô hình", "Model"),
        )
        table_btn = gr.Button(tr("cnn.show_layers", "Xem các lớp", "Show layers"))
    table_md = gr.Markdown()
    # Column names come with the result, in the visitor's language (the frontend does not translate headers), so
    # the table stays hidden until it has them.
    table_df = gr.Dataframe(
        label=tr("cnn.table", "Các lớp của mô hình", "Layers of the model"), interactive=False, visible=False
    )
    return table_model, table_btn, table_md, table_df


def _maps_panel() -> tuple:
    """Photo, zoo model and the first convolution's feature maps."""
    gr.Markdown(
        tr(
            "cnn.maps_intro",
            "### Bản đồ đặc trưng của lớp tích chập đầu tiên trong một mô hình đã huấn luyện",
            "### Feature maps of the first convolution of a trained model",
        )
    )
    with gr.Row():
        maps_image = image_input(label=tr("cnn.maps_photo", "Ảnh", "Photo"), height=200)
        with gr.Column():
            maps_model = gr.Dropdown(
                list(MAPS_MODELS),
                value="simple_cnn",
                label=tr("cnn.maps_model", "Mô hình trong bộ sưu tập (zoo)", "Zoo model"),
            )
            maps_btn = gr.Button(tr("cnn.show_maps", "Xem bản đồ đặc trưng", "Show feature maps"))
            maps_md = gr.Markdown()
    maps_out = gr.Image(
        label=tr(
            "cnn.maps",
            "Bản đồ đặc trưng (mỗi bản đồ được co giãn theo min..max của riêng nó)",
            "Feature maps (each scaled to its own min..max)",
        ),
        interactive=False,
    )
    return maps_image, maps_model, maps_btn, maps_md, maps_out


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
        gr.update(minimum=0, maximum=max(result["steps"] - 1, 1), value=0, step=1),  # a slider needs min < max
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
        index = number(index, ("Step", "Bước"), 0, MAX_GRID * MAX_GRID, integer=True)
        grid, kernel = parse_grid(grid_text), parse_grid(kernel_text, max_size=7)
        out, steps = conv2d(grid, kernel, padding=p, stride=s)
    except ValueError:  # the Compute button says what is wrong; the step view just stays empty meanwhile
        return ""
    st = steps[min(index, len(steps) - 1)]
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
    return _grid_text(np.asarray(grey))


def pick_kernel(name):
    """A preset's kernel as text (an unknown name leaves the kernel box as it is)."""
    return _grid_text(KERNELS[name]) if name in KERNELS else gr.update()


def pick_example(key):
    """A worked example of the slides: grid, kernel, its preset name, padding, stride, pooling."""
    ex = SLIDE_EXAMPLES[key]
    named = next((name for name, k in KERNELS.items() if k == ex.kernel), None)
    return _grid_text(ex.grid), _grid_text(ex.kernel), named, ex.padding, ex.stride, ex.pool


@shows_user_errors
def feature_maps(img, name, request: gr.Request | None = None, *, profile: str):
    """The first convolution's maps of a zoo model on the photo, tiled, and a line saying what they are."""
    from core.image.feature_maps import feature_maps_for, tile_maps

    (name,) = checked_choices((name, MAPS_MODELS, ("Zoo model", "Mô hình")))
    image = read_user_image(img).image
    got = feature_maps_for(image, name, profile)
    count, size = got.maps.shape[0], f"{got.maps.shape[1]}x{got.maps.shape[2]}"
    source = localized(request, got.source)
    return (
        image_file(tile_maps(got.maps)),
        say(
            request,
            f"{count} bản đồ đặc trưng {size} từ lớp `{got.layer}` của {got.display_name} ({source})",
            f"{count} maps of {size} from `{got.layer}` of {got.display_name} ({source})",
        ),
    )


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


def _vi_number(n: int) -> str:
    return f"{n:,}".replace(",", ".")  # Vietnamese groups thousands with dots


@shows_user_errors
def layer_table_event(name: str, request: gr.Request | None = None):
    """/layer_table: only the names the dropdown offers (any other registry name would build a full-size model)."""
    (name,) = checked_choices((name, TABLE_MODELS, ("Model", "Mô hình")))
    return _layer_table(name, request)


def _layer_table(name: str, request: gr.Request | None = None):
    from core.catalog import get_spec
    from core.image.layer_table import model_layers  # builds the module in core: demo never builds torch modules

    if name == "lenet5_course":
        return _course_lenet_table(request)
    rows = model_layers(name)
    if name in LENET_NOTES:
        note = say(request, *LENET_NOTES[name])
    else:
        spec = get_spec(name)
        note = say(
            request,
            f"{spec.display_name} với 100 lớp đầu ra. {getattr(spec.description, 'vi', spec.description)}",
            f"{spec.display_name} at 100 classes. {spec.description}",
        )
    total = sum(r.params for r in rows)
    data = [[r.name, r.kind, "x".join(map(str, r.output_shape)), r.activations, r.params] for r in rows]
    summary = say(request, f"**Tổng: {_vi_number(total)} tham số.** {note}", f"**Total: {total:,} parameters.** {note}")
    return summary, {"headers": LAYER_HEADERS[lang_of(request)], "data": data}


def _course_lenet_table(request: gr.Request | None):
    """The course's LeNet-5 table beside the real network it describes, row by row."""
    from core.image.layer_table import COURSE_LENET_TOTAL, compare_with_course

    rows = compare_with_course()
    total = sum(r.params for r in rows)
    data = [
        [
            r.row,
            r.module or "—",
            "x".join(map(str, (*r.output_shape[1:], r.output_shape[0]))),  # channels last, as the course writes
            r.activations,
            r.params,
            r.printed_params,
            r.formula,
            r.printed_formula or ("=" if r.printed_params == r.params else "?"),
            localized(request, r.broken_rule) if r.broken_rule else "",
        ]
        for r in rows
    ]
    note = say(request, *LENET_NOTES["lenet5_course"])
    summary = say(
        request,
        f"**Tổng: {_vi_number(total)} tham số; bảng của môn học in {_vi_number(COURSE_LENET_TOTAL)}.** {note}",
        f"**Total: {total:,} parameters; the course's table prints {COURSE_LENET_TOTAL:,}.** {note}",
    )
    return summary, {"headers": COURSE_HEADERS[lang_of(request)], "data": data}


# --- Convolution on an RGB input (report 001, 2.2.2.2) --------------------------------------------------------------
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
    return SimpleNamespace(**locals())


def _rgb_parse(texts, bias, p, s):
    channels = parse_channels(texts[:3])
    kernels = parse_channels(texts[3:], max_size=5)
    bias = number(bias, ("Bias", "Bias"), -MAX_VALUE, MAX_VALUE)
    p, s, _ = checked_settings(p, s)
    return channels, kernels, bias, p, s, *conv_channels(channels, kernels, bias, padding=p, stride=s)


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
        f"{_fmt(bias)}, rồi ReLU. {int((z < 0).sum())} ô âm bị ReLU đưa về 0.",
        f"Input {n}x{channels[0].shape[1]}x{depth}, filter {f}x{f}x{depth}: the filter's depth = the input's depth "
        f"= {depth}. Size: ⌊({n} − {f} + 2·{p}) / {s}⌋ + 1 = **{size}** → output {z.shape[0]}x{z.shape[1]}x1 "
        f"(one filter, one map). Each cell: {depth} sums of products (one per channel) added, plus the bias "
        f"{_fmt(bias)}, then ReLU. {int((z < 0).sum())} negative cell(s) set to 0 by ReLU.",
    )
    return (
        summary,
        _rgb_maps(z, out, steps[0], request),
        gr.update(minimum=0, maximum=max(len(steps) - 1, 1), value=0, step=1),
        _rgb_step_html(channels, kernels, p, steps[0], request),
    )


def _rgb_maps(z, out, st, request) -> str:
    words = say(request, "z = tổng + bias (trước ReLU)", "z = sums + bias (before ReLU)"), "ReLU(z)"
    cell = (st.row, st.col, 1)
    return (
        '<div style="display:flex;gap:24px;flex-wrap:wrap;align-items:flex-start">'
        + grid_html(z, mark=cell, caption=words[0])
        + grid_html(out, mark=cell, caption=words[1])
        + "</div>"
    )


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
    return (
        f'<div class="rgb-step"><p>{head}</p>'
        '<div style="display:flex;gap:18px;flex-wrap:wrap;align-items:flex-start">'
        + "".join(f'<div style="display:flex;gap:6px">{b}</div>' for b in boxes)
        + f"</div><p>{formulas}</p></div>"
    )


def rgb_step(r, g, b, kr, kg, kb, bias, p, s, index, request: gr.Request | None = None) -> str:
    """Output cell `index` written out; empty while the inputs cannot compute (Compute says why)."""
    try:
        channels, kernels, _, p, s, z, out, steps = _rgb_parse((r, g, b, kr, kg, kb), bias, p, s)
        index = number(index, ("Step", "Bước"), 0, MAX_GRID * MAX_GRID, integer=True)
    except ValueError:
        return ""
    st = steps[min(index, len(steps) - 1)]
    return _rgb_step_html(channels, kernels, p, st, request)


def rgb_maps_at(r, g, b, kr, kg, kb, bias, p, s, index, request: gr.Request | None = None) -> str:
    """The two maps with output cell `index` coloured (follows the step slider)."""
    try:
        *_, z, out, steps = _rgb_parse((r, g, b, kr, kg, kb), bias, p, s)
        index = number(index, ("Step", "Bước"), 0, MAX_GRID * MAX_GRID, integer=True)
    except ValueError:
        return gr.update()
    return _rgb_maps(z, out, steps[min(index, len(steps) - 1)], request)


def rgb_example(key, request: gr.Request | None = None):
    """A preset: its channels, kernel slices, bias, p = 0, s = 1, then everything Compute shows, with its note."""
    (key,) = checked_choices((key, tuple(RGB_EXAMPLES), ("Example", "Ví dụ")))
    ex = RGB_EXAMPLES[key]
    chans = [_grid_text(c) for c in ex.channels] + [""] * (3 - len(ex.channels))
    kerns = [_grid_text(k) for k in ex.kernels] + [""] * (3 - len(ex.kernels))
    summary, maps, step, html = rgb_compute.__wrapped__(*chans, *kerns, ex.bias, 0, 1, request)
    return (*chans, *kerns, ex.bias, 0, 1, f"{summary}\n\n{say(request, *RGB_NOTES[key])}", maps, step, html)


# --- Pooling window by window (report 001, 2.2.3; report 003's slide) ---------------------------------------------
POOL_TEXT = {
    "slide_max": ("Slide: gộp cực đại 2x2, bước 2 (9 7 / 8 6)", "Slide: max pooling 2x2, stride 2 (9 7 / 8 6)"),
    "slide_avg": (
        "Slide: gộp trung bình 2x2, bước 2 (4.25 4.25 / 4.25 3.5)",
        "Slide: average pooling 2x2, stride 2 (4.25 4.25 / 4.25 3.5)",
    ),
    "overlap_max": (
        "Cửa sổ chồng nhau: gộp cực đại 2x2, bước 1 (chọn ở đây)",
        "Overlapping windows: max pooling 2x2, stride 1 (chosen here)",
    ),
}


def _pool_panel() -> SimpleNamespace:
    gr.Markdown(
        tr(
            "cnn.pool_intro",
            "### Gộp (pooling), từng cửa sổ một\n"
            "Báo cáo 001 (2.2.3): gộp cực đại lấy số lớn nhất trong cửa sổ, gộp trung bình lấy trung bình; làm trên "
            "từng kênh riêng, **không có tham số**. Kích thước đầu ra: **⌊(n − f) / s⌋ + 1**. Các ví dụ trên slide "
            "lấy từ báo cáo 003 (ví dụ của báo cáo 001 chỉ có trong hình, không có số trong văn bản).",
            "### Pooling, window by window\n"
            "Report 001 (2.2.3): max pooling keeps the largest number of each window, average pooling the mean; each "
            "channel on its own, **no parameters**. Output size: **⌊(n − f) / s⌋ + 1**. The slide examples come "
            "from report 003 (report 001's examples are figures, with no numbers in its text).",
        )
    )
    example = gr.Radio(
        [(tr(f"cnn.pool.{k}", *POOL_TEXT[k]), k) for k in POOL_EXAMPLES],
        value=None,
        label=tr("cnn.pool_examples", "Ví dụ gộp", "Pooling examples"),
        elem_id="pool_examples",
    )
    with gr.Row():
        grid = gr.Textbox(
            lines=4, label=tr("cnn.pool_grid", "Lưới cần gộp (các hàng số)", "Grid to pool (rows of numbers)")
        )
        with gr.Column():
            size = gr.Slider(1, 4, value=2, step=1, label=tr("cnn.pool_size", "Cỡ cửa sổ f", "Window size f"))
            stride = gr.Slider(1, 4, value=2, step=1, label=tr("cnn.pool_stride", "Bước trượt s", "Stride s"))
            mode = gr.Radio(
                [
                    (tr("cnn.pool_max", "gộp cực đại", "max"), "max"),
                    (tr("cnn.pool_avg", "gộp trung bình", "average"), "avg"),
                ],
                value="max",
                label=tr("cnn.pool_kind", "Kiểu gộp", "Pooling kind"),
            )
            run = gr.Button(tr("cnn.pool_run", "Gộp", "Pool"), variant="primary")
    summary = gr.Markdown(elem_id="pool_summary")
    step = gr.Slider(0, 1, value=0, step=1, label=tr("cnn.pool_step", "Cửa sổ (ô đầu ra)", "Window (output cell)"))
    step_html = gr.HTML(elem_id="pool_step")
    return SimpleNamespace(**locals())


def _pool_parse(grid_text, size, stride, mode):
    from core.image.pooling import checked_pool_settings, pool_steps

    size, stride, mode = checked_pool_settings(size, stride, mode)
    grid = parse_grid(grid_text)
    return grid, size, stride, mode, *pool_steps(grid, size=size, stride=stride, mode=mode)


def _pool_step_html(grid, out, st, size, request) -> str:
    head = say(
        request,
        f"Cửa sổ ({st.row}, {st.col}): hàng {st.top}–{st.top + size - 1}, cột {st.left}–{st.left + size - 1}.",
        f"Window ({st.row}, {st.col}): rows {st.top}–{st.top + size - 1}, columns {st.left}–{st.left + size - 1}.",
    )
    return (
        f'<div class="pool-step"><p>{head}<br><code>{st.formula()}</code></p>'
        '<div style="display:flex;gap:24px;flex-wrap:wrap;align-items:flex-start">'
        + grid_html(grid, mark=(st.top, st.left, size), caption=say(request, "Đầu vào", "Input"))
        + grid_html(out, mark=(st.row, st.col, 1), caption=say(request, "Đầu ra", "Output"))
        + "</div></div>"
    )


@shows_user_errors
def pool_compute(grid_text, size, stride, mode, request: gr.Request | None = None):
    """The size line in words, the step slider at the first window and that window written out."""
    grid, size, stride, mode, out, steps = _pool_parse(grid_text, size, stride, mode)
    n, m = grid.shape
    kind = say(request, "lớn nhất", "largest") if mode == "max" else say(request, "trung bình", "mean")
    summary = say(
        request,
        f"Lưới {n}x{m}, cửa sổ {size}x{size}, bước {stride}: ⌊({n} − {size}) / {stride}⌋ + 1 = **{out.shape[0]}** "
        f"→ đầu ra {out.shape[0]}x{out.shape[1]}, {len(steps)} cửa sổ, mỗi cửa sổ cho số {kind} của nó.",
        f"Grid {n}x{m}, window {size}x{size}, stride {stride}: ⌊({n} − {size}) / {stride}⌋ + 1 = **{out.shape[0]}** "
        f"→ output {out.shape[0]}x{out.shape[1]}, {len(steps)} windows, each giving its {kind}.",
    )
    return (
        summary,
        gr.update(minimum=0, maximum=max(len(steps) - 1, 1), value=0, step=1),
        _pool_step_html(grid, out, steps[0], size, request),
    )


def pool_step(grid_text, size, stride, mode, index, request: gr.Request | None = None) -> str:
    try:
        grid, size, _, _, out, steps = _pool_parse(grid_text, size, stride, mode)
        index = number(index, ("Step", "Bước"), 0, MAX_GRID * MAX_GRID, integer=True)
    except ValueError:
        return ""
    return _pool_step_html(grid, out, steps[min(index, len(steps) - 1)], size, request)


def pool_example(key, request: gr.Request | None = None):
    from core.image.pooling import POOL_EXAMPLES

    (key,) = checked_choices((key, tuple(POOL_EXAMPLES), ("Example", "Ví dụ")))
    ex = POOL_EXAMPLES[key]
    grid = _grid_text(ex.grid)
    return (grid, ex.size, ex.stride, ex.mode, *pool_compute.__wrapped__(grid, ex.size, ex.stride, ex.mode, request))


# --- RNN and LSTM cells step by step (report 001, 2.1; report 003's LSTM gates) -----------------------------------
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
    return SimpleNamespace(**locals())


def _vec(v) -> str:
    return "[" + ", ".join(_r3(x) for x in np.asarray(v).ravel()) + "]"


def _r3(x: float) -> str:
    text = f"{x:.3f}"
    return "0.000" if text == "-0.000" else text


def _rnn_parse(cell, sequence, texts):
    from core.text.rnn_steps import CELLS, parse_sequence, parse_weights, run_cell

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


def _rnn_step_html(cell, weights, run, t, request) -> str:
    """Step t written out unit by unit: [h(t−1), x(t)], each gate's weighted sum and activation, C and h."""
    s = run.steps[t - 1]
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
        + "".join(f'<td style="{CELL_STYLE}">{vals[t]:.2e}</td>{bar(vals[t])}' for _, vals in cols)
        + "</tr>"
        for t in range(T)
    )
    first, last = run.grad_h[0], run.grad_h[-1]
    note = say(
        request,
        f"Đo bằng autograd (một lần lan truyền ngược cho mỗi đơn vị của h_T). Từ t = {T} lùi về t = 1, "
        f"‖∂h_T/∂h_t‖ đi từ {last:.2e} xuống {first:.2e}: phần đóng góp của các bước đầu chuỗi vào ∂L/∂W nhỏ "
        "đi theo đúng tỉ lệ đó. Thanh xanh: thang log, 1 dài 200 px, mỗi lần nhỏ đi 10 lần thì ngắn đi 40 px.",
        f"Measured by autograd (one backward pass per unit of h_T). From t = {T} back to t = 1, ‖∂h_T/∂h_t‖ goes "
        f"from {last:.2e} to {first:.2e}: the early steps' share of ∂L/∂W shrinks by the same factor. "
        "Blue bars: log scale, 1 is 200 px long, 40 px shorter per factor of 10.",
    )
    if run.grad_c:
        note += say(
            request,
            f" Qua trạng thái ô C: {run.grad_c[-1]:.2e} ở t = {T}, {run.grad_c[0]:.2e} ở t = 1 (C(t) = f·C(t−1) + …: "
            "khi f gần 1, đường này giữ gradient lâu hơn).",
            f" Through the cell state C: {run.grad_c[-1]:.2e} at t = {T}, {run.grad_c[0]:.2e} at t = 1 "
            "(C(t) = f·C(t−1) + …: with f near 1 this path keeps the gradient longer).",
        )
    return f'<table class="rnn-grads" style="border-collapse:collapse"><tr>{th}</tr>{rows}</table><p>{note}</p>'


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
        gr.update(minimum=1, maximum=max(T, 2), value=1, step=1),
        _rnn_step_html(cell, weights, run, 1, request),
        _rnn_grads(run, request),
    )


def rnn_step(cell, sequence, a, f, i, c, o, t, request: gr.Request | None = None) -> str:
    try:
        cell, weights, run = _rnn_parse(cell, sequence, (a, f, i, c, o))
        t = number(t, ("Time step", "Bước thời gian"), 1, 100, integer=True)
    except ValueError:
        return ""
    return _rnn_step_html(cell, weights, run, min(t, len(run.steps)), request)


def rnn_cell_shown(cell):
    """Only the chosen cell's weight boxes are shown."""
    return [gr.update(visible=(g == "a") == (cell == "rnn")) for g in GATE_LABELS]


def rnn_example(key, request: gr.Request | None = None):
    from core.text.rnn_steps import CELL_EXAMPLES

    (key,) = checked_choices((key, tuple(CELL_EXAMPLES), ("Example", "Ví dụ")))
    ex = CELL_EXAMPLES[key]
    texts = [ex.weights.get(g, "") for g in GATE_LABELS]
    # The other cell's boxes keep what they hold (switching cells back finds its weights), only hidden.
    shown = [
        gr.update(value=t, visible=True) if g in ex.weights else gr.update(visible=False)
        for g, t in zip(GATE_LABELS, texts)
    ]
    return (ex.cell, ex.sequence, *shown, *rnn_run.__wrapped__(ex.cell, ex.sequence, *texts, request))


# --- Skip connections and vanishing gradients (report 001, 2.3) ----------------------------------------------------
SKIP_EXAMPLES = {  # key -> depth, width, activation
    "sigmoid_20": (20, 16, "sigmoid"),
    "tanh_20": (20, 16, "tanh"),
    "sigmoid_50": (50, 16, "sigmoid"),
}
SKIP_TEXT = {
    "sigmoid_20": ("20 lớp Linear + sigmoid", "20 layers of Linear + sigmoid"),
    "tanh_20": ("20 lớp Linear + tanh", "20 layers of Linear + tanh"),
    "sigmoid_50": ("50 lớp Linear + sigmoid", "50 layers of Linear + sigmoid"),
}


def _skip_panel() -> SimpleNamespace:
    gr.Markdown(
        tr(
            "cnn.skip_intro",
            "### Kết nối tắt và gradient biến mất\n"
            "Báo cáo 001 (2.3): trong mạng sâu, gradient truyền ngược bị nhân lặp đi lặp lại nên nhỏ dần ở các lớp "
            "đầu (gradient biến mất); ResNet thêm kết nối tắt **H(x) = F(x) + x**. Ở đây là hai mạng thật, cùng "
            "trọng số (hạt giống cố định): mạng thường h ← act(W·h + b) và mạng có kết nối tắt h ← h + act(W·h + b), "
            "rồi một lớp ra và hàm mất mát MSE trên 32 mẫu ngẫu nhiên. Một lần lan truyền ngược; biểu đồ là độ lớn "
            "gradient của ma trận trọng số ở từng lớp.",
            "### Skip connections and vanishing gradients\n"
            "Report 001 (2.3): in a deep network the gradient passed back is multiplied again and again, so it gets "
            "tiny at the first layers (the vanishing gradient); ResNet adds a skip connection **H(x) = F(x) + x**. "
            "Here are two real networks with the same weights (fixed seed): a plain one h ← act(W·h + b) and one "
            "with skip connections h ← h + act(W·h + b), then an output layer and an MSE loss on 32 random samples. "
            "One backward pass; the chart is the gradient norm of each layer's weight matrix.",
        )
    )
    example = gr.Radio(
        [(tr(f"cnn.skip.{k}", *SKIP_TEXT[k]), k) for k in SKIP_EXAMPLES],
        value=None,
        label=tr("cnn.skip_examples", "Ví dụ", "Examples"),
        elem_id="skip_examples",
    )
    with gr.Row():
        depth = gr.Slider(2, 50, value=20, step=1, label=tr("cnn.skip_depth", "Số lớp", "Depth (layers)"))
        width = gr.Slider(1, 64, value=16, step=1, label=tr("cnn.skip_width", "Số nơ-ron mỗi lớp", "Units per layer"))
        act = gr.Radio(
            [("sigmoid", "sigmoid"), ("tanh", "tanh"), ("ReLU", "relu")],
            value="sigmoid",
            label=tr("cnn.skip_act", "Hàm kích hoạt", "Activation"),
        )
        seed = gr.Number(0, precision=0, label=tr("cnn.skip_seed", "Hạt giống ngẫu nhiên", "Random seed"))
        run = gr.Button(tr("cnn.skip_run", "Đo gradient", "Measure gradients"), variant="primary")
    summary = gr.Markdown(elem_id="skip_summary")
    plot = gr.Plot(
        label=tr("cnn.skip_plot", "Độ lớn gradient theo lớp", "Gradient norm per layer"), elem_id="skip_plot"
    )
    return SimpleNamespace(**locals())


@shows_user_errors
def skip_compute(depth, width, activation, seed, request: gr.Request | None = None):
    """The chart of both networks' per-layer gradient norms and the numbers in words."""
    from core.training.gradient_flow import compare, plot_comparison

    got = compare(depth, width, activation, seed)
    n = len(got.plain)
    p0, pn, r0, rn = got.plain[0], got.plain[-1], got.residual[0], got.residual[-1]
    summary = say(
        request,
        f"Mạng thường: gradient ở lớp 1 là {p0:.2e}, ở lớp {n} là {pn:.2e}, nhỏ hơn {pn / p0:.1e} lần khi về tới "
        f"lớp đầu. Có kết nối tắt: {r0:.2e} ở lớp 1, {rn:.2e} ở lớp {n}; đạo hàm của h + F(h) theo h là 1 + F′, "
        "nên luôn còn một đường cho gradient đi thẳng qua (báo cáo 001: “vẫn còn cộng thêm X”).",
        f"Plain stack: the gradient is {p0:.2e} at layer 1 and {pn:.2e} at layer {n}, {pn / p0:.1e} times smaller "
        f"by the first layer. With skip connections: {r0:.2e} at layer 1, {rn:.2e} at layer {n}; the derivative of "
        "h + F(h) with respect to h is 1 + F′, so there is always a path the gradient passes straight through "
        "(report 001: “X is still added”).",
    )
    return plot_comparison(got, lang=lang_of(request)), summary


def skip_example(key, request: gr.Request | None = None):
    (key,) = checked_choices((key, tuple(SKIP_EXAMPLES), ("Example", "Ví dụ")))
    depth, width, activation = SKIP_EXAMPLES[key]
    return (depth, width, activation, 0, *skip_compute.__wrapped__(depth, width, activation, 0, request))
