"""Load the page's default models in the background right after launch, so the first student does not pay it.

Loading ResNet-50 + ViT-B/16 and their first forward (oneDNN picks its kernels then) takes seconds; without this
the first click of a lecture waits for all of it. One daemon thread loads each model through the one loader
(core.catalog.store, whose lock makes a student's request that arrives meanwhile wait for this load instead of
starting a second one) and runs one forward without and one with Grad-CAM on a blank image.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence

log = logging.getLogger(__name__)

WAIT_S = 180  # the most `python app.py` waits for the preload before it opens its port (PRELOAD_WAIT_S)
_started: threading.Thread | None = None


def warm_up(names: Sequence[str], profile: str) -> list[str]:
    """Load and run each image model once; returns the names that are ready (a missing one is logged, skipped)."""
    from PIL import Image

    from core.catalog.store import load_with_fallback
    from core.catalog.weights import WeightsUnavailable
    from core.image.quantize import int8_applies, int8_model
    from core.image.service import classify
    from core.runtime.serving import image_precision

    blank = Image.new("RGB", (224, 224), (128, 128, 128))
    ready = []
    for name in names:
        try:
            model = load_with_fallback(name, profile)
            classify(blank, model, explain=False)
            classify(blank, model, explain=True)
            if image_precision() != "fp32" and int8_applies(model.module):  # the page starts on int8
                classify(blank, int8_model(model)[0], explain=False)
            ready.append(name)
        except (WeightsUnavailable, KeyError) as exc:  # the page says why when a student asks for it
            log.info("preload: %s not loaded: %s", name, exc)
    return ready


def preload_in_background(names: Sequence[str], profile: str) -> threading.Thread:
    thread = threading.Thread(target=warm_up, args=(tuple(names), profile), name="preload", daemon=True)
    thread.start()
    return thread


def start() -> None:
    """What `python app.py` calls first, before its slow imports (gradio alone takes seconds), so that the load
    overlaps them: thread settings, then the default pair in the background (when PRELOAD is on)."""
    global _started
    from core.catalog.store import current_profile
    from core.runtime.serving import apply_thread_settings, serving_settings

    apply_thread_settings()
    if serving_settings().preload and _started is None:
        from core.catalog.availability import image_pair  # the pair the page opens on: file lookups, no torch

        profile = current_profile()
        _started = preload_in_background(image_pair(profile).models, profile)


def wait() -> None:
    """Block until the preload is done (bounded by PRELOAD_WAIT_S), so the page opens with its models warm and the
    first student's click costs what every later one does."""
    if _started is not None:
        _started.join(float(os.environ.get("PRELOAD_WAIT_S", WAIT_S)))


def first_event(port: int) -> None:
    """One request through the app's own HTTP queue right after the port opens, when PRELOAD is on.

    The preload warms the models, but a process's first Gradio event also starts what Gradio builds on first use
    (the queue's worker, its thread pools): on the tiny profile the first `/model_status` call after launch took
    0.45 s and the next ones 0.09-0.11 s (`APP_PROFILE=tiny`, one gradio_client, load 4-5). So the app makes that
    call itself before the first student does. It sends no file: nothing lands in the upload folder. A failure is
    logged and changes nothing."""
    from core.runtime.serving import serving_settings

    if not serving_settings().preload:
        return
    from gradio_client import Client

    try:
        Client(f"http://127.0.0.1:{port}/", verbose=False).predict(api_name="/model_status")
    except Exception as exc:  # noqa: BLE001  (a warm-up: the app serves either way)
        log.info("first event: %s", exc)
