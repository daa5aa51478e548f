"""Is this text like the texts a classifier was trained on? The energy of the model's logits.

The WordNet models were trained on one-line noun definitions ("a domesticated carnivorous mammal ..."); shown a
newsgroup post or a chat message they still pick one of their 20 noun classes. Their top probability is a poor
guide, so the app uses the energy score (Liu et al., 2020, "Energy-based out-of-distribution detection"):
-logsumexp(logits). Texts like the training data drive some logit far up (low energy); a text from another world
tends to leave every logit lower (higher energy). The threshold is a high percentile of the energies of held-out
validation glosses, in `ood.json` beside each checkpoint, written by `python -m train.text_ood`.

A distance in the sentence features (`sentence_features`, the vector the last layer reads, as core/vqa/ood.py does
for images) was measured first and caught none of the other texts (docs/OOD_VQA_TEXT.md): other texts land nearer
the centre of the glosses' features than many glosses do. The energy signal is weaker than the image one: it
catches long posts more often than single sentences (the measured rates are in ood.json), and it misses texts in
another language or with no words at all: "một con mèo nhỏ ngồi trên thảm" gets a gloss-like energy and "noun.food".

So a second signal sits beside it, one a student can check by eye and that needs no model forward: the share of the
text's words that are not English words the model's training texts use (`word_check`; the known words are WordNet's
lemmas and the words of the training split's definitions, `known_english_words`). A text whose words are mostly
unknown, or that has no words at all (punctuation, emoji, numbers), is flagged, with the reason. The threshold,
more than half of the words, was measured (`python -m train.text_ood_words`, docs/OOD_VQA_TEXT.md): it flags none
of the 1,604 validation glosses and every Vietnamese sentence written with its diacritics for the measurement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from core.runtime.messages import Bilingual
from core.text.model import BiGRUClassifier, EncoderClassifier
from core.training.ood import Verdict, energy_score, load_calibration, threshold_verdict  # noqa: F401

# A word: a run of letters in any script ("mèo", "собака", "一只小猫" alike); digits, punctuation and emoji are not.
WORD = re.compile(r"[^\W\d_]+")
# Flagged when more than this share of the words is unknown ("most words"); measured by train/text_ood_words.py.
MOST_WORDS_UNKNOWN = 0.5
WORDS_METHOD = "share of words that are not English words of the training texts (WordNet)"
SHOWN_UNKNOWN = 5  # unknown words quoted in the reason


@torch.inference_mode()
def sentence_features(module: torch.nn.Module, ids: torch.Tensor) -> np.ndarray:
    """(B, T) padded token ids -> (B, D): the vector the classifier's final Linear layer reads (before dropout)."""
    mask = ids != module.pad_id
    if isinstance(module, BiGRUClassifier):
        padded = module.pad_inputs(ids)
        emb = module.embedding(padded)
        if module.packed:
            lengths = (padded != module.pad_id).sum(1).clamp(min=1).cpu()
            inputs = torch.nn.utils.rnn.pack_padded_sequence(emb, lengths, batch_first=True, enforce_sorted=False)
        else:
            inputs = emb
        _, h_n = module.gru(inputs)
        feats = torch.cat([h_n[-2], h_n[-1]], dim=1)
    elif isinstance(module, EncoderClassifier):
        feats = module.pool(module.encoder(input_ids=ids, attention_mask=mask.long()).last_hidden_state, mask)
    else:
        raise TypeError(f"no sentence feature for {type(module).__name__}")
    return feats.float().cpu().numpy().astype(np.float64)


def energy(logits: torch.Tensor) -> np.ndarray:
    """(B, classes) logits -> (B,) energy scores (core.training.ood.energy_score): higher means less like the
    training data."""
    return energy_score(logits.float()).cpu().numpy().astype(np.float64)


# ---- the second signal: are the text's words English words the model's training texts use? --------------------


def words_of(text: str) -> list[str]:
    """The text's words, lower-cased: runs of letters in any script."""
    return WORD.findall(text.lower())


@lru_cache(maxsize=2)
def known_english_words(data_dir: str | None = None) -> frozenset[str]:
    """Every word the WordNet models could have learned as English: each word of WordNet 3.0's lemmas (all parts of
    speech, with the irregular forms of its .exc files: "mice", "kept") and of the training split's definitions
    ("a", "the", "which"...). Validation and test definitions are left out, so the rates measured on them are
    honest. About 100,000 words, read once (about a second). Raises core.text.data.DataUnavailable without WordNet."""
    from core.text.wordnet import DEFAULT_DIR, find_data, load_splits

    folder = find_data(data_dir).parent if data_dir else DEFAULT_DIR
    known = {w for text, _ in load_splits(data_dir).train for w in words_of(text)}
    for pos in ("noun", "verb", "adj", "adv"):
        for line in (Path(folder) / f"index.{pos}").read_text(encoding="utf-8").splitlines():
            if not line.startswith(" "):  # the licence header's lines are indented
                known.update(words_of(line.split(" ", 1)[0]))
        exceptions = Path(folder) / f"{pos}.exc"
        if exceptions.is_file():
            known.update(words_of(exceptions.read_text(encoding="utf-8")))
    return frozenset(known)


def is_known(word: str, known: frozenset[str]) -> bool:
    """`word` is known, or is a regular plural of a known word (WordNet lists "potoroo", a definition says
    "potoroos")."""
    if word in known:
        return True
    if word.endswith("ies") and word[:-3] + "y" in known:
        return True
    return word.endswith("s") and (word[:-1] in known or (word.endswith("es") and word[:-2] in known))


@dataclass(frozen=True)
class WordCheck:
    """How many of a text's words are not English words the model's training texts use."""

    words: int  # words in the text
    unknown: tuple[str, ...]  # its unknown words, in order (repeats kept: the share counts every occurrence)
    threshold: float = MOST_WORDS_UNKNOWN

    @property
    def unknown_share(self) -> float:
        return len(self.unknown) / self.words if self.words else 1.0

    @property
    def unlike_training_data(self) -> bool:
        """No words at all, or most of them unknown."""
        return self.words == 0 or self.unknown_share > self.threshold

    def to_json(self) -> dict:
        return {"method": WORDS_METHOD, "words": self.words, "unknown_words": len(self.unknown),
                "unknown_share": round(self.unknown_share, 4), "threshold": self.threshold,
                "unlike_training_data": self.unlike_training_data}  # fmt: skip

    def reason(self, energy_unlike: bool = False) -> Bilingual:
        """Why the text is flagged, in both languages ("" when it is not); `energy_unlike`: whether the energy score
        flags it too (the two can disagree: a Vietnamese sentence gets a gloss-like energy from the GRU)."""
        lesson = (
            "This model only learned one-line English definitions: whatever class it picks for this text is a guess"
        )
        lesson_vi = (
            "Mô hình này chỉ học các định nghĩa tiếng Anh một dòng: lớp nào nó chọn cho văn bản này cũng chỉ là đoán"
        )
        if energy_unlike:
            lesson, lesson_vi = (
                lesson + " (the energy score agrees).",
                lesson_vi + " (điểm năng lượng cũng cho thấy vậy).",
            )
        else:
            lesson += ", even though the energy score alone finds nothing unusual."
            lesson_vi += ", dù riêng điểm năng lượng không thấy gì lạ."
        if not self.unlike_training_data:
            return Bilingual("", "")
        if self.words == 0:
            return Bilingual(
                "This text has no words at all (only punctuation, symbols, emoji or numbers). " + lesson,
                "Văn bản này không có từ nào (chỉ có dấu câu, ký hiệu, emoji hoặc số). " + lesson_vi,
            )
        unique = list(dict.fromkeys(w[:24] for w in self.unknown))  # a 10,000-letter "word" is quoted cut
        shown = ", ".join(unique[:SHOWN_UNKNOWN]) + (", …" if len(unique) > SHOWN_UNKNOWN else "")
        n, total = len(self.unknown), self.words
        return Bilingual(
            f"Most words ({n} of {total}: {shown}) are not English words this model learned. " + lesson,
            f"Phần lớn các từ ({n} trên {total}: {shown}) không phải từ tiếng Anh mà mô hình này đã học. " + lesson_vi,
        )


def word_check(text: str, known: frozenset[str]) -> WordCheck:
    """The text's words against the known English words (no model forward)."""
    words = words_of(text)
    return WordCheck(len(words), tuple(w for w in words if not is_known(w, known)))


@dataclass(frozen=True)
class TextVerdict(Verdict):
    """The text verdict: the energy score against its threshold (score, threshold, method "energy", as before) and
    the word check; `unlike_training_data` is true when either flags the text."""

    energy_unlike: bool = False  # what the energy check alone says
    words: WordCheck | None = None  # None: no known-word list (WordNet not installed)

    def to_json(self) -> dict:
        """Verdict.to_json's keys, then what each signal says on its own."""
        return {**super().to_json(), "energy_unlike_training_data": self.energy_unlike,
                "words": None if self.words is None else self.words.to_json()}  # fmt: skip


def text_verdict(logits: torch.Tensor, calibration: dict | None, words: WordCheck | None = None) -> TextVerdict | None:
    """The out-of-domain verdict of one text from its (1, classes) logits and its word check, or None without a
    calibration."""
    if calibration is None:
        return None
    by_energy = threshold_verdict(float(energy(logits)[0]), calibration, "energy")
    flagged = by_energy.unlike_training_data or bool(words and words.unlike_training_data)
    return TextVerdict(by_energy.score, by_energy.threshold, flagged, by_energy.method,
                       energy_unlike=by_energy.unlike_training_data, words=words)  # fmt: skip
