"""A raw HTTP/1.1 client for the hostile catalogue: it writes the request bytes itself, so a case can
lie about Content-Length, send two Content-Type headers, chunk a body or half-close the socket, none
of which an ordinary client library lets through.

One request per connection (`Connection: close`), read to the end, so a framing error in one case
can never leak into the next.
"""

from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass

from benchmarks.frontdoors import hostile_payloads as P
from benchmarks.frontdoors.hostile_model import Ctx, Step

READ_TIMEOUT_S = 20.0


@dataclass(frozen=True)
class Response:
    status: int | None          # None: the connection closed (or timed out) without a status line
    headers: tuple[tuple[str, str], ...]
    body: bytes
    seconds: float

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


def body_of(step: Step, ctx: Ctx) -> bytes:
    return step.body(ctx) if callable(step.body) else step.body


def credentials(step: Step, body: bytes, ctx: Ctx) -> list[tuple[str, str]]:
    """The door's normal credential over these exact bytes, or the step's own hostile variant."""
    if step.sign is not None:
        return step.sign(body, ctx)
    keys = ctx.keys
    match step.auth:
        case None:
            return []
        case "am":
            return [("Authorization", f"Bearer {keys.am_token}")]
        case "api":
            return [("Authorization", f"Bearer {keys.api_token}")]
        case "pd":
            return P.pd_headers(body, ctx)
        case "slack":
            return P.slack_headers(body, ctx)
        case "mcp":
            return [("Authorization", f"Bearer {keys.mcp_token}")]
        case "mcp_session":
            return [("Authorization", f"Bearer {keys.mcp_token}"), ("Mcp-Session-Id", ctx.mcp_session),
                    ("MCP-Protocol-Version", ctx.mcp_protocol)]
        case "mcp_badversion":
            return [("Authorization", f"Bearer {keys.mcp_token}"), ("Mcp-Session-Id", ctx.mcp_session),
                    ("MCP-Protocol-Version", "1999-01-01")]
    raise ValueError(f"unknown auth {step.auth!r}")


def encode(step: Step, ctx: Ctx, host: str) -> bytes:
    """The request's bytes exactly as they go on the wire."""
    if step.raw is not None:
        return step.raw(ctx, host)
    body = body_of(step, ctx)
    lines = [f"{step.method} {step.path}{step.query} HTTP/1.1", f"Host: {host}", "Connection: close",
             "User-Agent: vigil-hostile-catalogue/1"]
    lines += [f"{k}: {v}" for k, v in step.headers]
    lines += [f"{k}: {v}" for k, v in credentials(step, body, ctx)]
    if step.framing == "chunked":
        lines.append("Transfer-Encoding: chunked")
        chunks = b"".join(f"{len(body[i:i + 65536]):x}\r\n".encode() + body[i:i + 65536] + b"\r\n"
                          for i in range(0, len(body), 65536))
        payload = chunks + b"0\r\n\r\n"
    else:
        if step.framing == "length" and (body or step.method not in ("GET", "HEAD", "DELETE", "OPTIONS", "TRACE")):
            lines.append(f"Content-Length: {len(body)}")
        payload = body
    head = "\r\n".join(lines) + "\r\n\r\n"
    return head.encode("utf-8") + payload


def exchange(host: str, port: int, data: bytes, half_close: bool = False,
             timeout: float = READ_TIMEOUT_S) -> Response:
    """Send `data`, read until the server closes; a refusal sent before the body is read still counts."""
    started = time.monotonic()
    chunks: list[bytes] = []
    with socket.create_connection((host, port), timeout=timeout) as sock:
        try:
            sock.sendall(data)
            if half_close:
                sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server answered early (413) and closed; read what it said
        deadline = started + timeout
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except (TimeoutError, OSError):
                break
            if not chunk:
                break
            chunks.append(chunk)
    return parse(b"".join(chunks), time.monotonic() - started)


def parse(raw: bytes, seconds: float) -> Response:
    while raw[:9] in (b"HTTP/1.1 ", b"HTTP/1.0 ") and raw[9:10] == b"1" and b"\r\n\r\n" in raw:
        raw = raw.partition(b"\r\n\r\n")[2]  # an interim answer (100 Continue): the final one follows
    head, sep, rest = raw.partition(b"\r\n\r\n")
    if not sep or not head.startswith(b"HTTP/1."):
        return Response(None, (), raw, seconds)
    lines = head.decode("latin-1").split("\r\n")
    try:
        status = int(lines[0].split(" ", 2)[1])
    except (IndexError, ValueError):
        return Response(None, (), raw, seconds)
    headers = tuple((k.strip(), v.strip()) for k, _, v in (line.partition(":") for line in lines[1:]))
    body = rest
    if any(k.lower() == "transfer-encoding" and "chunked" in v.lower() for k, v in headers):
        body = dechunk(rest)
    return Response(status, headers, body, seconds)


def dechunk(data: bytes) -> bytes:
    out, pos = bytearray(), 0
    while True:
        line_end = data.find(b"\r\n", pos)
        if line_end < 0:
            return bytes(out)
        try:
            size = int(data[pos:line_end].split(b";")[0], 16)
        except ValueError:
            return bytes(out)
        if size == 0:
            return bytes(out)
        out += data[line_end + 2:line_end + 2 + size]
        pos = line_end + 2 + size + 2


def jsonrpc_messages(response: Response) -> list[dict[str, object]]:
    """The JSON-RPC messages of an MCP answer, whether sent as JSON or as server-sent events."""
    text = response.body.decode("utf-8", "replace")
    if "text/event-stream" in (response.header("content-type") or ""):
        payloads = [line[5:].strip() for line in text.splitlines() if line.startswith("data:")]
    else:
        payloads = [text] if text.strip() else []
    messages: list[dict[str, object]] = []
    for payload in payloads:
        try:
            value = json.loads(payload)
        except ValueError:
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                messages.append(item)
    return messages
