"""Refuse a JSON-RPC body over HTTP that is not strict JSON, before the MCP SDK reads it.

The SDK parses the body with a lenient parser: `NaN`, `Infinity`, a key named twice in one object
and numbers such as 1e999 all pass, and a tool's `number` argument can then arrive as NaN (every
comparison false, so a bound check lets it through). Vigil's webhooks already refuse these with one
parser (`agent.server.bodies.parse_json`); this middleware applies the same rules to the MCP door,
so both doors agree on what a request means. A refused body gets the JSON-RPC parse error (-32700)
with HTTP 400 and never reaches a session.

The SDK also ignores `Content-Encoding` and the `charset` parameter, and would hand a `br` body or
UTF-16 text to its parser as if it were UTF-8 JSON. A POST is therefore refused first, by the
webhooks' own rule (`agent.server.body_text`), when it is content-coded, labelled with a charset other
than UTF-8, or UTF-16/32 text: HTTP 415 with JSON-RPC -32600, naming the coding or the encoding.

Only POST bodies that declare JSON are read (the transport refuses other content types itself), at
most `limit` bytes of them (the SDK's own bound: larger bodies are left for its 413).
"""

from __future__ import annotations

import json
from collections import deque
from typing import Any

from agent.server.body_text import UTF8_BOM, Refusal, charset_refusal, coding_refusal, encoding_refusal

MAX_BODY = 4 * 1024 * 1024
"""The MCP SDK's default request body limit; a larger body is passed on for the SDK's 413."""
MAX_DEPTH = 64
"""Tool arguments are shallow; 64 leaves room for any client's `_meta` and still stops a nesting bomb."""
PARSE_ERROR = -32700
INVALID_REQUEST = -32600


class StrictJsonBody:
    """ASGI middleware: a JSON POST body must be strict JSON, or it is answered 400 / -32700."""

    def __init__(self, app: Any, limit: int = MAX_BODY) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        head = _head_refusal(scope)  # the SDK ignores Content-Encoding and charset: it would guess
        if head is not None:
            await _refuse(send, INVALID_REQUEST, head.detail, head.status)
            return
        if not _declares_json(scope):
            await self.app(scope, receive, send)
            return
        messages: deque[dict[str, Any]] = deque()
        body = bytearray()
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            body.extend(message.get("body", b""))
            if len(body) > self.limit or not message.get("more_body", False):
                break
        if len(body) <= self.limit and messages[-1]["type"] == "http.request":
            problem = _problem(bytes(body))
            if problem:
                await _refuse(send, *problem)
                return
            if body.startswith(UTF8_BOM):
                messages = _without_utf8_mark(scope, bytes(body))
        _lowercase_media_type(scope)

        async def replay() -> dict[str, Any]:
            return messages.popleft() if messages else await receive()

        await self.app(scope, replay, send)


def _without_utf8_mark(scope: dict[str, Any], body: bytes) -> deque[dict[str, Any]]:
    """The body as one message without its leading UTF-8 byte-order mark, and a Content-Length to match.

    RFC 8259 lets a parser ignore the mark and docs/frontdoors.md promises every door does; the webhooks'
    parser drops it (`utf8_text`), the SDK's does not and answered -32700 for a body this middleware had
    just accepted as JSON (hostile catalogue 7)."""
    rest = body[len(UTF8_BOM):]
    headers = [(name, value) for name, value in scope.get("headers") or [] if name != b"content-length"]
    scope["headers"] = [*headers, (b"content-length", str(len(rest)).encode())]
    return deque([{"type": "http.request", "body": rest, "more_body": False}])


def _header(scope: dict[str, Any], wanted: bytes) -> str:
    for name, value in scope.get("headers") or []:
        if name == wanted:
            return str(value.decode("latin-1"))
    return ""


def _head_refusal(scope: dict[str, Any]) -> Refusal | None:
    """415 for a content-coded body or a charset other than UTF-8, by the webhooks' rule."""
    return coding_refusal(_header(scope, b"content-encoding")) or charset_refusal(_header(scope, b"content-type"))


def _declares_json(scope: dict[str, Any]) -> bool:
    for name, value in scope.get("headers") or []:
        if name == b"content-type":
            return bool(value.split(b";", 1)[0].strip().lower() == b"application/json")
    return False


def _problem(body: bytes) -> tuple[int, str, int] | None:
    """(JSON-RPC error code, why, HTTP status) when `body` is not acceptable JSON, in the webhooks' words,
    or a request whose id JSON-RPC and MCP do not allow; None when it may go on to the SDK."""
    from agent.server.bodies import Refused, parse_json  # the one strict parser every door uses

    encoding = encoding_refusal(body)  # UTF-16/32 text, named, before the parser's 400
    if encoding is not None:
        return INVALID_REQUEST, encoding.detail, encoding.status
    try:
        value = parse_json(body, max_depth=MAX_DEPTH, field="the JSON-RPC body")
    except Refused as refused:
        return PARSE_ERROR, refused.detail, 400
    for message in value if isinstance(value, list) else [value]:
        if isinstance(message, dict) and "method" in message and "id" in message and not _valid_id(message["id"]):
            # MCP: "the ID MUST be a string or integer" (and not null). The SDK would read such a
            # message as a notification and answer 202, so the caller never learns it was dropped.
            return INVALID_REQUEST, "id: a request id is a string or an integer", 400
    return None


def _valid_id(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def _lowercase_media_type(scope: dict[str, Any]) -> None:
    """`APPLICATION/JSON` is `application/json` (RFC 9110 8.3.1: media types are case-insensitive); the
    SDK compares the bytes, so hand it the lower-case spelling."""
    headers = scope.get("headers") or []
    scope["headers"] = [(name, _lower_type(value) if name == b"content-type" else value) for name, value in headers]


def _lower_type(value: bytes) -> bytes:
    media, sep, params = value.partition(b";")
    return media.strip().lower() + sep + params


async def _refuse(send: Any, code: int, detail: str, status: int = 400) -> None:
    label = "Parse error" if code == PARSE_ERROR else "Invalid Request"
    body = json.dumps({"jsonrpc": "2.0", "id": None,
                       "error": {"code": code, "message": f"{label}: {detail[:300]}"}}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
