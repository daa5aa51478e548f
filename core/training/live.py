"""Train a small zoo model during class, one training at a time for the whole server.

`train_live` is a generator: it yields progress (loss, accuracy, curves so far) about once a second, so the UI can
draw the curves live. The training itself runs in a thread of its own: a visitor who closes the tab stops reading
the progress, not the run, which ends by itself at the latest after TIME_BUDGET_S (and frees the one slot). Only
the session that started a run can stop it early (`request_cancel`). A finished run is saved as a new catalogue
entry of its own (core.training.live_models), offered beside the committed model, never in its place.

The slot is shared by the whole class, so a run is refused up front when a few timed steps say it would not end
within the budget (`TrainingTooLong`, with the estimate), and a visitor whose run was cut by the budget waits
COOLDOWN_S before the next (`TrainingCoolDown`).
"""

from __future__ import annotations

import copy
import functools
import os
import queue
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from core.catalog import ZOO, ZooEntry, build_architecture, models_for
from core.catalog.checkpoint import METRICS_FILE, save_checkpoint, write_json
from core.catalog.weights import REPO_ROOT
from core.runtime.messages import Bilingual, UserError, is_disk_full
from core.training import live_models
from core.training.live_models import clean_name

LIVE_MODELS = tuple(models_for("live"))  # zoo entries small enough to train during a lecture
MAX_TRAIN_SAMPLES = 20_000
MIN_TRAIN_SAMPLES = 1000
MAX_EPOCHS = 5
# The longest a run may hold the one slot (an abandoned one included); a run cut here saves nothing. The tab's
# defaults (SimpleCNN, 2 epochs x 5,000 images) took 63 s on the idle 2-core machine and 281 s with the machine
# loaded by other jobs (load average 8.6); the largest settings take several times longer.
TIME_BUDGET_S = 600.0
TEST_SAMPLES = 2000  # held-out test images a finished run is scored on (the tab says 2,000)
COOLDOWN_S = 300.0  # a visitor whose run was cut by the budget waits this long before starting another
# Runs are admitted up to the budget: TIME_BUDGET_S itself is the hard stop (tests shorten it to test that stop).
MAX_ESTIMATE_S = TIME_BUDGET_S
PROBE_STEPS = 3  # timed training steps (after one warm-up) that estimate a run's duration before it is accepted
POINTS_PER_EPOCH = 10  # training-curve points drawn during each epoch (every few batches)


class TrainingBusy(UserError, RuntimeError):
    title = Bilingual("Training slot busy", "Đang có người huấn luyện")


class TrainingTooLong(UserError, RuntimeError):
    title = Bilingual("Run too long", "Lượt huấn luyện quá dài")


class TrainingCoolDown(UserError, RuntimeError):
    title = Bilingual("Please wait", "Vui lòng chờ")


class SaveFailed(UserError, RuntimeError):
    title = Bilingual("Model not saved", "Không lưu được mô hình")


def disk_full_message() -> Bilingual:
    return Bilingual(
        "The server's disk is full, so the trained model could not be saved (nothing was kept). "
        "Ask the instructor to free some space, or delete one of your models, then train again.",
        "Ổ đĩa của máy chủ đã đầy nên không lưu được mô hình vừa huấn luyện (không có gì được giữ lại). "
        "Hãy nhờ giảng viên giải phóng dung lượng, hoặc xoá một mô hình của bạn, rồi huấn luyện lại.",
    )


@dataclass
class LiveProgress:
    model: str
    epoch: int
    epochs: int
    step: int
    steps_per_epoch: int
    train_loss: float
    train_acc: float
    history: list[dict] = field(default_factory=list)  # one dict per finished epoch, with validation
    # The curves' points: {"epoch": x (fractional during an epoch), "split": "train" or "val", "loss", "acc"}. Train
    # points every few batches (running means of the epoch so far), validation before training and after each epoch.
    points: list[dict] = field(default_factory=list)
    estimate_s: float | None = None  # what the timed probe steps predicted for the whole run
    done: bool = False
    cancelled: bool = False
    test_accuracy: float | None = None
    checkpoint: str | None = None
    entry: str | None = None  # the new catalogue entry (core.training.live_models) of a finished run
    timed_out: bool = False  # stopped by TIME_BUDGET_S, not by its owner

    @property
    def fraction(self) -> float:
        return ((self.epoch - 1) * self.steps_per_epoch + self.step) / max(self.epochs * self.steps_per_epoch, 1)


# The one training slot of the server (live runs and class-experiment runs take it) and what holds it now.
slot = threading.Lock()
in_progress: dict = {}
cancel_event = threading.Event()
_datasets: dict = {}
_cooldown_until: dict[str, float] = {}  # visitor session -> time.time() before which they may not start a run


def current_training() -> dict | None:
    """Who trains what since when (and how far), or None: shown to everyone else while the one slot is taken."""
    return dict(in_progress) if in_progress else None


def checked_request(name: object, epochs: object, train_samples: object, who: object) -> tuple[str, int, int, str]:
    """A live-training request as the UI or the API sent it: checked (InputError), the name cut to MAX_WHO_CHARS."""
    from core.runtime.inputs import choice, number, text

    return (
        choice(name, LIVE_MODELS, ("The model", "Mô hình")),
        number(epochs, ("Epochs", "Số epoch"), 1, MAX_EPOCHS, integer=True),
        number(
            train_samples, ("Training images", "Số ảnh huấn luyện"), MIN_TRAIN_SAMPLES, MAX_TRAIN_SAMPLES, integer=True
        ),  # fmt: skip
        clean_name(text(who, ("Your name", "Tên bạn"), 1000)),  # shown to other visitors: no markup survives
    )


def time_left_s(info: dict | None = None, now: float | None = None) -> float | None:
    """Seconds the current training probably still needs (elapsed time scaled by the fraction done), or None."""
    info = current_training() if info is None else info
    if not info or not info.get("fraction"):
        return None
    elapsed = (time.time() if now is None else now) - info["since"]
    return max(0.0, elapsed * (1 - info["fraction"]) / info["fraction"])


def busy_message(info: dict) -> Bilingual:
    """Who is training what, since when and for about how long still. The name is the visitor's own text, shown
    in every other visitor's Markdown panel and toasts: only letters, digits, spaces, "-" and "'" (clean_name)."""
    who = clean_name(info.get("who"))
    since = time.strftime("%H:%M:%S", time.localtime(info.get("since", 0)))
    left = time_left_s(info)
    left_en = f", about {left:.0f} s left" if left is not None else ""
    left_vi = f", còn khoảng {left:.0f} giây" if left is not None else ""
    return Bilingual(
        f"{who or 'someone'} is training {info.get('model')} (started {since}{left_en}); try again when it ends",
        f"{who or 'Một người khác'} đang huấn luyện {info.get('model')} (bắt đầu lúc {since}{left_vi}); "
        "hãy thử lại khi xong",
    )


def request_cancel(owner: str | None) -> tuple[bool, dict | None]:
    """Stop the current training if `owner` started it: (stopped, the training's info or None when idle).

    Only the visitor who started a run can stop it (the UI passes its session); anyone else is told who trains and
    for how long still. A run stops by itself after at most MAX_EPOCHS over MAX_TRAIN_SAMPLES images.
    """
    info = current_training()
    if info is None:
        return False, None
    if info.get("owner") is None or info.get("owner") != owner:
        return False, info
    cancel_event.set()
    return True, info


def training_data(dataset: str):
    """A zoo data set, decoded once per server and shared by live runs and class experiments.

    Also the seam tests use to train on a small data set of their own: they replace this function (monkeypatch),
    never the cache behind it. It works because every run looks it up here when it starts (`_train`, and the class
    experiment through `live.training_data`): keep calling it by this name, not a copy imported elsewhere."""
    from core.training.zoo_data import load_dataset

    if dataset not in _datasets:  # decoded once per server: 60k images are 180 MB of uint8
        _datasets[dataset] = load_dataset(dataset, REPO_ROOT / "data")
    return _datasets[dataset]


def cooldown_left_s(owner: str | None, now: float | None = None) -> float:
    """Seconds before `owner` may start another run (0 when they may now)."""
    if owner is None:
        return 0.0
    return max(0.0, _cooldown_until.get(owner, 0.0) - (time.time() if now is None else now))


def train_live(
    name: str,
    *,
    dataset: str = "fashion_mnist",
    epochs: int = 2,
    train_samples: int = 5000,
    batch_size: int = 128,
    lr: float | None = None,
    who: str = "",
    tiny: bool = False,
    update_every_s: float = 1.0,
    owner: str | None = None,
) -> Iterator[LiveProgress]:
    """`owner` (the UI passes the visitor's session) is the only one request_cancel lets stop this run, and the only
    one that may delete the model it produces. Raises TrainingBusy (the slot is taken), TrainingCoolDown (this
    owner's last run was cut by the budget less than COOLDOWN_S ago), TrainingTooLong (the timed probe steps say
    the run would not end within TIME_BUDGET_S) or SaveFailed (the disk is full)."""
    entry: ZooEntry = next((z for z in ZOO if z.name == name), None)
    if entry is None:
        raise KeyError(f"unknown zoo model {name!r}; valid: {', '.join(z.name for z in ZOO)}")
    wait = cooldown_left_s(owner)
    if wait > 0:
        raise TrainingCoolDown(
            f"Your last run was stopped by the {TIME_BUDGET_S:.0f} s time budget; you can start another in about "
            f"{wait:.0f} s (pick fewer epochs or training images so that it ends in time).",
            f"Lượt trước của bạn bị dừng vì hết {TIME_BUDGET_S:.0f} giây; bạn có thể bắt đầu lượt mới sau khoảng "
            f"{wait:.0f} giây (hãy chọn ít epoch hoặc ít ảnh huấn luyện hơn để kịp xong).",
        )
    if not slot.acquire(blocking=False):
        raise TrainingBusy(busy_message(dict(in_progress)))
    updates: queue.Queue = queue.Queue()
    done = object()

    def run() -> None:
        try:
            _train(
                entry,
                dataset,
                min(epochs, MAX_EPOCHS),
                min(train_samples, MAX_TRAIN_SAMPLES),
                batch_size,
                lr,
                tiny,
                update_every_s,
                owner,
                report=lambda p: updates.put(copy.deepcopy(p)),  # a snapshot: the thread goes on changing its own
            )
        except BaseException as exc:  # the reader re-raises it (e.g. the data set is missing)
            updates.put(exc)
        finally:
            in_progress.clear()
            slot.release()
            updates.put(done)

    cancel_event.clear()
    in_progress.update(who=clean_name(who), model=name, since=time.time(), fraction=0.0, owner=owner)
    threading.Thread(target=run, name=f"live-training-{name}", daemon=True).start()
    while (item := updates.get()) is not done:
        if isinstance(item, BaseException):
            raise item
        yield item


def estimate_run_s(model, train, steps_per_epoch: int, epochs: int, eval_images: int) -> float:
    """Seconds the whole run (`epochs` x `steps_per_epoch` steps, then `eval_images` evaluated) will probably take,
    from PROBE_STEPS timed training steps on batches from `train` (after one warm-up) on a copy of the model, and
    one timed evaluation batch, on this machine under its present load. A step is timed as the loop runs it: making
    the augmented batch (on a loaded 2-core machine as long as the step itself), forward, backward, clipping and an
    AdamW step."""
    import torch

    probe = copy.deepcopy(model).train()
    optimizer = torch.optim.AdamW(probe.parameters(), lr=0.0)  # lr 0: timing only, the copy is thrown away
    loss_fn = torch.nn.CrossEntropyLoss()
    step_times, x, batches = [], None, iter(train)
    for i in range(PROBE_STEPS + 1):
        began = time.perf_counter()
        try:
            x, y = next(batches)
        except StopIteration:
            break
        optimizer.zero_grad(set_to_none=True)
        loss_fn(probe(x), y).backward()
        torch.nn.utils.clip_grad_norm_(probe.parameters(), 1.0)
        optimizer.step()
        if i:  # the first step pays one-off costs (allocations, kernel choice)
            step_times.append(time.perf_counter() - began)
    per_step = sum(step_times) / max(len(step_times), 1)
    with torch.no_grad():
        probe.eval()
        began = time.perf_counter()
        probe(x)
        per_image = (time.perf_counter() - began) / max(len(x), 1)
    return per_step * steps_per_epoch * epochs + per_image * eval_images


def _too_long(estimate: float) -> TrainingTooLong:
    return TrainingTooLong(
        f"This run would take about {estimate:.0f} s on this server right now, more than the {TIME_BUDGET_S:.0f} s "
        "one run may hold the training slot. Pick fewer epochs, fewer training images or a smaller model.",
        f"Lượt này sẽ mất khoảng {estimate:.0f} giây trên máy chủ lúc này, quá {TIME_BUDGET_S:.0f} giây mà một lượt "
        "được giữ chỗ huấn luyện. Hãy chọn ít epoch hơn, ít ảnh huấn luyện hơn hoặc một mô hình nhỏ hơn.",
    )


def _train(
    entry, dataset, epochs, n_train, batch_size, lr, tiny, update_every_s, owner, report: Callable[[LiveProgress], None]
) -> None:
    """Train with the one loop (core.training.loop), calling `report` with the progress at most every
    `update_every_s` during an epoch, after each epoch, and once at the end (done, cancelled or timed out)."""
    import torch  # imported here so that building the UI does not import torch

    from core.training import loop as training_loop

    data = training_data(dataset)
    gen = torch.Generator().manual_seed(0)
    order = torch.randperm(len(data.train_y), generator=gen)
    train_idx, val_idx = order[:n_train], order[-1000:]
    model_args = {"num_classes": len(data.labels), **entry.model_args, **(entry.tiny_args if tiny else {})}
    torch.manual_seed(0)
    model = build_architecture(entry.arch, **model_args)
    default_lr = (
        0.01 if entry.name == "softmax" else (3e-4 if "vit" in entry.name or "transformer" in entry.name else 1e-3)
    )
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr or default_lr, weight_decay=1e-4)
    norm = data.preprocess.normalise
    train = training_loop.TensorBatches(
        data.train_x, data.train_y, batch_size, norm, gen, augment=True, indices=train_idx
    )
    val = training_loop.TensorBatches(data.train_x, data.train_y, training_loop.EVAL_BATCH_SIZE, norm, indices=val_idx)
    test = training_loop.TensorBatches(data.test_x[:TEST_SAMPLES], data.test_y[:TEST_SAMPLES],
                                       training_loop.EVAL_BATCH_SIZE, norm)  # fmt: skip
    steps = len(train)
    # Timed on batches of their own generator, so the run itself sees the same shuffles and crops as without it.
    probe_batches = training_loop.TensorBatches(
        data.train_x, data.train_y, batch_size, norm, torch.Generator().manual_seed(1), augment=True,
        indices=train_idx[: batch_size * (PROBE_STEPS + 1)],
    )  # fmt: skip
    estimate = estimate_run_s(model, probe_batches, steps, epochs, len(val_idx) * (epochs + 1) + len(test.indices))
    if estimate > MAX_ESTIMATE_S:
        raise _too_long(estimate)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs * steps)
    progress = LiveProgress(entry.name, 1, epochs, 0, steps, float("nan"), 0.0, estimate_s=estimate)
    every = max(1, steps // POINTS_PER_EPOCH)  # a train point every few batches: a one-epoch run draws a curve too
    # Validation before any training: where the curves start (about chance, 10 %, for ten classes).
    loss0, true0, pred0 = training_loop.predict(model, val)
    progress.points.append({"epoch": 0.0, "split": "val", "loss": loss0,
                            "acc": sum(t == q for t, q in zip(true0, pred0)) / max(len(true0), 1)})  # fmt: skip
    last = time.monotonic()
    deadline = last + TIME_BUDGET_S

    window = {"step": 0, "seen": 0, "loss": 0.0, "correct": 0.0}  # totals of the epoch at the last train point

    def on_batch(b: training_loop.BatchReport, epoch: int) -> None:
        nonlocal last
        if b.step == 1:
            window.update(step=0, seen=0, loss=0.0, correct=0.0)
        progress.epoch, progress.step = epoch, b.step
        progress.train_loss, progress.train_acc = b.mean_loss, b.accuracy
        if b.step % every == 0 or b.step == steps:
            # The mean over the batches since the previous point (from the epoch's running totals), not the epoch's
            # running mean, which would carry the first batches' high loss and jump down at each new epoch.
            seen = min(b.step * batch_size, n_train)
            loss, correct = b.mean_loss * seen, b.accuracy * seen
            n = max(seen - window["seen"], 1)
            x = round(epoch - 1 + b.step / steps, 4)
            progress.points.append({"epoch": x, "split": "train", "loss": (loss - window["loss"]) / n,
                                    "acc": (correct - window["correct"]) / n})  # fmt: skip
            window.update(step=b.step, seen=seen, loss=loss, correct=correct)
        if time.monotonic() - last >= update_every_s:
            last = time.monotonic()
            in_progress["fraction"] = progress.fraction
            report(progress)

    for epoch in range(1, epochs + 1):
        result = training_loop.train_one_epoch(
            model,
            train,
            optimizer,
            scheduler,
            on_batch=functools.partial(on_batch, epoch=epoch),
            should_stop=lambda: cancel_event.is_set() or time.monotonic() > deadline,
        )
        if result.stopped:
            progress.timed_out = not cancel_event.is_set()
            progress.cancelled = progress.done = True
            if progress.timed_out and owner is not None:  # the estimate was wrong (the machine got busier)
                _cooldown_until[owner] = time.time() + COOLDOWN_S
            report(progress)
            return
        metrics = training_loop.evaluate(model, val, labels=data.labels)
        progress.history.append(
            {
                "epoch": epoch,
                "train_loss": result.loss,
                "train_acc": result.accuracy,
                "val_loss": metrics["loss"],
                "val_acc": metrics["accuracy"],
            }
        )
        progress.points.append({"epoch": float(epoch), "split": "val", "loss": metrics["loss"],
                                "acc": metrics["accuracy"]})  # fmt: skip
        in_progress["fraction"] = progress.fraction
        report(progress)
    tested = training_loop.evaluate(model, test, labels=data.labels)
    test_acc = tested["accuracy"]
    # A new entry of its own: the committed model keeps its name and weights (core.training.live_models).
    live = live_models.LiveModel(
        name=live_models.new_entry_name(entry.name),
        base=entry.name,
        who=in_progress.get("who") or "",
        owner=owner,
        accuracy=test_acc,
        created=time.time(),
        epochs=epochs,
        train_samples=n_train,
    )
    metrics = {"history": progress.history, "points": progress.points, "test": tested,
               "summary": {"train_samples": n_train, "epochs": epochs}}  # fmt: skip
    _save(live, model, entry, model_args, data, dataset, metrics)
    live_models.prune(keep=live.name)  # the owner's quota, then bounded count and disk; registers the new entry
    progress.done, progress.test_accuracy, progress.entry = True, test_acc, live.name
    progress.checkpoint = str(live.folder)
    report(progress)


def _save(live, model, entry, model_args, data, dataset, metrics) -> None:
    """Write the run into a temporary folder, then rename it into place: a save cut short (killed, disk full)
    leaves no half model among the live ones (core.training.live_models.clean_stale removes the temporary folder at the
    next start). A full disk is a SaveFailed in both languages, not the OS's text."""
    folder = live.folder
    tmp = folder.with_name(f"{live_models.TMP_PREFIX}{os.getpid()}_{folder.name}")  # the pid: see clean_stale
    try:
        save_checkpoint(
            tmp,
            model.eval(),
            arch=entry.arch,
            model_args=model_args,
            labels=data.labels,
            preprocess=data.preprocess.to_dict(),
            extra={"dataset": dataset},
            train_config={"live": True, "epochs": live.epochs, "train_samples": live.train_samples, "who": live.who},
        )
        # The same test metrics as a train/ script's (core.training.loop.evaluate): accuracy, F1-macro, the
        # confusion matrix and the most confused pairs, so the image tab's report panel shows it like any other.
        write_json(tmp / METRICS_FILE, metrics)
        live_models.write_meta(tmp, live)
        tmp.rename(folder)  # atomic on one file system: list_live() sees the folder only once it is complete
    except Exception as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if is_disk_full(exc):
            raise SaveFailed(disk_full_message()) from None
        raise
