"""Text that core/ produces for people (errors, notes) in English and Vietnamese, without importing gradio.

`Bilingual` is a str: everything that already treats the message as English text (str(), logs, JSON, the HTTP
API, tests matching a fragment) keeps working, and demo/ picks `.vi` for a visitor who reads Vietnamese
(demo.ui.errors.localized).
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


def number_text(value: float, decimals: int | None = 0, *, scientific: bool = False) -> Bilingual:
    """A number as each language writes it: str() is the English "1,234.56", `.vi` the Vietnamese "1.234,56".

    `decimals` digits after the point, or None for the shortest form (Python's "g": 0.5, 1e-05); `scientific`
    writes 3.21e-05 (3,21e-05). For text only
    (messages, notes, tables shown to people); numbers in the HTTP API's JSON stay numbers. Put
    `number_text(x, 2).vi` into the Vietnamese side of a Bilingual or say(); the English side keeps its own format.
    """
    en = f"{value:,g}" if decimals is None else f"{value:.{decimals}e}" if scientific else f"{value:,.{decimals}f}"
    return Bilingual(en, en.replace(",", "_").replace(".", ",").replace("_", "."))


def vietnamese_of(thing: object) -> str | None:
    """The Vietnamese text of a Bilingual, of an exception carrying one (`.vi` or its first argument), or None."""
    vi = getattr(thing, "vi", None)
    if vi is None and isinstance(thing, BaseException) and thing.args:
        vi = getattr(thing.args[0], "vi", None)
    return vi if isinstance(vi, str) and vi else None


class UserError(Exception):
    """Something a visitor can act on (a bad upload, a value out of range, missing weights), in both languages.

    The one error type core raises for people: `UserError(en, vi)`, the same order as Bilingual. str() is the
    English (logs, the HTTP API, tests matching a fragment); `.vi` the Vietnamese, or None where core has none (a
    library's message, a file path: demo then shows the English rather than nothing). `title` is the heading of the
    message box; subclasses set their own. demo/ui/errors.py turns one into a gr.Error in the visitor's language.
    Subclasses also derive from the built-in type callers caught before (ValueError, KeyError, RuntimeError).
    """

    title = Bilingual("Cannot do this", "Không thực hiện được")

    def __init__(self, en: str, vi: str | None = None, *, title: Bilingual | None = None):
        vi = vi if vi is not None else getattr(en, "vi", None)
        self.message = Bilingual(str(en), vi) if vi else str(en)
        self.vi = vi
        if title is not None:
            self.title = title
        super().__init__(self.message)

    def __str__(self) -> str:  # KeyError's own str() would quote the message
        return str(self.message)

    def __reduce__(self):  # pickling rebuilds from (en, vi), not from args
        return (_rebuild, (type(self), str(self.message), self.vi, self.__dict__))


def _rebuild(cls, en, vi, state):
    exc = cls.__new__(cls)
    UserError.__init__(exc, en, vi)
    exc.__dict__.update(state)
    return exc


class UnknownChoice(UserError, KeyError):
    """A name (model, variant, support set) that is not one of the offered choices."""

    title = Bilingual("Unknown choice", "Không có lựa chọn này")


class DiskFull(UserError, OSError):
    """The server's disk is full (any write: an upload's copy, a cache, a checkpoint): a message, not the OS's text."""

    title = Bilingual("The server's disk is full", "Ổ đĩa của máy chủ đã đầy")

    def __init__(self):
        super().__init__(
            "The server's disk is full, so this could not be done. Ask the instructor to free some space, then try "
            "again.",
            "Ổ đĩa của máy chủ đã đầy nên không làm được việc này. Hãy nhờ giảng viên giải phóng dung lượng rồi thử "
            "lại.",
        )


def is_disk_full(exc: BaseException) -> bool:
    """An OSError ENOSPC, or a library's error that only carries the text "... (os error 28)" (safetensors)."""
    import errno

    return (isinstance(exc, OSError) and exc.errno == errno.ENOSPC) or "os error 28" in str(exc)
