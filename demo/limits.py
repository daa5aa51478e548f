"""A cap on the size of every request body except file uploads (ASGI middleware).

Gradio parses a request's JSON completely before any handler runs, so a 50 MB chat history or text field cost its
memory and parsing time even though the handler then refused it. Files go through /gradio_api/upload, which
launch(max_file_size=...) bounds; everything else (event data, including an image pasted inline as a data URL of at
most core.uploads.MAX_INLINE_BYTES) fits in MAX_BODY_BYTES. A bigger body gets HTTP 413 before it is read.
"""

from __future__ import annotations

import json

from core.uploads import MAX_DATA_URL_CHARS

MAX_BODY_BYTES = MAX_DATA_URL_CHARS + (2 << 20)  # an inline image plus room for the other fields


class BodyLimitMiddleware:
    def __init__(self, app, max_bytes: int = MAX_BODY_BYTES):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("method") not in ("POST", "PUT", "PATCH"):
            return await self.app(scope, receive, send)
        if scope.get("path", "").rstrip("/").endswith("/upload"):
            return await self.app(scope, receive, send)  # files: bounded by launch(max_file_size=...)
        headers = dict(scope.get("headers") or [])
        try:
            declared = int(headers.get(b"content-length", b"0"))
        except ValueError:
            declared = self.max_bytes + 1
        if declared > self.max_bytes:
            return await self._refuse(send)
        received = 0

        async def limited():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:  # a chunked body that says nothing of its length
                    return {"type": "http.disconnect"}
            return message

        return await self.app(scope, limited, send)

    async def _refuse(self, send):
        mb = self.max_bytes / 2**20
        body = json.dumps(
            {
                "detail": f"Request too large (over {mb:.0f} MB). Send files through the upload, not inline.",
                "vi": f"Yêu cầu quá lớn (trên {mb:.0f} MB). Hãy gửi tệp qua phần tải lên, không gửi trực tiếp.",
            },
            ensure_ascii=False,
        ).encode()
        headers = [(b"content-type", b"application/json; charset=utf-8"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})
