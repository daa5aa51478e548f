"""What a student sees: shared checks for the browser tests that drive each tab as a student would.

A test opens a page at 1280x800 in one language, clicks a tab, clicks its first example, runs it, then calls
`assert_clean(page)` and `save_view(page, ...)`. The checks read what is visible (text, error states, drawn
charts), not whether a component exists. Screenshots land in artifacts/views/<name>_<lang>.png; look at them.
"""

from __future__ import annotations

import re

from tests.conftest import ARTIFACTS

VIEWS = ARTIFACTS / "views"
VIEWPORT = {"width": 1280, "height": 800}
RESULT_TIMEOUT_MS = 120_000  # a first model load on a busy 2-core machine
LOCALES = {"en": "en-US", "vi": "vi-VN"}

# Server internals a student must never read: absolute paths, cache folders, environment variables, tracebacks.
INTERNALS = re.compile(
    r"(?<![\w.])/(?:root|home|tmp|usr|var|opt|work|proc|etc)/"
    r"|checkpoints/(?:zoo|live|text|vqa|caption)"
    r"|\.cache/|site-packages|HF_HOME|TORCH_HOME|CHECKPOINT_DIR|APP_PROFILE|DL_CLASSROOM_\w+|HF_HUB_\w+"
    r"|Traceback \(most recent|File \"[^\"]+\.py\""
)

# Gradio 6.31 marks an output whose event failed with a red "Error" badge (a span.error inside the output's status
# wrap) and shows an error toast (div.toast-body.error); both checked against a real failed event.
ERROR_STATE = ".wrap > span.error:visible, .toast-body.error:visible"


def open_page(browser, url: str, lang: str, viewport: dict | None = None):
    """A fresh page in `lang` ("en" or "vi"), as a student's browser asks for it."""
    page = browser.new_page(locale=LOCALES[lang], viewport=viewport or VIEWPORT)
    sep = "&" if "?" in url else "?"
    page.goto(f"{url}{sep}lang={lang}", wait_until="load")
    page.get_by_role("tab").first.wait_for(timeout=RESULT_TIMEOUT_MS)
    return page


def open_tab(page, title: str) -> None:
    """Click a tab by the title a student reads; it must be visible in the tab bar itself (no overflow menu)."""
    tab = page.get_by_role("tab", name=title, exact=True)
    assert tab.count() and tab.first.is_visible(), f"tab {title!r} is not visible in the tab bar"
    tab.first.click()


def click_first_example(page) -> None:
    """Click the first example of the open tab (Gradio's examples are gallery buttons)."""
    page.locator("button.gallery-item:visible").first.click()


def visible_text(page) -> str:
    return page.locator("body").inner_text()


def internals_in(text: str) -> list[str]:
    return sorted({m.group(0) for m in INTERNALS.finditer(text)})


def assert_clean(page) -> None:
    """No output in Gradio's error state, no error toast, no server internals in the visible text."""
    errors = page.locator(ERROR_STATE)
    shown = [errors.nth(i).inner_text()[:200] for i in range(min(3, errors.count()))]
    assert errors.count() == 0, f"error state on screen: {shown}"
    leaked = internals_in(visible_text(page))
    assert not leaked, f"server internals on the student's screen: {leaked}"


def save_view(page, name: str, lang: str) -> None:
    VIEWS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(VIEWS / f"{name}_{lang}.png"), full_page=True)


def open_tab_anywhere(page, title: str) -> None:
    """Click a tab by its title, through Gradio's "more tabs" menu when the bar has no room for it (tabs after the
    course's, such as video search, may sit there at 1280 px)."""
    tab = page.get_by_role("tab", name=title, exact=True)
    page.get_by_role("tab").first.wait_for(timeout=RESULT_TIMEOUT_MS)  # the bar is drawn before we look
    if not (tab.count() and tab.first.is_visible()):
        page.locator(".overflow-menu > button").first.click()
        tab = page.locator(".overflow-dropdown button", has_text=title)
    tab.first.click()


def card_commands(page) -> list[str]:
    """The command lines in the visible first-run card's code block (demo.server.first_run), one per line."""
    code = page.locator(".first-run-card pre:visible")
    return [line.strip() for line in code.first.inner_text().splitlines() if line.strip()] if code.count() else []


# Gradio 6.31's LinePlot draws with Vega as SVG: each curve is a `path` in a `g.mark-line` group; a line that is
# drawn has a stroke colour and at least two points (an "L" in its path). A curve whose colour the plot does not
# know (a category missing from its first data) keeps stroke null: present in the DOM, invisible on screen.
_CHART_JS = """(root) => {
  const svg = root.querySelector('.vega-embed svg');
  if (!svg) return null;
  const text = (sel) => [...svg.querySelectorAll(sel)].map((t) => t.textContent.trim()).filter(Boolean);
  const lines = [...svg.querySelectorAll('g.mark-line path')].filter((p) => {
    const stroke = p.getAttribute('stroke'), d = p.getAttribute('d') || '';
    const box = p.getBBox();
    return stroke && stroke !== 'none' && (d.match(/L/g) || []).length >= 1 && (box.width > 2 || box.height > 2);
  });
  return {
    lines: lines.length,
    legend: text('.role-legend-label text'),
    legend_title: text('.role-legend-title text'),
    axis_titles: text('.role-axis-title text'),
    ticks: text('.role-axis-label text'),
    axes: [...svg.querySelectorAll('g.role-axis')].map((axis) => [...axis.querySelectorAll('.role-axis-label text')]
      .map((t) => {
        const r = t.getBoundingClientRect();
        return [t.textContent.trim(), r.x + r.width / 2, r.y + r.height / 2];
      })),
  };
}"""


def chart_drawing(locator) -> dict | None:
    """What a line chart inside `locator` (a Playwright locator around one plot) shows: the number of drawn lines,
    the legend's labels and title, the axis titles and tick labels; None when no chart is rendered there."""
    return locator.evaluate(_CHART_JS)


def assert_chart_has_lines(locator, min_lines: int = 1, timeout_ms: int = RESULT_TIMEOUT_MS) -> dict:
    """Wait until the chart inside `locator` has drawn at least `min_lines` lines, with a legend, and numeric
    tick labels that grow rightward along the x axis and upward along the y axis; returns chart_drawing()."""
    import time

    deadline = time.monotonic() + timeout_ms / 1000
    drawn = None
    while time.monotonic() < deadline:
        drawn = chart_drawing(locator)
        if drawn and drawn["lines"] >= min_lines and drawn["legend"]:
            break
        time.sleep(0.5)
    assert drawn and drawn["lines"] >= min_lines, f"chart has no drawn line: {drawn}"
    assert drawn["legend"], f"chart without a legend: {drawn}"
    numbers = [float(t.replace(",", ".")) for t in drawn["ticks"] if re.fullmatch(r"-?\d+([.,]\d+)?", t)]
    assert len(numbers) == len(drawn["ticks"]), f"tick labels that are not numbers: {drawn['ticks']}"
    for labels in drawn["axes"]:
        if len(labels) < 2:
            continue
        xs, ys = [x for _, x, _ in labels], [y for _, _, y in labels]
        horizontal = max(xs) - min(xs) > max(ys) - min(ys)
        ordered = sorted(labels, key=lambda t: t[1] if horizontal else -t[2])  # left to right, bottom to top
        values = [float(t.replace(",", ".")) for t, _, _ in ordered]
        assert values == sorted(values), f"axis labels out of order: {[t for t, _, _ in ordered]}"
    return drawn


def save_element(locator, name: str, lang: str) -> None:
    """A screenshot of one part of the page (a section of a long tab), to look at beside the full page."""
    VIEWS.mkdir(parents=True, exist_ok=True)
    locator.screenshot(path=str(VIEWS / f"{name}_{lang}.png"))


def pick_radio(page, container_id: str, label: str) -> None:
    """Click the option `label` of the gr.Radio with elem_id `container_id`, as a student clicks it."""
    page.locator(f"#{container_id}").get_by_text(label, exact=True).click()


def draw_on_pad(page, pad_id: str, strokes, lang: str) -> None:
    """Draw on a Sketchpad (#pad_id) with the mouse as a student would: pick the brush, then each stroke, a list of
    (x, y) points in -1..1 around the centre of the drawing surface. The Sketchpad's tool names are Gradio's
    frontend strings, shown in the page's language (demo.ui.i18n.GRADIO_FRONTEND): the brush is picked by its name
    in `lang`."""
    from demo.ui.i18n import GRADIO_FRONTEND

    vi, en = GRADIO_FRONTEND["image_editor.brush"]
    pad = page.locator(f"#{pad_id}")
    pad.scroll_into_view_if_needed()
    pad.get_by_role("button", name=vi if lang == "vi" else en, exact=True).first.click()
    box = pad.locator("canvas").first.bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    reach = min(box["width"], box["height"]) * 0.25  # inside the drawing surface, which is smaller than the canvas
    for stroke in strokes:
        (x0, y0), rest = stroke[0], stroke[1:]
        page.mouse.move(cx + x0 * reach, cy + y0 * reach)
        page.mouse.down()
        for x, y in rest:
            page.mouse.move(cx + x * reach, cy + y * reach, steps=3)
        page.mouse.up()
