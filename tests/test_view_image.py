"""What the class sees on the image tab of a fresh offline clone (committed Fashion-MNIST zoo pair): the heading
names the pair, the first example is a Fashion-MNIST test image and runs on click, a photo is called unlike the
training images, in both languages."""

from __future__ import annotations

import pytest

from core.catalog.labels import FASHION_MNIST_VI
from tests.student_view import (
    RESULT_TIMEOUT_MS,
    assert_clean,
    click_first_example,
    open_page,
    open_tab,
    save_view,
    visible_text,
)

pytestmark = [pytest.mark.browser, pytest.mark.server]

WORDS = {
    "en": {
        "tab": "Images: ResNet vs ViT",
        "heading": "SimpleCNN (CNN) vs CNN+Transformer hybrid (CNN + Transformer)",
        "compare": "Compare",
        "header_a": "Model A: SimpleCNN (Fashion-MNIST)",
        "header_b": "Model B: CNN+Transformer hybrid (Fashion-MNIST)",
        "unlike": "Unlike its training images",
        "familiar": "Looks like the Fashion-MNIST images",
        "photos": "Everyday photos: outside what the Fashion-MNIST models know",
    },
    "vi": {
        "tab": "Ảnh: ResNet vs ViT",
        "heading": "SimpleCNN (CNN) và CNN+Transformer hybrid (CNN + Transformer)",
        "compare": "So sánh",
        "header_a": "Mô hình A: SimpleCNN (Fashion-MNIST)",
        "header_b": "Mô hình B: CNN+Transformer hybrid (Fashion-MNIST)",
        "unlike": "Không giống ảnh huấn luyện",
        "familiar": "Giống các ảnh Fashion-MNIST",
        "photos": "Ảnh chụp đời thường: ngoài những gì các mô hình Fashion-MNIST biết",
    },
}


def _wait_for_both_panels(page, words) -> None:
    page.get_by_text(words["header_a"]).first.wait_for(timeout=RESULT_TIMEOUT_MS)
    page.get_by_text(words["header_b"]).first.wait_for(timeout=RESULT_TIMEOUT_MS)


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_image_tab_teaches_what_the_zoo_pair_knows(browser, repo_default_app, lang):
    words = WORDS[lang]
    page = open_page(browser, repo_default_app.url, lang)
    try:
        open_tab(page, words["tab"])
        page.get_by_text(words["heading"]).first.wait_for(timeout=RESULT_TIMEOUT_MS)  # set by the page-load event
        assert "superclass" not in visible_text(page) and "lớp cha" not in visible_text(page)
        assert page.get_by_role("button", name=words["compare"], exact=True).is_disabled()  # no image yet
        assert words["photos"] in visible_text(page)

        click_first_example(page)  # the first Fashion-MNIST test image: runs on click, no Compare needed
        _wait_for_both_panels(page, words)
        page.get_by_text(words["familiar"]).first.wait_for(timeout=RESULT_TIMEOUT_MS)
        text = visible_text(page)
        assert words["unlike"] not in text  # a Fashion-MNIST test image is what the models know
        assert "superclass" not in text and "lớp cha" not in text
        names = FASHION_MNIST_VI.values() if lang == "vi" else FASHION_MNIST_VI.keys()
        assert any(name in text for name in names)  # the classes in the visitor's language
        page.get_by_role("button", name=words["compare"], exact=True).click()  # Compare runs it again, cleanly
        _wait_for_both_panels(page, words)
        assert_clean(page)
        save_view(page, "image_fashion_mnist", lang)

        # The first photo (the row labelled as outside what these models know): both panels say so.
        page.locator("button.gallery-item:visible").nth(10).click()
        page.get_by_text(words["unlike"]).nth(1).wait_for(timeout=RESULT_TIMEOUT_MS)
        assert_clean(page)
        save_view(page, "image_photo", lang)
    finally:
        page.close()
