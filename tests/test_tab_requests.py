"""Gradio gives the visitor's request to the caption and CLIP tabs' handlers (in process, no server).

Gradio injects `request: gr.Request` by annotation, and only into a parameter before any *args, at that position
among the event's inputs. The CLIP tab's k-shot and curve handlers take their ten galleries as *galleries after
`request` (demo/tabs/clip.py); the caption tab's one handler serves both the button and a clicked example. Each
event here runs through Gradio's own call path (Blocks.call_function) with a Vietnamese request: a handler whose
request stayed None would answer in English, and a gallery in the wrong slot would not reach the handler.
"""

from __future__ import annotations

import asyncio

import gradio as gr
import pytest

VI = gr.Request(headers={"accept-language": "vi-VN,vi;q=0.9"}, cookies={})


def _events(build) -> tuple[gr.Blocks, dict]:
    """The tab built alone with the tiny profile, and its events by handler name (several per name: a list)."""
    with gr.Blocks() as demo:
        build("tiny")
    events = {}
    for block_fn in demo.fns.values():
        events.setdefault(getattr(block_fn.fn, "__name__", None), []).append(block_fn)
    return demo, events


def _call(demo: gr.Blocks, block_fn, inputs: list):
    """What the handler returns for these inputs, called as Gradio calls it for a Vietnamese visitor."""
    assert len(inputs) == len(block_fn.inputs), "the test's inputs must match the event's"
    return asyncio.run(demo.call_function(block_fn, list(inputs), requests=VI))["prediction"]


@pytest.fixture(scope="module")
def clip_events():
    from demo.tabs.clip import build_clip_tab

    return _events(build_clip_tab)


def test_k_shot_events_get_the_request_and_every_gallery(clip_events):
    from demo.tabs import clip as clip_tab

    demo, events = clip_events
    assert len(events["k_shot"]) == 2  # the button and the slider's release
    for block_fn in events["k_shot"]:
        # image, k, support, classes, templates, model, then the ten galleries
        assert len(block_fn.inputs) == 6 + clip_tab.USER_CLASSES
        no_image = [None, 3, "easy_vqa_shapes", "", "a {}.", "clip_vit_b32_openai", *[None] * clip_tab.USER_CLASSES]
        notes = _call(demo, block_fn, no_image)[4]
        assert "Hãy tải ảnh lên hoặc chọn ảnh ví dụ." in notes  # Vietnamese: the request reached the handler
        # Only the tenth gallery holds something: it must reach *galleries (an empty set would say "drop images").
        last_only = [clip_tab.VQA_EXAMPLES[0], 3, "user", "a, b", "a {}.", "clip_vit_b32_openai", *[None] * 9, ["x"]]
        with pytest.raises(gr.Error):  # "x" is no uploaded file: refused, so the gallery was read
            _call(demo, block_fn, last_only)


def test_k_curve_event_gets_the_request_and_every_gallery(clip_events):
    from demo.tabs import clip as clip_tab

    demo, events = clip_events
    (block_fn,) = events["k_curve"]
    assert len(block_fn.inputs) == 4 + clip_tab.USER_CLASSES  # support, classes, templates, model, galleries
    empty = ["user", "a, b", "a {}.", "clip_vit_b32_openai", *[None] * clip_tab.USER_CLASSES]
    plot, table = _call(demo, block_fn, empty)
    assert plot is None and "Chưa có ảnh mẫu" in table
    with pytest.raises(gr.Error):  # the tenth gallery's bogus path reached the handler and was refused
        _call(demo, block_fn, [*empty[:-1], ["x"]])


def test_caption_button_and_example_share_one_handler_that_gets_the_request():
    from demo.tabs import caption as caption_tab

    demo, events = _events(caption_tab.build_caption_tab)
    assert len(events["caption_clicked"]) == 2  # the button and the example's chained run
    for block_fn in events["caption_clicked"]:
        *panels, scores, summary = _call(demo, block_fn, [None, "beam", 3, 0.9, 1.0, 1, 1.2, 30, ""])
        assert panels == [""] * len(caption_tab.VARIANTS) and summary is None
        assert "Hãy tải ảnh lên hoặc chọn ảnh ví dụ." in scores


def test_caption_where_no_captioner_runs_changes_nothing(monkeypatch, example_image):
    """A fresh clone: the card says what the tab needs, its button is inactive, and an example only fills the photo
    (the chained run changes no panel)."""
    from core.catalog.availability import Initial
    from demo.tabs import caption as caption_tab

    monkeypatch.setattr(caption_tab, "caption_choice", lambda profile: Initial(("caption_cnn_lstm",), runnable=False))
    answer = caption_tab.caption_clicked(example_image, profile="default")
    assert answer == (gr.update(),) * (len(caption_tab.VARIANTS) + 2)
