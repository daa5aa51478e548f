"""Tab "Hỏi đáp ảnh (VQA)": a multi-turn chat about one photo, with the attention of the last question."""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from core.images import ImageInputError
from core.vqa.catalog import DATASETS, EASY_VQA_VI, VARIANT_NAMES
from core.vqa.text import MAX_QUESTION_CHARS
from core.weights import WeightsUnavailable
from demo.components import image_file, image_input, payload_source

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
        "### Hỏi đáp về ảnh (VQA) · Visual question answering\n"
        "Tải ảnh lên rồi hỏi nhiều câu liên tiếp. Upload a photo, then ask about it turn after turn: a CNN "
        "encodes the photo once into a grid of cells, an LSTM reads each question, and (with attention) the "
        "question chooses which cells to look at."
    )
    with gr.Row():
        with gr.Column(scale=1):
            image = image_input(label="Ảnh · Photo", height=260)
            gr.Examples([[str(p)] for p in sorted(EXAMPLES.glob("*.png"))], inputs=[image], label="Ví dụ · Examples")
        with gr.Column(scale=1):
            variant = gr.Dropdown(
                [(f"{v}: {d}", v) for v, d in VARIANT_NAMES.items()], value="cnn_att", label="Mô hình · Model variant"
            )
            dataset = gr.Dropdown(
                [(d, k) for k, d in DATASETS.items()], value="easy_vqa", label="Checkpoint của bộ dữ liệu · Trained on"
            )
            attention = gr.Image(
                label="Chú ý của câu hỏi cuối · Attention of the last question", height=220, interactive=False
            )
            top3 = gr.Label(num_top_classes=3, label="Top-3")
    chatbot = gr.Chatbot(label="Trò chuyện · Chat", height=320)
    with gr.Row():
        question = gr.Textbox(
            placeholder="Hỏi gì đó về ảnh… Ask something about the photo…", show_label=False, scale=4, max_lines=2
        )
        ask = gr.Button("Hỏi · Ask", variant="primary", scale=1)
        clear = gr.Button("Xoá · Clear", scale=1)
    gr.Examples(
        [[q] for qs in SUGGESTED.values() for q in qs], inputs=[question], label="Câu hỏi gợi ý · Suggested questions"
    )
    result = gr.JSON(visible=False)
    api_button = gr.Button(visible=False)

    def chat(image_payload, text, history, variant_name, dataset_name):
        history = list(history or [])
        answer = _answer(image_payload, text, variant_name, dataset_name, profile)
        history += [
            {"role": "user", "content": text.strip()[:MAX_QUESTION_CHARS]},
            {"role": "assistant", "content": _reply_text(answer, dataset_name)},
        ]
        overlay = image_file(_attention_overlay(answer))
        scores = {_bilingual(a, dataset_name): p for a, p in [(answer.answer, answer.confidence), *answer.alternatives]}
        return history, overlay, scores, ""

    def api_answer(image_payload, text, variant_name="cnn_att", dataset_name="easy_vqa"):
        answer = _answer(image_payload, text, variant_name, dataset_name, profile)
        return {
            "answer": answer.answer,
            "confidence": round(answer.confidence, 6),
            "unsure": answer.unsure,
            "alternatives": [{"answer": a, "confidence": round(p, 6)} for a, p in answer.alternatives],
            "features_cached": answer.cached_features,
        }

    common = dict(preprocess=False, concurrency_id="models")
    inputs = [image, question, chatbot, variant, dataset]
    outputs = [chatbot, attention, top3, question]
    ask.click(chat, inputs, outputs, api_name="vqa_chat", **common)
    question.submit(chat, inputs, outputs, api_visibility="private", **common)
    api_button.click(api_answer, [image, question, variant, dataset], [result], api_name="vqa_answer", **common)
    clear.click(lambda: ([], None, None), outputs=[chatbot, attention, top3], api_visibility="private")
    image.change(lambda: ([], None, None), outputs=[chatbot, attention, top3], api_visibility="private")


def _answer(image_payload, text: str, variant: str, dataset: str, profile: str):
    from core.vqa.session import answer_question, load_vqa  # imports torch: deferred to the first question

    if image_payload is None:
        raise gr.Error("Hãy tải ảnh lên trước. Upload a photo first, then ask about it.", title="No photo")
    text = (text or "").strip()
    if not text:
        raise gr.Error("Câu hỏi trống. Type a question, or click a suggested one.", title="Empty question")
    try:
        vqa = load_vqa(variant, dataset, profile)
    except WeightsUnavailable as exc:
        raise gr.Error(str(exc), title="Checkpoint missing") from exc
    except KeyError as exc:
        raise gr.Error(str(exc.args[0]), title="Unknown variant") from exc
    try:
        # A file upload is hashed first and decoded only on a cache miss (core.vqa.session).
        source = payload_source(image_payload)
    except ImageInputError as exc:
        raise gr.Error(str(exc), title="Cannot use this image") from exc
    try:
        return answer_question(vqa, source, text[:MAX_QUESTION_CHARS])
    except ImageInputError as exc:
        raise gr.Error(str(exc), title="Cannot use this image") from exc


def _bilingual(answer: str, dataset: str) -> str:
    vi = EASY_VQA_VI.get(answer) if dataset == "easy_vqa" else None
    return f"{answer} ({vi})" if vi else answer


def _reply_text(answer, dataset: str) -> str:
    best = f"**{_bilingual(answer.answer, dataset)}** ({100 * answer.confidence:.0f}%)"
    others = ", ".join(f"{_bilingual(a, dataset)} {100 * p:.0f}%" for a, p in answer.alternatives)
    if answer.unsure:
        why = "; ".join(answer.notes) or "low confidence"
        return f"Mình không chắc lắm · I am not sure ({why}). Đoán tốt nhất · Best guess: {best}. Khác · Next: {others}"
    return f"{best} · Khác · Next: {others}"


def _attention_overlay(answer):
    if answer.attention is None:
        return None  # variants without attention pool all cells equally
    from core.explain import overlay_heatmap

    grid = answer.attention / max(float(answer.attention.max()), 1e-8)
    view = answer.view.resize((256, 256))
    return overlay_heatmap(view, grid)
