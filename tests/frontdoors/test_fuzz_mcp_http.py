"""A bounded, seeded fuzz of the MCP streamable-HTTP endpoint `vigil mcp NAME --http` serves at /mcp.

The server is the real `vigil mcp prometheus --http` process on a loopback port (its Prometheus URL
points at a closed port: the fuzz is about the transport, not the tools), driven by httpx. The
requests are JSON-RPC garbage: bodies that are not JSON or not UTF-8, nested past any bound, batch
arrays (the 2025-06-18 protocol has none), ids that are huge, fractional, objects or null, a wrong
`jsonrpc` version, params of the wrong type, unknown methods and tools, responses nobody asked for,
bad or missing bearer tokens, unknown session ids, wrong Accept and Content-Type headers, other HTTP
methods and bodies past the size limit.

What must hold: no 5xx; a refusal (4xx) says why in its body; a well-formed JSON-RPC request the
server cannot serve answers a JSON-RPC error (or a tool error) rather than dropping the connection;
the server's log holds no traceback; and the session opened before the fuzz still answers a valid
`tools/list` after it with the same tools.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.frontdoors.conftest import free_port

SEED = 20261206
CASES = 300
TOKEN = "mcp-token-for-fuzz"
ACCEPT = "application/json, text/event-stream"
VIGIL = Path(sys.executable).parent / "vigil"


@dataclass
class Mcp:
    url: str
    session: str
    log: Path


def rpc(method: str, params: Any = None, ident: Any = 1) -> dict[str, Any]:
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": ident, "method": method}
    if params is not None:
        message["params"] = params
    return message


def tool_names(response: httpx.Response) -> list[str]:
    """The tool names in a `tools/list` answer (sent as one server-sent event)."""
    data = [line[5:] for line in response.text.splitlines() if line.startswith("data:")]
    return sorted(tool["name"] for tool in json.loads(data[-1])["result"]["tools"])


@pytest.fixture
def mcp(tmp_path: Path) -> Iterator[Mcp]:
    port = free_port()
    log = tmp_path / "server.log"
    env = {**os.environ, "VIGIL_MCP_TOKEN": TOKEN}
    with log.open("wb") as out:
        process = subprocess.Popen([str(VIGIL), "mcp", "prometheus", "--http", "--port", str(port), "--state-dir",
                                    str(tmp_path / "state"), "--url", f"http://127.0.0.1:{free_port()}"],
                                   env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(url, timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
        opened = httpx.post(url, headers={"authorization": f"Bearer {TOKEN}", "accept": ACCEPT}, json=rpc(
            "initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                           "clientInfo": {"name": "fuzz", "version": "1"}}))
        assert opened.status_code == 200, opened.text
        session = opened.headers["mcp-session-id"]
        httpx.post(url, headers={"authorization": f"Bearer {TOKEN}", "accept": ACCEPT, "mcp-session-id": session},
                   json={"jsonrpc": "2.0", "method": "notifications/initialized"})
        yield Mcp(url, session, log)
    finally:
        process.terminate()
        process.wait(timeout=20)


@dataclass
class Case:
    method: str
    body: bytes
    headers: dict[str, str | bytes]


GARBAGE = [b"", b"{", b"}", b"null", b"1", b'"x"', b"\xff\xfe", b"[" * 5000 + b"]" * 5000,
           b'{"a":' * 3000 + b"1" + b"}" * 3000, b"{" + b'"k":1,' * 50_000 + b'"z":1}', b"NaN",
           b'{"jsonrpc": Infinity}']
IDS: list[Any] = [10**30, -(10**30), 2**63, 1.5, 1e308, None, {"a": 1}, [1], True, "", "x" * 100_000, "\u0000"]
PARAMS: list[Any] = [[1], "x", 1, None, {"name": 1}, {"name": "prom_alerts", "arguments": "x"},
                     {"name": "prom_query", "arguments": {"query": 1}}, {"name": "../../etc/passwd"},
                     {"name": "x" * 10_000}, {"cursor": {"a": 1}}]
METHODS = ["tools/list", "tools/call", "resources/read", "prompts/get", "nope", "", "x" * 5000, "initialize",
           "notifications/initialized", "$/cancel", "ping"]


def cases(rng: random.Random, session: str) -> Iterator[Case]:
    good: dict[str, str | bytes] = {"authorization": f"Bearer {TOKEN}", "accept": ACCEPT,
                                    "content-type": "application/json", "mcp-session-id": session}
    for _ in range(CASES):
        kind = rng.randrange(8)
        headers = dict(good)
        method = "POST"
        body = json.dumps(rpc("tools/list")).encode()
        if kind == 0:
            body = rng.choice(GARBAGE)
        elif kind == 1:  # batches
            body = json.dumps(rng.choice([[], [rpc("tools/list")], [rpc("tools/list"), rpc("ping", ident=2)],
                                          [1, 2], [[rpc("ping")]]])).encode()
        elif kind == 2:  # odd ids
            ident = rng.choice(IDS)
            body = json.dumps(rpc(rng.choice(["tools/list", "ping"]), ident=ident)).encode()
            if rng.random() < 0.3:
                body = body.replace(b'"id": ', b'"id": ' + rng.choice([b"9" * 5000, b"1e999", b"-0", b"0x10"]) + b", "
                                    b'"_": ', 1)
        elif kind == 3:  # wrong version, params, methods
            message = rpc(rng.choice(METHODS), rng.choice(PARAMS))
            if rng.random() < 0.3:
                message["jsonrpc"] = rng.choice(["1.0", "2", 2.0, None, ""])
            if rng.random() < 0.2:
                message = {"jsonrpc": "2.0", "id": 7, "result": rng.choice([{}, None, "x"])}
            body = json.dumps(message).encode()
        elif kind == 4:  # credentials
            auth = rng.choice([None, "", "Bearer", "Bearer x", f"Bearer {TOKEN}x", f"bearer {TOKEN[:-1]}",
                               f"Basic {TOKEN}", ("Bearer " + "é" * 8).encode("latin-1"), "Bearer " + "A" * 8000])
            headers.pop("authorization")
            if auth is not None:
                headers["authorization"] = auth
        elif kind == 5:  # session and content negotiation
            field, value = rng.choice([("mcp-session-id", "bogus"), ("mcp-session-id", "x" * 4000),
                                       ("mcp-session-id", ""), ("accept", "text/html"), ("accept", "application/json"),
                                       ("content-type", "text/plain"),
                                       ("content-type", "application/x-www-form-urlencoded"),
                                       ("mcp-protocol-version", "1999-01-01"), ("mcp-protocol-version", "x" * 300)])
            headers[field] = value
            if value == "":
                headers.pop(field)
        elif kind == 6:  # other methods (a GET on a live session is the server's event stream: not garbage)
            method = rng.choice(["GET", "PUT", "PATCH", "OPTIONS", "DELETE"])
            if method in ("GET", "DELETE") or rng.random() < 0.5:
                headers["mcp-session-id"] = rng.choice(["bogus", "0" * 32])
        else:  # past the size limit
            huge = {"name": "prom_query", "arguments": {"query": "x" * 5_000_000}}
            body = json.dumps(rpc("tools/call", huge)).encode()
        yield Case(method, body, headers)


def test_no_json_rpc_garbage_is_a_5xx_or_breaks_the_session(mcp: Mcp) -> None:
    rng = random.Random(SEED)
    good = {"authorization": f"Bearer {TOKEN}", "accept": ACCEPT, "mcp-session-id": mcp.session}
    with httpx.Client(timeout=10) as client:
        before = tool_names(client.post(mcp.url, headers=good, json=rpc("tools/list")))
        assert before, "the server lists its tools"
        outcomes: dict[int, int] = {}
        for case in cases(rng, mcp.session):
            headers = {k: v.encode() if isinstance(v, str) else v for k, v in case.headers.items()}
            response = client.request(case.method, mcp.url, content=case.body, headers=headers)
            outcomes[response.status_code] = outcomes.get(response.status_code, 0) + 1
            where = (case.method, case.headers, case.body[:500], response.status_code, response.text[:500])
            assert response.status_code < 500, where
            if response.status_code >= 400:
                assert response.text.strip(), where
            if response.status_code == 200 and case.method == "POST":
                assert "data:" in response.text or response.text.startswith("{"), where
        after = tool_names(client.post(mcp.url, headers=good, json=rpc("tools/list", ident=99)))
    assert sum(outcomes.values()) == CASES and after == before, outcomes
    log = mcp.log.read_text(errors="replace")
    assert "Traceback" not in log and "Exception in ASGI application" not in log, log[-4000:]


def test_a_non_ascii_bearer_token_is_a_401_not_a_500(mcp: Mcp) -> None:
    """Found by the fuzz: the token check compared `str`s with hmac.compare_digest, which raises on
    non-ASCII text, so `Authorization: Bearer é…` (Latin-1 on the wire) was a 500."""
    for header in [("Bearer " + "é" * 8).encode("latin-1"), b"Bearer \xff\xfe", "Bearer tök".encode()]:
        response = httpx.post(mcp.url, content=json.dumps(rpc("tools/list")).encode(), headers={
            "authorization": header, "accept": ACCEPT, "content-type": "application/json"})
        assert response.status_code == 401 and response.json()["error"] == "unauthorized", response.text
