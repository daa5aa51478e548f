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
    assert image["type"] == "string" and "url" in image["format"]  # an image is sent as a URL or a data URL
    assert tools["conv_arithmetic"].inputSchema["properties"]["padding"]["type"] == "integer"


def _parsed(result) -> dict:
    """Gradio 6.31 sends a dict result as its Python text (str(dict)), not JSON: read it back as a literal."""
    import ast

    assert not result.isError, result.content
    return ast.literal_eval(result.content[0].text)


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
