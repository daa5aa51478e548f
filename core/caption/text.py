"""Vietnamese caption text: Unicode NFC everywhere, KTVIC-style word segmentation, clean decoded strings.

Vietnamese letters can be typed precomposed ("ệ", one code point) or decomposed ("e" + two combining marks); a
macOS keyboard, a web form and a JSON file may each use a different form. Metrics compare strings, so every caption
(reference, prediction, typed reference) goes through `nfc` first, or "việt" and "việt" would count as different
words.

KTVIC ships `segment_caption`: words segmented with underscores ("đàn_ông", "xe_đạp"), and its scores are computed
on those tokens. `segment` reproduces that with pyvi when installed; without pyvi the syllables are the tokens (a
printed note says so once), which lowers n-gram overlap for multi-syllable words but stays consistent.
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
    """Caption -> KTVIC-style tokens joined by spaces, multi-syllable words joined by "_" ("xe_đạp")."""
    text = normalize_caption(text)
    tokenizer = _pyvi() if use_pyvi else None
    if tokenizer is None or not text:
        return text
    return nfc(tokenizer.tokenize(text))


def unsegment(text: str) -> str:
    """Segmented tokens back to readable syllables ("xe_đạp" -> "xe đạp")."""
    return _SPACES.sub(" ", nfc(text).replace("_", " ")).strip()


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
