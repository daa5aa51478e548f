"""train -> checkpoint -> load -> predict, through the real scripts on synthetic images."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.catalog import store as model_store
from core.image.service import classify
from core.training.report import find_report, plot_confusion, plot_curves
from tests.synthetic import CLASS_COLOURS, synthetic_image, write_image_folder
from train import evaluate, finetune_cifar100


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("train")
    data = write_image_folder(root / "data", per_class_train=10, per_class_test=4)
    ckpt = root / "ckpt" / "resnet50_cifar100"
    out = finetune_cifar100.main(
        [
            "--model",
            "resnet50",
            "--tiny",
            "--data",
            "folder",
            "--data-dir",
            str(data),
            "--epochs",
            "4",
            "--batch-size",
            "8",
            "--lr",
            "3e-3",
            "--workers",
            "0",
            "--seed",
            "0",
            "--out",
            str(ckpt),
        ]
    )
    return root, data, out


@pytest.mark.slow
def test_script_writes_a_self_describing_checkpoint(trained):
    _, _, out = trained
    config = json.loads((out / "config.json").read_text())
    metrics = json.loads((out / "metrics.json").read_text())
    assert config["arch"] == "resnet50" and config["labels"] == sorted(CLASS_COLOURS)
    assert config["preprocess"]["crop_size"] == 32 and config["train_config"]["lr"] == 3e-3
    assert [h["epoch"] for h in metrics["history"]] == [1, 2, 3, 4]
    assert metrics["test"]["accuracy"] >= 0.9, metrics["test"]  # three colours: easy once trained
    assert np.asarray(metrics["test"]["confusion_matrix"]).sum() == metrics["test"]["num_samples"] == 12


@pytest.mark.slow
def test_app_loads_the_checkpoint_and_predicts_like_training(trained, monkeypatch):
    root, _, out = trained
    monkeypatch.setenv("CHECKPOINT_DIR", str(root / "ckpt"))
    model_store.clear_cache()
    model = model_store.load_model("resnet50")
    rng = np.random.default_rng(123)  # fresh images, never seen in training
    hits = sum(
        classify(synthetic_image(cls, rng), model, explain=False).predictions[0].label == cls
        for cls in CLASS_COLOURS
        for _ in range(4)
    )
    assert hits >= 11, f"{hits}/12 fresh synthetic images classified correctly"
    model_store.clear_cache()


@pytest.mark.slow
def test_evaluate_recomputes_the_recorded_metrics(trained):
    _, data, out = trained
    test = evaluate.main(["--checkpoint", str(out), "--data", "folder", "--data-dir", str(data), "--device", "cpu"])
    recorded = json.loads((out / "metrics.json").read_text())["test"]
    assert test["accuracy"] == recorded["accuracy"] and test["confusion_matrix"] == recorded["confusion_matrix"]


@pytest.mark.slow
def test_training_report_plots(trained, monkeypatch):
    root, _, _ = trained
    monkeypatch.setenv("CHECKPOINT_DIR", str(root / "ckpt"))
    config, metrics = find_report("resnet50")
    assert plot_curves(metrics).axes and plot_confusion(metrics, config["labels"]).axes


def test_help_documents_every_flag(capsys):
    with pytest.raises(SystemExit):
        finetune_cifar100.parse_args(["--help"])
    text = capsys.readouterr().out
    for flag in ("--image-size", "--epochs", "--lr", "--batch-size", "--device", "--max-samples", "--seed"):
        assert flag in text


@pytest.mark.slow
def test_image_size_without_resize_implies_the_resize(trained, tmp_path, capsys):
    """`--image-size 224` alone used to crash with a raw ValueError (a 224 px random crop of a 32 px image)."""
    _, data, _ = trained
    out = finetune_cifar100.main(
        ["--model", "resnet50", "--tiny", "--data", "folder", "--data-dir", str(data), "--epochs", "1",
         "--batch-size", "8", "--workers", "0", "--image-size", "48", "--out", str(tmp_path / "ckpt")]
    )  # fmt: skip
    assert "--image-size 48 without --resize: resizing to 48 px first" in capsys.readouterr().out
    config = json.loads((out / "config.json").read_text())
    assert config["preprocess"]["crop_size"] == 48 and config["preprocess"]["resize_size"] == 48
    assert config["train_config"]["resize"] == 48


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["--model", "resnet50", "--image-size", "224"], (224, 224)),
        (["--model", "resnet50"], (32, 32)),
        (["--model", "vit_b16"], (224, 256)),
        (["--model", "vit_b16", "--image-size", "384"], (384, 439)),  # the recipe's 256/224 ratio
        (["--model", "resnet50", "--image-size", "224", "--resize", "256"], (224, 256)),
    ],
)
def test_sizes_come_from_the_recipe_and_the_flags(argv, expected):
    args = finetune_cifar100.parse_args(argv)
    finetune_cifar100.resolve_sizes(args)
    assert (args.image_size, args.resize) == expected


def test_a_resize_smaller_than_the_crop_is_refused_naming_the_flags():
    with pytest.raises(SystemExit, match="--resize 32 is smaller than --image-size 224.*Pass --resize 224 or more"):
        finetune_cifar100.main(["--model", "resnet50", "--image-size", "224", "--resize", "32"])
