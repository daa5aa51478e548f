"""Deep-learning classroom: interactive comparisons of the course's models.

`python app.py` serves the UI on http://127.0.0.1:7860 (GRADIO_SERVER_NAME / GRADIO_SERVER_PORT honoured).
`python app.py --mcp` (or DL_MCP=1) also serves the public API (demo/api.py) as MCP tools at /gradio_api/mcp/.
Importing this module builds the UI but loads no weights: models load lazily on first use.
"""

# ruff: noqa: E402  (the preload must start before the imports below: they take seconds, the load overlaps them)
from __future__ import annotations

import os

# Before transformers is imported: no background "auto-conversion" thread to the Hub for .bin-only repos (GPT-2).
os.environ.setdefault("DISABLE_SAFETENSORS_CONVERSION", "1")

if __name__ == "__main__":
    from core.runtime.memory import limit_malloc_arenas

    limit_malloc_arenas()  # before any worker thread allocates (core/runtime/memory.py says why)
    from demo.server import warmup as preload

    preload.start()  # the page's default models load in the background (demo/server/warmup.py)

import sys
from functools import partial

import gradio as gr
from starlette.middleware import Middleware

from core.catalog.store import current_profile
from core.runtime.uploads import MAX_UPLOAD_BYTES
from demo.api import register_api
from demo.server import fair_queue, first_run, gradio_internals
from demo.server.fair_queue import MODEL_CONCURRENCY
from demo.server.limits import BodyLimitMiddleware
from demo.tabs.caption import build_caption_tab
from demo.tabs.clip import build_clip_tab
from demo.tabs.cnn import build_cnn_tab
from demo.tabs.image import build_image_tab
from demo.tabs.live import build_live_tab
from demo.tabs.status import build_status_tab
from demo.tabs.text import build_text_tab
from demo.tabs.video import build_video_tab
from demo.tabs.vqa import build_vqa_tab
from demo.ui import i18n
from demo.ui.i18n import language_links, tr

# Gradio's own bound on everything waiting, behind demo.server.fair_queue's per-group and per-client bounds.
QUEUE_MAX_SIZE = 256


def build_demo(profile: str | None = None) -> gr.Blocks:
    # Gradio would make (and drop) its app and page config three times while building, and copy every block's config
    # for each new session: both cut in demo/server/gradio_internals.py, measured in docs/CLASS_BURSTS.md.
    gradio_internals.session_configs_on_demand()
    return gradio_internals.build_for_launch(partial(_build, profile or current_profile()))


def _build(profile: str) -> gr.Blocks:
    # delete_cache: uploads and outputs older than an hour are removed hourly, so a term of classes does not
    # fill the disk of a hosted Space.
    with gr.Blocks(title="Deep Learning Classroom", delete_cache=(3600, 3600)) as demo:
        with gr.Row():
            gr.Markdown(tr("app.title", "# Lớp học Học sâu", "# Deep Learning Classroom"))
            # Links that switch the language in place (the tab and the inputs stay), see demo/ui/i18n.py.
            gr.HTML(language_links())
        # The five tabs the course is about come first; the tools follow. overflow_behavior="wrap": every tab name
        # stays in the bar (a second row where they do not fit), never in Gradio's "..." menu
        # (tests/test_view_ui.py checks all nine at 1280 px in both languages).
        with gr.Tabs(overflow_behavior="wrap"):
            with gr.Tab(tr("tabs.image", "Ảnh: ResNet vs ViT", "Images: ResNet vs ViT"), id="image"):
                build_image_tab(profile)
            with gr.Tab(tr("tabs.text", "Văn bản: GRU vs Transformer", "Text: GRU vs Transformer"), id="text"):
                build_text_tab(profile)
            with gr.Tab(tr("tabs.clip", "CLIP", "CLIP playground"), id="clip"):
                build_clip_tab(profile)
            with gr.Tab(tr("tabs.caption", "Chú thích ảnh tiếng Việt", "Vietnamese captions"), id="caption"):
                build_caption_tab(profile)
            with gr.Tab(tr("tabs.vqa", "Hỏi đáp ảnh (VQA)", "Visual question answering"), id="vqa"):
                build_vqa_tab(profile)
            with gr.Tab(tr("tabs.cnn", "Tích chập hoạt động thế nào", "How a CNN computes"), id="cnn"):
                build_cnn_tab(profile)
            with gr.Tab(tr("tabs.live", "Huấn luyện trực tiếp", "Live training"), id="live"):
                build_live_tab(profile)
            with gr.Tab(tr("tabs.video", "Tìm sự kiện trong video", "Video event search"), id="video"):
                build_video_tab(profile)
            with gr.Tab(tr("tabs.status", "Trạng thái mô hình", "Model status"), id="status") as status:
                build_status_tab(profile, status)
        first_run.attach(demo)  # each tab's initial selection and first-run card, decided on every page load
        register_api(profile)  # the public API: plain JSON endpoints, the MCP tools with --mcp
    # api_open=False: Gradio otherwise (anywhere but on a Space) lets POST /gradio_api/run/<name> call a queued
    # event directly, skipping the queue and every concurrency limit.
    demo.queue(max_size=QUEUE_MAX_SIZE, default_concurrency_limit=MODEL_CONCURRENCY, api_open=False)
    fair_queue.install(demo)
    # The page config per visitor: their language's tables and head script, no server path (demo/ui/i18n.py).
    frontend_core = gradio_internals.frontend_module("load_translations")
    gradio_internals.fit_config_per_request(demo, partial(i18n.page_config, frontend_core=frontend_core))
    return demo


def launch_kwargs() -> dict:
    """What launch() gets besides the defaults: the languages (demo/ui/i18n.py) and the bounds on request bodies
    (demo/server/limits.py), both as ASGI middleware; the upload size."""
    kwargs = i18n.launch_kwargs()
    kwargs["i18n"] = gradio_internals.translations_per_request(i18n.I18N, i18n.served_tables)
    kwargs["app_kwargs"]["middleware"].append(Middleware(BodyLimitMiddleware))
    return {**kwargs, "max_file_size": MAX_UPLOAD_BYTES, "show_error": True}


demo = build_demo()


def mcp_requested(argv: list[str], environ=os.environ) -> bool:
    """`--mcp` on the command line or DL_MCP=1: serve the API as MCP tools too (needs the `mcp` package)."""
    return "--mcp" in argv or environ.get("DL_MCP", "").lower() in ("1", "true", "yes")


if __name__ == "__main__":
    preload.wait()  # the port opens once the default pair has run once: the first click is a warm one
    demo.launch(mcp_server=mcp_requested(sys.argv[1:]), prevent_thread_lock=True, **launch_kwargs())
    preload.first_event(demo.server_port)  # ...and not the process's first Gradio event either
    demo.block_thread()
