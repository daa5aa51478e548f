"""Weight resolution: local checkpoints, offline behaviour, fallbacks, and never unpickling downloads."""

from __future__ import annotations

import pickle
import time

import pytest
import torch

from core.catalog import build_architecture, get_spec
from core.catalog import store as model_store
from core.catalog.checkpoint import load_checkpoint, read_config, save_checkpoint
from core.catalog.weights import TorchvisionWeights, WeightsUnavailable


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No checkpoints, empty caches, offline: the state of a fresh classroom laptop without network."""
    monkeypatch.setenv("CHECKPOINT_DIR", str(tmp_path / "ckpt"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("DL_CLASSROOM_HUB_REPO", raising=False)
    model_store.clear_cache()
    yield tmp_path
    model_store.clear_cache()


def test_missing_weights_name_the_file_and_the_command_quickly(isolated):
    start = time.perf_counter()
    with pytest.raises(WeightsUnavailable) as info:
        model_store.load_with_fallback("resnet50")
    assert time.perf_counter() - start < 5
    details = info.value.instructor_details()  # the instructor's: the file and the commands (students: words)
    assert str(isolated / "ckpt" / "resnet50_cifar100" / "model.safetensors") in details
    assert "python -m train.finetune_cifar100 --model resnet50" in details
    assert "python -m demo.prefetch" in details


def test_checkpoint_round_trip_rebuilds_from_json_alone(tmp_path):
    spec = get_spec("vit_b16")
    args = {**spec.model_args, **spec.tiny_args}
    model = build_architecture(spec.arch, **args).eval()
    save_checkpoint(
        tmp_path, model, arch=spec.arch, model_args=args, labels=["a"] * 100, preprocess=spec.preprocess.to_dict()
    )
    loaded, config = load_checkpoint(tmp_path)
    x = torch.randn(1, 3, 224, 224)
    assert torch.equal(model(x), loaded(x))
    assert read_config(tmp_path)["arch"] == "vit_b16" and (tmp_path / "model.safetensors").is_file()


def _write_tiny_local_checkpoint(ckpt_root, name="resnet50", dirname="resnet50_cifar100"):
    spec = get_spec(name)
    args = {**spec.model_args, **spec.tiny_args}
    torch.manual_seed(1)
    model = build_architecture(spec.arch, **args).eval()
    labels = [f"class_{i}" for i in range(100)]
    save_checkpoint(
        ckpt_root / dirname, model, arch=spec.arch, model_args=args, labels=labels, preprocess=spec.preprocess.to_dict()
    )
    return model


def test_local_checkpoint_is_preferred_and_loaded_once(isolated):
    original = _write_tiny_local_checkpoint(isolated / "ckpt")
    loaded = model_store.load_model("resnet50")
    assert loaded is model_store.load_model("resnet50")
    assert loaded.labels[3] == "class_3" and "checkpoint trained for this class" in loaded.source
    x = torch.randn(1, 3, 32, 32)
    assert torch.equal(loaded.module(x), original(x))


@pytest.mark.slow
def test_falls_back_to_imagenet_weights_and_says_so(isolated):
    # A full-size ResNet-50 state dict where torchvision caches IMAGENET1K_V2, as if downloaded earlier.
    source = TorchvisionWeights("ResNet50_Weights.IMAGENET1K_V2")
    path = source.cached_file()
    path.parent.mkdir(parents=True)
    torch.save(build_architecture("resnet50", num_classes=1000).net.state_dict(), path)
    model = model_store.load_with_fallback("resnet50")
    assert model.name == "resnet50_imagenet" and len(model.labels) == 1000
    assert "ImageNet-1k labels" in model.notes[0] and "Model status tab" in model.notes[0]
    assert "python -m" not in model.notes[0] and "/" not in model.notes[0].replace("ViT-B/16", "")


class _Exploit:
    def __reduce__(self):
        return (exec, ("import pathlib; pathlib.Path('PWNED').write_text('x')",))


def test_downloaded_pth_is_never_unpickled(isolated, monkeypatch):
    monkeypatch.chdir(isolated)
    path = TorchvisionWeights("ResNet50_Weights.IMAGENET1K_V2").cached_file()
    path.parent.mkdir(parents=True)
    with path.open("wb") as f:
        pickle.dump(_Exploit(), f)
    with pytest.raises(pickle.UnpicklingError):
        model_store.load_model("resnet50_imagenet")
    assert not (isolated / "PWNED").exists()


@pytest.mark.slow
def test_prefetch_command_reports_status_and_fixes_offline(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "HF_HUB_OFFLINE": "1", "CHECKPOINT_DIR": str(tmp_path), "TORCH_HOME": str(tmp_path / "t")}
    out = subprocess.run(
        [sys.executable, "-m", "demo.prefetch", "resnet50_imagenet", "--skip-backbones"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert out.returncode == 1
    assert "missing  resnet50_imagenet" in out.stdout and "fix: python -m demo.prefetch" in out.stdout


def test_weight_sources_describe_themselves_in_words():
    """What a source says about itself reaches the students' panels and the HTTP API: words, never a path, a command
    or an environment variable (those are the instructor's: fix(), the Status tab)."""
    from core.catalog.weights import (
        HubCheckpoint,
        LocalCheckpoint,
        OpenClipHub,
        PublishedHubFile,
        TransformersHub,
        describe_checkpoint,
    )

    zoo = LocalCheckpoint("zoo/fashion_mnist/simple_cnn", "python -m train.scratch")
    described = zoo.describe()
    # Read from the committed checkpoint's config.json (4,000 training images, 3 epochs).
    assert described == "checkpoint trained for this class (Fashion-MNIST, 4,000 training examples x 3 epochs)"
    assert described.vi == "checkpoint huấn luyện cho lớp này (Fashion-MNIST, 4.000 mẫu huấn luyện x 3 epoch)"
    assert "live" in describe_checkpoint("/somewhere/live/live_simple_cnn_20260101_000000_abcd")
    sources = [
        zoo,
        HubCheckpoint("zoo/cifar100/simple_cnn"),
        TorchvisionWeights("ResNet50_Weights.IMAGENET1K_V2"),
        TransformersHub("distilbert-base-uncased"),
        OpenClipHub("ViT-B-32", "openai"),
        PublishedHubFile("edadaltocg/resnet50_cifar100", "pytorch_model.bin", "MIT", 91.0),
    ]
    for source in sources:
        text = source.describe()
        for lang in (str(text), text.vi):
            assert "/" not in lang.replace("edadaltocg/", "").replace("distilbert-base", ""), lang
            assert "python" not in lang and "DL_CLASSROOM" not in lang and "$" not in lang, lang
        assert "python -m" in source.fix()  # the instructor's command is still there


def test_missing_weights_message_is_words_and_keeps_the_instructors_details(isolated):
    with pytest.raises(WeightsUnavailable) as info:
        model_store.load_with_fallback("resnet50")
    exc = info.value
    for text in (str(exc), exc.vi):
        assert "resnet50" in text and "/" not in text and "python" not in text
    assert any("model.safetensors" in r for r in exc.reasons)
    assert any("python -m train.finetune_cifar100 --model resnet50" in f for f in exc.fixes)
