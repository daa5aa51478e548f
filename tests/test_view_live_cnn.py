"""What a student sees in the Live training and How a CNN computes tabs, in both languages (tests/student_view.py).

Live training: the default run draws its loss and accuracy curves as lines while it trains and after, with a legend
and axis titles in the page's language. CNN: the slide's example is computed when the tab opens, a kernel preset
recomputes it, a photo replaces the grid and the output and step view follow without pressing Compute, with the
kernel's window coloured. Screenshots: artifacts/views/live_<lang>.png and cnn_<lang>.png.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests import student_view as sv
from tests.conftest import launch_app, stop_app

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.slow]

PHOTO = Path(__file__).resolve().parent.parent / "examples" / "images" / "meo_chelsea.jpg"
WORDS = {
    "en": {
        "live": "Live training", "start": "Start training", "done": "Test accuracy on 2,000 held-out images",
        "x": "epochs (passes over the training set)", "y": "loss / accuracy (as a fraction)", "legend": "curve",
        "curves": {"train · loss", "train · accuracy", "val · loss", "val · accuracy"},
        "cnn": "How a CNN computes", "preset": "Kernel preset", "sobel": "Sobel x (vertical edges)",
        "caption": "Input (padded)",
    },
    "vi": {
        "live": "Huấn luyện trực tiếp", "start": "Bắt đầu huấn luyện", "done": "Độ chính xác trên 2.000 ảnh kiểm tra",
        "x": "số lượt qua tập huấn luyện", "y": "hàm mất mát / độ chính xác (tỉ lệ)", "legend": "đường cong",
        "curves": {"huấn luyện · hàm mất mát", "huấn luyện · độ chính xác", "kiểm định · hàm mất mát",
                   "kiểm định · độ chính xác"},
        "cnn": "Tích chập hoạt động thế nào", "preset": "Bộ lọc có sẵn", "sobel": "Sobel x (cạnh dọc)",
        "caption": "Đầu vào (đã đệm)",
    },
}  # fmt: skip
SLIDE_OUTPUT = ["16", "11", "17", "10", "13", "8", "25", "12", "15"]  # the course's slide (report 003)


@pytest.fixture(scope="module")
def view_app(tmp_path_factory):
    """The tiny app whose live-trained checkpoints go to a temporary folder (as tests/test_browser.py's live_app)."""
    tmp = tmp_path_factory.mktemp("view_live_cnn")
    app = launch_app(tmp, APP_PROFILE="tiny", HF_HUB_OFFLINE="1", CHECKPOINT_DIR=str(tmp / "ckpt"))
    yield app
    stop_app(app)


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_live_tab_draws_the_curves_while_and_after_training(browser, view_app, lang):
    words = WORDS[lang]
    page = sv.open_page(browser, view_app.url, lang)
    try:
        sv.open_tab(page, words["live"])
        page.get_by_role("button", name=words["start"], exact=True).click()  # the default run: 2 epochs
        chart = page.locator("#live_curves")
        during = sv.assert_chart_has_lines(chart, min_lines=4)
        still_training = page.get_by_text(words["done"]).count() == 0
        page.get_by_text(words["done"]).first.wait_for(timeout=3 * sv.RESULT_TIMEOUT_MS)
        page.wait_for_timeout(1000)  # the last points
        after = sv.assert_chart_has_lines(chart, min_lines=4)
        assert set(after["legend"]) == words["curves"], after
        assert after["axis_titles"] == [words["x"], words["y"]] and after["legend_title"] == [words["legend"]]
        if lang == "vi":  # no English axis words on the Vietnamese page
            shown = " ".join(after["axis_titles"] + after["legend_title"] + after["legend"])
            assert not re.search(r"\b(epoch|value|curve|loss|accuracy|train|val)\b", shown), shown
        # Within each epoch too: the x ticks go below 1 (points every few batches, not one per epoch).
        assert any(0 < float(t.replace(",", ".")) < 1 for t in after["ticks"]), after["ticks"]
        sv.assert_clean(page)
        sv.save_view(page, "live", lang)
        assert still_training or during["lines"] >= 4  # drawn during the run (on a fast machine it may end first)
    finally:
        page.close()


def _output_cells(page) -> list[str]:
    return page.locator("#cnn_output td").all_inner_texts()


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_cnn_tab_recomputes_for_a_new_kernel_and_a_photo(browser, view_app, lang):
    from playwright.sync_api import expect

    words = WORDS[lang]
    page = sv.open_page(browser, view_app.url, lang)
    try:
        sv.open_tab(page, words["cnn"])
        expect(page.locator("#cnn_output td")).to_have_count(9, timeout=sv.RESULT_TIMEOUT_MS)
        assert _output_cells(page) == SLIDE_OUTPUT
        step = page.locator("#cnn_step")
        expect(step.get_by_text(words["caption"], exact=True)).to_be_visible(timeout=sv.RESULT_TIMEOUT_MS)
        assert page.locator("#cnn_output th").count() == 0  # no header row that reads like data
        # A kernel preset: the output follows without Compute.
        page.get_by_label(words["preset"]).click()
        page.get_by_role("option", name=words["sobel"]).click()
        page.wait_for_function(
            "(slide) => [...document.querySelectorAll('#cnn_output td')].map(t => t.textContent).join() !== slide",
            arg=",".join(SLIDE_OUTPUT),
            timeout=sv.RESULT_TIMEOUT_MS,
        )
        # A photo: an 8x8 grid, so a 6x6 output with the 3x3 kernel, and the step view on it, without Compute.
        page.locator("#cnn_photo input[type=file]").set_input_files(str(PHOTO))
        expect(page.locator("#cnn_output td")).to_have_count(36, timeout=sv.RESULT_TIMEOUT_MS)
        window = step.locator("td[style*='#fbbf24']")
        expect(window).to_have_count(10, timeout=sv.RESULT_TIMEOUT_MS)  # 3x3 on the input, 1 output cell
        assert window.first.is_visible()
        colour = window.first.evaluate("(td) => getComputedStyle(td).backgroundColor")
        assert colour == "rgb(251, 191, 36)", colour
        grid = page.get_by_label(re.compile("Input grid|Lưới đầu vào")).input_value()
        assert len(grid.splitlines()) == 8  # the photo's grid replaced the slide's 5x5
        sv.assert_clean(page)
        sv.save_view(page, "cnn", lang)
    finally:
        page.close()


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_training_report_curves_are_drawn_with_a_legend(browser, repo_default_app, lang):
    """The image tab's training reports of the committed models (what a fresh clone shows): each curves chart draws
    its four lines on numeric axes, with a legend and titles in the page's language."""
    words = {
        "en": ("Training report of the selected models", "Show training reports", "curve"),
        "vi": ("Báo cáo huấn luyện của các mô hình đã chọn", "Xem báo cáo huấn luyện", "đường cong"),
    }[lang]
    page = sv.open_page(browser, repo_default_app.url, lang)
    try:
        page.get_by_text(words[0]).first.click()
        page.get_by_role("button", name=words[1], exact=True).click()
        charts = page.locator(".block:has(.vega-embed)")
        charts.first.wait_for(timeout=sv.RESULT_TIMEOUT_MS)
        for i in range(charts.count()):
            drawn = sv.assert_chart_has_lines(charts.nth(i), min_lines=4)
            assert len(drawn["legend"]) == 4 and drawn["legend_title"] == [words[2]], drawn
            assert drawn["axis_titles"] == [WORDS[lang]["x"], WORDS[lang]["y"]], drawn
        sv.assert_clean(page)
        sv.save_view(page, "image_report", lang)
    finally:
        page.close()
