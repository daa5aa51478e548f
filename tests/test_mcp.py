"""The public API as MCP tools (`python app.py --mcp` / DL_MCP=1): listed and called through the `mcp` client."""

from __future__ import annotations

import asyncio
import base64
import json

import pytest

from demo.api import ENDPOINTS

pytestmark = pytest.mark.server

VQA_IMAGE = "examples/vqa/easy_vqa_test_0.png"


def mcp_session(app, work):
    """Run `work(session)` in an MCP client session with the app's server (streamable HTTP on loopback)."""
    from mcp import ClientSession
    from mcp.client.streamable_http import streamablehttp_client

    async def main():
        async with streamablehttp_client(f"{app.url}gradio_api/mcp/") as (read, write, _):
            async with ClientSession(read, write) as session:
                await session.initialize()
                return await work(session)

    return asyncio.run(main())


def test_mcp_requested_by_flag_or_environment():
    from app import mcp_requested

    assert mcp_requested(["--mcp"], {}) and mcp_requested([], {"DL_MCP": "1"})
    assert not mcp_requested([], {}) and not mcp_requested([], {"DL_MCP": "0"})


def test_tools_are_the_endpoints_with_described_arguments(tiny_app):
    async def work(session):
        return (await session.list_tools()).tools

    tools = {t.name: t for t in mcp_session(tiny_app, work)}
    assert set(tools) == {fn.__name__ for fn, _ in ENDPOINTS}
    for name, tool in tools.items():
        assert len(tool.description) > 40, name
        properties = tool.inputSchema["properties"]
        assert "language" in properties and all(p.get("description") for p in properties.values()), name
    image = tools["vqa_answer"].inputSchema["properties"]["image"]
    assert image["type"] == "string" and image["pattern"] == "^data:"  # an image is sent as a data URL
    assert tools["conv_arithmetic"].inputSchema["properties"]["padding"]["type"] == "integer"


def _parsed(result) -> dict:
    """A tool's result: one JSON text (demo/server/gradio_hooks.py; Gradio alone sends Python's repr of the dict)."""
    assert not result.isError, result.content
    assert len(result.content) == 1 and result.content[0].type == "text"
    return json.loads(result.content[0].text)


def test_two_tools_answer_through_the_mcp_client(tiny_app):
    photo = "data:image/png;base64," + base64.b64encode(open(VQA_IMAGE, "rb").read()).decode()

    async def work(session):
        conv = await session.call_tool("conv_arithmetic", {"grid": "1 2\n3 4", "kernel": "1", "language": "vi"})
        vqa = await session.call_tool("vqa_answer", {"image": photo, "question": "what color is the shape?"})
        bad = await session.call_tool("conv_arithmetic", {"grid": "1 2\n3", "kernel": "1"})
        return conv, vqa, bad

    conv, vqa, bad = mcp_session(tiny_app, work)
    conv = _parsed(conv)
    assert conv["output"] == [[1.0, 2.0], [3.0, 4.0]] and "đầu ra 2x2" in conv["size"] and conv["ms"] >= 0
    vqa = _parsed(vqa)
    assert vqa["answer"] and 0 <= vqa["confidence"] <= 1 and len(vqa["alternatives"]) == 2
    assert bad.isError or "same number" in json.dumps([c.text for c in bad.content])


def _data_url(path, kind: str) -> str:
    return f"data:{kind};base64," + base64.b64encode(open(path, "rb").read()).decode()


def test_an_assistant_can_use_every_tool_without_guessing(tiny_app, tmp_path):
    """What an assistant reads in the tool list is true and enough: no tool that does not exist, files as data URLs
    said in the schema, the model names that can run here as enums; and every tool answers one JSON object."""
    from tests import video_samples as vs

    clip = vs.render(tmp_path / "clip.mp4", vs.CAPTION_SCENES[:2], size=(160, 90), fps=4)
    photo = _data_url(VQA_IMAGE, "image/png")
    calls = {
        "classify_image": {"image": photo, "top_k": 2},
        "classify_text": {"text": "The rocket reached orbit after launch.", "top_k": 2},
        "clip_zero_shot": {"image": photo, "classes": "circle, square"},
        "clip_k_shot": {"image": photo, "k": 1},
        "caption": {"image": photo, "method": "greedy", "max_length": 5},
        "vqa_answer": {"image": photo, "question": "what shape is it?"},
        "vqa_chat": {"image": photo, "question": "what color is it?"},
        "video_search": {"video": _data_url(clip, "video/mp4"), "query": "circle", "mode": "ocr", "interval_s": 2.0},
        "conv_arithmetic": {"grid": "1 2\n3 4", "kernel": "1"},
        "layer_table": {"model": "lenet5_course"},
        "model_status": {},
    }
    assert set(calls) == {fn.__name__ for fn, _ in ENDPOINTS}

    async def work(session):
        tools = (await session.list_tools()).tools
        return tools, [await session.call_tool(name, arguments) for name, arguments in calls.items()]

    tools, results = mcp_session(tiny_app, work)
    tools = {t.name: t for t in tools}
    for name, tool in tools.items():
        text = json.dumps(tool.model_dump())
        assert "upload_file_to_gradio" not in text and "http or https" not in text, name
        for param, schema in tool.inputSchema["properties"].items():
            assert schema.get("description") and not schema["description"].endswith((" the", " this", " on")), param
    for name, param in [("classify_image", "image"), ("vqa_chat", "image"), ("video_search", "video")]:
        schema = tools[name].inputSchema["properties"][param]
        assert schema["type"] == "string" and schema["pattern"] == "^data:" and "required" not in schema, name
        assert "data URL" in schema["description"] and "data URL" in tools[name].description
    support = tools["clip_k_shot"].inputSchema["properties"]["support_images"]["oneOf"][1]["items"]["items"]
    assert support["pattern"] == "^data:" and "required" not in support
    # The names that can run here (the tiny profile: every model), "" for the page's own choice.
    image_models = tools["classify_image"].inputSchema["properties"]["model_a"]["enum"]
    assert image_models[0] == "" and {"resnet50", "vit_b16", "simple_cnn"} <= set(image_models)
    assert "cnn_att" in tools["vqa_answer"].inputSchema["properties"]["model"]["enum"]
    assert "clip_vit_b32_openai" in tools["clip_zero_shot"].inputSchema["properties"]["model"]["enum"]
    for name, result in zip(calls, results):
        answer = _parsed(result)
        assert isinstance(answer, dict) and answer["ms"] >= 0 and isinstance(answer["notes"], list), name
    answers = dict(zip(calls, (_parsed(r) for r in results)))
    assert len(answers["classify_image"]["A"]["top_k"]) == 2 and answers["vqa_chat"]["history"]
    assert answers["video_search"]["moments"] is not None and answers["layer_table"]["rows"]


def test_model_enums_list_only_what_runs_on_a_fresh_offline_clone(monkeypatch):
    """Hole: classify_image suggested "resnet50"/"vit_b16", which cannot run without their downloaded weights."""
    from core.catalog import VQA_DATASETS, vqa_model_name
    from core.catalog.availability import runs_here
    from demo import api

    monkeypatch.setitem(api._profile, "name", "default")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    for endpoint in ("classify_image", "classify_text", "clip_zero_shot"):
        for param, names in api.mcp_choices(endpoint).items():
            assert all(runs_here(n, "default") for n in names if n), (endpoint, param)
    image = api.mcp_choices("classify_image")["model_a"]
    assert image[0] == "" and "simple_cnn" in image  # committed in checkpoints/
    assert ("resnet50" in image) == runs_here("resnet50", "default")
    vqa = api.mcp_choices("vqa_answer")
    for variant in filter(None, vqa["model"]):
        assert any(runs_here(vqa_model_name(d, variant), "default") for d in VQA_DATASETS), variant
