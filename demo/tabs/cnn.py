"""Tab "How a CNN computes": convolution arithmetic, pooling, layer tables, feature maps."""

from __future__ import annotations

from types import SimpleNamespace

import gradio as gr
import numpy as np

from core.catalog import ZOO
from core.image.conv_arithmetic import (
    KERNELS,
    MAX_GRID,
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
        "Slide: ảnh nhị phân 5x5 (hàng đầu 4 3 4)",
        "Slide: binary 5x5 image (first row 4 3 4)",
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
        f'<caption style="caption-side:top;text-align:left;padding-bottom:4px">{caption}</caption>' if caption else ""
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
    table_model, table_btn, table_md, table_df = _layers_panel()
    table_btn.click(layer_table_event, table_model, [table_md, table_df], api_visibility="private", **QUICK_GROUP).then(
        reveal, outputs=table_df, api_visibility="private"
    )
    maps_image, maps_model, maps_btn, maps_md, maps_out = _maps_panel()
    event = gpu_task(for_profile(feature_maps, profile))
    maps_btn.click(event, [maps_image, maps_model], [maps_out, maps_md], preprocess=False, concurrency_id="models",
                   api_visibility="private")  # fmt: skip


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
        gr.update(minimum=0, maximum=result["steps"] - 1, value=0, step=1),
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
