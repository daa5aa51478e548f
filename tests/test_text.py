"""Text tab (course Task 2): tokenizer bounds, both models tiny, train -> save -> load -> predict, highlights,
/classify_text through the HTTP client with bad inputs, and the tab in a real browser."""

from __future__ import annotations

import time

import pytest
import torch

from core.catalog import get_spec
from core.catalog import store as model_store
from core.text import service as text_classify
from core.text import tokenizer as wp
from core.text.data import DataUnavailable, load_splits
from core.text.model import BiGRUClassifier, DistilBertClassifier
from tests.conftest import ARTIFACTS
from tests.text_corpus import write_corpus

ODD_TEXTS = [
    "control\x00characters\x07\x1b[31m here",
    "🍜🍔🍕 emoji only 🚀",
    "Tàu con thoi của NASA đã phóng lên quỹ đạo hôm qua.",
    "Москва и 東京 — non-Latin scripts",
]


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    # On a busy 2-core machine, two OpenMP threads spin-wait on each other: a tiny GRU step goes 30x slower.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def tiny(name: str):
    spec = get_spec(name)
    cls = BiGRUClassifier if name == "gru" else DistilBertClassifier
    torch.manual_seed(0)
    return cls(**{**spec.model_args, **spec.tiny_args}).eval()


def test_a_megabyte_is_cut_before_tokenising():
    tok = wp.tiny_tokenizer()
    big = "the shuttle reached orbit . " * 40_000  # ~1.1 MB
    start = time.perf_counter()
    enc = wp.encode(tok, big)
    assert time.perf_counter() - start < 1.0
    assert len(enc.ids) == wp.MAX_TOKENS and enc.truncated and enc.chars_cut == len(big.strip()) - wp.MAX_CHARS
    short = wp.encode(tok, "  the shuttle  ")
    assert short.tokens == ["[CLS]", "the", "shuttle", "[SEP]"] and not short.truncated


@pytest.mark.parametrize("text", ODD_TEXTS)
def test_odd_text_tokenises(text):
    enc = wp.encode(wp.tiny_tokenizer(), text)
    assert enc.tokens[0] == "[CLS]" and enc.tokens[-1] == "[SEP]" and len(enc.ids) > 2
    assert all(0 <= i < wp.TINY_VOCAB_SIZE for i in enc.ids)


@pytest.mark.parametrize("name", ["gru", "distilbert"])
def test_tiny_models_shapes_and_gradients(name):
    model = tiny(name).train()
    ids = torch.randint(5, wp.TINY_VOCAB_SIZE, (3, 17))
    ids[1, 9:] = 0  # padding
    logits = model(ids)
    assert logits.shape == (3, 20) and torch.isfinite(logits).all()
    logits.sum().backward()
    emb = model.embedding if name == "gru" else model.encoder.embeddings.word_embeddings
    assert emb.weight.grad is not None and emb.weight.grad.abs().sum() > 0


def test_packed_gru_ignores_padding_and_unpacked_reads_it():
    torch.manual_seed(0)
    args = {**get_spec("gru").tiny_args, "num_classes": 4}
    packed, course = BiGRUClassifier(**args, packed=True).eval(), BiGRUClassifier(**args).eval()
    course.load_state_dict(packed.state_dict())
    ids = torch.randint(5, wp.TINY_VOCAB_SIZE, (1, 12))
    padded = torch.nn.functional.pad(ids, (0, 30))
    with torch.no_grad():
        assert torch.allclose(packed(ids), packed(padded), atol=1e-5)
        # The course's model pads every text to 256 itself, so extra padding does not change it either...
        assert torch.allclose(course(ids), course(padded), atol=1e-5)
        # ...but it reads the padding: its answer differs from the packed one with the same weights.
        assert not torch.allclose(course(ids), packed(ids), atol=1e-4)


def test_cls_attention_equals_the_eager_attention_of_the_last_layer():
    model = tiny("distilbert")
    ids = torch.randint(5, wp.TINY_VOCAB_SIZE, (2, 11))
    ids[0, 7:] = 0
    with torch.no_grad():
        logits, hidden = model.forward_hidden(ids, keep_last_input=True)
        attention = model.reading_weights(hidden, ids != model.pad_id)
        model.encoder.config._attn_implementation = "eager"
        out = model.encoder(input_ids=ids, attention_mask=(ids != 0).long(), output_attentions=True)
    expected = out.attentions[-1].mean(1)[:, 0]  # (B, T): heads averaged, row of [CLS]
    assert torch.allclose(attention, expected, atol=1e-5)
    assert torch.allclose(attention.sum(-1), torch.ones(2)) and attention[0, 7:].abs().max() == 0
    assert torch.allclose(logits, model(ids), atol=1e-5)


@pytest.fixture
def fresh_text_models():
    yield
    for name in ("gru", "distilbert"):
        model_store.forget(name)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return write_corpus(tmp_path_factory.mktemp("corpus"))


def test_folder_loader_strips_headers_footers_quotes_unless_asked(corpus):
    stripped = load_splits(str(corpus), val_fraction=0.1, seed=0)
    assert stripped.labels == ["comp.graphics", "rec.sport.hockey", "sci.space", "talk.politics.guns"]
    assert (len(stripped.train), len(stripped.val), len(stripped.test)) == (144, 16, 40)
    text = stripped.train[0][0]
    assert "From:" not in text and "wrote:" not in text and "Example U" not in text
    kept = load_splits(str(corpus), remove=(), val_fraction=0.1, seed=0)
    assert "From:" in kept.train[0][0] and "wrote:" in kept.train[0][0]


def test_missing_20_newsgroups_fails_fast_with_the_fix(tmp_path, monkeypatch):
    monkeypatch.setattr("core.catalog.weights.host_reachable", lambda *a, **k: False)
    start = time.perf_counter()
    with pytest.raises(DataUnavailable, match="--data-dir"):
        load_splits(str(tmp_path))
    assert time.perf_counter() - start < 10


@pytest.mark.slow
def test_gru_trains_saves_loads_and_predicts(corpus, tmp_path, monkeypatch, fresh_text_models):
    from train import evaluate_text
    from train import text as train_text

    monkeypatch.setenv("CHECKPOINT_DIR", str(tmp_path))
    out = tmp_path / "text" / "gru_20ng"
    argv = ["--model", "gru", "--tiny", "--tokenizer", "tiny", "--data-dir", str(corpus), "--packed"]
    result = train_text.main([*argv, "--epochs", "6", "--lr", "1e-2", "--batch-size", "16", "--out", str(out)])
    assert result["test"]["accuracy"] >= 0.9  # four clearly different topics: a tiny GRU must separate them
    assert result["history"][-1]["train_loss"] < result["history"][0]["train_loss"]
    for f in ("model.safetensors", "config.json", "tokenizer.json", "metrics.json", "curves.png", "confusion.png"):
        assert (out / f).is_file(), f
    # The app loads it like any registered model, with the tokenizer saved beside it.
    model = text_classify.load_text_model("gru", "default")
    assert "checkpoint trained for this class" in model.loaded.source and "tokenizer.json" in model.tokenizer_source
    post = "nasa will launch the shuttle into orbit to reach the station and the moon"
    prediction = text_classify.classify_text(model, post)
    assert prediction.top_k[0][0] == "sci.space" and prediction.top_k[0][1] > 0.5
    assert evaluate_text.main(["--checkpoint", str(out)])["accuracy"] == result["test"]["accuracy"]
    # The tab lists its test accuracy and draws its training report; the untrained DistilBERT says what to run.
    from demo.tabs.text import _reports, model_choices
    from demo.ui.i18n import I18N

    accuracy = 100 * result["test"]["accuracy"]
    gru = next(label for label, name in model_choices("default") if name == "gru")
    en, vi = (I18N.translations[lang][gru.key] for lang in ("en", "vi"))
    assert f"{accuracy:.1f}%" in en and f"{accuracy:.1f}%".replace(".", ",") in vi  # 96.2% / 96,2%
    text, curves_gru, curves_bert, confusion_gru, _ = _reports("gru", "distilbert")
    assert "test accuracy" in text and "`distilbert`: no checkpoint with a training report" in text
    assert "python -m" not in text  # the command is the instructor's (Status tab), not on the students' screen
    assert curves_gru is not None and confusion_gru is not None and curves_bert is None


@pytest.mark.slow
def test_distilbert_round_trip_through_the_script(corpus, tmp_path):
    from core.catalog.checkpoint import load_checkpoint
    from train import text as train_text

    out = tmp_path / "distilbert"
    argv = ["--model", "distilbert", "--tiny", "--tokenizer", "tiny", "--data-dir", str(corpus), "--out", str(out)]
    result = train_text.main([*argv, "--epochs", "3", "--lr", "3e-3", "--batch-size", "16"])
    assert result["test"]["accuracy"] >= 0.75
    module, config = load_checkpoint(out)
    assert config["arch"] == "text_distilbert" and config["model_args"]["n_layers"] == 2
    assert config["tokenizer"]["name"] == "tiny" and config["train_config"]["remove"] == [
        "headers",
        "footers",
        "quotes",
    ]
    ids = torch.tensor([wp.encode(wp.from_file(out / "tokenizer.json"), "the puck and the goalie").ids])
    assert module(ids).argmax().item() == config["labels"].index("rec.sport.hockey")


@pytest.mark.parametrize("name", ["gru", "distilbert", "minilm_wordnet"])
@pytest.mark.parametrize(
    "text", ["NASA launched the shuttle.", "orbit " * 50_000, *ODD_TEXTS], ids=["short", "300k", *map(str, range(4))]
)
def test_one_highlight_weight_per_shown_token(name, text):
    model = text_classify.load_text_model(name, "tiny")
    p = text_classify.classify_text(model, text)
    weighted = [w for _, w in p.segments if w is not None]
    shown_tokens = p.num_tokens - 2  # [CLS] and [SEP] are not shown
    assert len(weighted) == shown_tokens and all(-1 <= w <= 1 for w in weighted)
    assert "".join(s for s, _ in p.segments) in text.strip()
    assert p.method == text_classify.METHODS[name] and len(p.top_k) == 5


@pytest.mark.slow
def test_concurrent_gru_highlights_leave_cudnn_enabled():
    # Regression: each highlight flipped the process-wide cuDNN switch off and back; two requests at once could
    # restore each other's "off" and leave cuDNN disabled for every model in the app.
    import threading

    model = BiGRUClassifier(vocab_size=50, embed_dim=8, hidden=8, max_length=16).eval()  # small: many passes
    ids = torch.randint(1, 50, (1, 10))
    assert torch.backends.cudnn.enabled

    def work():
        for _ in range(200):
            text_classify._gradient_x_input(model, ids, 0)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert torch.backends.cudnn.enabled


def test_panel_says_which_bound_cut_the_text():
    # Regression: a megabyte with no spaces (one [UNK], 3 tokens) was reported as "truncated at 256 tokens".
    from demo.tabs.text import compare

    header, *_, summary = compare("x" * 1_000_000, "gru", "gru", profile="tiny", explain=False)
    assert summary["A"]["num_tokens"] == 3 and summary["A"]["chars_cut"] == 1_000_000 - wp.MAX_CHARS
    assert "only the first 20,000 characters were read" in header and "256 tokens" not in header
    header, *_ = compare("orbit " * 50_000, "gru", "gru", profile="tiny", explain=False)
    assert "truncated at 256 tokens" in header


def test_without_weights_the_panel_names_the_train_command(tmp_path, monkeypatch, fresh_text_models):
    from demo.tabs.text import compare

    monkeypatch.setenv("CHECKPOINT_DIR", str(tmp_path))
    monkeypatch.delenv("DL_CLASSROOM_HUB_REPO", raising=False)
    header_a, _, _, header_b, _, _, summary = compare("a post about nasa", "gru", "distilbert", profile="default")
    # Words for the class; the command and the file are the instructor's (the Status tab).
    assert "No weights for 'gru'" in header_a and "python -m" not in header_a and "model.safetensors" not in header_a
    assert "No weights for 'distilbert'" in summary["B"]["error"] and "python -m" not in summary["B"]["error"]


# ---- through the launched app (APP_PROFILE=tiny) ---------------------------------------------------------


@pytest.mark.server
def test_classify_text_api_defaults_and_bad_inputs(tiny_app, client_for):
    from gradio_client.exceptions import AppError

    client = client_for(tiny_app)
    start = time.perf_counter()
    summary = client.predict("The goalie stopped every puck in the playoffs.", api_name="/classify_text")
    normal_s = time.perf_counter() - start
    # Offline (no 20 Newsgroups checkpoints), the default pair is the WordNet one; the API names either pair.
    assert summary["A"]["model"] == "gru_wordnet" and summary["B"]["model"] == "minilm_wordnet"
    assert len(summary["A"]["top_k"]) == 5 and summary["A"]["method"] == "gradient x input"
    assert "attention into the mean-pooled tokens" in summary["B"]["method"] and summary["ms"] > 0
    pair_20ng = client.predict("The goalie stopped the puck.", "gru", "distilbert", api_name="/classify_text")
    assert pair_20ng["A"]["model"] == "gru" and pair_20ng["B"]["model"] == "distilbert"
    assert summary["A"]["num_highlights"] == summary["A"]["num_tokens"] - 2 and not summary["A"]["truncated"]
    for empty in ("", "   \n\t "):
        with pytest.raises(AppError, match="empty"):
            client.predict(empty, "gru", "distilbert", api_name="/classify_text")
    start = time.perf_counter()
    big = client.predict("words about space " * 60_000, api_name="/classify_text")  # ~1 MB
    big_s = time.perf_counter() - start
    assert big["A"]["truncated"] and big["A"]["num_tokens"] == 256 and big["B"]["chars_cut"] > 1_000_000 - 25_000
    assert big_s < max(5.0, 5 * normal_s), (big_s, normal_s)
    for text in ODD_TEXTS:
        odd = client.predict(text, "distilbert", "gru", api_name="/classify_text")
        assert len(odd["A"]["top_k"]) == 5 and len(odd["B"]["top_k"]) == 5
        odd = client.predict(text, "minilm_wordnet", "gru_wordnet", api_name="/classify_text")
        assert len(odd["A"]["top_k"]) == 5 and len(odd["B"]["top_k"]) == 5
    assert tiny_app.alive()


@pytest.mark.server
@pytest.mark.browser
def test_text_tab_in_the_browser(browser, tiny_app):
    page = browser.new_page(locale="en-US", viewport={"width": 1400, "height": 1800})
    page.set_default_timeout(90_000)  # the shared 2-core machine can be slow to render every tab
    page.goto(tiny_app.url, wait_until="domcontentloaded")
    page.get_by_role("tab", name="Text: GRU vs Transformer").click()
    page.get_by_placeholder("Paste an English definition or post").fill("a small bird that sings at dawn")
    page.get_by_role("button", name="Classify").click()
    page.get_by_text("Model A: Bidirectional GRU (WordNet 3.0 nouns) [tiny random]").wait_for(timeout=60_000)
    page.get_by_text("Model B: MiniLM-L6 (WordNet 3.0 nouns) [tiny random]").wait_for(timeout=60_000)
    assert page.get_by_text("Highlights: attention into the mean-pooled tokens, last layer").count() == 1
    # The other pair: the radio switches both models (and the examples).
    page.get_by_label("20 Newsgroups: GRU vs DistilBERT").check()
    page.get_by_role("button", name="Classify").click()
    page.get_by_text("Model B: DistilBERT (20 Newsgroups) [tiny random]").wait_for(timeout=60_000)
    assert page.get_by_text("Highlights: attention from [CLS], last layer").count() == 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "text_tab.png"), full_page=True)
    page.close()


def test_the_catalogue_sizes_tiny_text_models_by_the_tiny_vocabulary():
    """core.catalog.text_entries keeps the tiny vocabulary's size as a number (it sits below core.text)."""
    from core.catalog import TINY_VOCAB_SIZE

    assert TINY_VOCAB_SIZE == len(wp.tiny_vocab()) == wp.TINY_VOCAB_SIZE
