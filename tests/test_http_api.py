"""The public API (demo/api.py) through gradio_client against the launched app (loopback only)."""

from __future__ import annotations

import sys

import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from tests import bad_images as bad

pytestmark = pytest.mark.server


def test_only_the_image_is_required(tiny_app, client_for, example_image):
    client = client_for(tiny_app)
    raw = client.predict(handle_file(example_image), api_name="/classify_image")
    assert raw["A"]["model"] == "resnet50" and raw["B"]["model"] == "vit_b16"
    for side in ("A", "B"):
        top = raw[side]["top_k"]
        assert len(top) == 5 and all(0 <= t["probability"] <= 1 for t in top)
        assert raw[side]["forward_ms"] > 0 and raw[side]["num_params"] > 0 and "tiny random" in raw[side]["weights"]
    assert raw["notes"] == [] and raw["ms"] > 0


def test_models_and_top_k_can_be_chosen(tiny_app, client_for, example_image):
    client = client_for(tiny_app)
    raw = client.predict(
        handle_file(example_image), "vit_b16_imagenet", "resnet50_imagenet", 3, api_name="/classify_image"
    )
    assert raw["A"]["model"] == "vit_b16_imagenet" and raw["B"]["input_size"] == 224
    assert len(raw["A"]["top_k"]) == len(raw["B"]["top_k"]) == 3


@pytest.mark.parametrize(
    "args, language, fragment",
    [
        (("resnet50", "vit_b16", 0), "en", "top_k must be a whole number from 1 to 20"),
        (("resnet50", "vit_b16", 0), "vi", "top_k phải là số nguyên từ 1 đến 20"),
        (("no_such_model", "vit_b16", 5), "en", "no_such_model"),
        (("resnet50", "vit_b16", 5), "fr", "language must be one of"),
    ],
)
def test_bad_values_are_refused_in_the_chosen_language(tiny_app, client_for, example_image, args, language, fragment):
    with pytest.raises(AppError, match=fragment):
        client_for(tiny_app).predict(handle_file(example_image), *args, language=language, api_name="/classify_image")


@pytest.mark.parametrize(
    "writer, fragment",
    [
        (bad.text_named_png, "not an image"),
        (bad.empty_file, "empty"),
        (bad.truncated_jpeg, "damaged"),
        (bad.huge_png_header, "too large"),
    ],
)
def test_bad_uploads_get_a_message_and_the_app_keeps_serving(
    tiny_app, client_for, tmp_path, writer, fragment, example_image
):
    client = client_for(tiny_app)
    with pytest.raises(AppError, match=fragment):
        client.predict(handle_file(str(writer(tmp_path))), api_name="/classify_image")
    assert tiny_app.alive()
    raw = client.predict(handle_file(example_image), api_name="/classify_image")
    assert raw["A"]["top_k"]


@pytest.mark.parametrize(
    "writer",
    [
        bad.cmyk_jpeg,
        bad.png16,
        bad.rgba_png,
        bad.palette_png,
        bad.gray_png,
        bad.one_pixel,
        bad.exif_rotated,
        bad.animated_gif,
    ],
)
def test_odd_but_valid_images_are_classified(tiny_app, client_for, tmp_path, writer):
    raw = client_for(tiny_app).predict(handle_file(str(writer(tmp_path))), api_name="/classify_image")
    assert len(raw["A"]["top_k"]) == 5 and len(raw["B"]["top_k"]) == 5


def test_without_weights_the_panel_names_the_file_and_command(offline_default_app, client_for, example_image):
    raw = client_for(offline_default_app).predict(handle_file(example_image), api_name="/classify_image")
    # Words: the file and the command are the instructor's (the Status tab's instructor section).
    assert "No weights for 'resnet50'" in raw["A"]["error"] and "No weights for 'vit_b16'" in raw["B"]["error"]
    assert not any(d in raw[s]["error"] for s in "AB" for d in ("python -m", "model.safetensors"))
    assert offline_default_app.alive()


def test_app_import_loads_no_weights():
    import subprocess

    code = (
        "import sys, app; from core.catalog import store as model_store; "
        "assert not model_store._cache, model_store._cache; "
        "assert 'transformers' not in sys.modules and 'torch' not in sys.modules; print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip().endswith("ok"), out.stderr


def test_committed_zoo_models_classify_offline(repo_default_app, client_for, example_image):
    from core.training.zoo_data import FASHION_MNIST_LABELS

    raw = client_for(repo_default_app).predict(
        handle_file(example_image), "simple_cnn", "simple_vit", api_name="/classify_image"
    )
    for side, name in (("A", "simple_cnn"), ("B", "simple_vit")):
        assert raw[side]["model"] == name and "error" not in raw[side]
        assert (
            "Fashion-MNIST" in raw[side]["display_name"] and "checkpoint trained for this class" in raw[side]["weights"]
        )
        assert {t["label"] for t in raw[side]["top_k"]} <= set(FASHION_MNIST_LABELS)
        assert abs(sum(t["probability"] for t in raw[side]["top_k"]) - 1) < 0.3  # 5 of 10 classes


def test_a_call_naming_no_model_gets_the_pair_the_page_opens_on(repo_default_app, client_for, example_image):
    """Fresh offline clone: the page opens on the committed zoo pair (core.catalog.availability), and so does the
    API."""
    client = client_for(repo_default_app)
    raw = client.predict(handle_file(example_image), api_name="/classify_image")
    assert (raw["A"]["model"], raw["B"]["model"]) == ("simple_cnn", "cnn_transformer")
    assert "error" not in raw["A"] and "error" not in raw["B"]
    # Named explicitly, an unavailable model still gets the clear message (words; the command is the instructor's).
    raw = client.predict(handle_file(example_image), "resnet50", "simple_cnn", api_name="/classify_image")
    assert "No weights for 'resnet50'" in raw["A"]["error"] and "python -m" not in raw["A"]["error"]
    # VQA too: no variant or data set named -> the committed checkpoint the page opens on answers.
    vqa = client.predict(handle_file(VQA_IMAGE), "what color is the shape?", api_name="/vqa_answer")
    assert vqa["answer"] and 0 < vqa["confidence"] <= 1


def test_sequence_models_show_how_they_read(repo_default_app, client_for, example_image):
    raw = client_for(repo_default_app).predict(
        handle_file(example_image), "gru_row", "lstm_patch4", api_name="/classify_image"
    )
    assert any("32 rows" in n for n in raw["A"]["notes"]) and any("64 patches of 4x4" in n for n in raw["B"]["notes"])


VQA_IMAGE = "examples/vqa/easy_vqa_test_0.png"


def test_vqa_chat_keeps_the_conversation(tiny_app, client_for):
    client = client_for(tiny_app)
    image = handle_file(VQA_IMAGE)
    out = client.predict(image, "what color is the shape?", [], "cnn_att", "easy_vqa", api_name="/vqa_chat")
    history = out["history"]
    assert len(history) == 2 and history[1]["role"] == "assistant" and out["answer"] and len(out["alternatives"]) == 2
    out = client.predict(image, "is there a circle?", history, "cnn_noatt", "easy_vqa", "vi", api_name="/vqa_chat")
    assert [m["role"] for m in out["history"]] == ["user", "assistant", "user", "assistant"]
    assert "Khả năng khác" in out["history"][3]["content"]  # the reply in the chosen language


def test_vqa_answer_api_returns_answer_and_confidence(tiny_app, client_for):
    out = client_for(tiny_app).predict(handle_file(VQA_IMAGE), "what shape is in the image?", api_name="/vqa_answer")
    assert out["answer"] and 0 <= out["confidence"] <= 1 and len(out["alternatives"]) == 2 and out["ms"] > 0


@pytest.mark.parametrize(
    "image, question, fragment",
    [(None, "what shape?", "Upload a photo first"), (VQA_IMAGE, "   ", "Type a question")],
)
def test_vqa_refuses_missing_image_or_question(tiny_app, client_for, image, question, fragment):
    with pytest.raises(AppError, match=fragment):
        client_for(tiny_app).predict(image and handle_file(image), question, [], api_name="/vqa_chat")


@pytest.mark.parametrize("question", ["🍜🍔🍕", "what shape " * 1000])
def test_vqa_answers_odd_questions_honestly(tiny_app, client_for, question):
    history = client_for(tiny_app).predict(handle_file(VQA_IMAGE), question, [], api_name="/vqa_chat")["history"]
    assert "Best guess" in history[1]["content"] or "Next" in history[1]["content"]
    assert len(history[0]["content"]) <= 500


def test_vqa_bad_image_gets_a_message(tiny_app, client_for, tmp_path):
    with pytest.raises(AppError, match="not an image"):
        client_for(tiny_app).predict(
            handle_file(str(bad.text_named_png(tmp_path))), "what shape?", [], api_name="/vqa_chat"
        )
    assert tiny_app.alive()


def test_conv_arithmetic_api(tiny_app, client_for):
    client = client_for(tiny_app)
    grid = "9 4 1 2 2\n1 1 1 0 4\n1 2 1 0 6\n1 0 0 2 0\n9 6 7 4 0"  # the CNN slides' grid
    out = client.predict(grid, "0 2 1\n4 1 0\n1 0 1", 0, 1, "max", api_name="/conv_arithmetic")
    assert out["output"][0][0] == 16 and "= 16" in out["step"] and "**3**" in out["size"] and out["steps"] == 9
    assert "đầu ra 5x5" in client.predict(grid, "1", language="vi", api_name="/conv_arithmetic")["size"]
    with pytest.raises(AppError, match="same number"):
        client.predict("1 2\n3", "0 2 1\n4 1 0\n1 0 1", 0, 1, "max", api_name="/conv_arithmetic")
    with pytest.raises(AppError, match="Padding must be a whole number"):
        client.predict(grid, "1", 1.5, api_name="/conv_arithmetic")


def test_layer_table_api(tiny_app, client_for):
    out = client_for(tiny_app).predict("lenet5", api_name="/layer_table")
    assert "61,706" in out["summary"] and out["rows"][0][:3] == ["features.0", "Conv2d", "6x28x28"]
    assert out["headers"] == ["layer", "type", "output shape", "activations", "params"]


def test_feature_maps_of_the_committed_simple_cnn(example_image):
    """The CNN tab's handler (a UI panel, not an API endpoint) on the committed checkpoint."""
    from demo.tabs.cnn_feature_maps import feature_maps

    image, text = feature_maps(example_image, "simple_cnn", profile="default")
    assert image and "32 maps of 32x32" in text and "Fashion-MNIST" in text


def test_status_panel_lists_every_model_with_a_fix(offline_default_app, client_for):
    from core.catalog import list_models

    out = client_for(offline_default_app).predict(api_name="/model_status")
    rows = {m["name"]: m for m in out["models"]}
    assert set(list_models()) <= set(rows) and "not reachable" in out["summary"]
    assert rows["resnet50"]["state"] == "missing" and "training scripts" in rows["resnet50"]["fix"]
    assert rows["simple_cnn"]["state"] == "missing" and "training scripts" in rows["simple_cnn"]["fix"]
    assert not any("python -m" in row["fix"] or "/" in row["weights_from"] for row in rows.values())  # words
    assert client_for(offline_default_app).predict("vi", api_name="/model_status")["models"][0]["state"] == "thiếu"


def test_committed_vqa_checkpoint_answers_for_real(repo_default_app, client_for):
    """easy-VQA test image 0 is a red triangle (the package's own test question: 'what is the red shape?')."""
    client = client_for(repo_default_app)
    shape = client.predict(handle_file(VQA_IMAGE), "what is the red shape?", api_name="/vqa_answer")
    colour = client.predict(handle_file(VQA_IMAGE), "what color is the triangle?", api_name="/vqa_answer")
    assert shape["answer"] == "triangle" and colour["answer"] == "red", (shape, colour)
    assert colour["features_cached"]  # same photo, second question: the CNN did not run again
