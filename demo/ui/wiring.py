"""Wiring module-level handlers to events: bind the app's profile at build time.

Tab handlers are plain module-level functions (tests call them directly, without a server) that take the profile as
a keyword-only `profile` argument. A bare functools.partial would do for a direct call, but Gradio reads the
handler's type hints (utils.get_type_hints) to know where to inject `request`, `progress` or event data, and it
finds none on a partial object: the visitor's language would silently become English. `for_profile` keeps the
function's name, annotations and the signature of the partial (profile keyword-only, never an input position).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable

import gradio as gr


def for_profile(fn: Callable, profile: str) -> Callable:
    """`fn(..., *, profile)` with `profile` bound, as Gradio should see it (same hints, same input positions)."""
    if inspect.signature(fn).parameters["profile"].kind is not inspect.Parameter.KEYWORD_ONLY:
        raise TypeError(f"{fn.__name__}: `profile` must be keyword-only (after `*`), or Gradio's positions shift")
    bound = functools.partial(fn, profile=profile)
    # Gradio streams only from a generator function (the live tab's `run`), so a generator stays one.
    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def handler(*args, **kwargs):
            return (yield from bound(*args, **kwargs))
    else:

        @functools.wraps(fn)
        def handler(*args, **kwargs):
            return bound(*args, **kwargs)

    handler.__signature__ = inspect.signature(bound)
    return handler


def reveal() -> dict:
    """Show the output it is wired to (a table kept hidden until its first result brings translated headers)."""
    return gr.update(visible=True)
