"""The one error path from core to the visitor: a core.runtime.messages.UserError becomes a gr.Error in their language.

core raises `UserError(en, vi)` (or a subclass that names its title: ImageInputError, InputError,
WeightsUnavailable, ...); handlers do not catch it. `@shows_user_errors` on a handler turns it into `user_error`:
the message and the title in the language of the browser that sent the request (demo/ui/i18n.py). Anything else
propagates, so a bug stays a bug (Gradio shows its generic error) instead of a friendly message that hides it.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import TypeVar

import gradio as gr

from core.runtime.inputs import shorten_echoes
from core.runtime.messages import DiskFull, UserError, is_disk_full, vietnamese_of
from demo.ui.i18n import lang_of

F = TypeVar("F", bound=Callable)


def localized(request: gr.Request | None, message: object) -> str:
    """A core message (core.runtime.messages.Bilingual, or an exception carrying one) in the visitor's language.

    Messages core/ has no Vietnamese for (a file path, a library's error) stay in English rather than vanish.
    """
    vi = vietnamese_of(message)
    return vi if vi and lang_of(request) == "vi" else str(message)


def user_error(request: gr.Request | None, exc: UserError) -> gr.Error:
    """The gr.Error for `exc`: its message and its class's title, in the visitor's language.

    duration=None: the message stays until the visitor closes it. Gradio also marks each of the event's outputs with
    an "Error" badge until the next run; with its default 10 s the explanation faded while the badges stayed."""
    return gr.Error(localized(request, exc), title=localized(request, exc.title), duration=None)


def shows_user_errors(fn: F, *, request_of: Callable[[dict], object] | None = None) -> F:
    """Decorate an event handler: a UserError it raises reaches the visitor as `user_error(request, exc)`.

    The handler's own `request` argument (Gradio injects it by its type hint) chooses the language, or
    `request_of(arguments)` where the language comes from elsewhere (the public API's `language` argument,
    demo/api.py). functools.wraps keeps the signature and type hints Gradio reads for the API's parameters and for
    that injection.

    A generator handler (one that streams updates, e.g. live training's progress) gets a generator in return: its
    body runs only while Gradio iterates, so a plain wrapper would return the generator untouched and the
    UserError would escape untranslated. Gradio streams only from a generator function, which this one is too.
    """
    signature = inspect.signature(fn)

    def translated(exc: UserError, args: tuple, kwargs: dict) -> gr.Error:
        arguments = signature.bind_partial(*args, **kwargs).arguments
        error = user_error(request_of(arguments) if request_of else arguments.get("request"), exc)
        sent = {k: v for k, v in arguments.items() if k != "request"}
        error.message = shorten_echoes(str(error.message), sent)  # a 600 kB dropdown value is not sent back whole
        return error

    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def streaming(*args, **kwargs):
            try:
                return (yield from fn(*args, **kwargs))  # send/throw/close reach fn's generator unchanged
            except UserError as exc:
                raise translated(exc, args, kwargs) from exc
            except Exception as exc:
                if is_disk_full(exc):  # any write of the request's (uploads, caches, checkpoints)
                    raise translated(DiskFull(), args, kwargs) from exc
                raise

        return streaming  # type: ignore[return-value]

    @functools.wraps(fn)
    def handler(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except UserError as exc:
            raise translated(exc, args, kwargs) from exc
        except Exception as exc:
            if is_disk_full(exc):
                raise translated(DiskFull(), args, kwargs) from exc
            raise

    return handler  # type: ignore[return-value]
