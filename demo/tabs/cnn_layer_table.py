"""The CNN tab's "Layer table" section: each layer's output shape, activations and parameters, measured by running the
real module once (core.image.layer_table); for the course's LeNet-5 table, its rows beside the network it describes,
with the two rules its printed parameter counts break."""

from __future__ import annotations

import re

import gradio as gr

from core.catalog import ZOO
from core.runtime.messages import number_text
from demo.server.fair_queue import QUICK_GROUP
from demo.ui.components import checked_choices
from demo.ui.errors import localized, shows_user_errors
from demo.ui.i18n import lang_of, say, tr
from demo.ui.wiring import reveal

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


def build_layer_table_section() -> None:
    """Lay out the section inside the CNN tab and wire it."""
    table_model, table_btn, table_md, table_df = _layers_panel()
    table_btn.click(layer_table_event, table_model, [table_md, table_df], api_visibility="private", **QUICK_GROUP).then(
        reveal, outputs=table_df, api_visibility="private"
    )


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
    table_md = gr.Markdown(elem_id="layer_summary")
    # Column names come with the result, in the visitor's language (the frontend does not translate headers), so
    # the table stays hidden until it has them.
    table_df = gr.Dataframe(
        label=tr("cnn.table", "Các lớp của mô hình", "Layers of the model"),
        interactive=False,
        visible=False,
        elem_id="layer_table",
    )
    return table_model, table_btn, table_md, table_df


# --- handlers: plain values in and out; tests and the public API (demo/api.py: /layer_table) call them directly ----


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
    summary = say(
        request, f"**Tổng: {number_text(total).vi} tham số.** {note}", f"**Total: {total:,} parameters.** {note}"
    )
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
            _grouped(r.formula, request),
            _grouped(r.printed_formula, request) or ("=" if r.printed_params == r.params else "?"),
            localized(request, r.broken_rule) if r.broken_rule else "",
        ]
        for r in rows
    ]
    note = say(request, *LENET_NOTES["lenet5_course"])
    summary = say(
        request,
        f"**Tổng: {number_text(total).vi} tham số; bảng của môn học in {number_text(COURSE_LENET_TOTAL).vi}.** {note}",
        f"**Total: {total:,} parameters; the course's table prints {COURSE_LENET_TOTAL:,}.** {note}",
    )
    return summary, {"headers": COURSE_HEADERS[lang_of(request)], "data": data}


def _grouped(formula: str, request: gr.Request | None) -> str:
    """A formula from core (English digit groups, "3,216") with the page's: dots on the Vietnamese page."""
    return re.sub(r"(?<=\d),(?=\d{3}\b)", ".", formula) if lang_of(request) == "vi" else formula
