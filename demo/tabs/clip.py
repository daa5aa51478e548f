"""Tab "CLIP playground": zero-shot with editable classes and prompts, a k-shot slider, and the accuracy-vs-k study."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import gradio as gr

from core.catalog import DEFAULT_CLIP, get_spec, list_models
from core.catalog.availability import clip_choice, runs_here
from core.catalog.course_results import CLIP_COURSE_CLASSES, CLIP_COURSE_CURVE, CLIP_COURSE_PROMPT, CLIP_TASK3
from core.clip.templates import CIFAR_TEMPLATES, DEFAULT_TEMPLATE, IMAGENET_TEMPLATES
from core.runtime.inputs import NO_PHOTO, InputError
from core.runtime.messages import Bilingual
from demo.server import first_run
from demo.server.gpu import gpu_task
from demo.ui.components import example_images, image_file, image_input, payload_source
from demo.ui.course_panel import course_panel
from demo.ui.errors import localized, shows_user_errors
from demo.ui.i18n import lang_of, say, tr
from demo.ui.wiring import for_profile

REPO = Path(__file__).resolve().parents[2]
STUDY_PLOT = REPO / "checkpoints" / "clip_study" / "accuracy_vs_k.png"
VQA_EXAMPLES = sorted(str(p) for p in (REPO / "examples" / "vqa").glob("*.png"))
USER_CLASSES = 10  # galleries for the user's own support images (the i-th gallery is the i-th class name); the
# course's Task 3 used 10 classes
DEFAULT_CLASSES = "cat, coffee cup, rocket, astronaut, dog"
SHAPE_CLASSES = "circle, rectangle, triangle"  # what the easy-VQA examples show: one coloured shape each
MAX_TABLE_ROWS = 1000
# A missing input is said in the results' own notes (inline_note), not as an error: no toast, no red badge.
INLINE_MARK = "> **"  # how an inline note starts; results' notes start with the model's name in bold
NO_IMAGE = Bilingual("Upload an image or pick an example.", "Hãy tải ảnh lên hoặc chọn ảnh ví dụ.")
NO_CLASSES = Bilingual("No class names", "Chưa có tên lớp")
TYPE_CLASSES = Bilingual(
    "Type at least two, separated by commas or new lines (e.g. cat, dog).",
    "Hãy gõ ít nhất hai lớp, cách nhau bởi dấu phẩy hoặc xuống dòng (vd. mèo, chó).",
)
NO_SUPPORT = Bilingual("No support images", "Chưa có ảnh mẫu")
DROP_SUPPORT = Bilingual(
    'Open "Your support images" and drop images into the galleries (the i-th gallery is the i-th class name), '
    "or set k = 0.",
    'Mở "Ảnh mẫu của bạn" và kéo ảnh vào các ô (ô thứ i là lớp thứ i trong ô tên lớp), hoặc đặt k = 0.',
)


def build_clip_tab(profile: str) -> None:
    _intro(profile)
    card = first_run.needs_download_card()  # shown on page load when no CLIP weights are here
    zs, ks = _zero_shot_panel(), _k_shot_panel()
    curve = _curve_panel()
    course_panel("clip", [CLIP_TASK3], profile)
    _study_accordion()
    page_outputs = [card, zs.run_zs, ks.run_k, ks.k, zs.model, zs.cos_table]
    first_run.on_page_load(for_profile(page_load, profile), page_outputs)
    common = dict(preprocess=False, concurrency_limit=2, concurrency_id="models", api_visibility="private")
    zero_shot_event, k_shot_event = gpu_task(for_profile(zero_shot, profile)), gpu_task(for_profile(k_shot, profile))
    zs_inputs = [zs.image, zs.classes, zs.templates, zs.model]
    zs_outputs = [zs.zs_label, zs.cos_table, zs.zs_notes, zs.zs_json]
    zs.run_zs.click(zero_shot_event, zs_inputs, zs_outputs, **common)
    # An example fills the image and its classes, then classifies at once (where a CLIP can run here). Chained
    # here rather than gr.Examples(run_on_click=True): that event would preprocess the image, skip the models'
    # concurrency group and stay callable through the API. A "no photo" note must not stay beside the photo just given:
    # cleared on the visitor's own upload (`input`, not `change`, which an example fires too: its answer could arrive
    # after the run's and wipe its notes), and for an example before the run starts.
    notes, quick = [zs.zs_notes, ks.k_notes], dict(api_visibility="private", queue=False)
    zs.image.input(drop_inline_notes, notes, notes, **quick)
    example_event = gpu_task(for_profile(example_zero_shot, profile))
    zs.examples.load_input_event.then(drop_inline_notes, notes, notes, **quick).then(
        example_event, zs_inputs, zs_outputs, **common
    )
    k_inputs = [zs.image, ks.k, ks.support, zs.classes, zs.templates, zs.model, *ks.galleries]
    k_outputs = [ks.k_zero, ks.k_plain, ks.k_init, ks.nearest, ks.k_notes, ks.k_json]
    ks.run_k.click(k_shot_event, k_inputs, k_outputs, **common)
    ks.k.release(k_shot_event, k_inputs, k_outputs, **common)
    # The course's Task 3 set-up: its 10 classes, its one prompt, the user's own images (Flickr30k is not here).
    ks.course_preset.click(course_preset, outputs=[zs.classes, zs.templates, ks.support, ks.galleries_box,
                                                   *ks.galleries],
                           api_visibility="private", queue=False)  # fmt: skip
    curve_inputs = [ks.support, zs.classes, zs.templates, zs.model, *ks.galleries]
    curve.run.click(gpu_task(for_profile(k_curve, profile)), curve_inputs, [curve.plot, curve.table], **common)
    for button, chosen in (
        (zs.one, (DEFAULT_TEMPLATE,)),
        (zs.cifar, CIFAR_TEMPLATES),
        (zs.imagenet, IMAGENET_TEMPLATES),
    ):
        # queue=False: filling a textbox should not wait behind model calls in the queue.
        button.click(lambda t=chosen: joined_templates(t), outputs=[zs.templates], api_visibility="private",
                     queue=False)  # fmt: skip


def _intro(profile: str) -> None:
    """What zero- and k-shot mean; a note when the CLIP is random."""
    gr.Markdown(
        tr(
            "clip.intro",
            "### CLIP: phân loại zero-shot và k-shot\n"
            "CLIP so khớp ảnh với câu mô tả. **Zero-shot**: gõ tên các lớp, mỗi lớp thành các câu theo mẫu "
            '("a photo of a {}."), lớp có độ tương đồng cosine cao nhất với ảnh thắng. **k-shot**: thêm k ảnh mẫu '
            "mỗi lớp và huấn luyện một bộ phân loại tuyến tính trên đặc trưng CLIP (đã đóng băng).",
            "### CLIP: zero-shot and k-shot classification\n"
            "CLIP matches images against sentences. **Zero-shot**: type class names; each becomes prompts from the "
            'templates ("a photo of a {}.") and the class whose prompts are most cosine-similar to the image wins. '
            "**k-shot**: add k example images per class and fit a linear classifier on the frozen CLIP features.",
        )
    )
    if profile != "default":
        gr.Markdown(
            tr(
                f"clip.profile_note.{profile}",
                f"**Mô hình thử ({profile})**: CLIP là bản khởi tạo ngẫu nhiên; xác suất không có ý nghĩa.",
                f"**Test models ({profile})**: CLIP is randomly initialised; the probabilities are meaningless.",
            )
        )


def _zero_shot_panel() -> SimpleNamespace:
    """The image, the CLIP, class names, templates and the zero-shot outputs."""
    # Created first, drawn in the right column: an example sets the image and the class names that fit it.
    classes = gr.Textbox(
        value=DEFAULT_CLASSES,
        lines=3,
        label=tr("clip.classes", "Tên các lớp", "Class names"),
        info=tr("clip.classes_info", "Cách nhau bởi dấu phẩy hoặc xuống dòng.", "Comma or newline separated."),
        render=False,
    )
    with gr.Row():
        with gr.Column(scale=1):
            image = image_input(
                label=tr("clip.image", "Ảnh cần phân loại", "Image to classify"), height=260, elem_id="clip-image"
            )
            examples = gr.Examples(
                [[p, DEFAULT_CLASSES] for p in example_images()] + [[p, SHAPE_CLASSES] for p in VQA_EXAMPLES],
                inputs=[image, classes],
                visible_columns=[0],  # the pictures; the class names come with them
                label=tr("clip.examples", "Ảnh ví dụ (bấm để phân loại)", "Examples (click to classify)"),
                api_visibility="private",
            )
            model = gr.Dropdown(
                [(get_spec(n).display_name, n) for n in list_models("clip")],
                value=DEFAULT_CLIP,
                label=tr("clip.model", "Mô hình CLIP", "CLIP model"),
                info=tr(
                    "clip.model_info",
                    "Bản đa ngôn ngữ (XLM-RoBERTa) hiểu tên lớp tiếng Việt.",
                    "The multilingual (XLM-RoBERTa) one understands Vietnamese class names.",
                ),
            )
        with gr.Column(scale=1):
            classes.render()
            templates = gr.Textbox(
                value=DEFAULT_TEMPLATE,
                lines=4,
                max_lines=12,
                label=tr("clip.templates", "Mẫu câu (mỗi dòng một mẫu, {} là tên lớp)", "Prompt templates"),
                info=tr(
                    "clip.templates_info",
                    "Nhiều mẫu: vector của lớp là trung bình các câu (prompt ensembling).",
                    "One per line with {} for the class; several are averaged per class (prompt ensembling).",
                ),
            )
            with gr.Row():
                one = gr.Button(tr("clip.tpl_one", "1 mẫu", "1 template"), size="sm")
                cifar = gr.Button(tr("clip.tpl_cifar", "18 mẫu CIFAR", "18 CIFAR templates"), size="sm")
                imagenet = gr.Button(tr("clip.tpl_imagenet", "80 mẫu ImageNet", "80 ImageNet templates"), size="sm")
            run_zs = gr.Button(tr("clip.run_zs", "Phân loại zero-shot", "Classify zero-shot"), variant="primary")
    with gr.Row(equal_height=False):
        zs_label = gr.Label(num_top_classes=10, label=tr("clip.zs_probs", "Xác suất (softmax)", "Probabilities"))
        with gr.Column():
            zs_notes = gr.Markdown()
            cos_table = gr.Dataframe(
                label=tr(
                    "clip.cos_table",
                    "Cosine của ảnh với từng câu, trước softmax",
                    "Cosine similarity of the image to each prompt, before softmax",
                ),
                interactive=False,
                max_height=320,
            )
    zs_json = gr.JSON(visible=False)
    return SimpleNamespace(**locals())  # the components, by name


def _k_shot_panel() -> SimpleNamespace:
    """Support set, k, the user's galleries and the three probes' outputs."""
    gr.Markdown(
        tr(
            "clip.kshot_intro",
            "### k-shot: thêm ảnh mẫu cho mỗi lớp\n"
            "Bộ ảnh mẫu có sẵn là **easy-VQA** (hình tròn/chữ nhật/tam giác tô 8 màu), đi kèm gói `easy-vqa` nên "
            "chạy được không cần mạng; ảnh thật hợp với CLIP hơn nhưng không có bộ ảnh thật có nhãn nào sẵn trên "
            'máy. Hãy chọn ảnh easy-VQA trong các ví dụ. Hoặc chọn "ảnh của bạn": kéo ảnh vào các ô, ô thứ i là '
            "lớp thứ i trong ô tên lớp. k = 0 là zero-shot.",
            "### k-shot: add example images per class\n"
            "The built-in support sets are **easy-VQA** (circles, rectangles, triangles in 8 colours), shipped with "
            "the `easy-vqa` package so they work offline; real photos would suit CLIP better, but no labelled photo "
            'set is available offline. Pick an easy-VQA example as the query. Or choose "your images": drop images '
            "into the galleries, the i-th gallery being the i-th class name above. k = 0 is zero-shot.",
        )
    )
    with gr.Row():
        support = gr.Radio(
            [
                (tr("clip.sup_shapes", "easy-VQA: hình (3 lớp)", "easy-VQA shapes (3 classes)"), "easy_vqa_shapes"),
                (tr("clip.sup_colors", "easy-VQA: màu (8 lớp)", "easy-VQA colours (8 classes)"), "easy_vqa_colors"),
                (tr("clip.sup_user", "Ảnh của bạn", "Your images"), "user"),
            ],
            value="easy_vqa_shapes",
            label=tr("clip.support", "Bộ ảnh mẫu", "Support set"),
        )
        k = gr.Slider(0, 20, value=5, step=1, label=tr("clip.k", "k ảnh mỗi lớp", "k images per class"))
        run_k = gr.Button(tr("clip.run_k", "Phân loại k-shot", "Classify k-shot"), variant="primary")
    course_preset = gr.Button(
        tr(
            "clip.course_preset",
            'Thiết lập của môn học: 10 lớp và câu mẫu "a photo of a {}"',
            'The course\'s set-up: its 10 classes and the prompt "a photo of a {}"',
        ),
        size="sm",
    )
    with gr.Accordion(tr("clip.user_galleries", "Ảnh mẫu của bạn", "Your support images"), open=False) as galleries_box:
        galleries = []
        for first in range(0, USER_CLASSES, 5):  # two rows of five: ten galleries side by side are too narrow
            with gr.Row():
                galleries += [
                    gr.Gallery(
                        label=tr(f"clip.gallery_{i}", f"Lớp {i + 1}", f"Class {i + 1}"),
                        interactive=True,
                        columns=3,
                        height=180,
                        file_types=["image"],
                    )
                    for i in range(first, min(first + 5, USER_CLASSES))
                ]
    with gr.Row(equal_height=False):
        k_zero = gr.Label(num_top_classes=8, label=tr("clip.k_zero", "Zero-shot (cùng các lớp)", "Zero-shot"))
        k_plain = gr.Label(
            num_top_classes=8, label=tr("clip.k_plain", "Hồi quy logistic thường", "Plain logistic regression")
        )
        k_init = gr.Label(
            num_top_classes=8,
            label=tr("clip.k_init", "Khởi tạo từ zero-shot (kéo về trọng số văn bản)", "Zero-shot-initialised probe"),
        )
    k_notes = gr.Markdown()
    nearest = gr.Gallery(
        label=tr("clip.nearest", "Ảnh mẫu gần ảnh truy vấn nhất", "Nearest support images"),
        columns=6,
        height=200,
        fit_columns=False,
    )
    k_json = gr.JSON(visible=False)
    return SimpleNamespace(**locals())


def _curve_panel() -> SimpleNamespace:
    """Accuracy vs k measured here, on the support set loaded above, drawn beside the course's curve."""
    gr.Markdown(
        tr(
            "clip.curve_intro",
            "### Độ chính xác theo k, đo ngay ở đây\n"
            "Như Bài toán 3 của môn học: mỗi lần rút, mỗi lớp để riêng một phần tư số ảnh mẫu làm ảnh kiểm tra, "
            "bộ phân loại học trên k ảnh còn lại, và độ chính xác được đếm trên các ảnh để riêng (trung bình nhiều "
            "lần rút). Dùng bộ ảnh mẫu đang chọn ở trên; với ảnh của bạn, mỗi lớp cần ít nhất 2 ảnh.",
            "### Accuracy vs k, measured here\n"
            "As in the course's Task 3: in each draw every class holds out a quarter of its support images as test "
            "images, the probes learn from k of the others, and accuracy is counted on the held-out images (the "
            "mean over several draws). It uses the support set chosen above; with your images, every class needs "
            "at least 2.",
        )
    )
    run = gr.Button(tr("clip.run_curve", "Đo độ chính xác theo k", "Measure accuracy vs k"), variant="secondary")
    with gr.Row(equal_height=False):
        plot = gr.LinePlot(
            x="k",
            y="accuracy",
            color="curve",
            label=tr("clip.curve_plot", "Độ chính xác (%) theo k", "Accuracy (%) vs k"),
            x_title=tr("clip.curve_x", "k (ảnh mẫu mỗi lớp)", "k (support images per class)"),
            y_title=tr("clip.curve_y", "độ chính xác (%)", "accuracy (%)"),
            color_title=tr("clip.curve_legend", "đường cong", "curve"),
            y_lim=[0, 100],
            elem_id="clip-k-curve",
        )
        table = gr.Markdown(elem_id="clip-k-curve-table")
    return SimpleNamespace(run=run, plot=plot, table=table)


def _study_accordion() -> None:
    """The accuracy-vs-k study: its plot when train.clip_study has run, and how to run it."""
    with gr.Accordion(
        tr("clip.study", "Nghiên cứu: độ chính xác theo k (Flickr30k)", "Study: accuracy vs k"), open=False
    ):
        if STUDY_PLOT.exists():
            gr.Image(str(STUDY_PLOT), show_label=False, interactive=False)
        gr.Markdown(
            tr(
                "clip.study_how",
                "Giảng viên có thể chạy lại nghiên cứu này của khoá học trên Flickr30k bằng script huấn luyện của ứng "
                "dụng; biểu đồ độ chính xác theo k khi đó hiện ở đây. Số của khoá học: zero-shot "
                "54,6 %, 1-shot 32,8 %, 5-shot 61,2 %, 10-shot 76,4 %, 20-shot 93,0 %.",
                "The instructor can rerun the course's study on Flickr30k with the app's training script; its "
                "accuracy-vs-k plot then shows here. The course's numbers: zero-shot 54.6 %, "
                "1-shot 32.8 %, 5-shot 61.2 %, 10-shot 76.4 %, 20-shot 93.0 %.",
            )
        )


# --- handlers: plain values in and out; tests call them directly --------------------------------------------------


def page_load(request: gr.Request | None = None, *, profile: str) -> tuple:
    """What the tab opens on: the card when no CLIP can run here, its buttons inactive, the first runnable CLIP;
    the cosine table's empty headers in the visitor's language (Gradio would number the columns 1, 2, 3)."""
    initial = clip_choice(profile)
    card_update, *inactive = first_run.card_updates(request, "clip", initial, 3)
    model = gr.update(value=initial.models[0], interactive=initial.runnable)
    return (card_update, *inactive, model, gr.update(value=_empty_table(request)))


def _empty_table(request) -> dict:
    return {"headers": _table_headers(request), "data": [["", "", "", ""]]}


def _table_headers(request) -> list[str]:
    # Column names travel with the rows, in the visitor's language (the frontend does not translate headers).
    return [say(request, "lớp", "class"), say(request, "câu", "prompt"), "cosine", "logit"]


def inline_note(request, title: Bilingual, message: Bilingual) -> str:
    """A missing input said in the results' own panel, in the visitor's language: no error toast, no red badge."""
    return f"{INLINE_MARK}{localized(request, title)}.** {localized(request, message)}"


def drop_inline_notes(*notes):
    """Each panel's inline note (a missing input) cleared, any other text kept: the input has changed."""
    kept = tuple("" if isinstance(n, str) and n.startswith(INLINE_MARK) else gr.update() for n in notes)
    return kept[0] if len(kept) == 1 else kept  # Gradio takes one output's value as it is, not in a tuple


def no_image(payload) -> bool:
    """Nothing in the image input (an empty payload too): a missing input, not a bad one."""
    return payload is None or (isinstance(payload, dict) and not payload.get("path") and not payload.get("url"))


def _no_names(class_text) -> bool:
    return isinstance(class_text, str) and not class_text.replace(",", " ").replace(";", " ").strip()


def example_zero_shot(
    image_payload, class_text, template_text, model_name=DEFAULT_CLIP, request: gr.Request = None, *, profile: str
):
    """A clicked example: zero-shot as the button would, or nothing where this CLIP cannot run (the tab's card
    already says why, and its buttons are inactive)."""
    if not (isinstance(model_name, str) and model_name in list_models("clip") and runs_here(model_name, profile)):
        return gr.update(), gr.update(), gr.update(), gr.update()
    return zero_shot(image_payload, class_text, template_text, model_name, request, profile=profile)


def joined_templates(templates) -> str:
    """A template set as the templates box shows it: one per line."""
    return "\n".join(templates)


@shows_user_errors
def zero_shot(
    image_payload, class_text, template_text, model_name=DEFAULT_CLIP, request: gr.Request = None, *, profile: str
):
    """Probabilities, the per-prompt cosine table ({"headers", "data"}), notes, and the JSON summary."""
    from core.clip.service import as_dict

    missing = (NO_PHOTO, NO_IMAGE) if no_image(image_payload) else (NO_CLASSES, TYPE_CLASSES) if _no_names(
        class_text) else None  # fmt: skip
    if missing:
        return None, _empty_table(request), inline_note(request, *missing), None
    result, query = run_zero_shot(image_payload, class_text, template_text, model_name, profile, request)
    if len(result.names) == 1:
        gr.Warning(say(request, "Chỉ một lớp: xác suất luôn là 100 %.", "One class: its probability is always 100 %."))
    rows = _cosine_rows(result, say(request, "trung bình {} câu", "mean of {} prompts"))
    notes = _notes(request, result.notes, query)
    if len(rows) > MAX_TABLE_ROWS:
        notes += "\n\n" + say(request, f"Bảng chỉ hiện {MAX_TABLE_ROWS} dòng đầu.", f"First {MAX_TABLE_ROWS} rows.")
    table = {"headers": _table_headers(request), "data": rows[:MAX_TABLE_ROWS]}
    return as_dict(result.probabilities, result.names), table, notes, zero_shot_summary(result, query)


@shows_user_errors
def k_shot(
    image_payload,
    k_value,
    support_name="easy_vqa_shapes",
    class_text="",
    template_text=DEFAULT_TEMPLATE,
    model_name=DEFAULT_CLIP,
    request: gr.Request = None,
    *galleries,
    profile: str,
):
    """Zero-shot, the two probes' probabilities, the nearest support images, notes, and the JSON summary.

    `galleries`: the USER_CLASSES galleries' payloads, the i-th for the i-th class name (the event's last inputs).
    `request` stays before them: Gradio injects it only into a parameter before any *args (it walks the positional
    parameters by annotation) and inserts it at that position among the inputs. After *galleries it would stay
    None and every note would be English (tests/test_clip.py checks the injection). A direct call that passes
    galleries passes `request`, or None, first.
    """
    from core.clip.service import as_dict

    missing = (NO_PHOTO, NO_IMAGE) if no_image(image_payload) else None
    if not missing and support_name == "user" and k_value not in (0, "0") and not any(galleries):
        missing = (NO_SUPPORT, DROP_SUPPORT)
    if missing:
        return None, None, None, [], inline_note(request, *missing), None
    result, query = run_k_shot(image_payload, k_value, support_name, class_text, template_text, model_name,
                               galleries, profile, request)  # fmt: skip
    zs = as_dict(result.zero_shot.probabilities, result.names)
    probes = {kind: as_dict(p.probabilities, result.names) for kind, p in result.probes.items()}
    lines = list(result.notes)
    if result.k == 0:
        lines.insert(0, say(request, "k = 0: chỉ có zero-shot.", "k = 0: zero-shot only, no probe is fitted."))
    else:
        used = ", ".join(f"{n}: {u}" for n, u in zip(result.names, result.shots))
        probe_names = {
            "plain": say(request, "hồi quy logistic thường", "plain logistic regression"),
            "zs_init": say(request, "khởi tạo từ zero-shot", "zero-shot-initialised"),
        }
        fits = ", ".join(f"{probe_names.get(kind, kind)} {p.fit_ms:.0f} ms" for kind, p in result.probes.items())
        lines.insert(0, say(request, f"Ảnh mẫu dùng: {used}. Huấn luyện: {fits}.", f"Used {used}. Fit: {fits}."))
    gallery = [(_thumbnail(path), f"{c} · {s:.3f}") for path, c, s in result.nearest]
    summary = k_shot_summary(result, query)
    return zs, probes.get("plain", zs), probes.get("zs_init", zs), gallery, _notes(request, lines, query), summary


def _numbered(index: int, class_name: str) -> str:
    """A gallery's label: its number and class name, the English word CLIP's prompt uses (the same on both pages)."""
    return f"{index + 1}. {class_name}"


def course_preset():
    """The course's Task 3 set-up: its 10 class names, its prompt, the user's own images (galleries opened, each
    labelled with its class: the course's names are English words, the same in both languages)."""
    labels = [gr.Gallery(label=_numbered(i, name)) for i, name in enumerate(CLIP_COURSE_CLASSES[:USER_CLASSES])]
    return ", ".join(CLIP_COURSE_CLASSES), CLIP_COURSE_PROMPT, "user", gr.Accordion(open=True), *labels


PROBE_WORDS = {
    "plain": ("hồi quy logistic thường", "plain logistic regression"),
    "zs_init": ("khởi tạo từ zero-shot", "zero-shot-initialised"),
}


@shows_user_errors
def k_curve(
    support_name="easy_vqa_shapes",
    class_text="",
    template_text=DEFAULT_TEMPLATE,
    model_name=DEFAULT_CLIP,
    request: gr.Request = None,
    *galleries,
    profile: str,
):
    """The curve measured here on the support set (a line plot's rows) beside the course's, and its table.

    `galleries` as for k_shot, after `request` for the same reason.
    """
    import pandas as pd

    from core.clip.curve import curve_for_tab

    files = [gallery_paths(g) for g in galleries]
    if support_name == "user" and not any(files):
        return None, inline_note(request, NO_SUPPORT, DROP_SUPPORT)
    curve, display = curve_for_tab(support_name, class_text, template_text, model_name, profile, files)
    course_name = say(request, "môn học (Flickr30k, báo cáo 000)", "course (Flickr30k, report 000)")
    rows = [(k, acc, course_name) for k, acc in CLIP_COURSE_CURVE.items()]
    for kind, accs in curve.accuracy.items():
        name = say(request, f"ở đây: {PROBE_WORDS[kind][0]}", f"here: {PROBE_WORDS[kind][1]}")
        rows += [(0, round(100 * curve.zero_shot, 2), name)]
        rows += [(k, round(100 * a, 2), name) for k, a in zip(curve.ks, accs)]
    frame = pd.DataFrame(
        {
            "k": pd.Series([r[0] for r in rows], dtype="float64"),
            "accuracy": pd.Series([r[1] for r in rows], dtype="float64"),
            "curve": pd.Series([r[2] for r in rows], dtype="str"),
        }
    )
    return frame, _curve_table(request, curve, display)


def _curve_table(request, curve, display: str) -> str:
    """The curve's numbers: the course's beside the two probes' here (mean ± spread over the draws)."""
    from demo.ui.course_panel import number

    lang = lang_of(request)

    def pct(value: float | None) -> str:
        return "—" if value is None else number(100 * value, 1, lang) + " %"

    head = say(request, "| k | môn học | ở đây: LR thường | ở đây: khởi tạo zero-shot |",
                "| k | course | here: plain LR | here: zero-shot-initialised |")  # fmt: skip
    lines = [head, "| --- | --- | --- | --- |"]
    ks = sorted({0, *CLIP_COURSE_CURVE, *curve.ks})
    for k in ks:
        course = CLIP_COURSE_CURVE.get(k)
        course_text = "—" if course is None else number(course, 1, lang) + " %"
        if k == 0:
            here = [pct(curve.zero_shot)] * 2
        elif k in curve.ks:
            i = curve.ks.index(k)
            here = [f"{pct(curve.accuracy[p][i])} ± {number(100 * curve.spread[p][i], 1, lang)}" for p in PROBE_WORDS]
        else:
            here = [say(request, "không đo được", "not measured")] * 2
        lines.append(f"| {k} | {course_text} | {here[0]} | {here[1]} |")
    sizes = ", ".join(f"{n}: {c}" for n, c in zip(curve.names, curve.per_class))
    about = say(
        request,
        f"**{display}**: {curve.held_out} ảnh kiểm tra mỗi lần rút, {curve.draws} lần rút; ảnh mẫu mỗi lớp: {sizes}. "
        "k = 0 là zero-shot trên cùng các ảnh kiểm tra.",
        f"**{display}**: {curve.held_out} held-out test images per draw, {curve.draws} draws; support images per "
        f"class: {sizes}. k = 0 is zero-shot on the same held-out images.",
    )
    notes = [f"- {localized(request, n)}" for n in curve.notes]
    return "\n".join([*lines, "", about, *notes])


# --- what the handlers and the public API (demo/api.py) share -----------------------------------------------------


def run_zero_shot(image_payload, class_text, template_text, model_name, profile: str, request=None):
    """Check the image and classify it zero-shot: core.clip.service's (result, query)."""
    from core.clip.service import classify_zero_shot

    source = image_source(image_payload)
    return classify_zero_shot(source, class_text, template_text, model_name, profile)


def run_k_shot(image_payload, k, support, class_text, template_text, model_name, galleries, profile: str, request=None):
    """Check the image and every gallery path, then k-shot: core.clip.service's (result, query).

    `galleries`: up to USER_CLASSES raw gr.Gallery payloads (or lists of paths), the i-th for the i-th class name.
    """
    from core.clip.service import classify_k_shot

    galleries = list(galleries or [])[:USER_CLASSES]
    files = [gallery_paths(g) for g in galleries] + [[] for _ in range(USER_CLASSES - len(galleries))]
    source = image_source(image_payload)
    return classify_k_shot(source, k, support, class_text, template_text, model_name, profile, files)


def zero_shot_summary(result, query) -> dict:
    """The JSON of a zero-shot result (the tab's details panel and the /clip_zero_shot API)."""
    from core.clip.service import as_dict

    return {
        "model": query.model_name,
        "classes": result.names,
        "templates": result.templates,
        "probabilities": as_dict(result.probabilities, result.names),
        "cosine": as_dict(result.cosine, result.names),
        "prompt_cosine": {n: [float(c) for c in row] for n, row in zip(result.names, result.prompt_cosine)},
        "logit_scale": result.logit_scale,
        "prompts_encoded": result.prompts_encoded,
        "image_cached": query.image_cached,
        "notes": result.notes,
    }


def k_shot_summary(result, query) -> dict:
    """The JSON of a k-shot result (the tab's details panel and the /clip_k_shot API)."""
    from core.clip.service import as_dict

    return {
        "model": query.model_name,
        "k": result.k,
        "classes": result.names,
        "shots": result.shots,
        "zero_shot": as_dict(result.zero_shot.probabilities, result.names),
        "probes": {
            kind: {
                "probabilities": as_dict(p.probabilities, result.names),
                "fit_ms": p.fit_ms,
                "prior_scale": p.prior_scale,
            }
            for kind, p in result.probes.items()
        },  # fmt: skip
        "nearest": [{"class": c, "cosine": s} for _, c, s in result.nearest],
        "notes": result.notes,
    }


def image_source(payload):
    """The checked image of an event or API call (core.runtime.uploads); a message when there is none."""
    if no_image(payload):
        raise InputError(NO_IMAGE, title=NO_PHOTO)
    return payload_source(payload)  # a refused path: core.runtime.uploads' UploadRefused, shown by @shows_user_errors


def _thumbnail(path: str) -> str:
    """A copy in the output folder: Gradio serves only files under the app, /tmp or its cache, and the built-in
    support images live in the easy-vqa package's folder."""
    from core.runtime.images import load_image

    image = load_image(path).image
    image.thumbnail((160, 160))
    return image_file(image)


def gallery_paths(value) -> list[str | None]:
    """A raw gr.Gallery payload (preprocess=False) or a list of paths -> the checked image paths in it.

    Gradio checks a gallery item's path only when it carries the FileData `meta` tag, so every path passes
    core.runtime.uploads.checked_upload; one refused path refuses the request (the same message as any refused path).
    """
    from core.clip.support import MAX_SHOTS
    from core.runtime.uploads import UploadRefused, checked_upload

    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        raise UploadRefused()
    paths = []
    # user_support uses MAX_SHOTS per class and notes the rest: more items than that are counted, not opened.
    for item in value:
        if isinstance(item, (list, tuple)):
            item = item[0] if item else None
        if isinstance(item, dict):
            item = item.get("image") or item
            item = item.get("path") if isinstance(item, dict) else item
        if item is None or item == "":
            continue
        if len(paths) >= MAX_SHOTS:
            paths.append(None)  # never opened: only counted for the "first 20 of N" note
            continue
        paths.append(str(checked_upload(item)))
    return paths


def _cosine_rows(result, mean_of: str) -> list[list]:
    rows = []
    for c in result.probabilities.argsort()[::-1]:
        name = result.names[c]
        if len(result.templates) > 1:
            rows.append([name, f"({mean_of.format(len(result.templates))})", round(float(result.cosine[c]), 4),
                         round(result.logit_scale * float(result.cosine[c]), 2)])  # fmt: skip
        for t, cos in zip(result.templates, result.prompt_cosine[c]):
            rows.append([name, t.replace("{}", name), round(float(cos), 4), round(result.logit_scale * float(cos), 2)])
    return rows


def _notes(request, lines, query) -> str:
    cached = say(request, " (đặc trưng ảnh lấy từ bộ nhớ đệm)", " (image features from the cache)")
    head = f"**{query.model_display}**" + (cached if query.image_cached else "")
    return "\n".join([head, *(f"- {localized(request, line)}" for line in lines)])
