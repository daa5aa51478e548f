"""A real browser (Playwright driving Debian's Chromium) visits every tab, uses it once, and switches language.

Each tab's test saves a screenshot to artifacts/<tab id>_tab.png (tests/conftest.ARTIFACTS). Pages open with an
explicit locale: "en-US" for the tab tests, "vi-VN" for the language test (Vietnamese where the browser asks).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import ARTIFACTS, launch_app, stop_app

pytestmark = [pytest.mark.browser, pytest.mark.server]

VQA_IMAGE = Path(__file__).resolve().parent.parent / "examples" / "vqa" / "easy_vqa_test_0.png"
RESULT_TIMEOUT_MS = 90_000  # the CPU is shared; a first model load can take a while


def open_page(browser, url: str, locale: str = "en-US"):
    page = browser.new_page(locale=locale, viewport={"width": 1400, "height": 1800})
    # Not "networkidle": on a busy shared CPU a tab's polling can keep the network from ever going quiet.
    page.goto(url, wait_until="load")
    page.get_by_role("tab").first.wait_for(timeout=RESULT_TIMEOUT_MS)
    return page


def open_tab(page, title: str) -> None:
    """Click a tab by its title once the page has drawn it (every tab sits in the bar: it wraps at 1280 px)."""
    tab = page.get_by_role("tab", name=title, exact=True).first
    tab.wait_for(timeout=RESULT_TIMEOUT_MS)
    tab.click()


def screenshot(page, tab_id: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{tab_id}_tab.png"), full_page=True)


def bad_file(tmp_path) -> str:
    bad = tmp_path / "notes.png"
    bad.write_text("not an image")
    return str(bad)


def test_image_tab_compares_both_models(browser, tiny_app, example_image):
    page = open_page(browser, tiny_app.url)
    page.locator("input[type=file]").first.set_input_files(example_image)
    page.get_by_role("button", name="Compare", exact=True).click()
    # Both headers carry the model name once the results arrive.
    page.get_by_text("Model A: ResNet-50 (CIFAR-100) [tiny random]").wait_for(timeout=RESULT_TIMEOUT_MS)
    page.get_by_text("Model B: ViT-B/16 (CIFAR-100) [tiny random]").wait_for(timeout=RESULT_TIMEOUT_MS)
    assert page.get_by_text("What the model sees").count() == 2
    screenshot(page, "image")
    page.close()


def test_image_tab_offers_a_model_trained_after_the_page_loaded(browser, tiny_app, monkeypatch):
    """A live-trained model is an entry of its own: the model dropdowns list it when opened, beside the committed
    one, without a page reload (a saved folder stands in for a run: listing reads no weights)."""
    from playwright.sync_api import expect

    from core.training import live_models

    page = open_page(browser, tiny_app.url)
    monkeypatch.setenv("APP_PROFILE", "tiny")  # the server's live folder (core.training.live_models.live_root)
    model = live_models.LiveModel(live_models.new_entry_name("simple_cnn"), "simple_cnn", "Lan", "s", 0.753, 0, 2, 5000)
    model.folder.mkdir(parents=True)
    try:
        (model.folder / "model.safetensors").write_bytes(b"")
        live_models.write_meta(model.folder, model)
        model_a = page.get_by_label("Model A")
        model_a.click()
        option = page.get_by_role("option", name=re.compile("SimpleCNN, trained live by Lan .* 75.3%"))
        option.wait_for(timeout=RESULT_TIMEOUT_MS)
        assert page.get_by_role("option", name=re.compile(r"SimpleCNN\s+\[simple_cnn\]")).count() == 1
        option.click()
        expect(model_a).to_have_value(re.compile("trained live by Lan"))
    finally:
        live_models._remove(model)
    page.close()


def test_vqa_tab_chat(browser, tiny_app):
    page = open_page(browser, tiny_app.url)
    open_tab(page, "Visual question answering")
    page.locator("input[type=file]").last.set_input_files(str(VQA_IMAGE))
    page.get_by_placeholder("Ask something about the photo").fill("what color is the shape?")
    page.get_by_role("button", name="Ask", exact=True).click()
    page.get_by_text("Next:").first.wait_for(timeout=RESULT_TIMEOUT_MS)  # the reply lists the runner-up answers
    screenshot(page, "vqa")
    page.close()


def test_cnn_tab_computes_the_slide_example(browser, tiny_app):
    page = open_page(browser, tiny_app.url)
    open_tab(page, "How a CNN computes")
    # Before any click: the slides' example is already computed and stepped to its first cell.
    page.get_by_text("= 16").first.wait_for(timeout=RESULT_TIMEOUT_MS)
    page.get_by_text("output 3x3").first.wait_for(timeout=RESULT_TIMEOUT_MS)
    # The slide's output 16 11 17 / 10 13 8 / 25 12 15 as a table without a header row.
    assert page.locator("#cnn_output td").all_inner_texts() == "16 11 17 10 13 8 25 12 15".split()
    assert page.locator("#cnn_output th").count() == 0
    page.get_by_role("button", name="Show layers", exact=True).click()  # the course's LeNet-5 table, corrected
    page.get_by_text("the course's table prints 59,547").first.wait_for(timeout=RESULT_TIMEOUT_MS)
    page.get_by_text("Total: 62,958 parameters").first.wait_for(timeout=RESULT_TIMEOUT_MS)
    screenshot(page, "cnn")
    page.close()


def test_status_tab_lists_the_models(browser, tiny_app):
    page = open_page(browser, tiny_app.url)
    open_tab(page, "Model status")  # filled when the tab opens, no Refresh needed
    page.get_by_text("models can run right now").first.wait_for(timeout=RESULT_TIMEOUT_MS)
    page.get_by_text("how to get them").first.wait_for(timeout=RESULT_TIMEOUT_MS)
    page.get_by_role("button", name="Refresh", exact=True).click()  # and Refresh still answers
    page.get_by_text("models can run right now").first.wait_for(timeout=RESULT_TIMEOUT_MS)
    screenshot(page, "status")
    page.close()


@pytest.fixture
def live_app(tmp_path_factory):
    """A tiny app whose live-trained checkpoints go to a temporary folder (core.training.live_models under
    APP_PROFILE=tiny), never among the repo's checkpoints. For its one test only: kept for the module, its 1 GB (it
    trained) was alive beside the fresh-clone app and Chromium at the suite's memory peak."""
    tmp = tmp_path_factory.mktemp("live_app")
    app = launch_app(tmp, APP_PROFILE="tiny", HF_HUB_OFFLINE="1", CHECKPOINT_DIR=str(tmp / "ckpt"))
    yield app
    stop_app(app)


def test_live_tab_trains_one_epoch_and_draws_the_curves(browser, live_app):
    page = open_page(browser, live_app.url)
    open_tab(page, "Live training")
    for label, value in (("Epochs", "1"), ("Training images", "1000")):
        box = page.get_by_label(f"number input for {label}")  # the number box beside each slider
        box.fill(value)
        box.press("Enter")
    page.get_by_label("Your name (shown to others while you train)").fill("browser test")
    page.get_by_role("button", name="Start training", exact=True).click()
    page.get_by_text("Test accuracy on 2,000 held-out images").wait_for(timeout=180_000)
    page.get_by_text("This is a new model, live_").wait_for(timeout=RESULT_TIMEOUT_MS)  # not the committed one
    from tests.student_view import assert_chart_has_lines

    # The curves as lines (train points every few batches, validation before and after the epoch), with a legend.
    assert_chart_has_lines(page.locator("#live_curves"), min_lines=4, timeout_ms=RESULT_TIMEOUT_MS)
    from playwright.sync_api import expect

    mine = page.get_by_label("Models you trained")  # the visitor's own models, the newest selected
    expect(mine).to_have_value(re.compile("trained live by browser test"), timeout=RESULT_TIMEOUT_MS)
    screenshot(page, "live")
    page.close()


def test_language_follows_the_browser_and_the_header_link(browser, tiny_app, tmp_path):
    page = open_page(browser, tiny_app.url, locale="vi-VN")
    page.get_by_text("Lớp học Học sâu").first.wait_for()
    for title in (
        "Ảnh: ResNet vs ViT",
        "Hỏi đáp ảnh (VQA)",
        "Tích chập hoạt động thế nào",
        "Huấn luyện trực tiếp",
        "Trạng thái mô hình",
    ):
        assert (
            page.get_by_role("tab", name=title, exact=True).count()
            + page.locator(".overflow-dropdown button", has_text=title).count()
        ), title
    assert page.get_by_text("Deep Learning Classroom").count() == 0
    # An error raised during a request comes back in Vietnamese too (Gradio 6.31's toast shows the message under
    # its own "Error" header, not the gr.Error title).
    page.locator("input[type=file]").first.set_input_files(bad_file(tmp_path))
    page.get_by_role("button", name="So sánh", exact=True).click()
    page.get_by_text("không phải là ảnh đọc được").first.wait_for(timeout=RESULT_TIMEOUT_MS)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "language_vi.png"), full_page=True)

    page.locator(".toast-body.error .toast-close").first.click()  # the message stays until closed (it sits on the link)
    page.get_by_role("link", name="English", exact=True).click()
    page.wait_for_url("**lang=en**")
    page.get_by_role("tab").first.wait_for(timeout=RESULT_TIMEOUT_MS)
    page.get_by_text("Deep Learning Classroom").first.wait_for()
    assert page.get_by_role("tab", name="Images: ResNet vs ViT", exact=True).count() == 1
    assert page.get_by_text("Lớp học Học sâu").count() == 0
    page.locator("input[type=file]").first.set_input_files(bad_file(tmp_path))
    page.get_by_role("button", name="Compare", exact=True).click()
    page.get_by_text("is not an image we can read").first.wait_for(timeout=RESULT_TIMEOUT_MS)
    page.close()


# What a visitor reads, per language, in the first-click test below.
FIRST_CLICK = {
    "en-US": {
        "tabs": ("Images: ResNet vs ViT", "Text: GRU vs Transformer", "CLIP playground", "Vietnamese captions",
                 "Visual question answering"),
        "note": "have no weights on this machine yet",
        "compare": "Compare", "image_a": "Model A: SimpleCNN (Fashion-MNIST)",
        "image_b": "Model B: CNN+Transformer hybrid (Fashion-MNIST)",
        "classify": "Classify", "text_a": "Model A: Bidirectional GRU (WordNet 3.0 nouns)",
        "clip_card": "This tab needs the CLIP weights", "clip_run": "Classify zero-shot",
        "caption_card": "This tab needs trained captioners", "caption_run": "Caption",
        "ask": "Ask", "vqa_reply": "Next:", "cnn": "How a CNN computes",
        "status": "Model status", "refresh": "Refresh", "status_done": "models can run right now",
        "video": "Video event search", "find": "What to find", "search": "Search", "found": "Found ",
        "cannot": ("Cannot run this model", "No weights for this model here"),
    },
    "vi-VN": {
        "tabs": ("Ảnh: ResNet vs ViT", "Văn bản: GRU vs Transformer", "CLIP", "Chú thích ảnh tiếng Việt",
                 "Hỏi đáp ảnh (VQA)"),
        "note": "Máy này chưa có trọng số của ResNet-50",
        "compare": "So sánh", "image_a": "Mô hình A: SimpleCNN (Fashion-MNIST)",
        "image_b": "Mô hình B: CNN+Transformer hybrid (Fashion-MNIST)",
        "classify": "Phân loại", "text_a": "Mô hình A: Bidirectional GRU (WordNet 3.0 nouns)",
        "clip_card": "Thẻ này cần tải trọng số CLIP", "clip_run": "Phân loại zero-shot",
        "caption_card": "Thẻ này cần các mô hình chú thích đã huấn luyện", "caption_run": "Sinh chú thích",
        "ask": "Hỏi", "vqa_reply": "Khả năng khác:", "cnn": "Tích chập hoạt động thế nào",
        "status": "Trạng thái mô hình", "refresh": "Kiểm tra lại", "status_done": "mô hình chạy được ngay bây giờ",
        "video": "Tìm sự kiện trong video", "find": "Tìm gì?", "search": "Tìm", "found": "Tìm thấy ",
        "cannot": ("Không chạy được mô hình này", "Chưa có trọng số cho mô hình này"),
    },
}  # fmt: skip


def first_example(page) -> None:
    """Click the first example of the open tab (Gradio's examples are gallery buttons)."""
    page.locator("button.gallery-item:visible").first.click()


@pytest.mark.parametrize("locale", ["en-US", "vi-VN"])
def test_first_click_works_on_a_fresh_clone(browser, repo_default_app, locale):
    """Issue #13: the real-weight app on a fresh offline clone (committed checkpoints, empty caches). Every course
    tab is in the tab bar at 1280 px; each tab's first example runs with the initial selection, or the tab opens on
    its download card; no "cannot run" text and no error toast anywhere."""
    words = FIRST_CLICK[locale]
    page = browser.new_page(locale=locale, viewport={"width": 1280, "height": 1600})
    page.goto(repo_default_app.url, wait_until="load")
    try:
        page.get_by_role("tab").first.wait_for(timeout=RESULT_TIMEOUT_MS)
        for title in words["tabs"]:  # visible in the bar itself, not behind the overflow menu
            assert page.get_by_role("tab", name=title, exact=True).is_visible(), title
        lang = locale[:2]

        page.get_by_text(words["note"]).first.wait_for(timeout=RESULT_TIMEOUT_MS)  # set by the page-load event
        first_example(page)
        page.get_by_role("button", name=words["compare"], exact=True).click()
        page.get_by_text(words["image_a"]).first.wait_for(timeout=RESULT_TIMEOUT_MS)
        page.get_by_text(words["image_b"]).first.wait_for(timeout=RESULT_TIMEOUT_MS)
        screenshot(page, f"first_click_{lang}_image")

        open_tab(page, words["tabs"][1])
        first_example(page)  # runs on click
        page.get_by_text(words["text_a"]).first.wait_for(timeout=RESULT_TIMEOUT_MS)
        screenshot(page, f"first_click_{lang}_text")

        for tab, card, button in ((2, "clip_card", "clip_run"), (3, "caption_card", "caption_run")):
            open_tab(page, words["tabs"][tab])
            page.get_by_text(words[card]).first.wait_for(timeout=RESULT_TIMEOUT_MS)
            assert page.get_by_role("button", name=words[button], exact=True).is_disabled()
            first_example(page)  # fills the photo; nothing can run here, and nothing may fail
            screenshot(page, f"first_click_{lang}_{card.split('_')[0]}")

        open_tab(page, words["tabs"][4])
        first_example(page)  # a photo + question pair from easy-VQA's test set: one click answers
        page.get_by_text(words["vqa_reply"]).first.wait_for(timeout=RESULT_TIMEOUT_MS)
        screenshot(page, f"first_click_{lang}_vqa")

        open_tab(page, words["cnn"])
        page.get_by_text("= 16").first.wait_for(timeout=RESULT_TIMEOUT_MS)  # computed at page load
        screenshot(page, f"first_click_{lang}_cnn")

        open_tab(page, words["video"])  # opens on OCR search: no CLIP weights here
        first_example(page)  # the example video with on-screen captions, and its query: searched on click
        page.wait_for_selector("#video_search_player video", timeout=RESULT_TIMEOUT_MS)
        assert page.get_by_label(words["find"]).input_value() == "xin chào"
        try:  # the first OCR index of a video: RapidOCR's models load, every keyframe is read (minutes on a busy CPU)
            page.get_by_text(words["found"]).first.wait_for(timeout=3 * RESULT_TIMEOUT_MS)
        finally:
            screenshot(page, f"first_click_{lang}_video")

        open_tab(page, words["status"])
        page.get_by_role("button", name=words["refresh"], exact=True).click()
        page.get_by_text(words["status_done"]).first.wait_for(timeout=RESULT_TIMEOUT_MS)
        screenshot(page, f"first_click_{lang}_status")

        for text in words["cannot"]:
            assert page.get_by_text(text).count() == 0, text
        assert page.locator(".toast-body.error, [data-testid=toast-body].error").count() == 0
    except Exception:  # on a busy machine a step can time out: keep what the page showed
        screenshot(page, f"first_click_{locale[:2]}_failure")
        raise
    page.close()
