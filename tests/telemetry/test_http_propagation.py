"""Trace context across a real transport: the server runs as streamable HTTP on loopback (uvicorn,
bearer auth, Vigil's own http_app) and the agent's hub talks to it through the SDK's HTTP client.

In-process (memory transport) calls share Python's context anyway; over HTTP only the W3C
`traceparent` in the request's `_meta` can carry the trace, so this is the test that shows a
server-side span joining the investigation's trace the way it does in a real deployment.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
import uvicorn
from mcp.client.streamable_http import streamable_http_client
from opentelemetry.sdk.trace import ReadableSpan

from agent.telemetry import Telemetry, tracer
from agent.toolhub import ToolHub
from guardrails.action import Actor
from guardrails.audit import AuditLog
from guardrails.pipeline import Pipeline, default_policy_path
from guardrails.policy import load_policy
from mcp_servers.common.server import http_app
from tests.telemetry.conftest import attrs, finished, toy_server

pytestmark = pytest.mark.anyio
TOKEN = "telemetry-test-token-4f1a"


def serve(app: Any) -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/mcp"
    finally:
        server.should_exit = True
        thread.join(5)
        sock.close()


@pytest.fixture
def url(tmp_path: Path) -> Iterator[str]:
    app = http_app(toy_server(tmp_path), {TOKEN: Actor(name="agent-over-http", origin="mcp")})
    yield from serve(app)


def ancestors(span: ReadableSpan, spans: list[ReadableSpan]) -> list[str]:
    by_id = {s.context.span_id: s for s in spans}
    names = []
    while span.parent is not None and span.parent.span_id in by_id:
        span = by_id[span.parent.span_id]
        names.append(span.name)
    return names


async def test_server_span_over_http_joins_the_agents_trace(tmp_path: Path, url: str, telemetry: Telemetry) -> None:
    pipeline = Pipeline(load_policy(default_policy_path()), AuditLog(tmp_path / "audit.jsonl"))
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    async with ToolHub(pipeline, Actor(name="agent", origin="agent"), "run_http") as hub:
        await hub.connect("toy", streamable_http_client(url, http_client=http))  # type: ignore[arg-type]
        with tracer().start_as_current_span("investigate") as root:
            outcome = await hub.call("k8s_logs", {"name": "payments-x", "namespace": "payments"})
    assert outcome.ok and "ValueError" in outcome.text
    spans = finished(telemetry)
    (server_span,) = [s for s in spans if s.name == "tools/call k8s_logs"]
    assert server_span.context.trace_id == root.get_span_context().trace_id
    assert server_span.kind.name == "SERVER"
    chain = ancestors(server_span, spans)
    assert chain[-2:] == ["execute_tool k8s_logs", "investigate"]
    server_guard = next(s for s in spans if s.name == "guardrail k8s_logs"
                        and attrs(s)["vigil.guardrail.where"] == "server:toy")
    assert server_guard.context.trace_id == root.get_span_context().trace_id
    assert attrs(server_guard)["vigil.actor"] == "agent-over-http"  # the bearer token's actor, not _meta's
