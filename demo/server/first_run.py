"""What a tab opens on, decided on every page load, and the "needs download" card (first click works).

Tabs register what they decide at page load with `on_page_load(fn, outputs)`; app.py calls `attach(demo)` once,
which wires them all into one `load` event: one cheap request per page (core.catalog.availability only looks at files on
disk). Deciding per page load, not when the app is built, means weights that appear later (a prefetch, a training run)
change the page on its next load, without a restart.

A language switch happens in place (demo/ui/i18n.py): the page's text that a page load wrote (the notes, the cards)
is written again in the new language when the head script clicks the hidden button `attach` adds; only the
Markdown outputs are updated then, so a visitor's selections stay. `on_language_change(fn, outputs)` adds more
(the status tab's table).

A tab where nothing can run (CLIP, captions on a fresh offline machine) opens on a card that says, in the visitor's
language, what it needs and how big the download is, in words (the command is in the Status tab's instructor
section: students read no command); its controls stay visible but inactive.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import gradio as gr

from core.catalog import get_spec
from core.catalog.availability import Initial
from demo.server import gradio_internals
from demo.server.fair_queue import QUICK_GROUP
from demo.ui.i18n import RELANG_BUTTON, say

logger = logging.getLogger(__name__)

# Per Blocks being built (demo.server.gradio_internals.blocks_being_built), so a tab built inside another Blocks
# never leaks into this one.
_loaders: dict[int, list[tuple[Callable, list]]] = {}
_relang: dict[int, list[tuple[Callable, list]]] = {}


def on_page_load(fn: Callable[[gr.Request | None], Sequence], outputs: Sequence) -> None:
    """Run `fn(request)` on every page load; it returns one value (or gr.update) per output, in order."""
    _loaders.setdefault(id(gradio_internals.blocks_being_built()), []).append((fn, list(outputs)))


def on_language_change(fn: Callable, outputs: Sequence) -> None:
    """Run `fn(request)` again when the visitor switches language in place (its own event: it may be slow)."""
    _relang.setdefault(id(gradio_internals.blocks_being_built()), []).append((fn, list(outputs)))


def attach(blocks: gr.Blocks) -> None:
    """One load event for everything the tabs of `blocks` registered, and the language switch's hidden button
    (call once, inside `with blocks:`)."""
    loaders = _loaders.pop(id(blocks), [])
    relang_hooks = _relang.pop(id(blocks), [])
    if not loaders and not relang_hooks:
        return
    relang = gr.Button(visible="hidden", elem_id=RELANG_BUTTON)
    for fn, outputs in relang_hooks:
        relang.click(fn, outputs=outputs, api_visibility="private", show_progress="hidden", **QUICK_GROUP)
    if not loaders:
        return

    def page_load(request: gr.Request = None):
        values = []
        for fn, outputs in loaders:
            try:
                got = list(fn(request))
                if len(got) != len(outputs):
                    raise ValueError(f"{fn.__name__} returned {len(got)} values for {len(outputs)} outputs")
            except Exception:  # an unreadable cache folder must not put an error toast on every page load
                logger.exception("page-load decision failed; that tab keeps its build-time values")
                got = [gr.update() for _ in outputs]
            values += got
        return values

    outputs = [o for _, outputs in loaders for o in outputs]
    blocks.load(page_load, outputs=outputs, api_visibility="private", show_progress="hidden", **QUICK_GROUP)
    texts = [isinstance(o, gr.Markdown) for o in outputs]

    def texts_again(request: gr.Request = None):
        """The page load's Markdown (notes, cards) in the new language; every other output unchanged."""
        return [value if text else gr.update() for value, text in zip(page_load(request), texts)]

    relang.click(texts_again, outputs=outputs, api_visibility="private", show_progress="hidden", **QUICK_GROUP)


def _mb(name: str) -> float | None:
    sizes = [getattr(s, "size_mb", None) for s in get_spec(name).weights]
    return next((s for s in sizes if s), None)


def card_text(request: gr.Request | None, tab: str, initial: Initial) -> str:
    """The card's Markdown: what the tab needs and the download size where known, in words."""
    if tab == "clip":
        name = initial.models[0]
        size = _mb(name)
        size_en = f"about {size:.0f} MB" if size else "size unknown"
        size_vi = f"khoảng {size:.0f} MB" if size else "chưa rõ dung lượng"
        display = get_spec(name).display_name
        return say(
            request,
            f"### Thẻ này cần tải trọng số CLIP\nChưa có trọng số của **{display}** trên máy này. Giảng viên cần tải "
            f"về một lần ({size_vi}, cần mạng), sau đó thẻ chạy cả khi ngoại tuyến; thẻ Trạng thái mô hình cho biết "
            "cách làm.\n\nTải lại trang sau khi tải xong. Các nút bên dưới chưa dùng được cho đến lúc đó.",
            f"### This tab needs the CLIP weights\n**{display}** has no weights on this machine. The instructor "
            f"downloads them once ({size_en}, needs network); afterwards the tab works offline. The Model status tab "
            "says how.\n\nReload the page once it is done. The controls below stay inactive until then.",
        )
    clip = get_spec(get_spec(initial.models[0]).requires[0]).display_name if initial.models else "CLIP"
    size = _mb("clip_vit_b32_openai")
    # KTVIC is not shipped (nor downloadable by a command): the card says what the instructor must bring; the
    # commands that work once it is in data/ktvic are in the Status tab's instructor section
    # (core.catalog.availability).
    return say(
        request,
        "### Thẻ này cần các mô hình chú thích đã huấn luyện\nChưa có checkpoint nào của ClipCap hay CNN + LSTM "
        f"trên máy này. Chúng chạy trên {clip} đóng băng (khoảng {size:.0f} MB) cùng GPT-2 tiếng Việt "
        "(NlpHUST/gpt2-vietnamese, cỡ GPT-2 base, 124 triệu tham số) và được huấn luyện trên **KTVIC**, bộ dữ liệu "
        "chú thích ảnh tiếng Việt của môn học. Ứng dụng không kèm KTVIC: giảng viên cần tự đặt nó vào `data/ktvic` "
        "(bố cục JSON gốc: `train_data.json`, `test_data.json` và các thư mục ảnh), rồi huấn luyện một lần trên máy "
        "có mạng và tốt nhất là có GPU; thẻ Trạng thái mô hình cho biết cách làm.\n\nTải lại trang sau khi xong. "
        "Các nút bên dưới chưa dùng được cho đến lúc đó.",
        "### This tab needs trained captioners\nNo ClipCap or CNN + LSTM checkpoint is on this machine. They run on "
        f"a frozen {clip} (about {size:.0f} MB) and a Vietnamese GPT-2 (NlpHUST/gpt2-vietnamese, GPT-2 base size, "
        "124M parameters) and are trained on **KTVIC**, the course's Vietnamese captioning data set. The app does "
        "not ship KTVIC: the instructor brings it into `data/ktvic` (its official JSON layout: `train_data.json`, "
        "`test_data.json` and the image folders), then trains once on a machine with network and ideally a GPU; "
        "the Model status tab says how.\n\nReload the page once it is done. The controls below stay inactive "
        "until then.",
    )


def needs_download_card() -> gr.Markdown:
    """The card's place in a tab: hidden until a page load finds nothing that can run."""
    return gr.Markdown(visible=False, elem_classes=["first-run-card"], container=True)


def card_updates(request: gr.Request | None, tab: str, initial: Initial, controls: int) -> list:
    """The card's update, then one per control: the card and inactive controls when nothing can run."""
    if initial.runnable:
        return [gr.update(visible=False), *[gr.update(interactive=True)] * controls]
    return [gr.update(value=card_text(request, tab, initial), visible=True), *[gr.update(interactive=False)] * controls]


def note_update(request: gr.Request | None, initial: Initial) -> dict:
    """The line above a tab's panels saying why it does not open on the headline choice (hidden otherwise)."""
    if initial.note is None:
        return gr.update(value="", visible=False)
    return gr.update(value="> " + say(request, initial.note.vi, str(initial.note)), visible=True)
