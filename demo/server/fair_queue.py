"""Endpoint groups and a fair share of Gradio's queue for each: one visitor, or one slow tab, cannot fill it.

Gradio 6.31 has one queue per app with one `max_size` for all events together, so 129 live-training requests from
one client once made every other endpoint, status included, answer "Queue is full". Here:

- every event belongs to a group (its `concurrency_id`) with its own number of running slots (`concurrency_limit`,
  Gradio's event keyword arguments) and its own bound on how many may wait (MAX_WAITING), so a flooded group
  refuses new requests while the others keep answering;
- one client may hold at most PER_SESSION_WAITING events waiting per browser session and PER_CLIENT_WAITING per
  address (QUEUE_MAX_PER_CLIENT overrides it). The address is the one uvicorn reports: it applies X-Forwarded-For
  only from the proxies listed in FORWARDED_ALLOW_IPS (default: loopback), so behind another reverse proxy list
  that proxy there, or every visitor shares the proxy's address. On a Hugging Face Space (SPACE_ID set) with
  FORWARDED_ALLOW_IPS unset, `trust_space_proxy` lists the private networks the Space's proxies connect from, so
  uvicorn takes the rightmost public address of X-Forwarded-For: the one Hugging Face's edge saw, which a client
  cannot choose by sending its own header. A class behind one school NAT shares one address too, hence a bound
  well above one student's needs;
- long-running groups (video search) also bound what one address holds, running and waiting together
  (PER_CLIENT_LONG; VIDEO_MAX_PER_CLIENT overrides), so one address cannot take every video slot for twenty
  minutes;
- MCP calls reach the queue through Gradio's loopback client, which replays the caller's headers from 127.0.0.1,
  and each call has no browser session. demo/server/gradio_hooks.py drops the caller's forwarding headers and adds
  `vouch(address)`: the address of the real MCP connection, signed with a secret of this process. `client_key`
  believes that header only with a valid signature, and `session_key` counts an MCP caller's calls as one session
  per address, so MCP calls get the same per-session and per-address bounds as a browser;
- a join with an empty session id is refused with HTTP 400 (Gradio only checks that one was sent; /call/ sends
  none and gets one).

A refused request gets HTTP 503 with a message in the visitor's language, before anything is queued. Gradio has
no public hook for this, nor a public read of who waits where: `install` asks demo.server.gradio_internals to run
`refusal` before each event is queued, and reads the queue through it (tests/test_gradio_internals.py fails if a
Gradio upgrade changes what that relies on). The groups themselves are Gradio's public event keywords.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections import Counter

from demo.server import gradio_internals

MODEL_CONCURRENCY = 2  # forward passes at once: with 30 students the rest wait instead of exhausting memory
MODELS_GROUP = dict(concurrency_id="models", concurrency_limit=MODEL_CONCURRENCY)
VIDEO_GROUP = dict(concurrency_id="video", concurrency_limit=1)  # indexing a long video takes minutes
# core.training.live runs one training at a time and refuses the others at once; slots here only let those
# refusals through without waiting for the running one.
LIVE_GROUP = dict(concurrency_id="live_training", concurrency_limit=4)
QUICK_GROUP = dict(concurrency_id="quick", concurrency_limit=4)  # status, convolution arithmetic, layer tables
MAX_WAITING = {"models": 64, "image": 64, "video": 8, "live_training": 4, "quick": 32}
OTHER_MAX_WAITING = 16  # events without a group of ours (UI helpers: each is its own queue in Gradio)
PER_SESSION_WAITING = 4
PER_CLIENT_WAITING = 48
# Running + waiting per address where requests take minutes: half the video group's waiting bound, so one address
# cannot hold the whole tab while a class behind one school router still gets a few searches in (VIDEO_MAX_PER_CLIENT
# overrides it; docs/SECURITY.md).
PER_CLIENT_LONG = {"video": 4}
# Private and loopback networks: where a Space's own proxies connect from (trust_space_proxy).
SPACE_PROXY_NETWORKS = "127.0.0.1,::1,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,100.64.0.0/10,fc00::/7"
VOUCH_HEADER = "x-dl-classroom-client"  # set by demo/server/gradio_hooks.py on MCP's loopback calls
_SECRET = secrets.token_bytes(32)  # per process: a vouch cannot be forged from outside, nor replayed after a restart


def image_group() -> dict:
    """The image comparison's group. With micro-batching (core/runtime/serving.py) its requests mostly wait inside the
    batcher, which bounds compute and memory, so more may run at once, in a group of their own; without it, they
    share the model slots like every other model call."""
    from core.runtime.serving import image_concurrency, serving_settings

    if serving_settings().microbatch:
        return dict(concurrency_id="image", concurrency_limit=image_concurrency())
    return MODELS_GROUP


def per_client_limit() -> int:
    return int(os.environ.get("QUEUE_MAX_PER_CLIENT", PER_CLIENT_WAITING))


def long_limit(group: str) -> int:
    """Running + waiting per address in a long-running group; VIDEO_MAX_PER_CLIENT overrides the video group's
    (a class behind one school router shares one address: raise it there)."""
    if group == VIDEO_GROUP["concurrency_id"]:
        value = os.environ.get("VIDEO_MAX_PER_CLIENT", "")
        if value.strip().isdigit() and int(value) > 0:  # a typo must not break every video request
            return int(value)
    return PER_CLIENT_LONG[group]


def trust_space_proxy(environ=os.environ) -> None:
    """On a Hugging Face Space, trust X-Forwarded-For from the Space's private-network proxies (read by uvicorn at
    launch); an operator's own FORWARDED_ALLOW_IPS is kept."""
    if environ.get("SPACE_ID") and "FORWARDED_ALLOW_IPS" not in environ:
        environ["FORWARDED_ALLOW_IPS"] = SPACE_PROXY_NETWORKS


def _signature(address: str) -> str:
    return hmac.new(_SECRET, address.encode("utf-8", "replace"), hashlib.sha256).hexdigest()[:32]


def vouch(address: str) -> str:
    """The header value that tells client_key a loopback call is made for `address` (MCP's loopback client)."""
    return f"{address} {_signature(address)}"


def vouched_address(request) -> str | None:
    """The address a valid vouch header names, or None (no header, or a forged one)."""
    headers = getattr(request, "headers", None)
    value = headers.get(VOUCH_HEADER) if headers is not None else None
    if not isinstance(value, str) or " " not in value or len(value) > 200:
        return None
    address, _, signature = value.rpartition(" ")
    return address if hmac.compare_digest(signature, _signature(address)) else None


def client_key(request) -> str:
    """The visitor's address: the one an MCP call was vouched for, else as uvicorn reports it (X-Forwarded-For is
    applied only from FORWARDED_ALLOW_IPS)."""
    vouched = vouched_address(request)
    if vouched is not None:
        return vouched
    client = getattr(request, "client", None)
    return getattr(client, "host", None) or "?"


def session_key(session_hash: str | None, request) -> str | None:
    """Whose session an event counts against: the browser's session, or for MCP calls (each without one) the
    calling address."""
    vouched = vouched_address(request)
    return f"mcp:{vouched}" if vouched is not None else session_hash


def long_request_cap(group: str) -> tuple[str, str]:
    """(Vietnamese, English) sentence on the longest one request of `group` may run, or empty strings."""
    if group != VIDEO_GROUP["concurrency_id"]:
        return "", ""
    from demo.server.limits import video_request_limit_s

    minutes = video_request_limit_s() / 60
    return (
        f" Mỗi lần tìm trong video chạy tối đa {minutes:g} phút.",
        f" Each video search runs for at most {minutes:g} minutes.",
    )


def refusal(queue, fn, session_hash: str | None, request) -> tuple[str, str] | None:
    """(Vietnamese, English) reason to refuse a new event for `fn`, or None when it may wait in the queue."""
    group = fn.concurrency_id
    everyone = gradio_internals.waiting(queue)  # (session, request) per group
    waiting = everyone.get(group)
    limit = MAX_WAITING.get(group, OTHER_MAX_WAITING)
    cap = long_request_cap(group)
    if waiting is not None and len(waiting) >= limit:
        return (
            f"Đang có {len(waiting)} yêu cầu chờ cho phần này; hãy thử lại sau ít phút.{cap[0]}",
            f"{len(waiting)} requests are already waiting for this part of the app; try again in a few "
            f"minutes.{cap[1]}",
        )
    key = client_key(request)
    if group in PER_CLIENT_LONG:
        held = [r for r in gradio_internals.running(queue, group) + [r for _, r in waiting or ()]
                if client_key(r) == key]  # fmt: skip
        if len(held) >= long_limit(group):
            return (
                f"Địa chỉ của bạn đã có {len(held)} yêu cầu đang chạy hoặc đang chờ ở phần này; hãy đợi chúng xong."
                f"{cap[0]}",
                f"Your address already has {len(held)} requests running or waiting here; wait for them to finish."
                f"{cap[1]}",
            )
    sessions, clients = Counter(), Counter()
    for events in everyone.values():
        for event_session, event_request in events:
            sessions[session_key(event_session, event_request)] += 1
            clients[client_key(event_request)] += 1
    session = session_key(session_hash, request)
    if session and sessions[session] >= PER_SESSION_WAITING:
        return (
            f"Bạn đã có {sessions[session]} yêu cầu đang chờ; hãy đợi chúng xong rồi gửi tiếp.",
            f"You already have {sessions[session]} requests waiting; wait for them to finish first.",
        )
    if clients[key] >= per_client_limit():
        return (
            f"Địa chỉ của bạn đã có {clients[key]} yêu cầu đang chờ; hãy đợi chúng xong rồi gửi tiếp.",
            f"Your address already has {clients[key]} requests waiting; wait for them to finish first.",
        )
    return None


def install(blocks) -> None:
    """Ask `refusal` before each event of `blocks` is queued (call after blocks.queue())."""
    from demo.ui.i18n import COOKIE, choose_language

    trust_space_proxy()
    queue = gradio_internals.queue_of(blocks)

    def check(body, request, fn) -> tuple[str, str] | None:
        lang = choose_language(None, request.cookies.get(COOKIE), request.headers.get("accept-language"))
        if body.session_hash == "":  # passes Gradio's `is None` check, then fails in its queue: a 500, a traceback
            missing = ("Thiếu mã phiên (session_hash).", "The session id (session_hash) is missing.")
            return (missing[0] if lang == "vi" else missing[1]), "error"
        if fn is None:  # no or unknown fn_index: Gradio's own push answers that
            return None
        reason = refusal(queue, fn, body.session_hash, request)
        return None if reason is None else ((reason[0] if lang == "vi" else reason[1]), "queue_full")

    gradio_internals.check_before_queueing(blocks, check)
