"""demo/ui/errors.py's decorator on streaming handlers, and the live tab's errors through it."""

from __future__ import annotations

import inspect
import threading

import gradio as gr
import pytest

from core.runtime.inputs import InputError
from core.training import live as live_training
from demo.ui.errors import shows_user_errors

VI = gr.Request(headers={"accept-language": "vi-VN,vi;q=0.9"}, cookies={})
EN = gr.Request(headers={"accept-language": "en-US,en;q=0.9"}, cookies={})


def test_a_generator_handler_stays_a_generator_and_its_errors_are_translated():
    """A UserError raised inside a generator's body surfaces only while Gradio iterates: the decorator must
    translate it there, and hand Gradio a generator function (Gradio streams only from those)."""

    @shows_user_errors
    def stream(n, request: gr.Request | None = None):
        yield 1
        if n > 1:
            raise InputError(f"bad {n}", f"sai {n}")
        yield 2
        return "finished"

    assert inspect.isgeneratorfunction(stream) and stream.__name__ == "stream"
    assert list(stream(1, request=VI)) == [1, 2]
    run = stream(2, VI)  # nothing runs before the first next(), as with the undecorated generator
    assert next(run) == 1
    with pytest.raises(gr.Error) as exc:
        next(run)
    assert exc.value.message == "sai 2" and exc.value.title == "Giá trị không hợp lệ"
    with pytest.raises(StopIteration) as done:  # the generator's return value reaches the caller too
        gen = stream(1, EN)
        next(gen), next(gen), next(gen)
    assert done.value.value == "finished"
    closed = stream(2, EN)
    next(closed)
    closed.close()  # a visitor who leaves: close() reaches the inner generator, no error


def test_a_plain_handler_is_unchanged():
    @shows_user_errors
    def handler(value, request: gr.Request | None = None):
        if value:
            raise InputError("bad", "sai")
        return "ok"

    assert not inspect.isgeneratorfunction(handler) and handler(0, EN) == "ok"
    with pytest.raises(gr.Error, match="bad"):
        handler(1, request=EN)


def _first_error(gen) -> gr.Error:
    with pytest.raises(gr.Error) as exc:
        next(gen)
    return exc.value


def test_the_live_tabs_refusals_reach_the_visitor_through_the_decorator(monkeypatch):
    from core.training.zoo_data import DatasetMissing
    from demo.tabs.live import run

    bad = _first_error(run("no_such_model", 2, 5000, "An", request=VI, profile="tiny"))
    assert bad.title == "Giá trị không hợp lệ"
    busy = threading.Lock()
    busy.acquire()
    monkeypatch.setattr(live_training, "slot", busy)
    monkeypatch.setattr(live_training, "in_progress", {"who": "Bình", "model": "mlp", "since": 0, "fraction": 0.5})
    slot = _first_error(run("mlp", 2, 5000, "An", request=VI, profile="tiny"))
    assert slot.title == "Đang có người huấn luyện" and "Bình" in slot.message
    monkeypatch.undo()

    def missing(dataset):
        raise DatasetMissing("Fashion-MNIST not found: run `x`", "Không tìm thấy Fashion-MNIST: chạy `x`", "x")

    monkeypatch.setattr(live_training, "training_data", missing)
    cases = ((VI, "Không có dữ liệu để huấn luyện", "Không tìm thấy"), (EN, "No data", "not found"))
    for request, title, text in cases:
        error = _first_error(run("mlp", 2, 5000, "An", request=request, profile="tiny"))
        assert title in error.title and text in error.message
    assert live_training.current_training() is None  # the failed run freed the slot


def test_a_missing_data_set_says_how_to_get_it_in_both_languages(tmp_path, monkeypatch):
    import torchvision.datasets

    from core.training import zoo_data

    def offline(*args, **kwargs):
        raise OSError("no network")

    monkeypatch.setattr(zoo_data, "DEBIAN_FASHION_MNIST", tmp_path / "absent")
    monkeypatch.setattr(torchvision.datasets, "FashionMNIST", offline)
    with pytest.raises(zoo_data.DatasetMissing) as exc:
        zoo_data.load_dataset("fashion_mnist", tmp_path)
    error = exc.value
    assert isinstance(error, RuntimeError)  # demo.prefetch and the train/ scripts catch it as before
    assert "python -m demo.prefetch fashion_mnist" in error.fix and "dataset-fashion-mnist" in error.fix
    # The visitor reads words (the live tab shows it); the command and where it looked are the instructor's.
    assert "Fashion-MNIST" in str(error) and "Fashion-MNIST" in error.vi
    assert "python -m" not in str(error) + error.vi and str(tmp_path) not in str(error) + error.vi
    assert str(tmp_path) in error.instructor_details() and error.fix in error.instructor_details()


def test_the_live_tab_keeps_what_gradio_injects():
    """The profile is bound (demo.ui.wiring.for_profile): Gradio must still find gr.Progress and gr.Request, and see a
    generator. Behind a bare functools.partial it would not see the request's type hint: no session (nobody could
    stop or delete their run) and English for everyone."""
    from gradio.helpers import special_args

    from demo.tabs.live import build_live_tab

    with gr.Blocks() as demo:
        build_live_tab("tiny")
    fn = next(f.fn for f in demo.fns.values() if f.concurrency_id == "live_training")
    assert inspect.isgeneratorfunction(fn)
    inputs, progress_index, _, _ = special_args(fn, ["simple_cnn", 2, 5000, "An"], request=VI)
    assert progress_index == 4 and inputs[5] is VI


def test_a_full_disk_reaches_the_visitor_as_words_and_other_bugs_stay_bugs():
    """Any handler's write that meets a full disk (errno 28, or a library's "os error 28" text) is a message in the
    visitor's language, without the OS's text or a path; any other exception propagates unchanged."""
    import errno

    @shows_user_errors
    def save(kind, request: gr.Request | None = None):
        if kind == "oserror":
            raise OSError(errno.ENOSPC, "No space left on device", "/srv/cache/x.bin")
        if kind == "library":
            raise RuntimeError("Error while serializing: IoError(Os { code: 28 ... }) (os error 28)")
        raise ValueError("a bug")

    for kind in ("oserror", "library"):
        with pytest.raises(gr.Error) as vi:
            save(kind, request=VI)
        assert "Ổ đĩa của máy chủ đã đầy" in vi.value.message and "/srv" not in vi.value.message
        with pytest.raises(gr.Error) as en:
            save(kind, request=EN)
        assert "disk is full" in en.value.message and "28" not in en.value.message
    with pytest.raises(ValueError, match="a bug"):
        save("bug", request=EN)
