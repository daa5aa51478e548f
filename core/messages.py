"""Text that core/ produces for people (errors, notes) in English and Vietnamese, without importing gradio.

`Bilingual` is a str: everything that already treats the message as English text (str(), logs, JSON, the HTTP
API, tests matching a fragment) keeps working, and demo/ picks `.vi` for a visitor who reads Vietnamese
(demo.components.localized).
"""

from __future__ import annotations


class Bilingual(str):
    """English text that carries its Vietnamese translation in `.vi`."""

    vi: str

    def __new__(cls, en: str, vi: str) -> Bilingual:
        obj = super().__new__(cls, en)
        obj.vi = vi
        return obj

    def __reduce__(self):  # keep .vi through pickling (multiprocessing, caches)
        return (Bilingual, (str(self), self.vi))


def vietnamese_of(thing: object) -> str | None:
    """The Vietnamese text of a Bilingual, of an exception carrying one (`.vi` or its first argument), or None."""
    vi = getattr(thing, "vi", None)
    if vi is None and isinstance(thing, BaseException) and thing.args:
        vi = getattr(thing.args[0], "vi", None)
    return vi if isinstance(vi, str) and vi else None
