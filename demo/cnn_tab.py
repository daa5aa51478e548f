"""Tab "How a CNN computes" (Tích chập hoạt động thế nào): convolution arithmetic, pooling, layer tables, maps."""

from __future__ import annotations

import gradio as gr
import numpy as np

from core.conv_arithmetic import KERNELS, SLIDE_INPUT, conv2d, output_size, parse_grid, pool2d
from core.registry import ZOO
from demo.components import image_file, image_input, read_user_image

LENET_NOTE = (
    "Ours is computed from the real modules (modern LeNet-5: full C3 connections, biases, max-pooling): "
    "61,706 parameters. The course's table lists 59,547. The original 1998 network differs in known ways: C3 "
    "connects each map to only some of S2's maps (1,516 parameters instead of 2,416), S2 and S4 have trainable "
    "coefficients (12 + 32) and the output is an RBF layer without biases (840), 60,840 in total. Neither "
    "equals 59,547, so the course's table most likely has an arithmetic slip; the per-layer rows below let "
    "students find where."
)


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
        "### Tích chập hoạt động thế nào · How a convolution computes\n"
        "Type a grid (or take one from a photo), pick a kernel, padding and stride, and step through the output: "
        "each cell is a sum of products. Output size: **⌊(n − f + 2p) / s⌋ + 1**."
    )
    with gr.Row():
        with gr.Column():
            grid_box = gr.Textbox(_grid_text(SLIDE_INPUT), lines=6, label="Đầu vào · Input grid (rows of numbers)")
            with gr.Row():
                photo = image_input(label="…or a photo, downscaled", height=140, sources=["upload", "clipboard"])
                photo_size = gr.Slider(4, 16, value=8, step=1, label="grid size from photo")
        with gr.Column():
            preset = gr.Dropdown(list(KERNELS), value="slide example", label="Bộ lọc · Kernel preset")
            kernel_box = gr.Textbox(_grid_text(KERNELS["slide example"]), lines=3, label="Kernel 3x3 (editable)")
            with gr.Row():
                padding = gr.Slider(0, 2, value=0, step=1, label="padding p")
                stride = gr.Slider(1, 3, value=1, step=1, label="stride s")
                pool_mode = gr.Radio(["max", "avg"], value="max", label="Gộp · Pooling 2x2")
            run = gr.Button("Tính · Compute", variant="primary")
    size_md = gr.Markdown()
    with gr.Row():
        output_df = gr.Dataframe(label="Đặc trưng · Output feature map", interactive=False)
        pooled_df = gr.Dataframe(label="Sau khi gộp · After pooling", interactive=False)
    step = gr.Slider(0, 8, value=0, step=1, label="Bước · Step (output cell)")
    step_md = gr.Markdown()

    def compute(grid_text, kernel_text, p, s, mode):
        try:
            grid, kernel = parse_grid(grid_text), parse_grid(kernel_text, max_size=7)
            out, steps = conv2d(grid, kernel, padding=int(p), stride=int(s))
            pooled = pool2d(out, mode=mode) if min(out.shape) >= 2 else out
        except ValueError as exc:
            raise gr.Error(str(exc), title="Cannot compute") from exc
        n, f = grid.shape[0], kernel.shape[0]
        formula = (
            f"n = {n}, f = {f}, p = {int(p)}, s = {int(s)}: ⌊({n} − {f} + 2·{int(p)}) / {int(s)}⌋ + 1 = "
            f"**{output_size(n, f, int(p), int(s))}** → output {out.shape[0]}x{out.shape[1]}"
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

    def from_photo(payload, size):
        if payload is None:
            return gr.Textbox()
        grey = read_user_image(payload).image.convert("L").resize((int(size), int(size)))
        return _grid_text(np.asarray(grey))

    def pick_kernel(name):
        return _grid_text(KERNELS[name])

    ins = [grid_box, kernel_box, padding, stride, pool_mode]
    run.click(compute, ins, [size_md, output_df, pooled_df, step, step_md], api_name="conv_arithmetic")
    step.change(show_step, [grid_box, kernel_box, padding, stride, step], step_md, api_visibility="private")
    preset.change(pick_kernel, preset, kernel_box, api_visibility="private")
    photo.change(from_photo, [photo, photo_size], grid_box, preprocess=False, api_visibility="private")

    gr.Markdown("### Bảng các lớp · Layer table\nShapes and parameters measured by running the real module once.")
    with gr.Row():
        table_model = gr.Dropdown(["lenet5", *(z.name for z in ZOO)], value="lenet5", label="Model")
        table_btn = gr.Button("Show layers")
    table_md = gr.Markdown()
    table_df = gr.Dataframe(headers=["layer", "type", "output shape", "activations", "params"], interactive=False)
    table_btn.click(_layer_table, table_model, [table_md, table_df], api_name="layer_table")

    gr.Markdown("### Bản đồ đặc trưng · Feature maps of the first convolution of a trained model")
    with gr.Row():
        maps_image = image_input(label="Ảnh · Photo", height=200)
        with gr.Column():
            maps_model = gr.Dropdown(
                ["simple_cnn", "cnn_transformer", "channel_token_vit", "simple_vit"],
                value="simple_cnn",
                label="Zoo model",
            )
            maps_btn = gr.Button("Show feature maps")
            maps_md = gr.Markdown()
    maps_out = gr.Image(label="Feature maps (each scaled to its own min..max)", interactive=False)
    maps_btn.click(
        lambda img, name: _feature_maps(img, name, profile),
        [maps_image, maps_model],
        [maps_out, maps_md],
        preprocess=False,
        concurrency_id="models",
        api_name="feature_maps",
    )


def _step_text(grid, padding, step, f) -> str:
    return f"`{step.formula()}`\n\n" + _highlight(grid, padding, step.top, step.left, f)


def _layer_table(name: str):
    from core.layer_table import layer_table
    from core.models import build_architecture
    from core.models.lenet import LeNet5
    from core.registry import get_spec

    if name == "lenet5":
        module, shape, note = LeNet5(), (1, 32, 32), LENET_NOTE
    else:
        spec = get_spec(name)
        module, shape = build_architecture(spec.arch, **spec.model_args), (3, 32, 32)
        note = f"{spec.display_name} at 100 classes. {spec.description}"
    rows = layer_table(module, shape)
    total = sum(r.params for r in rows)
    data = [[r.name, r.kind, "x".join(map(str, r.output_shape)), r.activations, r.params] for r in rows]
    return f"**Total: {total:,} parameters.** {note}", data


def _feature_maps(payload, name: str, profile: str):
    from core.feature_maps import first_conv_feature_maps, tile_maps
    from core.model_store import load_model
    from core.weights import WeightsUnavailable

    image = read_user_image(payload).image
    try:
        model = load_model(name, profile)
    except WeightsUnavailable as exc:
        raise gr.Error(str(exc), title="No weights") from exc
    x = model.preprocess(image)[None]
    try:
        maps, layer = first_conv_feature_maps(model.module, x)
    except ValueError as exc:
        raise gr.Error(str(exc)) from exc
    return (
        image_file(tile_maps(maps)),
        f"{maps.shape[0]} maps of {maps.shape[1]}x{maps.shape[2]} from `{layer}` of "
        f"{model.display_name} ({model.source})",
    )
