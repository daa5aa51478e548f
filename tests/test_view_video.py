"""What a student sees in the video search tab on a fresh offline clone (no CLIP weights), in both languages.

The CLIP search modes and the CLIP model list are not offered, and the reason is said; the first example
searches the text on screen. A search that fails (a query over the length limit) leaves no earlier moments on
screen; an empty query is said inline in a sentence that reads naturally; a text file named .mp4 leaves the player
at once, with a message that names the usable formats and no Python internals. Screenshots: artifacts/views/
video_offline_*_<lang>.png.
"""

from __future__ import annotations

import re

import pytest

from tests import student_view as sv
from tests import video_samples as vs

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.slow]

WORDS = {
    "en": {
        "video": "Video event search", "clip": "Picture (CLIP)", "both": "Both, fused", "ocr": "Text on screen (OCR)",
        "model": "CLIP model", "clear": "Clear", "query": "What to find", "search": "Search", "found": "Found ",
        "why": "Searching by picture (CLIP) needs the CLIP model's weights, which this machine does not have yet",
        "too_long": "the limit is 300",
        "no_query": "No query. Describe the moment, or type the text on screen to find.",
        "bad": "Cannot use this video. This file could not be read as a video: it is not a video, or it is damaged. "
               "Use an mp4, webm, mov or avi file.",
    },
    "vi": {
        "video": "Tìm sự kiện trong video", "clip": "Hình ảnh (CLIP)", "both": "Kết hợp cả hai",
        "ocr": "Chữ trên màn hình (OCR)", "model": "Mô hình CLIP", "clear": "Xóa", "query": "Tìm gì?",
        "search": "Tìm",
        "found": "Tìm thấy ", "why": "Tìm theo hình ảnh (CLIP) cần trọng số CLIP mà máy này chưa có",
        "too_long": "giới hạn là 300",
        "no_query": "Chưa có câu truy vấn. Hãy mô tả khoảnh khắc, hoặc gõ dòng chữ trên màn hình cần tìm.",
        "bad": "Không dùng được video. Không đọc được tệp này như một video: có thể nó không phải video hoặc đã bị "
               "hỏng. Hãy dùng tệp mp4, webm, mov hoặc avi.",
    },
}  # fmt: skip
OCR_INDEX_TIMEOUT_MS = 8 * 60_000  # the first OCR index of a video: RapidOCR loads, every keyframe is read
# What a Vietnamese page must not show: the English CLIP advice, or advice to pick a model that is not here.
NOT_HERE = ("CLIP đa ngôn ngữ", "chưa có trọng số CLIP trên máy này", "multilingual CLIP")


def _panel(page):
    return page.locator("[role=tabpanel]:visible")


def _close_toasts(page) -> None:
    """Errors stay until the visitor closes them (demo.ui.errors): close each, as a student would."""
    close = page.locator(".toast-close:visible")
    while close.count():
        close.first.click()
        page.wait_for_timeout(300)


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_offline_video_tab_offers_what_runs_and_says_failures_plainly(browser, repo_default_app, lang, tmp_path):
    words = WORDS[lang]
    page = sv.open_page(browser, repo_default_app.url, lang, viewport={"width": 1280, "height": 1400})
    try:
        sv.open_tab_anywhere(page, words["video"])
        panel = _panel(page)
        panel.get_by_text(words["why"]).first.wait_for(timeout=sv.RESULT_TIMEOUT_MS)  # the page load's note
        # The CLIP modes are not offered (the reason is beside the mode); OCR is the mode, and no CLIP list.
        assert not panel.get_by_label(words["clip"]).count() and not panel.get_by_label(words["both"]).count()
        assert panel.get_by_label(words["ocr"]).is_checked()
        assert not panel.get_by_label(words["model"]).is_visible()
        assert not any(bad in sv.visible_text(page) for bad in NOT_HERE)
        sv.assert_clean(page)
        sv.save_view(page, "video_offline_open", lang)

        sv.click_first_example(page)  # the video with captions on screen and "xin chào": an OCR search
        panel.get_by_text(words["found"]).first.wait_for(timeout=OCR_INDEX_TIMEOUT_MS)
        thumbnails = page.locator("button.thumbnail-item")
        thumbnails.first.wait_for(timeout=sv.RESULT_TIMEOUT_MS)
        sv.assert_clean(page)

        # A failed search (a pasted query over the limit): its error, and none of the earlier moments under it.
        query = panel.get_by_label(words["query"])
        query.fill("xin chào " * 40)
        page.get_by_role("button", name=words["search"], exact=True).click()
        toast = page.locator(".toast-body.error").filter(has_text=words["too_long"])
        toast.first.wait_for(timeout=sv.RESULT_TIMEOUT_MS)
        page.wait_for_function("() => document.querySelectorAll('button.thumbnail-item').length === 0")
        assert not panel.get_by_text(words["found"]).count()
        assert not sv.internals_in(sv.visible_text(page))
        sv.save_view(page, "video_offline_failed_search", lang)
        _close_toasts(page)

        # An empty query: said inline, in a sentence that reads naturally (it once read "Tìm gì?.").
        query.fill("")
        page.get_by_role("button", name=words["search"], exact=True).click()
        panel.get_by_text(words["no_query"]).first.wait_for(timeout=sv.RESULT_TIMEOUT_MS)
        assert "?." not in sv.visible_text(page)
        sv.assert_clean(page)
        sv.save_view(page, "video_offline_no_query", lang)

        # A text file named .mp4: out of the player at once (no "NaN:NaN"), the reason where the results go, the
        # usable formats in the page's language and no Python class name.
        bad = vs.not_a_video(tmp_path / "notes.mp4")
        page.locator("#video_search_player").get_by_role("button", name=words["clear"], exact=True).click()
        page.locator("#video_search_player input[type=file]").set_input_files(str(bad))
        panel.get_by_text(words["bad"]).first.wait_for(timeout=sv.RESULT_TIMEOUT_MS)
        page.wait_for_function("() => !document.querySelector('#video_search_player video')")
        text = sv.visible_text(page)
        assert "NaN" not in text and not re.search(r"\w+Error\b|Exception|Traceback", text)
        assert not sv.internals_in(text)
        sv.save_view(page, "video_offline_bad_file", lang)

        # The other language, from the header link: the note and the one mode offered are said in it.
        other = WORDS["vi" if lang == "en" else "en"]
        _close_toasts(page)
        page.get_by_role("link", name="Tiếng Việt" if lang == "en" else "English", exact=True).click()
        _panel(page).get_by_text(other["why"]).first.wait_for(timeout=sv.RESULT_TIMEOUT_MS)
        assert (
            _panel(page).get_by_label(other["ocr"]).is_checked()
            and not _panel(page).get_by_label(other["clip"]).count()
        )
        sv.save_view(page, "video_offline_switched", lang)
    except Exception:
        sv.save_view(page, "video_offline_failure", lang)
        raise
    finally:
        page.close()
