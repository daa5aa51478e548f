"""Tab "How a CNN computes": convolution arithmetic, pooling, layer tables, feature maps."""

from __future__ import annotations

import gradio as gr
import numpy as np

from core.conv_arithmetic import KERNELS, SLIDE_INPUT, conv2d, output_size, parse_grid, pool2d
from core.registry import ZOO
from demo.components import image_file, image_input, localized, read_user_image
from demo.gpu import gpu_task
from demo.i18n import lang_of, say, tr

LENET_NOTE_EN = (
    "Ours is computed from the real modules (modern LeNet-5: full C3 connections, biases, max-pooling): "
    "61,706 parameters. The course's table lists 59,547. The original 1998 network differs in known ways: C3 "
    "connects each map to only some of S2's maps (1,516 parameters instead of 2,416), S2 and S4 have trainable "
    "coefficients (12 + 32) and the output is an RBF layer without biases (840), 60,840 in total. Neither "
    "equals 59,547, so the course's table most likely has an arithmetic slip; the per-layer rows below let "
    "students find where."
)
LENET_NOTE_VI = (
    "Số của chúng ta được tính từ các mô-đun thật (LeNet-5 hiện đại: C3 nối đầy đủ, có bias, gộp cực đại): "
    "61.706 tham số. Bảng của môn học ghi 59.547. Mạng gốc năm 1998 khác ở những điểm đã biết: C3 chỉ nối mỗi bản "
    "đồ đặc trưng với một số bản đồ của S2 (1.516 tham số thay vì 2.416), S2 và S4 có hệ số huấn luyện được "
    "(12 + 32) và lớp đầu ra là lớp RBF không có bias (840), tổng cộng 60.840. Cả hai đều không bằng 59.547, nên "
    "bảng của môn học nhiều khả năng có một lỗi tính toán; các hàng theo từng lớp bên dưới giúp sinh viên tìm ra "
    "chỗ sai."
)
# Display names of core.conv_arithmetic.KERNELS (the values stay the English names).
KERNEL_TEXT = {
    "edge (Laplacian)": ("phát hiện cạnh (Laplace)", "edge (Laplacian)"),
    "Sobel x": ("Sobel x (cạnh dọc)", "Sobel x (vertical edges)"),
    "Sobel y": ("Sobel y (cạnh ngang)", "Sobel y (horizontal edges)"),
    "blur (box 1/9)": ("làm mờ (trung bình 1/9)", "blur (box 1/9)"),
    "sharpen": ("làm sắc nét", "sharpen"),
    "slide example": ("ví dụ trong slide bài giảng", "slide example"),
}
LAYER_HEADERS = {
    "vi": ["lớp", "loại", "kích thước đầu ra", "số giá trị kích hoạt", "tham số"],
    "en": ["layer", "type", "output shape", "activations", "params"],
}


def _grid_text(grid) -> str:
    return "\n".join(" ".join(_fmt(v) for v in row) for row in np.asarray(grid))


def _fmt(v: float) -> str:
    return str(int(round(v))) if abs(v - round(v)) < 1e-9 else f"{v:.2f}"


def _highlight(grid: np.ndarray, padding: int, top: int, left: int, f: int) -> str:
    """Markdown table of the padded input with the kernel's window in bold (padding shown as 0)."""
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
    with gr.Row():
        with gr.Column():
            grid_box = gr.Textbox(
                _grid_text(SLIDE_INPUT),
                lines=6,
                label=tr("cnn.grid", "Lưới đầu vào (các hàng số)", "Input grid (rows of numbers)"),
            )
            with gr.Row():
                photo = image_input(
                    label=tr("cnn.from_photo", "…hoặc một ảnh, được thu nhỏ", "…or a photo, downscaled"),
                    height=140,
                    sources=["upload", "clipboard"],
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
                _grid_text(KERNELS["slide example"]),
                lines=3,
                label=tr("cnn.kernel", "Bộ lọc (kernel) 3x3, sửa được", "Kernel 3x3 (editable)"),
            )
            with gr.Row():
                padding = gr.Slider(0, 2, value=0, step=1, label=tr("cnn.padding", "Đệm p", "Padding p"))
                stride = gr.Slider(1, 3, value=1, step=1, label=tr("cnn.stride", "Bước trượt s", "Stride s"))
                pool_mode = gr.Radio(
                    [
                        (tr("cnn.pool_max", "gộp cực đại", "max"), "max"),
                        (tr("cnn.pool_avg", "gộp trung bình", "average"), "avg"),
                    ],
                    value="max",
                    label=tr("cnn.pooling", "Gộp 2x2", "Pooling 2x2"),
                )
            run = gr.Button(tr("cnn.compute", "Tính", "Compute"), variant="primary")
    size_md = gr.Markdown()
    with gr.Row():
        output_df = gr.Dataframe(
            label=tr("cnn.output", "Bản đồ đặc trưng đầu ra", "Output feature map"), interactive=False
        )
        pooled_df = gr.Dataframe(label=tr("cnn.pooled", "Sau khi gộp", "After pooling"), interactive=False)
    step = gr.Slider(0, 8, value=0, step=1, label=tr("cnn.step", "Bước (ô đầu ra)", "Step (output cell)"))
    step_md = gr.Markdown()

    def compute(grid_text, kernel_text, p, s, mode, request: gr.Request | None = None):
        try:
            grid, kernel = parse_grid(grid_text), parse_grid(kernel_text, max_size=7)
            out, steps = conv2d(grid, kernel, padding=int(p), stride=int(s))
            pooled = pool2d(out, mode=mode) if min(out.shape) >= 2 else out
        except ValueError as exc:
            raise gr.Error(localized(request, exc), title=say(request, "Không tính được", "Cannot compute")) from exc
        n, f = grid.shape[0], kernel.shape[0]
        shape = f"{out.shape[0]}x{out.shape[1]}"
        formula = (
            f"n = {n}, f = {f}, p = {int(p)}, s = {int(s)}: ⌊({n} − {f} + 2·{int(p)}) / {int(s)}⌋ + 1 = "
            f"**{output_size(n, f, int(p), int(s))}** → " + say(request, f"đầu ra {shape}", f"output {shape}")
        )
        first = steps[0]
        return (
            formula,
            out.round(3).tolist(),
            pooled.round(3).tolist(),
            gr.Slider(0, len(steps) - 1, value=0, step=1),
            _step_text(grid, int(p), first, f),
        )

    def show_step(grid_text, kernel_text, p, s, index):
        try:
            grid, kernel = parse_grid(grid_text), parse_grid(kernel_text, max_size=7)
            _, steps = conv2d(grid, kernel, padding=int(p), stride=int(s))
        except ValueError:
            return ""
        st = steps[min(int(index), len(steps) - 1)]
        return _step_text(grid, int(p), st, kernel.shape[0])

    def from_photo(payload, size, request: gr.Request | None = None):
        if payload is None:
            return gr.Textbox()
        grey = read_user_image(payload, request).image.convert("L").resize((int(size), int(size)))
        return _grid_text(np.asarray(grey))

    def pick_kernel(name):
        return _grid_text(KERNELS[name])

    ins = [grid_box, kernel_box, padding, stride, pool_mode]
    run.click(compute, ins, [size_md, output_df, pooled_df, step, step_md], api_name="conv_arithmetic")
    step.change(show_step, [grid_box, kernel_box, padding, stride, step], step_md, api_visibility="private")
    preset.change(pick_kernel, preset, kernel_box, api_visibility="private")
    photo.change(from_photo, [photo, photo_size], grid_box, preprocess=False, api_visibility="private")

    gr.Markdown(
        tr(
            "cnn.layers_intro",
            "### Bảng các lớp\nKích thước đầu ra và số tham số đo được bằng cách chạy mô-đun thật một lần.",
            "### Layer table\nShapes and parameters measured by running the real module once.",
        )
    )
    with gr.Row():
        table_model = gr.Dropdown(
            ["lenet5", *(z.name for z in ZOO)], value="lenet5", label=tr("cnn.table_model", "Mô hình", "Model")
        )
        table_btn = gr.Button(tr("cnn.show_layers", "Xem các lớp", "Show layers"))
    table_md = gr.Markdown()
    # Column names come with the result, in the visitor's language (the frontend does not translate headers), so
    # the table stays hidden until it has them.
    table_df = gr.Dataframe(
        label=tr("cnn.table", "Các lớp của mô hình", "Layers of the model"), interactive=False, visible=False
    )
    table_btn.click(_layer_table, table_model, [table_md, table_df], api_name="layer_table").then(
        lambda: gr.Dataframe(visible=True), outputs=table_df, api_visibility="private"
    )

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
                ["simple_cnn", "cnn_transformer", "channel_token_vit", "simple_vit"],
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

    def feature_maps(img, name, request: gr.Request | None = None):  # `img`: the API's parameter name
        return _feature_maps(img, name, profile, request)

    maps_btn.click(
        gpu_task(feature_maps),
        [maps_image, maps_model],
        [maps_out, maps_md],
        preprocess=False,
        concurrency_id="models",
        api_name="feature_maps",
    )


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name.lower()).strip("_")


def _step_text(grid, padding, step, f) -> str:
    return f"`{step.formula()}`\n\n" + _highlight(grid, padding, step.top, step.left, f)


def _layer_table(name: str, request: gr.Request | None = None):
    from core.layer_table import layer_table
    from core.models import build_architecture
    from core.models.lenet import LeNet5
    from core.registry import get_spec

    if name == "lenet5":
        module, shape = LeNet5(), (1, 32, 32)
        note = say(request, LENET_NOTE_VI, LENET_NOTE_EN)
    else:
        spec = get_spec(name)
        module, shape = build_architecture(spec.arch, **spec.model_args), (3, 32, 32)
        note = say(
            request,
            f"{spec.display_name} với 100 lớp đầu ra. {getattr(spec.description, 'vi', spec.description)}",
            f"{spec.display_name} at 100 classes. {spec.description}",
        )
    rows = layer_table(module, shape)
    total = sum(r.params for r in rows)
    data = [[r.name, r.kind, "x".join(map(str, r.output_shape)), r.activations, r.params] for r in rows]
    vi_total = f"{total:,}".replace(",", ".")  # Vietnamese groups thousands with dots
    summary = say(request, f"**Tổng: {vi_total} tham số.** {note}", f"**Total: {total:,} parameters.** {note}")
    return summary, {"headers": LAYER_HEADERS[lang_of(request)], "data": data}


def _feature_maps(payload, name: str, profile: str, request: gr.Request | None = None):
    from core.feature_maps import first_conv_feature_maps, tile_maps
    from core.model_store import load_model
    from core.weights import WeightsUnavailable

    image = read_user_image(payload, request).image
    try:
        model = load_model(name, profile)
    except WeightsUnavailable as exc:
        raise gr.Error(
            say(request, f"Chưa có trọng số của mô hình này. {exc}", str(exc)),
            title=say(request, "Chưa có trọng số", "No weights"),
        ) from exc
    x = model.preprocess(image)[None]
    try:
        maps, layer = first_conv_feature_maps(model.module, x)
    except ValueError as exc:
        raise gr.Error(localized(request, exc), title=say(request, "Không có lớp tích chập", "No convolution")) from exc
    count, size = maps.shape[0], f"{maps.shape[1]}x{maps.shape[2]}"
    return (
        image_file(tile_maps(maps)),
        say(
            request,
            f"{count} bản đồ đặc trưng {size} từ lớp `{layer}` của {model.display_name} ({model.source})",
            f"{count} maps of {size} from `{layer}` of {model.display_name} ({model.source})",
        ),
    )
