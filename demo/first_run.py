"""What a tab opens on, decided on every page load, and the "needs download" card (first click works).

Tabs register what they decide at page load with `on_page_load(fn, outputs)`; app.py calls `attach(demo)` once,
which wires them all into one `load` event: one cheap request per page (core.initial only looks at files on disk).
Deciding per page load, not when the app is built, means weights that appear later (a prefetch, a training run)
change the page on its next load, without a restart.

A tab where nothing can run (CLIP, captions on a fresh offline machine) opens on a card that says, in the visitor's
language, what it needs, how big the download is and the one command; its controls stay visible but inactive.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import gradio as gr

from core.initial import Initial
from core.registry import get_spec, models_for
from demo.fair_queue import QUICK_GROUP
from demo.i18n import say

logger = logging.getLogger(__name__)

# Per Blocks being built (gradio's Context.root_block), so a tab built inside another Blocks never leaks into this one.
_loaders: dict[int, list[tuple[Callable, list]]] = {}


def on_page_load(fn: Callable[[gr.Request | None], Sequence], outputs: Sequence) -> None:
    """Run `fn(request)` on every page load; it returns one value (or gr.update) per output, in order."""
    from gradio.context import Context

    _loaders.setdefault(id(Context.root_block), []).append((fn, list(outputs)))


def attach(blocks: gr.Blocks) -> None:
    """One load event for everything the tabs of `blocks` registered (call once, inside `with blocks:`)."""
    loaders = _loaders.pop(id(blocks), [])
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

    blocks.load(
        page_load,
        outputs=[o for _, outputs in loaders for o in outputs],
        api_visibility="private",
        show_progress="hidden",
        **QUICK_GROUP,
    )


def _mb(name: str) -> float | None:
    sizes = [getattr(s, "size_mb", None) for s in get_spec(name).weights]
    return next((s for s in sizes if s), None)


def card_text(request: gr.Request | None, tab: str, initial: Initial) -> str:
    """The card's Markdown: what the tab needs, the download size where known, and the one command."""
    if tab == "clip":
        name = initial.models[0]
        size = _mb(name)
        size_en = f"about {size:.0f} MB" if size else "size unknown"
        size_vi = f"khoảng {size:.0f} MB" if size else "chưa rõ dung lượng"
        display = get_spec(name).display_name
        return say(
            request,
            f"### Thẻ này cần tải trọng số CLIP\nChưa có trọng số của **{display}** trên máy này. Cần tải về "
            f"một lần ({size_vi}, cần mạng), sau đó chạy cả khi ngoại tuyến:\n\n"
            f"```bash\npython -m core.prefetch {name}\n```\n"
            "Tải lại trang sau khi tải xong. Các nút bên dưới chưa dùng được cho đến lúc đó.",
            f"### This tab needs the CLIP weights\n**{display}** has no weights on this machine. They are a "
            f"one-time download ({size_en}, needs network); afterwards the tab works offline:\n\n"
            f"```bash\npython -m core.prefetch {name}\n```\n"
            "Reload the page once it is done. The controls below stay inactive until then.",
        )
    clip = get_spec(get_spec(initial.models[0]).requires[0]).display_name if initial.models else "CLIP"
    size = _mb("clip_vit_b32_openai")
    # KTVIC is not shipped (nor downloadable by a command here): the card says what to bring, then the commands
    # that work once it is in data/ktvic (each captioner's own training command, from its catalogue entry).
    train = "\n".join(get_spec(n).weights[0].fix() for n in models_for("caption"))
    commands = f"```bash\npython -m train.caption fetch\n{train}\n```\n"
    return say(
        request,
        "### Thẻ này cần các mô hình chú thích đã huấn luyện\nChưa có checkpoint nào của ClipCap hay CNN + LSTM "
        f"trên máy này. Chúng chạy trên {clip} đóng băng (khoảng {size:.0f} MB) cùng GPT-2 tiếng Việt "
        "(NlpHUST/gpt2-vietnamese, cỡ GPT-2 base, 124 triệu tham số) và được huấn luyện trên **KTVIC**, bộ dữ liệu "
        "chú thích ảnh tiếng Việt của môn học. Ứng dụng không kèm KTVIC: bạn cần tự đặt nó vào `data/ktvic` "
        "(bố cục JSON gốc: `train_data.json`, `test_data.json` và các thư mục ảnh). Sau đó, trên máy có mạng (tải "
        "trọng số) và tốt nhất là có GPU:\n\n" + commands + "Tải lại trang sau khi xong. Các nút bên dưới chưa "
        "dùng được cho đến lúc đó.",
        "### This tab needs trained captioners\nNo ClipCap or CNN + LSTM checkpoint is on this machine. They run on "
        f"a frozen {clip} (about {size:.0f} MB) and a Vietnamese GPT-2 (NlpHUST/gpt2-vietnamese, GPT-2 base size, "
        "124M parameters) and are trained on **KTVIC**, the course's Vietnamese captioning data set. The app does "
        "not ship KTVIC: bring it into `data/ktvic` yourself (its official JSON layout: `train_data.json`, "
        "`test_data.json` and the image folders). Then, on a machine with network (for the weights) and ideally a "
        "GPU:\n\n" + commands + "Reload the page once it is done. The controls below stay inactive until then.",
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
