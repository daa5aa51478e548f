"""What a student sees in the Live training and How a CNN computes tabs, in both languages (tests/student_view.py).

Live training: the default run draws its loss and accuracy curves as lines while it trains and after, with a legend
and axis titles in the page's language. CNN: the slide's example is computed when the tab opens, a kernel preset
recomputes it, a photo replaces the grid and the output and step view follow without pressing Compute, with the
kernel's window coloured. The tab's RGB convolution, pooling, RNN/LSTM and skip-connection sections each compute
from an example on its first click. Screenshots: artifacts/views/live_<lang>.png, cnn_<lang>.png,
cnn_sections_<lang>.png
and one per section (cnn_rgb, cnn_pool, cnn_lstm, cnn_rnn_grads, cnn_skip).
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


SECTIONS = {
    "en": {
        "rgb": "4x4x3 input, 3x3x3 filter, bias −2 (made up)",
        "window": "Report 001: the first window the report prints (= 2)",
        "edge": "Report 001: filter [1 0 −1] on a grey 6x6 image, edge between columns 3 and 4",
        "depth": "the filter's depth = the input's depth = 3",
        "pool": "Slide: average pooling 2x2, stride 2 (4.25 4.25 / 4.25 3.5)",
        "lstm": "LSTM, 4 steps: 1 0.5 −1 2", "rnn_long": "RNN, 12 steps: the gradient vanishes",
        "unit": "unit", "forget": "forget gate", "skip": "20 layers of Linear + sigmoid",
        "plain": "Plain stack: the gradient is 1.65e-17 at layer 1",
    },
    "vi": {
        "rgb": "Ảnh 4x4x3, bộ lọc 3x3x3, bias −2 (tự chọn)",
        "window": "Báo cáo 001: ô cửa sổ đầu tiên được in trong báo cáo (= 2)",
        "edge": "Báo cáo 001: bộ lọc [1 0 −1] trên ảnh xám 6x6 có cạnh giữa cột 3 và 4",
        "depth": "chiều sâu bộ lọc = chiều sâu đầu vào = 3",
        "pool": "Slide: gộp trung bình 2x2, bước 2 (4.25 4.25 / 4.25 3.5)",
        "lstm": "LSTM, 4 bước: 1 0.5 −1 2", "rnn_long": "RNN, 12 bước: gradient biến mất",
        "unit": "đơn vị", "forget": "cổng quên", "skip": "20 lớp Linear + sigmoid",
        "plain": "Mạng thường: gradient ở lớp 1 là 1,65e-17",  # the Vietnamese decimal comma
    },
}  # fmt: skip


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_cnn_tab_rgb_pooling_rnn_and_skip_sections_from_their_examples(browser, view_app, lang):
    """Each new section computes from its example on the first click: the numbers a student reads are the ones
    worked out by hand in tests/test_cnn_arithmetic.py, test_rnn_steps.py and test_gradient_flow.py."""
    from playwright.sync_api import expect

    words, timeout = SECTIONS[lang], sv.RESULT_TIMEOUT_MS
    page = sv.open_page(browser, view_app.url, lang)
    try:
        sv.open_tab(page, WORDS[lang]["cnn"])
        # RGB: the maps z and ReLU(z) (2 2 / 2 -2 and 2 2 / 2 0) and cell (0, 0) written out channel by channel.
        sv.pick_radio(page, "rgb_examples", words["rgb"])
        expect(page.locator("#rgb_summary")).to_contain_text(words["depth"], timeout=timeout)
        assert page.locator("#rgb_output td").all_inner_texts() == ["2", "2", "2", "-2", "2", "2", "2", "0"]
        step = page.locator("#rgb_step")
        expect(step).to_contain_text("z[0][0] = 0 + 5 + (-1) − 2 = 2", timeout=timeout)
        expect(step).to_contain_text("R: 1·1 + 2·0 + 0·(-1)", timeout=timeout)
        assert step.locator("td[style*='#fbbf24']").count() == 27  # a 3x3 window on each of the 3 channels
        sv.save_element(page.locator("#rgb_step"), "cnn_rgb", lang)
        sv.pick_radio(page, "rgb_examples", words["edge"])
        expect(page.locator("#rgb_output td")).to_have_count(32, timeout=timeout)
        assert page.locator("#rgb_output td").all_inner_texts()[:4] == ["0", "30", "30", "0"]
        sv.pick_radio(page, "rgb_examples", words["window"])
        expect(step).to_contain_text(
            "x: 1·1 + 7·0 + 0·(-1) + 4·1 + 4·0 + 1·(-1) + 5·1 + 1·0 + 7·(-1) = 2", timeout=timeout
        )
        # Pooling: the slide's average, window by window.
        sv.pick_radio(page, "pool_examples", words["pool"])
        expect(page.locator("#pool_step")).to_contain_text("out[0][0] = (2 + 2 + 9 + 4) / 4 = 4.25", timeout=timeout)
        sv.save_element(page.locator("#pool_step"), "cnn_pool", lang)
        # LSTM: every gate per step, step 1 written out, the gradient through time.
        sv.pick_radio(page, "rnn_examples", words["lstm"])
        rnn = page.locator("#rnn_step")
        expect(rnn).to_contain_text(f"f₁[{words['unit']} 1] = σ(", timeout=timeout)
        expect(rnn).to_contain_text("= σ(2.000) = 0.881", timeout=timeout)
        expect(rnn).to_contain_text(words["forget"], timeout=timeout)
        assert page.locator("#rnn_table tr").count() == 5 and page.locator("#rnn_grads tr").count() == 5
        sv.save_element(page.locator("#rnn_step"), "cnn_lstm", lang)
        sv.pick_radio(page, "rnn_examples", words["rnn_long"])
        expect(page.locator("#rnn_grads tr")).to_have_count(13, timeout=timeout)
        one = "1,00e+00" if lang == "vi" else "1.00e+00"  # the page's decimal mark, in the table and the words
        expect(page.locator("#rnn_grads")).to_contain_text(one, timeout=timeout)
        sv.save_element(page.locator("#rnn_grads"), "cnn_rnn_grads", lang)
        # Skip connections: the chart is drawn and the numbers are in words.
        sv.pick_radio(page, "skip_examples", words["skip"])
        expect(page.locator("#skip_summary")).to_contain_text(words["plain"], timeout=timeout)
        chart = page.locator("#skip_plot img")
        expect(chart.first).to_be_visible(timeout=timeout)
        assert chart.first.evaluate("(img) => img.naturalWidth") > 300
        sv.save_element(page.locator("#skip_plot"), "cnn_skip", lang)
        sv.assert_clean(page)
        sv.save_view(page, "cnn_sections", lang)
    finally:
        page.close()
