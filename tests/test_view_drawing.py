"""What a student sees in the live tab's drawing section, in both languages (tests/student_view.py).

The student names three classes, draws four examples of each with the mouse on the Sketchpad (circles, crosses,
lines, each a little different), trains, then draws a new circle and reads the guess with its probabilities and the
out-of-domain sentence. Screenshots: artifacts/views/drawing_<lang>.png (the section) and drawing_page_<lang>.png.

The tiny profile serves the page: the drawing network is trained from scratch, the same under every profile, and
the tiny app starts without loading the zoo's checkpoints.
"""

from __future__ import annotations

import math
import re

import pytest

from tests import student_view as sv
from tests.conftest import launch_app, stop_app

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.slow]

WORDS = {
    "en": {
        "tab": "Live training", "names": "circle, cross, line", "set": "Use these classes", "add": "Add this drawing",
        "train": "Train from scratch", "guess": "What does it guess?", "done": "Done", "held": "held-out drawings",
        "counts": "circle: 4, cross: 4, line: 4", "notice": re.compile(r"\(score \d+\.\d, threshold \d+\.\d\)"),
        "table": "held-out accuracy",
    },
    "vi": {
        "tab": "Huấn luyện trực tiếp", "names": "tròn, chữ thập, đường", "set": "Dùng các lớp này",
        "add": "Thêm hình vẽ này", "train": "Huấn luyện từ đầu", "guess": "Mô hình đoán gì?", "done": "Xong",
        "held": "hình để riêng", "counts": "tròn: 4, chữ thập: 4, đường: 4",
        "notice": re.compile(r"\(điểm \d+,\d, ngưỡng \d+,\d\)"), "table": "độ chính xác để riêng",
    },
}  # fmt: skip


def circle(k: int):
    r, squash = 0.8 + 0.1 * (k % 3), 1.0 - 0.1 * (k % 2)
    return [[(r * math.cos(2 * math.pi * i / 24), squash * r * math.sin(2 * math.pi * i / 24)) for i in range(25)]]


def cross(k: int):
    s = 0.7 + 0.1 * (k % 3)
    t = 0.1 * (k % 2)
    return [[(-s, -s + t), (s, s - t)], [(s, -s), (-s, s)]]


def line(k: int):
    s = 0.8 + 0.1 * (k % 2)
    tilt = (-0.3, 0.0, 0.3, 0.15)[k % 4]
    return [[(-s, -tilt * s), (s, tilt * s)]]


@pytest.fixture(scope="module")
def view_app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("view_drawing")
    app = launch_app(tmp, APP_PROFILE="tiny", HF_HUB_OFFLINE="1", CHECKPOINT_DIR=str(tmp / "ckpt"))
    yield app
    stop_app(app)


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_student_teaches_three_drawn_classes_and_the_model_guesses_a_new_circle(browser, view_app, lang):
    words = WORDS[lang]
    classes = [c.strip() for c in words["names"].split(",")]
    page = sv.open_page(browser, view_app.url, lang)
    try:
        sv.open_tab(page, words["tab"])
        page.locator("#drawing_names input").fill(words["names"])
        page.get_by_role("button", name=words["set"], exact=True).click()
        radio = page.locator("#drawing_which")
        radio.get_by_text(classes[0], exact=True).wait_for(timeout=sv.RESULT_TIMEOUT_MS)
        add = page.get_by_role("button", name=words["add"], exact=True)
        counts = page.locator("#drawing_counts")
        for c, shape in enumerate((circle, cross, line)):
            radio.get_by_text(classes[c], exact=True).click()
            for k in range(4):
                sv.draw_on_pad(page, "drawing_pad", shape(k), lang)
                add.click()
                # Each drawing is counted, and the pad is cleared for the next one.
                expected = re.compile(rf"{re.escape(classes[c])}\W+{k + 1}\b")
                page.wait_for_function(
                    "([el, src]) => new RegExp(src).test(el.innerText)",
                    arg=[counts.element_handle(), expected.pattern],
                    timeout=sv.RESULT_TIMEOUT_MS,
                )
        assert words["counts"] in counts.inner_text().replace("*", "")
        sv.assert_clean(page)

        page.get_by_role("button", name=words["train"], exact=True).click()
        trained = page.locator("#drawing_trained")
        trained.get_by_text(words["done"]).first.wait_for(timeout=sv.RESULT_TIMEOUT_MS)
        text = trained.inner_text()
        # 4 drawings per class: the 3rd of each is held out (3 in all), the other 9 are taught.
        assert f"3 {words['held']}" in text, text
        assert words["table"] in page.locator("#drawing_lesson").inner_text()

        sv.draw_on_pad(page, "drawing_test", circle(5), lang)
        page.get_by_role("button", name=words["guess"], exact=True).click()
        probs = page.locator("#drawing_probs")
        notice = page.locator("#drawing_notice")
        notice.get_by_text(words["notice"]).first.wait_for(timeout=sv.RESULT_TIMEOUT_MS)
        shown = probs.inner_text()
        # The top line of gr.Label is the predicted class: a new circle, after four drawn circles, is a circle.
        lines = [t.strip() for t in shown.splitlines() if t.strip()]  # the label's title, then the top class
        assert lines[1] == classes[0], shown
        assert all(c in shown for c in classes), shown
        sv.assert_clean(page)
        sv.save_view(page, "drawing_page", lang)
        page.locator("#drawing_test").scroll_into_view_if_needed()
        sv.VIEWS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(sv.VIEWS / f"drawing_{lang}.png"))
    except Exception as exc:
        sv.save_view(page, "drawing_failed", lang)  # what the student saw when it failed
        toasts = page.locator(".toast-body").all_inner_texts()
        raise AssertionError(f"{exc}\ntoasts on screen: {toasts}") from exc
    finally:
        page.close()
