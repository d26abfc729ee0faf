"""Request-head rules HTTP sets and uvicorn leaves to the application (agent/server/head_rules.py).

Driven through a real `vigil serve` app over httpx's ASGI transport would hide the framing cases
(httpx never sends Transfer-Encoding with Content-Length), so the rules are checked two ways: the pure
`head_problem` on ASGI scopes as uvicorn builds them, and the middleware in front of a small ASGI app
over httpx, which shows a refused request never reaches the app. The byte-level cases (a smuggled
request after a chunked body, two Host fields) run against the real server in the round-2 hostile
catalogue (tests/frontdoors/test_hostile_catalogue.py).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from agent.server.head_rules import MAX_TARGET_BYTES, HeadRules, head_problem

pytestmark = pytest.mark.anyio


def scope(headers: list[tuple[bytes, bytes]], path: bytes = b"/webhooks/alertmanager",
          query: bytes = b"") -> dict[str, Any]:
    return {"type": "http", "raw_path": path, "query_string": query,
            "headers": [(b"host", b"vigil.example:8080"), *headers]}


@pytest.mark.parametrize(("headers", "error"), [
    ([(b"authorization", b"Bearer a"), (b"authorization", b"Bearer b")], "duplicate_header"),
    ([(b"host", b"evil.example")], "duplicate_header"),
    ([(b"x-slack-signature", b"v0=1"), (b"x-slack-signature", b"v0=2")], "duplicate_header"),
    ([(b"mcp-session-id", b"a"), (b"mcp-session-id", b"b")], "duplicate_header"),
    ([(b"transfer-encoding", b"chunked"), (b"content-length", b"4")], "ambiguous_framing"),
])
def test_refused_heads(headers: list[tuple[bytes, bytes]], error: str) -> None:
    problem = head_problem(scope(headers))
    assert problem is not None and problem[1] == error


@pytest.mark.parametrize("host", [b"a b/c", b"evil.example/path", b"x@y", b"host:port", b"-lead"])
def test_a_host_that_is_not_a_host_is_400(host: bytes) -> None:
    assert head_problem({"type": "http", "raw_path": b"/", "headers": [(b"host", host)]}) == (
        400, "bad_host", "Host: not a host name or address with an optional port")


@pytest.mark.parametrize("host", [b"127.0.0.1:8080", b"vigil.example.com", b"[::1]:8770", b"vigil-mcp.vigil.svc", b""])
def test_ordinary_heads_pass(host: bytes) -> None:
    headers = [(b"host", host), (b"authorization", b"Bearer x"), (b"content-length", b"2"),
               (b"x-pagerduty-signature", b"v1=a"), (b"x-pagerduty-signature", b"v1=b")]
    assert head_problem({"type": "http", "raw_path": b"/webhooks/pagerduty", "headers": headers}) is None


def test_a_long_target_is_414_counting_the_query() -> None:
    assert head_problem(scope([], query=b"a" * MAX_TARGET_BYTES)) is not None
    assert head_problem(scope([], query=b"a" * 100)) is None
    assert head_problem(scope([], path=b"/" + b"x" * MAX_TARGET_BYTES))[0] == 414  # type: ignore[index]


@pytest.mark.parametrize("path", [b"/approvals/apr_1%2Fapprove", b"/approvals/apr_1%2fapprove",
                                  b"/approvals/..%2F..%2Fhealthz/approve", b"/approvals/apr_1%5Capprove"])
def test_an_encoded_slash_in_the_path_is_400_never_routed(path: bytes) -> None:
    """Hostile catalogue 3: `/approvals/{id}%2Fapprove` was routed as `/approvals/{id}/approve` (the router
    reads the decoded path) and approved the request."""
    problem = head_problem(scope([], path=path))
    assert problem is not None and problem[:2] == (400, "encoded_separator")


@pytest.mark.parametrize("path", [b"/approvals/apr_1/approve", b"/approvals/apr_1%20/approve", b"/mcp"])
def test_other_escapes_are_left_to_the_routes(path: bytes) -> None:
    assert head_problem(scope([], path=path)) is None


@pytest.mark.parametrize(("version", "refused"), [("2.0", True), ("1.2", True), ("0.9", True), ("9.9", True),
                                                  ("1.0", False), ("1.1", False), ("2", False), ("3", False)])
def test_an_http_version_no_protocol_has_is_400(version: str, refused: bool) -> None:
    """Hostile catalogue 3: `POST ... HTTP/2.0` on an HTTP/1 request line was accepted (h11 passes any
    digit.digit); a 400 rather than RFC 9112's 505, as no refusal is a 5xx."""
    problem = head_problem({**scope([]), "http_version": version})
    assert (problem is not None) == refused
    if problem is not None:
        assert problem[:2] == (400, "unsupported_http_version")


async def test_a_refused_request_never_reaches_the_app_and_the_connection_closes() -> None:
    reached: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        reached.append(scope["path"])
        await send({"type": "http.response.start", "status": 202, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    transport = httpx.ASGITransport(app=HeadRules(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        refused = await http.get("/approvals", headers=[("authorization", "Bearer a"), ("authorization", "Bearer b")])
        passed = await http.get("/approvals", headers={"authorization": "Bearer a"})
    assert refused.status_code == 400 and refused.json()["error"] == "duplicate_header"
    assert refused.headers["connection"] == "close"
    assert passed.status_code == 202
    assert reached == ["/approvals"]
