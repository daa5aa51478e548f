"""Hosting: the Spaces front matter (preload list derived from the loaders' own file names, the Gradio pin), the
ZeroGPU wrapper, device choice, prefetch listing, and `prefetch --verify` (offline: it refuses in words; its
load-and-run part on tiny models of the same classes in a fake Hub cache)."""

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
    import open_clip

    from core.catalog import get_spec, list_models
    from demo.prefetch import EXTRA_HUB_REPOS

    repos = {repo for repo, _, _ in EXTRA_HUB_REPOS}
    for name in list_models():
        for source in get_spec(name).weights:
            repo = getattr(source, "repo_id", None) or (source.hub_repo() if hasattr(source, "hub_repo") else None)
            if repo:
                repos.add(repo)
            if hasattr(source, "model_name"):  # a text tower open_clip builds from a Hub config, by the id it asks
                text_cfg = (open_clip.get_model_config(source.model_name) or {}).get("text_cfg", {})
                repos |= {text_cfg[k] for k in ("hf_model_name", "hf_tokenizer_name") if text_cfg.get(k)}
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
    from core.catalog import DEFAULT_CLIP, get_spec

    meta = front_matter()
    assert 0 < len(meta["short_description"]) <= 60
    preloaded = {entry.split()[0]: entry.split()[1:] for entry in meta["preload_from_hub"]}
    assert set(preloaded) <= set(meta["models"])
    clip_repo = next(w.hub_repo() for w in get_spec(DEFAULT_CLIP).weights if hasattr(w, "hub_repo"))
    assert clip_repo in preloaded and DEFAULT_GPT2 in preloaded


def test_gpu_task_is_a_no_op_off_zero_gpu(monkeypatch):
    from demo.server.gpu import gpu_task

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
    from demo.server.gpu import gpu_task

    def handler(x):
        return x

    wrapped = gpu_task(handler)
    assert calls and wrapped.wrapped is handler


def test_dl_device_cpu_forces_cpu(monkeypatch):
    from core.runtime.device import inference_device

    monkeypatch.setenv("DL_DEVICE", "cpu")
    assert inference_device().type == "cpu"


def test_prefetch_list_names_every_model_and_dataset(capsys):
    from core.catalog import list_models
    from demo.prefetch import main

    assert main(["--list"]) == 0
    out = capsys.readouterr().out
    for name in [*list_models(), "cifar100", "fashion_mnist"]:
        assert re.search(rf"\b{re.escape(name)}\b", out), name
    assert "expected download (where known):" in out


def test_prefetch_rejects_unknown_items():
    from demo.prefetch import main

    with pytest.raises(SystemExit):
        main(["no_such_thing"])


def test_front_matter_names_each_key_once():
    """YAML keeps the last of two equal keys without a word: a second `preload_from_hub:` silently dropped the
    first list once (two branches each added theirs)."""
    text = (REPO / "README.md").read_text().split("---")[1]
    keys = [line.split(":")[0] for line in text.splitlines() if line and not line.startswith((" ", "#", "-"))]
    assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)


def pins() -> dict[str, str]:
    lines = (REPO / "requirements.txt").read_text().splitlines()
    return dict(line.split("#")[0].strip().split("==") for line in lines if "==" in line.split("#")[0])


def test_the_gradio_pin_is_the_spaces_sdk_version():
    """Spaces installs gradio==sdk_version itself, then requirements.txt: two different versions would mean the
    Space runs another Gradio than the one the tests ran."""
    assert re.search(r"^gradio==\d+\.\d+\.\d+", (REPO / "requirements.txt").read_text(), re.M)
    assert str(front_matter()["sdk_version"]) == pins()["gradio"]


def test_the_preload_is_exactly_what_the_loaders_read():
    """The front matter's lines are the ones demo.prefetch builds from the loaders' own file names, and no repo is
    preloaded whole (a repo without a file list pulled 1.7 GB nothing reads)."""
    from open_clip.constants import HF_SAFE_WEIGHTS_NAME

    from core.caption.loading import DEFAULT_GPT2, GPT2_MODEL_FILES
    from demo.prefetch import space_preload

    preload = front_matter()["preload_from_hub"]
    assert preload == space_preload()
    assert all(len(line.split()) == 2 for line in preload), "every preload line names its files"
    files = {line.split()[0]: line.split()[1].split(",") for line in preload}
    assert files[DEFAULT_GPT2] == list(GPT2_MODEL_FILES) and "flax_model.msgpack" not in files[DEFAULT_GPT2]
    assert files["timm/vit_base_patch32_clip_224.openai"] == [HF_SAFE_WEIGHTS_NAME]


def test_the_preloaded_clip_file_is_the_one_the_app_finds(tmp_path, monkeypatch):
    """open_clip asks the Hub for its safetensors first; OpenClipHub finds a cache holding only that file."""
    from core.catalog import DEFAULT_CLIP, get_spec
    from tests.test_published import put_in_cache

    monkeypatch.setattr(hf_constants(), "HF_HUB_CACHE", str(tmp_path / "hub"))
    (source,) = get_spec(DEFAULT_CLIP).weights
    assert not source.is_cached()
    repo, name = next(line.split() for line in front_matter()["preload_from_hub"] if line.startswith(source.hub_repo()))
    path = put_in_cache(tmp_path / "hub", repo, name, lambda p: p.write_bytes(b"stand-in"))
    assert source.cached_file() == str(path)


def hf_constants():
    import huggingface_hub.constants as constants

    return constants


def test_verify_offline_refuses_in_words(monkeypatch, capsys):
    from demo.prefetch import main

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert main(["--verify"]) == 2
    out = capsys.readouterr().out
    assert "huggingface.co is unreachable" in out and "Nothing was downloaded" in out


@pytest.mark.slow
def test_verify_loads_and_runs_tiny_models_from_only_the_preloaded_files(tmp_path, monkeypatch, capsys):
    """The verify checks on tiny models of the same classes, written into a fake Hub cache as exactly the
    preloaded files (plus the GPT-2 tokenizer the check reads): the image pair loads strictly and classifies, the
    GPT-2 (with the Vietnamese GPT-2's out-of-range end-of-text id) continues a sentence, the WordPiece tokenizer
    encodes; the CLIP check, without its file, fails in words; the caption check says why it is skipped."""
    from dataclasses import replace

    import torch

    from core.caption import loading
    from core.catalog import build_architecture, get_spec
    from core.catalog import store as model_store
    from core.text import tokenizer as wp
    from demo import prefetch
    from tests.test_caption import gpt2_with_out_of_range_eos
    from tests.test_published import put_in_cache

    cache = tmp_path / "hub"
    monkeypatch.setattr(hf_constants(), "HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("CHECKPOINT_DIR", str(tmp_path / "ckpt"))
    monkeypatch.delenv("DL_CLASSROOM_HUB_REPO", raising=False)
    monkeypatch.setattr(model_store, "_load_uncached", lambda s, profile, real=model_store._load_uncached: real(
        replace(s, model_args={**s.model_args, **s.tiny_args}), profile))  # fmt: skip
    model_store.clear_cache()
    lines = dict(line.split() for line in prefetch.space_preload())
    for name in ("resnet50_detectors", "vit_b16_detectors"):
        (source,) = get_spec(name).weights
        spec = get_spec(name)
        tiny = build_architecture(spec.arch, **{**spec.model_args, **spec.tiny_args}).eval()
        assert lines[source.repo_id] == source.filename
        put_in_cache(cache, source.repo_id, source.filename, lambda p, t=tiny: torch.save(t.net.state_dict(), p))
    made = tmp_path / "gpt2"
    rows = gpt2_with_out_of_range_eos(made)
    gpt = loading.tiny_gpt2(rows, rows - 1)
    for name in lines[loading.DEFAULT_GPT2].split(","):  # config.json, pytorch_model.bin: the preloaded files
        write = (lambda p: torch.save(gpt.state_dict(), p)) if name.endswith(".bin") else None
        put_in_cache(
            cache, loading.DEFAULT_GPT2, name, write or (lambda p, n=name: p.write_bytes((made / n).read_bytes()))
        )
    for name in ("tokenizer.json", "tokenizer_config.json"):  # what the check's AutoTokenizer reads (not preloaded)
        put_in_cache(cache, loading.DEFAULT_GPT2, name, lambda p, n=name: p.write_bytes((made / n).read_bytes()))
    put_in_cache(
        cache, wp.DISTILBERT_TOKENIZER, lines[wp.DISTILBERT_TOKENIZER], lambda p: wp.tiny_tokenizer().save(str(p))
    )
    try:
        failures, skipped = prefetch.run_checks(prefetch.verify_checks())
    finally:
        model_store.clear_cache()
        loading._SHARED_GPT2.clear()
    out = capsys.readouterr().out
    assert failures == 1 and skipped == 1 and "FAILED   clip, video" in out, out  # its 577 MB file is not in this cache
    assert out.count("ten_lua.jpg (a rocket) -> ") == 2 and "edadaltocg" in out
    assert f"end-of-text id {rows - 1}" in out and "the model's own end-of-text id" in out
    assert "SKIPPED  caption" in out and "no ClipCap checkpoint" in out and "ids ['[CLS]'" in out
