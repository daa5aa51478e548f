"""VQA constants the UI needs without importing torch (the variants and datasets are catalogue entries:
core.catalog.registry.VQA_VARIANTS / VQA_DATASETS)."""

from __future__ import annotations

# easy-VQA's answer set, for the tiny profile and for showing its English answers in Vietnamese too.
EASY_VQA_VI = {
    "circle": "hình tròn",
    "rectangle": "hình chữ nhật",
    "triangle": "hình tam giác",
    "yes": "có",
    "no": "không",
    "red": "đỏ",
    "green": "xanh lá",
    "blue": "xanh dương",
    "teal": "xanh mòng két",
    "yellow": "vàng",
    "black": "đen",
    "gray": "xám",
    "brown": "nâu",
}
UNSURE_BELOW = 0.5  # top probability under this, or half the words unknown: say so

# The course's Vietnamese food VQA set (report 003, "Dataset"): not public, so the app cannot train or run on it.
# The report states 65,331 samples split into these three parts, which add up to 57,331: a discrepancy of 8,000
# that the report does not explain. Shown with the note wherever the numbers appear (tests/test_vqa.py pins it).
COURSE_FOOD_STATED_TOTAL = 65_331
COURSE_FOOD_SPLIT = {"train": 41_613, "validation": 4_839, "test": 10_879}


def course_food_split_note():
    """The report's numbers, their real sum and the gap, in both languages."""
    from core.runtime.messages import Bilingual, number_text

    def vi(n: int) -> str:
        return number_text(n).vi

    s = COURSE_FOOD_SPLIT
    total = sum(s.values())
    gap = COURSE_FOOD_STATED_TOTAL - total
    return Bilingual(
        f"Report 003 states {COURSE_FOOD_STATED_TOTAL:,} samples split into Train {s['train']:,} + Validation "
        f"{s['validation']:,} + Test {s['test']:,}; those add up to {total:,}, not {COURSE_FOOD_STATED_TOTAL:,} "
        f"({gap:,} unaccounted for in the report).",
        f"Báo cáo 003 ghi {vi(COURSE_FOOD_STATED_TOTAL)} mẫu, chia thành Train {vi(s['train'])} + Validation "
        f"{vi(s['validation'])} + Test {vi(s['test'])}; cộng lại chỉ được {vi(total)}, không phải "
        f"{vi(COURSE_FOOD_STATED_TOTAL)} (báo cáo không giải thích {vi(gap)} mẫu chênh lệch).",
    )


def answer_vi(answer: str) -> str:
    """An easy-VQA answer in Vietnamese (the answer itself where none is known: a food set's answers already are)."""
    return EASY_VQA_VI.get(answer, answer)
