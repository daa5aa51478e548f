"""What the class sees in the CLIP, caption and video tabs, in both languages (Chromium, tests/student_view.py).

On a fresh offline clone (`repo_default_app`: committed checkpoints only, no CLIP or GPT-2 weights) the CLIP and
caption tabs open on their download cards, whose commands must work from a fresh clone, and clicking an example
there fills the input without an error; the video tab searches the text on screen (OCR) and its first example
(the one with captions) runs that search on click. With tiny random models (`tiny_app`) the CLIP tab's first example
runs zero-shot on click, and a button pressed before any input says so inline, without an error badge or toast.
Every step saves a screenshot under artifacts/views/.
"""

from __future__ import annotations

import shlex

import pytest

from tests.student_view import (
    RESULT_TIMEOUT_MS,
    assert_chart_has_lines,
    assert_clean,
    card_commands,
    click_first_example,
    open_page,
    open_tab_anywhere,
    save_view,
    visible_text,
)

pytestmark = [pytest.mark.browser, pytest.mark.server]

LANGS = ("en", "vi")
WORDS = {
    "en": {
        "clip": "CLIP playground", "clip_card": "This tab needs the CLIP weights", "zero_shot": "Classify zero-shot",
        "k_shot": "Classify k-shot", "caption": "Vietnamese captions",
        "caption_card": "This tab needs trained captioners", "caption_run": "Caption", "bring": "brings it into",
        "video": "Video event search", "query": "What to find", "search": "Search", "found": "Found ",
        "ocr": "Text on screen (OCR)", "no_photo": "Upload an image or pick an example.",
        "no_video": "Upload a video or pick an example.", "class_header": "class",
    },
    "vi": {
        "clip": "CLIP", "clip_card": "Thẻ này cần tải trọng số CLIP", "zero_shot": "Phân loại zero-shot",
        "k_shot": "Phân loại k-shot", "caption": "Chú thích ảnh tiếng Việt",
        "caption_card": "Thẻ này cần các mô hình chú thích đã huấn luyện", "caption_run": "Sinh chú thích",
        "bring": "giảng viên cần tự đặt nó vào", "video": "Tìm sự kiện trong video", "query": "Tìm gì?",
        "search": "Tìm", "found": "Tìm thấy ", "ocr": "Chữ trên màn hình (OCR)",
        "no_photo": "Hãy tải ảnh lên hoặc chọn ảnh ví dụ.", "no_video": "Hãy tải video lên hoặc chọn video ví dụ.",
        "class_header": "lớp",
    },
}  # fmt: skip
OCR_INDEX_TIMEOUT_MS = 8 * 60_000  # the first OCR index of a video: RapidOCR loads, every keyframe is read


def assert_runs_from_a_fresh_clone(command: str) -> None:
    """A card's command line names a module of this repo and arguments that module accepts (parsed, not run: the
    commands download or train)."""
    argv = shlex.split(command, comments=True)
    assert argv[:2] == ["python", "-m"], command
    module, args = argv[2], argv[3:]
    if module == "demo.prefetch":
        from core.catalog import get_spec

        assert all(get_spec(name) for name in args), command  # KeyError for a name not in the catalogue
    elif module == "train.caption":
        from train.caption import parse_args

        parse_args(args)  # SystemExit for arguments the script does not take
    else:
        raise AssertionError(f"unexpected command on a card: {command}")


def assert_status_commands_run_from_a_fresh_clone(name: str) -> None:
    """The Status tab's instructor command for a missing model (core.catalog.availability) is one that works from a
    fresh clone."""
    from core.catalog.availability import model_status

    commands = model_status(name, online=False).command.split("  or  ")
    assert commands and all(commands), name
    for command in commands:
        assert_runs_from_a_fresh_clone(command)


def wait_for_text(page, text: str, timeout: int = RESULT_TIMEOUT_MS) -> None:
    page.get_by_text(text).first.wait_for(timeout=timeout)


def example_filled_image(page) -> None:
    """The clicked example reached the image input (its preview is drawn)."""
    page.locator("#clip-image img, [data-testid=image] img").first.wait_for(timeout=RESULT_TIMEOUT_MS)


@pytest.mark.parametrize("lang", LANGS)
def test_fresh_clone_clip_and_caption_tabs_show_their_cards(browser, repo_default_app, lang):
    words = WORDS[lang]
    page = open_page(browser, repo_default_app.url, lang)
    try:
        open_tab_anywhere(page, words["clip"])
        wait_for_text(page, words["clip_card"])
        for button in ("zero_shot", "k_shot"):
            assert page.get_by_role("button", name=words[button], exact=True).is_disabled()
        assert not card_commands(page)  # the instructor's commands are in the Status tab, not on the students' card
        assert_status_commands_run_from_a_fresh_clone("clip_vit_b32_openai")
        wait_for_text(page, words["class_header"])  # the empty cosine table's headers, in the page's language
        save_view(page, "media_clip_card", lang)
        click_first_example(page)  # fills the image; nothing can run, and nothing may fail
        example_filled_image(page)
        page.wait_for_timeout(3000)  # the chained run (a no-op here) has had time to answer
        assert_clean(page)
        save_view(page, "media_clip_card_example", lang)

        open_tab_anywhere(page, words["caption"])
        wait_for_text(page, words["caption_card"])
        assert page.get_by_role("button", name=words["caption_run"], exact=True).is_disabled()
        text = page.locator(".first-run-card:visible").first.inner_text()  # the card (the page holds every tab)
        assert "train.all" not in text and words["bring"] in text and "data/ktvic" in text
        assert not card_commands(page)
        for name in ("caption_clipcap_mlp", "caption_clipcap_transformer", "caption_cnn_lstm"):
            assert_status_commands_run_from_a_fresh_clone(name)
        click_first_example(page)
        page.wait_for_timeout(3000)
        assert_clean(page)
        save_view(page, "media_caption_card_example", lang)
    except Exception:
        save_view(page, "media_cards_failure", lang)
        raise
    finally:
        page.close()


@pytest.mark.parametrize("lang", LANGS)
def test_fresh_clone_video_example_searches_the_text_on_screen(browser, repo_default_app, lang):
    words = WORDS[lang]
    page = open_page(browser, repo_default_app.url, lang)
    try:
        open_tab_anywhere(page, words["video"])
        ocr = page.get_by_label(words["ocr"])
        ocr.wait_for(timeout=RESULT_TIMEOUT_MS)
        page.wait_for_function("() => document.body.innerText.length > 0")
        save_view(page, "media_video_open", lang)
        click_first_example(page)  # the video with captions on screen, and its query
        page.wait_for_selector("#video_search_player video", timeout=RESULT_TIMEOUT_MS)
        assert page.get_by_label(words["query"]).input_value() == "xin chào"
        assert ocr.is_checked()  # no CLIP weights here: the tab searches by OCR
        wait_for_text(page, words["found"], timeout=OCR_INDEX_TIMEOUT_MS)
        page.locator("button.thumbnail-item").first.wait_for(timeout=RESULT_TIMEOUT_MS)  # the moments' thumbnails
        assert "XIN CH" in visible_text(page)  # the caption read from the frame, under its thumbnail
        assert_clean(page)
        save_view(page, "media_video_example", lang)
    except Exception:
        save_view(page, "media_video_failure", lang)
        raise
    finally:
        page.close()


@pytest.mark.parametrize("lang", LANGS)
def test_clip_first_example_runs_zero_shot_and_missing_inputs_are_said_inline(browser, tiny_app, lang):
    words = WORDS[lang]
    page = open_page(browser, tiny_app.url, lang)
    try:
        open_tab_anywhere(page, words["clip"])
        page.get_by_role("button", name=words["zero_shot"], exact=True).click()  # no image yet
        wait_for_text(page, words["no_photo"])
        page.get_by_role("button", name=words["k_shot"], exact=True).click()
        page.wait_for_function(f"() => document.body.innerText.split({words['no_photo']!r}).length > 2")
        assert_clean(page)
        save_view(page, "media_clip_no_image", lang)
        click_first_example(page)  # the cat photo, with the five class names; classified on click
        wait_for_text(page, "CLIP ViT-B/32 (OpenAI) [tiny random]")
        wait_for_text(page, "a photo of a cat.")  # the cosine table's rows: one per prompt
        assert page.locator("[data-testid=label]").count() or page.get_by_text("coffee cup").count()
        assert_clean(page)
        save_view(page, "media_clip_example", lang)

        open_tab_anywhere(page, words["video"])
        page.get_by_role("button", name=words["search"], exact=True).click()  # no video yet
        wait_for_text(page, words["no_video"])
        assert_clean(page)
        save_view(page, "media_video_no_input", lang)
    except Exception:
        save_view(page, "media_clip_failure", lang)
        raise
    finally:
        page.close()


CURVE_WORDS = {
    "en": {"measure": "Measure accuracy vs k", "course": "course (Flickr30k, report 000)", "held_out": "held-out",
           "preset": "The course's set-up: its 10 classes and the prompt \"a photo of a {}\""},
    "vi": {"measure": "Đo độ chính xác theo k", "course": "môn học (Flickr30k, báo cáo 000)",
           "held_out": "ảnh kiểm tra", "preset": "Thiết lập của môn học: 10 lớp và câu mẫu \"a photo of a {}\""},
}  # fmt: skip


@pytest.mark.parametrize("lang", LANGS)
def test_clip_k_curve_is_measured_in_the_tab_beside_the_courses(browser, tiny_app, lang):
    """The accuracy-vs-k button draws the course's curve and the two probes' curves measured on the built-in support
    set, with their table; the course's preset fills its 10 classes and prompt and opens ten galleries."""
    words, curve = WORDS[lang], CURVE_WORDS[lang]
    page = open_page(browser, tiny_app.url, lang)
    try:
        open_tab_anywhere(page, words["clip"])
        page.get_by_role("button", name=curve["measure"], exact=True).click()
        drawn = assert_chart_has_lines(page.locator("#clip-k-curve"), min_lines=3)
        assert curve["course"] in drawn["legend"] and len(drawn["legend"]) == 3, drawn
        table = page.locator("#clip-k-curve-table")
        table.get_by_text(curve["held_out"]).first.wait_for(timeout=RESULT_TIMEOUT_MS)
        assert ("93.0 %" if lang == "en" else "93,0 %") in table.inner_text()
        assert_clean(page)
        page.locator("#clip-k-curve").scroll_into_view_if_needed()
        save_view(page, "media_clip_k_curve", lang)
        page.get_by_role("button", name=curve["preset"], exact=True).click()
        page.wait_for_function(
            "() => [...document.querySelectorAll('textarea')].some((t) => t.value.startsWith('people, dog, water'))"
        )
        wait_for_text(page, "10. indoor")  # the tenth gallery, named for its class, shown by the opened accordion
        assert_clean(page)
        save_view(page, "media_clip_course_preset", lang)
    except Exception:
        save_view(page, "media_clip_k_curve_failure", lang)
        raise
    finally:
        page.close()
