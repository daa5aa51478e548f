"""What a student sees when they walk through a result of the How a CNN computes tab step by step, and in its layer
table and feature maps sections, in both languages (tests/student_view.py).

The RGB, pooling and RNN sections share one step slider helper (demo/tabs/cnn_steps.py): after an example, moving
each slider as a student does writes out the chosen cell, window or time step, with the numbers worked out by hand
in tests/test_cnn_arithmetic.py. The layer table shows the course's LeNet-5 rows beside the measured counts; the
feature maps section tiles the first convolution's maps of a photo. Screenshots: artifacts/views/cnn_steps_<lang>.png
(the page), cnn_rgb_step3, cnn_pool_step3, cnn_rnn_step2, cnn_layers and cnn_maps (<lang>.png, one per section).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from demo.tabs.cnn_pooling import POOL_TEXT
from demo.tabs.cnn_rgb import RGB_TEXT
from demo.tabs.cnn_rnn import CELL_TEXT
from tests import student_view as sv

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.slow]

PHOTO = Path(__file__).resolve().parent.parent / "examples" / "images" / "meo_chelsea.jpg"
SIDE = {"vi": 0, "en": 1}  # (vi, en) pairs of the sections' own example labels
WORDS = {
    "en": {
        "cnn": "How a CNN computes", "step": "Step (output cell)", "window": "Window (output cell)",
        "time": "Time step t", "cell": "Cell (1, 1)", "show_layers": "Show layers", "total": "Total:",
        "measured": "params (measured)", "show_maps": "Show feature maps", "maps": "maps of 32x32",
    },
    "vi": {
        "cnn": "Tích chập hoạt động thế nào", "step": "Bước (ô đầu ra)", "window": "Cửa sổ (ô đầu ra)",
        "time": "Bước thời gian t", "cell": "Ô (1, 1)", "show_layers": "Xem các lớp", "total": "Tổng:",
        "measured": "tham số (đo)", "show_maps": "Xem bản đồ đặc trưng", "maps": "bản đồ đặc trưng 32x32",
    },
}  # fmt: skip


def _move_slider(page, label: str, value: int, nth: int = 0) -> None:
    """Type a value into the number box beside a slider, as a student does, and press Enter."""
    box = page.get_by_label(f"number input for {label}").nth(nth)
    box.fill(str(value))
    box.press("Enter")


def _marked(locator) -> list[str]:
    return locator.locator("td[style*='#fbbf24']").all_inner_texts()  # the amber cells: the window and its output


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_cnn_tab_step_sliders_layer_table_and_feature_maps(browser, tiny_app, lang):
    from playwright.sync_api import expect

    words, side, timeout = WORDS[lang], SIDE[lang], sv.RESULT_TIMEOUT_MS
    page = sv.open_page(browser, tiny_app.url, lang)
    try:
        sv.open_tab(page, words["cnn"])
        # RGB (4x4x3, 3x3x3 filter, bias -2): the last cell, (1, 1), is -2 before ReLU and 0 after.
        sv.pick_radio(page, "rgb_examples", RGB_TEXT["rgb_small"][side])
        rgb = page.locator("#rgb_step")
        expect(rgb).to_contain_text("z[0][0] = 0 + 5 + (-1) − 2 = 2", timeout=timeout)
        _move_slider(page, words["step"], 3, nth=1)  # the convolution section's slider comes first
        expect(rgb).to_contain_text("ReLU(-2) = max(0, -2) = 0", timeout=timeout)
        expect(rgb).to_contain_text(words["cell"], timeout=timeout)
        # The maps follow the slider too (their own event): cell (1, 1) coloured on z and on ReLU(z).
        expect(page.locator("#rgb_output td[style*='#fbbf24']")).to_have_text(["-2", "0"], timeout=timeout)
        sv.save_element(rgb, "cnn_rgb_step3", lang)
        # Pooling (the slide's max pooling): the last window, rows 2-3 and columns 2-3, gives 6.
        sv.pick_radio(page, "pool_examples", POOL_TEXT["slide_max"][side])
        pool = page.locator("#pool_step")
        expect(pool).to_contain_text("out[0][0] = max(2, 2, 9, 4) = 9", timeout=timeout)
        _move_slider(page, words["window"], 3)
        expect(pool).to_contain_text("out[1][1] = max(2, 4, 2, 6) = 6", timeout=timeout)
        assert _marked(pool) == ["2", "4", "2", "6", "6"]
        sv.save_element(pool, "cnn_pool_step3", lang)
        # LSTM: step 2 starts from the h of step 1.
        sv.pick_radio(page, "rnn_examples", CELL_TEXT["lstm_short"][side])
        rnn = page.locator("#rnn_step")
        expect(rnn).to_contain_text("= σ(2.000) = 0.881", timeout=timeout)
        _move_slider(page, words["time"], 2)
        expect(rnn).to_contain_text("[h₁, x₂] = [0.315, -0.315, 0.500]", timeout=timeout)
        sv.save_element(rnn, "cnn_rnn_step2", lang)
        # The layer table opens on the course's LeNet-5: CONV1 measured 608 beside the printed 208.
        page.get_by_role("button", name=words["show_layers"], exact=True).click()
        expect(page.locator("#layer_summary")).to_contain_text(words["total"], timeout=timeout)
        table = page.locator("#layer_table")
        expect(table).to_contain_text(words["measured"], timeout=timeout)
        expect(table).to_contain_text("608", timeout=timeout)
        expect(table).to_contain_text("208", timeout=timeout)
        sv.save_element(page.locator("#layer_table"), "cnn_layers", lang)
        # Feature maps of a photo from the first convolution of the zoo's SimpleCNN (tiny profile: 32x32 maps).
        page.locator("#maps_photo input[type=file]").set_input_files(str(PHOTO))
        page.get_by_role("button", name=words["show_maps"], exact=True).click()
        expect(page.locator("#maps_summary")).to_contain_text(words["maps"], timeout=timeout)
        picture = page.locator("#maps_output img")
        expect(picture.first).to_be_visible(timeout=timeout)
        assert picture.first.evaluate("(img) => img.naturalWidth") > 100
        sv.save_element(page.locator("#maps_output"), "cnn_maps", lang)
        sv.assert_clean(page)
        sv.save_view(page, "cnn_steps", lang)
    finally:
        page.close()
