"""The catalogue and its one loader: every entry loads through core.catalog.store, and the profiles mean the same
thing for every entry (tiny: the entry's tiny_args; random: its full-size architecture; default: real weights)."""

from __future__ import annotations

import pytest

from core.catalog import all_specs, get_spec, models_for, vqa_model_name
from core.catalog import store as model_store
from core.catalog.weights import WeightsUnavailable

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
    assert "tiny random" in _source(loaded) and "tiny profile" in _source(loaded)
    assert model_store.load_model(spec.name, "tiny") is loaded  # cached: loaded once


@pytest.mark.parametrize(
    "name", ["simple_cnn", "cnn_transformer", vqa_model_name("easy_vqa", "cnn_att"), "caption_cnn_lstm"]
)
def test_random_profile_is_full_size_and_tiny_is_smaller(name):
    random = model_store.load_model(name, "random")
    tiny = model_store.load_model(name, "tiny")
    assert "full-size random" in _source(random) and "random profile" in _source(random)
    assert _params(random) > 4 * _params(tiny)


def test_default_profile_reads_the_committed_checkpoint_or_names_the_fix(tmp_path, monkeypatch):
    vqa = model_store.load_model(vqa_model_name("easy_vqa", "cnn_att"), "default")
    assert "checkpoint trained for this class" in vqa.source
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


@pytest.fixture
def tokenizer_missing(monkeypatch):
    """gru's tokenizer raises TokenizerUnavailable (as a Hub tokenizer offline would); the weights are counted."""
    from core.text import service as classify
    from core.text.tokenizer import TokenizerUnavailable

    builds = []

    def counting_build(spec, profile):
        builds.append((spec.name, profile))
        return real_build(spec, profile)

    def no_tokenizer(loaded):
        raise TokenizerUnavailable("tokenizer offline", "bộ tách từ ngoại tuyến")

    real_build, real_tokenizer = model_store.build_loaded, classify._tokenizer_for
    monkeypatch.setattr(model_store, "build_loaded", counting_build)
    monkeypatch.setattr(classify, "_tokenizer_for", no_tokenizer)
    model_store.forget("gru")
    yield builds, lambda: monkeypatch.setattr(classify, "_tokenizer_for", real_tokenizer)
    model_store.forget("gru")


def test_a_missing_tokenizer_keeps_the_weights_cached_and_only_it_is_retried(tokenizer_missing):
    from core.text.tokenizer import TokenizerUnavailable

    builds, restore_tokenizer = tokenizer_missing
    for _ in range(2):
        with pytest.raises(TokenizerUnavailable):
            model_store.load_model("gru", "tiny")
    assert builds == [("gru", "tiny")]  # the weights were read once, not once per request
    restore_tokenizer()
    text_model = model_store.load_model("gru", "tiny")
    assert builds == [("gru", "tiny")] and text_model.loaded is model_store.load_module("gru", "tiny")
    assert model_store.load_model("gru", "tiny") is text_model


def test_prefetch_fetches_text_weights_without_their_tokenizer(tokenizer_missing, monkeypatch):
    from demo import prefetch

    builds, _ = tokenizer_missing
    # The default profile's weights, stood in for by the tiny instance (no checkpoint needed here).
    monkeypatch.setattr(model_store, "_load_uncached", lambda spec, profile: model_store._random_init(spec, "tiny"))
    prefetch._model_item("gru").fetch()  # would raise TokenizerUnavailable if prefetch needed the tokenizer
    assert builds == [("gru", "default")]
