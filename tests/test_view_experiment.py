"""What a class sees of the class experiment (the Live training tab), in both languages: the instructor's page
opens an experiment, two pages (two students' browsers) each submit a value, and each page sees the other's run
appear in the shared table and chart without reloading. Screenshots: artifacts/views/experiment_<lang>.png and
experiment_chart_<lang>.png."""

from __future__ import annotations

import pytest

from tests import student_view as sv
from tests.conftest import launch_app, stop_app

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.slow]

WORDS = {
    "en": {"live": "Live training", "instructor": "For the instructor", "open": "Open experiment",
           "opened": "Experiment: learning rate", "submit": "Submit value", "yours": "test accuracy",
           "reset": "Reset (clear the table)", "finished": "3 runs finished", "none": "No experiment yet",
           "csv": "Export table (CSV)", "only": "Only the instructor"},
    "vi": {"live": "Huấn luyện trực tiếp", "instructor": "Dành cho giảng viên", "open": "Mở thí nghiệm",
           "opened": "Thí nghiệm: tốc độ học", "submit": "Gửi giá trị", "yours": "độ chính xác kiểm tra",
           "reset": "Đặt lại (xoá bảng)", "finished": "Đã xong 3 lượt", "none": "Chưa có thí nghiệm nào",
           "csv": "Xuất bảng (CSV)", "only": "Chỉ giảng viên"},
}  # fmt: skip


def submit(page, words, value: str, name: str) -> None:
    page.locator("#exp_value textarea, #exp_value input").first.fill(value)
    page.locator("#exp_who textarea, #exp_who input").first.fill(name)
    page.get_by_role("button", name=words["submit"], exact=True).click()


class TestTwoPagesOnOneServer:
    """The tests that share one server. The server is the class's, not the module's: it stops after the last of them
    (pass or fail), before test_a_restarted_app_shows_the_finished_table launches its own. Module-scoped, it stayed
    up beside that second server (about a gigabyte each): the whole suite's memory peak."""

    @pytest.fixture(scope="class")
    def view_app(self, tmp_path_factory):
        tmp = tmp_path_factory.mktemp("view_experiment")
        app = launch_app(tmp, APP_PROFILE="tiny", HF_HUB_OFFLINE="1", CHECKPOINT_DIR=str(tmp / "ckpt"))
        yield app
        stop_app(app)

    @pytest.mark.parametrize("lang", ["en", "vi"])
    def test_two_pages_see_each_others_runs(self, browser, view_app, lang):
        words = WORDS[lang]
        teacher, student = sv.open_page(browser, view_app.url, lang), sv.open_page(browser, view_app.url, lang)
        try:
            for page in (teacher, student):
                sv.open_tab(page, words["live"])
            teacher.get_by_text(words["instructor"], exact=True).click()
            teacher.get_by_role("button", name=words["open"], exact=True).click()
            for page in (teacher, student):  # the student's page learns of it from its own timer
                page.locator("#exp_board").get_by_text(words["opened"]).wait_for(timeout=30_000)
            submit(student, words, "0,003" if lang == "vi" else "0.003", "Binh")
            submit(teacher, words, "0.0003", "Co An")
            # A third student submits and closes the tab at once: the run is the server's, it still trains.
            leaver = sv.open_page(browser, view_app.url, lang)
            sv.open_tab(leaver, words["live"])
            leaver.locator("#exp_board").get_by_text(words["opened"]).wait_for(timeout=30_000)
            submit(leaver, words, "0.03", "Dung")
            leaver.locator("#exp_mine").get_by_text("#3").wait_for(timeout=30_000)
            leaver.close()
            for page in (teacher, student):
                page.locator("#exp_board").get_by_text(words["finished"]).wait_for(timeout=sv.RESULT_TIMEOUT_MS)
                table = page.locator("#exp_table")
                table.get_by_text("Binh").wait_for(timeout=30_000)
                table.get_by_text("Co An").wait_for(timeout=30_000)
                table.get_by_text("Dung").wait_for(timeout=30_000)
                page.locator("#exp_mine").get_by_text(words["yours"]).wait_for(timeout=30_000)
                page.locator("#exp_chart").scroll_into_view_if_needed()  # lazily loaded below the drawing section
                drawn = page.locator("#exp_chart img").first
                drawn.wait_for(timeout=30_000)
                page.wait_for_function("(img) => img.complete && img.naturalWidth > 600", arg=drawn.element_handle())
                sv.assert_clean(page)
            assert ("0,003" if lang == "vi" else "0.003") in student.locator("#exp_table").inner_text()
            assert "★" in student.locator("#exp_table").inner_text()  # their own row marked
            sv.save_view(student, "experiment", lang)
            sv.save_element(student.locator("#exp_chart"), "experiment_chart", lang)
            # The instructor exports the table: a CSV with every run, downloadable from the page.
            teacher.get_by_role("button", name=words["csv"], exact=True).click()
            link = teacher.locator("#exp_download a").first
            link.wait_for(timeout=30_000)
            csv_text = teacher.request.get(link.get_attribute("href")).text()
            assert csv_text.startswith("run,student,lr,") and all(n in csv_text for n in ("Binh", "Co An", "Dung"))
            # A student cannot reset the class's experiment: told so in their language, the table stays.
            student.get_by_text(words["instructor"], exact=True).click()
            student.get_by_role("button", name=words["reset"], exact=True).click()
            student.locator(".toast-body").get_by_text(words["only"]).first.wait_for(timeout=30_000)
            assert student.locator("#exp_table").get_by_text("Dung").count()
            # Only the instructor resets: then both pages say there is none.
            teacher.get_by_role("button", name=words["reset"], exact=True).click()
            for page in (teacher, student):
                page.locator("#exp_board").get_by_text(words["none"]).wait_for(timeout=30_000)
        finally:
            teacher.close()
            student.close()


def test_a_restarted_app_shows_the_finished_table(browser, tmp_path):
    """Runs finished before a restart come back, closed, in the table and the chart; a half-written leftover is not
    shown; anyone may export the reloaded table (nobody's session survived the restart)."""
    import time

    from core.training import experiment as ex

    root = tmp_path / "ckpt" / "live" / "class_experiment"
    hub = ex.ExperimentHub(root)
    hub.open("batch_size", owner="teacher", tiny=True, train_samples=256, test_samples=256)
    for i, size in enumerate((16, 64)):
        hub.submit(size, owner=f"s{i}", who=f"Before {i}")
    deadline = time.monotonic() + 240
    while any(r.status in ("queued", "running") for r in hub.snapshot()[1].runs) and time.monotonic() < deadline:
        time.sleep(0.2)
    (root / ".experiment_cut_short").write_text('{"runs": [{"who": "Half')  # a write killed midway
    app = launch_app(tmp_path, APP_PROFILE="tiny", HF_HUB_OFFLINE="1", CHECKPOINT_DIR=str(tmp_path / "ckpt"))
    try:
        for lang, closed in (("en", "closed, no more values"), ("vi", "đã đóng, không nhận thêm")):
            page = sv.open_page(browser, app.url, lang)
            try:
                sv.open_tab(page, WORDS[lang]["live"])
                page.locator("#exp_board").get_by_text(closed).wait_for(timeout=60_000)
                table = page.locator("#exp_table")
                table.get_by_text("Before 0").wait_for(timeout=30_000)
                assert table.get_by_text("Before 1").count() and not page.get_by_text("Half").count()
                # The chart sits below the drawing section: a lazily loaded image has no size until scrolled to.
                page.locator("#exp_chart").scroll_into_view_if_needed()
                page.locator("#exp_chart img").first.wait_for(timeout=30_000)
                page.get_by_text(WORDS[lang]["instructor"], exact=True).click()
                page.get_by_role("button", name=WORDS[lang]["csv"], exact=True).click()
                link = page.locator("#exp_download a").first
                link.wait_for(timeout=30_000)
                assert "Before 1" in page.request.get(link.get_attribute("href")).text()
                sv.assert_clean(page)
                sv.save_view(page, "experiment_restarted", lang)
            finally:
                page.close()
    finally:
        stop_app(app)
