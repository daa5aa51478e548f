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
    if not (tab.count() and tab.first.is_visible()):
        page.locator(".overflow-menu > button").first.click()
        tab = page.locator(".overflow-dropdown button", has_text=title)
    tab.first.click()


def card_commands(page) -> list[str]:
    """The command lines in the visible first-run card's code block (demo.first_run), one per line."""
    code = page.locator(".first-run-card pre:visible")
    return [line.strip() for line in code.first.inner_text().splitlines() if line.strip()] if code.count() else []
