"""The "course vs here" panels: the course's numbers as its reports print them, the numbers measured here read from
the committed checkpoints, the facts the reports state wrongly, and what a student reads on each tab (Chromium).

The course reports live outside the repository (the class's shared folder); the test that re-reads them is skipped
where they are absent. Every other check runs on a fresh clone.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from core.catalog.course_results import (
    CLIP_COURSE_CLASSES,
    CLIP_COURSE_CURVE,
    CLIP_COURSE_PROMPT,
    REPORT002,
    REPORT002_LR,
    REPORT003,
    RESNET50_PARAMS_CIFAR100,
    RESNET50_PARAMS_IMAGENET,
    TABLES,
    TASK1,
    TASK2,
)
from demo.ui.course_panel import panel_markdown

REPORTS = Path(os.environ.get("COURSE_REPORTS", "/work/shared/course-reports"))
REPORT_FILE = {"000": "000_", "002": "002_", "003": "003_", "004": "004_"}


def _report_text(number: str) -> str:
    files = sorted(REPORTS.glob(f"{REPORT_FILE[number]}*.txt"))
    if not files:
        pytest.skip("the course reports are not on this machine")
    return files[0].read_text(encoding="utf-8")


def _printed(value, column) -> str:
    """A value as the report writes it: its decimals, "1e-3" for a small learning rate, "25.6M" as it is."""
    if isinstance(value, str):
        return value
    if column.kind == "lr":
        return f"{value:g}" if value >= 0.01 else f"{value:.0e}".replace("e-0", "e-")
    default = {"percent": 2, "fraction": 4, "loss": 4}.get(column.kind, 1)  # as demo.ui.course_panel prints them
    decimals = column.decimals if column.decimals is not None else default
    return f"{value:.{decimals}f}"


@pytest.mark.parametrize("key", sorted(TABLES))
def test_every_course_number_is_printed_in_its_report(key):
    """Each value, as printed here, appears in its report: a row's results on one line of its table, its
    validation accuracy beside its test accuracy (report 002's part tables), its parameter count in the report."""
    table = TABLES[key]
    number = re.search(r"\d{3}", str(table.source)).group(0)
    lines = _report_text(number).splitlines()
    for row in table.rows:
        cells = {c.key: _printed(v, c) for v, c in zip(row.values, table.columns) if v is not None}
        if not cells:
            continue
        first = next(iter(cells.values()))
        together = [v for k, v in cells.items() if k not in ("params", "val_acc")]
        on_one_line = any(all(v in line for v in together) for line in lines)
        # Report 004's table is transposed: one line per metric, one column per model.
        per_metric = all(any(k in line and v in line for line in lines) for k, v in cells.items())
        assert on_one_line or per_metric, (key, row.name, together)
        if "val_acc" in cells:
            assert any(first in line and cells["val_acc"] in line for line in lines), (key, row.name)
        if "params" in cells:
            assert any(cells["params"] in line for line in lines), (key, row.name)


def test_a_row_must_give_one_value_per_column():
    """A value left out of a row would shift every later column of its panel: the table refuses it."""
    from core.catalog.course_results import CourseTable, _rows

    short = dict(title=TASK1.title, source=TASK1.source, columns=TASK1.columns, differs=TASK1.differs)
    with pytest.raises(ValueError, match="ResNet-50 \\(CNN\\): 2 values for 3 columns"):
        CourseTable(key="short", rows=_rows(("ResNet-50 (CNN)", (44.11, 0.434), "resnet50")), **short)
    assert all(len(row.values) == len(table.columns) for table in TABLES.values() for row in table.rows)


def test_report002_own_arithmetic_holds():
    """Accuracy per parameter = test accuracy / parameters in millions, to the report's rounding; and the one row
    where the summary and a part's table disagree would show up here (none does)."""
    for row in REPORT002.rows:
        test_acc, _, _, params, per_m = row.values
        millions = float(params[:-1]) / (1000 if params.endswith("K") else 1)
        assert abs(test_acc / millions - per_m) < 0.1, row.name
    assert len(REPORT002.rows) == 13


def test_task_gaps_match_the_reports():
    resnet, vit = (r.values[0] for r in TASK1.rows)
    gru, distilbert = (r.values[0] for r in TASK2.rows[:2])
    assert round(vit - resnet, 2) == 45.49 and round(distilbert - gru, 2) == 31.19  # "+45.49 pp", "+31.19 pp"


def test_resnet50_counts_are_torchvisions():
    """Report 000's 25.6M is the 1000-class ImageNet model; the course's 100-class head makes it 23,712,932."""
    import torchvision

    def count(model):
        return sum(p.numel() for p in model.parameters())

    assert count(torchvision.models.resnet50(weights=None)) == RESNET50_PARAMS_IMAGENET == 25_557_032
    assert count(torchvision.models.resnet50(weights=None, num_classes=100)) == RESNET50_PARAMS_CIFAR100 == 23_712_932
    en, vi = panel_markdown([TASK1], "default", "en"), panel_markdown([TASK1], "default", "vi")
    assert "25.6M" in en and "25,557,032" in en and "23,712,932" in en
    assert "25.557.032" in vi and "23.712.932" in vi


def test_vqa_panel_shows_the_split_with_its_discrepancy():
    """41,613 + 4,839 + 10,879 = 57,331, not the 65,331 report 003 states: the VQA tab's panel says so."""
    from core.vqa.answers import COURSE_FOOD_SPLIT, COURSE_FOOD_STATED_TOTAL, course_food_split_note

    assert sum(COURSE_FOOD_SPLIT.values()) == 57_331 and COURSE_FOOD_STATED_TOTAL == 65_331
    note = course_food_split_note()
    en = panel_markdown([REPORT003], "default", "en", extra=(note,))
    vi = panel_markdown([REPORT003], "default", "vi", extra=(note,))
    assert "57,331" in en and "65,331" in en and "8,000" in en
    assert "57.331" in vi and "65.331" in vi and "8.000" in vi and "không giải thích" in vi
    for loss in ("0.4503", "0.4682", "0.5589", "0.6600"):
        assert loss in en and loss.replace(".", ",") in vi


def test_here_numbers_are_the_committed_checkpoints():
    """Each "here" row is its checkpoint's metrics.json, to its printed precision; no checkpoint, "not run here"."""
    from core.training.report import find_report

    text = panel_markdown([REPORT002], "default", "en")
    for row in REPORT002.rows:
        config, metrics = find_report(row.here)
        acc = f"{100 * metrics['test']['accuracy']:.2f} %"
        assert re.search(rf"\| {re.escape(row.name)} \| here \| {re.escape(acc)} \|", text), row.name
    task1 = panel_markdown([TASK1], "default", "en")
    for row in TASK1.rows:
        assert (find_report(row.here) is None) == (f"| {row.name} | here | _not run here_" in task1)
    # The tiny profile runs random models: their rows never show a checkpoint's numbers.
    assert "| SimpleCNN | here | _not run here_" in panel_markdown([REPORT002], "tiny", "en")


def test_learning_rates_shown_are_what_each_run_recorded():
    """Report 002's softmax recipe is lr 0.1; the row "here" is the rate its committed run recorded, whatever it is."""
    from core.training.report import find_report

    assert REPORT002_LR.rows[0].values[0] == 0.1
    text = panel_markdown([REPORT002_LR], "default", "en")
    for row in REPORT002_LR.rows:
        _, metrics = find_report(row.here)
        assert f"| {row.name} | here | {metrics['summary']['lr']:g} |" in text


def test_clip_course_setup_matches_the_study():
    from core.clip import study
    from demo.tabs import clip as clip_tab

    assert CLIP_COURSE_CLASSES == study.CLASSES and CLIP_COURSE_PROMPT == study.COURSE_TEMPLATE
    assert clip_tab.USER_CLASSES >= len(CLIP_COURSE_CLASSES) == 10
    assert CLIP_COURSE_CURVE == {0: 54.6, 1: 32.8, 5: 61.2, 10: 76.4, 20: 93.0}
    classes, prompt, support, _, *galleries = clip_tab.course_preset()
    assert [g.label for g in galleries] == [f"{i + 1}. {c}" for i, c in enumerate(CLIP_COURSE_CLASSES)]
    assert classes.split(", ") == list(CLIP_COURSE_CLASSES) and prompt == "a photo of a {}" and support == "user"


def test_video_tab_calls_itself_a_reconstruction():
    from demo.tabs.video import RECONSTRUCTION

    assert "reconstruction" in RECONSTRUCTION and "chapter 3" in RECONSTRUCTION and "is empty" in RECONSTRUCTION
    assert RECONSTRUCTION.count("**not built**") == 2 and "RNN" in RECONSTRUCTION and "ANN" in RECONSTRUCTION
    assert RECONSTRUCTION.vi.count("**chưa dựng**") == 2 and "bản dựng lại" in RECONSTRUCTION.vi


# --- what a student reads on each tab ------------------------------------------------------------------------------

PANEL_TABS = {  # tab id -> (English title, Vietnamese title, a course number the panel must show, as en / vi)
    "image": ("Images: ResNet vs ViT", "Ảnh: ResNet vs ViT", ("44.11 %", "44,11 %")),
    "text": ("Text: GRU vs Transformer", "Văn bản: GRU vs Transformer", ("37.85 %", "37,85 %")),
    "clip": ("CLIP playground", "CLIP", ("54.60 %", "54,60 %")),
    "caption": ("Vietnamese captions", "Chú thích ảnh tiếng Việt", ("0.2572", "0,2572")),
    "vqa": ("Visual question answering", "Hỏi đáp ảnh (VQA)", ("0.6600", "0,6600")),
    "live": ("Live training", "Huấn luyện trực tiếp", ("7.94 %", "7,94 %")),
    "video": ("Video event search", "Tìm sự kiện trong video", ("not built", "chưa dựng")),
}
HERE = {"en": "here", "vi": "ở đây"}


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["en", "vi"])
def test_every_tab_shows_its_course_panel(browser, repo_default_app, lang):
    """On a fresh clone, each tab with a course result has the panel; opened, it shows the course's number, the
    "here" rows and, where a checkpoint is committed, its number; nothing of the server's."""
    from tests.student_view import assert_clean, open_page, open_tab_anywhere, save_view

    page = open_page(browser, repo_default_app.url, lang)
    for tab, (en_title, vi_title, numbers) in PANEL_TABS.items():
        open_tab_anywhere(page, en_title if lang == "en" else vi_title)
        panel = page.locator(f"#course-panel-{tab}")
        panel.wait_for(timeout=30_000)
        panel.locator("button").first.click()  # the accordion's header opens it
        body = panel.locator(".prose").first
        body.wait_for(timeout=30_000)
        text = panel.inner_text()
        assert numbers[0 if lang == "en" else 1] in text, (tab, text[:300])
        if tab != "video":
            assert f"| {HERE[lang]} |" in text or f"\t{HERE[lang]}\t" in text or HERE[lang] in text
        if tab == "live":
            assert ("66.82 %" if lang == "en" else "66,82 %") in text  # the committed softmax checkpoint
        assert_clean(page)
        panel.scroll_into_view_if_needed()
        save_view(page, f"course_panel_{tab}", lang)
    page.close()
