"""Tab "GRU vs Transformer": two text classifiers side by side on one text, with word highlights.

Two pairs, one per data set: GRU vs MiniLM on WordNet noun definitions (committed checkpoints: works offline) and
GRU vs DistilBERT on 20 Newsgroups (course Task 2; needs `python -m train.text`). The 20 Newsgroups pair is shown
first when both its checkpoints are on disk, the WordNet pair otherwise; a radio switches pair and examples.

Handlers only convert between UI values and core.text calls (docs/ARCHITECTURE.md: data flows one way). torch and
transformers are imported on the first request, never while the UI is built.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import gradio as gr

from core.catalog import get_spec, models_for
from core.catalog.availability import text_pair
from core.catalog.course_results import TASK2
from core.catalog.weights import WeightsUnavailable
from core.runtime.messages import UserError, number_text
from core.text import UNLIKE_TRAINING, label_vi
from core.text.tokenizer import MAX_CHARS
from core.training.report import find_report
from demo.server import first_run
from demo.server.gpu import gpu_task
from demo.ui.course_panel import course_panel
from demo.ui.errors import localized, shows_user_errors
from demo.ui.i18n import say, tr
from demo.ui.reports import build_report_panel, raw_result_json, training_reports
from demo.ui.wiring import for_profile

if TYPE_CHECKING:
    from core.text.service import TextPrediction

DATASETS = ("wordnet", "20ng")  # the pair radio's order, and the example columns'
# Per data set, (GRU, Transformer) in catalogue order: wordnet -> gru_wordnet, minilm_wordnet; 20ng -> gru, distilbert.
PAIRS = {dataset: tuple(models_for("text", dataset=dataset)) for dataset in DATASETS}
TOP_K = 5
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "text"
METHODS_VI = {
    "gradient x input": "gradient × đầu vào",
    "attention from [CLS], last layer": "chú ý từ [CLS], tầng cuối",
    "attention into the mean-pooled tokens, last layer": "chú ý vào các token được lấy trung bình, tầng cuối",
}


def example_posts(dataset: str = "20ng") -> list[str]:
    """Texts written for this project, one paragraph each: a post per kind of topic (20ng), or a definition per
    kind of noun (wordnet; none of them is a WordNet gloss)."""
    folder = EXAMPLES / "wordnet" if dataset == "wordnet" else EXAMPLES
    return [" ".join(p.read_text(encoding="utf-8").split()) for p in sorted(folder.glob("*.txt"))]


def initial_dataset(profile: str) -> str:
    """20ng when both its checkpoints are here (someone ran train.text), else the offline WordNet pair
    (core.catalog.availability.text_pair, asked again on every page load and by API calls that name no model)."""
    return get_spec(text_pair(profile).models[0]).dataset


def model_choices(profile: str) -> list[tuple[str, str]]:
    rows = []
    for name in models_for("text"):
        label = get_spec(name).display_name
        report = find_report(name) if profile == "default" else None
        if report:
            accuracy = number_text(100 * report[1]["test"]["accuracy"], 1)
            # The key carries the figure: a checkpoint retrained in a running server registers a new one.
            vi, en = f"{label} — {accuracy.vi}%  [{name}]", f"{label} — {accuracy}%  [{name}]"
            rows.append((tr(f"text.choice.{name}.{accuracy}", vi, en), name))
        else:
            rows.append((f"{label}  [{name}]", name))
    return rows


def build_text_tab(profile: str) -> None:
    _intro(profile)
    first = initial_dataset(profile)
    default_a, default_b = PAIRS[first]
    with gr.Row():
        with gr.Column(scale=2):
            text = gr.Textbox(
                lines=7,
                max_lines=14,
                label=tr("text.input", "Văn bản", "Text"),
                placeholder=tr(
                    "text.placeholder",
                    "Dán một định nghĩa hoặc một bài viết tiếng Anh…",
                    "Paste an English definition or post…",
                ),
            )
            example_sets = _example_sets(text, first)
        with gr.Column(scale=1):
            dataset = _pair_radio(first)
            choices = model_choices(profile)
            model_a = gr.Dropdown(choices, value=default_a, label=tr("text.model_a", "Mô hình A", "Model A"))
            model_b = gr.Dropdown(choices, value=default_b, label=tr("text.model_b", "Mô hình B", "Model B"))
            # Inactive until there is a text (an empty one has nothing to classify; no error state on screen).
            run = gr.Button(tr("text.classify", "Phân loại", "Classify"), variant="primary", interactive=False)
    note = gr.Markdown(visible=False)  # why the tab does not open on GRU vs DistilBERT, and the command
    with gr.Row(equal_height=False):
        panels = [component for side in ("A", "B") for component in _panel_components(side)]
    raw = raw_result_json()
    build_report_panel(model_a, model_b, _reports)
    course_panel("text", [TASK2], profile)
    dataset.change(
        switch,
        inputs=[dataset],
        outputs=[model_a, model_b, *[examples.column for examples in example_sets]],
        api_visibility="private",
    )
    columns = [examples.column for examples in example_sets]
    first_run.on_page_load(for_profile(on_load, profile), [dataset, model_a, model_b, *columns, note])
    text.change(has_text, inputs=[text], outputs=[run], api_visibility="private", queue=False)
    event = dict(
        fn=gpu_task(for_profile(compare, profile)),
        inputs=[text, model_a, model_b],
        outputs=[*panels, raw],
        api_visibility="private",
        concurrency_limit=2,
        concurrency_id="models",
    )
    run.click(**event)
    # Examples run on click, chained after the example fills the box (rather than Examples(fn=...)), so the pair
    # shown in the dropdowns answers.
    for examples in example_sets:
        examples.load_input_event.then(**event)


def _intro(profile: str) -> None:
    gr.Markdown(
        tr(
            "text.intro",
            "### GRU hai chiều và Transformer tiền huấn luyện\n"
            "Dán một văn bản tiếng Anh (hoặc chọn ví dụ) để xem hai mô hình xếp nó vào lớp nào. Hai cặp mô hình, "
            "mỗi cặp một bộ dữ liệu: **định nghĩa danh từ WordNet** (20 nhóm như động vật, thức ăn, đồ vật, con "
            "người: GRU và MiniLM, huấn luyện sẵn, chạy ngoại tuyến) và **20 Newsgroups** (20 nhóm tin: GRU và "
            "DistilBERT, Bài 2). Trong mỗi cặp, hai mô hình đọc cùng các token WordPiece của bert-base-uncased: GRU "
            "học từ đầu, Transformer được tinh chỉnh từ mô hình tiền huấn luyện. Từ được tô màu là những từ ảnh "
            "hưởng nhiều nhất đến quyết định: GRU dùng gradient × đầu vào (đỏ: đẩy về lớp được chọn, xanh: kéo ra "
            "xa), DistilBERT dùng chú ý của [CLS] ở tầng cuối, MiniLM (lấy trung bình các token) dùng chú ý ở tầng "
            "cuối trung bình trên mọi token.",
            "### Bidirectional GRU vs a pre-trained Transformer\n"
            "Paste an English text (or pick an example) and see which class two models assign it to. Two pairs, "
            "one per data set: **WordNet noun definitions** (20 kinds of noun such as animal, food, artifact, "
            "person: GRU and MiniLM, trained and committed, work offline) and **20 Newsgroups** (20 newsgroups: GRU "
            "and DistilBERT, course Task 2). Within a pair both models read the same bert-base-uncased WordPiece "
            "tokens: the GRU was trained from scratch, the Transformer fine-tuned from its pre-trained weights. "
            "Highlighted words drove the decision: gradient x input for the GRU (red pushes towards the predicted "
            "class, blue away), attention from [CLS] in the last layer for DistilBERT, the last layer's attention "
            "averaged over every token for the mean-pooled MiniLM.",
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


def _example_sets(text: gr.Textbox, first: str) -> list[gr.Examples]:
    """One column of examples per data set, in DATASETS order (each Examples' `.column`); only the shown pair's is
    visible."""
    labels = {
        "wordnet": tr("text.examples_wordnet", "Ví dụ: định nghĩa", "Examples: definitions"),
        "20ng": tr("text.examples", "Ví dụ: bài viết", "Examples: posts"),
    }
    columns = []
    for dataset in DATASETS:
        with gr.Column(visible=dataset == first) as column:
            examples = gr.Examples([[p] for p in example_posts(dataset)], inputs=[text], label=labels[dataset])
        examples.column = column
        columns.append(examples)
    return columns


def _pair_radio(first: str) -> gr.Radio:
    return gr.Radio(
        [
            (tr("text.pair_wordnet", "WordNet: GRU và MiniLM", "WordNet: GRU vs MiniLM"), "wordnet"),
            (tr("text.pair_20ng", "20 Newsgroups: GRU và DistilBERT", "20 Newsgroups: GRU vs DistilBERT"), "20ng"),
        ],
        value=first,
        label=tr("text.pair", "Cặp mô hình", "Model pair"),
    )


def _panel_components(side: str) -> list:
    with gr.Column():
        return [
            gr.Markdown(tr(f"text.header_{side}", f"**Mô hình {side}**", f"**Model {side}**")),
            gr.Label(num_top_classes=TOP_K, label=tr("text.top_k", "Top-5 lớp", "Top-5 classes")),
            gr.HighlightedText(
                label=tr("text.highlights", "Từ quyết định", "Words that drove the decision"),
                show_legend=False,
                combine_adjacent=False,
            ),
        ]


# ---- handlers: plain values in and out; the profile is bound at wiring (demo.ui.wiring.for_profile) ----------------


def has_text(text: str) -> dict:
    """Classify is active only when there is something to read."""
    return gr.update(interactive=isinstance(text, str) and bool(text.strip()))


def switch(chosen: str) -> tuple:
    """The pair radio: that data set's two models, and only its examples shown."""
    a, b = PAIRS[chosen]
    return a, b, *(gr.update(visible=dataset == chosen) for dataset in DATASETS)


def on_load(request: gr.Request | None = None, *, profile: str) -> tuple:
    """Page load: the pair that runs here now (core.catalog.availability), its examples, and the note saying why."""
    initial = text_pair(profile)
    chosen = get_spec(initial.models[0]).dataset
    return (chosen, *switch(chosen), first_run.note_update(request, initial))


@shows_user_errors
def compare(
    post: str, name_a: str = "", name_b: str = "", request: gr.Request | None = None, *, profile: str,
    explain: bool = True,
) -> tuple:  # fmt: skip
    """The Classify button: both panels (header, top-k, highlighted words) and the JSON summary. Empty names: the
    pair the page opens on."""
    sides = classify_pair(post, name_a, name_b, profile, explain=explain, request=request)
    outputs = [value for one in sides for value in _panel(one, request)]
    return (*outputs, {one.side: one.raw for one in sides})


# ---- shared with the HTTP API (demo/api.py classify_text) ----------------------------------------------------


@dataclass
class Side:
    """One model's part of a comparison: its prediction, or what is missing to run it."""

    side: str  # "A" or "B"
    name: str
    result: TextPrediction | None
    error: UserError | None  # WeightsUnavailable or TokenizerUnavailable
    raw: dict  # the JSON summary (raw_result)


def classify_pair(
    post: str, name_a: str, name_b: str, profile: str, *, explain: bool = True, top_k: int = TOP_K, request=None
) -> list[Side]:
    """Both models on `post`. The text and both names are checked before anything loads (EmptyText,
    UnknownChoice: the handler's @shows_user_errors shows them); empty names give the page's pair."""
    from core.text.service import text_model_name  # imports torch: first request only
    from core.text.tokenizer import check_text

    check_text(post)
    first = PAIRS[initial_dataset(profile)]
    names = [text_model_name(name or default) for name, default in ((name_a, first[0]), (name_b, first[1]))]
    sides = []
    for side, name in zip("AB", names):
        result, error = run_one(post, name, profile, explain=explain, top_k=top_k, request=request)
        sides.append(Side(side, name, result, error, raw_result(name, result, error, request)))
    return sides


def run_one(
    post: str, name: str, profile: str, *, explain: bool = True, top_k: int = TOP_K, request=None
) -> tuple[TextPrediction | None, UserError | None]:
    """One model's prediction, or (None, what is missing). Any other UserError propagates to the handler."""
    from core.text.service import classify_text, load_text_model
    from core.text.tokenizer import TokenizerUnavailable

    try:
        model = load_text_model(name, profile)
    except (WeightsUnavailable, TokenizerUnavailable) as exc:
        # The one catch: a model of the pair without its weights or tokenizer must not hide the other's result, so
        # its panel says what is missing in words (_panel renders exc through demo.ui.errors.localized).
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
    return classify_text(model, post, top_k=top_k, explain=explain), None


def _panel(one: Side, request) -> list:
    """One panel's three outputs: header, top-k scores, the highlighted text."""
    side, result = one.side, one.result
    model_word = say(request, "Mô hình", "Model")
    if result is None:
        cannot = say(request, "Không chạy được mô hình này.", "Cannot run this model.")
        missing = localized(request, one.error)
        return [f"#### {model_word} {side}: `{one.name}`\n**{cannot}**\n\n{missing}", None, None]
    read = say(
        request,
        f"đọc **{result.num_tokens} token**",
        f"read **{result.num_tokens} tokens**",
    )
    cut, limit = number_text(result.chars_cut), result.max_tokens
    if result.chars_cut and result.num_tokens < limit:
        # Cut by the character bound, not at 256 tokens (e.g. a megabyte with no spaces reads as one [UNK]).
        read += say(
            request,
            f" — chỉ đọc {number_text(MAX_CHARS).vi} ký tự đầu ({cut.vi} ký tự phía sau bị bỏ qua)",
            f" — only the first {MAX_CHARS:,} characters were read ({cut} characters after them ignored)",
        )
    elif result.truncated:
        read += say(
            request,
            f" — văn bản bị cắt ở {limit} token (bỏ qua phần sau; {cut.vi} ký tự không được đọc)",
            f" — text truncated at {limit} tokens (the rest was ignored; {cut} characters not even read)",
        )
    timing = f"{result.forward_ms:.0f} ms"
    if result.highlight_ms is not None:
        timing += say(request, f" + tô màu {result.highlight_ms:.0f} ms", f" + highlights {result.highlight_ms:.0f} ms")
    lines = [
        f"#### {model_word} {side}: {result.display_name}",
        say(request, f"Lan truyền xuôi **{timing}** · {read}", f"Forward **{timing}** · {read}"),
        say(request, f"Cách tô màu: {METHODS_VI.get(result.method, result.method)}", f"Highlights: {result.method}"),
        say(request, "Trọng số: ", "Weights: ") + without_paths(localized(request, result.source)),
        localized(request, get_spec(result.model).description),
        *[f"> {localized(request, n)}" for n in result.notes if n is not UNLIKE_TRAINING],
        ood_line(result, request),
    ]
    scores = {class_label(label, request): p for label, p in result.top_k}
    return ["\n\n".join(lines), scores, result.segments or None]


_SERVER_FOLDER = re.compile(r"(?:/[^\s;/]+)+/checkpoints/")


def without_paths(source: str) -> str:
    """Where the weights came from, without the server's folders ("local checkpoint text/gru_wordnet")."""
    return _SERVER_FOLDER.sub("", source)


def class_label(label: str, request=None) -> str:
    """A class as the visitor reads it: Vietnamese first on the Vietnamese page (WordNet's name beside it)."""
    vi = label_vi(label)
    return say(request, f"{vi} ({label})", label) if vi != label else label


def ood_line(result: TextPrediction, request=None) -> str:
    """Whether the text is like the training texts, with the lesson when it is not ("" without a calibration)."""
    ood = result.out_of_domain
    if ood is None:
        return ""
    numbers = say(
        request,
        f"năng lượng {number_text(ood.score, 2).vi}, ngưỡng {number_text(ood.threshold, 2).vi}",
        f"energy {ood.score:.2f}, threshold {ood.threshold:.2f}",
    )
    if ood.unlike_training_data and not getattr(ood, "energy_unlike", True):  # the words flagged it, not the energy
        numbers = say(
            request,
            f"{numbers}: riêng năng lượng thì giống một định nghĩa, các từ thì không",
            f"{numbers}: the energy alone looks like a definition's, the words do not",
        )
    if not ood.unlike_training_data:
        return say(
            request,
            f"Không thấy dấu hiệu văn bản này khác các định nghĩa đã học ({numbers}; phép kiểm tra này bỏ sót "
            "nhiều văn bản khác loại).",
            f"No sign that this text is unlike the definitions this model learned ({numbers}; this check misses "
            "many texts of other kinds).",
        )
    return say(
        request,
        f"**Văn bản này không giống dữ liệu huấn luyện** ({numbers}). Mô hình này chỉ biết các định nghĩa danh "
        "từ một dòng của WordNet; nó vẫn buộc phải chọn một lớp, nên lớp bên dưới chỉ là đoán. Độ tin cậy không có "
        "nghĩa là đúng.",
        f"**This text is unlike the training data** ({numbers}). This model only knows one-line WordNet noun "
        "definitions; it must still pick a class, so the class below is a guess. Confidence is not correctness.",
    )


def raw_result(name: str, result: TextPrediction | None, error: UserError | None, request=None) -> dict:
    """The JSON summary of one model (the tab's raw view, the API's "A"/"B"); a missing model's error in English.
    "label_vi": the class in Vietnamese; "out_of_domain": whether the text is unlike the training texts (null for a
    model without a calibration), with its note in the request's language."""
    if result is None:
        return {"model": name, "error": str(error)}
    ood = result.out_of_domain
    return {
        "model": result.model,
        "display_name": result.display_name,
        "top_k": [
            {"label": label, "label_vi": label_vi(label), "probability": round(p, 6)} for label, p in result.top_k
        ],
        "out_of_domain": None
        if ood is None
        else {
            **ood.to_json(),
            "note": localized(request, UNLIKE_TRAINING) if ood.unlike_training_data else "",
        },
        "forward_ms": round(result.forward_ms, 2),
        "highlight_ms": None if result.highlight_ms is None else round(result.highlight_ms, 2),
        "num_tokens": result.num_tokens,
        "max_tokens": result.max_tokens,
        "truncated": result.truncated,
        "chars_cut": result.chars_cut,
        "method": result.method,
        "weights": without_paths(str(result.source)),
        "num_highlights": sum(1 for _, w in result.segments if w is not None),
    }


def _reports(name_a: str, name_b: str, request: gr.Request | None = None):
    """Test metrics, curves and confusion matrix of each model's local checkpoint (what train.text wrote)."""
    return training_reports(
        (name_a or PAIRS["wordnet"][0], name_b or PAIRS["wordnet"][1]),
        request,
        items=("văn bản", "texts"),
    )
