"""core.runtime.microbatch: simultaneous requests share forwards, each gets its own answer, errors stay with their
request; batched Grad-CAM equals one-at-a-time Grad-CAM; classify gives the same answer batched or not."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch
from PIL import Image

from core.catalog import build_architecture, get_spec
from core.catalog.store import load_model
from core.image.explain import forward_with_gradcam, forward_with_gradcam_batch
from core.image.service import classify
from core.runtime.microbatch import MicroBatcher

EXAMPLE = "examples/images/ten_lua.jpg"


def _slow_double(x: torch.Tensor) -> torch.Tensor:
    time.sleep(0.02)  # a forward long enough for the next requests to queue up behind it
    if torch.isnan(x).any():
        raise ValueError("bad input")
    return x * 2


def test_simultaneous_requests_share_forwards_and_each_gets_its_own_row():
    batcher = MicroBatcher(_slow_double, max_batch=8, wait_s=0.01, name="double")
    inputs = [torch.full((1, 3), float(i)) for i in range(24)]
    with ThreadPoolExecutor(24) as pool:
        results = list(pool.map(batcher.submit, inputs))
    for x, (out, info) in zip(inputs, results):
        assert torch.equal(out, x[0] * 2) and 1 <= info.size <= 8
    assert sum(batcher.batch_sizes) == 24 and max(batcher.batch_sizes) > 1 and max(batcher.batch_sizes) <= 8


def test_a_failing_input_fails_only_its_own_request():
    batcher = MicroBatcher(_slow_double, max_batch=8, wait_s=0.05, name="double")
    inputs = [torch.full((1, 3), float(i)) for i in range(6)] + [torch.full((1, 3), float("nan"))]
    outcomes = {}

    def call(i):
        try:
            outcomes[i] = batcher.submit(inputs[i])[0]
        except ValueError as exc:
            outcomes[i] = exc

    threads = [threading.Thread(target=call, args=(i,)) for i in range(len(inputs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert isinstance(outcomes[6], ValueError)
    assert all(torch.equal(outcomes[i], inputs[i][0] * 2) for i in range(6))
    assert max(batcher.batch_sizes) > 1  # the batch was tried whole first, then each request alone


def test_inputs_of_different_shapes_never_share_a_forward():
    batcher = MicroBatcher(_slow_double, max_batch=8, wait_s=0.05, name="double")
    inputs = [torch.ones(1, 3), torch.ones(1, 5), torch.ones(1, 3), torch.ones(1, 5)]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(batcher.submit, inputs))
    assert [tuple(out.shape) for out, _ in results] == [(3,), (5,), (3,), (5,)]


@pytest.mark.parametrize("name", ["resnet50", "vit_b16", "mlp", "gru_row"])
def test_batched_gradcam_equals_one_at_a_time(name):
    torch.manual_seed(0)
    spec = get_spec(name)
    model = build_architecture(spec.arch, **{**spec.model_args, **spec.tiny_args}).eval()
    size = spec.preprocess.crop_size
    x = torch.randn(3, 3, size, size)
    logits, cams = forward_with_gradcam_batch(model, x)
    for i in range(3):
        logits1, cam1 = forward_with_gradcam(model, x[i : i + 1])
        assert torch.allclose(logits[i], logits1[0], atol=1e-4)
        assert np.allclose(cams[i], cam1, atol=1e-4)


@pytest.mark.parametrize("explain", [False, True])
def test_classify_answers_the_same_batched_or_not(monkeypatch, explain):
    from core.runtime.images import load_image

    image = load_image(EXAMPLE).image
    model = load_model("vit_b16", "tiny")
    monkeypatch.setenv("RESULT_CACHE", "0")  # identical images would share one answer (core.runtime.coalesce)
    monkeypatch.setenv("MICROBATCH", "0")
    alone = classify(image, model, explain=explain)
    monkeypatch.setenv("MICROBATCH", "1")
    monkeypatch.setenv("MICROBATCH_WAIT_MS", "50")  # long enough that the six requests meet in one batch
    images = [image, Image.new("RGB", (64, 64), (200, 30, 30))] * 3
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda im: classify(im, model, explain=explain), images))
    assert max(r.batch_size for r in results) > 1
    for r in results[::2]:
        assert [p.label for p in r.predictions] == [p.label for p in alone.predictions]
        probabilities = [p.probability for p in r.predictions]
        assert np.allclose(probabilities, [p.probability for p in alone.predictions], atol=1e-5)
        if explain:
            assert np.allclose(np.asarray(r.explanation), np.asarray(alone.explanation), atol=2)
    if results[0].batch_size > 1:
        assert "micro-batching" in " ".join(results[0].notes)
