"""`Last-Event-ID` on the MCP door: read as the transport spec allows, never a 500.

The streamable-HTTP transport (MCP 2025-06-18, "Resumability and Redelivery") lets a client that lost
an SSE stream send GET with `Last-Event-ID` so a server that keeps an event store can replay what it
missed; a server MAY do so. Vigil's MCP servers keep no event store. The SDK then takes the replay
branch anyway, finds no store and returns without sending any response, which uvicorn answers with
500: any `Last-Event-ID`, valid or garbage, was a server error.

This middleware, in front of the SDK, decides the header first:

* a value that is no event id (over `MAX_EVENT_ID_BYTES`, or bytes outside visible ASCII: SSE ids
  the SDK mints are short ASCII, and a CR, LF or NUL cannot even be sent in an SSE `id:` field) is
  a 400 with a JSON-RPC error naming the header;
* a well-formed value on a server without an event store is dropped, so the request opens a fresh
  stream as if the client had not asked to resume (the spec's "MAY": there is nothing to replay);
* with an event store (`resumable=True`) a well-formed value goes on to the SDK's replay.
"""

from __future__ import annotations

import json
from typing import Any

LAST_EVENT_ID = b"last-event-id"
MAX_EVENT_ID_BYTES = 256
"""Event ids are an event store's keys (a stream id and a counter); 256 bytes leaves room for any."""
INVALID_REQUEST = -32600


def event_id_problem(value: bytes) -> str | None:
    """Why `value` cannot be an SSE event id, or None when it can."""
    if len(value) > MAX_EVENT_ID_BYTES:
        return f"Last-Event-ID: {len(value)} bytes; an event id is at most {MAX_EVENT_ID_BYTES}"
    bad = next((b for b in value if not 0x21 <= b <= 0x7E), None)  # empty: no id asked for, nothing wrong
    if bad is not None:
        return f"Last-Event-ID: byte 0x{bad:02X} is not visible ASCII; send an id this server sent"
    return None


class LastEventId:
    """ASGI middleware: refuse a malformed `Last-Event-ID`, drop a valid one where nothing can be replayed."""

    def __init__(self, app: Any, resumable: bool = False) -> None:
        self.app = app
        self.resumable = resumable

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = scope.get("headers") or []
            values = [value for name, value in headers if name == LAST_EVENT_ID]
            if values:
                problem = next((p for p in map(event_id_problem, values) if p), None)
                if problem is None and len(values) > 1:
                    problem = f"Last-Event-ID: sent {len(values)} times; it names one event"
                if problem is not None:
                    await _refuse(send, problem)
                    return
                if not self.resumable:
                    scope = dict(scope, headers=[(n, v) for n, v in headers if n != LAST_EVENT_ID])
        await self.app(scope, receive, send)


async def _refuse(send: Any, detail: str) -> None:
    body = json.dumps({"jsonrpc": "2.0", "id": None,
                       "error": {"code": INVALID_REQUEST, "message": f"Bad Request: {detail}"}}).encode()
    await send({"type": "http.response.start", "status": 400,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
