"""The /classify_image API through gradio_client against the launched app (loopback only)."""

from __future__ import annotations

import sys

import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from tests import bad_images as bad

pytestmark = pytest.mark.server


def test_only_the_image_is_required(tiny_app, client_for, example_image):
    client = client_for(tiny_app)
    *panels, raw = client.predict(handle_file(example_image), api_name="/classify_image")
    assert raw["A"]["model"] == "resnet50" and raw["B"]["model"] == "vit_b16"
    for side in ("A", "B"):
        top = raw[side]["top_k"]
        assert len(top) == 5 and all(0 <= t["probability"] <= 1 for t in top)
        assert raw[side]["forward_ms"] > 0 and raw[side]["num_params"] > 0
    header_a, label_a, view_a, map_a = panels[:4]
    assert "tiny random" in header_a and len(label_a["confidences"]) == 5
    assert view_a is not None and map_a is not None  # the model input and the Grad-CAM overlay


def test_models_can_be_chosen_and_the_map_switched_off(tiny_app, client_for, example_image):
    client = client_for(tiny_app)
    *panels, raw = client.predict(
        handle_file(example_image), "vit_b16_imagenet", "resnet50_imagenet", False, api_name="/classify_image"
    )
    assert raw["A"]["model"] == "vit_b16_imagenet" and raw["B"]["input_size"] == 224
    assert panels[3] is None and panels[7] is None  # no explanation requested


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
    *_, raw = client.predict(handle_file(example_image), api_name="/classify_image")
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
    *_, raw = client_for(tiny_app).predict(handle_file(str(writer(tmp_path))), api_name="/classify_image")
    assert len(raw["A"]["top_k"]) == 5 and len(raw["B"]["top_k"]) == 5


def test_without_weights_the_panel_names_the_file_and_command(offline_default_app, client_for, example_image):
    *panels, raw = client_for(offline_default_app).predict(handle_file(example_image), api_name="/classify_image")
    assert "resnet50_cifar100/model.safetensors" in raw["A"]["error"]
    assert "python -m train.finetune_cifar100 --model resnet50" in panels[0]
    assert "python -m train.finetune_cifar100 --model vit_b16" in raw["B"]["error"]
    assert offline_default_app.alive()


def test_app_import_loads_no_weights():
    import subprocess

    code = (
        "import sys, app; from core import model_store; "
        "assert not model_store._cache, model_store._cache; "
        "assert 'transformers' not in sys.modules and 'torch' not in sys.modules; print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip().endswith("ok"), out.stderr


def test_committed_zoo_models_classify_offline(repo_default_app, client_for, example_image):
    from core.zoo_data import FASHION_MNIST_LABELS

    *panels, raw = client_for(repo_default_app).predict(
        handle_file(example_image), "simple_cnn", "simple_vit", api_name="/classify_image"
    )
    for side, name in (("A", "simple_cnn"), ("B", "simple_vit")):
        assert raw[side]["model"] == name and "error" not in raw[side]
        assert "Fashion-MNIST" in raw[side]["display_name"] and "local checkpoint" in raw[side]["weights"]
        assert {t["label"] for t in raw[side]["top_k"]} <= set(FASHION_MNIST_LABELS)
        assert abs(sum(t["probability"] for t in raw[side]["top_k"]) - 1) < 0.3  # 5 of 10 classes


def test_a_call_naming_no_model_gets_the_pair_the_page_opens_on(repo_default_app, client_for, example_image):
    """Fresh offline clone: the page opens on the committed zoo pair (core.initial), and so does the API."""
    client = client_for(repo_default_app)
    *panels, raw = client.predict(handle_file(example_image), api_name="/classify_image")
    assert (raw["A"]["model"], raw["B"]["model"]) == ("simple_cnn", "cnn_transformer")
    assert "error" not in raw["A"] and "error" not in raw["B"]
    # Named explicitly, an unavailable model still gets the clear message with the command.
    *panels, raw = client.predict(handle_file(example_image), "resnet50", "simple_cnn", api_name="/classify_image")
    assert "python -m train.finetune_cifar100 --model resnet50" in raw["A"]["error"]


def test_sequence_models_show_how_they_read(repo_default_app, client_for, example_image):
    *panels, raw = client_for(repo_default_app).predict(
        handle_file(example_image), "gru_row", "lstm_patch4", api_name="/classify_image"
    )
    assert "32 rows" in panels[0] and "64 patches of 4x4" in panels[4]


VQA_IMAGE = "examples/vqa/easy_vqa_test_0.png"


def test_vqa_chat_keeps_the_conversation(tiny_app, client_for):
    client = client_for(tiny_app)
    image = handle_file(VQA_IMAGE)
    history, attention, top3, cleared = client.predict(
        image, "what color is the shape?", [], "cnn_att", "easy_vqa", api_name="/vqa_chat"
    )
    assert len(history) == 2 and history[1]["role"] == "assistant" and cleared == ""
    assert attention is not None and len(top3["confidences"]) == 3
    history, *_ = client.predict(image, "is there a circle?", history, "cnn_noatt", "easy_vqa", api_name="/vqa_chat")
    assert [m["role"] for m in history] == ["user", "assistant", "user", "assistant"]


def test_vqa_answer_api_returns_answer_and_confidence(tiny_app, client_for):
    out = client_for(tiny_app).predict(handle_file(VQA_IMAGE), "what shape is in the image?", api_name="/vqa_answer")
    assert out["answer"] and 0 <= out["confidence"] <= 1 and len(out["alternatives"]) == 2


@pytest.mark.parametrize(
    "image, question, fragment",
    [(None, "what shape?", "Upload a photo first"), (VQA_IMAGE, "   ", "Type a question")],
)
def test_vqa_refuses_missing_image_or_question(tiny_app, client_for, image, question, fragment):
    with pytest.raises(AppError, match=fragment):
        client_for(tiny_app).predict(image and handle_file(image), question, [], api_name="/vqa_chat")


@pytest.mark.parametrize("question", ["🍜🍔🍕", "what shape " * 1000])
def test_vqa_answers_odd_questions_honestly(tiny_app, client_for, question):
    history, *_ = client_for(tiny_app).predict(handle_file(VQA_IMAGE), question, [], api_name="/vqa_chat")
    reply = history[1]["content"]
    reply = reply if isinstance(reply, str) else reply[0]["text"]
    assert "Best guess" in reply or "Next" in reply
    assert (
        len(history[0]["content"] if isinstance(history[0]["content"], str) else history[0]["content"][0]["text"])
        <= 500
    )


def test_vqa_bad_image_gets_a_message(tiny_app, client_for, tmp_path):
    with pytest.raises(AppError, match="not an image"):
        client_for(tiny_app).predict(
            handle_file(str(bad.text_named_png(tmp_path))), "what shape?", [], api_name="/vqa_chat"
        )
    assert tiny_app.alive()


def test_conv_arithmetic_api(tiny_app, client_for):
    client = client_for(tiny_app)
    grid = "9 4 1 2 2\n1 1 1 0 4\n1 2 1 0 6\n1 0 0 2 0\n9 6 7 4 0"  # the CNN slides' grid
    size_md, output, pooled, _step, step_md = client.predict(
        grid, "0 2 1\n4 1 0\n1 0 1", 0, 1, "max", api_name="/conv_arithmetic"
    )
    assert output["data"][0][0] == 16 and "= 16" in step_md and "**3**" in size_md
    with pytest.raises(AppError, match="same number"):
        client.predict("1 2\n3", "0 2 1\n4 1 0\n1 0 1", 0, 1, "max", api_name="/conv_arithmetic")


def test_layer_table_api(tiny_app, client_for):
    note, table = client_for(tiny_app).predict("lenet5", api_name="/layer_table")
    assert "61,706" in note and table["data"][0][:3] == ["features.0", "Conv2d", "6x28x28"]


def test_feature_maps_of_the_committed_simple_cnn(repo_default_app, client_for, example_image):
    image, text = client_for(repo_default_app).predict(
        handle_file(example_image), "simple_cnn", api_name="/feature_maps"
    )
    assert image and "32 maps of 32x32" in text and "Fashion-MNIST" in text


def test_status_panel_lists_every_model_with_a_fix(offline_default_app, client_for):
    from core.registry import list_models

    summary, table = client_for(offline_default_app).predict(api_name="/model_status")
    rows = {r[0]: r for r in table["data"]}
    assert set(list_models()) <= set(rows) and "not reachable" in summary
    assert rows["resnet50"][2] == "missing" and "python -m train.finetune_cifar100" in rows["resnet50"][4]
    assert rows["simple_cnn"][2] == "missing" and "--dataset fashion_mnist" in rows["simple_cnn"][4]


def test_committed_vqa_checkpoint_answers_for_real(repo_default_app, client_for):
    """easy-VQA test image 0 is a red triangle (the package's own test question: 'what is the red shape?')."""
    client = client_for(repo_default_app)
    shape = client.predict(handle_file(VQA_IMAGE), "what is the red shape?", api_name="/vqa_answer")
    colour = client.predict(handle_file(VQA_IMAGE), "what color is the triangle?", api_name="/vqa_answer")
    assert shape["answer"] == "triangle" and colour["answer"] == "red", (shape, colour)
    assert colour["features_cached"]  # same photo, second question: the CNN did not run again
