"""The catalogue and its one loader: every entry loads through core.model_store, and the profiles mean the same
thing for every entry (tiny: the entry's tiny_args; random: its full-size architecture; default: real weights)."""

from __future__ import annotations

import pytest

from core import model_store
from core.registry import all_specs, get_spec, models_for, vqa_model_name
from core.weights import WeightsUnavailable

SPECS = all_specs()


def _source(loaded) -> str:
    return str(loaded.source)


def _params(loaded) -> int:
    module = getattr(loaded, "module", None) or loaded.model
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_profile_arguments_are_the_same_rule_for_every_entry(spec):
    assert model_store.architecture_args(spec, "random") == dict(spec.model_args)
    assert model_store.architecture_args(spec, "default") == dict(spec.model_args)
    assert model_store.architecture_args(spec, "tiny") == {**spec.model_args, **spec.tiny_args}
    with pytest.raises(ValueError):
        model_store.architecture_args(spec, "huge")


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_every_entry_loads_tiny_through_the_one_loader_once(spec):
    loaded = model_store.load_model(spec.name, "tiny")
    assert "tiny random" in _source(loaded) and "APP_PROFILE=tiny" in _source(loaded)
    assert model_store.load_model(spec.name, "tiny") is loaded  # cached: loaded once


@pytest.mark.parametrize(
    "name", ["simple_cnn", "cnn_transformer", vqa_model_name("easy_vqa", "cnn_att"), "caption_cnn_lstm"]
)
def test_random_profile_is_full_size_and_tiny_is_smaller(name):
    random = model_store.load_model(name, "random")
    tiny = model_store.load_model(name, "tiny")
    assert "full-size random" in _source(random) and "APP_PROFILE=random" in _source(random)
    assert _params(random) > 4 * _params(tiny)


def test_default_profile_reads_the_committed_checkpoint_or_names_the_fix(tmp_path, monkeypatch):
    vqa = model_store.load_model(vqa_model_name("easy_vqa", "cnn_att"), "default")
    assert "local checkpoint" in vqa.source
    monkeypatch.setenv("CHECKPOINT_DIR", str(tmp_path))  # nothing there
    name = vqa_model_name("food", "cnn_noatt")
    assert not get_spec(name).is_cached()
    with pytest.raises(WeightsUnavailable) as exc:
        model_store.load_model(name, "default")
    assert "python -m train.vqa" in "\n".join(exc.value.fixes)


def test_tabs_ask_the_catalogue():
    assert models_for("vqa", dataset="easy_vqa") == [
        vqa_model_name("easy_vqa", v) for v in ("cnn_att", "cnn_noatt", "mobilenet_att", "mobilenet_noatt")
    ]
    assert set(models_for("live")) <= set(models_for("image")) and "simple_cnn" in models_for("live")
    assert models_for("video") == ["clip_vit_b32_openai", "clip_xlm_roberta_b32"]
    for spec in SPECS:  # every entry is offered somewhere and names requirements that exist
        assert spec.tabs, spec.name
        for required in spec.requires:
            get_spec(required)
