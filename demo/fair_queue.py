"""Endpoint groups and a fair share of Gradio's queue for each: one visitor, or one slow tab, cannot fill it.

Gradio 6.31 has one queue per app with one `max_size` for all events together, so 129 live-training requests from
one client once made every other endpoint, status included, answer "Queue is full". Here:

- every event belongs to a group (its `concurrency_id`) with its own number of running slots (`concurrency_limit`,
  Gradio's event keyword arguments) and its own bound on how many may wait (MAX_WAITING), so a flooded group
  refuses new requests while the others keep answering;
- one client may hold at most PER_SESSION_WAITING events waiting per browser session and PER_CLIENT_WAITING per
  address (QUEUE_MAX_PER_CLIENT overrides it). The address is the one uvicorn reports: it applies X-Forwarded-For
  only from the proxies listed in FORWARDED_ALLOW_IPS (default: loopback), so behind another reverse proxy list
  that proxy there, or every visitor shares the proxy's address. A class behind one school NAT shares one address
  too, hence a bound well above one student's needs.

A refused request gets HTTP 503 with a message in the visitor's language, before anything is queued. Gradio has
no public hook for this, so `install` wraps the queue's `push` (the one place every queued request enters, from the
browser or from /gradio_api/call/...); tests/test_security.py fails if a Gradio upgrade changes that.
"""

from __future__ import annotations

import os
from collections import Counter

MODEL_CONCURRENCY = 2  # forward passes at once: with 30 students the rest wait instead of exhausting memory
MODELS_GROUP = dict(concurrency_id="models", concurrency_limit=MODEL_CONCURRENCY)
VIDEO_GROUP = dict(concurrency_id="video", concurrency_limit=1)  # indexing a long video takes minutes
# core.live_training runs one training at a time and refuses the others at once; slots here only let those
# refusals through without waiting for the running one.
LIVE_GROUP = dict(concurrency_id="live_training", concurrency_limit=4)
QUICK_GROUP = dict(concurrency_id="quick", concurrency_limit=4)  # status, convolution arithmetic, layer tables
MAX_WAITING = {"models": 64, "image": 64, "video": 8, "live_training": 4, "quick": 32}
OTHER_MAX_WAITING = 16  # events without a group of ours (UI helpers: each is its own queue in Gradio)
PER_SESSION_WAITING = 4
PER_CLIENT_WAITING = 48


def image_group() -> dict:
    """The image comparison's group. With micro-batching (core/serving.py) its requests mostly wait inside the
    batcher, which bounds compute and memory, so more may run at once, in a group of their own; without it, they
    share the model slots like every other model call."""
    from core.serving import image_concurrency, serving_settings

    if serving_settings().microbatch:
        return dict(concurrency_id="image", concurrency_limit=image_concurrency())
    return MODELS_GROUP


def per_client_limit() -> int:
    return int(os.environ.get("QUEUE_MAX_PER_CLIENT", PER_CLIENT_WAITING))


def client_key(request) -> str:
    """The visitor's address as uvicorn reports it (X-Forwarded-For is applied only from FORWARDED_ALLOW_IPS)."""
    client = getattr(request, "client", None)
    return getattr(client, "host", None) or "?"


def refusal(queue, fn, session_hash: str | None, request) -> tuple[str, str] | None:
    """(Vietnamese, English) reason to refuse a new event for `fn`, or None when it may wait in the queue."""
    group = fn.concurrency_id
    waiting = queue.event_queue_per_concurrency_id.get(group)
    limit = MAX_WAITING.get(group, OTHER_MAX_WAITING)
    if waiting is not None and len(waiting.queue) >= limit:
        return (
            f"Đang có {len(waiting.queue)} yêu cầu chờ cho phần này; hãy thử lại sau ít phút.",
            f"{len(waiting.queue)} requests are already waiting for this part of the app; try again in a few minutes.",
        )
    sessions, clients = Counter(), Counter()
    for event_queue in queue.event_queue_per_concurrency_id.values():
        for event in event_queue.queue:
            sessions[event.session_hash] += 1
            clients[client_key(event.request)] += 1
    if session_hash and sessions[session_hash] >= PER_SESSION_WAITING:
        return (
            f"Bạn đã có {sessions[session_hash]} yêu cầu đang chờ; hãy đợi chúng xong rồi gửi tiếp.",
            f"You already have {sessions[session_hash]} requests waiting; wait for them to finish first.",
        )
    key = client_key(request)
    if clients[key] >= per_client_limit():
        return (
            f"Địa chỉ của bạn đã có {clients[key]} yêu cầu đang chờ; hãy đợi chúng xong rồi gửi tiếp.",
            f"Your address already has {clients[key]} requests waiting; wait for them to finish first.",
        )
    return None


def install(blocks) -> None:
    """Wrap `blocks`' queue (after blocks.queue()) so that `refusal` is asked before each event is queued."""
    from gradio import route_utils

    from demo.i18n import COOKIE, choose_language

    queue = blocks._queue
    original = queue.push

    async def push(body, request, username):
        try:
            fn = route_utils.get_fn(blocks, None, body)
        except Exception:  # no or unknown fn_index: Gradio's own push answers that
            return await original(body, request, username)
        reason = refusal(queue, fn, body.session_hash, request)
        if reason is None:
            return await original(body, request, username)
        lang = choose_language(None, request.cookies.get(COOKIE), request.headers.get("accept-language"))
        return False, reason[0] if lang == "vi" else reason[1], "queue_full"

    queue.push = push
