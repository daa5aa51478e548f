"""The caption tab's example and the CLIP tab's k-shot events as a student drives them (Chromium, both languages).

The caption tab's button and its clicked example share one handler; the CLIP tab's k-shot and curve handlers take
their ten galleries after the visitor's request (demo/tabs/clip.py). Here, with tiny random models (`tiny_app`):
the first caption example captions the photo in the page's language; moving the k slider runs k-shot and says so in
the page's language; images dropped into the first two of the ten galleries reach k-shot (the support counts shown
are theirs). Screenshots land in artifacts/views/.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.student_view import (
    RESULT_TIMEOUT_MS,
    assert_clean,
    click_first_example,
    open_page,
    open_tab_anywhere,
    save_view,
    visible_text,
)

pytestmark = [pytest.mark.browser, pytest.mark.server]

REPO = Path(__file__).resolve().parents[1]
SHAPES = sorted(str(p) for p in (REPO / "examples" / "vqa").glob("*.png"))
WORDS = {
    "en": {
        "caption": "Vietnamese captions", "latency": "latency: ", "clip": "CLIP playground",
        "k": "range slider for k images per class", "used": "Used circle: ", "your_images": "Your images",
        "galleries": "Your support images", "classes": "Class names", "k_shot": "Classify k-shot",
        "gallery": "Class {}", "used_yours": "Used triangle: 2, circle: 2",
        "random": "random-initialised test model (tiny): captions are meaningless", "not_random": "khởi tạo ngẫu nhiên",
    },
    "vi": {
        "caption": "Chú thích ảnh tiếng Việt", "latency": "thời gian: ", "clip": "CLIP",
        "k": "range slider for k ảnh mỗi lớp", "used": "Ảnh mẫu dùng: circle: ", "your_images": "Ảnh của bạn",
        "galleries": "Ảnh mẫu của bạn", "classes": "Tên các lớp", "k_shot": "Phân loại k-shot",
        "gallery": "Lớp {}", "used_yours": "Ảnh mẫu dùng: triangle: 2, circle: 2",
        "random": "mô hình thử khởi tạo ngẫu nhiên (tiny): chú thích không có ý nghĩa",
        "not_random": "captions are meaningless",
    },
}  # fmt: skip


def wait_for_text(page, text: str) -> None:
    page.get_by_text(text).first.wait_for(timeout=RESULT_TIMEOUT_MS)


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_caption_first_example_captions_in_the_pages_language(browser, tiny_app, lang):
    words = WORDS[lang]
    page = open_page(browser, tiny_app.url, lang)
    try:
        open_tab_anywhere(page, words["caption"])
        click_first_example(page)  # fills the photo, then the chained run captions it (the button's handler)
        page.wait_for_function(
            f"() => document.body.innerText.split({words['latency']!r}).length > 3", timeout=2 * RESULT_TIMEOUT_MS
        )  # one timing per captioner: the three panels answered, in the page's language
        text = visible_text(page)
        assert "ClipCap · Transformer mapper" in text and "CNN" in text
        assert words["random"] in text and words["not_random"] not in text  # where each panel's weights came from
        assert_clean(page)
        save_view(page, "twins_caption_example", lang)
    except Exception:
        save_view(page, "twins_caption_failure", lang)
        raise
    finally:
        page.close()


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_k_shot_slider_and_your_galleries_reach_k_shot(browser, tiny_app, lang):
    words = WORDS[lang]
    page = open_page(browser, tiny_app.url, lang)
    try:
        open_tab_anywhere(page, words["clip"])
        click_first_example(page)  # the photo (zero-shot runs on its own)
        wait_for_text(page, "CLIP ViT-B/32 (OpenAI) [tiny random]")
        slider = page.get_by_label(words["k"], exact=True)
        slider.scroll_into_view_if_needed()  # the mouse clicks where the slider is on screen
        box = slider.bounding_box()
        page.mouse.click(box["x"] + box["width"] * 0.15, box["y"] + box["height"] / 2)  # a release at k = 3
        wait_for_text(page, words["used"] + "3")  # k-shot on the built-in shapes, in the page's language
        assert_clean(page)
        save_view(page, "twins_k_shot_slider", lang)

        # Your own images: two classes, two images each, in the first two of the ten galleries (the easy-VQA examples
        # sorted by name: two triangles, then two circles).
        page.get_by_label(words["classes"]).fill("triangle, circle")
        page.get_by_label(words["your_images"], exact=True).check()
        page.get_by_text(words["galleries"], exact=True).click()  # opens the galleries' accordion
        for i, files in ((1, SHAPES[:2]), (2, SHAPES[2:4])):
            gallery = page.locator("div.block", has=page.get_by_text(words["gallery"].format(i), exact=True)).last
            gallery.locator("input[type=file]").set_input_files(files)
            gallery.locator("img").nth(1).wait_for(timeout=RESULT_TIMEOUT_MS)  # both uploaded and shown
        page.get_by_role("button", name=words["k_shot"], exact=True).click()
        wait_for_text(page, words["used_yours"])  # k = 3 asked, two images per class here: both used
        assert_clean(page)
        save_view(page, "twins_k_shot_your_images", lang)
    except Exception:
        save_view(page, "twins_k_shot_failure", lang)
        raise
    finally:
        page.close()
