"""What demo/server/gradio_internals.py relies on in Gradio, checked by name, signature and behaviour.

A Gradio upgrade that renames or reshapes one of these fails here, with a message naming the hook, instead of the
queue's bounds, the language switch or the MCP checks silently going. Fast: no app server (the queue is driven
in-process through Gradio's own routes).
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import gradio.routes
import pytest

from demo.server import gradio_internals

REPO = Path(__file__).resolve().parent.parent


def _params(fn) -> list[str]:
    return list(inspect.signature(fn).parameters)


def test_the_installed_gradio_is_the_pinned_one():
    pins = dict(re.findall(r"^(gradio(?:_client)?)==([\w.]+)", (REPO / "requirements.txt").read_text(), re.M))
    assert pins["gradio"] == gradio_internals.PINNED, "requirements.txt and gradio_internals.PINNED disagree"
    assert gr.__version__ == pins["gradio"], (
        f"gradio {gr.__version__} is installed, {pins['gradio']} is pinned: demo/server/gradio_internals.py was "
        "written against the pinned one; rerun this file's checks after changing either"
    )
    import gradio_client

    assert gradio_client.__version__ == pins["gradio_client"]
    # A Space installs the front matter's sdk_version, whatever requirements.txt says.
    front_matter = (REPO / "README.md").read_text().split("---")[1]
    assert re.search(rf"^sdk_version: {re.escape(pins['gradio'])}$", front_matter, re.M), "README's sdk_version"


# --- the queue ----------------------------------------------------------------------------------------------------


def test_queue_internals_have_the_shape_the_fair_queue_reads():
    from gradio import queueing, route_utils

    hook = "gradio_internals.check_before_queueing / waiting / running"
    assert _params(queueing.Queue.push) == ["self", "body", "request", "username"], hook
    assert inspect.iscoroutinefunction(queueing.Queue.push), hook
    assert _params(route_utils.get_fn)[:3] == ["blocks", "api_name", "body"], hook
    event = queueing.Event("s", SimpleNamespace(concurrency_id="g"), request=None, username=None)
    assert (event.session_hash, event.request, event.fn.concurrency_id) == ("s", None, "g"), hook
    with gr.Blocks() as demo:
        gr.Button().click(lambda: None, concurrency_id="g", concurrency_limit=2)
    demo.queue()
    queue = gradio_internals.queue_of(demo)
    assert isinstance(queue, queueing.Queue), "gradio_internals.queue_of: Blocks._queue"
    assert isinstance(queue.event_queue_per_concurrency_id, dict) and isinstance(queue.active_jobs, list), hook
    # What Gradio's /queue/join does with push's answer: the statuses the fair queue returns.
    source = inspect.getsource(gradio.routes.App.create_app)
    assert "await blocks._queue.push(" in source, hook
    assert '"queue_full": status.HTTP_503_SERVICE_UNAVAILABLE' in source and '"error": status.HTTP_400' in source, hook


def test_a_check_before_queueing_refuses_through_gradios_own_join_route():
    """The hook end to end, in process: Gradio's /queue/join answers 503 or 400 with the check's message, and an
    accepted event gets its id."""
    from fastapi.testclient import TestClient

    with gr.Blocks() as demo:
        gr.Button().click(lambda: "ok", outputs=gr.Textbox(), api_name="ping", concurrency_id="g")
    demo.queue()
    seen = []

    def check(body, request, fn):
        seen.append((body.session_hash, request.headers.get("x-probe"), fn.concurrency_id if fn else None))
        return {"full": ("too many", "queue_full"), "bad": ("no session", "error")}.get(request.headers.get("x-probe"))

    gradio_internals.check_before_queueing(demo, check)
    fn_index = next(i for i, f in demo.fns.items() if f.api_name == "ping")
    client = TestClient(gradio.routes.App.create_app(demo))
    body = {"data": [], "fn_index": fn_index, "session_hash": "abc"}
    refused = client.post("/gradio_api/queue/join", json=body, headers={"x-probe": "full"})
    assert refused.status_code == 503 and refused.json()["detail"] == "too many"
    assert client.post("/gradio_api/queue/join", json=body, headers={"x-probe": "bad"}).status_code == 400
    accepted = client.post("/gradio_api/queue/join", json=body, headers={"x-probe": "ok"})
    assert accepted.status_code == 200 and accepted.json()["event_id"]
    assert seen == [("abc", "full", "g"), ("abc", "bad", "g"), ("abc", "ok", "g")]
    waiting = gradio_internals.waiting(gradio_internals.queue_of(demo))
    assert [session for session, _ in waiting["g"]] == ["abc"]  # the accepted one, as the fair queue reads it
    assert gradio_internals.running(gradio_internals.queue_of(demo), "g") == []


def test_the_app_asks_the_fair_queue_before_queueing():
    import asyncio

    import app

    demo = app.build_demo("tiny")
    fn_index = next(i for i, f in demo.fns.items() if f.api_name == "model_status")
    body = SimpleNamespace(session_hash="", fn_index=fn_index, data=[None])
    visitor = SimpleNamespace(cookies={}, headers={"accept-language": "vi-VN"}, client=None)
    answer = asyncio.run(gradio_internals.queue_of(demo).push(body, visitor, None))
    assert answer == (False, "Thiếu mã phiên (session_hash).", "error")  # demo.server.fair_queue's check


# --- the page config per request ----------------------------------------------------------------------------------


def test_the_page_config_is_read_per_request_from_blocks_config():
    hook = "gradio_internals.fit_config_per_request: Blocks.config, a plain attribute read per request"
    with gr.Blocks() as demo:
        gr.Markdown("x")
    assert "config" not in vars(type(demo)) and not isinstance(inspect.getattr_static(demo, "config", None), property)
    source = inspect.getsource(gradio.routes.App.create_app)
    assert "source_config = blocks.config" in source, hook  # the page
    assert "source_config = cast(BlocksConfigDict, app.get_blocks().config)" in source, hook  # /config
    assert "self.config = self.get_config_file()" in inspect.getsource(gr.Blocks.launch), hook


def test_a_fitted_config_and_per_request_tables_reach_the_page_and_config_routes():
    """In process, through Gradio's routes: what the fit and the tables return is what a visitor gets."""
    from fastapi.testclient import TestClient

    i18n = gr.I18n(en={"k": "hello"}, vi={"k": "xin chào"})
    asked = []
    tables = gradio_internals.translations_per_request(i18n, lambda: asked.append(1) or {"en": {"k": "served"}})
    assert isinstance(tables, gr.I18n) and tables.translations is i18n.translations
    with gr.Blocks() as demo:
        gr.Markdown(i18n("k"))
    # (body_css: launch() sets it from the theme; the page's template reads it)
    fit = lambda config: {**config, "title": "fitted per request", "body_css": {}}  # noqa: E731
    gradio_internals.fit_config_per_request(demo, fit)
    demo.i18n_instance = tables  # what launch(i18n=...) does
    app = gradio.routes.App.create_app(demo)  # writes demo.config, as launch does
    assert vars(demo)["config"]["title"] != "fitted per request"  # Gradio's stored config is untouched
    client = TestClient(app)
    config = client.get("/config").json()
    assert config["title"] == "fitted per request" and config["i18n_translations"] == {"en": {"k": "served"}}
    assert "fitted per request" in client.get("/").text
    assert asked  # read per request
    demo.config = {"components": [], "title": "set again"}  # Gradio writes it again (queue(), launch)
    assert demo.config["title"] == "fitted per request" and vars(demo)["config"]["title"] == "set again"
    gradio_internals.fit_config_per_request(demo, lambda config: {**config, "title": "refitted"})
    assert demo.config["title"] == "refitted" and type(demo).__bases__ == (gr.Blocks,)


def test_i18n_and_the_built_frontend_have_what_the_language_switch_uses():
    assert isinstance(inspect.getattr_static(gr.I18n, "translations_dict"), property)
    assert "blocks.i18n_instance.translations_dict" in inspect.getsource(gradio.routes.App.create_app)
    core = gradio_internals.frontend_module("load_translations")
    assert core and core.startswith("core-"), "gradio_internals.frontend_module: no core-*.js exports load_translations"
    assets = Path(gr.__file__).parent / "templates" / "frontend" / "assets"
    assert re.search(r"\bas load_translations\b", (assets / core).read_text()), "load_translations is not exported"
    built = "".join(p.read_text(errors="ignore") for p in assets.iterdir() if p.suffix in (".js", ".css"))
    for name in gradio_internals.FRONTEND_NAMES:
        assert name in built, f"Gradio's frontend no longer has {name!r} (demo/ui/i18n.py's head script or CSS)"
    # The head script finds each tab's name by its key: a "tabitem" whose label is the I18nData string, and its button.
    with gr.Blocks() as demo:
        with gr.Tabs():
            with gr.Tab(gr.I18n(en={"t": "T"})("t"), id="x"):
                gr.Markdown("x")
    tab = next(c for c in demo.get_config_file()["components"] if c["type"] == "tabitem")
    assert re.search(r'"key": ?"t"', str(tab["props"]["label"])) and tab["props"]["id"] == "x", tab["props"]
    # Gradio's own strings that demo/ui/i18n.py translates (GRADIO_FRONTEND) keep their keys and English text (its
    # English table is built into the same module).
    from demo.ui.i18n import GRADIO_FRONTEND

    english = (assets / core).read_text()
    missing = [key for key, (_, en) in GRADIO_FRONTEND.items() if f"{key.rsplit('.', 1)[1]}:`{en}`" not in english]
    assert not missing, f"keys (or their English) that Gradio's English table no longer has: {missing}"
    from demo.ui.i18n import GRADIO_UNDEFINED

    for key in GRADIO_UNDEFINED:  # still asked for by the frontend
        assert f"`{key}`" in built, key


# --- the cost of building and of each new session ---------------------------------------------------------------


def test_gradio_makes_its_app_and_config_where_build_for_launch_expects():
    hook = "gradio_internals.build_for_launch: App.create_app and Blocks.get_config_file, made again by launch()"
    source = inspect.getsource(gr.Blocks.__exit__)
    assert "self.config = self.get_config_file()" in source and "App.create_app(self" in source, hook
    assert "self.app = App.create_app(self, mcp_server=False)" in inspect.getsource(gr.Blocks.queue), hook
    launch = inspect.getsource(gr.Blocks.launch)
    assert "self.config = self.get_config_file()" in launch and "self.app = App.create_app(" in launch, hook
    assert isinstance(gradio.routes.App.__dict__["create_app"], staticmethod), hook


def test_a_blocks_built_for_launch_serves_once_its_app_is_made():
    """Nothing is made while building (and the patches are gone afterwards); what launch() then makes serves."""
    from fastapi.testclient import TestClient

    made = []
    original = gradio.routes.App.create_app

    def build():
        with gr.Blocks() as demo:
            gr.Button("go").click(lambda: "ok", outputs=gr.Textbox(), api_name="ping")
        demo.queue(max_size=5)
        made.append(gr.Blocks.get_config_file(demo))
        return demo

    demo = gradio_internals.build_for_launch(build)
    assert made == [None] and demo.app is None and vars(demo)["config"] is None and demo._queue.max_size == 5
    assert gradio.routes.App.create_app is original
    assert "/ping" in demo.get_api_info()["named_endpoints"]  # the config is made when first read
    assert vars(demo)["config"]["components"]
    client = TestClient(gradio.routes.App.create_app(demo))  # what launch() does
    assert any(c.get("props", {}).get("value") == "go" for c in client.get("/config").json()["components"])


def test_a_sessions_block_configs_are_made_on_demand_and_equal_gradios():
    from gradio.state_holder import SessionState

    hook = "gradio_internals.session_configs_on_demand: SessionState.__init__ reads default_config and blocks.blocks"
    source = inspect.getsource(vars(SessionState).get("_dl_gradio_init", SessionState.__init__))
    assert "copy(blocks.default_config)" in source and "if k in blocks.blocks" in source, hook
    assert "self.config_values = {" in source, hook
    with gr.Blocks() as demo:
        box = gr.Textbox("a")
        gr.Button("b").click(lambda x: x, box, box)
    eager = {k: demo.default_config.config_for_block(k, [], v) for k, v in demo.default_config.blocks.items()}
    gradio_internals.session_configs_on_demand()
    gradio_internals.session_configs_on_demand()  # installed once
    calls = []
    real = vars(gr.blocks.BlocksConfig)["config_for_block"]  # the staticmethod itself, to put back as it was
    try:
        counted = lambda *a, **k: calls.append(a[0]) or real.__func__(*a, **k)  # noqa: E731
        gr.blocks.BlocksConfig.config_for_block = staticmethod(counted)
        state = SessionState(demo)
        assert calls == []  # a new session makes none up front
        assert box._id in state.config_values and len(state.config_values) == len(eager)
        state._update_value_in_config(box._id, "typed")  # what an event's output does
        assert calls == [box._id] and state.config_values[box._id]["props"]["value"] == "typed"
        assert dict(state.config_values.items()).keys() == eager.keys()  # a full read (deep links) makes the rest
        assert {k: v for k, v in state.config_values.items() if k != box._id} == {
            k: v for k, v in eager.items() if k != box._id
        }
        assert state.config_values.get(10**9) is None and 10**9 not in state.config_values
    finally:
        gr.blocks.BlocksConfig.config_for_block = real


# --- the Blocks being built ---------------------------------------------------------------------------------------


def test_the_blocks_being_built_is_gradios_context():
    assert gradio_internals.blocks_being_built() is None
    with gr.Blocks() as outer:
        assert gradio_internals.blocks_being_built() is outer, "gradio.context.Context.root_block"
    assert gradio_internals.blocks_being_built() is None


# --- the MCP server -----------------------------------------------------------------------------------------------


def test_gradio_mcp_internals_are_what_the_hooks_expect():
    """gradio_internals.mcp_server_class subclasses Gradio's private GradioMCPServer; if an upgrade renames or
    reshapes what it overrides, this fails instead of the MCP bounds and the temp-file cleanup silently going."""
    import gradio.routes
    from gradio import mcp as gradio_mcp
    from gradio_client import Client
    from gradio_client import utils as client_utils

    from demo.server import gradio_hooks

    base = getattr(gradio_mcp, "_dl_classroom_original", gradio_mcp.GradioMCPServer)
    expected = {
        "_prepare_tool_call_args": ["self", "name", "arguments"],
        "convert_strings_to_filedata": ["self", "value", "filedata_positions"],
        "get_input_schema": ["self", "tool_name", "parameters"],
        "get_fn_description": ["self", "block_fn", "tool_name"],
        "postprocess_output_data": ["self", "data", "root_url"],
        "get_block_fn_from_endpoint_name": ["self", "endpoint_name"],
        "create_mcp_server": ["self"],
    }
    for name, params in expected.items():
        assert _params(getattr(base, name)) == params, f"GradioMCPServer.{name}"
    assert isinstance(inspect.getattr_static(base, "_file_data_tool_description"), property)
    init = inspect.getsource(base.__init__)
    assert "self.tool_to_endpoint = " in init and "self.blocks = blocks" in init
    assert "self.mcp_server = self.create_mcp_server()" in init
    # gradio.routes builds the server through the module attribute that serve_mcp_with replaces.
    assert "gradio.mcp.GradioMCPServer(blocks)" in inspect.getsource(gradio.routes.App.setup_mcp_server)
    source = inspect.getsource(base.create_mcp_server)
    assert "self._prepare_tool_call_args(name, arguments)" in source and "headers=request_headers" in source
    assert "self.postprocess_output_data(" in source and "@server.call_tool()" in source
    assert "self.mcp_server.request_context.request" in inspect.getsource(base._prepare_tool_call_args)
    assert gradio_hooks.QUEUE_FULL in inspect.getsource(Client.send_data)  # what a refused join becomes
    assert _params(client_utils.is_file_obj_with_meta) == ["d"]
    from mcp import types
    from mcp.server import Server

    server = Server("probe")
    server.call_tool()(lambda name, arguments: None)
    assert types.CallToolRequest in server.request_handlers and isinstance(server._tool_cache, dict)
    gradio_hooks.install()
    assert gradio_mcp.GradioMCPServer.__name__ == "ClassroomMCPServer"
    assert issubclass(gradio_mcp.GradioMCPServer, base)
    gradio_hooks.install()  # twice (the app built twice in one process): still one subclass of Gradio's own
    assert gradio_mcp.GradioMCPServer.__bases__ == (base,)


def test_the_mcp_policy_answers_every_question_the_server_asks():
    from demo.server import gradio_hooks

    asked = set(re.findall(r"policy\.(\w+)", inspect.getsource(gradio_internals.mcp_server_class)))
    assert len(asked) == 10 and all(hasattr(gradio_hooks, name) for name in asked), asked
    assert all(name in inspect.getdoc(gradio_internals.mcp_server_class) for name in asked)  # each one documented


@pytest.mark.parametrize("module", ["demo/server/fair_queue.py", "demo/server/gradio_hooks.py", "demo/ui/i18n.py",
                                    "demo/server/first_run.py", "demo/server/limits.py", "app.py"])  # fmt: skip
def test_no_other_module_touches_gradio_internals(module):
    """Private parts of Gradio are touched only in demo/server/gradio_internals.py."""
    text = (REPO / module).read_text()
    private = re.findall(
        r"gradio\.(?:routes|queueing|route_utils|mcp|context|utils|blocks)\b|\._queue\b|GradioMCPServer|"
        r"Context\.root_block|__dict__|gr\.__file__|translations_dict",
        text,
    )
    assert not private, private
