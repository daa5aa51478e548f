"""Live training: progress, one slot for the server, cancel, and the result as an entry of its own."""

from __future__ import annotations

import threading

import pytest

from core.catalog import get_spec, list_models
from core.catalog import store as model_store
from core.image.service import classify
from core.training import live as live_training
from core.training import live_models
from core.training.zoo_data import DEBIAN_FASHION_MNIST

pytestmark = pytest.mark.skipif(
    not (DEBIAN_FASHION_MNIST / "train-images-idx3-ubyte.gz").is_file(),
    reason="Fashion-MNIST not installed: apt-get install dataset-fashion-mnist (.ci/run does)",
)


@pytest.mark.slow
def test_a_live_run_is_a_new_entry_beside_the_committed_model(tmp_path, monkeypatch):
    monkeypatch.setenv("CHECKPOINT_DIR", str(tmp_path))
    model_store.clear_cache()
    updates = list(
        live_training.train_live("softmax", epochs=2, train_samples=2000, who="cô Lan", update_every_s=0.0, owner="s1")
    )
    assert [len(u.history) for u in updates][-1] == 2 and updates[-1].done
    assert updates[-1].test_accuracy > 0.5  # ten classes: chance is 0.1
    fractions = [u.fraction for u in updates]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    entry = updates[-1].entry
    assert entry.startswith("live_softmax_") and entry in list_models("image-classification")
    assert (
        "cô Lan" in get_spec(entry).display_name
        and f"{100 * updates[-1].test_accuracy:.1f}%" in get_spec(entry).display_name
    )
    # The committed entry keeps its own sources: nothing under live/ can take its place.
    live_root = tmp_path / "live"
    assert all(
        live_root not in source.path().parents for source in get_spec("softmax").weights if hasattr(source, "path")
    )
    model = model_store.load_model(entry)
    assert "trained live" in model.source and str(tmp_path) not in model.source and model.labels[0] == "T-shirt/top"
    # Its metrics are a train/ script's: F1 and the confusion matrix too, so its report panel shows them.
    import json

    test = json.loads((tmp_path / "live" / entry / "metrics.json").read_text())["test"]
    assert test["accuracy"] == updates[-1].test_accuracy and 0 < test["f1_macro"] <= 1
    assert len(test["confusion_matrix"]) == 10 and sum(map(sum, test["confusion_matrix"])) == test["num_samples"]
    from PIL import Image

    assert classify(Image.new("RGB", (40, 40)), model, explain=False).predictions
    # Only the session that trained it can delete it.
    assert not live_models.delete(entry, "someone else") and not live_models.delete(entry, None)
    assert live_models.delete(entry, "s1")
    assert entry not in list_models() and not (tmp_path / "live" / entry).exists()
    model_store.clear_cache()


def _fake_live(root, base, created, size=1000, owner="s"):
    """A saved live model's folder without training one (weights are never loaded here)."""
    model = live_models.LiveModel(live_models.new_entry_name(base, created), base, "x", owner, 0.5, created, 1, 1000)
    model.folder.mkdir(parents=True)
    (model.folder / "model.safetensors").write_bytes(b"\0" * size)
    live_models.write_meta(model.folder, model)
    return model.name


def test_live_models_are_bounded_oldest_first(tmp_path, monkeypatch):
    monkeypatch.setenv("CHECKPOINT_DIR", str(tmp_path))
    monkeypatch.setattr(live_models, "MAX_LIVE_MODELS", 3)
    monkeypatch.setattr(live_models, "MAX_LIVE_BYTES", 10_000)
    names = [_fake_live(tmp_path, "mlp", 1_000_000 + i, owner=f"s{i}") for i in range(5)]  # five visitors
    assert live_models.prune(keep=names[-1]) == names[:2]  # count: the two oldest go
    assert [m.name for m in live_models.list_live()] == names[2:]
    assert set(names[2:]) <= set(list_models()) and not set(names[:2]) & set(list_models())
    big = _fake_live(tmp_path, "mlp", 2_000_000, size=9_500)  # disk: the newest alone nearly fills the budget
    assert live_models.prune(keep=big) == names[2:]
    assert [m.name for m in live_models.sync()] == [big]
    live_models.delete(big, "s")


@pytest.mark.slow
def test_an_abandoned_run_ends_by_itself(tmp_path, monkeypatch):
    import time

    monkeypatch.setenv("CHECKPOINT_DIR", str(tmp_path))
    monkeypatch.setattr(live_training, "TIME_BUDGET_S", 1.0)
    run = live_training.train_live("mlp", epochs=5, train_samples=20_000, who="gone", update_every_s=0.1)
    next(run)
    run.close()  # the tab was closed: nobody reads the progress any more
    deadline = time.monotonic() + 60
    while live_training.current_training() is not None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert live_training.current_training() is None  # the slot is free for the next student
    assert not live_models.list_live()  # a run cut by its budget saves nothing


@pytest.mark.slow
def test_one_training_at_a_time_and_cancel(tmp_path, monkeypatch):
    monkeypatch.setenv("CHECKPOINT_DIR", str(tmp_path))
    first = live_training.train_live("mlp", epochs=3, train_samples=5000, who="thầy Minh", update_every_s=0.0)
    next(first)  # holds the slot now
    assert live_training.current_training()["who"] == "thầy Minh"
    with pytest.raises(live_training.TrainingBusy, match="thầy Minh is training mlp"):
        next(live_training.train_live("softmax"))
    live_training.cancel_event.set()
    rest = list(first)
    assert rest[-1].cancelled and live_training.current_training() is None
    assert not live_models.list_live()  # a cancelled run saves nothing
    done = threading.Event()
    threading.Thread(
        target=lambda: (list(live_training.train_live("softmax", epochs=1, train_samples=1000)), done.set())
    ).start()
    assert done.wait(120)  # the slot is free again


def test_curve_rows_are_numbers_even_before_any_point():
    """An empty first table of text columns made the live chart draw its axis as text (unordered labels, no line):
    the plot's datatypes are numeric from the first, empty, table on."""
    import gradio as gr

    from core.training.report import curve_rows

    plot = gr.LinePlot(x="epoch", y="value", color="curve")
    points = [
        {"epoch": 0.0, "split": "val", "loss": 2.3, "acc": 0.1},
        {"epoch": 0.25, "split": "train", "loss": 2.0, "acc": 0.3},
        {"epoch": 0.5, "split": "train", "loss": 1.5, "acc": 0.5},
        {"epoch": 1.0, "split": "val", "loss": 1.2, "acc": 0.6},
    ]
    for rows in (curve_rows([]), curve_rows([], points=points, lang="vi")):
        sent = plot.postprocess(rows)
        assert sent.datatypes == {"epoch": "quantitative", "value": "quantitative", "curve": "nominal"}
    rows = curve_rows([], points=points, lang="vi")
    # A one-epoch run is a line: two train points inside the epoch, validation before and after it.
    assert rows.groupby("curve")["epoch"].count().to_dict() == {
        "huấn luyện · hàm mất mát": 2, "huấn luyện · độ chính xác": 2,
        "kiểm định · hàm mất mát": 2, "kiểm định · độ chính xác": 2,
    }  # fmt: skip
