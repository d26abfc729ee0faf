"""A bound on the request head, the same whatever way its bytes arrived.

uvicorn's HTTP/1.1 parser (h11) refuses an incomplete head over 16 KiB, but a head that reaches it
complete in one socket read (up to 256 KiB on Linux) passes whole: whether a 64 KiB header was
refused depended on how TCP cut it. No webhook Vigil takes needs more than a few hundred bytes of
headers (Slack's and PagerDuty's signatures included), so every route refuses a head over
`MAX_HEADER_BYTES` with 431 and the usual `error`/`detail` JSON, before any route reads the body.
"""

from __future__ import annotations

import json

import anyio
from starlette.types import ASGIApp, Receive, Scope, Send

MAX_HEADER_BYTES = 32 * 1024
"""All header names and values together; nginx's default buffers allow 4 x 8 KiB per request."""
DRAIN_BYTES = 64 * 1024
DRAIN_SECONDS = 1.0
"""How much of a refused request's body is read, and for how long, before the 431 is sent and the connection
closed: a body still arriving after the close makes the kernel answer it with a reset, and a reset can reach the
client before it has read the 431 (CI saw `Connection reset by peer` instead of the refusal)."""


class HeaderLimit:
    """ASGI middleware: 431 for a request whose headers total more than `limit` bytes."""

    def __init__(self, app: ASGIApp, limit: int = MAX_HEADER_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            size = sum(len(name) + len(value) + 4 for name, value in scope["headers"])
            if size > self.limit:
                await _drain(receive)
                await _refuse(send, size, self.limit)
                return
        await self.app(scope, receive, send)


async def _drain(receive: Receive) -> None:
    """Read and drop the body the client is sending, up to `DRAIN_BYTES` or `DRAIN_SECONDS`, whichever first."""
    read = 0
    with anyio.move_on_after(DRAIN_SECONDS):
        while read <= DRAIN_BYTES:
            message = await receive()
            if message["type"] != "http.request":
                return
            read += len(message.get("body", b""))
            if not message.get("more_body", False):
                return


async def _refuse(send: Send, size: int, limit: int) -> None:
    body = json.dumps({"error": "headers_too_large",
                       "detail": f"the request's headers are {size} bytes; at most {limit} are accepted"}).encode()
    await send({"type": "http.response.start", "status": 431,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
