"""What a curious student sees after bad input on a fresh offline clone (tests/student_view.py), in both languages.

One page per language goes through the tabs: the Sketchpad's own hint and tools in the page's language, a huge text
(cut, and said so), a question of punctuation only, one in Vietnamese and an empty one (said inline, no error
state), a 1x1 image (the model says it is tiny and unlike its training images), a search with no video (said
inline), and a text file named .png (a message in the page's language, nothing from the server's insides; the next
example runs cleanly). Screenshots: artifacts/views/review_bad_input_<lang>.png, the page after the last step.
"""

from __future__ import annotations

import re

import pytest
from PIL import Image

from tests import student_view as sv
from tests.bad_images import text_named_png

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.slow]

WORDS = {
    "en": {
        "live": "Live training", "hint": "select the draw tool to start", "tools": ["Brush", "Erase", "Clear canvas"],
        "text": "Text: GRU vs Transformer", "classify": "Classify", "cut": "text truncated at 64 tokens",
        "vqa": "Visual question answering", "ask": "Ask", "answer": "triangle (100%)",
        "unsure": "I am not sure (most of the question's words",
        "empty": "The question is empty", "image": "Images: ResNet vs ViT", "compare": "Compare",
        "tiny": "tiny image (1x1 px)", "unlike": "Unlike its training images", "video": "Video event search",
        "search": "Search", "no_video": "No video. Upload a video or pick an example.",
        "not_image": "'notes.png' is not an image we can read", "header_a": "Model A: SimpleCNN (Fashion-MNIST)",
    },
    "vi": {
        "live": "Huấn luyện trực tiếp", "hint": "chọn công cụ vẽ để bắt đầu", "tools": ["Bút vẽ", "Tẩy", "Xóa hình vẽ"],
        "text": "Văn bản: GRU vs Transformer", "classify": "Phân loại", "cut": "văn bản bị cắt ở 64 token",
        "vqa": "Hỏi đáp ảnh (VQA)", "ask": "Hỏi", "answer": "hình tam giác (triangle) (100%)",
        "unsure": "Mình không chắc lắm (phần lớn các từ trong câu hỏi",
        "empty": "Câu hỏi trống", "image": "Ảnh: ResNet vs ViT", "compare": "So sánh", "tiny": "ảnh rất nhỏ (1x1 px)",
        "unlike": "Không giống ảnh huấn luyện", "video": "Tìm sự kiện trong video", "search": "Tìm",
        "no_video": "Chưa có video. Hãy tải video lên hoặc chọn video ví dụ.",
        "not_image": "'notes.png' không phải là ảnh đọc được", "header_a": "Mô hình A: SimpleCNN (Fashion-MNIST)",
    },
}  # fmt: skip
ENGLISH_PAD = ("select the draw tool", "Brush", "Erase", "Clear canvas")


def _panel(page):
    return page.locator("[role=tabpanel]:visible")


def _shown(page, text: str) -> None:
    page.get_by_text(text).first.wait_for(timeout=sv.RESULT_TIMEOUT_MS)


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_bad_input_is_said_in_the_page_language_and_the_app_keeps_serving(browser, repo_default_app, lang, tmp_path):
    from playwright.sync_api import expect

    words = WORDS[lang]
    tiny = tmp_path / "one.png"
    Image.new("RGB", (1, 1), (255, 0, 0)).save(tiny)
    page = sv.open_page(browser, repo_default_app.url, lang)
    try:
        # The Sketchpad's hint and tool names are Gradio's, given in the page's language.
        sv.open_tab(page, words["live"])
        pad = page.locator("#drawing_pad")
        pad.scroll_into_view_if_needed()
        assert words["hint"] in pad.inner_text()
        for tool in words["tools"]:
            assert pad.get_by_role("button", name=tool, exact=True).count() == 1, tool
        if lang == "vi":
            labels = " ".join(pad.locator("button").evaluate_all("bs => bs.map(b => b.getAttribute('aria-label'))"))
            assert not any(english in pad.inner_text() + labels for english in ENGLISH_PAD), labels

        # A huge text is read up to the model's limit, and the page says so.
        sv.open_tab(page, words["text"])
        _panel(page).locator("textarea").first.fill("the cat sat on the mat " * 2000)
        page.get_by_role("button", name=words["classify"], exact=True).click()
        _shown(page, words["cut"])
        sv.assert_clean(page)

        # Punctuation only, then nothing: answered inline, in the page's language, without an error state.
        sv.open_tab(page, words["vqa"])
        sv.click_first_example(page)  # a triangle and its question, answered on click
        _shown(page, words["answer"])
        question = _panel(page).get_by_role("textbox").last
        for n, asked in enumerate(("?!.,;", "hình này màu gì?"), 1):  # words the model never learned
            question.fill(asked)
            page.get_by_role("button", name=words["ask"], exact=True).click()
            expect(page.get_by_text(words["unsure"])).to_have_count(n, timeout=sv.RESULT_TIMEOUT_MS)
        question.fill("")
        page.get_by_role("button", name=words["ask"], exact=True).click()
        _shown(page, words["empty"])
        sv.assert_clean(page)

        # A search with no video says what is missing where the results go.
        sv.open_tab(page, words["video"])
        page.get_by_role("button", name=words["search"], exact=True).click()
        _shown(page, words["no_video"])
        sv.assert_clean(page)

        # A 1x1 picture: the Fashion-MNIST pair answers, and says the picture is tiny and unlike what they know.
        sv.open_tab(page, words["image"])
        _panel(page).locator("input[type=file]").first.set_input_files(str(tiny))
        page.get_by_role("button", name=words["compare"], exact=True).click()
        _shown(page, words["tiny"])
        _shown(page, words["unlike"])
        sv.assert_clean(page)

        # A text file named .png: a message in the page's language, nothing from the server's insides.
        _panel(page).locator("input[type=file]").first.set_input_files(str(text_named_png(tmp_path)))
        page.get_by_role("button", name=words["compare"], exact=True).click()
        toast = page.locator(".toast-body").filter(has_text=words["not_image"])
        toast.first.wait_for(timeout=sv.RESULT_TIMEOUT_MS)
        assert not sv.internals_in(sv.visible_text(page))
        assert not re.search(r"Traceback|Exception|PIL|UnidentifiedImageError", toast.first.inner_text())

        # ... and the app keeps serving: the first example runs and the page is clean again.
        # The message stays beside the outputs' Error badges until the student closes it (demo/ui/errors.py).
        page.locator(".toast-body.error .toast-close").first.click()
        page.locator(".toast-body.error").first.wait_for(state="hidden", timeout=sv.RESULT_TIMEOUT_MS)
        sv.click_first_example(page)
        _shown(page, words["header_a"])
        page.locator(".wrap > span.error").first.wait_for(state="detached", timeout=sv.RESULT_TIMEOUT_MS)
        sv.assert_clean(page)
        sv.save_view(page, "review_bad_input", lang)
    except Exception:
        sv.save_view(page, "review_bad_input_failed", lang)
        raise
    finally:
        page.close()
