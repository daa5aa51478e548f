"""Grids of numbers for the CNN tab's sections: as the text a visitor edits, and as the HTML tables a step shows.

Plain HTML tables rather than gr.Dataframe: a Dataframe adds a header row ("1 2 3") that reads like the first row
of the output. Every cell is a number formatted here (cell_text): no text from the visitor reaches the HTML.
"""

from __future__ import annotations

import numpy as np

# The step views' colours: the kernel's (or pooling's) window on the input and the output cell it gives (the same
# amber), padding in grey. Explicit text colours, so the cells read the same in Gradio's light and dark themes.
WINDOW_STYLE = "background:#fbbf24;color:#111;font-weight:700;outline:2px solid #b45309"
PAD_STYLE = "background:#e5e7eb;color:#6b7280"
CELL_STYLE = "border:1px solid #9ca3af;padding:2px 8px;text-align:right;font-variant-numeric:tabular-nums"


def cell_text(v: float) -> str:
    """A whole number without ".0", anything else with two decimals."""
    return str(int(round(v))) if abs(v - round(v)) < 1e-9 else f"{v:.2f}"


def grid_to_text(grid) -> str:
    """A grid as the rows of numbers a textbox shows (and parse_grid reads back)."""
    return "\n".join(" ".join(cell_text(v) for v in row) for row in np.asarray(grid))


def grid_html(grid, *, mark: tuple[int, int, int] | None = None, padding: int = 0, caption: str = "") -> str:
    """A grid of numbers as an HTML table without a header row (its first row is data). `mark` = (top, left, size)
    colours a size x size window; cells within `padding` of the edge are the zeros padding added, in grey."""
    values = np.asarray(grid, dtype=float)
    rows = []
    for i, row in enumerate(values):
        cells = []
        for j, v in enumerate(row):
            style = CELL_STYLE
            if mark and mark[0] <= i < mark[0] + mark[2] and mark[1] <= j < mark[1] + mark[2]:
                style += ";" + WINDOW_STYLE
            elif padding and not (
                padding <= i < values.shape[0] - padding and padding <= j < values.shape[1] - padding
            ):
                style += ";" + PAD_STYLE
            cells.append(f'<td style="{style}">{cell_text(v)}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    head = (
        f'<caption style="caption-side:top;text-align:left;padding-bottom:4px;white-space:nowrap">{caption}</caption>'
        if caption
        else ""
    )
    return f'<table class="cnn-grid" style="border-collapse:collapse;margin:0">{head}{"".join(rows)}</table>'


def side_by_side(*parts: str, gap: int = 24) -> str:
    """HTML pieces in a row that wraps on a narrow screen, their tops aligned."""
    return f'<div style="display:flex;gap:{gap}px;flex-wrap:wrap;align-items:flex-start">{"".join(parts)}</div>'


def window_and_cell(grid, out, step, size: int, captions: tuple[str, str], padding: int = 0) -> str:
    """The input with the step's size x size window coloured, beside the output with the cell it gives coloured.
    `step` is a convolution or pooling step (top, left: the window; row, col: the output cell)."""
    return side_by_side(
        grid_html(grid, mark=(step.top, step.left, size), padding=padding, caption=captions[0]),
        grid_html(out, mark=(step.row, step.col, 1), caption=captions[1]),
    )
