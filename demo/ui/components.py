"""Small Gradio pieces shared by tabs."""

from __future__ import annotations

import tempfile
import time
import uuid
from pathlib import Path

import gradio as gr

from core.runtime.images import LoadedImage, load_image
from core.runtime.uploads import checked_upload, inline_bytes

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "examples" / "images"


def image_input(**kwargs) -> gr.Image:
    """The image input every tab uses. Wire its events with `preprocess=False` and `read_user_image`.

    Gradio's own preprocess calls PIL.Image.open on the upload, so a text file named .png or a decompression
    bomb would fail inside Gradio with a message the user cannot act on. With preprocess=False the handler gets the
    raw payload. Gradio refuses a path outside its upload folder only when the payload carries its
    `"meta": {"_type": "gradio.FileData"}` tag, and an API client can leave the tag out, so every path goes through
    core.runtime.uploads.checked_upload (payload_source) before a byte is read; decoding is then core.runtime.images'
    job.
    """
    kwargs.setdefault("type", "filepath")
    kwargs.setdefault("image_mode", None)
    kwargs.setdefault("sources", ["upload", "webcam", "clipboard"])
    return gr.Image(**kwargs)


def read_user_image(payload) -> LoadedImage:
    """Raw gr.Image payload (or a path) -> validated image. A bad file raises core.runtime.images.ImageInputError (a
    UserError): the handler's @shows_user_errors shows it in the visitor's language."""
    return load_image(payload_source(payload))


def checked_choices(*fields: tuple) -> list:
    """core.runtime.inputs.choice for each (value, allowed, (English name, Vietnamese name)); InputError for the first
    bad one.

    Events that skip Gradio's preprocessing (and API clients) can send any value for a dropdown: only known
    values go on to name a model, a folder or a cache entry.
    """
    from core.runtime.inputs import choice

    return [choice(value, allowed, what) for value, allowed, what in fields]


def example_images() -> list[str]:
    return sorted(str(p) for p in EXAMPLES_DIR.glob("*.jpg"))


def payload_source(payload):
    """What an image event received (with preprocess=False) -> a checked path, inline bytes, or None.

    A path, whether a plain string or a payload's "path", passes core.runtime.uploads.checked_upload: inside Gradio's
    upload folder or the app's examples, a regular file, under the size limit; otherwise UploadRefused (one message
    for every refused path). A pasted image's inline data URL is decoded, size-checked first.
    """
    if payload is None:
        return None
    if isinstance(payload, dict):
        url = payload.get("url")
        if isinstance(url, str) and url.startswith("data:"):  # an inline image: its bytes, never a path
            return inline_bytes(url)
        path = payload.get("path")
        if path is None and not url:
            return None  # an empty image input
        return str(checked_upload(path))
    return str(checked_upload(payload))


OUTPUT_DIR = Path(tempfile.gettempdir()) / "dl_classroom_outputs"
OUTPUT_MAX_AGE_S = 600


def image_file(image) -> str | None:
    """Write an output image to a unique file and return its path (what every tab returns, not the PIL image).

    Gradio caches a returned PIL image under a name derived from its pixels and rewrites that file in place, so
    two students getting the same picture at the same moment (same example, same model) can be sent a half-
    written file. A returned path is instead copied into the cache atomically. Files here live ten minutes.
    """
    if image is None:
        return None
    OUTPUT_DIR.mkdir(exist_ok=True)
    now = time.time()
    for old in OUTPUT_DIR.glob("*.png"):
        try:
            if now - old.stat().st_mtime > OUTPUT_MAX_AGE_S:
                old.unlink()
        except OSError:
            pass  # another request removed it first
    path = OUTPUT_DIR / f"{uuid.uuid4().hex}.png"
    tmp = path.with_suffix(".tmp")
    image.save(tmp, format="PNG")
    tmp.replace(path)
    return str(path)
