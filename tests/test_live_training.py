"""Live training: progress, one slot for the server, cancel, and the result used by the image tab."""

from __future__ import annotations

import threading

import pytest

from core import live_training, model_store
from core.classify import classify
from core.zoo_data import DEBIAN_FASHION_MNIST

pytestmark = pytest.mark.skipif(
    not (DEBIAN_FASHION_MNIST / "train-images-idx3-ubyte.gz").is_file(),
    reason="Fashion-MNIST not installed: apt-get install dataset-fashion-mnist (.ci/run does)",
)


def test_live_training_reports_progress_and_is_used_straight_away(tmp_path, monkeypatch):
    monkeypatch.setenv("CHECKPOINT_DIR", str(tmp_path))
    model_store.clear_cache()
    updates = list(live_training.train_live("softmax", epochs=2, train_samples=2000, who="cô Lan", update_every_s=0.0))
    assert [len(u.history) for u in updates][-1] == 2 and updates[-1].done
    assert updates[-1].test_accuracy > 0.5  # ten classes: chance is 0.1
    fractions = [u.fraction for u in updates]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    model = model_store.load_model("softmax")
    assert "live" in model.source and model.labels[0] == "T-shirt/top"
    from PIL import Image

    assert classify(Image.new("RGB", (40, 40)), model, explain=False).predictions
    model_store.clear_cache()


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
    assert not (tmp_path / "live" / "mlp").exists()  # a cancelled run saves nothing
    done = threading.Event()
    threading.Thread(
        target=lambda: (list(live_training.train_live("softmax", epochs=1, train_samples=1000)), done.set())
    ).start()
    assert done.wait(120)  # the slot is free again
