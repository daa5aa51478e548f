"""What the class sees in the text and VQA tabs on a fresh offline clone (committed checkpoints), in both languages:
the first example runs on one click, labels in the page's language, and the VQA tab says when a photo is unlike
its training images (a cat) and not when it is like them (an easy-VQA test image)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.student_view import (
    RESULT_TIMEOUT_MS,
    assert_clean,
    click_first_example,
    open_page,
    open_tab,
    save_view,
)

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
WORDS = {
    "en": {
        "text_tab": "Text: GRU vs Transformer",
        "vqa_tab": "Visual question answering",
        "text_a": "Model A: Bidirectional GRU (WordNet 3.0 nouns)",
        "class": "noun.",  # WordNet's class names, as they are
        "verdict": ("No sign that this text is unlike", "This text is unlike the training data"),
        "reply": "Next:",
        "unlike": "This photo is unlike the training images",
        "like": "This photo is like the training images",
        "lesson": "Confidence is not correctness",
        "english_answer": None,
        "question": "Ask something about the photo",
    },
    "vi": {
        "text_tab": "Văn bản: GRU vs Transformer",
        "vqa_tab": "Hỏi đáp ảnh (VQA)",
        "text_a": "Mô hình A: Bidirectional GRU (WordNet 3.0 nouns)",
        "class": "(noun.",  # Vietnamese first, WordNet's name beside it: "động vật (noun.animal)"
        "verdict": ("Không thấy dấu hiệu văn bản này khác", "Văn bản này không giống dữ liệu huấn luyện"),
        "reply": "Khả năng khác:",
        "unlike": "Ảnh này không giống ảnh huấn luyện",
        "like": "Ảnh này giống ảnh huấn luyện",
        "lesson": "Độ tin cậy không có nghĩa là trả lời đúng",
        "english_answer": "(triangle)",  # "hình tam giác (triangle)": the first example's answer, in Vietnamese
        "question": "Hỏi gì đó về ảnh",
    },
}


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_text_tab_first_example_runs_with_labels_in_the_page_language(browser, repo_default_app, lang):
    words = WORDS[lang]
    page = open_page(browser, repo_default_app.url, lang)
    try:
        open_tab(page, words["text_tab"])
        click_first_example(page)  # runs on click: no Classify needed
        page.get_by_text(words["text_a"]).first.wait_for(timeout=RESULT_TIMEOUT_MS)
        page.get_by_text(words["class"]).first.wait_for(timeout=RESULT_TIMEOUT_MS)
        verdicts = sum(page.get_by_text(v).count() for v in words["verdict"])
        assert verdicts >= 2, "each WordNet model says whether the text is like its training data"
        if lang == "vi":  # the classes in Vietnamese, WordNet's English name only beside them
            assert page.locator("text=/[^\\s]+ \\(noun\\.[a-z]+\\)/").count() > 0
        assert_clean(page)
        save_view(page, "text_first_example", lang)
    finally:
        page.close()


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_vqa_tab_answers_an_example_and_flags_a_photo_from_another_world(browser, repo_default_app, lang):
    words = WORDS[lang]
    page = open_page(browser, repo_default_app.url, lang)
    try:
        open_tab(page, words["vqa_tab"])
        click_first_example(page)  # an easy-VQA test image + its question: one click answers
        page.get_by_text(words["reply"]).first.wait_for(timeout=RESULT_TIMEOUT_MS)
        page.get_by_text(words["like"]).first.wait_for(timeout=RESULT_TIMEOUT_MS)
        assert page.get_by_text(words["unlike"]).count() == 0
        if words["english_answer"]:
            page.get_by_text(words["english_answer"]).first.wait_for(timeout=RESULT_TIMEOUT_MS)
        assert_clean(page)
        save_view(page, "vqa_first_example", lang)

        page.locator("#vqa-photo input[type=file]").set_input_files(str(EXAMPLES / "images" / "meo_chelsea.jpg"))
        page.get_by_text(words["like"]).first.wait_for(state="hidden", timeout=RESULT_TIMEOUT_MS)  # a new chat
        box = page.get_by_placeholder(words["question"])
        box.fill("what color is the shape?")
        box.press("Enter")
        page.get_by_text(words["unlike"]).first.wait_for(timeout=RESULT_TIMEOUT_MS)
        page.get_by_text(words["lesson"]).first.wait_for(timeout=RESULT_TIMEOUT_MS)
        assert_clean(page)
        save_view(page, "vqa_cat_photo", lang)
    except Exception:
        save_view(page, "vqa_failure", lang)
        raise
    finally:
        page.close()
