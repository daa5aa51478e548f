"""Numbers on the Vietnamese page are written the Vietnamese way: thousands with dots (25.000), decimals with a
comma (0,85). The English text and the HTTP API's JSON numbers keep theirs."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import pytest

from core.runtime.messages import number_text

VI = gr.Request(headers={"accept-language": "vi-VN,vi;q=0.9,en;q=0.8"}, cookies={})
EN = gr.Request(headers={"accept-language": "en-US,en;q=0.9"}, cookies={})
ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("value", "decimals", "en", "vi"),
    [
        (1234.56, 2, "1,234.56", "1.234,56"),
        (-14.34, 2, "-14.34", "-14,34"),
        (25_000, 0, "25,000", "25.000"),
        (0.85, 2, "0.85", "0,85"),
        (0.3, 1, "0.3", "0,3"),
        (1_234_567, 0, "1,234,567", "1.234.567"),
        (0.5, None, "0.5", "0,5"),
        (1e-5, None, "1e-05", "1e-05"),
    ],
)
def test_number_text_writes_each_language_its_way(value, decimals, en, vi):
    text = number_text(value, decimals)
    assert str(text) == en and text.vi == vi


def test_number_text_scientific():
    text = number_text(3.2149e-5, 2, scientific=True)
    assert str(text) == "3.21e-05" and text.vi == "3,21e-05"


def test_an_over_long_question_is_refused_with_vietnamese_numbers():
    from core.vqa.chat import MAX_QUESTION_INPUT_CHARS, checked_fields

    with pytest.raises(Exception) as caught:
        checked_fields("x" * 25_000, "cnn_att", "easy_vqa")
    assert MAX_QUESTION_INPUT_CHARS == 20_000
    assert "25,000 characters long; the limit is 20,000" in str(caught.value)
    assert "dài 25.000 ký tự; giới hạn là 20.000" in caught.value.vi


def test_a_pasted_novel_in_a_grid_is_refused_with_vietnamese_numbers():
    from core.image.conv_arithmetic import MAX_GRID_CHARS, parse_grid

    with pytest.raises(Exception) as caught:
        parse_grid("1 " * MAX_GRID_CHARS)
    assert f"{MAX_GRID_CHARS:,}" in str(caught.value)
    assert f"tối đa {MAX_GRID_CHARS:,} ký tự".replace(",", ".") in caught.value.vi  # 24.576


OOD = SimpleNamespace(score=-14.3449, threshold=-9.871, unlike_training_data=False)


def test_the_text_tabs_energy_line():
    from demo.tabs.text import ood_line

    result = SimpleNamespace(out_of_domain=OOD)
    assert "năng lượng -14,34, ngưỡng -9,87" in ood_line(result, VI)
    assert "energy -14.34, threshold -9.87" in ood_line(result, EN)


def test_the_vqa_tabs_photo_notice():
    from demo.tabs.vqa import notice_update

    answer = SimpleNamespace(out_of_domain=SimpleNamespace(score=0.8512, threshold=1.7923, unlike_training_data=False))
    assert "điểm khác biệt 0,85, ngưỡng 1,79" in notice_update(answer, "easy_vqa", VI)["value"]
    assert "difference score 0.85, threshold 1.79" in notice_update(answer, "easy_vqa", EN)["value"]


def test_the_vqa_food_split_note():
    from core.vqa.answers import course_food_split_note

    note = course_food_split_note()
    assert "65,331" in note and "65.331" in note.vi and "65,331" not in note.vi


# An f-string (its adjacent pieces joined) with a Vietnamese letter in its text and a replacement field that groups
# thousands (:,) or writes decimals (:.2f, :.1e): Python's English digits inside Vietnamese text. Whole numbers
# (:.0f) read the same in both; an f-string whose result goes through .replace(...) is converted by hand.
_VI_LETTER = re.compile(r"[àáảãạăắằẳẵặâấầẩẫậđèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵ]", re.I)
_ENGLISH_DIGITS = re.compile(r"^(,[.0-9]*[dfeg]?|[.][1-9][fe%])$")
# Files another change of this round is rewriting; remove an entry once its Vietnamese numbers are fixed.
_NOT_YET: set[str] = set()


def _english_numbers_in_vietnamese(tree: ast.AST):
    replaced = {
        id(node.func.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "replace"
    }
    for node in ast.walk(tree):
        if not isinstance(node, ast.JoinedStr) or id(node) in replaced:
            continue
        text = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
        specs = [
            "".join(p.value for p in v.format_spec.values if isinstance(p, ast.Constant))
            for v in node.values
            if isinstance(v, ast.FormattedValue) and v.format_spec is not None
        ]
        if _VI_LETTER.search(text) and any(_ENGLISH_DIGITS.match(spec) for spec in specs):
            yield node.lineno, text[:80]


def test_no_english_number_format_inside_vietnamese_text():
    found = []
    for path in sorted([*(ROOT / "core").rglob("*.py"), *(ROOT / "demo").rglob("*.py")]):
        name = path.relative_to(ROOT).as_posix()
        if name not in _NOT_YET:
            tree = ast.parse(path.read_text(encoding="utf-8"))
            found += [f"{name}:{line}: {text}" for line, text in _english_numbers_in_vietnamese(tree)]
    assert not found, "English number formats in Vietnamese text (use core.runtime.messages.number_text):\n" + (
        "\n".join(found)
    )


def test_the_scan_finds_the_pattern():
    """The scan above would catch "giới hạn là {n:,}" and "ngưỡng {t:.2f}", not the English or a replaced one."""
    source = (
        'a = f"giới hạn là {n:,}"\nb = f"ngưỡng {t:.2f}"\nc = f"limit {n:,}"\nd = f"ngưỡng {t:.2f}".replace(".", ",")\n'
        'e = f"mất {s:.0f} giây"\n'
    )
    assert [line for line, _ in _english_numbers_in_vietnamese(ast.parse(source))] == [1, 2]
