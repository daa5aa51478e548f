"""Bounds on what one request may hold: its body's size, how slowly it may arrive, and how long a video search runs.

- Size (ASGI middleware). Gradio parses a request's JSON completely before any handler runs, so a 50 MB chat history
  or text field cost its memory and parsing time even though the handler then refused it. Files go through
  /gradio_api/upload, which launch(max_file_size=...) bounds; everything else (event data, including an image pasted
  inline as a data URL of at most core.runtime.uploads.MAX_INLINE_BYTES) fits in MAX_BODY_BYTES. A bigger body gets HTTP
  413 before it is read.
- Speed (the same middleware, every body, uploads included). uvicorn has no timeout on reading a body, so an upload
  sent one byte every two seconds held its connection (and a file descriptor) for as long as the client liked: 150
  of them were all still open after 40 s. A body must keep arriving: no gap longer than BODY_IDLE_S, and after a
  grace of BODY_GRACE_S, at least BODY_MIN_RATE bytes per second on average (32 kB/s: a 3 MB photo in under two
  minutes). A slower one gets HTTP 408 and its connection is closed. BODY_IDLE_S, BODY_GRACE_S and
  BODY_MIN_RATE (environment variables, read per request) change these.
- Time (video search). Indexing a long video with OCR every half second held the single video slot for over two
  minutes per request. core.video.service.deadline_progress wraps a search's progress callback so that it stops the
  search after VIDEO_MAX_REQUEST_S seconds (default 300) with a message saying so; what was indexed by then stays
  cached, so asking again continues from there.
"""

from __future__ import annotations

import asyncio
import json
import os
import time

from core.runtime.uploads import MAX_DATA_URL_CHARS

MAX_BODY_BYTES = MAX_DATA_URL_CHARS + (2 << 20)  # an inline image plus room for the other fields
BODY_IDLE_S = 15.0
BODY_GRACE_S = 10.0
BODY_MIN_RATE = 32 * 1024  # bytes per second, averaged, after the grace period: a slow classroom Wi-Fi passes
VIDEO_MAX_REQUEST_S = 300.0


def _setting(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        return default
    return value if value > 0 else default


def video_request_limit_s() -> float:
    """The longest one video search may run (VIDEO_MAX_REQUEST_S overrides the default)."""
    return _setting("VIDEO_MAX_REQUEST_S", VIDEO_MAX_REQUEST_S)


class _SlowBody(Exception):
    """The body stopped arriving, or arrives slower than BODY_MIN_RATE."""


class BodyLimitMiddleware:
    def __init__(self, app, max_bytes: int = MAX_BODY_BYTES):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("method") not in ("POST", "PUT", "PATCH"):
            return await self.app(scope, receive, send)
        upload = scope.get("path", "").rstrip("/").endswith("/upload")  # files: size bounded by max_file_size
        max_bytes = None if upload else self.max_bytes
        headers = dict(scope.get("headers") or [])
        try:
            declared = int(headers.get(b"content-length", b"0"))
        except ValueError:
            declared = self.max_bytes + 1
        if max_bytes is not None and declared > max_bytes:
            return await self._refuse(send, 413, self._too_large())
        idle, grace = _setting("BODY_IDLE_S", BODY_IDLE_S), _setting("BODY_GRACE_S", BODY_GRACE_S)
        rate = _setting("BODY_MIN_RATE", BODY_MIN_RATE)
        start, received, done, started = time.monotonic(), 0, False, False

        async def limited():
            nonlocal received, done
            if done:  # the body is read; what follows is the wait for a disconnect (streaming responses)
                return await receive()
            # The next chunk must come within the idle gap, and before the average rate falls under the minimum.
            wait = min(idle, start + grace + received / rate - time.monotonic())
            if wait <= 0:
                raise _SlowBody
            try:
                message = await asyncio.wait_for(receive(), wait)
            except asyncio.TimeoutError:
                raise _SlowBody from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                done = not message.get("more_body", False)
                if max_bytes is not None and received > max_bytes:  # a chunked body that says nothing of its length
                    return {"type": "http.disconnect"}
            return message

        async def watched_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            return await self.app(scope, limited, watched_send)
        except _SlowBody:
            if not started:
                await self._refuse(send, 408, self._too_slow(rate))

    def _too_large(self) -> dict:
        mb = self.max_bytes / 2**20
        return {
            "detail": f"Request too large (over {mb:.0f} MB). Send files through the upload, not inline.",
            "vi": f"Yêu cầu quá lớn (trên {mb:.0f} MB). Hãy gửi tệp qua phần tải lên, không gửi trực tiếp.",
        }

    @staticmethod
    def _too_slow(rate: float) -> dict:
        kb = rate / 1024
        return {
            "detail": f"The request arrived too slowly (under {kb:.0f} kB/s) and was stopped. Please send it again.",
            "vi": f"Yêu cầu đến quá chậm (dưới {kb:.0f} kB/s) nên đã bị dừng. Hãy gửi lại.",
        }

    @staticmethod
    async def _refuse(send, status: int, content: dict):
        body = json.dumps(content, ensure_ascii=False).encode()
        headers = [(b"content-type", b"application/json; charset=utf-8"), (b"content-length", str(len(body)).encode())]
        if status == 408:
            headers.append((b"connection", b"close"))  # the rest of the slow body is not read
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
