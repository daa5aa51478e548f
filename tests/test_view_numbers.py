"""What the class reads on a fresh offline clone, in both languages: numbers the way the page's language writes them
(Vietnamese: 25.000 and 0,85; English: 25,000 and 0.85), a text file named .jpg refused as soon as it is uploaded,
and the live tab's Stop button inactive while nobody trains."""

from __future__ import annotations

import re

import pytest

from tests.student_view import (
    RESULT_TIMEOUT_MS,
    assert_clean,
    click_first_example,
    open_page,
    open_tab,
    open_tab_anywhere,
    save_view,
    visible_text,
)

WORDS = {
    "en": {
        "text_tab": "Text: GRU vs Transformer",
        "energy": r"energy -?\d+\.\d\d, threshold -?\d+\.\d\d",
        "image_tab": "Images: ResNet vs ViT",
        "params": r"\d+\.\d+M parameters",
        "bad_image": "Cannot use this image",
        "vqa_tab": "Visual question answering",
        "vqa_score": r"difference score \d+\.\d\d, threshold \d+\.\d\d",
        "question": "Ask something about the photo",
        "too_long": "25,000 characters long; the limit is 20,000",
        "live_tab": "Live training",
        "stop": "Stop",
    },
    "vi": {
        "text_tab": "Văn bản: GRU vs Transformer",
        "energy": r"năng lượng -?\d+,\d\d, ngưỡng -?\d+,\d\d",
        "image_tab": "Ảnh: ResNet vs ViT",
        "params": r"\d+,\d+ triệu tham số",
        "bad_image": "Không dùng được ảnh này",
        "vqa_tab": "Hỏi đáp ảnh (VQA)",
        "vqa_score": r"điểm khác biệt \d+,\d\d, ngưỡng \d+,\d\d",
        "question": "Hỏi gì đó về ảnh",
        "too_long": "25.000 ký tự; giới hạn là 20.000",
        "live_tab": "Huấn luyện trực tiếp",
        "stop": "Dừng",
    },
}
# English digits in Vietnamese running text, right after a Vietnamese word: a decimal point ("0.85") or a comma
# grouping thousands ("25,000"). Vietnamese writes 0,85 and 25.000.
ENGLISH_IN_VI = re.compile(r"(?:năng lượng|ngưỡng|điểm khác biệt|dài|là|tối đa)\s-?(?:\d+\.\d{1,2}|\d{1,3},\d{3})\b")


def _wait_for_pattern(page, pattern: str) -> str:
    page.locator(f"text=/{pattern}/").first.wait_for(timeout=RESULT_TIMEOUT_MS)
    return visible_text(page)


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_numbers_read_the_page_language_way(browser, repo_default_app, lang, tmp_path):
    words = WORDS[lang]
    page = open_page(browser, repo_default_app.url, lang)
    try:
        open_tab(page, words["text_tab"])
        click_first_example(page)
        _wait_for_pattern(page, words["energy"])
        assert_clean(page)
        save_view(page, "numbers_text", lang)

        open_tab(page, words["image_tab"])
        click_first_example(page)
        _wait_for_pattern(page, words["params"])
        assert_clean(page)
        save_view(page, "numbers_image", lang)
        text_file = tmp_path / "photo.jpg"
        text_file.write_text("this is a text file, not a photo\n" * 20)
        page.locator("#image-photo input[type=file]").set_input_files(str(text_file))
        page.get_by_text(words["bad_image"]).first.wait_for(timeout=RESULT_TIMEOUT_MS)  # said at upload
        save_view(page, "numbers_image_text_file", lang)

        open_tab_anywhere(page, words["live_tab"])
        stop = page.get_by_role("button", name=words["stop"], exact=True)
        stop.first.wait_for(timeout=RESULT_TIMEOUT_MS)
        assert stop.first.is_disabled(), "Stop is clickable while nobody trains"
        save_view(page, "numbers_live", lang)  # before the VQA refusal, whose message box covers the tab bar

        open_tab(page, words["vqa_tab"])
        click_first_example(page)
        shown = _wait_for_pattern(page, words["vqa_score"])
        save_view(page, "numbers_vqa", lang)
        box = page.get_by_placeholder(words["question"])
        box.fill("a" * 25_000)
        box.press("Enter")
        page.get_by_text(words["too_long"]).first.wait_for(timeout=RESULT_TIMEOUT_MS)
        shown += visible_text(page)
        save_view(page, "numbers_vqa_too_long", lang)
        if lang == "vi":
            assert not ENGLISH_IN_VI.search(shown), ENGLISH_IN_VI.search(shown)

    except Exception:
        save_view(page, "numbers_failure", lang)
        raise
    finally:
        page.close()
