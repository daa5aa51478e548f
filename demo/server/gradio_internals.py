"""Every place this app touches a private part of Gradio, as one short hook each.

Written against the Gradio pinned in requirements.txt (PINNED below); tests/test_gradio_internals.py checks that
every name and signature used here is still there, in that shape, and fails with a message naming the hook when a
Gradio upgrade changes one. Everything Gradio offers publicly is used the public way elsewhere: the groups and their
running slots are events' `concurrency_id`/`concurrency_limit`, `demo.queue(max_size=, default_concurrency_limit=,
api_open=False)` sets the queue, `launch(i18n=gr.I18n(...), app_kwargs={"middleware": [...]}, css=...)` brings
the translations and the ASGI middlewares (demo/ui/i18n.py, demo/server/limits.py), `gr.api` the public endpoints.

What is left here has no public way in Gradio 6.31:
- the queue: refusing an event before it is queued, per group and per client (demo/server/fair_queue.py);
- the page config per request: the visitor's language and no server path in it (demo/ui/i18n.py);
- the Blocks being built (demo/server/first_run.py);
- the cost of building and of each new session: the app and page config made once, by launch(), not also three
  times while building; a session's copy of the ~500 blocks' configs made when Gradio needs one, not all at once
  (app.py);
- the MCP server: files, callers' addresses, schemas and results (demo/server/gradio_hooks.py).
The frontend names that demo/ui/i18n.py's head script and CSS use (FRONTEND_NAMES) are checked by the same test.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

PINNED = "6.31.0"  # the gradio version in requirements.txt, that these hooks were written against

# Names in Gradio's built frontend (gradio/templates/frontend/assets) that demo/ui/i18n.py's head script and CSS use.
FRONTEND_NAMES = (
    "load_translations",
    "data-tab-id",
    "toast-title",
    "toast-count",
    "gradio_config",
    "toast-wrap",
    "--toast-top",
)


# --- the queue: demo/server/fair_queue.py ------------------------------------------------------------------------


def queue_of(blocks) -> Any | None:
    """The Blocks' queue (`Blocks._queue`, a gradio.queueing.Queue made by `blocks.queue()`), or None."""
    return getattr(blocks, "_queue", None)


def check_before_queueing(blocks, check: Callable[[Any, Any, Any], tuple[str, str] | None]) -> None:
    """Ask `check(body, request, fn)` before each event of `blocks` (after blocks.queue()) is queued.

    `fn` is the event's function (None when the body names none Gradio knows: Gradio's own answer follows); the check
    returns None to queue the event, or (message, "error") for HTTP 400, (message, "queue_full") for HTTP 503.
    Every queued request, from the browser's /queue/join or from /gradio_api/call/..., enters through
    `Queue.push(body, request, username)`, which answers (success, event id or message, status). Gradio's public
    bounds are one `max_size` for all events together and event validators, which run on the event's inputs only:
    neither sees who is waiting in which group.
    """
    from gradio import route_utils

    queue = queue_of(blocks)
    original = queue.push

    async def push(body, request, username):
        try:
            fn = route_utils.get_fn(blocks, None, body)  # no api_name: the function the body's fn_index names
        except Exception:  # no or unknown fn_index
            fn = None
        verdict = check(body, request, fn)
        if verdict is None:
            return await original(body, request, username)
        message, status = verdict
        return False, message, status

    queue.push = push


def waiting(queue) -> dict[str, list[tuple[str, Any]]]:
    """(session id, request) of each event waiting, per concurrency id: `Queue.event_queue_per_concurrency_id`, one
    `EventQueue` per id whose `.queue` lists the waiting `Event`s (Gradio has no public read of its queue)."""
    return {
        group: [(event.session_hash, event.request) for event in events.queue]
        for group, events in queue.event_queue_per_concurrency_id.items()
    }


def running(queue, group: str) -> list[Any]:
    """The request of each event of concurrency id `group` running now: `Queue.active_jobs`, one slot per worker,
    None or the list of `Event`s it runs."""
    return [e.request for job in getattr(queue, "active_jobs", None) or () if job for e in job
            if e.fn.concurrency_id == group]  # fmt: skip


# --- the page config per request: demo/ui/i18n.py ------------------------------------------------------------------

_served_classes: dict[type, type] = {}


def _serve_config_through_property(blocks) -> None:
    """Make `blocks` an instance of a subclass whose `config` is a property (once per Blocks class): it reads what
    Gradio stored, makes it first if `build_for_launch` left it for later, and passes it through the fit that
    `fit_config_per_request` set, if any."""
    base = type(blocks)
    if base in _served_classes.values():
        return
    if base not in _served_classes:

        def get(self):
            config = self.__dict__.get("config")
            if config is None and self.__dict__.get("_dl_config_later"):
                config = self.__dict__["config"] = self.get_config_file()
            fit_fn = self.__dict__.get("_dl_fit_config")
            if fit_fn is None or not isinstance(config, dict) or "components" not in config:
                return config
            return fit_fn(config)

        def set_(self, value) -> None:
            self.__dict__["config"] = value

        namespace = {"config": property(get, set_), "__module__": __name__}
        _served_classes[base] = type(f"ConfigPerRequest{base.__name__}", (base,), namespace)
    blocks.__class__ = _served_classes[base]  # what Gradio stored stays in the instance's __dict__, read by `get`


def fit_config_per_request(blocks, fit: Callable[[dict], dict]) -> None:
    """Serve `blocks`' page config through `fit` on each request (the page's embedded config and /config).

    Gradio keeps the config in the plain attribute `Blocks.config` (written by get_config_file at queue() and
    launch, read by the page and /config routes on every request), with no hook per request: `blocks` becomes an
    instance of a subclass whose `config` is a property that reads what Gradio stored and passes it through `fit`.
    `fit` must return a new dict: the stored one is Gradio's own.
    """
    _serve_config_through_property(blocks)
    blocks.__dict__["_dl_fit_config"] = fit


def translations_per_request(i18n, tables: Callable[[], dict[str, dict[str, str]]]):
    """`i18n` (a gr.I18n) for launch(i18n=...), its tables served as `tables()` for each request.

    Gradio writes `i18n_instance.translations_dict` into the page config (get_config_file) and into every /config
    answer; its frontend then picks a locale among those it ships (not Vietnamese), so the table a visitor needs is
    chosen per request on the server. gr.I18n has no per-request form.
    """
    import gradio as gr

    class PerRequestI18n(gr.I18n):
        @property
        def translations_dict(self) -> dict[str, dict[str, str]]:
            return tables()

    served = PerRequestI18n()
    served.translations = i18n.translations  # the same tables, for anything that reads them directly
    return served


def frontend_module(export: str) -> str | None:
    """The file name of the module of Gradio's built frontend that exports `export` (its name carries a build hash),
    or None. The language switch (demo/ui/i18n.py's head script) imports the module the page runs, to change the
    page's own translation store: Gradio's frontend has no public script API."""
    from pathlib import Path

    import gradio

    assets = Path(gradio.__file__).parent / "templates" / "frontend" / "assets"
    for path in sorted(assets.glob("core-*.js")):
        if export in path.read_text(encoding="utf-8", errors="ignore"):
            return path.name
    return None


# --- the Blocks being built: demo/server/first_run.py --------------------------------------------------------------


def blocks_being_built():
    """The Blocks whose `with` block is open (`gradio.context.Context.root_block`), or None: Gradio has no public way
    to ask, and a tab registers its page-load work without being handed its app."""
    from gradio.context import Context

    return Context.root_block


# --- the cost of building and of each new session: app.py ------------------------------------------------------


def build_for_launch(build: Callable[[], Any]):
    """`build()` (which returns a Blocks) without the serving parts Gradio makes and drops while building.

    Gradio 6.31 creates a FastAPI app (about 80 routes and their schemas, plus the page config again) in
    `gr.Blocks()`, again when its `with` closes and again in `queue()`, and computes the page config (every block's
    config and API schema) when the `with` closes; `launch()` computes the config and creates the app anew, and the
    earlier ones are dropped. With this app's ~500 blocks they cost about 0.35 s of every `import app`. Here they
    are skipped while `build()` runs: the Blocks' `.config` is made when first read (get_api_info, a test) or by
    `launch()`, and its `.app` is None until `launch()` makes it (`gr.mount_gradio_app` makes its own as usual)."""
    import gradio as gr
    from gradio import routes

    create_app, config_file = routes.App.__dict__["create_app"], gr.Blocks.get_config_file
    routes.App.create_app = staticmethod(lambda *args, **kwargs: None)
    gr.Blocks.get_config_file = lambda self: None
    try:
        blocks = build()
    finally:
        routes.App.create_app, gr.Blocks.get_config_file = create_app, config_file
    _serve_config_through_property(blocks)
    blocks.__dict__["_dl_config_later"] = True
    return blocks


class _ConfigsOnDemand(dict):
    """`SessionState.config_values` made on first use, block by block (see `session_configs_on_demand`).

    Gradio reads it by key (an event's outputs update their entries) and, for deep links only, as a whole
    (`SessionState.components`): a key not made yet is made from the session's block when asked; a full read makes
    them all first, so every reader sees what the eager dict would have held."""

    def __init__(self, blocks_config, ids):
        super().__init__()
        self._blocks_config = blocks_config
        self._pending = dict.fromkeys(ids)  # ordered: a full read keeps Gradio's block order

    def _make(self, key) -> None:
        del self._pending[key]
        config = self._blocks_config.config_for_block(key, [], self._blocks_config.blocks[key])
        dict.__setitem__(self, key, config)

    def _make_all(self) -> None:
        for key in list(self._pending):
            self._make(key)

    def __missing__(self, key):
        if key not in self._pending:
            raise KeyError(key)
        self._make(key)
        return dict.__getitem__(self, key)

    def __contains__(self, key) -> bool:
        return dict.__contains__(self, key) or key in self._pending

    def __setitem__(self, key, value) -> None:
        self._pending.pop(key, None)
        dict.__setitem__(self, key, value)

    def get(self, key, default=None):
        return self[key] if key in self else default

    def __len__(self) -> int:
        return dict.__len__(self) + len(self._pending)

    def __iter__(self):
        self._make_all()
        return dict.__iter__(self)

    def keys(self):
        self._make_all()
        return dict.keys(self)

    def values(self):
        self._make_all()
        return dict.values(self)

    def items(self):
        self._make_all()
        return dict.items(self)


def session_configs_on_demand() -> None:
    """Each new session's `SessionState` copies the blocks' configs on demand instead of all at once.

    Gradio 6.31's `SessionState.__init__` computes `config_for_block` for every block of the page (20-27 ms of CPU
    for this app's ~500, on the event loop, in the session's first `/queue/join`); a class's thirty students
    arriving together wait that long each in turn, and only the few blocks an event updates are ever read. Gradio
    offers no setting for it. Installed once per process; the original `__init__` runs first (whatever else it
    sets), then its eager dict is replaced before use, so only the per-block calls are saved."""
    from gradio import state_holder

    cls = state_holder.SessionState
    if "_dl_gradio_init" in vars(cls):  # installed already
        return
    original = cls._dl_gradio_init = cls.__init__  # kept: tests/test_gradio_internals.py reads its source

    def __init__(self, blocks):
        # The original reads `blocks.default_config` (copied per session) and, in its comprehension, `blocks.blocks`
        # (which blocks get a config): handed no blocks there, it makes no config; the keys come back on demand.
        original(self, SimpleNamespace(default_config=blocks.default_config, blocks={}))
        ids = [key for key in self.blocks_config.blocks if key in blocks.blocks]
        self.config_values = _ConfigsOnDemand(self.blocks_config, ids)

    cls.__init__ = __init__


# --- the MCP server: demo/server/gradio_hooks.py --------------------------------------------------------------------


def serve_mcp_with(policy) -> None:
    """`python app.py --mcp` serves MCP with a subclass of gradio.mcp.GradioMCPServer whose overrides ask `policy`
    (demo/server/gradio_hooks.py). gradio.routes builds the server by that module attribute at launch, so replacing
    it is the one way in. Gradio's public MCP customisation (gr.api's api_description, gr.mcp.tool/resource/prompt)
    sees neither a call's files nor its caller nor its result."""
    from gradio import mcp as gradio_mcp

    base = getattr(gradio_mcp, "_dl_classroom_original", None) or gradio_mcp.GradioMCPServer
    gradio_mcp._dl_classroom_original = base
    gradio_mcp.GradioMCPServer = mcp_server_class(base, policy)


_mcp_classes: dict[tuple[type, Any], type] = {}


def mcp_server_class(base, policy) -> type:
    """The subclass of `base` (Gradio's GradioMCPServer) that `serve_mcp_with` installs. What `policy` answers:

    FILE_HINT: str, the sentence on files each tool's description ends with (instead of Gradio's advice to use an
        upload tool this server does not have);
    client_address(request) -> str: who is calling, from the MCP connection's request;
    parameter_descriptions(fn, parameters) -> parameters: each argument's description;
    fit_schema(schema, file_positions, endpoint, listing): changes a tool's input schema in place;
    file_arguments(arguments, names) -> arguments: the file arguments as the endpoint receives them;
    refusal(queue, block_fn, address, arguments) -> str | None: why a call is refused before it runs;
    call_headers(headers, address) -> headers: the headers of the loopback call that runs the endpoint;
    result_text(output) -> str | None: an output as text (None: Gradio's own content for it);
    call_scope(): a context manager around each call; after_call(result, arguments, refusal) fits a result in place
    (`refusal()` is asked again when the queue refused the call).
    """
    from gradio_client import utils as client_utils

    if (base, policy) in _mcp_classes:  # the app may be built more than once in a process (tests)
        return _mcp_classes[base, policy]

    class ClassroomMCPServer(base):
        @property
        def _file_data_tool_description(self) -> str:  # appended to each tool's description with a file input
            return " " + policy.FILE_HINT

        def get_fn_description(self, block_fn, tool_name):
            description, parameters = super().get_fn_description(block_fn, tool_name)
            return description, policy.parameter_descriptions(block_fn.fn, parameters)

        def get_input_schema(self, tool_name, parameters=None):  # parameters given: the tool list, else a call
            schema, positions = super().get_input_schema(tool_name, parameters)
            endpoint = self.tool_to_endpoint.get(tool_name, "").lstrip("/")
            policy.fit_schema(schema, positions, endpoint, parameters is not None)
            return schema, positions

        def convert_strings_to_filedata(self, value, filedata_positions):  # Gradio writes data URLs to disk here
            return policy.file_arguments(value, {position[0] for position in filedata_positions if position})

        def _caller_address(self) -> str:
            return policy.client_address(self.mcp_server.request_context.request)  # the MCP connection's request

        def _refusal(self, name, address, arguments) -> str | None:
            block_fn = self.get_block_fn_from_endpoint_name(self.tool_to_endpoint.get(name, ""))
            queue = queue_of(self.blocks)
            if block_fn is None or queue is None:
                return None
            return policy.refusal(queue, block_fn, address, arguments)

        def _prepare_tool_call_args(self, name, arguments):  # -> (endpoint, args, loopback headers, block_fn)
            address = self._caller_address()
            reason = self._refusal(name, address, arguments)
            if reason is not None:
                raise ValueError(reason)  # before any file is written
            endpoint, args, headers, block_fn = super()._prepare_tool_call_args(name, arguments)
            return endpoint, args, policy.call_headers(headers, address), block_fn

        def postprocess_output_data(self, data, root_url):
            content = []
            for output in data:
                text = None if client_utils.is_file_obj_with_meta(output) else policy.result_text(output)
                if text is None:
                    content.extend(super().postprocess_output_data([output], root_url))
                else:
                    content.append(self.types.TextContent(type="text", text=text))
            return content

        def create_mcp_server(self):
            server = super().create_mcp_server()
            call_request = self.types.CallToolRequest
            handler = server.request_handlers[call_request]  # what Gradio's @server.call_tool() registered

            async def call_tool(request):
                name, arguments = request.params.name, request.params.arguments
                server._tool_cache.pop(name, None)  # the mcp server caches the tool list: validate against now
                with policy.call_scope():
                    result = await handler(request)
                policy.after_call(result, arguments, lambda: self._refusal(name, self._caller_address(), arguments))
                return result

            server.request_handlers[call_request] = call_tool
            return server

    _mcp_classes[base, policy] = ClassroomMCPServer
    return ClassroomMCPServer
