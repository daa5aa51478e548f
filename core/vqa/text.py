"""Question tokenisation for Vietnamese (and English) VQA.

Questions are NFC-normalised, lower-cased and split into syllables (Vietnamese writes one syllable per space-
separated token, so syllables are a robust unit without a segmenter; pyvi's word segmentation is an option).
Students often type without diacritics ("mon nay la mon gi"): every vocabulary syllable is also indexed by its
accent-free form, so an unknown "mon" maps to the known syllable "món" (the most frequent one sharing that form).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

PAD, UNK = "<pad>", "<unk>"
MAX_QUESTION_CHARS = 500  # a question longer than this is cut: nobody asks about a photo in 10,000 characters
MAX_TOKENS = 40
_WORD = re.compile(r"[\w]+", re.UNICODE)


def normalise(text: str) -> str:
    return unicodedata.normalize("NFC", text or "").lower().strip()


def strip_accents(text: str) -> str:
    """'món bánh đúc' -> 'mon banh duc' (đ is a letter of its own, not a d with a mark)."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


def tokenize(text: str, *, segment_words: bool = False) -> list[str]:
    text = normalise(text)[:MAX_QUESTION_CHARS]
    if segment_words:
        from pyvi import ViTokenizer  # joins multi-syllable words with "_": "bánh_bèo"

        text = ViTokenizer.tokenize(text)
    return _WORD.findall(text)[:MAX_TOKENS]


@dataclass
class Vocabulary:
    tokens: list[str]
    segment_words: bool = False
    _index: dict[str, int] = field(init=False, repr=False)
    _accentless: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self):
        self._index = {t: i for i, t in enumerate(self.tokens)}
        self._accentless = {}
        for i, t in enumerate(self.tokens):  # tokens are stored most frequent first: first one wins
            self._accentless.setdefault(strip_accents(t), i)

    @classmethod
    def build(cls, questions: Iterable[str], *, min_count: int = 1, segment_words: bool = False) -> Vocabulary:
        counts = Counter(t for q in questions for t in tokenize(q, segment_words=segment_words))
        ordered = [t for t, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if c >= min_count]
        return cls([PAD, UNK, *ordered], segment_words=segment_words)

    def encode(self, question: str) -> tuple[list[int], float]:
        """Token ids (never empty: [UNK] if nothing is readable) and the fraction of unknown tokens (1.0 for
        a question with no words at all, e.g. only emoji)."""
        ids, unknown = [], 0
        tokens = tokenize(question, segment_words=self.segment_words)
        for tok in tokens:
            idx = self._index.get(tok)
            if idx is None:
                idx = self._accentless.get(strip_accents(tok))
            if idx is None:
                unknown += 1
                idx = self._index[UNK]
            ids.append(idx)
        return ids or [self._index[UNK]], unknown / len(tokens) if tokens else 1.0

    def __len__(self) -> int:
        return len(self.tokens)
