"""Small Gradio pieces shared by tabs."""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from core.images import ImageInputError, LoadedImage, load_image

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples" / "images"

class UploadImage(gr.Image):
    """gr.Image that hands the raw upload path to our validator instead of opening it itself.

    Gradio's own preprocess calls PIL.Image.open on every upload, so a text file named .png or a decompression
    bomb would fail inside Gradio with a message the user cannot act on. Decoding is core.images' job.
    `is_template` makes the browser render the stock Image component.
    """

    is_template = True

    def __init__(self, **kwargs):
        kwargs.setdefault("type", "filepath")
        kwargs.setdefault("image_mode", None)
        kwargs.setdefault("sources", ["upload", "webcam", "clipboard"])
        super().__init__(**kwargs)

    def preprocess(self, payload):
        if payload is None:
            return None
        if payload.path is not None and not (payload.url or "").startswith("data:"):
            return str(payload.path)
        try:
            return super().preprocess(payload)
        except Exception as exc:
            raise gr.Error("The pasted image could not be decoded. Save it as a PNG or JPEG and upload that.") from exc
    from collections.abc import Callable, Sequence
    from typing import TYPE_CHECKING, Any, Literal

    from gradio.blocks import Block

    if TYPE_CHECKING:
        from gradio.components import Timer
        from gradio.components.base import Component

def read_user_image(path) -> LoadedImage:
    """core.images.load_image with its errors turned into a message in the UI (the app keeps serving)."""
    try:
        return load_image(path)
    except ImageInputError as exc:
        raise gr.Error(str(exc), title="Cannot use this image") from exc

def example_images() -> list[str]:
    return sorted(str(p) for p in EXAMPLES_DIR.glob("*.jpg"))
