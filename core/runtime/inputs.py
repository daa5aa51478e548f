"""Checks for the fields a visitor sends, whatever the UI event's preprocessing did (many events skip it).

Three kinds, each raising InputError (a ValueError) with a message in English and Vietnamese:

- `choice`: the value is one of a known set. Only such values ever become part of a file path, a cache key or a
  model to load, so a crafted string cannot name another folder or make the server load one more model copy.
- `number`: a real, finite number (NaN, infinities and 1e400 are refused, as are strings that are not numbers and
  booleans) inside the range the UI's slider allows; optionally a whole number.
- `text`: a string of at most `max_chars` characters (None reads as "").

The error echoes at most a short prefix of what was sent, never anything derived from it. Messages built elsewhere
(a registry lookup that quotes the name it was given, a JSON-schema validator) pass through `shorten_echoes`, which
cuts every long value the client sent wherever it appears, so no error carries a 600 kB field back.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from core.runtime.messages import Bilingual, UserError, number_text

ECHO_CHARS = 40


class InputError(UserError, ValueError):
    """A field value the app does not accept; str() is English, `.vi` Vietnamese."""

    title = Bilingual("Invalid value", "Giá trị không hợp lệ")


NO_PHOTO = Bilingual("No photo", "Chưa có ảnh")  # the title when an image tab is used before an image is chosen


def echo(value: object) -> str:
    """A short, safe rendering of what the client sent, for the error message."""
    text = repr(value)
    return text if len(text) <= ECHO_CHARS else text[: ECHO_CHARS - 1] + "…"


MAX_MESSAGE_CHARS = 2000  # after shortening: a message listing every valid model name still fits


def _strings(value: object, depth: int = 0):
    """Every string inside what a client sent (nested lists and dicts, a bounded depth)."""
    if isinstance(value, str):
        yield value
    elif depth < 4 and isinstance(value, (list, tuple)):
        for item in value[:100]:
            yield from _strings(item, depth + 1)
    elif depth < 4 and isinstance(value, dict):
        for item in list(value.values())[:100]:
            yield from _strings(item, depth + 1)


def shorten_echoes(message: str, sent: object) -> str:
    """`message` with every string longer than ECHO_CHARS found in `sent` (the call's arguments) cut to its echo,
    also where it appears as its repr, then the whole capped at MAX_MESSAGE_CHARS."""
    for value in sorted(set(_strings(sent)), key=len, reverse=True):
        if len(value) > ECHO_CHARS:
            short = value[: ECHO_CHARS - 1] + "…"
            message = message.replace(repr(value), repr(short)).replace(value, short)
    if len(message) > MAX_MESSAGE_CHARS:
        message = message[: MAX_MESSAGE_CHARS - 1] + "…"
    return message


def choice(value: object, allowed: Iterable[str], what: tuple[str, str]) -> str:
    """`value` if it is one of `allowed`; `what` = (English name, Vietnamese name) of the field."""
    allowed = list(allowed)
    if isinstance(value, str) and value in allowed:
        return value
    listed = ", ".join(allowed)
    raise InputError(
        f"{what[0]} must be one of: {listed} (got {echo(value)}).",
        f"{what[1]} phải là một trong: {listed} (nhận được {echo(value)}).",
    )


def number(value: object, what: tuple[str, str], lo: float, hi: float, *, integer: bool = False) -> float | int:
    """A finite number in [lo, hi] (a whole one if `integer`), or InputError saying the range."""
    kind_en, kind_vi = ("a whole number", "số nguyên") if integer else ("a number", "số")
    got = None
    if isinstance(value, (int, float, str)) and not isinstance(value, bool):
        try:
            got = float(value)
        except (ValueError, OverflowError):
            got = None
    if got is None or not math.isfinite(got) or not lo <= got <= hi or (integer and not got.is_integer()):
        raise InputError(
            f"{what[0]} must be {kind_en} from {lo:g} to {hi:g} (got {echo(value)}).",
            f"{what[1]} phải là {kind_vi} từ {number_text(lo, None).vi} đến {number_text(hi, None).vi} "
            f"(nhận được {echo(value)}).",
        )
    return int(got) if integer else got


def text(value: object, what: tuple[str, str], max_chars: int) -> str:
    """A string of at most `max_chars` characters; None reads as the empty string."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InputError(
            f"{what[0]} must be text (got {type(value).__name__}).",
            f"{what[1]} phải là văn bản (nhận được {type(value).__name__}).",
        )
    if len(value) > max_chars:
        raise InputError(
            f"{what[0]} is {len(value):,} characters long; the limit is {max_chars:,}.",
            f"{what[1]} dài {number_text(len(value)).vi} ký tự; giới hạn là {number_text(max_chars).vi}.",
        )
    return value
