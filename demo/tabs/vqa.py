"""Tab "Visual question answering": a multi-turn chat about one photo, with the attention of the last question."""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from core.catalog import VQA_DATASETS, VQA_VARIANTS, vqa_spec
from core.catalog.availability import vqa_choice
from core.catalog.course_results import REPORT003
from core.runtime.inputs import NO_PHOTO, InputError
from core.runtime.messages import Bilingual, number_text
from core.vqa.answers import EASY_VQA_VI, answer_vi, course_food_split_note
from core.vqa.chat import checked_fields, checked_history
from core.vqa.text import MAX_QUESTION_CHARS
from demo.server import first_run
from demo.server.gpu import gpu_task
from demo.ui.components import image_file, image_input, payload_source
from demo.ui.course_panel import course_panel
from demo.ui.errors import localized, shows_user_errors
from demo.ui.i18n import say, tr
from demo.ui.wiring import for_profile

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "vqa"
# Photo + question pairs from easy-VQA's test set (the questions easy-VQA asks about these test images, with its
# answers in examples/vqa/README.md; tests/test_vqa.py checks them against the package): one click answers.
EXAMPLE_PAIRS = [
    ("easy_vqa_test_0.png", "what is the red shape?"),
    ("easy_vqa_test_3.png", "what color is the circle?"),
    ("easy_vqa_test_7.png", "is there a circle?"),
    ("easy_vqa_test_12.png", "what shape is in the image?"),
]
SUGGESTED = {
    "easy_vqa": [
        "what color is the shape?",
        "what shape is in the image?",
        "is there a circle?",
        "does the image contain a blue shape?",
    ],
}
# The data-set choices' labels: "food" is whatever a user trained into checkpoints/vqa/food from their own data
# (the course's set is not public), so it is offered only once such a checkpoint exists (available_datasets).
DATASET_LABELS = {
    "easy_vqa": VQA_DATASETS["easy_vqa"],
    "food": Bilingual(
        "Your own data (data/food, e.g. a Vietnamese food set you collected)",
        "Dữ liệu của bạn (data/food, ví dụ một bộ ảnh món ăn Việt bạn tự thu thập)",
    ),
}
OWN_DATA_COMMAND = "python -m train.vqa --dataset folder --data-dir data/food --name food"


def build_vqa_tab(profile: str) -> None:
    gr.Markdown(
        tr(
            "vqa.intro",
            "### Hỏi đáp về ảnh (VQA)\n"
            "Tải ảnh lên rồi hỏi nhiều câu liên tiếp về ảnh đó: một mạng CNN mã hoá ảnh một lần thành lưới các ô, "
            "một mạng LSTM đọc từng câu hỏi, và (khi có cơ chế chú ý) câu hỏi chọn những ô cần nhìn vào. Các mô "
            "hình ở đây học trên easy-VQA: chỉ biết một hình khối đơn giản, một màu, trên nền trắng, và câu hỏi "
            "tiếng Anh. Với ảnh từ thế giới khác, mô hình vẫn buộc phải chọn một câu trả lời: ứng dụng đo xem ảnh "
            "có giống ảnh huấn luyện không và báo cho bạn.",
            "### Visual question answering (VQA)\n"
            "Upload a photo, then ask about it turn after turn: a CNN encodes the photo once into a grid of cells, "
            "an LSTM reads each question, and (with attention) the question chooses which cells to look at. The "
            "models here learned easy-VQA: one simple shape in one colour on a white background, and English "
            "questions. Shown a photo from another world they must still pick an answer: the app measures whether "
            "the photo is like the training images and tells you.",
        )
    )
    with gr.Row():
        image = _photo_column()
        variant, dataset, attention, top3 = _model_column(profile)
    notice = gr.Markdown(visible=False, elem_id="vqa-notice")  # the out-of-domain lesson, a missing input
    chatbot, question, ask_btn, clear = _chat_panel()
    pairs = gr.Examples(  # one input: a gallery of photos; each photo's question is asked with it (new_chat)
        [[str(EXAMPLES / name)] for name, _ in EXAMPLE_PAIRS],
        inputs=[image],
        label=tr("vqa.examples", "Ví dụ: ảnh + câu hỏi (bấm để hỏi)", "Examples: photo + question (click to ask)"),
        examples_per_page=len(EXAMPLE_PAIRS),
    )
    suggested = gr.Examples(
        [[q] for qs in SUGGESTED.values() for q in qs],
        inputs=[question],
        label=tr("vqa.suggested", "Câu hỏi gợi ý về ảnh đang hiện", "Suggested questions about the photo shown"),
    )
    _own_data_card()
    # The split's figures with their note: the report's own arithmetic does not add up (core.vqa.answers).
    course_panel("vqa", [REPORT003], profile, extra=(course_food_split_note(),))
    # The first checkpoint here, the user's own food checkpoint before easy-VQA (core.catalog.availability.vqa_choice).
    first_run.on_page_load(for_profile(page_load, profile), [variant, dataset])
    common = dict(preprocess=False, concurrency_id="models", api_visibility="private")
    inputs = [image, question, chatbot, variant, dataset]
    outputs = [chatbot, attention, top3, question, notice]
    event = gpu_task(for_profile(chat, profile))
    ask_btn.click(event, inputs, outputs, **common)
    question.submit(event, inputs, outputs, **common)
    # Examples run on click. Chained after the example fills the inputs (rather than Examples(fn=...)), so the
    # dropdowns' current model answers: a pair starts a new chat about its photo, a suggested question asks about
    # the photo shown.
    pairs.load_input_event.then(gpu_task(for_profile(new_chat, profile)), [image, variant, dataset], outputs,
                                **common)  # fmt: skip
    suggested.load_input_event.then(event, inputs, outputs, **common)
    cleared = [chatbot, attention, top3, notice]
    clear.click(clear_chat, outputs=cleared, api_visibility="private")
    # A photo the visitor uploads or removes starts a new chat (an example's photo is answered by new_chat).
    image.upload(clear_chat, outputs=cleared, api_visibility="private")
    image.clear(clear_chat, outputs=cleared, api_visibility="private")


def _photo_column():
    with gr.Column(scale=1):
        return image_input(label=tr("vqa.photo", "Ảnh", "Photo"), height=260, elem_id="vqa-photo")


def _model_column(profile: str) -> tuple:
    """Variant and data set (the page's first choice), the attention overlay and the top-3 answers."""
    with gr.Column(scale=1):
        first_dataset, first_variant = vqa_choice(profile).models  # again on every page load (below)
        variant = gr.Dropdown(
            [
                (tr(f"vqa.variant.{v}", f"{v}: {what.vi}", f"{v}: {what}"), v)
                for v, (_, _, what) in VQA_VARIANTS.items()
            ],
            value=first_variant,
            label=tr("vqa.variant", "Biến thể mô hình", "Model variant"),
        )
        offered = available_datasets(profile)
        dataset = gr.Dropdown(
            [(tr(f"vqa.dataset.{k}", DATASET_LABELS[k].vi, str(DATASET_LABELS[k])), k) for k in offered],
            value=first_dataset if first_dataset in offered else offered[0],
            label=tr("vqa.dataset", "Checkpoint huấn luyện trên bộ dữ liệu", "Trained on"),
        )
        attention = gr.Image(
            label=tr("vqa.attention", "Chú ý của câu hỏi cuối", "Attention of the last question"),
            height=220,
            interactive=False,
        )
        top3 = gr.Label(num_top_classes=3, label=tr("vqa.top3", "3 câu trả lời đứng đầu", "Top-3 answers"))
    return variant, dataset, attention, top3


def _chat_panel() -> tuple:
    """The conversation, the question box, Ask and Clear."""
    chatbot = gr.Chatbot(
        label=tr("vqa.chat", "Trò chuyện", "Chat"),
        placeholder=tr(
            "vqa.chat_placeholder",
            "Bấm một ví dụ bên dưới, hoặc chọn một ảnh rồi đặt câu hỏi về nó.",
            "Click an example below, or pick a photo and ask a question about it.",
        ),
        height=320,
    )
    with gr.Row():
        question = gr.Textbox(
            placeholder=tr("vqa.question", "Hỏi gì đó về ảnh…", "Ask something about the photo…"),
            show_label=False,
            scale=4,
            max_lines=2,
        )
        ask_btn = gr.Button(tr("vqa.ask", "Hỏi", "Ask"), variant="primary", scale=1)
        clear = gr.Button(tr("vqa.clear", "Xoá", "Clear"), scale=1)
    return chatbot, question, ask_btn, clear


def _own_data_card() -> None:
    """What training on other data needs: the course's food set is not public, so the user brings a data set."""
    note = course_food_split_note()
    with gr.Accordion(tr("vqa.own_data", "Huấn luyện trên dữ liệu của bạn", "Train on your own data"), open=False):
        gr.Markdown(
            tr(
                "vqa.own_data_text",
                "Bộ dữ liệu món ăn Việt của môn học (Bài 3) **không công khai**, nên ứng dụng không chạy được trên "
                f"nó. {note.vi}\n\n"
                "Để huấn luyện trên dữ liệu của bạn: đặt ảnh vào `data/food/images/` và các cặp câu hỏi-trả lời vào "
                "`data/food/annotations.csv` (cột `image,question,answer[,split]`, ví dụ "
                "`banh_beo/001.jpg,món này là món gì,bánh bèo`), rồi chạy trong thư mục của dự án:\n\n"
                f"```\n{OWN_DATA_COMMAND}\n```\n"
                'Khi có checkpoint, lựa chọn "Dữ liệu của bạn" xuất hiện trong danh sách bộ dữ liệu.',
                "The course's Vietnamese food set (report 003) is **not public**, so the app cannot run on it. "
                f"{note}\n\n"
                "To train on your own data: put the photos in `data/food/images/` and the question-answer pairs in "
                "`data/food/annotations.csv` (columns `image,question,answer[,split]`, e.g. "
                "`banh_beo/001.jpg,món này là món gì,bánh bèo`), then run in the project folder:\n\n"
                f"```\n{OWN_DATA_COMMAND}\n```\n"
                'Once its checkpoint exists, the choice "Your own data" appears in the data-set list.',
            )
        )


def available_datasets(profile: str) -> list[str]:
    """The data sets with a checkpoint of at least one variant here (every one in the tiny and random profiles,
    whose models are random instances); easy-VQA always, so the list is never empty."""
    if profile != "default":
        return list(VQA_DATASETS)
    runnable = [k for k in VQA_DATASETS if any(vqa_spec(k, v).weights[0].is_cached() for v in VQA_VARIANTS)]
    return runnable if "easy_vqa" in runnable else ["easy_vqa", *runnable]


# --- handlers: plain values in and out; tests call them directly ----------------------------------------------------


def page_load(request: gr.Request | None = None, *, profile: str) -> list:
    """The variant and data set of the first checkpoint here (core.catalog.availability.vqa_choice), in the dropdowns'
    order."""
    return list(reversed(vqa_choice(profile).models))


@shows_user_errors
def chat(image_payload, text, history, variant_name, dataset_name, request: gr.Request | None = None, *, profile: str):
    """One turn: the conversation with it added, the attention overlay, the top-3 answers, an empty question box and
    the notice (the out-of-domain lesson). A missing photo or question is said in the notice, not as an error."""
    missing = missing_input(image_payload, text, request)
    if missing:
        return history, gr.update(), gr.update(), gr.update(), gr.update(value=missing, visible=True)
    history, answer = chat_turn(image_payload, text, history, variant_name, dataset_name, profile, request)
    overlay = image_file(_attention_overlay(answer))
    scores = {
        answer_label(a, dataset_name, request): p for a, p in [(answer.answer, answer.confidence), *answer.alternatives]
    }
    return history, overlay, scores, "", notice_update(answer, dataset_name, request)


def new_chat(image_payload, variant_name, dataset_name, request: gr.Request | None = None, *, profile: str):
    """An example photo: a new conversation about it, asking its easy-VQA test question (found by content)."""
    return chat(image_payload, example_question(image_payload), [], variant_name, dataset_name, request,
                profile=profile)  # fmt: skip


def example_question(image_payload) -> str:
    """The question paired with an example photo (EXAMPLE_PAIRS), matched by the file's content hash: Gradio
    hands the handler a copy of the example file. "" for any other photo."""
    if image_payload is None:
        return ""
    from core.vqa.service import image_key

    key = image_key(payload_source(image_payload))
    return next((q for name, q in EXAMPLE_PAIRS if image_key(str(EXAMPLES / name)) == key), "")


def clear_chat() -> tuple:
    """A new photo or Clear: no conversation, no overlay, no answers, no notice."""
    return [], None, None, gr.update(value="", visible=False)


def missing_input(image_payload, text, request=None) -> str | None:
    """What is missing before a question can be answered, in the visitor's language (None: nothing)."""
    if image_payload is None:
        return say(
            request,
            "Chưa có ảnh: hãy bấm một ví dụ (ảnh + câu hỏi) hoặc tải ảnh lên, rồi đặt câu hỏi.",
            "No photo yet: click an example (photo + question) or upload a photo, then ask.",
        )
    if not isinstance(text, str) or not text.strip():
        return say(
            request,
            "Câu hỏi trống: hãy gõ một câu hỏi hoặc bấm một câu gợi ý.",
            "The question is empty: type a question or click a suggested one.",
        )
    return None


def notice_update(answer, dataset: str, request=None) -> dict:
    """The notice under the photo: whether it is like the training images, and the lesson when it is not."""
    ood = answer.out_of_domain
    if ood is None:
        return gr.update(value="", visible=False)
    numbers = say(
        request,
        f"điểm khác biệt {number_text(ood.score, 2).vi}, ngưỡng {number_text(ood.threshold, 2).vi}",
        f"difference score {ood.score:.2f}, threshold {ood.threshold:.2f}",
    )
    if not ood.unlike_training_data:
        return gr.update(
            value=say(
                request,
                f"Ảnh này giống ảnh huấn luyện ({numbers}).",
                f"This photo is like the training images ({numbers}).",
            ),
            visible=True,
        )
    knows = (
        say(request, "một hình khối đơn giản, một màu, trên nền trắng", "one simple shape in one colour on white")
        if dataset == "easy_vqa"
        else say(request, "ảnh giống bộ dữ liệu nó đã học", "images like its training set")
    )
    return gr.update(
        value=say(
            request,
            f"**Ảnh này không giống ảnh huấn luyện** ({numbers}). Mô hình này chỉ biết {knows}; nó vẫn buộc "
            "phải chọn một trong các câu trả lời nó biết, nên câu trả lời bên dưới chỉ là đoán. Độ tin cậy "
            "không có nghĩa là trả lời đúng.",
            f"**This photo is unlike the training images** ({numbers}). This model only knows {knows}; it must "
            "still pick one of the answers it knows, so the answer below is a guess. Confidence is not correctness.",
        ),
        visible=True,
    )


# --- what the handler and the public API (demo/api.py) share ---------------------------------------------------------


def ask(image_payload, text: str, variant: str, dataset: str, profile: str, request: gr.Request | None = None):
    """Check the photo and the question, then answer it (core.vqa.service's answer, with notes and attention)."""
    from core.vqa.service import answer_question, load_vqa  # imports torch: deferred to the first question

    text, variant, dataset = checked_fields(text, variant, dataset)
    if image_payload is None:
        raise InputError(
            "Upload a photo first, then ask about it.", "Hãy tải ảnh lên trước rồi mới hỏi.", title=NO_PHOTO
        )
    source = payload_source(image_payload)  # checked before any model is loaded
    if not text:
        raise InputError(
            "Type a question, or click a suggested one.",
            "Câu hỏi trống. Hãy gõ câu hỏi hoặc bấm một câu gợi ý.",
            title=Bilingual("Empty question", "Câu hỏi trống"),
        )
    vqa = load_vqa(variant, dataset, profile)
    # A file upload is hashed first and decoded only on a cache miss (core.vqa.service).
    return answer_question(vqa, source, text)


def chat_turn(image_payload, text, history, variant: str, dataset: str, profile: str, request=None):
    """One question in a conversation: (the history with the question and the reply added, the answer)."""
    history = checked_history(history)  # text only, the newest MAX_HISTORY_MESSAGES
    answer = ask(image_payload, text, variant, dataset, profile, request)
    history += [
        {"role": "user", "content": text.strip()[:MAX_QUESTION_CHARS]},  # a str: ask checked it
        {"role": "assistant", "content": _reply_text(answer, dataset, request)},
    ]
    return history, answer


def answer_summary(answer) -> dict:
    """The JSON of one answer (the /vqa_answer and /vqa_chat APIs). "answer_vi" is the answer in Vietnamese;
    "out_of_domain" says whether the photo is unlike the training images (null where the checkpoint has no
    calibration), its note in English and Vietnamese."""
    ood = answer.out_of_domain
    return {
        "answer": answer.answer,
        "answer_vi": answer_vi(answer.answer),
        "confidence": round(answer.confidence, 6),
        "unsure": answer.unsure,
        "alternatives": [
            {"answer": a, "answer_vi": answer_vi(a), "confidence": round(p, 6)} for a, p in answer.alternatives
        ],
        "features_cached": answer.cached_features,
        "out_of_domain": None if ood is None else {**ood.to_json(), **_ood_note(answer)},
    }


def _ood_note(answer) -> dict:
    from core.vqa.service import UNLIKE_TRAINING

    if not answer.out_of_domain.unlike_training_data:
        return {"note": "like the training images", "note_vi": "giống ảnh huấn luyện"}
    note = next(n for n in answer.notes if n in UNLIKE_TRAINING.values())
    return {"note": str(note), "note_vi": note.vi}


def answer_label(answer: str, dataset: str, request=None) -> str:
    """An answer as the visitor reads it: Vietnamese first on the Vietnamese page (the model's English word beside
    it), the English word on the English page."""
    vi = EASY_VQA_VI.get(answer) if dataset == "easy_vqa" else None
    return say(request, f"{vi} ({answer})", answer) if vi else answer


def _reply_text(answer, dataset: str, request: gr.Request | None = None) -> str:
    best = f"**{answer_label(answer.answer, dataset, request)}** ({100 * answer.confidence:.0f}%)"
    others = ", ".join(f"{answer_label(a, dataset, request)} {100 * p:.0f}%" for a, p in answer.alternatives)
    if answer.unsure:
        why = "; ".join(localized(request, n) for n in answer.notes) or say(
            request, "độ tin cậy thấp", "low confidence"
        )
        return say(
            request,
            f"Mình không chắc lắm ({why}). Đoán tốt nhất: {best}. Khả năng khác: {others}",
            f"I am not sure ({why}). Best guess: {best}. Next: {others}",
        )
    return say(request, f"{best} · Khả năng khác: {others}", f"{best} · Next: {others}")


def _attention_overlay(answer):
    if answer.attention is None:
        return None  # variants without attention pool all cells equally
    from core.image.explain import overlay_heatmap

    grid = answer.attention / max(float(answer.attention.max()), 1e-8)
    view = answer.view.resize((256, 256))
    return overlay_heatmap(view, grid)
