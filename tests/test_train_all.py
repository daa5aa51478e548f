"""`python -m train.all`: plan first, train what is missing, skip what exists, push to a Hub repo a Space reads.

End to end in the tiny profile, offline: the upload goes to a local stand-in for huggingface_hub.HfApi that writes
what it receives into the Hub cache's own layout, so core.catalog.weights.HubCheckpoint then loads it as a Space would.
"""

from __future__ import annotations

import shutil
from fnmatch import fnmatch
from pathlib import Path

import pytest

from core.catalog import all_specs, get_spec
from core.catalog import store as model_store
from core.catalog.weights import LocalCheckpoint
from tests.synthetic import write_image_folder
from tests.text_corpus import write_corpus
from train import all as train_all

COMMIT = "1" * 40


class LocalHub:
    """huggingface_hub.HfApi's create_repo/upload_folder, writing into a local Hub cache instead of the network."""

    cache: Path
    calls: list = []

    def __init__(self, *args, **kwargs):
        pass

    def create_repo(self, repo_id, repo_type="model", exist_ok=False, **kwargs):
        LocalHub.calls.append(("create_repo", repo_id, exist_ok))

    def upload_folder(self, *, repo_id, folder_path, path_in_repo, ignore_patterns, repo_type="model", **kwargs):
        LocalHub.calls.append(("upload_folder", repo_id, path_in_repo))
        repo = LocalHub.cache / f"models--{repo_id.replace('/', '--')}"
        (repo / "refs").mkdir(parents=True, exist_ok=True)
        (repo / "refs" / "main").write_text(COMMIT)
        target = repo / "snapshots" / COMMIT / path_in_repo
        target.mkdir(parents=True, exist_ok=True)
        for f in Path(folder_path).rglob("*"):
            rel = f.relative_to(folder_path).as_posix()
            if f.is_file() and not any(fnmatch(rel, p) for p in ignore_patterns):
                (target / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(f, target / rel)


@pytest.fixture
def classroom(tmp_path, monkeypatch):
    import huggingface_hub
    import huggingface_hub.constants as hf_constants

    monkeypatch.setattr(hf_constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr(huggingface_hub, "HfApi", LocalHub)
    monkeypatch.setattr(LocalHub, "cache", tmp_path / "hub", raising=False)
    monkeypatch.setattr(LocalHub, "calls", [])
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("CHECKPOINT_DIR", str(tmp_path / "ckpt"))
    monkeypatch.delenv("DL_CLASSROOM_HUB_REPO", raising=False)
    model_store.clear_cache()
    yield tmp_path
    model_store.clear_cache()


def test_jobs_write_where_the_catalogue_reads():
    local = {s.dirname for spec in all_specs() for s in spec.weights if isinstance(s, LocalCheckpoint)}
    for job in train_all.jobs():
        assert set(job.dirs) <= local, job.name


@pytest.mark.slow
def test_tiny_profile_end_to_end_with_push(classroom, capsys):
    images = write_image_folder(classroom / "images", per_class_train=6, per_class_test=2)
    news = write_corpus(classroom / "news", per_group=12, test_per_group=4)
    argv = ["--only", "resnet50", "gru", "--profile", "tiny", "--device", "cpu", "--image-folder", str(images),
            "--news-dir", str(news)]  # fmt: skip
    trained = train_all.main([*argv, "--push-to-hub", "teacher/class-checkpoints"])
    out = capsys.readouterr().out
    assert trained == ["resnet50", "gru"]
    # The plan, with the device and a measured estimate, comes before the first training starts.
    assert out.index("resnet50                     train, estimate ~") < out.index("== resnet50: python -m")
    assert "on cpu" in out and "Device: cpu" in out
    for folder in ("resnet50_cifar100", "text/gru_20ng"):
        assert (classroom / "ckpt" / folder / "model.safetensors").is_file()
    assert ("create_repo", "teacher/class-checkpoints", True) in LocalHub.calls
    pushed = classroom / "hub" / "models--teacher--class-checkpoints" / "snapshots" / COMMIT
    assert {"model.safetensors", "config.json", "metrics.json"} <= {
        p.name for p in (pushed / "resnet50_cifar100").iterdir()
    }
    assert (pushed / "text" / "gru_20ng" / "tokenizer.json").is_file()

    # Again: nothing left to train.
    assert train_all.main(argv) == []
    assert "resnet50                     skip (already there)" in capsys.readouterr().out

    # A Space with no local checkpoints and DL_CLASSROOM_HUB_REPO set loads what was pushed.
    shutil.rmtree(classroom / "ckpt")
    import os

    os.environ["DL_CLASSROOM_HUB_REPO"] = "teacher/class-checkpoints"
    try:
        assert get_spec("resnet50").is_cached()
        model = model_store.load_model("resnet50")
        assert model.source == "the class's checkpoint from Hugging Face teacher/class-checkpoints"
    finally:
        del os.environ["DL_CLASSROOM_HUB_REPO"]


def test_plan_only_trains_nothing_and_names_missing_data(classroom, capsys):
    assert train_all.main(["--plan", "--profile", "tiny", "--device", "cpu", "--only", "caption_cnn_lstm"]) == []
    out = capsys.readouterr().out
    assert "caption_cnn_lstm" in out and "skip: needs KTVIC" in out
    assert not (classroom / "ckpt").exists()
