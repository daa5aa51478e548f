"""Tab "Model status": which models are available here, downloadable, or missing, and the fixing command."""

from __future__ import annotations

import gradio as gr

from demo.errors import localized
from demo.fair_queue import QUICK_GROUP
from demo.i18n import lang_of, say, tr
from demo.wiring import reveal

HEADERS = {
    "vi": ["mô hình", "là gì", "trạng thái", "trọng số lấy từ", "lệnh khắc phục"],
    "en": ["model", "what", "state", "weights from", "command that fixes it"],
}
# core.status's states, as a Vietnamese visitor reads them (the API and English visitors get core's words).
STATE_VI = {"available locally": "có sẵn trên máy", "downloadable": "tải về được", "missing": "thiếu"}


def model_rows(request: gr.Request | None = None):
    """The summary line and the table ({"headers", "data"}) of every catalogue entry: the tab's Refresh and
    /model_status."""
    from core.status import all_statuses
    from core.weights import hub_available

    statuses = all_statuses()
    vi = lang_of(request) == "vi"
    rows = [
        [s.name, s.display_name, STATE_VI.get(s.state, s.state) if vi else s.state, localized(request, s.where), s.fix]
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


def build_status_tab(profile: str) -> None:
    gr.Markdown(
        tr(
            "status.intro",
            "### Trạng thái mô hình\n"
            "`python -m core.prefetch` tải mọi trọng số về bộ nhớ đệm trên máy (sau đó ứng dụng chạy với "
            "`HF_HUB_OFFLINE=1`); các lệnh huấn luyện tạo lại các checkpoint.",
            "### Model status\n"
            "`python -m core.prefetch` downloads every weight into the local cache (then the app runs with "
            "`HF_HUB_OFFLINE=1`); the train commands reproduce the checkpoints.",
        )
    )
    gr.Markdown(tr(f"status.profile.{profile}", f"Cấu hình (profile): `{profile}`", f"Profile: `{profile}`"))
    summary = gr.Markdown()
    table = gr.Dataframe(label=tr("status.table", "Các mô hình", "Models"), interactive=False, wrap=True, visible=False)
    refresh = gr.Button(tr("status.refresh", "Kiểm tra lại", "Refresh"))
    refresh.click(model_rows, outputs=[summary, table], api_visibility="private", **QUICK_GROUP).then(
        reveal, outputs=table, api_visibility="private"
    )
