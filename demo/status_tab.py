"""Tab "Trạng thái · Status": which models are available here, downloadable, or missing, and the fixing command."""

from __future__ import annotations

import gradio as gr

HEADERS = ["model", "what", "state", "weights from", "command that fixes it"]


def _rows():
    from core.status import all_statuses, vqa_statuses
    from core.weights import hub_available

    rows = [[s.name, s.display_name, s.state, s.where, s.fix] for s in [*all_statuses(), *vqa_statuses()]]
    online = "reachable" if hub_available() else "not reachable (offline: only local files are used)"
    ready = sum(r[2] == "available locally" for r in rows)
    return f"{ready} of {len(rows)} models can run right now. Hugging Face Hub: {online}.", rows


def build_status_tab(profile: str) -> None:
    gr.Markdown(
        "### Trạng thái mô hình · Model status\n"
        f"Profile: `{profile}`. `python -m core.prefetch` downloads every weight into the local cache (then the app "
        "runs with `HF_HUB_OFFLINE=1`); the train commands reproduce the checkpoints."
    )
    summary = gr.Markdown()
    table = gr.Dataframe(headers=HEADERS, interactive=False, wrap=True)
    refresh = gr.Button("Kiểm tra lại · Refresh")
    refresh.click(_rows, outputs=[summary, table], api_name="model_status")
