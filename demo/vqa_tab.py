"""Tab "Visual question answering": a multi-turn chat about one photo, with the attention of the last question."""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from core.initial import vqa_choice
from core.inputs import NO_PHOTO, InputError
from core.messages import Bilingual
from core.registry import VQA_DATASETS, VQA_VARIANTS
from core.vqa.catalog import EASY_VQA_VI
from core.vqa.chat import checked_fields, checked_history
from core.vqa.text import MAX_QUESTION_CHARS
from demo import first_run
from demo.components import image_file, image_input, payload_source
from demo.errors import localized, shows_user_errors
from demo.gpu import gpu_task
from demo.i18n import say, tr
from demo.wiring import for_profile

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "vqa"
SUGGESTED = {
    "easy_vqa": [
        "what color is the shape?",
        "what shape is in the image?",
        "is there a circle?",
        "does the image contain a blue shape?",
    ],
    "food": ["món này là món gì?", "đây có phải là bánh bèo không?", "màu chủ đạo của món này là gì?"],
}


def build_vqa_tab(profile: str) -> None:
    gr.Markdown(
        tr(
            "vqa.intro",
            "### Hỏi đáp về ảnh (VQA)\n"
            "Tải ảnh lên rồi hỏi nhiều câu liên tiếp về ảnh đó: một mạng CNN mã hoá ảnh một lần thành lưới các ô, "
            "một mạng LSTM đọc từng câu hỏi, và (khi có cơ chế chú ý) câu hỏi chọn những ô cần nhìn vào.",
            "### Visual question answering (VQA)\n"
            "Upload a photo, then ask about it turn after turn: a CNN encodes the photo once into a grid of cells, "
            "an LSTM reads each question, and (with attention) the question chooses which cells to look at.",
        )
    )
    with gr.Row():
        image = _photo_column()
        variant, dataset, attention, top3 = _model_column(profile)
    chatbot, question, ask_btn, clear = _chat_panel()
    # The first checkpoint here, the course's food set before easy-VQA (core.initial.vqa_choice).
    first_run.on_page_load(for_profile(page_load, profile), [variant, dataset])
    common = dict(preprocess=False, concurrency_id="models")
    inputs = [image, question, chatbot, variant, dataset]
    outputs = [chatbot, attention, top3, question]
    event = gpu_task(for_profile(chat, profile))
    ask_btn.click(event, inputs, outputs, api_visibility="private", **common)
    question.submit(event, inputs, outputs, api_visibility="private", **common)
    clear.click(clear_chat, outputs=[chatbot, attention, top3], api_visibility="private")
    image.change(clear_chat, outputs=[chatbot, attention, top3], api_visibility="private")


def _photo_column():
    """The photo and the example photos."""
    with gr.Column(scale=1):
        image = image_input(label=tr("vqa.photo", "Ảnh", "Photo"), height=260)
        gr.Examples(
            [[str(p)] for p in sorted(EXAMPLES.glob("*.png"))],
            inputs=[image],
            label=tr("vqa.examples", "Ảnh ví dụ", "Example photos"),
        )
    return image


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
        dataset = gr.Dropdown(
            [(tr(f"vqa.dataset.{k}", what.vi, str(what)), k) for k, what in VQA_DATASETS.items()],
            value=first_dataset,
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
    """The conversation, the question box, Ask and Clear, and the suggested questions."""
    chatbot = gr.Chatbot(
        label=tr("vqa.chat", "Trò chuyện", "Chat"),
        placeholder=tr(
            "vqa.chat_placeholder",
            "Chọn một ảnh rồi đặt câu hỏi về nó.",
            "Pick a photo, then ask a question about it.",
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
    gr.Examples(
        [[q] for qs in SUGGESTED.values() for q in qs],
        inputs=[question],
        label=tr("vqa.suggested", "Câu hỏi gợi ý", "Suggested questions"),
    )
    return chatbot, question, ask_btn, clear


# --- handlers: plain values in and out; tests call them directly ----------------------------------------------------


def page_load(request: gr.Request | None = None, *, profile: str) -> list:
    """The variant and data set of the first checkpoint here (core.initial.vqa_choice), in the dropdowns' order."""
    return list(reversed(vqa_choice(profile).models))


@shows_user_errors
def chat(image_payload, text, history, variant_name, dataset_name, request: gr.Request | None = None, *, profile: str):
    """One turn: the conversation with it added, the attention overlay, the top-3 answers, an empty question box."""
    history, answer = chat_turn(image_payload, text, history, variant_name, dataset_name, profile, request)
    overlay = image_file(_attention_overlay(answer))
    scores = {_bilingual(a, dataset_name): p for a, p in [(answer.answer, answer.confidence), *answer.alternatives]}
    return history, overlay, scores, ""


def clear_chat() -> tuple:
    """A new photo or Clear: no conversation, no overlay, no answers."""
    return [], None, None


# --- what the handler and the public API (demo/api.py) share ---------------------------------------------------------


def ask(image_payload, text: str, variant: str, dataset: str, profile: str, request: gr.Request | None = None):
    """Check the photo and the question, then answer it (core.vqa.session's answer, with notes and attention)."""
    from core.vqa.session import answer_question, load_vqa  # imports torch: deferred to the first question

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
    # A file upload is hashed first and decoded only on a cache miss (core.vqa.session).
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
    """The JSON of one answer (the /vqa_answer and /vqa_chat APIs)."""
    return {
        "answer": answer.answer,
        "confidence": round(answer.confidence, 6),
        "unsure": answer.unsure,
        "alternatives": [{"answer": a, "confidence": round(p, 6)} for a, p in answer.alternatives],
        "features_cached": answer.cached_features,
    }


def _bilingual(answer: str, dataset: str) -> str:
    """easy-VQA answers are English words: show the Vietnamese beside them (the label is the same for everyone)."""
    vi = EASY_VQA_VI.get(answer) if dataset == "easy_vqa" else None
    return f"{answer} ({vi})" if vi else answer


def _reply_text(answer, dataset: str, request: gr.Request | None = None) -> str:
    best = f"**{_bilingual(answer.answer, dataset)}** ({100 * answer.confidence:.0f}%)"
    others = ", ".join(f"{_bilingual(a, dataset)} {100 * p:.0f}%" for a, p in answer.alternatives)
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
    from core.explain import overlay_heatmap

    grid = answer.attention / max(float(answer.attention.max()), 1e-8)
    view = answer.view.resize((256, 256))
    return overlay_heatmap(view, grid)
