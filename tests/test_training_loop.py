"""core/training/loop.py: the one loop and the one evaluation, used by the train/ scripts and by live training."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from core.catalog.preprocess import Preprocess
from core.training import live as live_training
from core.training import live_models
from core.training import loop as training_loop
from core.training.zoo_data import FASHION_MNIST_LABELS, TensorSplits, augment_batch


def _images(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Ten classes a tiny model can tell apart: the class sets the image's brightness."""
    gen = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 10, (n,), generator=gen)
    x = (y[:, None, None, None] * 25 + torch.randint(0, 6, (n, 3, 32, 32), generator=gen)).to(torch.uint8)
    return x, y


def _fake_fashion_mnist() -> TensorSplits:
    (tx, ty), (vx, vy) = _images(1200, 0), _images(300, 1)
    return TensorSplits(tx, ty, vx, vy, list(FASHION_MNIST_LABELS), Preprocess(32, 32, (0.5,) * 3, (0.25,) * 3))


def _train_live_on_fake_data(monkeypatch) -> None:
    """Live training gets its data set from core.training.live.training_data, its public seam: here it returns the
    small fake Fashion-MNIST, so a run takes a fraction of a second and the real data set is never decoded."""
    fake = _fake_fashion_mnist()

    def training_data(dataset: str) -> TensorSplits:
        assert dataset == "fashion_mnist", dataset  # the only data set these runs ask for
        return fake

    monkeypatch.setattr(live_training, "training_data", training_data)


class Flat(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(3 * 32 * 32, 10)
        self.batch_sizes: list[int] = []

    def forward(self, x):
        self.batch_sizes.append(len(x))
        return self.linear(x.flatten(1))


def _batches(n=300, batch=32, augment=True) -> training_loop.TensorBatches:
    x, y = _images(n, 2)
    norm = Preprocess(32, 32, (0.5,) * 3, (0.25,) * 3).normalise
    return training_loop.TensorBatches(x, y, batch, norm, torch.Generator().manual_seed(0), augment=augment)


def test_a_recipe_change_in_the_one_loop_reaches_the_scripts_and_live_training(tmp_path, monkeypatch):
    """train/common.py and live training call the same core functions: patch them once, both paths see it."""
    import train.common

    calls = []
    loop, evaluate = training_loop.train_one_epoch, training_loop.evaluate

    def spied_loop(*args, **kwargs):
        calls.append(("train", kwargs.get("grad_clip", 1.0)))
        return loop(*args, **kwargs)

    def spied_evaluate(*args, **kwargs):
        calls.append(("evaluate", None))
        return evaluate(*args, **kwargs)

    monkeypatch.setattr(training_loop, "train_one_epoch", spied_loop)
    monkeypatch.setattr(training_loop, "evaluate", spied_evaluate)
    model = Flat()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    train.common.train_one_epoch(model, _batches(), optimizer, None, torch.device("cpu"), log=lambda s: None)
    assert calls == [("train", 1.0)]
    assert train.common.predict is training_loop.predict  # the scripts' evaluation is core's (re-exported)

    calls.clear()
    monkeypatch.setenv("CHECKPOINT_DIR", str(tmp_path))
    _train_live_on_fake_data(monkeypatch)
    updates = list(live_training.train_live("softmax", epochs=2, train_samples=256, update_every_s=0.0, owner="t"))
    try:
        # two epochs through the shared loop, each followed by validation, then the test set
        assert calls == [("train", 1.0), ("evaluate", None)] * 2 + [("evaluate", None)]
        last = updates[-1]
        assert last.done and not last.cancelled and [h["epoch"] for h in last.history] == [1, 2]
        assert 0.0 <= last.test_accuracy <= 1.0 and last.steps_per_epoch == 2 and last.fraction == 1.0
        fractions = [u.fraction for u in updates]
        assert fractions == sorted(fractions) and len(updates) > 3  # per-batch progress, then per epoch
    finally:
        live_models.delete(updates[-1].entry, "t")


def test_live_training_stops_through_the_loops_hook(tmp_path, monkeypatch):
    """The time budget (and a cancel) is `should_stop`: the run ends before the next batch and saves nothing."""
    monkeypatch.setenv("CHECKPOINT_DIR", str(tmp_path))
    _train_live_on_fake_data(monkeypatch)
    monkeypatch.setattr(live_training, "TIME_BUDGET_S", 0.0)
    updates = list(live_training.train_live("softmax", epochs=2, train_samples=256, update_every_s=0.0))
    assert len(updates) == 1 and updates[0].cancelled and updates[0].timed_out and not updates[0].history
    assert not live_models.list_live() and live_training.current_training() is None


def test_hooks_see_every_batch_and_can_stop_the_epoch():
    model = Flat()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    seen = []
    result = training_loop.train_one_epoch(
        model, _batches(), optimizer, on_batch=seen.append, should_stop=lambda: len(seen) == 3
    )
    assert result.stopped and result.seen == 3 * 32 and [b.step for b in seen] == [1, 2, 3]
    assert {b.steps for b in seen} == {10} and math.isclose(result.loss, seen[-1].mean_loss)
    full = training_loop.train_one_epoch(model, _batches(), optimizer)
    assert not full.stopped and full.seen == 300


def test_a_diverging_run_is_a_user_error():
    model = Flat()
    with torch.no_grad():
        model.linear.weight.fill_(float("nan"))
    with pytest.raises(training_loop.TrainingDiverged, match="lower the learning rate") as exc:
        training_loop.train_one_epoch(model, _batches(), torch.optim.SGD(model.parameters(), lr=0.1))
    assert isinstance(exc.value, FloatingPointError) and "giảm tốc độ học" in exc.value.vi


def test_evaluation_runs_in_bounded_batches():
    model = Flat()
    batches = _batches(n=300, batch=training_loop.EVAL_BATCH_SIZE, augment=False)
    bounded = training_loop.evaluate(model, batches, labels=[str(i) for i in range(10)], batch_size=64)
    assert max(model.batch_sizes) == 64 and bounded["num_samples"] == 300
    x, y = next(iter(_batches(n=300, batch=300, augment=False)))
    with torch.no_grad():
        logits = model.linear(x.flatten(1))
    assert math.isclose(bounded["loss"], float(nn.functional.cross_entropy(logits, y)), rel_tol=1e-5)
    assert bounded["accuracy"] == int((logits.argmax(1) == y).sum()) / 300
    model.batch_sizes.clear()
    training_loop.predict(model, [(x, y)])  # one big batch from the caller: split by the model's activation memory
    assert max(model.batch_sizes) <= 300 and sum(model.batch_sizes[1:]) == 300  # [0]: the one-input measurement


def test_tensor_batches_give_live_training_its_former_batches():
    """Live training's batches were train_idx[randperm] + augment_batch per batch: the same stream, bit for bit."""
    x, y = _images(500, 3)
    idx = torch.randperm(500, generator=torch.Generator().manual_seed(1))[:200]
    gen_old, gen_new = torch.Generator().manual_seed(0), torch.Generator().manual_seed(0)
    perm = idx[torch.randperm(200, generator=gen_old)]
    old = [(augment_batch(x[perm[i : i + 64]], gen_old), y[perm[i : i + 64]]) for i in range(0, 200, 64)]
    new = list(training_loop.TensorBatches(x, y, 64, None, gen_new, augment=True, indices=idx))
    assert len(new) == len(old) == 4
    assert all(torch.equal(a, c) and torch.equal(b, d) for (a, b), (c, d) in zip(old, new, strict=True))
