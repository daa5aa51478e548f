"""Vietnamese caption text: Unicode NFC everywhere, KTVIC-style word segmentation, clean decoded strings.

Vietnamese letters can be typed precomposed ("ệ", one code point) or decomposed ("e" + two combining marks); a
macOS keyboard, a web form and a JSON file may each use a different form. Metrics compare strings, so every caption
(reference, prediction, typed reference) goes through `nfc` first, or "việt" and "việt" would count as different
words.

Metric tokens (`metric_tokens`): syllables by default, the space-separated units Vietnamese is written in. The
course report's own KTVIC example shows `segment_caption` equal to `caption`, with no underscores ("xuất hiện", not
"xuất_hiện"), which implies its metrics were computed on syllables. `unit="words"` scores pyvi's word segmentation
instead (multi-syllable words joined by "_", "xe_đạp"): fewer, longer tokens, so n-gram scores differ; without pyvi
`segment` falls back to syllables and prints a note once.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

MAX_CAPTION_CHARS = 300
_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)
_SPACES = re.compile(r"\s+")
# Byte-level BPE shows a space as "Ġ" and a newline as "Ċ" when tokens are joined instead of decoded.
BPE_ARTEFACTS = ("Ġ", "Ċ", "\ufffd")
_INVISIBLE = {"Cc", "Cf", "Co", "Cn", "Cs"}


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text or "")


def normalize_caption(text: str) -> str:
    """NFC, lower case, punctuation removed, single spaces: the form captions are trained and scored in."""
    text = nfc(text).lower().replace("_", " ")
    text = _PUNCT.sub(" ", text)
    return _SPACES.sub(" ", text).strip()[:MAX_CAPTION_CHARS]


@lru_cache(maxsize=1)
def _pyvi():
    try:
        from pyvi import ViTokenizer

        return ViTokenizer
    except ImportError:
        print("caption metrics: pyvi is not installed, so captions are scored on syllables, not KTVIC's words")
        return None


def segment(text: str, *, use_pyvi: bool = True) -> str:
    """Caption -> pyvi word tokens joined by spaces, multi-syllable words joined by "_" ("xe_đạp")."""
    text = normalize_caption(text)
    tokenizer = _pyvi() if use_pyvi else None
    if tokenizer is None or not text:
        return text
    return nfc(tokenizer.tokenize(text))


TOKEN_UNITS = ("syllables", "words")


def metric_tokens(text: str, unit: str = "syllables") -> list[str]:
    """The tokens a caption is scored on: syllables (default; underscores count as spaces) or pyvi words."""
    if unit == "syllables":
        return normalize_caption(text).split()
    if unit == "words":
        return segment(text).split()
    raise ValueError(f"unknown token unit {unit!r}; valid: {', '.join(TOKEN_UNITS)}")


def clean_decoded(text: str) -> str:
    """A decoded caption as a user sees it: NFC, no BPE markers or half characters, single spaces.

    Decoding a byte-level BPE sequence that stops in the middle of a multi-byte UTF-8 character (sampling can end
    anywhere) gives U+FFFD; a half-written "ệ" is dropped rather than shown broken.
    """
    for mark in BPE_ARTEFACTS:
        text = text.replace(mark, " " if mark != "\ufffd" else "")
    # Control bytes, private-use and unassigned code points: a byte-level model can emit any byte sequence.
    text = "".join(ch for ch in nfc(text) if ch.isspace() or unicodedata.category(ch) not in _INVISIBLE)
    return _SPACES.sub(" ", text).strip()
