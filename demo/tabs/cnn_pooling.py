"""The CNN tab's "Pooling, window by window" section (report 001, 2.2.3; the slide examples from report 003):
max or average pooling of a grid, one window at a time (core.image.pooling does the arithmetic)."""

from __future__ import annotations

from types import SimpleNamespace

import gradio as gr

from core.image.conv_arithmetic import parse_grid
from core.image.pooling import POOL_EXAMPLES, checked_pool_settings, pool_steps
from demo.server.fair_queue import QUICK_GROUP
from demo.tabs.cnn_grids import grid_to_text, window_and_cell
from demo.tabs.cnn_steps import chosen_example, slider_reset, step_at
from demo.ui.errors import shows_user_errors
from demo.ui.i18n import say, tr

# Choice labels of core.image.pooling.POOL_EXAMPLES.
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


def build_pooling_section() -> None:
    """Lay out the section inside the CNN tab and wire it: an example fills the inputs and pools at once; Pool
    recomputes what was edited; the step slider writes out the chosen window."""
    ui = _pool_panel()
    ins = [ui.grid, ui.size, ui.stride, ui.mode]
    outs = [ui.summary, ui.step, ui.step_html]
    ui.example.input(pool_example, ui.example, [*ins, *outs], api_visibility="private", **QUICK_GROUP)
    ui.run.click(pool_compute, ins, outs, api_visibility="private", **QUICK_GROUP)
    ui.step.input(pool_step, [*ins, ui.step], ui.step_html, api_visibility="private", **QUICK_GROUP)


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
    return SimpleNamespace(**locals())  # the components, by name


# --- handlers: plain values in and out; tests call them directly ----------------------------------------------------


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
    return summary, slider_reset(len(steps)), _pool_step_html(grid, out, steps[0], size, request)


def pool_step(grid_text, size, stride, mode, index, request: gr.Request | None = None) -> str:
    """Window `index` written out; empty while the inputs cannot compute (Pool says why)."""
    try:
        grid, size, _, _, out, steps = _pool_parse(grid_text, size, stride, mode)
        st = step_at(steps, index)
    except ValueError:
        return ""
    return _pool_step_html(grid, out, st, size, request)


def pool_example(key, request: gr.Request | None = None):
    """A preset: its grid, window size, stride and kind, then everything Pool shows."""
    ex = chosen_example(key, POOL_EXAMPLES)
    grid = grid_to_text(ex.grid)
    return (grid, ex.size, ex.stride, ex.mode, *pool_compute.__wrapped__(grid, ex.size, ex.stride, ex.mode, request))


# --- what the handlers share ----------------------------------------------------------------------------------------


def _pool_parse(grid_text, size, stride, mode):
    """(grid, size, stride, mode, out, steps); raises ValueError (InputError, GridError) for bad input."""
    size, stride, mode = checked_pool_settings(size, stride, mode)
    grid = parse_grid(grid_text)
    return grid, size, stride, mode, *pool_steps(grid, size=size, stride=stride, mode=mode)


def _pool_step_html(grid, out, st, size, request) -> str:
    """Which rows and columns the window covers, its formula, and the window and its output cell coloured."""
    head = say(
        request,
        f"Cửa sổ ({st.row}, {st.col}): hàng {st.top}–{st.top + size - 1}, cột {st.left}–{st.left + size - 1}.",
        f"Window ({st.row}, {st.col}): rows {st.top}–{st.top + size - 1}, columns {st.left}–{st.left + size - 1}.",
    )
    captions = say(request, "Đầu vào", "Input"), say(request, "Đầu ra", "Output")
    return (
        f'<div class="pool-step"><p>{head}<br><code>{st.formula()}</code></p>'
        + window_and_cell(grid, out, st, size, captions)
        + "</div>"
    )
