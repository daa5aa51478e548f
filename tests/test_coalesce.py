"""core.runtime.coalesce and the task services that use it: identical requests share one computation (single
flight), repeats come from a bounded cache, different inputs never share an answer, errors are never stored."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image

from core.runtime.coalesce import CACHED, COMPUTED, JOINED, Coalescer, model_token, pixels_key

EXAMPLE = "examples/images/ten_lua.jpg"
CLASS = 30  # a class clicking the same example at once


def _slow(value, calls: list, delay: float = 0.05):
    def compute():
        calls.append(value)
        time.sleep(delay)  # long enough for the others to arrive while it runs
        return {"answer": value}

    return compute


def test_thirty_identical_requests_run_one_computation():
    coalescer, calls = Coalescer(8), []
    barrier = threading.Barrier(CLASS)

    def student(_):
        barrier.wait()
        return coalescer.run("same", _slow("same", calls))

    with ThreadPoolExecutor(CLASS) as pool:
        results = list(pool.map(student, range(CLASS)))
    assert calls == ["same"]
    assert all(value == {"answer": "same"} for value, _ in results)
    hows = [how for _, how in results]
    assert hows.count(COMPUTED) == 1 and set(hows) <= {COMPUTED, JOINED, CACHED}
    assert coalescer.computed == 1 and coalescer.joined + coalescer.hits == CLASS - 1
    assert coalescer.run("same", _slow("same", calls)) == ({"answer": "same"}, CACHED) and calls == ["same"]


def test_different_keys_do_not_share_and_run_side_by_side():
    coalescer, calls = Coalescer(64), []
    with ThreadPoolExecutor(10) as pool:
        results = list(pool.map(lambda i: coalescer.run(i, _slow(i, calls, 0.1)), range(10)))
    assert sorted(calls) == list(range(10)) and [v["answer"] for v, _ in results] == list(range(10))
    assert all(how == COMPUTED for _, how in results)


def test_errors_are_not_stored_and_waiters_compute_again():
    coalescer, calls = Coalescer(8), []

    def failing():
        calls.append(1)
        time.sleep(0.05)
        if len(calls) == 1:
            raise RuntimeError("transient")
        return "ok"

    barrier = threading.Barrier(5)

    def student(_):
        barrier.wait()
        try:
            return coalescer.run("k", failing)[0]
        except RuntimeError as exc:
            return str(exc)

    with ThreadPoolExecutor(5) as pool:
        answers = list(pool.map(student, range(5)))
    # The first computation failed for its own caller only; one retry served everyone else.
    assert answers.count("transient") == 1 and answers.count("ok") == 4 and len(calls) == 2
    assert len(coalescer) == 1 and coalescer.run("k", failing) == ("ok", CACHED)
    with pytest.raises(ValueError):
        coalescer.run("bad", lambda: (_ for _ in ()).throw(ValueError("no")))
    assert len(coalescer) == 1  # the failure left nothing behind


def test_the_cache_is_bounded_least_recently_used_first():
    coalescer = Coalescer(3)
    for i in range(5):
        coalescer.run(i, lambda i=i: i)
    assert len(coalescer) == 3
    assert coalescer.run(0, lambda: "again") == ("again", COMPUTED)  # evicted: computed again
    assert coalescer.run(4, lambda: "x") == (4, CACHED)
    off = Coalescer(0)
    assert off.run(1, lambda: 1) == (1, COMPUTED) and off.run(1, lambda: 2) == (2, COMPUTED) and len(off) == 0


def test_keys_see_pixels_and_objects_not_names():
    a = Image.new("RGB", (8, 8), (1, 2, 3))
    assert pixels_key(a) == pixels_key(a.copy()) != pixels_key(Image.new("RGB", (8, 8), (1, 2, 4)))
    x, y = object.__new__(_Module), object.__new__(_Module)
    assert model_token(x) == model_token(x) != model_token(y)


class _Module:  # weak-referenceable, hashable by identity, like an nn.Module
    pass


@pytest.fixture
def fresh_results(monkeypatch):
    """Empty caches and coalescing on, whatever the environment says."""
    from core.image import service as image_service
    from core.text import service as text_service

    monkeypatch.setenv("CLASSROOM_SPEEDUPS", "1")
    monkeypatch.setenv("RESULT_CACHE", "32")
    monkeypatch.setenv("MICROBATCH", "0")
    image_service.RESULTS.clear()
    text_service.RESULTS.clear()
    yield
    image_service.RESULTS.clear()
    text_service.RESULTS.clear()


def _count_forwards(module) -> list:
    """One entry per forward pass through `module`: its first layer runs once in every forward, whichever way the
    service calls the model (Grad-CAM runs its parts one by one)."""
    calls = []
    first = next(m for m in module.modules() if not list(m.children()))
    first.register_forward_hook(lambda *_: calls.append(1))
    return calls


@pytest.mark.parametrize("explain", [False, True])
def test_a_class_clicking_the_same_example_runs_one_forward(fresh_results, explain):
    from core.catalog.store import load_model
    from core.image.service import classify
    from core.runtime.images import load_image

    model = load_model("resnet50", "tiny")
    forwards = _count_forwards(model.module)
    # Thirty uploads of the same example: thirty decoded images with the same pixels, not the same object.
    images = [load_image(EXAMPLE).image for _ in range(CLASS)]
    barrier = threading.Barrier(CLASS)

    def student(image):
        barrier.wait()
        return classify(image, model, explain=explain)

    with ThreadPoolExecutor(CLASS) as pool:
        results = list(pool.map(student, images))
    assert len(forwards) == 1
    first = [r for r in results if not r.cached]
    assert len(first) == 1 and sum(r.cached for r in results) == CLASS - 1
    for r in results:  # the same answer and the original's timings; shared ones say so
        assert [p.label for p in r.predictions] == [p.label for p in first[0].predictions]
        assert r.forward_ms == first[0].forward_ms and r.total_ms == first[0].total_ms
        assert (r.explanation is not None) == explain
        assert any("cache" in n or "Computed once" in n for n in r.notes) == r.cached
    results[1].notes.append("a caller's own note")  # callers add notes: never to the stored answer
    assert "a caller's own note" not in classify(images[0], model, explain=explain).notes


def test_different_photos_options_and_models_do_not_share(fresh_results, monkeypatch):
    from core.catalog.store import load_model
    from core.image.quantize import int8_model
    from core.image.service import classify

    rng = np.random.default_rng(0)
    photos = [Image.fromarray(rng.integers(0, 255, (40, 40, 3), dtype=np.uint8)) for _ in range(CLASS)]
    model = load_model("custom_vit", "tiny")
    forwards = _count_forwards(model.module)
    monkeypatch.setenv("RESULT_CACHE", "64")  # room for every answer below (32 would evict the first ones)
    with ThreadPoolExecutor(CLASS) as pool:
        results = list(pool.map(lambda im: classify(im, model, explain=False), photos))
    assert len(forwards) == CLASS and not any(r.cached for r in results)
    classify(photos[0], model, explain=True)  # another option: its own forward
    classify(photos[0], model, explain=False, top_k=2)
    assert len(forwards) == CLASS + 2
    int8 = int8_model(model)[0]
    assert not classify(photos[0], int8, explain=False).cached  # another module (int8 weights): its own answer
    ran = len(forwards)  # the int8 copy's first layer may carry the hook along (a deep copy)
    assert classify(photos[0], model, explain=False).cached and len(forwards) == ran


def test_switched_off_every_request_computes(fresh_results, monkeypatch):
    from core.catalog.store import load_model
    from core.image.service import classify
    from core.runtime.images import load_image

    monkeypatch.setenv("CLASSROOM_SPEEDUPS", "0")
    model = load_model("resnet50", "tiny")
    forwards = _count_forwards(model.module)
    image = load_image(EXAMPLE).image
    assert not any(classify(image, model, explain=False).cached for _ in range(3)) and len(forwards) == 3


def test_text_answers_are_shared_and_language_free(fresh_results):
    from core.text.service import classify_text, load_text_model

    model = load_text_model("gru", "tiny")
    forwards = _count_forwards(model.module)
    barrier = threading.Barrier(CLASS)

    def student(text):
        barrier.wait()
        return classify_text(model, text, explain=False)

    texts = ["A large bird of prey with a hooked beak."] * (CLASS - 2) + ["A small boat.", "Một con chim lớn."]
    with ThreadPoolExecutor(CLASS) as pool:
        results = list(pool.map(student, texts))
    assert len(forwards) == 3 and sum(r.cached for r in results) == CLASS - 3
    # Nothing in a prediction is in one visitor's language: each note carries both (formatted per request).
    assert all(hasattr(n, "vi") for r in results for n in r.notes)


def test_vqa_answers_are_shared(monkeypatch):
    from core.vqa import service

    monkeypatch.setenv("CLASSROOM_SPEEDUPS", "1")
    service.ANSWERS.clear()
    vqa = service.load_vqa("cnn_att", "easy_vqa", "tiny")
    photo = "examples/vqa/easy_vqa_test_0.png"
    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(lambda q: service.answer_question(vqa, photo, q), ["what shape is it?"] * 10))
    assert sum(not a.cached for a in answers) == 1 and len({a.answer for a in answers}) == 1
    other = service.answer_question(vqa, photo, "what color is it?")
    assert not other.cached
    assert not service.answer_question(vqa, photo, "what shape is it?", use_cache=False).cached


def test_objects_without_weak_references_get_a_token_too():
    a, b = (1, 2), (1, 3)  # tuples cannot be weakly referenced
    assert model_token(a) == model_token(a) != model_token(b)


def test_clip_k_shot_and_its_curve_are_shared_on_built_in_sets_only(monkeypatch):
    """The class moving the k slider together on a built-in set gets one computation, and one curve; the user's
    own support images (whose answer names their files) are never shared between visitors."""
    from core.clip import curve, service

    monkeypatch.setenv("CLASSROOM_SPEEDUPS", "1")
    monkeypatch.setenv("RESULT_CACHE", "32")
    service.K_SHOT.clear()
    curve.CURVES.clear()
    kshots, curves = service.K_SHOT, curve.CURVES
    counts = lambda c: (c.computed, c.joined + c.hits)  # noqa: E731
    photo = "examples/vqa/easy_vqa_test_0.png"

    def ask(k=2, support="easy_vqa_shapes", classes="", files=()):
        return service.classify_k_shot(photo, k, support, classes, "a photo of a {}.", None, "tiny", files)

    before = counts(kshots)
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: ask(), range(8)))
    assert counts(kshots) == (before[0] + 1, before[1] + 7)
    # The seven shared answers say so: no encoder ran for them, no prompt was encoded by their call.
    assert sum(q.image_cached for _, q in answers) >= 7
    assert sum(not r.zero_shot.prompts_encoded for r, _ in answers) >= 7
    assert len({tuple(r.probes["plain"].probabilities.round(6)) for r, _ in answers}) == 1
    answers[0][0].notes.append("a visitor's own note")  # a returned answer is the caller's, not the stored one
    assert "a visitor's own note" not in ask()[0].notes
    ask(k=3)  # another k: another question
    assert counts(kshots)[0] == before[0] + 2
    before = counts(curves)
    with ThreadPoolExecutor(4) as pool:
        drawn = list(pool.map(lambda _: curve.curve_for_tab("easy_vqa_shapes", "", "a {}.", None, "tiny"), range(4)))
    assert counts(curves) == (before[0] + 1, before[1] + 3) and len({str(c.accuracy) for c, _ in drawn}) == 1
    before = counts(kshots)
    for _ in range(2):
        ask(k=1, support=service.USER_SUPPORT, classes="a, b", files=[[photo, photo], [photo, photo]])
    assert counts(kshots) == before  # computed by each visitor, outside the shared cache
