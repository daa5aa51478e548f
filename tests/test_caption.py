"""Vietnamese captioning: metrics against hand-computed values, text hygiene, decoding, frozen weights, and
ClipCap (both mappers) and CNN+LSTM trained through train.caption to reproduce eight captions after a reload."""

from __future__ import annotations

import json
import math
import unicodedata
from dataclasses import replace

import numpy as np
import pytest
import torch

from core.caption import loading, metrics
from core.caption import service as session
from core.caption.baseline import EOS, LSTMCaptioner, WordVocab
from core.caption.clipcap import ClipCaptionModel, build_mapper
from core.caption.data import load_ktvic
from core.caption.decoding import DecodeOptions, generation_settings
from core.caption.text import clean_decoded, metric_tokens, nfc, segment
from core.catalog import CAPTION_CLIP, caption_variants
from core.catalog.weights import WeightsUnavailable
from tests.caption_synthetic import CAPTIONS, pretrain_tiny_gpt2, write_ktvic
from train import caption as train_caption


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    # Tiny models on shared cores: one thread is ten times faster than two threads fighting other processes.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# ---- metrics -----------------------------------------------------------------------------------------------------
def test_bleu_and_rouge_against_hand_computed_values():
    a_hyp, a_refs = "con chó chạy".split(), ["con chó chạy trên cỏ".split()]
    # 3/3 unigrams, 2/2 bigrams, 1/1 trigram, no 4-gram (1e-15 / 1e-9 smoothing); brevity penalty exp(1 - 5/3).
    bp = math.exp(1 - 5 / 3)
    expected = [bp, bp, bp, (1e-6) ** 0.25 * bp]
    assert metrics.bleu([a_hyp], [a_refs]) == pytest.approx(expected, rel=1e-6)
    # LCS 3: P = 1, R = 3/5 -> F = (1 + 1.2^2) P R / (R + 1.2^2 P)
    assert metrics.rouge_l(a_hyp, a_refs) == pytest.approx(2.44 * 0.6 / (0.6 + 1.44))

    b_hyp = "một con mèo trắng".split()
    b_refs = ["một con mèo đen".split(), "con mèo trắng nằm".split()]
    # every n-gram up to 3 is in one reference or the other (clipping per n-gram over refs); the 4-gram is not.
    assert metrics.bleu([b_hyp], [b_refs])[:3] == pytest.approx([1, 1, 1])
    assert metrics.rouge_l(b_hyp, b_refs) == pytest.approx(0.75)  # best P 3/4, best R 3/4
    # corpus BLEU sums counts first: 7/7 unigrams, test length 7 vs closest reference lengths 5 + 4
    corpus = metrics.bleu([a_hyp, b_hyp], [a_refs, b_refs])
    assert corpus[0] == pytest.approx(math.exp(1 - 9 / 7))
    assert corpus[3] == pytest.approx((1e-15 / (1 + 1e-9)) ** 0.25 * math.exp(1 - 9 / 7), rel=1e-4)


def test_cider_against_hand_computed_values():
    refs = [["con chó".split()], ["con mèo".split()]]
    # "con" is in both images: IDF log 2 - log 2 = 0; "chó", "con chó" get log 2. A perfect match has cosine 1 for
    # n = 1, 2 and nothing for n = 3, 4: 10 * mean(1, 1, 0, 0) = 5.
    assert metrics.cider(["con chó".split(), "con mèo".split()], refs) == pytest.approx(5.0)
    assert metrics.cider(["con chó".split(), "con chó".split()], refs) == pytest.approx(2.5)  # second shares nothing
    # one image alone: every IDF is 0, so per-image CIDEr needs a reference corpus (the training captions)
    assert metrics.CiderD(refs).score("con chó".split(), refs[0]) == pytest.approx(5.0)


def test_metrics_match_pycocoevalcap_on_a_random_corpus():
    pytest.importorskip("pycocoevalcap", reason="pycocoevalcap not installed (pip install -r requirements.txt)")
    from pycocoevalcap.bleu.bleu import Bleu
    from pycocoevalcap.cider.cider import Cider
    from pycocoevalcap.rouge.rouge import Rouge

    rng = np.random.default_rng(0)
    words = "một người đàn_ông đang đi xe_đạp trên đường_phố con chó chạy bãi cỏ".split()
    hyps = [list(rng.choice(words, rng.integers(3, 10))) for _ in range(20)]
    refs = [[list(rng.choice(words, rng.integers(3, 10))) for _ in range(rng.integers(1, 5))] for _ in range(20)]
    gts = {i: [" ".join(r) for r in rs] for i, rs in enumerate(refs)}
    res = {i: [" ".join(h)] for i, h in enumerate(hyps)}
    assert metrics.bleu(hyps, refs) == pytest.approx(Bleu(4).compute_score(gts, res, verbose=0)[0])
    assert metrics.corpus_rouge_l(hyps, refs) == pytest.approx(Rouge().compute_score(gts, res)[0])
    library_cider = Cider().compute_score(gts, res)[0]
    assert metrics.cider(hyps, refs) == pytest.approx(library_cider)
    # The per-image scorer the app keeps (outside document frequencies): the library's formula, given the same DF.
    assert metrics.CiderD(refs).corpus_score(hyps, refs) == pytest.approx(library_cider)
    per_image = Cider().compute_score(gts, res)[1]
    assert [metrics.CiderD(refs).score(h, r) for h, r in zip(hyps, refs)] == pytest.approx(list(per_image))


@pytest.mark.slow
def test_meteor_runs_java_or_says_why():
    reason = metrics.meteor_unavailable_reason()
    if reason:
        pytest.skip(reason)
    assert metrics.meteor(["con chó đang chạy".split()], [["con chó đang chạy".split()]]) == pytest.approx(1.0)


@pytest.mark.slow
def test_meteor_gives_up_on_a_java_that_never_answers(tmp_path, monkeypatch):
    import subprocess
    import time

    real_popen = subprocess.Popen
    monkeypatch.setattr(metrics, "meteor_unavailable_reason", lambda: None)
    monkeypatch.setattr(metrics, "_meteor_jar", lambda: tmp_path / "meteor-1.5.jar")
    # A JVM that hangs (out of memory, a stuck jar): before, the evaluation blocked on its pipe forever.
    monkeypatch.setattr(subprocess, "Popen", lambda cmd, **kw: real_popen(["sleep", "60"], **kw))
    start = time.perf_counter()
    with pytest.raises(RuntimeError, match="Java stopped answering"):
        metrics.meteor([["con", "chó"]], [[["con", "chó"]]], timeout_s=1.0)
    assert time.perf_counter() - start < 10


# ---- text --------------------------------------------------------------------------------------------------------
def test_text_is_nfc_segmented_and_free_of_bpe_artefacts():
    decomposed = unicodedata.normalize("NFD", "Người đàn ông đi xe đạp.")
    assert nfc(decomposed) == "Người đàn ông đi xe đạp."
    assert segment(decomposed) == "người đàn_ông đi xe_đạp"  # pyvi, lower case, punctuation dropped
    # Metric tokens: syllables by default (a segment_caption's underscores count as spaces), pyvi words on request.
    assert metric_tokens(decomposed) == ["người", "đàn", "ông", "đi", "xe", "đạp"]
    assert metric_tokens("người đàn_ông đi xe_đạp") == metric_tokens(decomposed)
    assert metric_tokens(decomposed, "words") == ["người", "đàn_ông", "đi", "xe_đạp"]
    with pytest.raises(ValueError, match="syllables, words"):
        metric_tokens("xe đạp", "letters")
    tokenizer = loading.train_tiny_tokenizer(CAPTIONS)
    ids = tokenizer("rực rỡ nghiệp").input_ids
    assert any("Ġ" in t for t in tokenizer.convert_ids_to_tokens(ids))  # the raw pieces do carry BPE markers
    for cut in range(1, len(ids) + 1):  # a caption can stop anywhere, even inside a multi-byte letter
        text = clean_decoded(tokenizer.decode(ids[:cut]))
        assert "Ġ" not in text and "\ufffd" not in text and text == nfc(text)
        assert "rực rỡ nghiệp".startswith(text)


# ---- decoding ----------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny_clipcap():
    tokenizer = loading.train_tiny_tokenizer(CAPTIONS)
    gpt = loading.tiny_gpt2(len(tokenizer), tokenizer.eos_token_id)
    mapper = build_mapper(mapping_type="transformer", clip_dim=8, gpt_dim=64, prefix_length=3, clip_length=2,
                          num_layers=1, num_heads=2)  # fmt: skip
    return ClipCaptionModel(gpt, mapper).eval(), tokenizer


def uncached_logprobs(model, x, seq):
    """GPT-2's next-token log-probs after the prefix and after each token of `seq`: ONE forward pass, no cache."""
    with torch.inference_mode():
        prefix = model.prefix(x)
        embeds = torch.cat([prefix, model.embed_tokens(torch.tensor([seq], dtype=torch.long))], dim=1)
        logits = model.gpt(inputs_embeds=embeds, use_cache=False).logits[0, prefix.shape[1] - 1 :]
    return logits.float().log_softmax(-1)  # (len(seq) + 1, V)


@pytest.mark.parametrize("method", ["greedy", "beam", "sample"])
def test_kv_cache_changes_nothing_but_speed(tiny_clipcap, method):
    """generate() always decodes a prefix of embeddings with GPT-2's KV cache; every token it picks must be what
    the model without a cache (one full forward pass over prefix + caption) gives."""
    model, tok = tiny_clipcap
    eos = tok.eos_token_id
    x = torch.randn(1, 8, generator=torch.Generator().manual_seed(1))
    options = DecodeOptions(method=method, beam_width=3, num_captions=3, max_length=12, top_p=0.8)
    seqs = model.caption_ids(x, eos, options)
    assert len(seqs) == (1 if method == "greedy" else 3) and all(1 <= len(s) <= 12 for s in seqs)
    for seq in seqs:
        logprobs = uncached_logprobs(model, x, seq)
        logprobs[0, eos] = float("-inf")  # a caption has at least one token
        for step, token in enumerate(seq):
            if method == "greedy":
                assert token == int(logprobs[step].argmax())
            if method == "sample":  # inside the top-p nucleus of the uncached distribution
                probs = logprobs[step].exp().sort(descending=True)
                nucleus = int((probs.values.cumsum(0) < 0.8).sum()) + 1
                assert token in probs.indices[:nucleus].tolist()
        if method == "greedy" and len(seq) < 12:
            assert int(logprobs[len(seq)].argmax()) == eos
    if method == "beam":  # each beam's score: its uncached log-prob (EOS included) over its length
        out = model.gpt.generate(
            inputs_embeds=model.prefix(x).detach(), **generation_settings(options, eos), output_scores=True,
            return_dict_in_generate=True,
        )  # fmt: skip
        for row, score in zip(out.sequences.tolist(), out.sequences_scores.tolist()):
            seq = row[: row.index(eos)] if eos in row else row
            logprobs = uncached_logprobs(model, x, seq)
            total = sum(float(logprobs[t, token]) for t, token in enumerate(seq))
            ended = len(seq) < len(row) or eos in row
            total += float(logprobs[len(seq), eos]) if ended else 0.0
            assert score == pytest.approx(total / (len(seq) + ended), abs=1e-4)
            assert seq in seqs
    if method == "sample":  # the same seed, the same captions
        assert model.caption_ids(x, eos, options) == seqs


def test_decoding_controls(tiny_clipcap):
    model, tok = tiny_clipcap
    x = torch.randn(1, 8, generator=torch.Generator().manual_seed(2))
    eos = tok.eos_token_id
    greedy = model.caption_ids(x, eos, DecodeOptions(method="greedy", max_length=20))
    assert model.caption_ids(x, eos, DecodeOptions(method="beam", beam_width=1, max_length=20)) == greedy
    penalised = model.caption_ids(x, eos, DecodeOptions(method="greedy", max_length=20, repetition_penalty=3))
    assert len(set(penalised[0])) / len(penalised[0]) >= len(set(greedy[0])) / len(greedy[0])
    samples = model.caption_ids(x, eos, DecodeOptions(method="sample", num_captions=4, temperature=2.0))
    assert len({tuple(s) for s in samples}) > 1  # several different captions for one image
    for bad in (dict(method="topk"), dict(beam_width=0), dict(top_p=0), dict(max_length=500), dict(num_captions=9)):
        with pytest.raises(ValueError):
            DecodeOptions(**bad).checked()


def test_the_models_own_generation_config_does_not_change_the_captions(tiny_clipcap):
    """A Hub GPT-2 may ship a generation_config.json (a penalty, an n-gram ban, sampling): generate() fills every
    argument left unset from it, so the tab's controls must set each one that changes what is picked."""
    import copy

    model, tok = tiny_clipcap
    x = torch.randn(1, 8, generator=torch.Generator().manual_seed(4))
    options = [DecodeOptions(method=m, num_captions=2, max_length=12) for m in ("greedy", "beam", "sample")]
    plain = [model.caption_ids(x, tok.eos_token_id, o) for o in options]
    saved = copy.deepcopy(model.gpt.generation_config)
    try:
        config = model.gpt.generation_config
        config.repetition_penalty, config.no_repeat_ngram_size, config.num_return_sequences = 2.0, 1, 2
        config.do_sample, config.top_k, config.num_beams = True, 2, 4
        assert [model.caption_ids(x, tok.eos_token_id, o) for o in options] == plain
    finally:
        model.gpt.generation_config = saved


def test_a_seeded_sample_ignores_torch_global_random_state(tiny_clipcap):
    """generate(do_sample=True) draws from torch's global RNG, which any other request moves; the caption tab's
    sampling draws from its own generator, so the seed alone decides the captions."""
    model, tok = tiny_clipcap
    x = torch.randn(1, 8, generator=torch.Generator().manual_seed(3))
    options = DecodeOptions(method="sample", num_captions=3, temperature=2.0, seed=7)
    runs = []
    for global_seed in (1, 2):
        torch.manual_seed(global_seed)
        runs.append(model.caption_ids(x, tok.eos_token_id, options))
    assert runs[0] == runs[1]
    assert model.caption_ids(x, tok.eos_token_id, replace(options, seed=8)) != runs[0]


def test_lstm_decodes_through_generate_as_its_own_argmax():
    """The baseline's greedy caption through generate() (LSTM states kept per prefix) is the argmax of the LSTM
    run over the image and the whole prefix, word after word; beams are distinct; no parameter is added."""
    vocab = WordVocab.build(CAPTIONS)
    torch.manual_seed(0)
    lstm = LSTMCaptioner(feature_dim=8, vocab_size=len(vocab), embed_dim=16, hidden=32, dropout=0.0).eval()
    names = set(lstm.state_dict())
    x = torch.randn(1, 8)
    (greedy,) = lstm.caption_ids(x, EOS, DecodeOptions(method="greedy", max_length=15))
    with torch.inference_mode():
        for step, word in enumerate(greedy):
            image = lstm.image_proj(lstm.norm(x)).unsqueeze(1)
            words = lstm.embed(torch.tensor([greedy[:step]], dtype=torch.long))
            hidden, _ = lstm.lstm(torch.cat([image, words], dim=1))  # no state carried over: the whole prefix
            logits = lstm.out(hidden[0, -1])
            if step == 0:
                logits[EOS] = float("-inf")  # a caption has at least one word
            assert word == int(logits.argmax())
    beams = lstm.caption_ids(x, EOS, DecodeOptions(method="beam", beam_width=4, num_captions=3, max_length=15))
    assert len(beams) == 3 and len({tuple(b) for b in beams}) == 3
    assert set(lstm.state_dict()) == names


@pytest.mark.slow
def test_gpt2_and_clip_are_frozen_by_construction(tiny_clipcap):
    model, tok = tiny_clipcap
    before = {k: v.clone() for k, v in model.gpt.state_dict().items()}
    assert all(not p.requires_grad for p in model.gpt.parameters())
    assert set(model.state_dict()) == {f"mapper.{k}" for k in model.mapper.state_dict()}  # GPT-2 not in checkpoints
    mapper_before = [p.detach().clone() for p in model.mapper.parameters()]
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    ids = torch.tensor([tok(CAPTIONS[0]).input_ids + [tok.eos_token_id]])
    model.train()
    assert not model.gpt.training  # no dropout in the frozen LM
    for _ in range(3):
        loss = model(torch.randn(1, 8), ids, torch.ones_like(ids))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    assert all(torch.equal(before[k], v) for k, v in model.gpt.state_dict().items())
    assert any(not torch.equal(a, b) for a, b in zip(mapper_before, model.mapper.parameters()))
    from core.catalog.store import load_model

    clip = load_model(CAPTION_CLIP, "tiny").module
    clip.train()
    assert not clip.clip.training and all(not p.requires_grad for p in clip.parameters())


# ---- data --------------------------------------------------------------------------------------------------------
def test_ktvic_loader_nfc_and_path_escape(tmp_path):
    write_ktvic(tmp_path, ("train",))
    data = json.loads((tmp_path / "train_data.json").read_text(encoding="utf-8"))
    data["annotations"][0]["caption"] = unicodedata.normalize("NFD", CAPTIONS[0])
    del data["annotations"][0]["segment_caption"]
    (tmp_path / "train_data.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    images = load_ktvic(tmp_path, "train")
    assert len(images) == 8 and images[0].captions == (CAPTIONS[0],)  # NFC again
    assert images[0].segmented == (segment(CAPTIONS[0]),)  # computed when the file has no segment_caption
    data["images"][0]["filename"] = "../../etc/passwd"
    (tmp_path / "train_data.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match="leaves"):
        load_ktvic(tmp_path, "train")
    with pytest.raises(FileNotFoundError, match="train.caption fetch"):
        load_ktvic(tmp_path, "test")


# ---- training through the real script, then reloading ------------------------------------------------------------
@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("caption")
    data = write_ktvic(root / "ktvic")
    gpt_dir = root / "gpt2"
    tokenizer = loading.train_tiny_tokenizer(CAPTIONS)
    gpt = loading.tiny_gpt2(len(tokenizer), tokenizer.eos_token_id)
    pretrain_tiny_gpt2(gpt, tokenizer, CAPTIONS, steps=250)  # a "Vietnamese GPT-2" that knows the captions
    gpt.save_pretrained(gpt_dir)
    tokenizer.save_pretrained(gpt_dir)
    common = ["--data-dir", str(data), "--cache-dir", str(root / "cache"), "--encoder-profile", "tiny",
              "--batch-size", "8", "--warmup-steps", "10", "--threads", "1", "--no-eval"]  # fmt: skip
    runs = {
        "clipcap_mlp": ["--gpt2", str(gpt_dir), "--prefix-length", "4", "--epochs", "150", "--lr", "3e-3"],
        "clipcap_transformer": ["--gpt2", str(gpt_dir), "--prefix-length", "4", "--clip-length", "4",
                                "--mapper-layers", "2", "--mapper-heads", "2", "--epochs", "200", "--lr", "3e-3"],
        "cnn_lstm": ["--embed-dim", "32", "--hidden", "64", "--dropout", "0", "--min-count", "1", "--epochs", "120",
                     "--lr", "1e-2"],
    }  # fmt: skip
    for model, extra in runs.items():
        train_caption.main(["train", "--model", model, "--out-dir", str(root / model), *common, *extra])
    return root


@pytest.mark.parametrize("variant", ["clipcap_mlp", "clipcap_transformer", "cnn_lstm"])
@pytest.mark.slow
def test_trained_checkpoint_reproduces_the_captions_after_reload(trained, variant):
    cap = session.from_checkpoint(trained / variant)
    images = load_ktvic(trained / "ktvic", "train")
    from PIL import Image

    features = session.encode_images(cap, [Image.open(im.path) for im in images])  # fresh, not the cache
    for feature, expected in zip(features, CAPTIONS):
        (caption,) = session.captions_from_features(cap, feature, DecodeOptions(method="greedy"))
        assert caption == expected  # exact, diacritics intact
    metrics_file = json.loads((trained / variant / "metrics.json").read_text())
    assert metrics_file["history"][-1]["train_loss"] < metrics_file["history"][0]["train_loss"]


@pytest.mark.parametrize("variant", ["clipcap_mlp", "cnn_lstm"])
@pytest.mark.slow
def test_a_checkpoint_pushed_to_the_class_hub_repo_loads_without_local_files(trained, variant, tmp_path, monkeypatch):
    """What `python -m train.all --push-to-hub` uploads (the whole folder: tokenizer, CIDEr corpus), found through
    DL_CLASSROOM_HUB_REPO in the Hub cache's own layout, offline, with no local checkpoint."""
    import shutil

    import huggingface_hub.constants as hf_constants

    from core.catalog import caption_model_name, get_spec
    from core.catalog.availability import runs_here

    commit = "2" * 40
    repo = tmp_path / "hub" / "models--teacher--ckpts"
    shutil.copytree(trained / variant, repo / "snapshots" / commit / "caption" / variant)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    monkeypatch.setattr(hf_constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("CHECKPOINT_DIR", str(tmp_path / "empty"))
    monkeypatch.setenv("DL_CLASSROOM_HUB_REPO", "teacher/ckpts")
    spec = get_spec(caption_model_name(variant))
    assert spec.is_cached()
    cap = session.load_entry(spec, "default")
    assert "checkpoint trained for this class" in cap.source and cap.cider is not None
    images = load_ktvic(trained / "ktvic", "train")
    from PIL import Image

    (feature,) = session.encode_images(cap, [Image.open(images[0].path)])
    assert session.captions_from_features(cap, feature, DecodeOptions(method="greedy")) == [CAPTIONS[0]]
    monkeypatch.delenv("DL_CLASSROOM_HUB_REPO")
    assert not spec.is_cached() and not runs_here(spec.name)


def gpt2_with_out_of_range_eos(folder):
    """A tiny GPT-2 saved as NlpHUST/gpt2-vietnamese is: a tokenizer whose <|endoftext|> is an added token with the
    id just past the model's embedding rows, a config whose eos_token_id is the last row."""
    from tokenizers import ByteLevelBPETokenizer
    from transformers import PreTrainedTokenizerFast

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(list(CAPTIONS), vocab_size=300, min_frequency=1)  # no special token in the vocabulary
    rows = bpe.get_vocab_size()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe._tokenizer)
    tokenizer.add_special_tokens({"eos_token": loading.EOS_TOKEN, "bos_token": loading.EOS_TOKEN})
    gpt = loading.tiny_gpt2(rows, rows - 1)
    gpt.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return rows


@pytest.mark.slow
def test_an_end_of_text_id_past_the_embeddings_trains_and_decodes(tmp_path, capsys, monkeypatch):
    rows = gpt2_with_out_of_range_eos(tmp_path / "gpt2")
    gpt, tokenizer = loading.load_gpt2(str(tmp_path / "gpt2"))
    assert tokenizer.eos_token_id == rows == gpt.get_input_embeddings().num_embeddings  # the mismatch, as shipped
    end = loading.end_of_text(gpt, tokenizer)
    assert end.id == rows - 1 and str(rows) in str(end.note) and str(rows - 1) in end.note.vi
    data = write_ktvic(tmp_path / "ktvic", ("train",))
    out = tmp_path / "clipcap_mlp"
    train_caption.main(["train", "--model", "clipcap_mlp", "--out-dir", str(out), "--data-dir", str(data),
                        "--cache-dir", str(tmp_path / "cache"), "--encoder-profile", "tiny", "--gpt2",
                        str(tmp_path / "gpt2"), "--prefix-length", "2", "--epochs", "2", "--batch-size", "8",
                        "--warmup-steps", "1", "--threads", "1", "--no-eval"])  # fmt: skip
    assert "the model's own end-of-text id" in capsys.readouterr().out
    assert json.loads((out / "config.json").read_text(encoding="utf-8"))["eos_id"] == rows - 1
    cap = session.from_checkpoint(out)
    assert cap.eos_id == rows - 1 and [str(n) for n in cap.notes] == [str(end.note)]
    # Loaded, the captioner's note reaches the instructor's section of the Status tab (which never loads a model).
    from core.catalog import store as model_store
    from demo.tabs.status import instructor_notes

    monkeypatch.setitem(model_store._cache, ("caption_clipcap_mlp", "default"), cap)
    assert model_store.load_notes() == [("caption_clipcap_mlp", cap.notes[0])]
    assert str(end.note) in instructor_notes(None, profile="default")
    from PIL import Image

    (feature,) = session.encode_images(cap, [Image.open(next((data / "train-images").iterdir()))])
    for method in ("greedy", "beam", "sample"):  # each masks the end-of-text logit at the first step
        captions = session.captions_from_features(cap, feature, DecodeOptions(method=method, max_length=8))
        assert captions and all(isinstance(c, str) for c in captions)


def test_a_valid_tokenizer_end_of_text_is_kept(tiny_clipcap):
    model, tok = tiny_clipcap
    assert loading.end_of_text(model.gpt, tok) == loading.EndOfText(tok.eos_token_id)


@pytest.mark.slow
def test_clipcap_checkpoint_describes_itself(trained):
    config = json.loads((trained / "clipcap_transformer" / "config.json").read_text(encoding="utf-8"))
    assert config["mapping_type"] == "transformer" and config["prefix_length"] == 4
    assert config["clip"] == {"name": "clip_vit_b32_openai", "profile": "tiny"}
    assert config["gpt2"].endswith("gpt2") and (trained / "clipcap_transformer" / config["tokenizer"]).is_dir()
    assert config["train_config"]["lr"] == 3e-3 and config["train_config"]["epochs"] == 200
    assert (trained / "clipcap_transformer" / "cider_corpus.json").is_file()


@pytest.mark.slow
def test_evaluate_script_scores_the_test_split(trained):
    result = train_caption.main(["evaluate", "--model", "clipcap_mlp", "--out-dir", str(trained / "clipcap_mlp"),
                                 "--data-dir", str(trained / "ktvic"), "--cache-dir", str(trained / "cache"),
                                 "--method", "greedy", "--no-meteor", "--threads", "1"])  # fmt: skip
    scores = result["metrics"]
    assert scores["BLEU-4"] == pytest.approx(1.0) and scores["ROUGE-L"] == pytest.approx(1.0)
    assert scores["CIDEr"] > 1.0  # CIDEr of perfect captions is up to 10
    assert (trained / "clipcap_mlp" / "eval_test.json").is_file() and result["tokens"] == "syllables"


def test_syllable_and_word_tokens_give_different_scores():
    """The unit matters: a caption that gets one syllable of a two-syllable word right scores on syllables only."""
    hyp, ref = "một người đàn bà đi xe máy", "một người đàn ông đi xe đạp"
    by_unit = {u: metrics.bleu([metric_tokens(hyp, u)], [[metric_tokens(ref, u)]])[0] for u in ("syllables", "words")}
    assert by_unit["syllables"] == pytest.approx(5 / 7)  # một người đàn đi xe, of một người đàn bà đi xe máy
    assert by_unit["words"] == pytest.approx(3 / 5)  # một người đi, of một người đàn_bà đi xe_máy


def test_missing_checkpoint_names_the_training_command(tmp_path):
    with pytest.raises(WeightsUnavailable) as info:
        session.from_checkpoint(tmp_path / "cnn_lstm")
    # The command is the instructor's (Status tab, prefetch); the message the class reads is words.
    assert any("python -m train.caption train --model cnn_lstm" in f for f in info.value.fixes)
    assert "python -m" not in str(info.value)


# ---- the tab -----------------------------------------------------------------------------------------------------
@pytest.mark.server
def test_caption_api_only_the_image_is_required(tiny_app, client_for, example_image):
    from gradio_client import handle_file

    client = client_for(tiny_app)
    out = client.predict(handle_file(example_image), api_name="/caption")
    summary = out["models"]
    assert set(summary) == set(caption_variants()) and out["ms"] > 0 and out["notes"] == []
    for entry in summary.values():
        assert len(entry["captions"]) == 1 and entry["latency_ms"] > 0 and "tiny" in entry["source"]
        assert all("Ġ" not in c and c == nfc(c) for c in entry["captions"])
    summary = client.predict(
        handle_file(example_image), "sample", 3, 0.9, 1.0, 3, 1.2, 20, "một người đàn ông đang đi xe đạp",
        api_name="/caption",
    )["models"]  # fmt: skip
    assert all(len(e["captions"]) == 3 and {"BLEU-4", "CIDEr"} <= set(e["scores"]) for e in summary.values())


@pytest.mark.server
def test_without_checkpoints_each_panel_names_its_training_command(offline_default_app, client_for, example_image):
    from gradio_client import handle_file

    client = client_for(offline_default_app)
    summary = client.predict(handle_file(example_image), api_name="/caption")["models"]
    for variant in caption_variants():  # words: the commands are in the Status tab's instructor section
        assert "No weights for" in summary[variant]["error"] and "python -m" not in summary[variant]["error"]
    rows = {m["name"]: m for m in client.predict(api_name="/model_status")["models"]}
    assert rows["caption_cnn_lstm"]["state"] == "missing" and "training scripts" in rows["caption_cnn_lstm"]["fix"]


def test_a_reference_without_words_is_refused_before_decoding(example_image, monkeypatch):
    import gradio as gr

    from demo.tabs import caption as caption_tab

    def no_model(*args, **kwargs):  # before, all three captioners decoded first and the error came after
        raise AssertionError("a captioner ran although the reference was unusable")

    monkeypatch.setattr(session, "load_captioner", no_model)
    vi = gr.Request(headers={"accept-language": "vi-VN,vi;q=0.9"}, cookies={})
    for request, message in ((None, "has no words"), (vi, "không có chữ nào")):
        with pytest.raises(gr.Error, match=message):
            caption_tab.caption_photo(
                example_image, "beam", 3, 0.9, 1.0, 1, 1.2, 30, " !!! … ", request, profile="tiny"
            )


@pytest.mark.server
def test_caption_api_bad_image_gets_a_message(tiny_app, client_for, tmp_path, example_image):
    from gradio_client import handle_file
    from gradio_client.exceptions import AppError

    from tests import bad_images as bad

    client = client_for(tiny_app)
    with pytest.raises(AppError, match="not an image"):
        client.predict(handle_file(str(bad.text_named_png(tmp_path))), api_name="/caption")
    assert tiny_app.alive()


@pytest.mark.browser
@pytest.mark.server
def test_caption_tab_in_the_browser(tiny_app, browser, example_image):
    from tests.test_browser import RESULT_TIMEOUT_MS, open_page, open_tab, screenshot

    page = open_page(browser, tiny_app.url)
    open_tab(page, "Vietnamese captions")
    page.locator("input[type=file]").last.set_input_files(example_image)
    page.get_by_label("Reference caption (optional)").fill("một người đàn ông đang đi xe đạp")
    page.get_by_role("button", name="Caption", exact=True).click()
    page.get_by_text("ROUGE-L").first.wait_for(timeout=2 * RESULT_TIMEOUT_MS)  # first request loads three models
    assert page.get_by_text("ClipCap · Transformer mapper").count() >= 1
    screenshot(page, "caption")
    page.close()


@pytest.mark.slow  # three captioners loaded and decoding: about 20 s on the 2-core machine
def test_caption_handler_called_directly(example_image):
    """The tab's module-level handler without a server: one panel per captioner, the score table, the JSON."""
    from demo.tabs import caption as caption_tab

    *panels, scores, summary = caption_tab.caption_photo(
        example_image, "greedy", 1, 0.9, 1.0, 1, 1.2, 8, "một người đàn ông đang đi xe đạp", profile="tiny"
    )
    assert len(panels) == len(caption_tab.VARIANTS) and set(summary) == set(caption_tab.VARIANTS)
    for variant, panel in zip(caption_tab.VARIANTS, panels):
        entry = summary[variant]
        assert len(entry["captions"]) == 1 and "tiny" in entry["source"]
        assert set(entry["scores"]) == set(caption_tab.METRIC_NAMES)
        assert panel.startswith(f"#### {entry['model']}\n") and "latency: **" in panel
    assert scores.startswith("| model | BLEU-1") and scores.count("\n| ") == len(caption_tab.VARIANTS)  # one row each
