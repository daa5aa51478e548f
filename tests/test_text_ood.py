"""The text models' second out-of-domain signal (core/text/ood.py): the share of a text's words that are not English
words the WordNet models' training texts use. Text in another language, or with no words at all (punctuation,
emoji, numbers), is flagged with the reason in both languages; held-out WordNet definitions are not. Needs the
installed WordNet 3.0 (Debian's wordnet-base, in packages.txt)."""

from __future__ import annotations

import pytest
import torch

from core.text import UNLIKE_TRAINING, wordnet
from core.text import service as text_classify
from core.text.ood import (
    MOST_WORDS_UNKNOWN,
    TextVerdict,
    WordCheck,
    is_known,
    known_english_words,
    text_verdict,
    word_check,
    words_of,
)

VIETNAMESE = "một con mèo nhỏ ngồi trên thảm"
GLOSS_LIKE = "a domesticated carnivorous mammal kept as a pet"
NO_WORDS = ("?!?!... ,,, ;;", "🐱🐶😀", "3.14159 2.71828", "  :-)  ")


@pytest.fixture(scope="module")
def known():
    return known_english_words()


def test_words_are_runs_of_letters_in_any_script():
    assert words_of("Một con MÈO, 3 dogs!") == ["một", "con", "mèo", "dogs"]
    assert words_of("🐱 ?!... 42") == []
    assert words_of("Собака, 一只小猫") == ["собака", "一只小猫"]


def test_vietnamese_is_flagged_with_the_count_and_the_words(known):
    check = word_check(VIETNAMESE, known)
    assert (check.words, len(check.unknown)) == (7, 6)  # "con" is an English word (to con someone)
    assert check.unlike_training_data
    reason = check.reason()
    assert "Most words (6 of 7: một, mèo, nhỏ, ngồi, trên, …) are not English words this model learned" in reason
    assert "Phần lớn các từ (6 trên 7: một, mèo" in reason.vi and "tiếng Anh" in reason.vi
    # The lesson says whether the energy score agrees (the GRU gives this sentence a gloss-like energy).
    assert "even though the energy score alone finds nothing unusual" in reason and "dù riêng" in reason.vi
    assert "(the energy score agrees)" in check.reason(energy_unlike=True)


@pytest.mark.parametrize(
    "text",
    [
        "Hôm nay trời đẹp quá, chúng mình đi dạo công viên nhé.",
        "người dạy học ở trường phổ thông",
        "Собака сидит на ковре",
        "Der Hund ist ein Haustier, das gern im Garten spielt.",
    ],
)
def test_other_languages_are_flagged(known, text):
    assert word_check(text, known).unlike_training_data


@pytest.mark.parametrize("text", NO_WORDS)
def test_text_with_no_words_is_flagged_and_says_so(known, text):
    check = word_check(text, known)
    assert check.words == 0 and check.unlike_training_data
    assert "no words at all" in check.reason() and "không có từ nào" in check.reason().vi


def test_english_definitions_are_not_flagged(known):
    assert not word_check(GLOSS_LIKE, known).unlike_training_data
    assert not word_check("small furry animals", known).unknown  # plurals of known words are known
    assert is_known("potoroos", known) and is_known("berries", known) and is_known("boxes", known)
    assert word_check(GLOSS_LIKE, known).reason() == ""


def test_held_out_glosses_are_almost_never_flagged(known):
    """The known words come from the training split only; the validation glosses (1,604) measure the false alarms
    (train/text_ood_words.py: 0 of them at the app's threshold)."""
    val = [text for text, _ in wordnet.load_splits().val]
    flagged = [t for t in val if word_check(t, known).unlike_training_data]
    assert len(flagged) <= len(val) // 200, flagged[:5]  # at most 0.5 %


def test_the_threshold_is_most_of_the_words():
    half = WordCheck(words=4, unknown=("x", "y"))
    assert half.unknown_share == 0.5 and not half.unlike_training_data  # half is not most
    assert WordCheck(words=4, unknown=("x", "y", "z")).unlike_training_data
    assert MOST_WORDS_UNKNOWN == 0.5
    long = WordCheck(words=1, unknown=("a" * 500,)).reason()
    assert "a" * 24 + ")" in long and "a" * 25 not in long  # a huge "word" is quoted cut


def test_the_verdict_flags_on_either_signal_and_keeps_the_api_keys():
    calibration = {"threshold": -5.0}
    like = torch.tensor([[10.0] + [0.0] * 19])  # energy about -10: like a gloss
    words_bad = WordCheck(words=7, unknown=("a",) * 6)
    verdict = text_verdict(like, calibration, words_bad)
    assert isinstance(verdict, TextVerdict)
    assert verdict.unlike_training_data and not verdict.energy_unlike and verdict.score < verdict.threshold
    data = verdict.to_json()
    assert {"method", "score", "threshold", "unlike_training_data"} <= data.keys() and data["method"] == "energy"
    assert data["words"]["unknown_words"] == 6 and data["words"]["words"] == 7 and data["words"]["threshold"] == 0.5
    assert data["energy_unlike_training_data"] is False
    unlike = torch.zeros(1, 20)  # energy -log(20), about -3.0: above the line
    assert text_verdict(unlike, calibration, WordCheck(words=3, unknown=())).unlike_training_data
    assert not text_verdict(like, calibration, WordCheck(words=3, unknown=())).unlike_training_data
    assert text_verdict(like, calibration).to_json()["words"] is None  # no word list: the energy alone
    assert text_verdict(like, None, words_bad) is None  # not calibrated: no verdict


@pytest.mark.slow
def test_the_gru_flags_vietnamese_and_punctuation_but_not_a_definition():
    """What the class saw before: "một con mèo nhỏ ngồi trên thảm" -> noun.food 43 %, energy in-domain; now flagged,
    with the reason first among the notes, in the API's JSON too."""
    from demo.tabs import text as text_tab

    model = text_classify.load_text_model("gru_wordnet")
    assert model.known_words is not None
    for text in (VIETNAMESE, "?!?!... ,,, ;;"):
        result = text_classify.classify_text(model, text, explain=False)
        assert result.out_of_domain.unlike_training_data and not result.out_of_domain.energy_unlike, text
        reasons = [n for n in result.notes if "not English words" in n or "no words at all" in n]
        assert len(reasons) == 1 and UNLIKE_TRAINING in result.notes
        assert "the energy score alone finds nothing unusual" in reasons[0]  # the energy says in-domain here
        raw = text_tab.raw_result("gru_wordnet", result, None)
        assert raw["out_of_domain"]["unlike_training_data"] and raw["out_of_domain"]["words"]["unlike_training_data"]
    fine = text_classify.classify_text(model, GLOSS_LIKE, explain=False)
    assert not fine.out_of_domain.unlike_training_data and fine.out_of_domain.words.words == 8
    assert fine.notes == list(model.loaded.notes)


def test_the_tab_says_when_only_the_words_flag_the_text():
    """Flagged by the words while the energy looks in-domain: the numbers shown would say "like a definition" on
    their own, so the line says which signal flagged it, in each language."""
    from types import SimpleNamespace

    from core.text.ood import TextVerdict
    from demo.tabs.text import ood_line

    vi = SimpleNamespace(cookies={}, headers={"accept-language": "vi-VN"})
    words_only = SimpleNamespace(out_of_domain=TextVerdict(-8.74, -5.42, True, "energy", energy_unlike=False))
    both = SimpleNamespace(out_of_domain=TextVerdict(-3.0, -5.42, True, "energy", energy_unlike=True))
    assert "the energy alone looks like a definition's, the words do not" in ood_line(words_only)
    assert "năng lượng -8,74, ngưỡng -5,42: riêng năng lượng thì giống một định nghĩa" in ood_line(words_only, vi)
    assert "energy alone" not in ood_line(both) and "unlike the training data" in ood_line(both)
