"""Measure the text models' second out-of-domain signal, the share of unknown words (core/text/ood.py), and print
the rates docs/OOD_VQA_TEXT.md quotes. Writes nothing: the threshold is core.text.ood.MOST_WORDS_UNKNOWN.

No model runs: the signal reads the words only, so it is the same for every WordNet model. The known words come from
the training split (core.text.ood.known_english_words); the validation and test glosses are measured on it, then
the texts of other worlds of train/text_ood.py, and the sentences below: Vietnamese (with and without its
diacritics), other languages, and texts with no words at all.

  python -m train.text_ood_words
  python -m train.text_ood_words --thresholds 0.3 0.5
"""

from __future__ import annotations

import argparse

from core.text.ood import MOST_WORDS_UNKNOWN, known_english_words, word_check
from core.text.wordnet import load_splits
from train.text_ood import other_texts, project_definitions

VIETNAMESE = (
    "một con mèo nhỏ ngồi trên thảm",
    "Hôm nay trời đẹp quá, chúng mình đi dạo công viên nhé.",
    "Món phở này ngon tuyệt, nước dùng rất đậm đà.",
    "loài động vật có vú ăn thịt được nuôi làm thú cưng trong nhà",
    "một loại trái cây nhiệt đới có vỏ gai và mùi rất nồng",
    "Mạng nơ-ron tích chập dùng các bộ lọc để trích xuất đặc trưng từ ảnh.",
    "người dạy học ở trường phổ thông",
    "dụng cụ dùng để cắt giấy hoặc vải",
    "Bạn có thể giải thích lại phần lan truyền ngược không?",
    "Thầy ơi, bài tập này nộp trước thứ sáu phải không ạ?",
)
VIETNAMESE_NO_DIACRITICS = (
    "mot con meo nho ngoi tren tham",
    "hom nay troi dep qua, chung minh di dao cong vien nhe",
    "mon pho nay ngon tuyet, nuoc dung rat dam da",
    "nguoi day hoc o truong pho thong",
    "ban co the giai thich lai phan lan truyen nguoc khong",
)
OTHER_LANGUAGES = (
    "Der Hund ist ein Haustier, das gern im Garten spielt.",
    "le chat est un petit animal domestique",
    "el perro es un animal doméstico que vive con las personas",
    "Собака сидит на ковре",
    "一只小猫坐在垫子上",
    "猫はマットの上に座っています",
)
# English a student might type that is not a definition: names, typos, slang, brand names. Ideally not flagged (the
# energy score and the lesson about definitions are for these); the share flagged is the cost of a lower threshold.
ENGLISH_TYPED = (
    "teh cat sat on teh mat",
    "Nguyen Van Minh is a student in Hanoi",
    "my fav food is pho",
    "a smol doggo",
    "the new iPhone has a great camera",
    "Tesla Model Y is an electric SUV",
    "gr8 movie btw",
    "ChatGPT is a chatbot made by OpenAI",
    "a sandwich from Saigon called banh mi",
    "Messi scored twice for Barcelona",
    "a dog",
    "recieve the pakage tommorow",
)
NO_WORDS = ("?!?!... ,,, ;;", "🐱🐶😀", "3.14159 2.71828 1.41421", "!!!", "12345", ":-) <3 ^_^", "¿¡…—–")


def rates(texts: list[str], known: frozenset[str], thresholds: list[float]) -> dict[float, float]:
    """The share of `texts` flagged at each threshold (no words, or more than that share unknown)."""
    checks = [word_check(t, known) for t in texts]
    return {th: sum(c.words == 0 or c.unknown_share > th for c in checks) / len(checks) for th in thresholds}


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--thresholds", nargs="+", type=float, default=[0.3, 0.4, MOST_WORDS_UNKNOWN, 0.6, 0.7])
    args = p.parse_args(argv)
    known = known_english_words()
    splits = load_splits()  # the training runs' split (seed 0, 2 % validation, 5 % test)
    sets = {
        "val glosses": [t for t, _ in splits.val],
        "test glosses": [t for t, _ in splits.test],
        "project definitions": project_definitions(),
        **other_texts(),
        "vietnamese": list(VIETNAMESE),
        "vietnamese, no diacritics": list(VIETNAMESE_NO_DIACRITICS),
        "other languages": list(OTHER_LANGUAGES),
        "english typed (names, typos)": list(ENGLISH_TYPED),
        "no words": list(NO_WORDS),
    }
    print(f"known words: {len(known):,}; flagged: no words, or more than the threshold's share unknown")
    print(f"{'set':28s} {'n':>5s} " + " ".join(f"{'>' + str(th):>7s}" for th in args.thresholds))
    measured = {}
    for name, texts in sets.items():
        measured[name] = rates(texts, known, args.thresholds)
        cells = " ".join(f"{100 * r:6.2f}%" for r in measured[name].values())
        print(f"{name:28s} {len(texts):5d} {cells}")
    missed = [t for t in (*VIETNAMESE, *VIETNAMESE_NO_DIACRITICS, *OTHER_LANGUAGES, *NO_WORDS)
              if not word_check(t, known).unlike_training_data]  # fmt: skip
    print(f"other worlds not flagged at {MOST_WORDS_UNKNOWN} (the app's threshold): {missed}")
    english = [t for t in ENGLISH_TYPED if word_check(t, known).unlike_training_data]
    print(f"typed English flagged at {MOST_WORDS_UNKNOWN}: {english}")
    return measured


if __name__ == "__main__":
    main()
