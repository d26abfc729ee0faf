"""The MCP HTTP door reads only strict JSON: what the webhooks refuse, /mcp refuses too.

The middleware is driven over real HTTP semantics by httpx's ASGI transport, in front of a small
ASGI app that echoes what reached it: that shows both the refusal and that an accepted body reaches
the app byte for byte (the middleware re-plays what it read). The hostile catalogue
(tests/frontdoors/test_hostile_catalogue.py) sends the same kinds of bodies to a real
`vigil mcp --http` process.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from mcp_servers.common.strict_body import INVALID_REQUEST, PARSE_ERROR, StrictJsonBody

pytestmark = pytest.mark.anyio

seen: list[bytes] = []


async def echo(scope: dict[str, Any], receive: Any, send: Any) -> None:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    seen.append(body)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": b'{"ok":true}'})


def client(limit: int = 4096) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=StrictJsonBody(echo, limit=limit)),
                             base_url="http://127.0.0.1")


@pytest.mark.parametrize(("body", "why"), [
    (b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":NaN}}', "NaN"),
    (b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":-Infinity}}', "Infinity"),
    (b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":1e999}}', "out of range"),
    (b'{"jsonrpc":"2.0","id":1,"method":"ping","method":"tools/list"}', "appears twice"),
    (b'{"jsonrpc":"2.0","id":1,"method":"ping","params":' + b"[" * 100 + b"]" * 100 + b"}", "deeper"),
    (b'{"jsonrpc":"2.0","id":1,"method":"too', "not valid JSON"),
])
async def test_a_body_that_is_not_strict_json_is_a_parse_error_and_reaches_nothing(body: bytes, why: str) -> None:
    seen.clear()
    async with client() as http:
        answer = await http.post("/mcp", content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == PARSE_ERROR and why in error["message"], error
    assert seen == []


async def test_a_strict_body_reaches_the_app_unchanged_and_other_requests_pass_untouched() -> None:
    seen.clear()
    body = b'{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"q","arguments":{"n":1.5}}}'
    async with client() as http:
        ok = await http.post("/mcp", content=body, headers={"content-type": "application/json; charset=utf-8"})
        other_type = await http.post("/mcp", content=b"NaN", headers={"content-type": "text/plain"})
        get = await http.get("/mcp")
    assert ok.status_code == other_type.status_code == get.status_code == 200
    assert seen == [body, b"NaN", b""]


async def test_a_body_over_the_limit_is_left_whole_for_the_transport_to_refuse() -> None:
    seen.clear()
    body = b'{"pad":"' + b"p" * 5000 + b'", "x": NaN}'
    async with client(limit=1024) as http:
        answer = await http.post("/mcp", content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 200 and seen == [body]


@pytest.mark.parametrize("request_id", [None, 1.5, True, {"a": 1}, [1]])
async def test_a_request_id_that_is_not_a_string_or_integer_is_an_invalid_request(request_id: Any) -> None:
    """MCP: ids are strings or integers. The SDK would read these as notifications and answer 202, so
    the caller would never hear that its request was dropped; here it hears -32600 and nothing runs."""
    seen.clear()
    body = json.dumps({"jsonrpc": "2.0", "id": request_id, "method": "tools/list"}).encode()
    async with client() as http:
        answer = await http.post("/mcp", content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == INVALID_REQUEST
    assert seen == []


@pytest.mark.parametrize("request_id", ["", "abc", 0, -5, 2**63])
async def test_string_and_integer_ids_pass(request_id: Any) -> None:
    seen.clear()
    body = json.dumps({"jsonrpc": "2.0", "id": request_id, "method": "tools/list"}).encode()
    async with client() as http:
        answer = await http.post("/mcp", content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 200 and seen == [body]


async def test_an_upper_case_media_type_reaches_the_sdk_in_lower_case() -> None:
    """RFC 9110: media types are case-insensitive; the SDK compares bytes, so it gets the canonical spelling."""
    types: list[bytes] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        types.extend(v for k, v in scope["headers"] if k == b"content-type")
        await echo(scope, receive, send)

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=StrictJsonBody(app)),
                                 base_url="http://127.0.0.1") as http:
        answer = await http.post("/mcp", content=b'{"jsonrpc":"2.0","id":1,"method":"ping"}',
                                 headers={"content-type": "APPLICATION/JSON; charset=UTF-8"})
    assert answer.status_code == 200
    assert types == [b"application/json; charset=UTF-8"]


async def test_a_utf8_byte_order_mark_is_dropped_before_the_sdk_reads_the_body() -> None:
    """RFC 8259 lets a parser ignore a UTF-8 mark and docs/frontdoors.md says every door does: the SDK's
    parser does not, so the app must receive the JSON without it, whole, with a Content-Length to match,
    even when the mark arrives split across chunks."""
    seen.clear()
    lengths: list[bytes] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        lengths.extend(value for name, value in scope["headers"] if name == b"content-length")
        await echo(scope, receive, send)

    body = b'{"jsonrpc":"2.0","id":3,"method":"ping"}'

    async def chunks() -> Any:
        yield b"\xef\xbb"
        yield b"\xbf" + body[:10]
        yield body[10:]

    transport = httpx.ASGITransport(app=StrictJsonBody(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        json_type = {"content-type": "application/json"}
        marked = await http.post("/mcp", content=b"\xef\xbb\xbf" + body, headers=json_type)
        split = await http.post("/mcp", content=chunks(), headers=json_type)
        twice = await http.post("/mcp", content=b"\xef\xbb\xbf" * 2 + body, headers=json_type)
    assert marked.status_code == split.status_code == 200
    assert seen == [body, body]
    assert lengths == [str(len(body)).encode()] * 2, "the length the app is told is the body it gets"
    assert twice.status_code == 400 and twice.json()["error"]["code"] == PARSE_ERROR, "only one mark is a mark"
