"""The course's twelve from-scratch architectures: sizes, the einsum encoder, training, committed checkpoints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from core.catalog import ZOO, build_architecture
from core.catalog import store as model_store
from core.catalog.checkpoint import load_checkpoint
from core.image.service import classify
from core.models.einsum_transformer import copy_from_torch_encoder
from core.runtime.batching import predict_in_batches
from core.training.zoo_data import DEBIAN_FASHION_MNIST, load_dataset
from train import scratch

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
}


@pytest.mark.parametrize("entry", ZOO, ids=lambda z: z.name)
def test_parameter_counts_match_the_course(entry):
    assert scratch.count_params(entry) == EXPECTED_PARAMS[entry.name]
    course = entry.course_params
    value = float(course[:-1]) * (1e3 if course.endswith("K") else 1e6)
    tolerance = 50 if course.endswith("K") else 50_000  # the report's rounding
    assert abs(EXPECTED_PARAMS[entry.name] - value) <= tolerance


def test_list_models_prints_every_name_with_its_count(capsys):
    scratch.main(["--list-models"])
    out = capsys.readouterr().out
    for entry in ZOO:
        assert entry.name in out and f"{EXPECTED_PARAMS[entry.name]:,}" in out


@pytest.mark.slow
def test_einsum_encoder_matches_torch_transformer_encoder():
    torch.manual_seed(0)
    simple = build_architecture("simple_vit", num_classes=100).eval()
    custom = build_architecture("custom_vit", num_classes=100).eval()
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
