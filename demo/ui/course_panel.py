"""The "course vs here" panel: a course table (core.catalog.course_results) beside the same metric measured here.

"Here" is read from the committed checkpoint's metrics.json of the row's catalogue entry (core.training.report
.find_report: a JSON read, no weights loaded), only in the default profile: the tiny and random profiles run random
models, whose checkpoint numbers would describe models the page is not running. A row without a checkpoint here
says "not run here"; nothing is estimated or filled in.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import gradio as gr

from core.catalog.course_results import FRACTION, LOSS, LR, PARAMS, PERCENT, Column, CourseTable
from core.catalog.store import DATASET_NAMES
from core.runtime.messages import Bilingual, number_text
from demo.ui.i18n import tr

PANEL_CLASS = "course-panel"  # the accordion's class: browser tests find every tab's panel by it
NOT_RUN = Bilingual("not run here", "không chạy ở đây")
NO_COUNTERPART = Bilingual("no counterpart here", "không có ở đây")


def number(value: float, decimals: int, lang: str) -> str:
    """A number as the visitor's language writes it: 1,234.56 in English, 1.234,56 in Vietnamese."""
    text = number_text(value, decimals)
    return text.vi if lang == "vi" else str(text)


def course_cell(value, column: Column, lang: str) -> str:
    """A course value as the report prints it (its own decimals); "—" where the report gives none."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value.replace(".", ",") if lang == "vi" else value
    kind = column.kind
    if kind == LR:
        return f"{value:g}"
    decimals = (
        column.decimals
        if column.decimals is not None
        else (2 if kind == PERCENT else 4 if kind in (FRACTION, LOSS) else 1)
    )
    return number(value, decimals, lang) + (" %" if kind == PERCENT else "")


def measured(config: dict, metrics: dict, key: str):
    """The value of column `key` in a checkpoint's metrics.json, None when it did not record it."""
    test, summary = metrics.get("test") or {}, metrics.get("summary") or {}
    history = metrics.get("history") or []
    if key == "test_acc":
        return test.get("accuracy")
    if key == "val_acc":
        return summary.get("val_accuracy", history[-1].get("val_acc") if history else None)
    if key == "f1":
        return test.get("f1_macro")
    if key == "params":
        return summary.get("params")
    if key == "acc_per_m":
        return summary.get("accuracy_per_million_params")
    if key == "loss":
        return test.get("loss")
    if key in ("lr", "batch", "epochs"):
        return summary.get({"batch": "batch_size"}.get(key, key))
    return (test.get("metrics") or {}).get(key)  # a caption metric (BLEU-4, ROUGE-L, ...)


def here_cell(value, kind: str, lang: str) -> str:
    if value is None:
        return "—"
    if kind == PERCENT:  # checkpoints record fractions
        return number(100 * value, 2, lang) + " %"
    if kind == PARAMS:
        return number(value, 0, lang)
    if kind == LR:
        return f"{value:g}"
    if isinstance(value, int):
        return number(value, 0, lang)
    return number(value, 4 if kind in (FRACTION, LOSS) else 1, lang)


def here_report(entry: str | None, profile: str):
    """(config, metrics) of the entry's committed checkpoint, or None (no entry, no checkpoint, not the default
    profile)."""
    if entry is None or profile != "default":
        return None
    from core.catalog import list_models
    from core.training.report import find_report

    # An entry another build of the catalogue may not have (no KeyError to catch: the row just says "not run").
    return find_report(entry) if entry in list_models() else None


def trained_on(config: dict, metrics: dict, lang: str) -> str:
    """What a checkpoint here learned from, in a few words: data set, images or texts, epochs."""
    dataset = config.get("dataset") or ""
    name = {**DATASET_NAMES, "easy_vqa": "easy-VQA"}.get(dataset, dataset.replace("_", "-"))
    summary = metrics.get("summary") or {}
    n = summary.get("train_samples") or summary.get("train_texts")
    epochs = summary.get("epochs")
    parts = [name] if name else []
    if n and epochs:
        parts.append(f"{number(n, 0, lang)} × {epochs} epoch" + ("" if lang == "vi" else "s"))
    return ", ".join(parts)


def table_markdown(table: CourseTable, profile: str, lang: str) -> str:
    """The course's rows, each followed by the row measured here, as one Markdown table in `lang`."""
    pick = (lambda b: b.vi) if lang == "vi" else str
    course, here = ("môn học", "ở đây") if lang == "vi" else ("course", "here")
    head = ["**" + ("Mô hình" if lang == "vi" else "Model") + "**", ""]
    head += [pick(c.label) for c in table.columns] + ["trên" if lang == "vi" else "on"]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for row in table.rows:
        if any(v is not None for v in row.values):
            cells = [course_cell(v, c, lang) for v, c in zip(row.values, table.columns)]
            lines.append(f"| {row.name} | {course} | " + " | ".join(cells) + " | |")
        if not table.here_rows:
            continue
        report = here_report(row.here, profile)
        if report is None:
            missing = pick(NOT_RUN if row.here else NO_COUNTERPART)
            lines.append(f"| {row.name} | {here} | _{missing}_ |" + " |" * len(table.columns))
            continue
        config, metrics = report
        cells = [here_cell(measured(config, metrics, c.key), c.kind, lang) for c in table.columns]
        lines.append(f"| {row.name} | {here} | " + " | ".join(cells) + f" | {trained_on(config, metrics, lang)} |")
    return "\n".join(lines)


def panel_markdown(tables: Sequence[CourseTable], profile: str, lang: str, extra: Sequence[Bilingual] = ()) -> str:
    pick = (lambda b: b.vi) if lang == "vi" else str
    blocks = []
    for table in tables:
        source = ("Nguồn" if lang == "vi" else "Source") + f": {pick(table.source)}."
        differs = ("Khác nhau ở đâu" if lang == "vi" else "What differs") + f": {pick(table.differs)}"
        notes = [f"- {pick(n)}" for n in table.notes]
        blocks.append("\n\n".join([f"#### {pick(table.title)}", table_markdown(table, profile, lang), source, differs,
                                   *(["\n".join(notes)] if notes else [])]))  # fmt: skip
    if profile != "default" and tables:
        blocks.append(
            "_Mô hình thử: cột “ở đây” chỉ hiện số của checkpoint thật (cấu hình mặc định)._"
            if lang == "vi"
            else "_Test models: the “here” rows show real checkpoints' numbers only in the default profile._"
        )
    blocks += [pick(b) for b in extra]
    return "\n\n".join(blocks)


def course_panel(
    tab: str, tables: Sequence[CourseTable], profile: str, extra: Sequence[Bilingual] = (), *, open: bool = False
) -> gr.Accordion:
    """A closed accordion "Course vs here" with the tables in the visitor's language (Gradio's i18n table)."""
    vi, en = panel_markdown(tables, profile, "vi", extra), panel_markdown(tables, profile, "en", extra)
    with gr.Accordion(
        tr(
            "course.panel",
            "Môn học và ở đây: kết quả của môn học bên cạnh kết quả đo ở đây",
            "Course vs here: the course's results beside what runs here",
        ),  # fmt: skip
        open=open,
        elem_classes=[PANEL_CLASS],
        elem_id=f"course-panel-{tab}",
    ) as accordion:
        # The key carries the text's checksum: a checkpoint retrained before a rebuild changes the text.
        gr.Markdown(tr(f"course.{tab}.{zlib.crc32((vi + en).encode())}", vi, en))
    return accordion
