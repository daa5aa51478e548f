"""Tab "GRU vs DistilBERT": two 20 Newsgroups classifiers side by side on one text, with word highlights.

Handlers only convert between UI values and core.text calls (docs/ARCHITECTURE.md: data flows one way). torch and
transformers are imported on the first request, never while the UI is built.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import gradio as gr

from core.registry import get_spec, list_models
from core.text.tokenizer import MAX_CHARS, MAX_TOKENS
from core.training_report import find_report
from core.weights import WeightsUnavailable
from demo.components import localized
from demo.gpu import gpu_task
from demo.i18n import say, tr
from demo.reports import build_report_panel, raw_result_json, training_reports

if TYPE_CHECKING:
    from core.text.classify import TextPrediction

TASK = "text-classification"
DEFAULT_A, DEFAULT_B = "gru", "distilbert"
TOP_K = 5
EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "text"
METHODS_VI = {
    "gradient x input": "gradient × đầu vào",
    "attention from [CLS], last layer": "chú ý từ [CLS], tầng cuối",
}


def example_posts() -> list[str]:
    """One short post per kind of topic (written for this project), as one paragraph each."""
    return [" ".join(p.read_text(encoding="utf-8").split()) for p in sorted(EXAMPLES.glob("*.txt"))]


def model_choices(profile: str) -> list[tuple[str, str]]:
    rows = []
    for name in list_models(TASK):
        label = get_spec(name).display_name
        report = find_report(name) if profile == "default" else None
        if report:
            label += f" — {100 * report[1]['test']['accuracy']:.1f}%"
        rows.append((f"{label}  [{name}]", name))
    return rows


def build_text_tab(profile: str) -> None:
    gr.Markdown(
        tr(
            "text.intro",
            "### GRU hai chiều và DistilBERT trên 20 Newsgroups\n"
            "Dán một bài viết tiếng Anh (hoặc chọn ví dụ) để xem hai mô hình đoán nó thuộc nhóm tin nào trong 20 "
            "nhóm. Cả hai đọc cùng các token WordPiece của DistilBERT (tối đa 256): GRU học từ đầu, DistilBERT "
            "được tinh chỉnh từ mô hình tiền huấn luyện. Từ được tô màu là những từ ảnh hưởng nhiều nhất đến quyết "
            "định: GRU dùng gradient × đầu vào (đỏ: đẩy về lớp được chọn, xanh: kéo ra xa), DistilBERT dùng chú ý "
            "của [CLS] ở tầng cuối.",
            "### Bidirectional GRU vs DistilBERT on 20 Newsgroups\n"
            "Paste an English post (or pick an example) and see which of the 20 newsgroups two models assign it "
            "to. Both read the same DistilBERT WordPiece tokens (at most 256): the GRU was trained from scratch, "
            "DistilBERT fine-tuned from its pre-trained weights. Highlighted words drove the decision: gradient x "
            "input for the GRU (red pushes towards the predicted group, blue away), attention from [CLS] in the "
            "last layer for DistilBERT.",
        )
    )
    if profile != "default":
        gr.Markdown(
            tr(
                f"text.profile_note.{profile}",
                f"**APP_PROFILE={profile}**: mô hình khởi tạo ngẫu nhiên với bộ từ vựng nhỏ; dự đoán không có ý nghĩa.",
                f"**APP_PROFILE={profile}**: random-initialised models with a tiny vocabulary; predictions are "
                "meaningless.",
            )
        )
    with gr.Row():
        with gr.Column(scale=2):
            text = gr.Textbox(
                lines=7,
                max_lines=14,
                label=tr("text.input", "Bài viết", "Post"),
                placeholder=tr("text.placeholder", "Dán một bài viết tiếng Anh…", "Paste an English post…"),
            )
            gr.Examples([[p] for p in example_posts()], inputs=[text], label=tr("text.examples", "Ví dụ", "Examples"))
        with gr.Column(scale=1):
            choices = model_choices(profile)
            model_a = gr.Dropdown(choices, value=DEFAULT_A, label=tr("text.model_a", "Mô hình A", "Model A"))
            model_b = gr.Dropdown(choices, value=DEFAULT_B, label=tr("text.model_b", "Mô hình B", "Model B"))
            run = gr.Button(tr("text.classify", "Phân loại", "Classify"), variant="primary")
    panels = []
    with gr.Row(equal_height=False):
        for side in ("A", "B"):
            with gr.Column():
                panels += [
                    gr.Markdown(tr(f"text.header_{side}", f"**Mô hình {side}**", f"**Model {side}**")),
                    gr.Label(num_top_classes=TOP_K, label=tr("text.top_k", "Top-5 nhóm tin", "Top-5 newsgroups")),
                    gr.HighlightedText(
                        label=tr("text.highlights", "Từ quyết định", "Words that drove the decision"),
                        show_legend=False,
                        combine_adjacent=False,
                    ),
                ]
    raw = raw_result_json()
    build_report_panel(model_a, model_b, _reports)

    def classify(post: str, name_a: str = DEFAULT_A, name_b: str = DEFAULT_B, request: gr.Request | None = None):
        return compare(post, name_a, name_b, profile, request=request)

    run.click(
        gpu_task(classify),
        inputs=[text, model_a, model_b],
        outputs=[*panels, raw],
        api_name="classify_text",
        concurrency_limit=2,
        concurrency_id="models",
    )


def compare(post: str, name_a: str, name_b: str, profile: str, *, explain: bool = True, request=None) -> tuple:
    """Both panels and the JSON summary (what /classify_text returns)."""
    if not post or not post.strip():
        raise gr.Error(
            say(
                request,
                "Văn bản trống. Hãy dán một bài viết hoặc chọn một ví dụ.",
                "The text is empty. Type or paste a post, or click an example.",
            ),
            title=say(request, "Chưa có văn bản", "No text"),
        )
    outputs, summary = [], {}
    for side, name in (("A", name_a or DEFAULT_A), ("B", name_b or DEFAULT_B)):
        result, error = _run_one(post, name, profile, explain, request)
        outputs += _panel(side, name, result, error, request)
        summary[side] = _raw(name, result, error)
    return (*outputs, summary)


def _run_one(post: str, name: str, profile: str, explain: bool, request) -> tuple[TextPrediction | None, str | None]:
    from core.text.classify import classify_text, load_text_model  # imports torch: first request only
    from core.text.tokenizer import TokenizerUnavailable

    try:
        model = load_text_model(name, profile)
    except KeyError as exc:
        message = str(exc.args[0])
        raise gr.Error(
            say(request, f"Không có mô hình văn bản tên {name!r}. {message}", message),
            title=say(request, "Mô hình không xác định", "Unknown model"),
        ) from exc
    except (WeightsUnavailable, TokenizerUnavailable) as exc:
        gr.Warning(
            say(
                request,
                f"{name}: chưa có trọng số. Xem khung kết quả để biết lệnh khắc phục.",
                f"{name}: weights not available. See the panel for the command that fixes it.",
            )
        )
        return None, str(exc)
    return classify_text(model, post, top_k=TOP_K, explain=explain), None


def _panel(side: str, name: str, result: TextPrediction | None, error: str | None, request) -> list:
    model_word = say(request, "Mô hình", "Model")
    if result is None:
        cannot = say(request, "Không chạy được mô hình này.", "Cannot run this model.")
        return [f"#### {model_word} {side}: `{name}`\n**{cannot}**\n```\n{error}\n```", None, None]
    read = say(
        request,
        f"đọc **{result.num_tokens} token**",
        f"read **{result.num_tokens} tokens**",
    )
    cut = f"{result.chars_cut:,}"
    if result.chars_cut and result.num_tokens < MAX_TOKENS:
        # Cut by the character bound, not at 256 tokens (e.g. a megabyte with no spaces reads as one [UNK]).
        read += say(
            request,
            f" — chỉ đọc {MAX_CHARS:,} ký tự đầu ({cut} ký tự phía sau bị bỏ qua)",
            f" — only the first {MAX_CHARS:,} characters were read ({cut} characters after them ignored)",
        )
    elif result.truncated:
        read += say(
            request,
            f" — văn bản bị cắt ở 256 token (bỏ qua phần sau; {cut} ký tự không được đọc)",
            f" — text truncated at 256 tokens (the rest was ignored; {cut} characters not even read)",
        )
    timing = f"{result.forward_ms:.0f} ms"
    if result.highlight_ms is not None:
        timing += say(request, f" + tô màu {result.highlight_ms:.0f} ms", f" + highlights {result.highlight_ms:.0f} ms")
    lines = [
        f"#### {model_word} {side}: {result.display_name}",
        say(request, f"Lan truyền xuôi **{timing}** · {read}", f"Forward **{timing}** · {read}"),
        say(request, f"Cách tô màu: {METHODS_VI.get(result.method, result.method)}", f"Highlights: {result.method}"),
        say(request, f"Trọng số: {result.source}", f"Weights: {result.source}"),
        localized(request, get_spec(result.model).description),
        *[f"> {n}" for n in result.notes],
    ]
    scores = dict(result.top_k)
    return ["\n\n".join(lines), scores, result.segments or None]


def _raw(name: str, result: TextPrediction | None, error: str | None) -> dict:
    if result is None:
        return {"model": name, "error": error}
    return {
        "model": result.model,
        "display_name": result.display_name,
        "top_k": [{"label": label, "probability": round(p, 6)} for label, p in result.top_k],
        "forward_ms": round(result.forward_ms, 2),
        "highlight_ms": None if result.highlight_ms is None else round(result.highlight_ms, 2),
        "num_tokens": result.num_tokens,
        "truncated": result.truncated,
        "chars_cut": result.chars_cut,
        "method": result.method,
        "weights": result.source,
        "num_highlights": sum(1 for _, w in result.segments if w is not None),
    }


def _reports(name_a: str, name_b: str, request: gr.Request | None = None):
    """Test metrics, curves and confusion matrix of each model's local checkpoint (what train.text wrote)."""
    return training_reports(
        (name_a or DEFAULT_A, name_b or DEFAULT_B),
        request,
        items=("bài", "posts"),
        train_command=lambda name: f"python -m train.text --model {name}",
    )
