"""The course's from-scratch architectures and their variants: sizes, readings, the einsum encoder, Pre-/Post-LN,
training, the leaderboard, committed checkpoints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from core.catalog import ZOO, build_architecture
from core.catalog import store as model_store
from core.catalog.checkpoint import load_checkpoint
from core.image.service import classify
from core.runtime.batching import predict_in_batches
from core.training.zoo_data import DEBIAN_FASHION_MNIST, load_dataset
from train import scratch


def copy_from_torch_encoder(src, dst) -> None:
    """Load an nn.TransformerEncoder's weights (its Q/K/V biases must be zero: ours have none). Its norm_first must
    match the layers' norm placement; the parameters are the same either way."""
    for s, d in zip(src.layers, dst.layers, strict=True):
        w_q, w_k, w_v = s.self_attn.in_proj_weight.chunk(3)
        with torch.no_grad():
            for lin, w in ((d.attn.q, w_q), (d.attn.k, w_k), (d.attn.v, w_v)):
                lin.weight.copy_(w)
        d.attn.out.load_state_dict(s.self_attn.out_proj.state_dict())
        for name in ("norm1", "norm2", "linear1", "linear2"):
            getattr(d, name).load_state_dict(getattr(s, name).state_dict())


REPO = Path(__file__).resolve().parent.parent
COMMITTED = REPO / "checkpoints" / "zoo" / "fashion_mnist"
needs_fmnist = pytest.mark.skipif(
    not (DEBIAN_FASHION_MNIST / "train-images-idx3-ubyte.gz").is_file(),
    reason="Fashion-MNIST not installed: apt-get install dataset-fashion-mnist (.ci/run does)",
)

# Exact counts at C=100; the course's report rounds them (307.3K, 1.7M, ...).
EXPECTED_PARAMS = {
    "softmax": 307_300,
    "mlp": 1_731_940,
    "simple_cnn": 346_628,
    "simple_vit": 820_964,
    "custom_vit": 819_428,
    "cnn_transformer": 446_052,
    "spatial_token_vit": 172_388,
    "channel_token_vit": 549_476,
    "gru_row": 1_777_764,
    "gru_patch4": 1_704_036,
    "lstm_row": 2_353_252,
    "lstm_patch4": 2_254_948,
    # Variants the course describes but did not train (report 2, 4.3 and 6.1): the column readings and the Post-LN
    # ViTs have their twins' sizes; the report prints no count for 8x8 patches.
    "gru_col": 1_777_764,
    "gru_patch8": 1_925_220,
    "lstm_col": 2_353_252,
    "lstm_patch8": 2_549_860,
    "simple_vit_post_ln": 820_964,
    "custom_vit_post_ln": 819_428,
}
ENTRIES = list(scratch.ZOO_BY_NAME.values())  # the catalogue's ZOO and the variants it may not list yet


def test_every_entry_has_a_recipe_and_a_count():
    assert sorted(z.name for z in ENTRIES) == sorted(scratch.RECIPES) == sorted(EXPECTED_PARAMS)
    assert {z.name for z in ZOO} <= set(scratch.RECIPES)


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda z: z.name)
def test_parameter_counts_match_the_course(entry):
    assert scratch.count_params(entry) == EXPECTED_PARAMS[entry.name]
    course = entry.course_params
    value = float(course[:-1]) * (1e3 if course.endswith("K") else 1e6)
    tolerance = 50 if course.endswith("K") else 50_000  # the report's rounding
    assert abs(EXPECTED_PARAMS[entry.name] - value) <= tolerance


def test_list_models_prints_every_name_with_its_count(capsys):
    scratch.main(["--list-models"])
    out = capsys.readouterr().out
    for entry in ENTRIES:
        assert entry.name in out and f"{EXPECTED_PARAMS[entry.name]:,}" in out


@pytest.mark.parametrize("norm", ["pre", "post"])
@pytest.mark.slow
def test_einsum_encoder_matches_torch_transformer_encoder(norm):
    torch.manual_seed(0)
    simple = build_architecture("simple_vit", num_classes=100, norm=norm).eval()
    custom = build_architecture("custom_vit", num_classes=100, norm=norm).eval()
    assert all(layer.norm_first == (norm == "pre") for layer in simple.encoder.layers)
    for layer in simple.encoder.layers:
        torch.nn.init.zeros_(layer.self_attn.in_proj_bias)  # CustomViT's Q/K/V have no bias
    copy_from_torch_encoder(simple.encoder, custom.encoder)
    for name in ("patch_embed", "norm", "head"):
        getattr(custom, name).load_state_dict(getattr(simple, name).state_dict())
    with torch.no_grad():
        custom.cls.copy_(simple.cls)
        custom.pos.copy_(torch.randn_like(simple.pos))
        simple.pos.copy_(custom.pos)
    x = torch.randn(4, 3, 32, 32)
    with torch.no_grad():
        tokens = simple._embed(x)
        assert torch.allclose(custom.encoder(tokens), simple.encoder(tokens), atol=1e-5)
        assert torch.allclose(custom(x), simple(x), atol=1e-5)


def test_column_and_8x8_patch_readings_cut_the_image_as_the_course_lists():
    """Report 2, 6.1: row and col 32 steps of 96 values (one pixel row / column x 3 channels), patch4 64 x 48,
    patch8 16 steps of 192 values (one 8x8 patch x 3 channels), patches in raster order."""
    from core.image.explain import forward_with_gradcam

    x = torch.arange(2 * 3 * 32 * 32, dtype=torch.float32).view(2, 3, 32, 32)
    models = {r: build_architecture("image_rnn", num_classes=10, reading=r, hidden=8).eval() for r in
              ("row", "col", "patch4", "patch8")}  # fmt: skip
    seqs = {r: m.to_sequence(x) for r, m in models.items()}
    assert {r: tuple(q.shape) for r, q in seqs.items()} == {
        "row": (2, 32, 96),
        "col": (2, 32, 96),
        "patch4": (2, 64, 48),
        "patch8": (2, 16, 192),
    }
    for t in (0, 7, 31):  # step t is column t: its 32 pixels top to bottom, 3 channels each
        assert torch.equal(seqs["col"][:, t], x[:, :, :, t].permute(0, 2, 1).reshape(2, 96))
    assert torch.equal(seqs["col"], models["row"].to_sequence(x.transpose(2, 3)))  # columns = rows of the transpose
    for step in (0, 5, 15):  # step 5 is the patch in row 1, column 1 of the 4 x 4 grid
        r, c = divmod(step, 4)
        assert torch.equal(seqs["patch8"][:, step], x[:, :, 8 * r : 8 * r + 8, 8 * c : 8 * c + 8].reshape(2, 192))
    # The explanation is one value per step, laid out as the steps lie on the image (what the tab draws).
    assert {r: m.reading_grid for r, m in models.items()} == {"row": (32, 1), "col": (1, 32), "patch4": (8, 8),
                                                              "patch8": (4, 4)}  # fmt: skip
    for m in models.values():
        _, cam = forward_with_gradcam(m, torch.randn(1, 3, 32, 32))
        assert cam.shape == m.reading_grid
    with pytest.raises(ValueError):
        build_architecture("image_rnn", reading="diagonal")


@pytest.mark.parametrize("arch", ["simple_vit", "custom_vit", "cnn_transformer", "spatial_token_vit",
                                  "channel_token_vit"])  # fmt: skip
def test_post_ln_normalises_each_residual_sum_with_the_same_parameters(arch):
    """Report 2, 4.3: Post-LN x = LN(x + Attn(x)), Pre-LN x = x + Attn(LN(x)). Same parameters and initialisation;
    a Post-LN layer's output is a LayerNorm's (every token mean 0, std 1 with LayerNorm's initial weights), a Pre-LN
    layer's is not; the default is Pre-LN."""
    small = {"dim": 16, "depth": 2, "heads": 2, "ffn": 32}
    models = {}
    for norm in ("pre", "post", None):
        torch.manual_seed(0)
        models[norm] = build_architecture(arch, num_classes=10, **small, **({"norm": norm} if norm else {})).eval()
    pre, post = models["pre"].state_dict(), models["post"].state_dict()
    assert list(pre) == list(post) and all(torch.equal(pre[k], post[k]) for k in pre)
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        tokens = models["pre"].stem(x).flatten(2) if arch == "channel_token_vit" else None
        tokens = models["pre"]._embed(x) if tokens is None else models["pre"].proj(tokens) + models["pre"].pos
        out = {norm: m.encoder.layers[0](tokens) for norm, m in models.items()}
        assert torch.equal(models[None](x), models["pre"](x))  # no "norm" (every older checkpoint): Pre-LN
        assert not torch.allclose(models["post"](x), models["pre"](x), atol=1e-3)
    assert out["post"].mean(-1).abs().max() < 1e-5 and (out["post"].std(-1, unbiased=False) - 1).abs().max() < 1e-3
    assert (out["pre"].std(-1, unbiased=False) - 1).abs().max() > 0.1
    with pytest.raises(ValueError):
        build_architecture(arch, num_classes=10, norm="sandwich")


def test_committed_checkpoints_give_the_logits_they_gave_before():
    """The reading and norm options changed no committed checkpoint's outputs. tests/zoo_logits_before_norm_option.json
    holds each checkpoint's logits on the seeded input it names, computed (rounded to 5 decimals, one CPU thread) by
    this loop at the commit it names, before those options existed."""
    ref = json.loads((REPO / "tests" / "zoo_logits_before_norm_option.json").read_text())
    x = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    assert ref["input"] == "torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(0))"
    assert len(ref["logits"]) == 12
    for name, expected in ref["logits"].items():
        module, config = load_checkpoint(COMMITTED / name)
        assert "norm" not in config["model_args"] and config["model_args"].get("reading") in (None, "row", "patch4")
        with torch.no_grad():
            got = module(x)
        assert torch.allclose(got, torch.tensor(expected), atol=1e-4), name


@pytest.mark.parametrize("norm_first,activation", [(True, "gelu"), (False, "relu")])
@pytest.mark.slow
def test_sdpa_encoder_layer_is_torchs_layer_without_the_fast_path(norm_first, activation):
    """Same parameters, initialisation and outputs as nn.TransformerEncoderLayer; self-attention never takes the
    fused fast path (which holds every T x T score matrix at once) but F.scaled_dot_product_attention."""
    from unittest import mock

    from core.models.attention import SdpaEncoderLayer

    def build(cls):
        torch.manual_seed(0)
        layer = cls(64, 4, 256, 0.1, activation=activation, batch_first=True, norm_first=norm_first)
        layer.self_attn.dropout = 0.0  # as the zoo's encoders (dropout on the residuals and FFN only)
        return layer, torch.rand(1)  # the random state after building

    (ref, ref_next), (ours, our_next) = build(torch.nn.TransformerEncoderLayer), build(SdpaEncoderLayer)
    assert torch.equal(ref_next, our_next)  # no extra random numbers drawn: seeded training runs are unchanged
    assert list(ref.state_dict()) == list(ours.state_dict())
    assert all(torch.equal(v, ours.state_dict()[k]) for k, v in ref.state_dict().items())
    x = torch.randn(3, 50, 64)
    sdpa = torch.nn.functional.scaled_dot_product_attention
    with mock.patch.object(torch.nn.functional, "scaled_dot_product_attention", wraps=sdpa) as spy:
        for training in (False, True):
            ref.train(training), ours.train(training)
            torch.manual_seed(1)
            expected = ref(x)
            torch.manual_seed(1)  # the same dropout masks
            assert torch.allclose(ours(x), expected, atol=1e-5)
            with torch.no_grad():
                torch.manual_seed(1)
                expected = ref(x)
                torch.manual_seed(1)
                assert torch.allclose(ours(x), expected, atol=1e-5)
    assert spy.call_count >= 4  # ours, every mode (torch's eval fast path never calls it)
    mask = torch.zeros(3, 50, dtype=torch.bool)
    mask[:, -5:] = True  # a padding mask goes to torch's own forward
    ours.eval(), ref.eval()
    with torch.no_grad():
        assert torch.allclose(ours(x, src_key_padding_mask=mask), ref(x, src_key_padding_mask=mask), atol=1e-5)


@pytest.fixture(scope="module")
def short_run(tmp_path_factory):
    if not (DEBIAN_FASHION_MNIST / "train-images-idx3-ubyte.gz").is_file():
        pytest.skip("Fashion-MNIST not installed: apt-get install dataset-fashion-mnist (.ci/run does)")
    out = tmp_path_factory.mktemp("zoo") / "zoo" / "fashion_mnist"
    results = scratch.main(
        [
            "--dataset",
            "fashion_mnist",
            "--models",
            "simple_cnn",
            "--epochs",
            "3",
            "--max-samples",
            "3000",
            "--val-size",
            "500",
            "--max-test",
            "500",
            "--lr",
            "2e-3",
            "--out-dir",
            str(out),
        ]
    )
    return out, results


@needs_fmnist
@pytest.mark.slow
def test_short_training_run_beats_chance_clearly(short_run):
    out, results = short_run
    assert results["simple_cnn"]["test_accuracy"] > 0.5  # chance is 0.1 on ten classes
    board = json.loads((out / "leaderboard.json").read_text())
    assert board["simple_cnn"]["params"] == 323_498  # 10-class head
    board_md = (out / "leaderboard.md").read_text()
    assert "simple_cnn" in board_md
    assert (
        "Budget, the same for every row: 3,000 training images, 3 epochs, augmentation RandomCrop(32, padding 4) + "
        "horizontal flip, schedule AdamW (weight decay 0.0001) + cosine annealing per step to 0 over all epochs, "
        "gradient clipping 1.0; learning rate 0.002 and batch size 128 for every model." in board_md
    )
    assert board["simple_cnn"]["budget"]["train_images"] == 3000 and board["simple_cnn"]["budget"]["epochs"] == 3


@needs_fmnist
@pytest.mark.slow
def test_checkpoint_round_trip_through_the_app(short_run, monkeypatch, fashion_mnist):
    out, results = short_run
    monkeypatch.setenv("CHECKPOINT_DIR", str(out.parent.parent))
    model_store.clear_cache()
    loaded = model_store.load_model("simple_cnn")
    assert loaded.dataset == "fashion_mnist" and loaded.labels[9] == "Ankle boot"
    assert "Fashion-MNIST" in loaded.display_name
    x, y = fashion_mnist.test_x[:500], fashion_mnist.test_y[:500]
    pred = predict_in_batches(loaded.module, x, transform=loaded.preprocess.normalise).argmax(1)
    assert (pred == y).float().mean().item() == pytest.approx(results["simple_cnn"]["test_accuracy"], abs=1e-6)
    # The app's PIL path (grey conversion, resize) gives the same answer as the tensor path.
    from torchvision.transforms.functional import to_pil_image

    for i in range(5):
        label = classify(to_pil_image(x[i]), loaded, explain=False).predictions[0].label
        assert label == loaded.labels[pred[i]]
    model_store.clear_cache()


@pytest.fixture(scope="module")
def fashion_mnist():
    """Loaded once for the file: each load decompresses and resizes 70,000 images (seconds, and 200 MB that a
    fragmented heap does not always give back)."""
    return load_dataset("fashion_mnist", REPO / "data")


def _committed() -> list[str]:
    return (
        sorted(p.name for p in COMMITTED.iterdir() if (p / "model.safetensors").is_file()) if COMMITTED.is_dir() else []
    )


def test_every_architecture_has_a_committed_checkpoint():
    assert _committed() == sorted(EXPECTED_PARAMS)


@needs_fmnist
@pytest.mark.parametrize("name", _committed())
@pytest.mark.slow
def test_committed_checkpoint_reaches_its_recorded_accuracy(name, fashion_mnist):
    """On test images 5000-5999, never used for training or for the recorded figure (test images 0-4999)."""
    module, config = load_checkpoint(COMMITTED / name)
    recorded = json.loads((COMMITTED / name / "metrics.json").read_text())["test"]["accuracy"]
    assert config["train_config"]["max_test"] == 5000
    from core.catalog.preprocess import Preprocess

    pre = Preprocess.from_dict(config["preprocess"])
    x, y = fashion_mnist.test_x[5000:6000], fashion_mnist.test_y[5000:6000]
    # In batches sized by the model's activation memory: one 1,000-image pass through spatial_token_vit once
    # needed ~17 GB (tests/test_memory.py bounds it).
    acc = (predict_in_batches(module, x, transform=pre.normalise).argmax(1) == y).float().mean().item()
    assert acc >= 0.9 * recorded, f"{name}: {acc:.3f} on held-out vs {recorded:.3f} recorded"


@pytest.mark.skipif(not (COMMITTED / "simple_cnn" / "metrics.json").is_file(), reason="no committed simple_cnn")
def test_training_report_panel_for_committed_models(monkeypatch):
    from demo.tabs.image import _reports

    monkeypatch.delenv("CHECKPOINT_DIR", raising=False)
    text, curves_a, curves_b, confusion_a, confusion_b = _reports("simple_cnn", "resnet50")
    assert "simple_cnn`: test accuracy" in text and "no checkpoint with a training report" in text
    assert curves_a is not None and confusion_a is not None and curves_b is None


def _row(train_images, epochs, **extra):
    return {"params": 1, "test_accuracy": 0.5, "f1_macro": 0.5, "accuracy_per_million_params": 1.0,
            "epochs": epochs, "lr": 1e-3, "batch_size": 128, "train_samples": train_images, "train_seconds": 1.0,
            **extra}  # fmt: skip


def test_leaderboard_header_says_when_budgets_differ(tmp_path):
    """Rows trained on different budgets: the header says they differ and in what; one budget: the header states it.
    Rows written before budgets were recorded (no "budget" key) get it from their summary and config.json."""
    board = {"a": _row(3000, 2), "b": _row(12_000, 2)}
    (tmp_path / "leaderboard.json").write_text(json.dumps(board))
    scratch.main(["--dataset", "fashion_mnist", "--leaderboard-only", "--out-dir", str(tmp_path)])
    text = (tmp_path / "leaderboard.md").read_text()
    assert "**Budgets differ between rows** (train images; see the columns)" in text and "Budget, the same" not in text
    board["b"] = _row(3000, 2, lr=3e-4)
    (tmp_path / "leaderboard.json").write_text(json.dumps(board))
    scratch.main(["--dataset", "fashion_mnist", "--leaderboard-only", "--out-dir", str(tmp_path)])
    text = (tmp_path / "leaderboard.md").read_text()
    assert "Budget, the same for every row: 3,000 training images, 2 epochs" in text and "differ" not in text
    assert "learning rate and batch size per model" in text


@pytest.mark.skipif(not (COMMITTED / "leaderboard.json").is_file(), reason="no committed zoo leaderboard")
def test_committed_leaderboard_and_dropdown_state_the_budget():
    """The committed leaderboard.md says whether its rows share one budget, and the image tab's dropdown shows
    each checkpoint's images × epochs beside its accuracy."""
    from demo.tabs.image import model_choices
    from demo.ui.i18n import I18N

    board = json.loads((COMMITTED / "leaderboard.json").read_text())
    budgets = {(r["train_samples"], r["epochs"]) for r in board.values()}
    header = (COMMITTED / "leaderboard.md").read_text().split("| rank |")[0]
    assert ("Budget, the same for every row" in header) == (len(budgets) == 1)
    assert ("**Budgets differ between rows**" in header) == (len(budgets) > 1)
    labels = {
        name: I18N.translations["en"].get(getattr(label, "key", ""), label) for label, name in model_choices("default")
    }
    r = board["simple_cnn"]
    assert f"({r['train_samples']:,} images × {r['epochs']} epochs)" in labels["simple_cnn"]


def _board_cells(text: str, model: str) -> dict[str, str]:
    """One model's row of a leaderboard.md table, as {column: cell}."""
    lines = text.splitlines()
    header = next(line for line in lines if line.startswith("| rank |"))
    row = next(line for line in lines if line.startswith("| ") and f"| {model} |" in line)
    return dict(zip((c.strip() for c in header.strip("|").split("|")), (c.strip() for c in row.strip("|").split("|"))))


def test_leaderboard_shows_val_accuracy_and_the_lr_each_run_used(tmp_path):
    """Rows show validation accuracy beside test accuracy; the lr column is what the run used, with the course's
    beside it where the course printed another; the header names every run that overrode its recipe."""
    board = {
        "softmax": _row(3000, 2, lr=1e-3, batch_size=256, val_accuracy=0.6125),
        "mlp": _row(3000, 2, val_accuracy=0.7),
        "gru_col": _row(3000, 2, batch_size=64, val_accuracy=None),
    }
    (tmp_path / "leaderboard.json").write_text(json.dumps(board))
    scratch.main(["--dataset", "fashion_mnist", "--leaderboard-only", "--out-dir", str(tmp_path)])
    text = (tmp_path / "leaderboard.md").read_text()
    softmax, mlp, gru = (_board_cells(text, m) for m in ("softmax", "mlp", "gru_col"))
    assert (softmax["test acc"], softmax["val acc"], softmax["lr"], softmax["batch"]) == (
        "50.00%", "61.25%", "0.001 (course 0.1)", "256"
    )  # fmt: skip
    assert (mlp["val acc"], mlp["lr"]) == ("70.00%", "0.001")  # the course's MLP lr too
    assert (gru["val acc"], gru["lr"], gru["batch"]) == ("", "0.001", "64")  # no course recipe for the variants
    assert "softmax ran at lr 0.001 (recipe 0.1); gru_col ran at batch size 64 (recipe 128)" in text
    assert "report 2, 3.2: softmax 0.1" in text


@pytest.mark.skipif(not (COMMITTED / "leaderboard.json").is_file(), reason="no committed zoo leaderboard")
def test_committed_leaderboard_agrees_with_each_run():
    """Every committed checkpoint has its row; each row's lr and batch size are those its config.json says it ran
    with, its val accuracy its metrics.json's last epoch, and leaderboard.md shows them."""
    board = json.loads((COMMITTED / "leaderboard.json").read_text())
    text = (COMMITTED / "leaderboard.md").read_text()
    assert sorted(board) == _committed()
    for name, row in board.items():
        train_config = json.loads((COMMITTED / name / "config.json").read_text())["train_config"]
        metrics = json.loads((COMMITTED / name / "metrics.json").read_text())
        assert (row["lr"], row["batch_size"]) == (train_config["lr"], train_config["batch_size"]), name
        assert row["val_accuracy"] == metrics["history"][-1]["val_acc"] == metrics["summary"]["val_accuracy"]
        cells = _board_cells(text, name)
        assert cells["val acc"] == f"{100 * row['val_accuracy']:.2f}%" and cells["lr"].split()[0] == str(row["lr"])
        if (row["lr"], row["batch_size"]) != scratch.RECIPES[name][:2]:
            assert f"{name} ran at" in text.split("| rank |")[0]
