"""The CNN tab's "Skip connections and vanishing gradients" section (report 001, 2.3): the gradient norm of each
layer of a deep plain stack beside the same stack with skip connections, measured by one real backward pass
(core.training.gradient_flow)."""

from __future__ import annotations

from types import SimpleNamespace

import gradio as gr

from core.runtime.messages import number_text
from demo.server.fair_queue import QUICK_GROUP
from demo.tabs.cnn_steps import chosen_example
from demo.ui.errors import shows_user_errors
from demo.ui.i18n import lang_of, say, tr

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


def build_skip_connections_section() -> None:
    """Lay out the section inside the CNN tab and wire it: an example fills the settings and measures at once;
    the button measures what was edited."""
    ui = _skip_panel()
    ins = [ui.depth, ui.width, ui.act, ui.seed]
    outs = [ui.plot, ui.summary]
    ui.example.input(skip_example, ui.example, [*ins, *outs], api_visibility="private", **QUICK_GROUP)
    ui.run.click(skip_compute, ins, outs, api_visibility="private", **QUICK_GROUP)


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
    return SimpleNamespace(**locals())  # the components, by name


# --- handlers: plain values in and out; tests call them directly ----------------------------------------------------


@shows_user_errors
def skip_compute(depth, width, activation, seed, request: gr.Request | None = None):
    """The chart of both networks' per-layer gradient norms and the numbers in words."""
    from core.training.gradient_flow import compare, plot_comparison

    got = compare(depth, width, activation, seed)
    n = len(got.plain)
    p0, pn, r0, rn = got.plain[0], got.plain[-1], got.residual[0], got.residual[-1]
    summary = say(
        request,
        f"Mạng thường: gradient ở lớp 1 là {_vi_e(p0)}, ở lớp {n} là {_vi_e(pn)}, nhỏ hơn {_vi_e(pn / p0, 1)} lần "
        f"khi về tới lớp đầu. Có kết nối tắt: {_vi_e(r0)} ở lớp 1, {_vi_e(rn)} ở lớp {n}; đạo hàm của h + F(h) theo h "
        "là 1 + F′, nên luôn còn một đường cho gradient đi thẳng qua (báo cáo 001: “vẫn còn cộng thêm X”).",
        f"Plain stack: the gradient is {p0:.2e} at layer 1 and {pn:.2e} at layer {n}, {pn / p0:.1e} times smaller "
        f"by the first layer. With skip connections: {r0:.2e} at layer 1, {rn:.2e} at layer {n}; the derivative of "
        "h + F(h) with respect to h is 1 + F′, so there is always a path the gradient passes straight through "
        "(report 001: “X is still added”).",
    )
    return plot_comparison(got, lang=lang_of(request)), summary


def skip_example(key, request: gr.Request | None = None):
    """A preset: its depth, width and activation, seed 0, then the chart and the words the button gives."""
    depth, width, activation = chosen_example(key, SKIP_EXAMPLES)
    return (depth, width, activation, 0, *skip_compute.__wrapped__(depth, width, activation, 0, request))


def _vi_e(x: float, decimals: int = 2) -> str:
    """3,21e-05: the Vietnamese page's decimal comma in scientific notation."""
    return number_text(x, decimals, scientific=True).vi
