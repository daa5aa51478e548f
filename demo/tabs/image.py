"""Tab "ResNet vs ViT": two image classifiers side by side, with Grad-CAM and training reports.

Handlers only convert between UI values and core/ calls (docs/ARCHITECTURE.md: data flows one way).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import gradio as gr

from core.catalog import get_spec, list_models
from core.catalog.availability import IMAGE_OFFLINE, image_pair
from core.catalog.course_results import REPORT002, TASK1
from core.catalog.labels import label_vi
from core.catalog.store import DATASET_NAMES, load_with_fallback
from core.catalog.weights import WeightsUnavailable
from core.runtime.images import load_image
from core.runtime.inputs import choice
from core.runtime.messages import Bilingual, UserError, number_text
from core.runtime.serving import image_precision
from core.training.report import find_report
from demo.server import first_run
from demo.server.fair_queue import image_group
from demo.server.gpu import gpu_task
from demo.ui.components import EXAMPLES_DIR, example_images, image_file, image_input, payload_source
from demo.ui.course_panel import course_panel
from demo.ui.errors import localized, shows_user_errors
from demo.ui.i18n import I18N, lang_of, say, tr
from demo.ui.reports import build_report_panel, raw_result_json, training_reports
from demo.ui.wiring import for_profile

if TYPE_CHECKING:
    from core.image.service import ClassifyResult

TASK = "image-classification"
TOP_K = 5


@dataclass
class Panel:
    header: gr.Markdown
    label: gr.Label
    model_input: gr.Image
    explanation: gr.Image

    def outputs(self) -> list:
        return [self.header, self.label, self.model_input, self.explanation]


FAMILY_ORDER = ("CNN", "Transformer", "CNN + Transformer", "RNN", "Linear / MLP")


def model_choices(profile: str) -> list[tuple[str, str]]:
    """Dropdown entries grouped by family; trained checkpoints show their dataset, test accuracy and training
    budget (images × epochs: a rank means little between checkpoints trained on different budgets). Models trained
    in the Live training tab are entries of their own (core.training.live_models), listed beside the committed ones."""
    from core.training import live_models

    live_models.sync()
    rows = []
    for name in list_models(TASK):
        spec = get_spec(name)
        label = f"{spec.family} · {spec.display_name}"
        report = find_report(name) if profile == "default" else None
        vi = en = label
        if report:
            config, metrics = report
            dataset = DATASET_NAMES.get(config.get("dataset", ""), config.get("dataset", "?"))
            accuracy = 100 * metrics["test"]["accuracy"]
            vi = f"{label} — {dataset} · {number_text(accuracy, 1).vi}%"
            en = f"{label} — {dataset} · {accuracy:.1f}%"
            summary = metrics.get("summary", {})
            if summary.get("train_samples") and summary.get("epochs"):
                n, e = summary["train_samples"], summary["epochs"]
                vi += f" ({n:,} ảnh × {e} epoch)".replace(",", ".")
                en += f" ({n:,} images × {e} epochs)"
        if spec.model_card:  # someone else's figure, marked as such
            vi, en = f"{vi} — {spec.model_card.vi}", f"{en} — {spec.model_card}"
        vi, en = f"{vi}  [{name}]", f"{en}  [{name}]"
        # The key carries the text's checksum: a checkpoint retrained in a running server gets a new key.
        shown = en if vi == en else tr(f"image.choice.{name}.{zlib.crc32((vi + en).encode())}", vi, en)
        rows.append((FAMILY_ORDER.index(spec.family), shown, name))
    return [(label, name) for _, label, name in sorted(rows, key=lambda r: r[0])]


def fashion_mnist_examples() -> list[str]:
    """Ten Fashion-MNIST test images, one per class (examples/README.md): what the zoo models were trained on."""
    return sorted(str(p) for p in (EXAMPLES_DIR / "fashion_mnist").glob("*.png"))


def build_image_tab(profile: str) -> None:
    heading = _intro(profile)
    with gr.Row():
        with gr.Column(scale=2):
            image = image_input(label=tr("image.image", "Ảnh", "Image"), height=320, elem_id="image-photo")
            image_note = gr.Markdown(visible=False)  # a file that is no image, said at upload (image_changed)
            example_sets = _examples(image, profile)
            sketch, run_sketch = _sketchpad()
        with gr.Column(scale=1):
            model_a, model_b, explain, precision = _options(profile)
            run = gr.Button(tr("image.compare", "So sánh", "Compare"), variant="primary", interactive=False)
            gr.Markdown(tr("image.compare_hint", "_Chọn một ảnh ví dụ, tải ảnh lên hoặc vẽ để so sánh._",
                           "_Pick an example, upload an image or draw one to compare._"))  # fmt: skip
    note = gr.Markdown(visible=False)  # why the tab does not open on ResNet-50 vs ViT-B/16, and the command
    first_run.on_page_load(for_profile(on_load, profile), [model_a, model_b, note, heading])
    for dropdown in (model_a, model_b):  # a model trained live since the page loaded is offered when it opens
        dropdown.focus(for_profile(refresh, profile), outputs=dropdown, api_visibility="private", queue=False)
        dropdown.change(pair_heading, [model_a, model_b], heading, api_visibility="private", queue=False)
    # Compare is inactive until there is an image (a click on an empty form would only paint error badges) and
    # while the file is no image, which the note under it says at once rather than after Compare.
    image.change(image_changed, image, [run, image_note], api_visibility="private", queue=False, preprocess=False)
    with gr.Row(equal_height=False):
        panels = [_panel(side) for side in ("A", "B")]
    precision_table = gr.Markdown()
    raw = raw_result_json()
    build_report_panel(model_a, model_b, _reports)
    course_panel("image", [TASK1, REPORT002], profile)
    outputs = [*panels[0].outputs(), *panels[1].outputs(), precision_table, raw]
    run_compare = dict(
        fn=gpu_task(for_profile(compare, profile)),
        inputs=[image, model_a, model_b, explain, precision],
        outputs=outputs,
        api_visibility="private",
        preprocess=False,  # the image is validated by core.runtime.images (see demo.ui.components.image_input)
        **image_group(),
    )
    run.click(**run_compare)
    # An example runs on click, with the same handler, queue group and checks as the button: like
    # gr.Examples(run_on_click=True), which would run it with Gradio's preprocessing and outside the group. Not
    # cached (cache_examples=False): the answer is in the visitor's language and depends on the chosen models.
    for examples in example_sets:
        examples.load_input_event.then(**run_compare)
    run_sketch.click(
        gpu_task(for_profile(compare_drawing, profile)),
        inputs=[sketch, model_a, model_b, explain, precision],
        outputs=outputs,
        api_visibility="private",
        **image_group(),
    )


def _examples(image: gr.Image, profile: str) -> list[gr.Examples]:
    """Fashion-MNIST test images and photos, each set labelled with whom it fits; the set that fits the pair the
    page opens on comes first (the zoo pair offline, ResNet-50 vs ViT-B/16 where their weights are)."""
    garments = (
        fashion_mnist_examples(),
        tr(
            "image.examples_fmnist",
            "Ảnh kiểm tra Fashion-MNIST (đúng loại ảnh các mô hình Fashion-MNIST đã học: 10 loại quần áo, giày, túi)",
            "Fashion-MNIST test images (what the Fashion-MNIST models learned: 10 kinds of clothing, shoes, bags)",
        ),
    )
    photos = (
        example_images(),
        tr(
            "image.examples_photos",
            "Ảnh chụp đời thường: ngoài những gì các mô hình Fashion-MNIST biết (hợp với mô hình ImageNet, CIFAR-100)",
            "Everyday photos: outside what the Fashion-MNIST models know (they fit the ImageNet and CIFAR-100 models)",
        ),
    )
    ordered = [garments, photos] if image_pair(profile).models == IMAGE_OFFLINE else [photos, garments]
    return [
        gr.Examples(
            examples=[[p] for p in paths], inputs=[image], label=label, examples_per_page=10, cache_examples=False
        )  # fmt: skip
        for paths, label in ordered
    ]


def _sketchpad() -> tuple[gr.Sketchpad, gr.Button]:
    """Draw a garment: light strokes on a black canvas, as Fashion-MNIST's images are."""
    import numpy as np

    title = tr("image.draw", "Vẽ một món đồ (nét sáng trên nền đen, như ảnh Fashion-MNIST)",
               "Draw a garment (light strokes on black, like Fashion-MNIST's images)")  # fmt: skip
    with gr.Accordion(title, open=False):
        sketch = gr.Sketchpad(
            value={"background": np.zeros((280, 280, 3), dtype=np.uint8), "layers": [], "composite": None},
            canvas_size=(280, 280),
            fixed_canvas=True,
            brush=gr.Brush(
                colors=["#FFFFFF", "#B0B0B0", "#606060"], default_color="#FFFFFF", default_size=14, color_mode="fixed"
            ),  # fmt: skip
            type="pil",
            image_mode="RGB",
            layers=False,
            height=320,
            label=tr("image.sketch", "Hình vẽ", "Drawing"),
        )
        run = gr.Button(tr("image.compare_drawing", "So sánh hình vẽ", "Compare the drawing"))
    return sketch, run


def _intro(profile: str) -> gr.Markdown:
    """The heading (the pair on screen, set on page load and when a model changes) and the tab's one paragraph."""
    heading = gr.Markdown("### " + " vs ".join(get_spec(n).display_name for n in image_pair(profile).models))
    gr.Markdown(
        tr(
            "image.intro",
            "Tải lên, dán, chụp hoặc vẽ một ảnh (hoặc chọn ảnh ví dụ) rồi so sánh dự đoán của hai mô hình: mô hình "
            "chạy nhanh đến đâu, đầu vào thực sự mô hình nhìn thấy là gì, và mô hình nhìn vào đâu trong ảnh. Mỗi mô "
            "hình chỉ biết các lớp của tập dữ liệu nó đã học; khung kết quả nói khi ảnh không giống dữ liệu đó.",
            "Upload, paste, photograph or draw an image (or pick an example) and compare what two models predict, how "
            "fast they are, what input they actually see, and where they look. Each model knows only the classes of "
            "the data set it learned; its panel says when the image is unlike that data.",
        )
    )
    if profile != "default":
        gr.Markdown(
            tr(
                f"image.profile_note.{profile}",
                f"**APP_PROFILE={profile}**: mọi mô hình là bản thay thế khởi tạo ngẫu nhiên; dự đoán không có ý "
                "nghĩa.",
                f"**APP_PROFILE={profile}**: every model is a random-initialised stand-in; predictions are "
                "meaningless.",
            )
        )
    return heading


def _options(profile: str) -> tuple[gr.Dropdown, gr.Dropdown, gr.Checkbox, gr.Radio]:
    choices = model_choices(profile)
    # The pair that runs here (core.catalog.availability), decided again on every page load (on_load).
    default_a, default_b = image_pair(profile).models
    model_a = gr.Dropdown(choices, value=default_a, label=tr("image.model_a", "Mô hình A", "Model A"))
    model_b = gr.Dropdown(choices, value=default_b, label=tr("image.model_b", "Mô hình B", "Model B"))
    explain = gr.Checkbox(
        value=True,
        label=tr(
            "image.explain",
            "Bản đồ giải thích (Grad-CAM: thêm một lượt lan truyền ngược)",
            "Explanation map (Grad-CAM: one extra backward pass)",
        ),
    )
    precision = gr.Radio(
        [("fp32", "fp32"), ("int8", "int8"), (tr("image.compare_precisions", "int8 so với fp32",
                                                 "int8 vs fp32"), "compare")],
        value=image_precision(),
        label=tr(
            "image.precision",
            "Độ chính xác số của trọng số (int8: cho mô hình chủ yếu là lớp Linear, như ViT, MLP)",
            "Weight precision (int8: for models made mostly of Linear layers, such as ViT, MLP)",
        ),
    )  # fmt: skip
    return model_a, model_b, explain, precision


def _panel(side: str) -> Panel:
    with gr.Column():
        return Panel(
            header=gr.Markdown(tr(f"image.header_{side}", f"**Mô hình {side}**", f"**Model {side}**")),
            label=gr.Label(
                num_top_classes=TOP_K,
                # "(superclass)" added by format_panel for labels that have one
                label=tr("image.top_k", f"Top-{TOP_K}", f"Top-{TOP_K}"),
            ),
            model_input=gr.Image(
                label=tr("image.model_sees", "Mô hình nhìn thấy gì", "What the model sees"),
                height=224,
                interactive=False,
            ),
            explanation=gr.Image(
                label=tr("image.where_looks", "Mô hình nhìn vào đâu", "Where it looks"),
                height=224,
                interactive=False,
            ),
        )


# ---- handlers: plain values in and out; the profile is bound at wiring (demo.ui.wiring.for_profile) ----------------


def on_load(request: gr.Request | None = None, *, profile: str) -> tuple:
    """Page load: the pair that runs here now (core.catalog.availability), the note saying why it is not the headline
    pair, and the heading naming that pair."""
    initial = image_pair(profile)
    return (*initial.models, first_run.note_update(request, initial), pair_heading(*initial.models, request))


def pair_heading(name_a: str, name_b: str, request: gr.Request | None = None) -> str:
    """The tab's heading: the two models on screen, with their families (CNN, Transformer...)."""
    known = set(list_models(TASK))
    names = [f"{get_spec(n).display_name} ({get_spec(n).family})" if n in known else str(n)  # a deleted live model
             for n in (name_a, name_b)]  # fmt: skip
    return f"### {names[0]} {say(request, 'và', 'vs')} {names[1]}"


def has_image(payload) -> gr.Button:
    """The Compare button is active only while the image input holds an image."""
    return gr.Button(interactive=not _empty(payload))


def _empty(payload) -> bool:
    return payload is None or (isinstance(payload, dict) and not (payload.get("path") or payload.get("url")))


def image_changed(payload, request: gr.Request | None = None) -> tuple[gr.Button, dict]:
    """Compare's state (off without an image) and the note under the image: a file that cannot be read as an image
    (a text file renamed .jpg shows only a broken-image icon) is said here at once, in the visitor's language."""
    hidden = gr.update(value="", visible=False)
    if _empty(payload):  # (inside a running app a gr.Button built here is an update: it has no .interactive)
        return gr.Button(interactive=False), hidden
    try:
        load_image(payload_source(payload))  # the same checks as Compare's, once per new image
    except UserError as exc:
        note = f"⚠️ **{localized(request, exc.title)}.** {localized(request, exc)}"
        # Compare stays on: pressed anyway, it says the same in the message box (and the panels show the error).
        return gr.Button(interactive=True), gr.update(value=note, visible=True)
    return gr.Button(interactive=True), hidden


def refresh(request: gr.Request | None = None, *, profile: str) -> gr.Dropdown:
    """A dropdown opened: its choices again, live-trained models included."""
    return gr.Dropdown(choices=current_choices(profile, request))


@shows_user_errors
def compare(
    image_payload,
    name_a: str,
    name_b: str,
    explain_map: bool = True,
    precision: str = "fp32",
    request: gr.Request | None = None,
    *,
    profile: str,
) -> tuple:
    """The Compare button: both panels (header, top-k, what the model sees, the map), the fp32 vs int8 table and
    the JSON summary."""
    name_a, name_b, precision = checked_inputs(name_a, name_b, precision, profile)
    from PIL import Image

    # A drawing arrives as the PIL picture Gradio flattened (compare_drawing); anything else is an upload payload.
    loaded = load_image(image_payload if isinstance(image_payload, Image.Image) else payload_source(image_payload))
    sides = classify_pair(loaded.image, (name_a, name_b), profile, explain=bool(explain_map), precision=precision,
                          request=request)  # fmt: skip
    outputs = [value for s in sides for value in format_panel(s, loaded.notes, request)]
    table = precision_table([s.precision_row for s in sides if s.precision_row], request)
    return (*outputs, table, {s.side: s.raw for s in sides})


NOTHING_DRAWN = Bilingual(
    "Nothing drawn yet: draw a garment on the black canvas (light strokes), then compare.",
    "Chưa vẽ gì: hãy vẽ một món đồ lên nền đen (nét sáng) rồi so sánh.",
)


@shows_user_errors
def compare_drawing(
    sketch,
    name_a: str,
    name_b: str,
    explain_map: bool = True,
    precision: str = "fp32",
    request: gr.Request | None = None,
    *,
    profile: str,
) -> tuple:
    """The drawing's Compare button: the same outputs as `compare`, for the sketchpad's flattened picture (Gradio
    decodes its own canvas, so this event keeps Gradio's preprocessing: a dict with a PIL "composite"). An empty
    canvas gets its message inline in panel A, not an error on every output."""
    import numpy as np

    composite = sketch.get("composite") if isinstance(sketch, dict) else None
    if composite is None or np.asarray(composite.convert("L")).max() < 16:  # an empty (black) canvas
        unchanged = [gr.update() for _ in range(2 * len(Panel.__dataclass_fields__) + 1)]
        return (f"**{localized(request, NOTHING_DRAWN)}**", *unchanged)
    return compare(composite, name_a, name_b, explain_map, precision, request, profile=profile)


# ---- shared with the HTTP API (demo/api.py classify_image) ---------------------------------------------------


@dataclass
class Side:
    """One model's part of a comparison: its result, or the missing weights that stopped it."""

    side: str  # "A" or "B"
    name: str
    result: ClassifyResult | None
    error: WeightsUnavailable | None
    raw: dict  # the JSON summary (raw_result), with "precision" in compare mode
    precision_row: str | None = None  # the fp32 vs int8 table's row, in compare mode


def checked_inputs(name_a: str, name_b: str, precision: str, profile: str) -> tuple[str, str, str]:
    """The two model names (empty: the pair the page opens on) and the precision, each one of the offered values;
    core.runtime.inputs.InputError otherwise. Live-trained models are synced first: another visitor may have trained (or
    deleted) one since this page loaded."""
    from core.training import live_models

    live_models.sync()
    default_a, default_b = image_pair(profile).models  # a call naming no model gets what the page shows
    models = list_models(TASK)
    return (
        choice(name_a or default_a, models, ("Model A", "Mô hình A")),
        choice(name_b or default_b, models, ("Model B", "Mô hình B")),
        choice(precision or "fp32", PRECISIONS, ("Weight precision", "Độ chính xác số")),
    )


def classify_pair(
    image, names, profile: str, *, explain: bool, precision: str = "fp32", top_k: int = TOP_K, request=None
) -> list[Side]:
    """Each named model on `image` (a checked PIL image), in order; compare mode adds the fp32 vs int8 row."""
    sides = []
    for side, name in zip("AB", names):
        result, error = run_one(image, name, profile, explain=explain, precision=precision, top_k=top_k,
                                request=request)  # fmt: skip
        one = Side(side, name, result, error, raw_result(name, result, error))
        if precision == "compare" and result is not None:
            one.precision_row = precision_row(side, image, name, profile, one.raw, request)
        sides.append(one)
    return sides


def run_one(
    image,
    name: str,
    profile: str,
    *,
    explain: bool,
    precision: str = "fp32",
    top_k: int = TOP_K,
    request: gr.Request | None = None,
) -> tuple[ClassifyResult | None, WeightsUnavailable | None]:
    """One model's prediction, or (None, the missing weights). Any other UserError propagates to the handler."""
    from core.image.service import classify  # imports torch: deferred so that building the UI stays fast

    try:
        model = load_with_fallback(name, profile)
    except WeightsUnavailable as exc:
        # The one catch: a model of the pair without weights must not hide the other's result, so its panel says
        # what is missing in words (format_panel renders exc through demo.ui.errors.localized).
        gr.Warning(
            say(
                request,
                f"{name}: chưa có trọng số trên máy này. Khung kết quả nói rõ; thẻ Trạng thái mô hình cho giảng "
                "viên biết cách chuẩn bị.",
                f"{name}: no weights on this machine. Its panel says so; the Model status tab tells the instructor "
                "how to prepare them.",
            )
        )
        return None, exc
    if precision in ("int8", "compare"):
        from core.image.quantize import int8_applies, int8_model
        from core.runtime.device import module_device

        if int8_applies(model.module) and module_device(model.module).type == "cpu":  # int8 kernels: CPU only
            # Grad-CAM needs gradients, which int8 layers do not have: the int8 panel has no map (the note says so).
            result = classify(image, int8_model(model)[0], top_k=top_k, explain=False)
            if explain:
                result.notes.append(NO_INT8_MAP)
            return result, None
    return classify(image, model, top_k=top_k, explain=explain), None


PRECISIONS = ["fp32", "int8", "compare"]  # compare: int8 panels plus a table of fp32 vs int8
NO_INT8_MAP = Bilingual(
    "No explanation map with int8 weights: Grad-CAM needs gradients, which int8 layers do not compute. Choose fp32 "
    "to see the map.",
    "Không có bản đồ giải thích với trọng số int8: Grad-CAM cần gradient mà các lớp int8 không tính. Chọn fp32 "
    "để xem bản đồ.",
)


def precision_row(side: str, image, name: str, profile: str, raw: dict, request: gr.Request | None) -> str:
    """One row of the fp32 vs int8 table: latency, size and top-1 of each, measured now on this image."""
    from core.image.quantize import compare_precisions, int8_applies, linear_share
    from core.runtime.device import module_device

    model = load_with_fallback(name, profile)
    if not int8_applies(model.module) or module_device(model.module).type != "cpu":  # int8 kernels: CPU only
        share = f"{100 * linear_share(model.module):.0f}"
        only = say(request, f"chỉ fp32: lớp Linear giữ {share}% trọng số", f"fp32 only: Linear layers hold {share}%"
                   " of the weights")  # fmt: skip
        return f"| {side} · {model.display_name} | {only} | | | |"
    c = compare_precisions(model.preprocess(image).unsqueeze(0), model, repeats=1)

    def mb(value: float) -> str:
        return say(request, number_text(value, 1).vi, f"{value:.1f}")

    raw["precision"] = {
        "fp32": {"forward_ms": round(c.fp32_ms, 2), "size_mb": round(c.fp32_mb, 3), "top1": c.fp32_top1},
        "int8": {"forward_ms": round(c.int8_ms, 2), "size_mb": round(c.int8_mb, 3), "top1": c.int8_top1},
        "top1_agrees": c.agree,
    }
    agree = say(request, "trùng" if c.agree else "**khác**", "same" if c.agree else "**differs**")
    return (
        f"| {side} · {model.display_name} | {c.fp32_ms:.0f} → {c.int8_ms:.0f} ms | {mb(c.fp32_mb)} → {mb(c.int8_mb)} MB"
        f" | {c.fp32_top1} ({c.fp32_probability:.0%}) → {c.int8_top1} ({c.int8_probability:.0%}) | {agree} |"
    )


def precision_table(rows: list[str], request: gr.Request | None) -> str:
    if not rows:
        return ""
    head = say(
        request,
        "| mô hình | lan truyền xuôi fp32 → int8 | kích thước | top-1 fp32 → int8 | top-1 |",
        "| model | forward fp32 → int8 | size | top-1 fp32 → int8 | top-1 |",
    )
    note = say(
        request,
        "Đo ngay trên ảnh này, lô 1. int8: trọng số các lớp Linear lưu 8 bit, phép nhân ma trận chạy bằng số nguyên.",
        "Measured now on this image, batch 1. int8: Linear layers' weights stored in 8 bits, their matrix products "
        "run in integers.",
    )
    return "\n".join([head, "| --- | ---: | ---: | --- | --- |", *rows, "", note])


def format_panel(one: Side, image_notes: list[str], request: gr.Request | None = None) -> list:
    """One panel's four outputs: header, top-k scores, what the model sees, the explanation map."""
    side, name, result = one.side, one.name, one.result
    model_word = say(request, "Mô hình", "Model")
    if result is None:
        cannot = say(request, "Không chạy được mô hình này.", "Cannot run this model.")
        header = f"#### {model_word} {side}: `{name}`\n**{cannot}**\n\n{localized(request, one.error)}"
        return [header, None, None, None]
    # The out-of-domain sentence gets a block of its own above the notes (the API has it among the notes).
    notes = [localized(request, n) for n in [*result.notes, *image_notes] if n is not result.ood_note]
    params = number_text(result.num_params / 1e6, 1)
    size = f"{result.input_size}x{result.input_size}"
    cam = " + Grad-CAM" if result.explanation else ""
    forward, total = f"{result.forward_ms:.0f}", f"{result.total_ms:.0f}"
    lines = [
        f"#### {model_word} {side}: {result.display_name}",
        say(
            request,
            f"**{params.vi} triệu tham số** · đầu vào {size} px · lan truyền xuôi{cam} **{forward} ms** · tổng "
            f"{total} ms",
            f"**{params}M parameters** · input {size} px · forward{cam} **{forward} ms** · total {total} ms",
        ),
        say(request, "Trọng số: ", "Weights: ") + localized(request, result.source),
        localized(request, get_spec(result.model_name).description),
    ]
    if result.explanation_method:
        method = localized(request, result.explanation_method)  # the model class's Bilingual line
        lines.append(say(request, f"Bản đồ: {method}", f"Map: {method}"))
    verdict = result.out_of_domain
    if verdict is not None and verdict.unlike_training_data:
        unlike = say(request, "Không giống ảnh huấn luyện", "Unlike its training images")
        lines.append(f"> ⚠️ **{unlike}.** {localized(request, result.ood_note)}")
    elif verdict is not None:
        lines.append(f"✓ {localized(request, result.ood_note)}")
    lines += [f"> {n}" for n in notes]
    scores = {_label_text(p, request): p.probability for p in result.predictions}
    superclass = say(request, "lớp cha", "superclass")
    title = f"Top-{len(scores)}" + (f" ({superclass})" if any(p.superclass for p in result.predictions) else "")
    return [
        "\n\n".join(lines),
        gr.update(value=scores, label=title),
        image_file(result.model_input),
        image_file(result.explanation),
    ]


def current_choices(profile: str, request: gr.Request | None) -> list[tuple[str, str]]:
    """model_choices with each label already in the visitor's language: a page loaded before a live model existed
    has no translation key for its label."""
    table = I18N.translations[lang_of(request)]
    return [(table.get(label.key, label.key) if hasattr(label, "key") else label, name)
            for label, name in model_choices(profile)]  # fmt: skip


def _label_text(p, request: gr.Request | None = None) -> str:
    """A class as the visitor reads it: Vietnamese where the app has the name (Fashion-MNIST), its superclass."""
    label = say(request, label_vi(p.label) or p.label, p.label)
    return f"{label} ({p.superclass})" if p.superclass else label


def raw_result(name: str, result: ClassifyResult | None, error: WeightsUnavailable | None) -> dict:
    """The JSON summary of one model (the tab's raw view, the API's "A"/"B"); a missing model's error in English."""
    if result is None:
        return {"model": name, "error": str(error)}
    return {
        "model": result.model_name,
        "display_name": result.display_name,
        "top_k": [
            {"label": p.label, "superclass": p.superclass, "probability": round(p.probability, 6)}
            | ({"label_vi": label_vi(p.label)} if label_vi(p.label) else {})
            for p in result.predictions
        ],
        "forward_ms": round(result.forward_ms, 2),
        "total_ms": round(result.total_ms, 2),
        "num_params": result.num_params,
        "input_size": result.input_size,
        "batch_size": result.batch_size,
        "cached": result.cached,  # computed once for an identical request (core.runtime.coalesce)
        "weights": result.source,
        "notes": result.notes,
        # Is the image unlike the training data (core.training.ood)? None: these weights have no calibration, no
        # verdict.
        "out_of_domain": result.out_of_domain.to_json() if result.out_of_domain else None,
    }


def _reports(name_a: str, name_b: str, request: gr.Request | None = None):
    return training_reports((name_a, name_b), request, items=("ảnh", "images"))
