"""Train a small zoo model during class, one training at a time for the whole server.

`train_live` is a generator: it yields progress (loss, accuracy, curves so far) about once a second, so the UI can
draw the curves live. The training itself runs in a thread of its own: a visitor who closes the tab stops reading
the progress, not the run, which ends by itself at the latest after TIME_BUDGET_S (and frees the one slot). Only
the session that started a run can stop it early (`request_cancel`). A finished run is saved as a new catalogue
entry of its own (core.live_models), offered beside the committed model, never in its place.
"""

from __future__ import annotations

import copy
import functools
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from core import live_models
from core.checkpoint import METRICS_FILE, save_checkpoint, write_json
from core.messages import Bilingual, UserError
from core.models import build_architecture
from core.registry import ZOO, ZooEntry, models_for
from core.weights import REPO_ROOT

LIVE_MODELS = tuple(models_for("live"))  # zoo entries small enough to train during a lecture
MAX_TRAIN_SAMPLES = 20_000
MIN_TRAIN_SAMPLES = 1000
MAX_EPOCHS = 5
MAX_WHO_CHARS = 40  # the name others see while you train
# The longest a run may hold the one slot (an abandoned one included); a run cut here saves nothing. The tab's
# defaults (SimpleCNN, 2 epochs x 5,000 images) took 63 s on the idle 2-core machine and 281 s with the machine
# loaded by other jobs (load average 8.6); the largest settings take several times longer.
TIME_BUDGET_S = 600.0
TEST_SAMPLES = 2000  # held-out test images a finished run is scored on (the tab says 2,000)


class TrainingBusy(UserError, RuntimeError):
    title = Bilingual("Training slot busy", "Đang có người huấn luyện")


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
    done: bool = False
    cancelled: bool = False
    test_accuracy: float | None = None
    checkpoint: str | None = None
    entry: str | None = None  # the new catalogue entry (core.live_models) of a finished run
    timed_out: bool = False  # stopped by TIME_BUDGET_S, not by its owner

    @property
    def fraction(self) -> float:
        return ((self.epoch - 1) * self.steps_per_epoch + self.step) / max(self.epochs * self.steps_per_epoch, 1)


_lock = threading.Lock()
_current: dict = {}
cancel_event = threading.Event()
_datasets: dict = {}


def current_training() -> dict | None:
    """Who trains what since when (and how far), or None: shown to everyone else while the one slot is taken."""
    return dict(_current) if _current else None


def checked_request(name: object, epochs: object, train_samples: object, who: object) -> tuple[str, int, int, str]:
    """A live-training request as the UI or the API sent it: checked (InputError), the name cut to MAX_WHO_CHARS."""
    from core.inputs import choice, number, text

    return (
        choice(name, LIVE_MODELS, ("The model", "Mô hình")),
        number(epochs, ("Epochs", "Số epoch"), 1, MAX_EPOCHS, integer=True),
        number(
            train_samples, ("Training images", "Số ảnh huấn luyện"), MIN_TRAIN_SAMPLES, MAX_TRAIN_SAMPLES, integer=True
        ),  # fmt: skip
        " ".join(text(who, ("Your name", "Tên bạn"), 1000).split())[:MAX_WHO_CHARS],
    )


def time_left_s(info: dict | None = None, now: float | None = None) -> float | None:
    """Seconds the current training probably still needs (elapsed time scaled by the fraction done), or None."""
    info = current_training() if info is None else info
    if not info or not info.get("fraction"):
        return None
    elapsed = (time.time() if now is None else now) - info["since"]
    return max(0.0, elapsed * (1 - info["fraction"]) / info["fraction"])


def busy_message(info: dict) -> Bilingual:
    """Who is training what, since when and for about how long still."""
    since = time.strftime("%H:%M:%S", time.localtime(info.get("since", 0)))
    left = time_left_s(info)
    left_en = f", about {left:.0f} s left" if left is not None else ""
    left_vi = f", còn khoảng {left:.0f} giây" if left is not None else ""
    return Bilingual(
        f"{info.get('who') or 'someone'} is training {info.get('model')} (started {since}{left_en}); "
        "try again when it ends",
        f"{info.get('who') or 'Một người khác'} đang huấn luyện {info.get('model')} (bắt đầu lúc {since}{left_vi}); "
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


def _data(dataset: str):
    from core.zoo_data import load_dataset

    if dataset not in _datasets:  # decoded once per server: 60k images are 180 MB of uint8
        _datasets[dataset] = load_dataset(dataset, REPO_ROOT / "data")
    return _datasets[dataset]


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
    one that may delete the model it produces."""
    entry: ZooEntry = next((z for z in ZOO if z.name == name), None)
    if entry is None:
        raise KeyError(f"unknown zoo model {name!r}; valid: {', '.join(z.name for z in ZOO)}")
    if not _lock.acquire(blocking=False):
        raise TrainingBusy(busy_message(dict(_current)))
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
            _current.clear()
            _lock.release()
            updates.put(done)

    cancel_event.clear()
    _current.update(who=who, model=name, since=time.time(), fraction=0.0, owner=owner)
    threading.Thread(target=run, name=f"live-training-{name}", daemon=True).start()
    while (item := updates.get()) is not done:
        if isinstance(item, BaseException):
            raise item
        yield item


def _train(
    entry, dataset, epochs, n_train, batch_size, lr, tiny, update_every_s, owner, report: Callable[[LiveProgress], None]
) -> None:
    """Train with the one loop (core.training_loop), calling `report` with the progress at most every
    `update_every_s` during an epoch, after each epoch, and once at the end (done, cancelled or timed out)."""
    import torch  # imported here so that building the UI does not import torch

    from core import training_loop

    data = _data(dataset)
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
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs * steps)
    progress = LiveProgress(entry.name, 1, epochs, 0, steps, float("nan"), 0.0)
    last = time.monotonic()
    deadline = last + TIME_BUDGET_S

    def on_batch(b: training_loop.BatchReport, epoch: int) -> None:
        nonlocal last
        progress.epoch, progress.step = epoch, b.step
        progress.train_loss, progress.train_acc = b.mean_loss, b.accuracy
        if time.monotonic() - last >= update_every_s:
            last = time.monotonic()
            _current["fraction"] = progress.fraction
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
        _current["fraction"] = progress.fraction
        report(progress)
    tested = training_loop.evaluate(model, test, labels=data.labels)
    test_acc = tested["accuracy"]
    # A new entry of its own: the committed model keeps its name and weights (core.live_models).
    live = live_models.LiveModel(
        name=live_models.new_entry_name(entry.name),
        base=entry.name,
        who=_current.get("who") or "",
        owner=owner,
        accuracy=test_acc,
        created=time.time(),
        epochs=epochs,
        train_samples=n_train,
    )
    folder = live.folder
    save_checkpoint(
        folder,
        model.eval(),
        arch=entry.arch,
        model_args=model_args,
        labels=data.labels,
        preprocess=data.preprocess.to_dict(),
        extra={"dataset": dataset},
        train_config={"live": True, "epochs": epochs, "train_samples": n_train, "who": live.who},
    )
    history = progress.history
    # The same test metrics as a train/ script's (core.training_loop.evaluate): accuracy, F1-macro, the confusion
    # matrix and the most confused pairs, so the image tab's report panel shows a live checkpoint like any other.
    write_json(folder / METRICS_FILE, {"history": history, "test": tested,
                                       "summary": {"train_samples": n_train, "epochs": epochs}})  # fmt: skip
    live_models.write_meta(folder, live)  # last: list_live() sees the folder only once it is complete
    live_models.prune(keep=live.name)  # bounded count and disk, oldest first; registers the new entry
    progress.done, progress.test_accuracy, progress.checkpoint, progress.entry = True, test_acc, str(folder), live.name
    report(progress)
