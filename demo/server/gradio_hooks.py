"""What `python app.py --mcp` serves differently from Gradio's own MCP server, and why.

Gradio offers publicly only gr.api's `api_description` and the gr.mcp.tool/resource/prompt decorators; none of them
changes what follows. So demo.server.gradio_internals.serve_mcp_with puts a subclass of Gradio's private MCP server
in its place, whose overrides ask this module (the functions under "what ... asks" below); this module itself uses
no private part of Gradio.

1. Files. Gradio writes every `data:` URL an assistant sends to its temp folder before any check (also for a call
   the queue then refuses) and never removes it; its loopback client then uploads a second copy. Here a data URL
   is size-checked first (core.runtime.uploads.inline_bytes), written once into a folder of its own in the upload
   folder, handed to the endpoint as a plain path (no second upload) and removed when the call ends, answered or
   refused. A web address is refused: the server would fetch whatever address a caller names.
2. Who is calling. Gradio runs each tool through a loopback gradio_client from 127.0.0.1 and replays the caller's
   headers, so an X-Forwarded-For sent to the MCP endpoint chose the address the queue's per-address bound saw,
   and each call looked like a new browser session. Here the forwarding headers are dropped and
   demo.server.fair_queue.vouch(the MCP connection's own address) is added: the queue counts an MCP caller by the
   address it really connects from, per address and as one session (demo/server/fair_queue.py).
3. What an assistant reads. No "use the upload_file_to_gradio tool" (this server has none): a file parameter's
   schema says it is a data URL, without Gradio's leftover `required` list; model parameters carry an `enum` of the
   names that can run on this server now (demo.api.mcp_choices; the tool cache is refreshed per call, so a
   model trained or downloaded since is accepted); results are JSON text instead of Python's repr of a dict; error
   texts have long values the caller sent cut short (core.runtime.inputs.shorten_echoes), the schema validator's
   included.
"""

from __future__ import annotations

import json
import mimetypes
import shutil
import sys
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from core.runtime.inputs import shorten_echoes
from core.runtime.uploads import MAX_INLINE_BYTES, inline_bytes, upload_folder
from demo.server import gradio_internals
from demo.server.fair_queue import VOUCH_HEADER, client_key, vouch
from demo.server.fair_queue import refusal as queue_refusal

# Sent to the loopback call by Gradio from the caller's request; these would let a caller choose its address.
DROPPED_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")
FILE_HINT = (
    f'Files (images, videos) are sent inline as a base64 data URL, e.g. "data:image/png;base64,iVBORw0...", of at '
    f"most {MAX_INLINE_BYTES // 2**20} MB; a file path or a web address is not accepted."
)
NOT_A_DATA_URL = (
    "A file must be sent as a base64 data URL (data:<type>;base64,<bytes>); file paths and web addresses are not "
    "accepted here."
)
NONE_RUNS = "No model for this can run on this server now: its weights are missing (model_status says how to get them)."
QUEUE_FULL = "Queue is full! Please try again."  # gradio_client's QueueError for any HTTP 503 from the join
_call_folders: ContextVar[list[Path] | None] = ContextVar("dl_classroom_mcp_files", default=None)
_choices: dict[str, Callable[[str], dict[str, list[str]]]] = {}


def install(choices: Callable[[str], dict[str, list[str]]] | None = None) -> None:
    """Serve MCP with this module's answers (call before launch). `choices(endpoint)` gives, per parameter, the
    values its schema enumerates."""
    if choices is not None:
        _choices["fn"] = choices
    gradio_internals.serve_mcp_with(sys.modules[__name__])  # this module answers its questions


# --- what demo.server.gradio_internals' MCP server asks ------------------------------------------------------------


def parameter_descriptions(fn, parameters: dict[str, str]) -> dict[str, str]:
    """Each argument's whole description (Gradio's first lines otherwise)."""
    full = argument_descriptions(fn)
    return {name: full.get(name) or text for name, text in parameters.items()}


def fit_schema(schema: dict, file_positions: list, endpoint: str, listing: bool) -> None:
    """A tool's input schema: file parameters as data URLs; when listing the tools, model parameters enumerate what
    can run now."""
    for position in file_positions:
        node = schema["properties"]
        for key in position:
            node = node[key]
        _describe_file(node)
    if not listing or "fn" not in _choices:
        return
    for name, values in _choices["fn"](endpoint).items():
        if name not in schema["properties"]:
            continue
        if values:
            schema["properties"][name]["enum"] = values
        else:
            schema["properties"][name].pop("default", None)
            schema["properties"][name]["description"] = (
                schema["properties"][name].get("description", "") + " " + NONE_RUNS
            ).strip()


def file_arguments(arguments: dict, names: set) -> dict:
    """The call's arguments with each file parameter's data URL written to a file of this call."""
    return {k: _files_in(v) if k in names else v for k, v in arguments.items()}


def client_address(request) -> str:
    """The MCP connection's own address (as demo.server.fair_queue counts it)."""
    return client_key(request)


def refusal(queue, block_fn, address: str, arguments: dict | None) -> str | None:
    """The queue's own refusal (demo.server.fair_queue.refusal) for this caller, in the call's language, or None.
    Asked before the call, and again when the join was refused (gradio_client only says "Queue is full")."""
    from types import SimpleNamespace

    caller = SimpleNamespace(headers={VOUCH_HEADER: vouch(address)}, client=None)
    reason = queue_refusal(queue, block_fn, None, caller)
    if reason is None:
        return None
    return reason[0] if (arguments or {}).get("language") == "vi" else reason[1]


def call_headers(headers: dict[str, str], address: str) -> dict[str, str]:
    """The loopback call's headers: the caller's forwarding headers dropped, its real address vouched for."""
    kept = {k: v for k, v in headers.items() if k.lower() not in (*DROPPED_HEADERS, VOUCH_HEADER)}
    return {**kept, VOUCH_HEADER: vouch(address)}


def result_text(output) -> str | None:
    """A dict or list result as JSON text (Gradio sends Python's repr of it); anything else as Gradio does."""
    if isinstance(output, (dict, list)):
        return json.dumps(output, ensure_ascii=False)
    return None


@contextmanager
def call_scope():
    """The files a call writes are removed when it ends, answered or refused."""
    folders: list[Path] = []
    token = _call_folders.set(folders)
    try:
        yield
    finally:
        _call_folders.reset(token)
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)


def after_call(result, arguments: dict | None, why_refused: Callable[[], str | None]) -> None:
    """A refused join says why, as the check before it does; long values the caller sent are cut short."""
    if _error_text(result) == QUEUE_FULL:
        reason = why_refused()
        if reason is not None:
            getattr(result, "root", result).content[0].text = reason
    _shortened(result, arguments)


def argument_descriptions(fn) -> dict[str, str]:
    """Each argument's whole description from a Google-style "Args:" section. Gradio keeps only the first line of
    each, so a description wrapped over two lines reached the assistant cut mid-sentence."""
    import inspect
    import re

    found: dict[str, str] = {}
    current, in_args = None, False
    for line in (inspect.getdoc(fn) or "").splitlines():
        if line.strip() in ("Args:", "Parameters:", "Arguments:"):
            in_args, current = True, None
        elif in_args and (line.startswith("Returns:") or (line and not line.startswith(" "))):
            in_args = False
        elif in_args and (match := re.match(r"^ {4}(\w+): (.*)$", line)):
            current = match.group(1)
            found[current] = match.group(2).strip()
        elif in_args and current and line.startswith(" " * 8):
            found[current] += " " + line.strip()
    return found


def _describe_file(node: dict) -> None:
    """A file parameter's schema: a string holding a data URL (Gradio says "a http or https url" and leaves the
    FileData object's `required` list on a string)."""
    for key in ("required", "title", "format"):
        node.pop(key, None)
    node.update(type="string", contentEncoding="base64", pattern="^data:", format="data-url")
    node["description"] = (node.get("description", "") + " " + FILE_HINT).strip()


def _files_in(value):
    """Each string in a file parameter (a list of lists for galleries) -> a file of this call, as a plain path."""
    if isinstance(value, str):
        return _written(value)
    if isinstance(value, list):
        return [_files_in(item) for item in value]
    if value is None:
        return None
    # A FileData object naming a path would make the loopback client upload that file from the server's own disk.
    raise ValueError(NOT_A_DATA_URL)


def _written(data_url: str) -> dict:
    if not data_url.startswith("data:"):
        raise ValueError(NOT_A_DATA_URL)
    data = inline_bytes(data_url)  # size checked before decoding; a UserError (its English text) if not
    kind = data_url[5:].split(";", 1)[0].split(",", 1)[0]
    suffix = mimetypes.guess_extension(kind) or ".bin"
    folder = upload_folder() / f"mcp-{uuid.uuid4().hex}"
    folder.mkdir(parents=True)
    files = _call_folders.get()
    if files is not None:
        files.append(folder)  # removed when the call ends (call_scope)
    path = folder / f"file{suffix}"
    path.write_bytes(data)
    # No Gradio "meta" tag: the loopback client would upload a second copy. The endpoint checks the path itself
    # (core.runtime.uploads.checked_upload: inside the upload folder, a regular file).
    return {"path": str(path), "orig_name": path.name}


def _error_text(result) -> str | None:
    call = getattr(result, "root", result)
    if getattr(call, "isError", False) and call.content and getattr(call.content[0], "type", None) == "text":
        return call.content[0].text
    return None


def _shortened(result, arguments):
    """An error result with the long values the caller sent cut short (the schema validator quotes them whole)."""
    call = getattr(result, "root", result)
    if getattr(call, "isError", False):
        for item in call.content:
            if getattr(item, "type", None) == "text":
                item.text = shorten_echoes(item.text, arguments)
    return result
