"""The MCP door's classes that hostile catalogue 3 found (benchmarks/frontdoors/hostile_requests3.py):

* a GET with `Last-Event-ID` was a 500: the SDK took its replay branch with no event store and sent no
  response (mcp_servers/common/last_event_id.py);
* 33 KiB of headers were accepted, while docs/frontdoors.md bounds every door's head at 32 KiB
  (agent/server/limits.py now runs in front of the MCP app too);
* a 2 MB `question` was investigated: the `investigate` tool's arguments now have bounded lengths in
  its input schema, refused as a tool error before any investigation.

The transport cases run against the real `vigil mcp prometheus --http` process (the fixture of
test_fuzz_mcp_http.py); the middleware is also checked alone over httpx's ASGI transport.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from mcp import Client

from agent.config import Config
from agent.server.limits import MAX_HEADER_BYTES
from mcp_servers.common.last_event_id import MAX_EVENT_ID_BYTES, LastEventId, event_id_problem
from mcp_servers.common.server import ServerGuard
from mcp_servers.investigate.server import MAX_LABELS, MAX_QUESTION_CHARS, build_server
from tests.frontdoors.conftest import FakeInvestigation
from tests.frontdoors.test_fuzz_mcp_http import ACCEPT, TOKEN, Mcp, mcp

__all__ = ["mcp"]  # the fixture, imported for the real-process tests

pytestmark = pytest.mark.anyio


# -- Last-Event-ID ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "ok"), [
    (b"stream-1_42", True), (b"", True), (b"x" * MAX_EVENT_ID_BYTES, True),
    (b"../../%00" + b"x" * 500, False), (b"a b", False), (b"caf\xe9", False), (b"a\x00b", False),
    (b"x" * (MAX_EVENT_ID_BYTES + 1), False),
])
def test_what_an_event_id_may_hold(value: bytes, ok: bool) -> None:
    assert (event_id_problem(value) is None) == ok


def _recording_app(seen: list[list[tuple[bytes, bytes]]]) -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append(list(scope["headers"]))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    return app


@pytest.mark.parametrize("resumable", [False, True])
async def test_the_middleware_refuses_garbage_and_drops_what_it_cannot_replay(resumable: bool) -> None:
    seen: list[list[tuple[bytes, bytes]]] = []
    transport = httpx.ASGITransport(app=cast(Any, LastEventId(_recording_app(seen), resumable=resumable)))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        garbage = await http.get("/mcp", headers={"last-event-id": "../../%00" + "x" * 500})
        twice = await http.get("/mcp", headers=[("last-event-id", "a"), ("last-event-id", "b")])
        valid = await http.get("/mcp", headers={"last-event-id": "stream-1_42"})
    assert garbage.status_code == 400 and garbage.json()["error"]["code"] == -32600
    assert "Last-Event-ID" in garbage.json()["error"]["message"]
    assert twice.status_code == 400
    assert valid.status_code == 200 and len(seen) == 1, "only the valid request reached the app"
    assert ((b"last-event-id", b"stream-1_42") in seen[0]) == resumable


def _get_stream(mcp: Mcp, last_event_id: str) -> int:
    headers = {"authorization": f"Bearer {TOKEN}", "accept": "text/event-stream", "mcp-session-id": mcp.session,
               "last-event-id": last_event_id}
    with httpx.stream("GET", mcp.url, headers=headers, timeout=10) as response:
        return response.status_code  # a 200 is the held-open stream: its head is all this needs


def test_a_get_with_last_event_id_is_never_a_5xx(mcp: Mcp) -> None:
    """Before: both were 500 (`Internal Server Error`) with an ASGI traceback in the server's log."""
    assert _get_stream(mcp, "0_1") == 200, "nothing to replay: a fresh stream, as without the header"
    assert _get_stream(mcp, "../../%00" + "x" * 500) == 400
    log = mcp.log.read_text(errors="replace")
    assert "Exception in ASGI application" not in log and "Traceback" not in log, log[-3000:]


# -- the head bound --------------------------------------------------------------------------------------


def test_the_mcp_door_bounds_headers_like_the_webhooks(mcp: Mcp) -> None:
    base = {"authorization": f"Bearer {TOKEN}", "accept": ACCEPT, "mcp-session-id": mcp.session}
    body = b'{"jsonrpc":"2.0","id":1,"method":"tools/list"}'

    def post(pad_headers: int) -> httpx.Response:
        pads = {f"x-pad-{i}": "p" * 1000 for i in range(pad_headers)}
        return httpx.post(mcp.url, content=body, headers={**base, **pads, "content-type": "application/json"})

    under, over = post(30), post(33)
    assert 30 * 1000 < MAX_HEADER_BYTES < 33 * 1000
    assert under.status_code == 200, under.text
    assert over.status_code == 431 and over.json()["error"] == "headers_too_large", over.text


def _text(result: Any) -> str:
    return str(result.content[0].text)


# -- bounded tool arguments ------------------------------------------------------------------------------


async def test_investigate_bounds_its_arguments_in_the_schema(tmp_path: Path) -> None:
    fake = FakeInvestigation()
    server = build_server(Config(state_dir=tmp_path), ServerGuard.for_tests(tmp_path, "investigate"), fake)
    async with Client(server) as client:
        [tool] = (await client.list_tools()).tools
        properties = tool.input_schema["properties"]
        assert properties["question"]["maxLength"] == MAX_QUESTION_CHARS
        too_long = await client.call_tool("investigate", {"question": "q" * (MAX_QUESTION_CHARS + 1)})
        too_many = await client.call_tool("investigate", {"question": "checkout OOMKilled", "labels": {
            f"l{i}": "v" for i in range(MAX_LABELS + 1)}})
        long_value = await client.call_tool("investigate", {"question": "checkout OOMKilled",
                                                            "labels": {"namespace": "n" * 5000}})
        at_bound = await client.call_tool("investigate", {"question": "checkout pods OOMKilled in namespace shop "
                                                          + "q" * (MAX_QUESTION_CHARS - 50)})
    for refused in (too_long, too_many, long_value):
        assert refused.is_error, refused
    assert "question" in _text(too_long) and "labels" in _text(too_many)
    assert not at_bound.is_error, at_bound
    assert len(fake.calls) == 1, "only the question within the bound was investigated"
