"""A real browser (Playwright driving Debian's Chromium) uploads an image and sees both models' results."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.server]

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


def test_upload_and_compare_shows_both_results(browser, tiny_app, example_image):
    page = browser.new_page(viewport={"width": 1400, "height": 1800})
    page.goto(tiny_app.url, wait_until="networkidle")
    page.locator("input[type=file]").first.set_input_files(example_image)
    page.get_by_role("button", name="Compare").click()
    # Both headers carry the model name once the results arrive.
    page.get_by_text("Model A: ResNet-50 (CIFAR-100) [tiny random]").wait_for(timeout=60_000)
    page.get_by_text("Model B: ViT-B/16 (CIFAR-100) [tiny random]").wait_for(timeout=60_000)
    assert page.get_by_text("What the model sees").count() == 2
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "image_tab.png"), full_page=True)
    page.close()


def test_bad_upload_shows_an_error_toast(browser, tiny_app, tmp_path):
    bad = tmp_path / "notes.png"
    bad.write_text("not an image")
    page = browser.new_page()
    page.goto(tiny_app.url, wait_until="networkidle")
    page.locator("input[type=file]").first.set_input_files(str(bad))
    page.get_by_role("button", name="Compare").click()
    page.get_by_text("is not an image we can read").first.wait_for(timeout=30_000)
    page.close()


def test_vqa_tab_chat(browser, tiny_app):
    page = browser.new_page(viewport={"width": 1400, "height": 1600})
    page.goto(tiny_app.url, wait_until="networkidle")
    page.get_by_role("tab", name="Hỏi đáp ảnh (VQA)").click()
    page.locator("input[type=file]").last.set_input_files(
        str(Path(__file__).parent.parent / "examples" / "vqa" / "easy_vqa_test_0.png")
    )
    page.get_by_placeholder("Ask something about the photo").fill("what color is the shape?")
    page.get_by_role("button", name="Hỏi · Ask").click()
    page.get_by_text("Best guess").first.wait_for(timeout=60_000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "vqa_tab.png"), full_page=True)
    page.close()


@pytest.mark.parametrize(
    "tab, button, expect",
    [
        ("Tích chập · How a CNN computes", "Tính · Compute", "= 16"),
        ("Trạng thái · Status", "Kiểm tra lại · Refresh", "models can run right now"),
    ],
)
def test_other_tabs_work_in_the_browser(browser, tiny_app, tab, button, expect):
    page = browser.new_page(viewport={"width": 1400, "height": 1600})
    page.goto(tiny_app.url, wait_until="networkidle")
    page.get_by_role("tab", name=tab).click()
    page.get_by_role("button", name=button).click()
    page.get_by_text(expect).first.wait_for(timeout=60_000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(
        path=str(ARTIFACTS / f"tab_{tab.split('·')[-1].strip().replace(' ', '_').lower()}.png"), full_page=True
    )
    page.close()
