"""Rules on the request head that HTTP itself sets and uvicorn's parser leaves to the application.

h11 checks the request line and field syntax, but it lets through four things RFC 9110/9112 say a
server must not guess about, each of which a proxy in front of Vigil may read differently from Vigil
(the root of request smuggling and of "which credential did it check?" bugs):

- `Transfer-Encoding` together with `Content-Length` (RFC 9112 6.1: the server must close the
  connection after answering, or refuse). h11 honours the chunked framing and then reads whatever
  follows as the next request on the same connection; here it is a 400 and the connection closes.
- a field that may appear only once appearing twice: `Host` (RFC 9112 3.2 requires a 400), and the
  credential fields (`Authorization`, Slack's signature and timestamp, the MCP session and protocol
  headers). Two `Authorization` fields used to mean "the first one" on one door and "the last one"
  on another; now they mean a 400 on every door.
- a `Host` value that is not a host (`a b/c`).
- a request target longer than `MAX_TARGET_BYTES` (414): no route Vigil serves takes a query, and
  the longest path it answers is a few dozen bytes.
- an encoded slash (`%2F`) or backslash (`%5C`) in the path: the router matches the decoded path, so
  `/approvals/{id}%2Fapprove` was the route `/approvals/{id}/approve` while a proxy in front sees one
  segment. No Vigil path segment holds a slash; such a target is a 400, never routed.
- an HTTP version other than 1.0 and 1.1 on an HTTP/1 request line (`POST / HTTP/2.0`): h11 passes
  any `digit.digit`. RFC 9112 2.3 lets a server refuse a major version it does not speak; a 400
  here, not the RFC's 505, keeps the promise that no request Vigil refuses gets a 5xx (a sender
  would retry a 5xx). Real HTTP/2 ("2") and HTTP/3 ("3") from an ASGI server that speaks them pass.

Every refusal is the usual `error`/`detail` JSON and closes the connection, so nothing pipelined
behind a refused request is read as a request of its own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

MAX_TARGET_BYTES = 8 * 1024
"""Path plus query; nginx's `large_client_header_buffers` default allows 8 KiB for the request line."""

SINGLETON_FIELDS = (b"host", b"authorization", b"x-slack-signature", b"x-slack-request-timestamp",
                    b"mcp-session-id", b"mcp-protocol-version")
"""Fields that are not lists (RFC 9110 5.3): a second value can only be a mistake or an attack."""

HTTP_VERSIONS = frozenset({"1.0", "1.1", "2", "3"})
"""ASGI `http_version` values of protocols that exist; h11 reports a request line's own digits."""
_ENCODED_SEPARATOR = re.compile(rb"%(?:2f|5c)", re.IGNORECASE)

_HOST = re.compile(rb"^(?:[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,252})|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?$")


def head_problem(scope: Mapping[str, Any]) -> tuple[int, str, str] | None:
    """(status, error, detail) for a request head Vigil refuses, or None."""
    version = str(scope.get("http_version") or "1.1")
    if version not in HTTP_VERSIONS:
        return 400, "unsupported_http_version", (f"HTTP/{version[:8]} on an HTTP/1 request line; send HTTP/1.1 "
                                                 "(RFC 9112 2.3)")
    raw_path = scope.get("raw_path") or b""
    target = len(raw_path) + len(scope.get("query_string") or b"")
    if target > MAX_TARGET_BYTES:
        return 414, "uri_too_long", f"the request target is {target} bytes; at most {MAX_TARGET_BYTES} are accepted"
    if _ENCODED_SEPARATOR.search(raw_path):
        return 400, "encoded_separator", ("the path holds an encoded slash or backslash (%2F, %5C); no Vigil route "
                                          "takes one inside a segment")
    seen: dict[bytes, int] = {}
    for name, value in scope.get("headers") or []:
        seen[name] = seen.get(name, 0) + 1
        if name == b"host" and value and not _HOST.match(value):
            return 400, "bad_host", "Host: not a host name or address with an optional port"
    for name in SINGLETON_FIELDS:
        if seen.get(name, 0) > 1:
            return 400, "duplicate_header", f"{name.decode()}: sent {seen[name]} times; it may be sent once"
    if seen.get(b"transfer-encoding") and seen.get(b"content-length"):
        return 400, "ambiguous_framing", ("Transfer-Encoding and Content-Length together: send one (RFC 9112 6.1); "
                                          "the connection is closed")
    return None


class HeadRules:
    """ASGI middleware: refuse, before any route runs, a request head that `head_problem` names."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            problem = head_problem(scope)
            if problem is not None:
                await refuse(send, *problem)
                return
        await self.app(scope, receive, send)


async def refuse(send: Send, status: int, error: str, detail: str) -> None:
    body = json.dumps({"error": error, "detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
