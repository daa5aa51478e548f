"""Panels the side-by-side tabs (images, text) share: the raw API result, and the "training report" accordion with
test metrics, curves and confusion matrices of the two selected models' local checkpoints (what train/ wrote)."""

from __future__ import annotations

from collections.abc import Callable

import gradio as gr

from core.catalog import get_spec
from core.training.report import find_report
from demo.ui.i18n import lang_of, say, tr


def raw_result_json() -> gr.JSON:
    """A closed accordion with the JSON the tab's HTTP API returns, so students see what a client gets."""
    with gr.Accordion(
        tr("report.raw", "Kết quả thô (JSON, đúng như API trả về)", "Raw result (JSON, as returned by the API)"),
        open=False,
    ):
        return gr.JSON()


def build_report_panel(model_a: gr.Dropdown, model_b: gr.Dropdown, reports: Callable) -> None:
    """An accordion with a button that fills two curves plots and two confusion plots from `reports(a, b, request)`."""
    with gr.Accordion(
        tr(
            "report.title",
            "Báo cáo huấn luyện của các mô hình đã chọn (đường cong, ma trận nhầm lẫn)",
            "Training report of the selected models (curves, confusion matrix)",
        ),
        open=False,
    ):
        button = gr.Button(tr("report.show", "Xem báo cáo huấn luyện", "Show training reports"))
        summary = gr.Markdown()
        with gr.Row():
            curves = [
                curves_plot(tr(f"report.curves_{s}", f"Đường cong của mô hình {s}", f"Model {s} curves")) for s in "AB"
            ]
        with gr.Row():
            confusions = [
                gr.Plot(label=tr(f"report.confusion_{s}", f"Ma trận nhầm lẫn của mô hình {s}", f"Model {s} confusion"))
                for s in "AB"
            ]
    button.click(reports, inputs=[model_a, model_b], outputs=[summary, *curves, *confusions], api_visibility="private")


def curves_plot(label, elem_id: str | None = None) -> gr.LinePlot:
    """Loss and accuracy (core.training.report.curve_rows): the browser draws the numbers it gets, on numeric axes
    titled in the visitor's language, with a legend naming the four curves below the plot."""
    return gr.LinePlot(
        x="epoch",
        y="value",
        color="curve",
        label=label,
        # Not "epoch": the Vietnamese page keeps the axis in Vietnamese (an epoch is one pass over the training set).
        x_title=tr("plot.x_axis", "số lượt qua tập huấn luyện", "epochs (passes over the training set)"),
        y_title=tr("plot.y_axis", "hàm mất mát / độ chính xác (tỉ lệ)", "loss / accuracy (as a fraction)"),
        color_title=tr("plot.legend", "đường cong", "curve"),
        y_lim=[0, None],  # values rise upward from 0: accuracy is a fraction, the loss starts near ln 10 ≈ 2.3
        elem_id=elem_id,
        # No `height`: with one, Gradio 6.31 sizes the chart to the block, label included, and the legend's
        # entries fall below its bottom edge (measured in Chromium: the legend's title showed, its entries not).
    )


def training_reports(
    names: tuple[str, str],
    request: gr.Request | None,
    *,
    items: tuple[str, str],
) -> tuple:
    """(summary Markdown, curves A, curves B, confusion A, confusion B) for two registry names.

    `items` names what the test set holds in Vietnamese and English ("ảnh", "images").
    """
    from core.training.report import curve_rows, plot_confusion  # matplotlib: only when a report is asked for

    lang = lang_of(request)
    texts, curves, confusions = [], [], []
    for name in names:
        found = find_report(name)
        card = get_spec(name).model_card
        if found is None and card:  # a published checkpoint: its model card's figure, marked as such
            texts.append(say(request, f"- `{name}`: {card.vi}.", f"- `{name}`: {card}."))
            curves.append(None)
            confusions.append(None)
            continue
        if found is None:
            texts.append(  # the command that trains it is the instructor's (Status tab), not the students'
                say(
                    request,
                    f"- `{name}`: chưa có checkpoint trên máy này kèm báo cáo huấn luyện.",
                    f"- `{name}`: no checkpoint with a training report on this machine yet.",
                )
            )
            curves.append(None)
            confusions.append(None)
            continue
        config, metrics = found
        test = metrics.get("test", {})
        pairs = ", ".join(f"{p['true']}→{p['pred']} ({p['count']})" for p in test.get("most_confused", [])[:5])
        acc, f1, n = f"{100 * test.get('accuracy', 0):.2f}", f"{test.get('f1_macro', 0):.3f}", test.get("num_samples")
        texts.append(
            say(
                request,
                f"- `{name}`: độ chính xác trên tập kiểm tra **{acc}%**, F1-macro **{f1}** trên {n} {items[0]}; "
                f"hay nhầm nhất: {pairs}",
                f"- `{name}`: test accuracy **{acc}%**, F1-macro **{f1}** on {n} {items[1]}; most confused: {pairs}",
            )
        )
        curves.append(curve_rows(metrics.get("history", []), lang=lang, points=metrics.get("points")))
        has_matrix = bool(test.get("confusion_matrix"))  # checkpoints from before live runs recorded it
        title = say(request, f"{name}: ma trận nhầm lẫn (tập kiểm tra)", f"{name}: confusion (test)")
        confusions.append(
            plot_confusion(metrics, config.get("labels", []), title=title, lang=lang) if has_matrix else None
        )
    return "\n".join(texts), curves[0], curves[1], confusions[0], confusions[1]
