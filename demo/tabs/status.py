"""Tab "Model status": which models are available here, downloadable, or missing, filled when the page opens.

The table is for everyone in the room (words: where the weights come from, how they are obtained); the commands,
folders and environment variables are the instructor's and live in the closed "For the instructor" section below it.
"""

from __future__ import annotations

import gradio as gr

from demo.server import first_run
from demo.server.fair_queue import QUICK_GROUP
from demo.ui.errors import localized
from demo.ui.i18n import lang_of, say, tr

HEADERS = {
    "vi": ["mô hình", "là gì", "trạng thái", "trọng số lấy từ", "cách có trọng số"],
    "en": ["model", "what", "state", "weights from", "how to get them"],
}
# core.catalog.availability's states, as a Vietnamese visitor reads them (the API and English visitors get core's
# words).
STATE_VI = {"available locally": "có sẵn trên máy", "downloadable": "tải về được", "missing": "thiếu"}


def model_rows(request: gr.Request | None = None):
    """The summary line and the table ({"headers", "data"}) of every catalogue entry, in words (no path, no
    command): the tab on page load and Refresh, and /model_status."""
    from core.catalog.availability import all_statuses
    from core.catalog.weights import hub_available

    statuses = all_statuses()
    vi = lang_of(request) == "vi"
    rows = [
        [
            s.name,
            s.display_name,
            STATE_VI.get(s.state, s.state) if vi else s.state,
            localized(request, s.where),
            localized(request, s.fix) if s.fix else "",
        ]
        for s in statuses
    ]
    ready = sum(s.state == "available locally" for s in statuses)
    online = hub_available()
    summary = say(
        request,
        f"{ready}/{len(rows)} mô hình chạy được ngay bây giờ. Hugging Face Hub: "
        + ("truy cập được." if online else "không truy cập được (ngoại tuyến: chỉ dùng các tệp trên máy)."),
        f"{ready} of {len(rows)} models can run right now. Hugging Face Hub: "
        + ("reachable." if online else "not reachable (offline: only local files are used)."),
    )
    # Column names travel with the rows, in the visitor's language (the frontend does not translate headers).
    return summary, {"headers": HEADERS["vi" if vi else "en"], "data": rows}


def instructor_notes(request: gr.Request | None = None, *, profile: str) -> str:
    """The instructor's section: the profile, the commands that fetch or train what is missing, the settings."""
    from core.catalog.availability import PREFETCH, all_statuses
    from core.catalog.store import load_notes

    missing = [s for s in all_statuses() if s.command]
    lines = [
        say(request, f"Cấu hình (profile): `{profile}`.", f"Profile: `{profile}`."),
        say(
            request,
            f"`{PREFETCH}` tải mọi trọng số công khai về bộ nhớ đệm trên máy (cần mạng; sau đó chạy ứng dụng với "
            "`HF_HUB_OFFLINE=1`). `python -m train.all` huấn luyện các checkpoint của môn học (nên có GPU). "
            "`CHECKPOINT_DIR` đổi thư mục checkpoint; `DL_CLASSROOM_HUB_REPO` trỏ tới kho Hub của lớp.",
            f"`{PREFETCH}` downloads every public weight into the local cache (needs network; afterwards run the app "
            "with `HF_HUB_OFFLINE=1`). `python -m train.all` trains the course's checkpoints (a GPU helps). "
            "`CHECKPOINT_DIR` moves the checkpoint folder; `DL_CLASSROOM_HUB_REPO` names the class's Hub repo.",
        ),
    ]
    loaded = load_notes()
    if loaded:
        lines.append(say(request, "Ghi chú khi nạp mô hình:", "Notes from loading the models:"))
        lines.append("\n".join(f"- `{name}`: {localized(request, note)}" for name, note in loaded))
    if missing:
        bullets = [f"- **{s.display_name}** (`{s.name}`): `{s.command}`" for s in missing]
        lines.append(say(request, "Lệnh cho từng mô hình còn thiếu:", "The command for each missing model:"))
        lines.append("\n".join(bullets))
    return "\n\n".join(lines)


def status_view(request: gr.Request | None = None, *, profile: str):
    """Everything the tab shows, for the page load and Refresh: summary, table (shown), instructor notes."""
    summary, table = model_rows(request)
    return summary, gr.update(value=table, visible=True), instructor_notes(request, profile=profile)


def build_status_tab(profile: str, tab: gr.Tab) -> None:
    """The tab's contents; `tab` is the gr.Tab holding them (its selection fills the table)."""
    from demo.ui.wiring import for_profile

    gr.Markdown(
        tr(
            "status.intro",
            "### Trạng thái mô hình\nMô hình nào chạy được trên máy này ngay bây giờ, trọng số của nó lấy từ đâu, "
            "và cách có những mô hình còn thiếu.",
            "### Model status\nWhich models can run on this machine right now, where their weights come from, and "
            "how the missing ones are obtained.",
        )
    )
    summary = gr.Markdown()
    table = gr.Dataframe(
        label=tr("status.table", "Các mô hình", "Models"),
        interactive=False,
        wrap=True,
        visible=False,
        column_widths=["15%", "18%", "11%", "30%", "26%"],  # every column on screen at 1280 px, long ones wrapped
    )
    refresh = gr.Button(tr("status.refresh", "Kiểm tra lại", "Refresh"))
    with gr.Accordion(tr("status.instructor", "Dành cho giảng viên", "For the instructor"), open=False):
        notes = gr.Markdown()
    view = for_profile(status_view, profile)
    outputs = [summary, table, notes]
    refresh.click(view, outputs=outputs, api_visibility="private", **QUICK_GROUP)
    # Filled when the tab is opened, not on every page load: a class opening the link together would otherwise
    # queue one status check per student beside the page-load event (the quick group holds 32 waiting), and the
    # check asks whether the Hub is reachable (up to a few seconds offline without HF_HUB_OFFLINE).
    tab.select(view, outputs=outputs, api_visibility="private", show_progress="hidden", **QUICK_GROUP)
    first_run.on_language_change(view, outputs)
