"""The live tab's "Teach it your own classes, by drawing" section (core.training.drawing does the work).

Everything a visitor draws and trains lives in their session's gr.State and nowhere else: closing the page drops
it (and Gradio frees an idle session's state after STATE_TTL_S). Saving a drawn model as a live model is not
offered: live models are Fashion-MNIST entries of the image tab (core.training.live_models), and a 2-5 class
drawing model has no place there.
"""

from __future__ import annotations

import gradio as gr

from core.training.drawing import MAX_CLASSES, MAX_PER_CLASS, MIN_CLASSES, MIN_PER_CLASS, TRAIN_SECONDS
from demo.server.fair_queue import QUICK_GROUP
from demo.ui.errors import localized, shows_user_errors
from demo.ui.i18n import GRADIO_FRONTEND, say, tr

# Trainings run on one thread each (core.training.drawing.train); two at once keep this 2-core server answering.
DRAWING_GROUP = dict(concurrency_id="drawing", concurrency_limit=2)
STATE_TTL_S = 2 * 3600  # an abandoned session's drawings and model are freed after this
CANVAS = 280  # pixels of the drawing surface; 10x the network's 28x28


# After a drawing is added, the page presses the pad's own "Clear canvas" button, in the browser: setting the value
# to None or to a blank image from the server leaves Gradio 6.31's Sketchpad without its drawing surface. Clearing
# also drops the selected tool, so the brush is picked again for the next drawing. The buttons' labels are the
# page's language (demo.ui.i18n.GRADIO_FRONTEND), so either label finds them.
def _pad_button(key: str) -> str:
    return ", ".join(f'#drawing_pad button[aria-label="{label}"]' for label in GRADIO_FRONTEND[key])


CLEAR_PAD_JS = (
    "() => { const q = (s) => document.querySelector(s); "
    f"q('{_pad_button('image_editor.clear_canvas')}')?.click(); "
    f"setTimeout(() => q('{_pad_button('image_editor.brush')}')?.click(), 100); }}"
)
BRUSH = gr.Brush(default_size=10, colors=["#000000"], default_color="#000000", color_mode="fixed")


def empty_state() -> dict:
    return {"drawings": {}, "model": None, "history": []}


def _pad(label, elem_id: str) -> gr.Sketchpad:
    return gr.Sketchpad(
        label=label,
        type="numpy",
        image_mode="RGBA",
        canvas_size=(CANVAS, CANVAS),
        fixed_canvas=True,
        brush=BRUSH,
        layers=False,
        transforms=(),
        height=CANVAS + 120,
        elem_id=elem_id,
    )


def build_drawing_section(profile: str) -> None:
    """Lay out the section inside the live tab and wire it (the profile changes nothing: it trains from scratch)."""
    gr.Markdown(
        tr(
            "drawing.intro",
            "### Dạy mô hình các lớp của riêng bạn, bằng cách vẽ\n"
            f"Đặt tên {MIN_CLASSES}-{MAX_CLASSES} lớp (ví dụ: *hình tròn, dấu nhân, đường thẳng*), vẽ vài ví dụ cho "
            "mỗi lớp, rồi huấn luyện một CNN nhỏ từ đầu trong vài giây. Mỗi hình được thu nhỏ còn 28x28 điểm ảnh "
            "như ảnh MNIST. Cứ mỗi hình thứ ba của một lớp được để riêng, không dùng để huấn luyện: độ chính xác trên "
            "các hình đó cho thấy thêm ví dụ, và ví dụ đa dạng hơn, giúp mô hình thế nào. Hình vẽ và mô hình chỉ "
            "nằm trong phiên của bạn; đóng trang là mất.",
            "### Teach it your own classes, by drawing\n"
            f"Name {MIN_CLASSES}-{MAX_CLASSES} classes (say *circle, cross, line*), draw a few examples of each, then "
            "train a small CNN from scratch in seconds. Each drawing is shrunk to 28x28 pixels, like an MNIST "
            "digit. Every third drawing of a class is held out, never trained on: the accuracy on those shows how "
            "more examples, and more varied ones, help. Your drawings and model stay in your session only; closing "
            "the page drops them.",
        )
    )
    state = gr.State(empty_state(), time_to_live=STATE_TTL_S)
    with gr.Row():
        names = gr.Textbox(
            label=tr("drawing.names", "Tên các lớp, cách nhau bằng dấu phẩy", "Class names, separated by commas"),
            placeholder=tr("drawing.names_hint", "hình tròn, dấu nhân, đường thẳng", "circle, cross, line"),
            max_lines=1,
            scale=3,
            elem_id="drawing_names",
        )
        set_classes = gr.Button(tr("drawing.set", "Dùng các lớp này", "Use these classes"), scale=1)
    with gr.Row():
        with gr.Column():
            which = gr.Radio([], label=tr("drawing.which", "Hình này thuộc lớp", "This drawing is a"),
                             elem_id="drawing_which")  # fmt: skip
            pad = _pad(tr("drawing.pad", "Vẽ một ví dụ", "Draw an example"), "drawing_pad")
            add = gr.Button(tr("drawing.add", "Thêm hình vẽ này", "Add this drawing"), variant="secondary")
        with gr.Column():
            counts = gr.Markdown(elem_id="drawing_counts")
            train_btn = gr.Button(tr("drawing.train", "Huấn luyện từ đầu", "Train from scratch"), variant="primary")
            trained = gr.Markdown(elem_id="drawing_trained")
            lesson = gr.Markdown(elem_id="drawing_lesson")
    with gr.Row():
        with gr.Column():
            test_pad = _pad(tr("drawing.test_pad", "Vẽ một hình mới để thử", "Draw a new shape to try"), "drawing_test")
            guess = gr.Button(tr("drawing.predict", "Mô hình đoán gì?", "What does it guess?"), variant="primary")
        with gr.Column():
            probs = gr.Label(num_top_classes=MAX_CLASSES, label=tr("drawing.probs", "Xác suất", "Probabilities"),
                             elem_id="drawing_probs")  # fmt: skip
            notice = gr.Markdown(elem_id="drawing_notice")

    set_classes.click(use_classes, [names, state], [state, which, counts, trained, lesson, probs, notice],
                      api_visibility="private", **QUICK_GROUP)  # fmt: skip
    add.click(add_example, [which, pad, state], [state, counts], api_visibility="private", **QUICK_GROUP).success(
        None, js=CLEAR_PAD_JS
    )
    train_btn.click(train_model, state, [state, trained, lesson], api_visibility="private", **DRAWING_GROUP)
    guess.click(guess_drawing, [test_pad, state], [probs, notice], api_visibility="private", **QUICK_GROUP)


# ---- handlers ---------------------------------------------------------------------------------------------------


@shows_user_errors
def use_classes(names, state, request: gr.Request | None = None):
    """Start a new set with these class names: drawings and model of the previous set are dropped."""
    from core.training.drawing import clean_classes

    classes = clean_classes(names or "")
    new = {"drawings": {c: [] for c in classes}, "model": None, "history": []}
    radio = gr.Radio(choices=classes, value=classes[0])
    return new, radio, counts_text(new, request), "", "", None, ""


@shows_user_errors
def add_example(name, sketch, state, request: gr.Request | None = None):
    """Add the sketch to its class (the page then clears the pad: CLEAR_PAD_JS)."""

    from core.training.drawing import DrawingError, add_drawing

    if not (state or {}).get("drawings"):
        raise DrawingError("Name the classes first.", "Hãy đặt tên các lớp trước.")
    drawings = add_drawing(state["drawings"], name, sketch)
    new = {**state, "drawings": drawings}
    return new, counts_text(new, request)


@shows_user_errors
def train_model(state, request: gr.Request | None = None):
    """Train a fresh network on the drawings; the held-out accuracy joins the session's history."""
    from core.training.drawing import DrawingError, train

    if not (state or {}).get("drawings"):
        raise DrawingError("Name the classes first.", "Hãy đặt tên các lớp trước.")
    model = train(state["drawings"])
    row = {"per_class": min(model.per_class), "trained_on": model.trained_on, "held_out": model.held_out,
           "accuracy": model.held_out_accuracy, "seconds": model.seconds}  # fmt: skip
    new = {**state, "model": model, "history": [*state["history"], row]}
    return new, trained_text(model, request), lesson_text(new["history"], request)


@shows_user_errors
def guess_drawing(sketch, state, request: gr.Request | None = None):
    from core.training.drawing import DrawingError, predict

    model = (state or {}).get("model")
    if model is None:
        raise DrawingError("Train the model first.", "Hãy huấn luyện mô hình trước.")
    p = predict(model, sketch)
    note = localized(request, p.note())
    return p.probabilities, f"**{note}**" if p.unlike_drawings else note


# ---- text -------------------------------------------------------------------------------------------------------


def counts_text(state: dict, request: gr.Request | None = None) -> str:
    drawings = state.get("drawings") or {}
    parts = ", ".join(f"**{name}**: {len(xs)}" for name, xs in drawings.items())
    return say(
        request,
        f"Số hình đã vẽ: {parts} (ít nhất {MIN_PER_CLASS}, tối đa {MAX_PER_CLASS} mỗi lớp).",
        f"Drawings so far: {parts} (at least {MIN_PER_CLASS}, at most {MAX_PER_CLASS} per class).",
    )


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.0f}%"


def trained_text(model, request: gr.Request | None = None) -> str:
    acc = model.held_out_accuracy
    seconds = f"{model.seconds:.1f}"
    if acc is None:
        held = say(
            request,
            "Chưa có hình nào được để riêng (cần ít nhất 3 hình mỗi lớp), nên chưa đo được độ chính xác.",
            "No drawing is held out yet (that needs 3 per class), so there is no accuracy to show yet.",
        )
    else:
        held = say(
            request,
            f"Độ chính xác trên {model.held_out} hình để riêng: **{_pct(acc)}**.",
            f"Accuracy on {model.held_out} held-out drawings: **{_pct(acc)}**.",
        )
    return say(
        request,
        f"**Xong** sau {seconds.replace('.', ',')} giây ({model.steps} lô, học trên {model.trained_on} hình). "
        f"{held} Giờ hãy vẽ một hình mới bên dưới.",
        f"**Done** in {seconds} s ({model.steps} batches, taught on {model.trained_on} drawings). {held} Now draw a "
        "new shape below.",
    )


def lesson_text(history: list[dict], request: gr.Request | None = None) -> str:
    """Each training so far: drawings per class and the held-out accuracy, the lesson in numbers."""
    head = say(
        request,
        "| # | hình mỗi lớp (ít nhất) | học trên | để riêng | độ chính xác để riêng |\n|---|---|---|---|---|",
        "| # | drawings per class (fewest) | taught on | held out | held-out accuracy |\n|---|---|---|---|---|",
    )
    rows = [
        f"| {i} | {r['per_class']} | {r['trained_on']} | {r['held_out']} | {_pct(r['accuracy'])} |"
        for i, r in enumerate(history, 1)
    ]
    tail = say(
        request,
        "Thêm hình (và vẽ chúng khác nhau: to, nhỏ, nghiêng, nét dày, nét mảnh) rồi huấn luyện lại để xem con số "
        f"thay đổi. Mỗi lượt huấn luyện tối đa {TRAIN_SECONDS:.0f} giây.",
        "Add drawings (and vary them: big, small, slanted, thick, thin strokes) and train again to watch the number "
        f"change. Each training takes at most {TRAIN_SECONDS:.0f} s.",
    )
    return "\n".join([head, *rows, "", tail])
