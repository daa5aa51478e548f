"""Hosting pieces of #9: Spaces front matter, ZeroGPU wrapper, device choice, prefetch listing."""

from __future__ import annotations

import re
import sys
import types

import pytest
import yaml

from tests.conftest import REPO


def front_matter() -> dict:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    match = re.match(r"^---\n(.*?)\n---\n", text, re.S)
    assert match, "README.md must start with Hugging Face Spaces front matter"
    return yaml.safe_load(match.group(1))


def hub_repos_used() -> set[str]:
    from core.prefetch import EXTRA_HUB_REPOS
    from core.registry import get_spec, list_models

    repos = {repo for repo, _, _ in EXTRA_HUB_REPOS}
    for name in list_models():
        for source in get_spec(name).weights:
            repo = getattr(source, "repo_id", None) or (source.hub_repo() if hasattr(source, "hub_repo") else None)
            if repo:
                repos.add(repo)
    return repos


def test_front_matter_is_valid_for_spaces():
    meta = front_matter()
    pins = dict(
        line.split("#")[0].strip().split("==")
        for line in (REPO / "requirements.txt").read_text().splitlines()
        if "==" in line.split("#")[0]
    )
    assert meta["sdk"] == "gradio" and meta["app_file"] == "app.py"
    assert str(meta["sdk_version"]) == pins["gradio"], "sdk_version must be the pinned Gradio"
    assert str(meta["python_version"]) == f"{sys.version_info.major}.{sys.version_info.minor}"
    missing = hub_repos_used() - set(meta.get("models", []))
    assert not missing, f"front matter 'models' lacks Hub repos the app downloads: {sorted(missing)}"
    assert meta.get("datasets"), "front matter should list the datasets"


def test_spaces_preloads_the_default_models_and_has_a_short_description():
    """Spaces' `preload_from_hub` entries are "repo [file,file...]"; the short description is at most 60 characters."""
    from core.caption.loading import DEFAULT_GPT2
    from core.registry import DEFAULT_CLIP, get_spec

    meta = front_matter()
    assert 0 < len(meta["short_description"]) <= 60
    preloaded = {entry.split()[0]: entry.split()[1:] for entry in meta["preload_from_hub"]}
    assert set(preloaded) <= set(meta["models"])
    clip_repo = next(w.hub_repo() for w in get_spec(DEFAULT_CLIP).weights if hasattr(w, "hub_repo"))
    assert clip_repo in preloaded and DEFAULT_GPT2 in preloaded


def test_gpu_task_is_a_no_op_off_zero_gpu(monkeypatch):
    from demo.gpu import gpu_task

    def handler(x):
        return x

    monkeypatch.delenv("SPACES_ZERO_GPU", raising=False)
    assert gpu_task(handler) is handler


def test_gpu_task_uses_spaces_gpu_on_zero_gpu(monkeypatch):
    calls = []

    def fake_gpu(duration=None):
        calls.append(duration)
        return lambda fn: types.SimpleNamespace(wrapped=fn)

    monkeypatch.setitem(sys.modules, "spaces", types.SimpleNamespace(GPU=fake_gpu))
    monkeypatch.setenv("SPACES_ZERO_GPU", "true")
    from demo.gpu import gpu_task

    def handler(x):
        return x

    wrapped = gpu_task(handler)
    assert calls and wrapped.wrapped is handler


def test_dl_device_cpu_forces_cpu(monkeypatch):
    from core.device import inference_device

    monkeypatch.setenv("DL_DEVICE", "cpu")
    assert inference_device().type == "cpu"


def test_prefetch_list_names_every_model_and_dataset(capsys):
    from core.prefetch import main
    from core.registry import list_models

    assert main(["--list"]) == 0
    out = capsys.readouterr().out
    for name in [*list_models(), "cifar100", "fashion_mnist"]:
        assert re.search(rf"\b{re.escape(name)}\b", out), name
    assert "expected download (where known):" in out


def test_prefetch_rejects_unknown_items():
    from core.prefetch import main

    with pytest.raises(SystemExit):
        main(["no_such_thing"])


def test_front_matter_names_each_key_once():
    """YAML keeps the last of two equal keys without a word: a second `preload_from_hub:` silently dropped the
    first list once (two branches each added theirs)."""
    text = (REPO / "README.md").read_text().split("---")[1]
    keys = [line.split(":")[0] for line in text.splitlines() if line and not line.startswith((" ", "#", "-"))]
    assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)
