"""The detectors project's public CIFAR-100 checkpoints, offline: modules with the published key layout, files in a
fake Hub cache loaded through the app's own code path, never unpickled, and the headline pair's weight order."""

from __future__ import annotations

import pickle
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from core.catalog import build_architecture, get_spec
from core.catalog import store as model_store
from core.catalog.weights import PublishedHubFile, WeightsUnavailable

PUBLIC = ("resnet50_detectors", "vit_b16_detectors")
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "images" / "ten_lua.jpg"


@pytest.fixture
def hub_cache(tmp_path, monkeypatch):
    """An empty Hub cache, offline, no local checkpoints: huggingface_hub reads its cache folder at call time."""
    import huggingface_hub.constants as hf_constants

    cache = tmp_path / "hub"
    monkeypatch.setattr(hf_constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("CHECKPOINT_DIR", str(tmp_path / "ckpt"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.delenv("DL_CLASSROOM_HUB_REPO", raising=False)
    model_store.clear_cache()
    yield cache
    model_store.clear_cache()


def put_in_cache(cache: Path, repo_id: str, filename: str, write) -> Path:
    """The Hub cache's own layout: models--<org>--<name>/refs/main -> snapshots/<commit>/<file>."""
    commit = "0" * 40
    folder = cache / f"models--{repo_id.replace('/', '--')}"
    (folder / "refs").mkdir(parents=True, exist_ok=True)
    (folder / "refs" / "main").write_text(commit)
    path = folder / "snapshots" / commit / filename
    path.parent.mkdir(parents=True, exist_ok=True)
    write(path)
    return path


def source_of(name: str) -> PublishedHubFile:
    (source,) = get_spec(name).weights
    return source


def tiny_spec(name: str):
    spec = get_spec(name)
    return replace(spec, model_args={**spec.model_args, **spec.tiny_args})


@pytest.mark.slow
def test_modules_have_the_key_layout_detectors_builds():
    """detectors' own recipe (src/detectors/models/resnet.py, vit.py) applied to timm, against ours: same names,
    same shapes, so its published state dicts load strictly."""
    import timm
    from torch import nn

    ref = timm.create_model("resnet50", pretrained=False)
    ref.conv1 = nn.Conv2d(3, 64, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)
    ref.maxpool = nn.Identity()
    ref.fc = nn.Linear(2048, 100)
    vit = timm.create_model("vit_base_patch16_224.orig_in21k_ft_in1k", pretrained=False)
    vit.head = nn.Linear(vit.head.in_features, 100)
    for name, reference in (("resnet50_detectors", ref), ("vit_b16_detectors", vit)):
        ours = build_architecture(get_spec(name).arch, **get_spec(name).model_args).net.state_dict()
        theirs = reference.state_dict()
        assert list(ours) == list(theirs), name
        assert all(ours[k].shape == theirs[k].shape for k in ours), name
        # The declared download is the fp32 tensors' size (prefetch --list, the first-run card).
        megabytes = sum(t.numel() * t.element_size() for t in theirs.values()) / 2**20
        assert abs(megabytes - source_of(name).size_mb) < 0.5, (name, megabytes)


@pytest.mark.parametrize("name", PUBLIC)
def test_tiny_file_in_the_hub_cache_loads_and_classifies(hub_cache, name):
    from core.image.service import classify
    from core.runtime.images import load_image

    spec = tiny_spec(name)
    source = source_of(name)
    torch.manual_seed(0)
    published = build_architecture(spec.arch, **spec.model_args).eval()
    put_in_cache(hub_cache, source.repo_id, source.filename, lambda p: torch.save(published.net.state_dict(), p))
    assert source.is_cached() and get_spec(name).is_cached()

    loaded = model_store._load_uncached(spec, "default")  # what load_model does for this entry, tiny-sized
    assert "edadaltocg" in loaded.source and "MIT" in loaded.source
    for key, value in published.state_dict().items():
        assert torch.equal(loaded.module.state_dict()[key], value), key
    assert len(loaded.labels) == 100 and loaded.labels[0] == "apple"  # detectors' CIFAR100_LABELS order
    result = classify(load_image(str(EXAMPLE)).image, loaded, top_k=5, explain=True)
    assert len(result.predictions) == 5 and result.explanation is not None
    assert result.input_size == {"resnet50_detectors": 32, "vit_b16_detectors": 224}[name]


def test_preprocessing_follows_the_detectors_configs():
    resnet, vit = (get_spec(n).preprocess for n in PUBLIC)
    assert (resnet.crop_size, resnet.resize_size, resnet.interpolation) == (32, 32, "bilinear")
    assert resnet.mean == (0.5071, 0.4867, 0.4408) and resnet.std == (0.2675, 0.2565, 0.2761)
    assert (vit.crop_size, vit.resize_size, vit.interpolation) == (224, 248, "bicubic")  # crop_pct 0.9
    assert vit.mean == vit.std == (0.5, 0.5, 0.5)


class _Exploit:
    def __reduce__(self):
        return (exec, ("import pathlib; pathlib.Path('PWNED').write_text('x')",))


def test_downloaded_bin_is_never_unpickled(hub_cache, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    source = source_of("resnet50_detectors")
    put_in_cache(hub_cache, source.repo_id, source.filename, lambda p: p.write_bytes(pickle.dumps(_Exploit())))
    with pytest.raises(pickle.UnpicklingError):
        model_store.load_model("resnet50_detectors")
    assert not (tmp_path / "PWNED").exists()


def test_a_file_with_other_key_names_is_refused_in_words(hub_cache):
    spec = tiny_spec("resnet50_detectors")
    source = source_of("resnet50_detectors")
    tensors = build_architecture(spec.arch, **spec.model_args).net.state_dict()
    renamed = {f"model.{k}": v for k, v in tensors.items()}  # e.g. a Lightning wrapper's prefix
    put_in_cache(hub_cache, source.repo_id, source.filename, lambda p: torch.save(renamed, p))
    with pytest.raises(WeightsUnavailable) as info:
        model_store._load_uncached(spec, "default")
    assert "tensors do not match detectors_resnet50" in info.value.instructor_details()


def test_offline_without_the_file_says_which_and_how(hub_cache):
    with pytest.raises(WeightsUnavailable) as info:
        model_store.load_model("vit_b16_detectors")
    details = info.value.instructor_details()  # the instructor's; the class reads words
    assert "edadaltocg/vit_base_patch16_224_in21k_ft_cifar100/pytorch_model.bin" in details
    assert "python -m demo.prefetch" in details and "python -m" not in str(info.value)


def test_course_recipe_then_public_checkpoint_then_imagenet(hub_cache):
    """resnet50 without the course checkpoint: the public CIFAR-100 one (same classes), with a note naming both."""
    source = source_of("resnet50_detectors")
    full = build_architecture("detectors_resnet50", num_classes=100).eval()
    put_in_cache(hub_cache, source.repo_id, source.filename, lambda p: torch.save(full.net.state_dict(), p))
    model = model_store.load_with_fallback("resnet50")
    assert model.name == "resnet50_detectors" and model.labels[0] == "apple"
    (note,) = model.notes
    assert "same classes, another recipe" in note and "Model status" in note and "python -m" not in note
    assert "cùng các lớp" in note.vi
    # Named directly, an unavailable model is still refused in words (the HTTP API's behaviour).
    with pytest.raises(WeightsUnavailable, match="No weights for 'resnet50'") as info:
        model_store.load_model("resnet50")
    assert "resnet50_cifar100/model.safetensors" in info.value.instructor_details()


def test_front_matter_preloads_the_public_checkpoints():
    from tests.test_hosting import front_matter

    meta = front_matter()
    for name in PUBLIC:
        repo = source_of(name).repo_id
        assert repo in meta["models"]
        assert f"{repo} {source_of(name).filename}" in meta["preload_from_hub"]


@pytest.mark.slow
def test_evaluate_scores_a_public_entry_as_the_app_loads_it(hub_cache, tmp_path, monkeypatch):
    """python -m train.evaluate --model resnet50_detectors: here on a folder with CIFAR-100's class names (the real
    run reads CIFAR-100, which cannot be downloaded where this repo is built)."""
    from PIL import Image

    from core.catalog.labels import label_set
    from train import evaluate

    spec = tiny_spec("resnet50_detectors")
    source = source_of("resnet50_detectors")
    tiny = build_architecture(spec.arch, **spec.model_args).eval()
    put_in_cache(hub_cache, source.repo_id, source.filename, lambda p: torch.save(tiny.net.state_dict(), p))
    monkeypatch.setattr(model_store, "_load_uncached", lambda s, profile, real=model_store._load_uncached: real(
        replace(s, model_args={**s.model_args, **s.tiny_args}), profile))  # fmt: skip
    data = tmp_path / "data"
    for split in ("train", "test"):
        for i, label in enumerate(label_set("cifar100")):
            (data / split / label).mkdir(parents=True)
            Image.new("RGB", (32, 32), (i, 255 - i, 2 * i % 255)).save(data / split / label / "0.png")
    test = evaluate.main(
        ["--model", "resnet50_detectors", "--data", "folder", "--data-dir", str(data), "--device", "cpu"]
    )
    assert test["num_samples"] == 100 and 0 <= test["accuracy"] <= 1


def test_prefetch_lists_the_two_repos_with_their_sizes(capsys):
    from demo import prefetch

    assert prefetch.main(["--list", *PUBLIC]) == 0
    out = capsys.readouterr().out
    assert "90.6 MB" in out and "edadaltocg/resnet50_cifar100 (MIT)" in out
    assert "327.6 MB" in out and "edadaltocg/vit_base_patch16_224_in21k_ft_cifar100" in out
