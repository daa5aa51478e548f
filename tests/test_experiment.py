"""The class experiment (core.training.experiment) end to end on tiny models: several simulated students submit
values, the runs train in the order they came, only the instructor manages it, the chart's data and the CSV hold
every finished run, and a restart reloads the finished table (nothing queued or half-written)."""

from __future__ import annotations

import csv
import io
import json
import time

import pytest

from core.runtime.messages import UserError
from core.training import experiment as ex
from core.training import live

SMALL = {"tiny": True, "train_samples": 256, "test_samples": 256}


def wait_idle(hub: ex.ExperimentHub, timeout_s: float = 240) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        _, exp, _ = hub.snapshot()
        if exp is None or not any(r.status in ("queued", "running") for r in exp.runs):
            return
        time.sleep(0.2)
    raise AssertionError("the experiment's queue did not drain")


@pytest.fixture
def hub(tmp_path, monkeypatch):
    monkeypatch.delenv(ex.KEY_ENV, raising=False)
    h = ex.ExperimentHub(tmp_path / "state")
    yield h
    wait_idle(h)


def test_class_experiment_end_to_end(hub, tmp_path):
    hub.open("lr", owner="teacher", **SMALL)
    with pytest.raises(ex.ExperimentBusy) as busy:  # two experiments not at once, said in both languages
        hub.open("epochs", owner="student-a", **SMALL)
    assert "one experiment at a time" in str(busy.value).lower() and busy.value.vi

    # The slot is held (as by a live run) while the students submit: nothing trains yet, the queue fills in order.
    assert live.slot.acquire(timeout=30)
    try:
        values = {"student-a": "0.001", "student-b": "0,01", "student-c": "0.1", "student-d": "0.0003"}
        for owner, value in values.items():
            hub.submit(value, owner=owner, who=owner.replace("-", " "))
        changed = hub.submit("0.003", owner="student-d", who="student d")  # still queued: the value is replaced
        assert changed.id == 4 and changed.value == 0.003
        with pytest.raises(UserError):  # not a number: refused, nothing queued
            hub.submit("abc", owner="student-e")
        for who in ("student-a", None):
            with pytest.raises(ex.NotInstructor):
                hub.close(owner=who)
            with pytest.raises(ex.NotInstructor):
                hub.reset(owner=who)
        run, ahead = hub.queue_position("student-c")
        assert run.id == 3 and ahead == 2  # two runs train before it
    finally:
        live.slot.release()
    wait_idle(hub)
    with pytest.raises(UserError):  # after theirs ran, still one per student
        hub.submit("0.5", owner="student-a")
    hub.close(owner="teacher")
    with pytest.raises(ex.ExperimentError):  # closed: no more submissions
        hub.submit("0.2", owner="student-z")

    _, exp, _ = hub.snapshot()
    runs = exp.runs
    assert [r.owner for r in runs] == ["student-a", "student-b", "student-c", "student-d"]
    assert [r.value for r in runs] == [0.001, 0.01, 0.1, 0.003]
    assert all(r.status in ("done", "diverged") for r in runs), [r.status for r in runs]
    finished = [r.finished for r in runs]
    assert finished == sorted(finished), "runs did not train in the order they were submitted"
    assert all(len(r.points) >= 2 and r.points[-1][0] == pytest.approx(1.0) for r in runs if r.status == "done")

    curves, scatter = ex.chart_rows(exp)
    done = [r for r in runs if r.status == "done"]
    assert {c["run"] for c in curves} == {r.id for r in runs if r.points}
    assert sorted((s["run"], s["value"], s["accuracy"]) for s in scatter) == sorted(
        (r.id, r.value, r.test_accuracy) for r in done
    )
    assert all(0.0 <= s["accuracy"] <= 1.0 for s in scatter)

    rows = list(csv.DictReader(io.StringIO(hub.csv_text())))
    assert [row["student"] for row in rows] == ["student a", "student b", "student c", "student d"]
    assert [float(row["lr"]) for row in rows] == [0.001, 0.01, 0.1, 0.003]
    for row, r in zip(rows, runs):
        assert row["status"] == r.status
        if r.test_accuracy is not None:
            assert float(row["test_accuracy"]) == pytest.approx(r.test_accuracy, abs=1e-4)

    image = ex.draw_chart(exp, own_run=2, lang="vi")
    assert image.size[0] > 600 and len(set(image.getdata())) > 20  # something was drawn, not a blank canvas

    # A restart: a new hub on the same folder shows the same finished table, closed, with nobody as instructor.
    again = ex.ExperimentHub(hub.root)
    _, reloaded, _ = again.snapshot()
    assert not reloaded.is_open and reloaded.instructor is None
    assert [(r.id, r.value, r.status, r.test_accuracy) for r in reloaded.runs] == [
        (r.id, r.value, r.status, r.test_accuracy) for r in runs
    ]
    assert again.csv_text() == hub.csv_text()
    assert again.exportable(owner="anyone") is again.experiment  # nobody's session survived: anyone may export
    with pytest.raises(ex.NotInstructor):
        again.reset(owner="anyone")
    again.open("batch_size", owner="teacher-2", **SMALL)  # after a restart a new experiment can be opened


def test_unfinished_runs_are_not_kept_and_reset_drops_the_queue(hub):
    hub.open("width", owner="teacher", **SMALL)
    assert live.slot.acquire(timeout=30)
    try:
        hub.submit("4", owner="s1", who="An")
        hub.submit("8", owner="s2", who="Binh")
        on_disk = json.loads((hub.root / ex.STATE_FILE).read_text())
        assert on_disk["runs"] == []  # queued runs are not written: a restart would show nothing half-done
        assert ex.ExperimentHub(hub.root).experiment.runs == []
        with pytest.raises(ex.NotInstructor):
            hub.reset(owner="s1")
        assert hub.reset(owner="teacher") == 2
    finally:
        live.slot.release()
    time.sleep(1.5)  # the worker sees the reset and drops the run it was waiting to train
    _, exp, _ = hub.snapshot()
    assert exp is None and not (hub.root / ex.STATE_FILE).exists()


def test_instructor_key(hub, monkeypatch):
    monkeypatch.setenv(ex.KEY_ENV, "s3cret")
    with pytest.raises(ex.NotInstructor):
        hub.open("lr", owner="student", **SMALL)
    with pytest.raises(ex.NotInstructor):
        hub.open("lr", owner="student", key="guess", **SMALL)
    hub.open("architecture", owner="laptop", key="s3cret", **SMALL)
    with pytest.raises(ex.NotInstructor):
        hub.close(owner="student", key="guess")
    hub.close(owner="phone", key="s3cret")  # the key works from another session (the instructor's phone)
    assert hub.reset(owner="phone", key="s3cret") == 0


@pytest.mark.parametrize(
    ("variable", "raw", "expected"),
    [("lr", "0,01", 0.01), ("lr", "1e-3", 0.001), ("epochs", 2, 2), ("architecture", "mlp", "mlp")],
)
def test_values_parsed(variable, raw, expected):
    assert ex.parse_value(variable, raw) == expected


@pytest.mark.parametrize(
    ("variable", "raw"), [("lr", "fast"), ("lr", "5"), ("epochs", "1.5"), ("batch_size", 0), ("architecture", "x")]
)
def test_bad_values_refused_in_both_languages(variable, raw):
    with pytest.raises(UserError) as err:
        ex.parse_value(variable, raw)
    assert err.value.vi and "Traceback" not in str(err.value)


def test_damaged_state_file_starts_empty(tmp_path):
    (tmp_path / ex.STATE_FILE).write_text('{"id": "x", "variable": ')  # cut short by hand (a write is atomic)
    (tmp_path / ".experiment_leftover").write_text("half")
    assert ex.ExperimentHub(tmp_path).experiment is None
