"""Tab "Chú thích ảnh tiếng Việt": ClipCap (MLP and Transformer mappers) beside the CNN+LSTM baseline, with
decoding controls and, when the user types a reference caption, per-image BLEU/ROUGE-L/CIDEr."""

from __future__ import annotations

import re
from pathlib import Path

import gradio as gr

from core.catalog import caption_model_name, caption_variants, get_spec
from core.catalog.availability import caption_choice
from core.catalog.course_results import REPORT004
from core.runtime.inputs import NO_PHOTO, InputError
from core.runtime.messages import Bilingual
from demo.server import first_run
from demo.server.gpu import gpu_task
from demo.tabs.clip import drop_inline_notes, inline_note, no_image
from demo.ui.components import example_images, image_input, read_user_image
from demo.ui.course_panel import course_panel
from demo.ui.errors import localized, shows_user_errors
from demo.ui.i18n import say, tr
from demo.ui.wiring import for_profile

VARIANTS = tuple(caption_variants())  # catalogue order: the two ClipCap mappers, then the CNN+LSTM baseline
MAX_REFERENCE_CHARS = 1000  # a reference caption is one sentence; scoring a pasted book would hold a model slot
METRIC_NAMES = ("BLEU-1", "BLEU-2", "BLEU-3", "BLEU-4", "ROUGE-L", "CIDEr")


def build_caption_tab(profile: str) -> None:
    gr.Markdown(
        tr(
            "caption.intro",
            "### Sinh chú thích ảnh tiếng Việt\nClipCap: CLIP ViT-B/32 (đóng băng) mã hoá ảnh, mạng ánh xạ (MLP hoặc "
            "Transformer) biến vector ảnh thành các token tiền tố, GPT-2 tiếng Việt (đóng băng) viết tiếp thành câu. "
            "So sánh với mô hình cơ sở CNN + LSTM. Nhập chú thích tham chiếu để chấm điểm từng ảnh.",
            "### Vietnamese image captioning\nClipCap: a frozen CLIP ViT-B/32 encodes the photo, a mapping network "
            "(MLP or Transformer) turns it into prefix tokens, and a frozen Vietnamese GPT-2 continues them into a "
            "caption. Compared with the CNN + LSTM baseline. Type a reference caption to score each model on this "
            "photo.",
        )
    )
    card = first_run.needs_download_card()  # shown on page load when no captioner can run here
    with gr.Row():
        image, reference, examples = _photo_column()
        method, beam_width, top_p, temperature, num_captions, repetition, max_length, run = _decoding_column()
    first_run.on_page_load(for_profile(page_load, profile), [card, run])
    with gr.Row():
        panels = [gr.Markdown(label=v, min_height=120) for v in VARIANTS]
    scores = gr.Markdown()
    summary = gr.JSON(visible=False)
    inputs = [image, method, beam_width, top_p, temperature, num_captions, repetition, max_length, reference]
    common = dict(preprocess=False, concurrency_limit=2, concurrency_id="models", api_visibility="private")
    event = gpu_task(for_profile(caption_clicked, profile))
    run.click(event, inputs, [*panels, scores, summary], **common)
    # An example fills the photo, then captions it at once, as the button does (where no captioner can run, the
    # handler changes nothing and the card says why). Chained here, not gr.Examples(run_on_click=True): that event
    # would preprocess the photo, skip the models' concurrency group and stay callable through the API.
    examples.load_input_event.then(event, inputs, [*panels, scores, summary], **common)
    # A stale "no photo" note goes on the visitor's own upload (`input`: an example's run writes the panel itself).
    image.input(drop_inline_notes, [scores], [scores], api_visibility="private", queue=False)
    course_panel("caption", [REPORT004], profile)


def _photo_column() -> tuple:
    """The photo, its examples and the optional reference caption."""
    with gr.Column(scale=1):
        image = image_input(label=tr("caption.image", "Ảnh", "Photo"), height=280)
        examples = gr.Examples(
            [[p] for p in example_images()],
            inputs=[image],
            label=tr("caption.examples", "Ví dụ (bấm để sinh chú thích)", "Examples (click to caption)"),
            api_visibility="private",
        )
        reference = gr.Textbox(
            value="",  # with a value the API treats the reference as optional
            label=tr("caption.reference", "Chú thích tham chiếu (tuỳ chọn)", "Reference caption (optional)"),
            placeholder=tr(
                "caption.reference_hint",
                "vd. một người đàn ông đang đi xe đạp trên đường phố",
                "e.g. một người đàn ông đang đi xe đạp trên đường phố",
            ),  # fmt: skip
            max_lines=2,
        )
    return image, reference, examples


def _decoding_column() -> tuple:
    """Decoding method and its settings, and the Caption button."""
    with gr.Column(scale=1):
        method = gr.Radio(
            [
                (tr("caption.greedy", "Tham lam (greedy)", "Greedy"), "greedy"),
                (tr("caption.beam", "Tìm kiếm chùm (beam)", "Beam search"), "beam"),
                (tr("caption.sample", "Lấy mẫu nucleus", "Nucleus sampling"), "sample"),
            ],
            value="beam",
            label=tr("caption.method", "Cách giải mã", "Decoding"),
        )
        beam_width = gr.Slider(1, 10, value=3, step=1, label=tr("caption.beam_width", "Độ rộng chùm", "Beam width"))
        top_p = gr.Slider(
            0.1, 1.0, value=0.9, step=0.05, label=tr("caption.top_p", "top-p (nucleus)", "top-p (nucleus)")
        )
        temperature = gr.Slider(
            0.1, 2.0, value=1.0, step=0.05, label=tr("caption.temperature", "Nhiệt độ", "Temperature")
        )
        num_captions = gr.Slider(
            1, 5, value=1, step=1, label=tr("caption.num", "Số chú thích mỗi mô hình", "Captions per model"),
            info=tr("caption.num_info", "Beam: các chùm tốt nhất; lấy mẫu: các mẫu khác nhau.",
                    "Beam: the best beams; sampling: different samples."),
        )  # fmt: skip
        repetition = gr.Slider(1.0, 2.0, value=1.2, step=0.05,
                               label=tr("caption.repetition", "Phạt lặp từ", "Repetition penalty"))  # fmt: skip
        max_length = gr.Slider(5, 60, value=30, step=1, label=tr("caption.max_length", "Độ dài tối đa (token)",
                                                                 "Max length (tokens)"))  # fmt: skip
        run = gr.Button(tr("caption.run", "Sinh chú thích", "Caption"), variant="primary")
    return method, beam_width, top_p, temperature, num_captions, repetition, max_length, run


# --- handlers: plain values in and out; tests and the public API (demo/api.py) call them directly --------------------


def page_load(request: gr.Request | None = None, *, profile: str) -> list:
    """The card and an inactive button when no captioner can run here."""
    return first_run.card_updates(request, "caption", caption_choice(profile), 1)


NO_PHOTO_TEXT = Bilingual("Upload a photo or pick an example.", "Hãy tải ảnh lên hoặc chọn ảnh ví dụ.")


def caption_clicked(
    image_payload,
    method="beam",
    width=3,
    p=0.9,
    temp=1.0,
    count=1,
    penalty=1.2,
    length=30,
    reference="",
    request: gr.Request = None,
    *,
    profile: str,
):
    """The Caption button and a clicked example: caption_photo, with a missing photo said in the score panel (no
    error toast). Where no captioner can run here it changes nothing: the tab's card says what it needs, and the
    button is inactive (only an example, which fills the photo, still reaches this)."""
    if not caption_choice(profile).runnable:
        return (*[gr.update()] * len(VARIANTS), gr.update(), gr.update())
    if no_image(image_payload):
        return (*[""] * len(VARIANTS), inline_note(request, NO_PHOTO, NO_PHOTO_TEXT), None)
    options = (method, width, p, temp, count, penalty, length, reference)
    return caption_photo(image_payload, *options, request, profile=profile)


def shown_source(source: str, request=None) -> str:
    """Where a captioner's weights came from, in the visitor's language and without the server's folders or
    environment: a checkpoint by its catalogue folder (caption/<variant>), a random stand-in by its profile (as
    core.caption.service words it: "... (the app's tiny profile): captions are meaningless")."""
    prefix = "local checkpoint "
    if source.startswith(prefix):
        folder = "/".join(Path(source[len(prefix) :]).parts[-2:])
        return say(request, f"checkpoint trên máy này ({folder})", f"local checkpoint ({folder})")
    random = re.search(r"the app's (\w+) profile", source)
    if random:
        profile = random.group(1)
        return say(request, f"mô hình thử khởi tạo ngẫu nhiên ({profile}): chú thích không có ý nghĩa",
                   f"random-initialised test model ({profile}): captions are meaningless")  # fmt: skip
    return source


@shows_user_errors
def caption_photo(
    image_payload,
    method="beam",
    width=3,
    p=0.9,
    temp=1.0,
    count=1,
    penalty=1.2,
    length=30,
    reference="",
    request: gr.Request = None,
    *,
    profile: str,
):
    """One Markdown panel per captioner, the score table, and the JSON summary ({variant: captions or error})."""
    from core.caption import service as session
    from core.caption.decoding import DecodeOptions
    from core.caption.text import normalize_caption
    from core.catalog.weights import WeightsUnavailable
    from core.runtime.inputs import text

    if image_payload is None:
        raise InputError(NO_PHOTO_TEXT, title=NO_PHOTO)
    options = DecodeOptions.from_fields(method, width, p, temp, count, penalty, length)
    reference = text(reference, ("The reference caption", "Chú thích tham chiếu"), MAX_REFERENCE_CHARS).strip()
    loaded = read_user_image(image_payload)
    if reference and not normalize_caption(reference):  # say so before three models spend seconds decoding
        raise InputError(
            "The reference caption has no words.",
            "Chú thích tham chiếu không có chữ nào.",
            title=Bilingual("Empty reference caption", "Chú thích tham chiếu trống"),
        )
    panels, summary, rows = [], {}, []
    for variant in VARIANTS:
        title = f"#### {get_spec(caption_model_name(variant)).display_name}"
        try:
            cap = session.load_captioner(variant, profile)
            result = session.caption_image(cap, loaded.image, options)
        except WeightsUnavailable as exc:  # the other captioners still answer: this panel says what is missing
            what = say(request, "Chưa có trọng số cho mô hình này.", "No weights for this model here.")
            panels.append(f"{title}\n{what}\n\n{localized(request, exc)}")
            summary[variant] = {"error": str(exc)}
            continue
        entry = {
            "model": get_spec(caption_model_name(variant)).display_name,
            "captions": result.captions,
            "latency_ms": round(result.total_ms, 1),
            "encode_ms": round(result.encode_ms, 1),
            "decode_ms": round(result.decode_ms, 1),
            "source": shown_source(cap.source, request),
        }
        if reference:
            entry["scores"] = session.score_caption(cap, result.captions[0], [reference])
            rows.append((get_spec(caption_model_name(variant)).display_name, entry["scores"]))
        summary[variant] = entry
        lines = "\n".join(f"{i + 1}. {c or '∅'}" for i, c in enumerate(result.captions))
        timing = say(request, "thời gian", "latency")
        panels.append(
            f"{title}\n{lines}\n\n{timing}: **{result.total_ms:.0f} ms** "
            f"({say(request, 'mã hoá ảnh', 'encode')} {result.encode_ms:.0f} + "
            f"{say(request, 'giải mã', 'decode')} {result.decode_ms:.0f})\n\n<sub>{entry['source']}</sub>"
        )
    return (*panels, _score_table(request, rows, reference), summary)


def _score_table(request, rows, reference: str) -> str:
    if not reference:
        return say(request, "Nhập chú thích tham chiếu để xem điểm BLEU/ROUGE-L/CIDEr của ảnh này.",
                   "Type a reference caption to see this photo's BLEU/ROUGE-L/CIDEr.")  # fmt: skip
    if not rows:
        return ""
    header = "| " + say(request, "mô hình", "model") + " | " + " | ".join(METRIC_NAMES) + " |"
    lines = [header, "|---" * (len(METRIC_NAMES) + 1) + "|"]
    for name, values in rows:
        cells = ["–" if values[m] is None else f"{values[m]:.3f}" for m in METRIC_NAMES]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    note = say(request, "Điểm tính trên âm tiết (như ví dụ KTVIC trong báo cáo của môn học); IDF của CIDEr lấy từ "
                        "chú thích huấn luyện.",
               "Scored on syllables (as the course report's KTVIC example implies); CIDEr's IDF comes from the "
               "training captions.")  # fmt: skip
    return "\n".join(lines) + f"\n\n<sub>{note}</sub>"
