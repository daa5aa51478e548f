"""What the class sees across the tabs, on a fresh offline clone (`repo_default_app`) at 1280x800 in both languages:
every tab name in the bar, the Status tab filled without Refresh, no server internals on any tab, the language
switch keeping the tab and the typed text, Gradio's own toast titles in Vietnamese; and the same "no internals"
rule for the HTTP API's answers and the page config. Screenshots: artifacts/views/ui_<tab>_<lang>.png.
"""

from __future__ import annotations

import json
import re
import urllib.request

import pytest

from tests.student_view import (
    RESULT_TIMEOUT_MS,
    assert_clean,
    internals_in,
    open_page,
    open_tab,
    save_view,
    visible_text,
)

# The nine tab names a student reads, in the bar's order (app.py), and their ids.
TABS = {
    "vi": {
        "image": "Ảnh: ResNet vs ViT",
        "text": "Văn bản: GRU vs Transformer",
        "clip": "CLIP",
        "caption": "Chú thích ảnh tiếng Việt",
        "vqa": "Hỏi đáp ảnh (VQA)",
        "cnn": "Tích chập hoạt động thế nào",
        "live": "Huấn luyện trực tiếp",
        "video": "Tìm sự kiện trong video",
        "status": "Trạng thái mô hình",
    },
    "en": {
        "image": "Images: ResNet vs ViT",
        "text": "Text: GRU vs Transformer",
        "clip": "CLIP playground",
        "caption": "Vietnamese captions",
        "vqa": "Visual question answering",
        "cnn": "How a CNN computes",
        "live": "Live training",
        "video": "Video event search",
        "status": "Model status",
    },
}
# Text the page load writes (the image tab's note on a clone without the headline pair): the load has answered.
LOADED = {"vi": "Máy này chưa có trọng số của ResNet-50", "en": "have no weights on this machine yet"}
STATUS_DONE = {"vi": "mô hình chạy được ngay bây giờ", "en": "models can run right now"}
STATUS_HEADER = {"vi": "trọng số lấy từ", "en": "weights from"}
TEXT_BUTTON = {"vi": "Phân loại", "en": "Classify"}
TEXT_NOTE = {"vi": "cần checkpoint do giảng viên huấn luyện", "en": "needs checkpoints the instructor trains"}
# An absolute path of this machine (a Linux or Windows one), or a file= route carrying one.
ABSOLUTE_PATH = re.compile(r"(?<![\w.:/+])/(?:root|home|tmp|usr|var|opt|work|proc|etc|srv|mnt)/|[A-Z]:\\\\")


def loaded_page(browser, app, lang: str):
    page = open_page(browser, app.url, lang)
    page.get_by_text(LOADED[lang]).first.wait_for(timeout=RESULT_TIMEOUT_MS)
    return page


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_all_nine_tab_names_are_in_the_bar_at_1280(browser, repo_default_app, lang):
    page = loaded_page(browser, repo_default_app, lang)
    width = page.viewport_size["width"]
    for title in TABS[lang].values():
        tab = page.get_by_role("tab", name=title, exact=True)
        assert tab.count() == 1 and tab.is_visible(), f"tab {title!r} is not in the bar"
        box = tab.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, f"tab {title!r} is cut off: {box}"
    assert page.get_by_role("button", name="More tabs").count() == 0  # Gradio's overflow menu is not drawn
    page.close()


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_tab_opens_without_server_internals(browser, repo_default_app, lang):
    page = loaded_page(browser, repo_default_app, lang)
    for tab_id, title in TABS[lang].items():
        open_tab(page, title)
        if tab_id == "status":
            page.get_by_text(STATUS_DONE[lang]).first.wait_for(timeout=RESULT_TIMEOUT_MS)
        page.wait_for_timeout(300)  # the tab's lazily drawn panels
        assert_clean(page)
        save_view(page, f"ui_{tab_id}", lang)
    page.close()


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_status_tab_is_filled_on_open_and_keeps_commands_for_the_instructor(browser, repo_default_app, lang):
    page = loaded_page(browser, repo_default_app, lang)
    open_tab(page, TABS[lang]["status"])  # no Refresh: the page load filled it
    page.get_by_text(STATUS_DONE[lang]).first.wait_for(timeout=RESULT_TIMEOUT_MS)
    page.get_by_text(STATUS_HEADER[lang], exact=True).first.wait_for(timeout=RESULT_TIMEOUT_MS)
    text = visible_text(page)
    assert "simple_cnn" in text and "python -m" not in text  # the table in words; the commands are folded away
    assert_clean(page)
    page.get_by_text("Dành cho giảng viên" if lang == "vi" else "For the instructor").first.click()
    page.get_by_text("python -m demo.prefetch").first.wait_for(timeout=RESULT_TIMEOUT_MS)  # the instructor's
    save_view(page, "ui_status_instructor", lang)
    page.close()


def test_language_switch_keeps_the_tab_and_what_was_typed(browser, repo_default_app):
    page = loaded_page(browser, repo_default_app, "vi")
    open_tab(page, TABS["vi"]["text"])
    typed = "a small songbird that sings at dawn"  # the WordNet pair reads English
    box = page.locator("textarea:visible").first
    box.fill(typed)
    page.evaluate("window.__same_page = true")  # gone if the switch reloaded the page

    page.get_by_role("link", name="English", exact=True).click()
    page.get_by_text(TEXT_NOTE["en"]).first.wait_for(timeout=RESULT_TIMEOUT_MS)  # the page load's note, rewritten
    assert page.evaluate("window.__same_page === true"), "the language switch reloaded the page"
    assert "lang=en" in page.url and page.evaluate("document.documentElement.dataset.dlLang") == "en"
    for title in TABS["en"].values():  # every name, the tabs not visited yet included
        assert page.get_by_role("tab", name=title, exact=True).is_visible(), title
    selected = page.get_by_role("tab", selected=True)
    assert selected.inner_text() == TABS["en"]["text"]
    assert page.locator("textarea:visible").first.input_value() == typed
    assert page.get_by_role("button", name=TEXT_BUTTON["en"], exact=True).is_visible()
    assert page.get_by_text("Lớp học Học sâu").count() == 0
    save_view(page, "ui_switched_text", "en")

    page.get_by_role("link", name="Tiếng Việt", exact=True).click()
    page.get_by_text(TEXT_NOTE["vi"]).first.wait_for(timeout=RESULT_TIMEOUT_MS)
    assert page.get_by_role("tab", selected=True).inner_text() == TABS["vi"]["text"]
    assert page.locator("textarea:visible").first.input_value() == typed
    assert page.get_by_role("button", name=TEXT_BUTTON["vi"], exact=True).is_visible()
    # Handlers answer in the new language too (the cookie the switch set): classify the typed text.
    page.get_by_role("button", name=TEXT_BUTTON["vi"], exact=True).click()
    page.get_by_text("Mô hình A: Bidirectional GRU").first.wait_for(timeout=RESULT_TIMEOUT_MS)
    assert_clean(page)
    save_view(page, "ui_switched_text", "vi")
    page.close()


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_toast_title_is_in_the_page_language(browser, repo_default_app, lang, tmp_path):
    bad = tmp_path / "notes.png"
    bad.write_text("not an image")
    page = loaded_page(browser, repo_default_app, lang)
    page.locator("input[type=file]").first.set_input_files(str(bad))
    page.get_by_role("button", name="So sánh" if lang == "vi" else "Compare", exact=True).click()
    title = page.locator(".toast-title.error").first
    title.wait_for(timeout=RESULT_TIMEOUT_MS)
    drawn = title.evaluate("e => getComputedStyle(e, '::before').content")
    size = title.evaluate("e => getComputedStyle(e).fontSize")
    if lang == "vi":  # Gradio's own "Error" is hidden, the Vietnamese drawn in its place
        assert drawn == '"Lỗi"' and size == "0px"
    else:
        assert drawn in ("none", "normal", "") and size != "0px" and "Error" in title.inner_text()
    assert not internals_in(visible_text(page))
    save_view(page, "ui_toast", lang)
    page.close()


def test_api_answers_and_page_config_carry_no_absolute_path(repo_default_app, client_for, example_image):
    from gradio_client import handle_file

    client = client_for(repo_default_app)
    answers = {
        "/classify_image": client.predict(handle_file(example_image), api_name="/classify_image"),
        "/classify_image missing": client.predict(
            handle_file(example_image), "resnet50_detectors", "simple_cnn", api_name="/classify_image"
        ),
        "/classify_text": client.predict("a small bird that sings in the morning", api_name="/classify_text"),
        "/model_status": client.predict(api_name="/model_status"),
    }
    for name, answer in answers.items():
        text = json.dumps(answer, ensure_ascii=False)
        assert not ABSOLUTE_PATH.search(text), (name, ABSOLUTE_PATH.search(text).group(0))
        assert not internals_in(text), (name, internals_in(text))
    assert "weights" in answers["/classify_image"]["A"] and "fix" in answers["/model_status"]["models"][0]
    assert "error" in answers["/classify_image missing"]["A"]  # the missing model's message, in words
    for lang in ("vi", "en"):
        with urllib.request.urlopen(f"{repo_default_app.url}config?lang={lang}", timeout=30) as response:
            config = response.read().decode("utf-8")
        assert not ABSOLUTE_PATH.search(config), ABSOLUTE_PATH.search(config).group(0)
        assert "examples-cache/" in config  # the examples' thumbnails, served under the neutral route
    url = re.search(r'"url": ?"([^"]*examples-cache/[^"]+)"', config).group(1)
    with urllib.request.urlopen(url, timeout=30) as response:  # and that route serves them
        body = response.read()  # the first may be a 28x28 Fashion-MNIST example (under 1 kB)
        assert response.status == 200
        assert body.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")) or body[8:12] == b"WEBP", body[:16]
