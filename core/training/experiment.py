"""A class experiment: one setting varies, everything else is fixed, and each student submits one value of it.

The instructor opens an experiment (the model, the data and the budget fixed; one variable free: the learning rate,
the number of epochs, the batch size, the width of SimpleCNN, or the architecture). Each student submits one value;
runs wait in a bounded first-come queue and train one at a time in a worker thread, on a small budget (one epoch on
1,500 Fashion-MNIST images by default, scored on 1,000 test images), so that a class of 30 is served in minutes.

Reuse, not a second trainer: a run takes the live tab's one training slot (core.training.live's lock, so a live run
and an experiment run never share the two cores), its cached data set, its per-visitor cooldown, and trains with the
one loop (core.training.loop). Unlike a live run it saves no model: only its numbers (loss curve, test accuracy).

What a class does to it:
- a student closes the tab: the run is the server's, not the page's, so a queued run still trains and appears in
  the chart (the student's own highlight is tied to their page session, so a new tab no longer highlights it);
- a second experiment while one is open is refused (ExperimentBusy), with who opened which;
- the app restarts: finished runs are written to one JSON file atomically (a temporary file renamed over it) after
  each run, and reloaded as a closed experiment; queued or running runs were not finished, so they are not shown.

Who is the instructor: the page session that opened the experiment, or anyone who types the key set in the
EXPERIMENT_KEY environment variable (when it is set, opening needs the key too). Nobody else can close, reset or
export it; students only submit (one value each) and watch.
"""

from __future__ import annotations

import csv
import hmac
import io
import json
import logging
import math
import os
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from core.runtime.messages import Bilingual, UserError
from core.training import live
from core.training.live_models import clean_name

KEY_ENV = "EXPERIMENT_KEY"
STATE_FILE = "experiment.json"
MAX_RUNS = 40  # a class of 30 and a few more; the queue refuses the 41st
TRAIN_SAMPLES = 1500  # each run's training images (the same first images of one fixed shuffle for everyone)
TEST_SAMPLES = 1000  # held-out test images each run is scored on
RUN_BUDGET_S = 60.0  # a run still training after this is stopped and recorded as such (the machine got busier)
POINTS_PER_EPOCH = 10

MODELS = live.LIVE_MODELS  # the architectures a run may use: the live tab's small ones


@dataclass(frozen=True)
class Variable:
    key: str
    name: Bilingual
    kind: str  # "float", "int" or "choice"
    low: float = 0.0
    high: float = 0.0
    log: bool = False  # drawn on a log axis (the learning rate)


VARIABLES: dict[str, Variable] = {
    v.key: v
    for v in (
        Variable("lr", Bilingual("learning rate", "tốc độ học (learning rate)"), "float", 1e-5, 1.0, log=True),
        Variable("epochs", Bilingual("epochs", "số epoch"), "int", 1, 3),
        Variable("batch_size", Bilingual("batch size", "kích thước lô (batch size)"), "int", 8, 256),
        Variable(
            "width",
            Bilingual("SimpleCNN width (first block's channels)", "độ rộng SimpleCNN (số kênh khối đầu)"),
            "int",
            2,
            64,
        ),  # fmt: skip
        Variable("architecture", Bilingual("architecture", "kiến trúc"), "choice"),
    )
}
BASE = {"model": "simple_cnn", "lr": None, "epochs": 1, "batch_size": 64, "width": None}  # None: the model's own


class ExperimentError(UserError, RuntimeError):
    title = Bilingual("Class experiment", "Thí nghiệm cả lớp")


class ExperimentBusy(ExperimentError):
    title = Bilingual("An experiment is already open", "Đang có một thí nghiệm")


class NotInstructor(ExperimentError):
    title = Bilingual("Only the instructor", "Chỉ giảng viên")


@dataclass
class Run:
    id: int
    owner: str | None  # the page session that submitted it (the same identity as a live run's)
    who: str  # the name the student typed, cleaned (shown to everyone)
    value: float | int | str
    status: str = "queued"  # queued, running, done, diverged, stopped
    submitted: float = 0.0
    seconds: float | None = None  # training + scoring time
    finished: float | None = None  # time.time() when it ended (done, diverged or stopped)
    test_accuracy: float | None = None
    points: list[list[float]] = field(default_factory=list)  # [epochs so far, train loss] every few batches

    def label(self) -> str:
        return f"#{self.id} {self.who or '?'}: {format_value(self.value)}"


@dataclass
class Experiment:
    id: str
    variable: str
    model: str
    opened: float
    instructor: str | None  # the opener's page session
    train_samples: int = TRAIN_SAMPLES
    test_samples: int = TEST_SAMPLES
    tiny: bool = False
    is_open: bool = True
    runs: list[Run] = field(default_factory=list)

    @property
    def var(self) -> Variable:
        return VARIABLES[self.variable]


def format_value(value, lang: str = "en") -> str:
    """0.001 (English), 0,001 (Vietnamese writes a decimal comma)."""
    if isinstance(value, float):
        return f"{value:g}".replace(".", ",") if lang == "vi" else f"{value:g}"
    return str(value)


def allowed_values(variable: str) -> Bilingual:
    """What a student may submit for `variable`, said in both languages."""
    var = VARIABLES[variable]
    if var.kind == "choice":
        return Bilingual(f"one of: {', '.join(MODELS)}", f"một trong: {', '.join(MODELS)}")
    kind = ("a whole number", "số nguyên") if var.kind == "int" else ("a number", "số")
    low, high = format_value(float(var.low)), format_value(float(var.high))
    return Bilingual(
        f"{kind[0]} from {low} to {high}", f"{kind[1]} từ {low.replace('.', ',')} đến {high.replace('.', ',')}"
    )


def parse_value(variable: str, raw: object):
    """A student's value, checked (InputError in both languages on nonsense)."""
    from core.runtime.inputs import choice, number

    var = VARIABLES[variable]
    label = (str(var.name).capitalize(), var.name.vi.capitalize())
    if var.kind == "choice":
        return choice(raw, MODELS, label)
    if isinstance(raw, str):
        raw = raw.strip().replace(",", ".")  # "0,01" as Vietnamese writes it
        try:
            raw = float(raw)
        except ValueError:
            pass  # number() says what is wrong, in both languages
    value = number(raw, label, var.low, var.high, integer=var.kind == "int")
    return int(value) if var.kind == "int" else float(value)


def state_root() -> Path:
    """Where the experiment's table is kept: inside the live models' folder (checkpoints/live/class_experiment,
    which git ignores; under the tiny profile a temporary folder), never mistaken for a model (no live_ prefix)."""
    from core.catalog.weights import checkpoint_dir
    from core.training.live_models import live_root

    # A CHECKPOINT_DIR of its own (each test app has one) keeps the table there even under the tiny profile, so
    # that two tiny servers on one machine do not share one experiment file.
    base = checkpoint_dir() / "live" if os.environ.get("CHECKPOINT_DIR") else live_root()
    return base / "class_experiment"


class ExperimentHub:
    """The one experiment of this server (at most one open at a time), its queue and its worker thread."""

    def __init__(self, root: Path | None = None):
        self.root = Path(root) if root is not None else state_root()
        self._lock = threading.RLock()
        self._wake = threading.Condition(self._lock)
        self.experiment: Experiment | None = None
        self.version = 0  # changes whenever what the chart shows changes (a run finished, opened, reset)
        self.progress = ""  # the running run's step, for the status line ("" when none)
        self._worker: threading.Thread | None = None
        self._generation = 0  # bumped by reset/open: a run of an older generation is dropped when it ends
        self._load()

    # ---- who may do what -------------------------------------------------------------------------------------
    @staticmethod
    def key_matches(key: object) -> bool:
        expected = os.environ.get(KEY_ENV, "")
        return bool(expected) and isinstance(key, str) and hmac.compare_digest(key.strip(), expected)

    def is_instructor(self, owner: str | None, key: object = None) -> bool:
        if self.key_matches(key):
            return True
        exp = self.experiment
        return exp is not None and owner is not None and exp.instructor == owner

    def _require_instructor(self, owner, key) -> Experiment:
        exp = self.experiment
        if exp is None:
            raise ExperimentError("No experiment is open.", "Chưa có thí nghiệm nào được mở.")
        if not self.is_instructor(owner, key):
            raise NotInstructor(
                "Only the instructor who opened this experiment (or who has the instructor key) can do this.",
                "Chỉ giảng viên đã mở thí nghiệm này (hoặc có mã giảng viên) mới làm được việc này.",
            )
        return exp

    def exportable(self, owner: str | None, key: object = None) -> Experiment:
        """The experiment to export for this visitor: the instructor's, or, after a restart (when nobody's session
        survived), anyone's: its table is on everyone's screen anyway."""
        exp = self.experiment
        if exp is not None and exp.instructor is None and not exp.is_open:
            return exp
        return self._require_instructor(owner, key)

    # ---- the instructor's actions ----------------------------------------------------------------------------
    def open(
        self,
        variable: str,
        model: str = "simple_cnn",
        *,
        owner: str | None,
        key: object = None,
        tiny: bool = False,
        train_samples: int = TRAIN_SAMPLES,
        test_samples: int = TEST_SAMPLES,
    ) -> Experiment:
        if variable not in VARIABLES:
            raise ExperimentError(f"Unknown variable {variable!r}.", f"Không có biến {variable!r}.")
        if model not in MODELS:
            raise ExperimentError(f"Unknown model {model!r}.", f"Không có mô hình {model!r}.")
        if os.environ.get(KEY_ENV) and not self.key_matches(key):
            raise NotInstructor(
                "Opening an experiment needs the instructor key on this server.",
                "Máy chủ này cần mã giảng viên để mở thí nghiệm.",
            )
        with self._lock:
            exp = self.experiment
            if exp is not None and exp.is_open:
                when = time.strftime("%H:%M", time.localtime(exp.opened))
                raise ExperimentBusy(
                    f"An experiment on the {exp.var.name} is already open (since {when}). One experiment at a time: "
                    "its instructor closes it first.",
                    f"Đang có một thí nghiệm về {exp.var.name.vi} (mở từ {when}). Mỗi lúc chỉ một thí nghiệm: giảng "
                    "viên đã mở nó cần đóng nó trước.",
                )
            self._generation += 1
            self.experiment = Experiment(
                id=time.strftime("%Y%m%d_%H%M%S"),
                variable=variable,
                model=model,
                opened=time.time(),
                instructor=owner,
                train_samples=int(train_samples),
                test_samples=int(test_samples),
                tiny=tiny,
            )
            self._changed()
            return self.experiment

    def close(self, *, owner: str | None, key: object = None) -> None:
        """No new submissions; runs already queued still train (they were accepted)."""
        with self._lock:
            exp = self._require_instructor(owner, key)
            exp.is_open = False
            self._changed()

    def reset(self, *, owner: str | None, key: object = None) -> int:
        """Forget the experiment and its table (export it first); queued runs are dropped, a running one stops
        after its current batch. Returns how many runs were dropped or forgotten."""
        with self._lock:
            exp = self._require_instructor(owner, key)
            self._generation += 1
            self.experiment = None
            self.progress = ""
            self._changed()
            return len(exp.runs)

    # ---- the students' action --------------------------------------------------------------------------------
    def submit(self, raw_value: object, *, owner: str | None, who: object = "") -> Run:
        """Queue one run for this visitor (one per visitor and experiment; a still-queued value is replaced)."""
        from core.runtime.inputs import text

        name = clean_name(text(who, ("Your name", "Tên bạn"), 1000))
        with self._lock:
            exp = self.experiment
            if exp is None or not exp.is_open:
                raise ExperimentError(
                    "No experiment is open right now: wait for the instructor to open one.",
                    "Hiện chưa có thí nghiệm nào đang mở: hãy chờ giảng viên mở.",
                )
            value = parse_value(exp.variable, raw_value)
            wait = live.cooldown_left_s(owner)  # the live tab's per-visitor cooldown applies here too
            if wait > 0:
                raise live.TrainingCoolDown(
                    f"Your last live run was stopped by the time budget; you can submit in about {wait:.0f} s.",
                    f"Lượt huấn luyện trước của bạn bị dừng vì hết giờ; bạn có thể gửi sau khoảng {wait:.0f} giây.",
                )
            mine = [r for r in exp.runs if owner is not None and r.owner == owner]
            if mine and mine[-1].status == "queued":  # changed their mind before it ran: replace the value
                mine[-1].value, mine[-1].who = value, name or mine[-1].who
                self._changed()
                return mine[-1]
            if mine:
                raise ExperimentError(
                    "You already have a run in this experiment: one value per student.",
                    "Bạn đã có một lượt trong thí nghiệm này: mỗi người học một giá trị.",
                )
            if len(exp.runs) >= MAX_RUNS:
                raise ExperimentError(
                    f"This experiment is full ({MAX_RUNS} runs).",
                    f"Thí nghiệm này đã đủ {MAX_RUNS} lượt.",
                )
            run = Run(id=len(exp.runs) + 1, owner=owner, who=name, value=value, submitted=time.time())
            exp.runs.append(run)
            self._changed()
            self._start_worker()
            return run

    # ---- what everybody sees ---------------------------------------------------------------------------------
    def snapshot(self) -> tuple[int, Experiment | None, str]:
        """(version, a deep copy of the experiment or None, the running run's progress line)."""
        import copy

        with self._lock:
            return self.version, copy.deepcopy(self.experiment), self.progress

    def queue_position(self, owner: str | None) -> tuple[Run | None, int]:
        """This visitor's run and how many runs train before it (0 when it is running or finished)."""
        with self._lock:
            exp = self.experiment
            if exp is None or owner is None:
                return None, 0
            queued = [r for r in exp.runs if r.status in ("queued", "running")]
            for r in exp.runs:
                if r.owner == owner:
                    ahead = queued.index(r) if r.status == "queued" else 0
                    return r, ahead
            return None, 0

    def csv_text(self) -> str:
        """The table as CSV (one row per run, finished or not), for a spreadsheet."""
        _, exp, _ = self.snapshot()
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["run", "student", exp.variable if exp else "value", "status", "test_accuracy", "seconds",
                         "final_train_loss", "model", "train_images", "test_images"])  # fmt: skip
        for r in exp.runs if exp else []:
            model = r.value if exp.variable == "architecture" else exp.model
            writer.writerow([r.id, r.who, format_value(r.value), r.status,
                             "" if r.test_accuracy is None else f"{r.test_accuracy:.4f}",
                             "" if r.seconds is None else f"{r.seconds:.1f}",
                             f"{r.points[-1][1]:.4f}" if r.points else "", model, exp.train_samples,
                             exp.test_samples])  # fmt: skip
        return out.getvalue()

    # ---- persistence -----------------------------------------------------------------------------------------
    def _changed(self) -> None:
        self.version += 1
        self._save()

    def _save(self) -> None:
        """Write only what is finished (runs done, diverged or stopped) to the state file, atomically: a crash
        mid-write leaves the previous file, never half a table."""
        exp = self.experiment
        path = self.root / STATE_FILE
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            if exp is None:
                path.unlink(missing_ok=True)
                return
            data = asdict(exp)
            data["runs"] = [asdict(r) for r in exp.runs if r.status not in ("queued", "running")]
            fd, tmp = tempfile.mkstemp(prefix=".experiment_", dir=self.root)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(data, f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except OSError:
            pass  # a full or read-only disk: the class goes on; only the restart copy is older

    def _load(self) -> None:
        path = self.root / STATE_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            runs = [Run(**r) for r in data.pop("runs", [])]
            exp = Experiment(**data, runs=runs)
        except (OSError, ValueError, TypeError, KeyError):
            return  # no file, or not ours: start empty
        # After a restart nobody's session survives and nothing is queued: the table is there to look at and export.
        exp.is_open, exp.instructor = False, None
        self.experiment = exp

    # ---- the worker ------------------------------------------------------------------------------------------
    def _start_worker(self) -> None:
        if self._worker is None or not self._worker.is_alive():
            self._worker = threading.Thread(target=self._work, name="class-experiment", daemon=True)
            self._worker.start()

    def _next(self) -> tuple[Run, Experiment, int] | None:
        with self._lock:
            exp = self.experiment
            if exp is None:
                return None
            run = next((r for r in exp.runs if r.status == "queued"), None)
            if run is None:
                return None
            run.status = "running"
            self.version += 1
            return run, exp, self._generation

    def _work(self) -> None:
        while (job := self._next()) is not None:
            run, exp, generation = job
            # The live tab's one slot: wait while a live run holds it (checked each second: a reset drops this run).
            while not live.slot.acquire(timeout=1.0):
                self.progress = Bilingual(
                    f"#{run.id} waits for the live training in progress to end",
                    f"#{run.id} chờ lượt huấn luyện trực tiếp đang chạy kết thúc",
                )
                if generation != self._generation:
                    break
            else:
                try:
                    live.cancel_event.clear()
                    model = run.value if exp.variable == "architecture" else exp.model
                    # What the live tab's activity line says, in words that need no translation.
                    live.in_progress.update(who=run.who, model=f"{model} · {exp.variable}={format_value(run.value)}",
                                         since=time.time(), fraction=0.0, owner=run.owner)  # fmt: skip
                    self._train(run, exp, generation)
                except UserError as exc:  # diverged (a learning rate too high): a result, shown as such
                    run.status = "diverged" if "diverge" in type(exc).__name__.lower() else "stopped"
                except Exception:  # a bug or a missing file: the class goes on, the instructor's log says why
                    logging.getLogger(__name__).exception("class experiment run #%s failed", run.id)
                    run.status = "stopped"
                finally:
                    live.in_progress.clear()
                    live.slot.release()
            with self._lock:
                self.progress = ""
                run.finished = time.time()
                if generation == self._generation:
                    self._changed()

    def _train(self, run: Run, exp: Experiment, generation: int) -> None:
        import torch

        from core.catalog import ZOO, build_architecture
        from core.training import loop

        data = live.training_data("fashion_mnist")
        model_name = run.value if exp.variable == "architecture" else exp.model
        entry = next(z for z in ZOO if z.name == model_name)
        settings = dict(BASE, model=model_name)
        if exp.variable in ("lr", "epochs", "batch_size", "width"):
            settings[exp.variable] = run.value
        args = {"num_classes": len(data.labels), **entry.model_args, **(entry.tiny_args if exp.tiny else {})}
        if settings["width"] and entry.name == "simple_cnn":
            w = int(settings["width"])
            args["channels"] = (w, 2 * w, 4 * w)
        default_lr = (
            0.01 if entry.name == "softmax" else (3e-4 if "vit" in entry.name or "transformer" in entry.name else 1e-3)
        )  # fmt: skip  (live training's defaults)
        lr, epochs, batch = settings["lr"] or default_lr, int(settings["epochs"]), int(settings["batch_size"])
        gen = torch.Generator().manual_seed(0)
        order = torch.randperm(len(data.train_y), generator=gen)
        norm = data.preprocess.normalise
        train = loop.TensorBatches(data.train_x, data.train_y, batch, norm, gen, augment=True,
                                   indices=order[: exp.train_samples])  # fmt: skip
        test = loop.TensorBatches(data.test_x[: exp.test_samples], data.test_y[: exp.test_samples],
                                  loop.EVAL_BATCH_SIZE, norm)  # fmt: skip
        torch.manual_seed(0)
        model = build_architecture(entry.arch, **args)
        optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
        steps = len(train)
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs * steps)
        every = max(1, steps // POINTS_PER_EPOCH)
        began = time.monotonic()
        deadline = began + RUN_BUDGET_S
        window = {"n": 0, "loss": 0.0}

        def on_batch(b: loop.BatchReport, epoch: int) -> None:
            window["n"] += 1
            window["loss"] += b.loss
            if b.step % every == 0 or b.step == steps:
                run.points.append([round(epoch - 1 + b.step / steps, 4), window["loss"] / window["n"]])
                window.update(n=0, loss=0.0)
            done = ((epoch - 1) * steps + b.step) / (epochs * steps)
            live.in_progress["fraction"] = done
            self.progress = Bilingual(
                f"#{run.id} {run.who}: {100 * done:.0f}%", f"#{run.id} {run.who}: {100 * done:.0f}%"
            )

        for epoch in range(1, epochs + 1):
            result = loop.train_one_epoch(
                model, train, optimizer, scheduler,
                on_batch=lambda b, e=epoch: on_batch(b, e),
                # A reset, the run's budget, or its owner pressing the live tab's Stop (live.request_cancel checks
                # that the visitor is this run's owner, as for a live run).
                should_stop=lambda: generation != self._generation or time.monotonic() > deadline
                or live.cancel_event.is_set(),
            )  # fmt: skip
            if result.stopped:
                run.status = "stopped"
                return
        accuracy = loop.evaluate(model, test, labels=data.labels)["accuracy"]
        run.seconds = time.monotonic() - began
        run.test_accuracy = float(accuracy) if math.isfinite(accuracy) else None
        run.status = "done"


_hub: ExperimentHub | None = None
_hub_lock = threading.Lock()


def hub() -> ExperimentHub:
    """The server's one experiment hub, created (and its table reloaded from disk) on first use."""
    global _hub
    with _hub_lock:
        if _hub is None:
            _hub = ExperimentHub()
        return _hub


def _colours(var: Variable, values: list):
    """A colour per value: along viridis for numbers (on a log scale for the learning rate), one colour per
    architecture for a choice; the returned function carries `norm` and `cmap` for a colour bar."""
    import matplotlib
    from matplotlib.colors import LogNorm, Normalize

    cmap = matplotlib.colormaps["viridis"]
    if var.kind == "choice":
        names = sorted(set(values))
        tab = matplotlib.colormaps["tab10"]

        def pick(v):
            return tab(names.index(v) % 10)

        pick.norm, pick.cmap = None, tab
        return pick
    lo, hi = (min(values), max(values)) if values else (1, 2)
    hi = hi if hi > lo else lo * 1.01 + 1e-9
    norm = LogNorm(lo, hi) if var.log else Normalize(lo, hi)

    def pick(v):
        return cmap(0.9 * norm(v))  # not the palest yellow

    pick.norm, pick.cmap = norm, matplotlib.colors.ListedColormap(cmap(np_linspace(0, 0.9)))
    return pick


def np_linspace(a: float, b: float, n: int = 256) -> list[float]:
    return [a + (b - a) * i / (n - 1) for i in range(n)]


def _log_ticks(axis, values: list) -> None:
    """Readable labels on a log axis: powers of ten over a wide range, 1-2-5 steps within two decades (Matplotlib's
    default labels 2x10^-3, 3x10^-3... on top of each other, or only one label)."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    lo, hi = (min(values), max(values)) if values else (1.0, 10.0)
    axis.set_minor_formatter(NullFormatter())
    if hi / max(lo, 1e-12) < 100:
        axis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))


def chart_rows(exp: Experiment | None) -> tuple[list[dict], list[dict]]:
    """What the chart draws, as data: (loss curve points, one per finished run's point; accuracy points, one per
    finished run), each row naming its run. Runs still queued or running are not drawn (their numbers would move)."""
    curves, scatter = [], []
    for r in exp.runs if exp else []:
        if r.status not in ("done", "diverged", "stopped"):
            continue
        curves += [{"run": r.id, "who": r.who, "epoch": x, "loss": loss} for x, loss in r.points]
        if r.status == "done" and r.test_accuracy is not None:
            scatter.append({"run": r.id, "who": r.who, "value": r.value, "accuracy": r.test_accuracy})
    return curves, scatter


def draw_chart(exp: Experiment | None, own_run: int | None = None, lang: str = "en"):
    """The shared chart as a PIL image: every finished run's training-loss curve overlaid (the visitor's own, run
    `own_run`, thick and red), and final test accuracy against the chosen value (theirs a red star)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from PIL import Image

    vi = lang == "vi"
    curves, scatter = chart_rows(exp)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4), dpi=80)
    var = exp.var if exp else VARIABLES["lr"]
    var_name = var.name.vi if vi else str(var.name)
    runs = sorted({c["run"] for c in curves})
    value_of = {r.id: r.value for r in exp.runs} if exp else {}
    colour = _colours(var, [value_of[rid] for rid in runs] or [s["value"] for s in scatter])
    for rid in runs:
        pts = [c for c in curves if c["run"] == rid]
        mine = rid == own_run
        left.plot([p["epoch"] for p in pts], [p["loss"] for p in pts],
                  color="#d62728" if mine else colour(value_of[rid]),
                  linewidth=3 if mine else 1.2, alpha=1 if mine else 0.7, zorder=3 if mine else 2,
                  label=("của bạn" if vi else "yours") if mine else None)  # fmt: skip
    if runs and var.kind != "choice":  # which colour is which value: a colour bar beside the curves
        import matplotlib.cm as cm

        bar = fig.colorbar(cm.ScalarMappable(norm=colour.norm, cmap=colour.cmap), ax=left, pad=0.02)
        bar.set_label(var_name)
        if var.log:
            _log_ticks(bar.ax.yaxis, [value_of[rid] for rid in runs])
    left.set_xlabel("epoch (số lượt qua tập huấn luyện)" if vi else "epochs (passes over the training set)")
    left.set_ylabel("hàm mất mát huấn luyện" if vi else "training loss")
    left.set_title(f"{len(runs)} lượt: đường cong mất mát" if vi else f"{len(runs)} runs: loss curves")
    if own_run in runs:
        left.legend(loc="upper right")
    left.grid(alpha=0.3)
    if var.kind == "choice":
        names = sorted({s["value"] for s in scatter})
        xs = [names.index(s["value"]) for s in scatter]
        right.set_xticks(range(len(names)), names, rotation=20)
        right.set_xlim(-0.5, len(names) - 0.5)
    else:
        xs = [s["value"] for s in scatter]
        if var.log:
            right.set_xscale("log")
            _log_ticks(right.xaxis, xs)
    ys = [100 * s["accuracy"] for s in scatter]
    right.scatter(xs, ys, color=[colour(s["value"]) for s in scatter], s=40, alpha=0.85, zorder=2)
    own = [(x, y) for x, y, s in zip(xs, ys, scatter) if s["run"] == own_run]
    if own:
        right.scatter([own[0][0]], [own[0][1]], color="#d62728", marker="*", s=260, zorder=3,
                      label="của bạn" if vi else "yours")  # fmt: skip
        right.legend(loc="best")
    right.set_xlabel(var_name)
    right.set_ylabel("độ chính xác kiểm tra (%)" if vi else "test accuracy (%)")
    right.set_title("độ chính xác cuối theo giá trị đã chọn" if vi else "final accuracy against the chosen value")
    right.set_ylim(0, 100)
    right.grid(alpha=0.3)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    buf.seek(0)
    return Image.open(buf).convert("RGB")


def main(argv: list[str] | None = None) -> None:
    """Time a class: `python -m core.training.experiment --students 30` opens a learning-rate experiment in a
    temporary folder, submits one value per simulated student (log-spaced from 1e-4 to 3e-2), and prints each run's
    seconds and accuracy, the whole class's time and the machine's load. `--keep DIR` keeps the table there."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--keep", default=None, help="folder for the table (default: a temporary one)")
    args = parser.parse_args(argv)
    h = ExperimentHub(Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="experiment_timing_")))
    h.open("lr", owner="instructor")
    began = time.monotonic()
    live.training_data("fashion_mnist")
    loaded = time.monotonic() - began
    n = max(args.students, 1)
    values = [round(10 ** (-4 + 2.5 * i / max(n - 1, 1)), 6) for i in range(n)]
    began = time.monotonic()
    for i, v in enumerate(values):
        h.submit(v, owner=f"student-{i + 1}", who=f"Student {i + 1}")
    while any(r.status in ("queued", "running") for r in h.snapshot()[1].runs):
        time.sleep(0.5)
    total = time.monotonic() - began
    _, exp, _ = h.snapshot()
    for r in exp.runs:
        acc = "" if r.test_accuracy is None else f"{100 * r.test_accuracy:.1f}%"
        print(f"run {r.id:2d}  lr {format_value(r.value):>8}  {r.status:8}  {r.seconds or 0:5.1f} s  {acc}")
    secs = [r.seconds for r in exp.runs if r.seconds]
    print(f"data set loaded once in {loaded:.1f} s; {len(exp.runs)} runs in {total:.0f} s "
          f"({total / len(exp.runs):.1f} s per run from submission to result; training+scoring "
          f"{min(secs):.1f}-{max(secs):.1f} s, median {sorted(secs)[len(secs) // 2]:.1f} s)")  # fmt: skip
    print("load average:", " ".join(f"{x:.2f}" for x in os.getloadavg()), f"({os.cpu_count()} CPUs)")
    print(f"table: {h.root / STATE_FILE}")


if __name__ == "__main__":
    main()
