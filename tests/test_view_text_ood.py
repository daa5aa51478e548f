"""What the class sees when it types text from another world into the Text tab (fresh offline clone, committed
WordNet models), in both languages: a Vietnamese sentence and punctuation only are flagged with the reason ("most
words (6 of 7) ..." / "no words at all"); an English gloss-like sentence is not."""

from __future__ import annotations

import pytest

from tests import student_view as sv

WORDS = {
    "en": {
        "tab": "Text: GRU vs Transformer",
        "classify": "Classify",
        "unlike": "This text is unlike the training data",
        "like": "No sign that this text is unlike",
        "most": "Most words (6 of 7: một, mèo, nhỏ, ngồi, trên, …) are not English words this model learned",
        "none": "This text has no words at all",
    },
    "vi": {
        "tab": "Văn bản: GRU vs Transformer",
        "classify": "Phân loại",
        "unlike": "Văn bản này không giống dữ liệu huấn luyện",
        "like": "Không thấy dấu hiệu văn bản này khác",
        "most": "Phần lớn các từ (6 trên 7: một, mèo, nhỏ, ngồi, trên, …) không phải từ tiếng Anh mà mô hình",
        "none": "Văn bản này không có từ nào",
    },
}
VIETNAMESE = "một con mèo nhỏ ngồi trên thảm"
PUNCTUATION = "?!?!... ,,, ;;"
GLOSS_LIKE = "a domesticated carnivorous mammal kept as a pet"


def _classify(page, words: dict, text: str) -> None:
    page.locator("[role=tabpanel]:visible").locator("textarea").first.fill(text)
    page.get_by_role("button", name=words["classify"], exact=True).click()


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_text_from_another_world_is_flagged_with_the_reason(browser, repo_default_app, lang):
    from playwright.sync_api import expect

    words = WORDS[lang]
    page = sv.open_page(browser, repo_default_app.url, lang)
    timeout = sv.RESULT_TIMEOUT_MS
    try:
        sv.open_tab(page, words["tab"])
        _classify(page, words, VIETNAMESE)
        expect(page.get_by_text(words["most"])).to_have_count(2, timeout=timeout)  # both WordNet models
        expect(page.get_by_text(words["unlike"])).to_have_count(2, timeout=timeout)
        sv.assert_clean(page)
        sv.save_view(page, "text_ood_vietnamese", lang)

        _classify(page, words, PUNCTUATION)
        expect(page.get_by_text(words["none"])).to_have_count(2, timeout=timeout)
        expect(page.get_by_text(words["unlike"])).to_have_count(2, timeout=timeout)
        sv.assert_clean(page)
        sv.save_view(page, "text_ood_punctuation", lang)

        _classify(page, words, GLOSS_LIKE)
        expect(page.get_by_text(words["like"])).to_have_count(2, timeout=timeout)
        assert page.get_by_text(words["unlike"]).count() == 0 and page.get_by_text(words["none"]).count() == 0
        sv.assert_clean(page)
        sv.save_view(page, "text_ood_gloss", lang)
    finally:
        page.close()
