"""The image and text tabs' handlers called directly (module level, plain values in and out; tiny profile): what
they return, the one error path (core's UserError -> a gr.Error in the visitor's language through
@shows_user_errors), the one per-side catch (a model without weights fills its own panel, the other still runs),
and text models loading through core.catalog.store like every other entry."""

from __future__ import annotations

import re
from pathlib import Path

import gradio as gr
import pytest

from core.catalog import store as model_store
from demo import api
from demo.tabs import image as image_tab
from demo.tabs import text as text_tab
from tests import bad_images as bad

REPO = Path(__file__).resolve().parent.parent
VI = gr.Request(headers={"accept-language": "vi-VN,vi;q=0.9"}, cookies={})
EN = gr.Request(headers={"accept-language": "en-US,en;q=0.9"}, cookies={})


@pytest.fixture
def offline_weights(tmp_path, monkeypatch):
    """Only the repo's committed checkpoints: no Hub, no torchvision download, nothing cached from other tests."""
    for name, value in (("HF_HUB_OFFLINE", "1"), ("TORCH_HOME", tmp_path / "torch"), ("HF_HOME", tmp_path / "hf")):
        monkeypatch.setenv(name, str(value))
    monkeypatch.delenv("DL_CLASSROOM_HUB_REPO", raising=False)
    model_store.clear_cache()
    yield
    model_store.clear_cache()


# ---- image tab ----------------------------------------------------------------------------------------------


def test_image_compare_fills_both_panels_and_the_summary(example_image):
    header_a, scores_a, seen_a, cam_a, header_b, scores_b, *_, table, raw = image_tab.compare(
        example_image, "simple_cnn", "custom_vit", True, "fp32", EN, profile="tiny"
    )
    assert "Model A" in header_a and "Model B" in header_b and "[tiny random]" in header_a
    assert scores_a["label"] == "Top-5 (superclass)"  # the tiny CIFAR-100 stand-ins: labels with a superclass
    scores_a = scores_a["value"]
    assert len(scores_a) == image_tab.TOP_K and 0 < sum(scores_a.values()) <= 1 + 1e-6
    assert raw["A"]["out_of_domain"] is None  # random weights have no calibration: no verdict, never an invented one
    assert Path(seen_a).is_file() and Path(cam_a).is_file()  # what the model sees, and Grad-CAM's map
    assert table == ""  # the fp32 vs int8 table only in compare mode
    assert raw["A"]["model"] == "simple_cnn" and raw["B"]["model"] == "custom_vit"
    assert [p["label"] for p in raw["A"]["top_k"]][0] in next(iter(scores_a))  # the panel shows what the JSON says
    header_vi, *_ = image_tab.compare(example_image, "simple_cnn", "custom_vit", False, "fp32", VI, profile="tiny")
    assert "Mô hình A" in header_vi and "tham số" in header_vi


def test_image_compare_mode_adds_the_int8_table(example_image):
    *_, table, raw = image_tab.compare(example_image, "resnet50", "custom_vit", False, "compare", profile="tiny")
    assert "forward fp32 → int8" in table and "fp32 only" in table  # ResNet: convolutions, not Linear layers
    assert "precision" in raw["B"] and "precision" not in raw["A"]


@pytest.mark.parametrize(
    "args, title, fragment",
    [
        (("simple_cnn", "no_such_model", True, "fp32"), "Giá trị không hợp lệ", "Mô hình B phải là một trong"),
        (("simple_cnn", "custom_vit", True, "fp16"), "Giá trị không hợp lệ", "Độ chính xác số phải là"),
    ],
)
def test_image_compare_refuses_bad_choices_in_the_visitors_language(example_image, args, title, fragment):
    with pytest.raises(gr.Error) as exc:
        image_tab.compare(example_image, *args, VI, profile="tiny")
    assert exc.value.title == title and fragment in exc.value.message


def test_image_compare_refuses_a_bad_image_through_the_one_path(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path))  # the file counts as an upload (core.runtime.uploads)
    with pytest.raises(gr.Error) as exc:
        image_tab.compare(str(bad.text_named_png(tmp_path)), "", "", request=VI, profile="tiny")
    assert exc.value.title == "Không dùng được ảnh này" and "không phải là ảnh" in exc.value.message
    with pytest.raises(gr.Error) as exc:
        image_tab.compare(None, "", "", request=EN, profile="tiny")
    assert exc.value.title == "Cannot use this image" and "No image given" in exc.value.message


def test_a_text_file_named_jpg_is_refused_at_upload(tmp_path, monkeypatch, example_image):
    """The preview of a file that is no image is a broken icon: the note under it says why at once (Compare, if
    pressed anyway, says it again)."""
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path))  # the file counts as an upload (core.runtime.uploads)
    text_file = tmp_path / "photo.jpg"
    text_file.write_text("this is a text file, not a photo\n" * 20)
    for request, title in ((VI, "Không dùng được ảnh này"), (EN, "Cannot use this image")):
        button, note = image_tab.image_changed({"path": str(text_file)}, request)
        assert note["visible"] is True and title in note["value"]
        assert str(tmp_path) not in note["value"]  # no server path on the page
    button, note = image_tab.image_changed({"path": example_image}, VI)  # an example: no note, Compare on
    assert button.interactive is True and note["visible"] is False
    button, note = image_tab.image_changed(None, VI)  # cleared: no note, Compare off
    assert button.interactive is False and note["visible"] is False


def test_a_missing_image_model_fills_its_own_panel_and_the_other_still_runs(example_image, offline_weights):
    header_a, scores_a, *_, header_b, scores_b, _, _, _, raw = image_tab.compare(
        example_image, "simple_cnn", "resnet50", False, "fp32", VI, profile="default"
    )
    assert scores_a and "checkpoint trained for this class" in raw["A"]["weights"]  # the committed SimpleCNN answered
    assert scores_b is None and "Không chạy được mô hình này" in header_b
    assert "Chưa có trọng số cho" in header_b  # the UserError in the visitor's language (demo.ui.errors.localized)
    assert raw["B"]["error"].startswith("No weights for") and "python -m" not in raw["B"]["error"]  # words


def test_image_page_load_and_dropdown_refresh():
    a, b, note, heading = image_tab.on_load(EN, profile="tiny")
    offered = [name for _, name in image_tab.model_choices("tiny")]
    assert a in offered and b in offered and isinstance(note, dict)
    assert heading == "### ResNet-50 (CIFAR-100) (CNN) vs ViT-B/16 (CIFAR-100) (Transformer)"  # the pair on screen
    assert image_tab.pair_heading("simple_cnn", "cnn_transformer", VI) == (
        "### SimpleCNN (CNN) và CNN+Transformer hybrid (CNN + Transformer)"
    )
    dropdown = image_tab.refresh(VI, profile="tiny")
    assert [name for _, name in dropdown.choices] == offered
    assert all(isinstance(label, str) for label, _ in dropdown.choices)  # already in the visitor's language


def test_the_zoo_pair_answers_in_the_visitors_language_and_says_when_an_image_is_unlike_its_data(
    example_image, offline_weights
):
    """The committed Fashion-MNIST pair (a fresh clone): Vietnamese class names on the Vietnamese page (the JSON
    keeps the English label and adds label_vi), no "superclass", and a photo called unlike the training images."""
    garment = str(REPO / "examples" / "images" / "fashion_mnist" / "1_trouser.png")
    header_a, scores_a, *_, raw = image_tab.compare(garment, "simple_cnn", "cnn_transformer", False, "fp32", VI,
                                                    profile="default")  # fmt: skip
    assert scores_a["label"] == "Top-5" and "Quần dài" in scores_a["value"]
    assert raw["A"]["top_k"][0]["label"] == "Trouser" and raw["A"]["top_k"][0]["label_vi"] == "Quần dài"
    assert raw["A"]["out_of_domain"]["unlike_training_data"] is False and "Không giống" not in header_a
    header_a, _, _, _, header_b, *_, raw = image_tab.compare(example_image, "simple_cnn", "cnn_transformer", False,
                                                             "fp32", EN, profile="default")  # fmt: skip
    for header, side in ((header_a, "A"), (header_b, "B")):
        assert "Unlike its training images" in header and "confidence is not correctness" in header
        verdict = raw[side]["out_of_domain"]
        assert verdict["unlike_training_data"] is True and verdict["score"] > verdict["threshold"]
        assert any("unlike the Fashion-MNIST images" in n for n in raw[side]["notes"])  # the API's notes too


def test_every_fashion_mnist_class_has_a_vietnamese_name():
    from core.catalog.labels import FASHION_MNIST_VI
    from core.training.zoo_data import FASHION_MNIST_LABELS

    assert list(FASHION_MNIST_VI) == FASHION_MNIST_LABELS and len(set(FASHION_MNIST_VI.values())) == 10


def test_compare_is_inactive_without_an_image_and_an_empty_drawing_is_refused():
    assert image_tab.has_image(None).interactive is False
    assert image_tab.has_image({"path": None, "url": None}).interactive is False
    assert image_tab.has_image({"path": "x.png"}).interactive is True
    from PIL import Image

    black = {"background": None, "layers": [], "composite": Image.new("RGB", (280, 280))}
    header_a, *rest = image_tab.compare_drawing(black, "simple_cnn", "custom_vit", False, "fp32", VI, profile="tiny")
    assert "Chưa vẽ gì" in header_a and len(rest) == 9  # inline in panel A, the other outputs unchanged
    assert all(value == {"__type__": "update"} for value in rest)
    drawn = Image.new("RGB", (280, 280))
    drawn.paste((255, 255, 255), (100, 40, 180, 240))  # a light trouser-ish block on black
    header_a, *_ = image_tab.compare_drawing({"composite": drawn}, "simple_cnn", "custom_vit", False, "fp32", EN,
                                             profile="tiny")  # fmt: skip
    assert "Model A" in header_a


# ---- text tab -----------------------------------------------------------------------------------------------


def test_text_compare_fills_both_panels_and_the_summary():
    post = "NASA will launch the shuttle into orbit."
    header_a, scores_a, words_a, header_b, scores_b, words_b, raw = text_tab.compare(
        post, "gru", "minilm_wordnet", EN, profile="tiny"
    )
    assert "Model A" in header_a and "gradient x input" in header_a and "Forward" in header_b
    assert len(scores_a) == text_tab.TOP_K and len(scores_b) == text_tab.TOP_K
    assert "".join(piece for piece, _ in words_a).lower() in post.lower() and words_b
    assert raw["A"]["model"] == "gru" and raw["B"]["num_highlights"] == raw["B"]["num_tokens"] - 2
    header_vi, *_ = text_tab.compare(post, "gru", "gru", VI, profile="tiny", explain=False)
    assert "Lan truyền xuôi" in header_vi


def test_text_compare_with_no_names_runs_the_pair_the_page_opens_on():
    *_, raw = text_tab.compare("the goalie stopped the puck", profile="tiny")
    assert (raw["A"]["model"], raw["B"]["model"]) == text_tab.PAIRS[text_tab.initial_dataset("tiny")]


@pytest.mark.parametrize(
    "post, names, title, fragment",
    [
        ("  \n", ("gru", "gru"), "Chưa có văn bản", "Văn bản trống"),
        (None, ("gru", "gru"), "Chưa có văn bản", "Văn bản trống"),
        ("a post", ("gru", "resnet50"), "Không có lựa chọn này", "không phải mô hình văn bản"),
    ],
)
def test_text_compare_refuses_bad_input_in_the_visitors_language(post, names, title, fragment):
    with pytest.raises(gr.Error) as exc:
        text_tab.compare(post, *names, VI, profile="tiny")
    assert exc.value.title == title and fragment in exc.value.message


def test_a_missing_text_model_fills_its_own_panel_and_the_other_still_runs(offline_weights):
    # gru_wordnet is committed; the 20 Newsgroups GRU needs `python -m train.text` (not in the repo).
    header_a, scores_a, _, header_b, scores_b, _, raw = text_tab.compare(
        "a small furry animal", "gru_wordnet", "gru", VI, profile="default"
    )
    assert scores_a and "checkpoint trained for this class" in raw["A"]["weights"]
    assert scores_b is None and "Chưa có trọng số cho 'gru'" in header_b
    assert "Model status" in raw["B"]["error"] and "python -m" not in raw["B"]["error"]  # words, not the command


def test_text_pair_switch_and_page_load():
    a, b, *visible = text_tab.switch("20ng")
    assert (a, b) == text_tab.PAIRS["20ng"] and [v["visible"] for v in visible] == [False, True]
    chosen, a, b, *rest = text_tab.on_load(EN, profile="tiny")
    assert (a, b) == text_tab.PAIRS[chosen] and len(rest) == len(text_tab.DATASETS) + 1  # examples, note


# ---- the API functions use the same public handlers' pieces --------------------------------------------------


def test_api_functions_run_the_tabs_code(example_image, monkeypatch):
    monkeypatch.setitem(api._profile, "name", "tiny")
    raw = api.classify_image(example_image, "resnet50", "custom_vit", top_k=3, precision="compare", explain=True)
    assert len(raw["A"]["top_k"]) == 3 and raw["A"]["explanation"]["png_base64"] and "precision" in raw["B"]
    assert "1x1" in raw["A"]["notes"][0] and raw["ms"] > 0  # tiny ResNet-50 at 32 px: why its map is flat
    raw = api.classify_text("NASA launched the shuttle.", "gru", "distilbert", top_k=2)
    assert [raw[s]["model"] for s in "AB"] == ["gru", "distilbert"] and len(raw["B"]["top_k"]) == 2


def test_image_and_text_tabs_translate_no_exception_themselves():
    """The errors reach the visitor through @shows_user_errors; each tab keeps one per-side except (missing weights
    fill that model's panel), the image tab one more for the note under an upload that is no image
    (image_changed), and no hand-made gr.Error."""
    for rel, excepts in (("demo/tabs/image.py", 2), ("demo/tabs/text.py", 1)):
        source = (REPO / rel).read_text()
        assert len(re.findall(r"^\s*except\b", source, re.M)) == excepts, rel
        assert "raise gr.Error" not in source and "KeyError" not in source, rel


# ---- one loader -----------------------------------------------------------------------------------------------


def test_text_models_load_through_the_one_loader():
    from core.text.service import TextModel, load_text_model

    model = load_text_model("gru", "tiny")
    assert isinstance(model, TextModel) and model_store.load_model("gru", "tiny") is model
    assert "tiny WordPiece" in model.source and "tiny profile" in model.source
    model_store.forget("gru")  # new weights written: the next request reloads module and tokenizer together
    assert load_text_model("gru", "tiny") is not model
    random = model_store.load_model("gru", "random")
    assert sum(p.numel() for p in random.module.parameters()) > 4 * sum(p.numel() for p in model.module.parameters())
