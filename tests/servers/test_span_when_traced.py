"""The SDK's per-request span runs only while a tracer provider is installed (mcp_servers/common/sdk.py).

Without a provider the SDK's OpenTelemetry middleware only made a span that records nothing; with one,
every request must still go through it (tests/telemetry checks the spans themselves end to end)."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client
from mcp.server._otel import OpenTelemetryMiddleware
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from mcp_servers.common import sdk
from mcp_servers.common.sdk import SpanWhenTraced, lowlevel
from mcp_servers.common.server import ServerGuard, create_server


class _Recording:
    def __init__(self) -> None:
        self.seen: list[str] = []

    async def __call__(self, ctx: Any, call_next: Any) -> Any:
        self.seen.append(ctx.method)
        return await call_next(ctx)


def _guarded(tmp_path: Any) -> Any:
    server = create_server("probe", "test", ServerGuard.for_tests(tmp_path, "probe"))

    @server.tool()
    def echo(text: str) -> str:
        """Echo."""
        return text

    return server


def test_a_guarded_server_wraps_the_sdk_span_and_keeps_its_place(tmp_path: Any) -> None:
    chain = lowlevel(_guarded(tmp_path)).middleware
    assert not any(isinstance(m, OpenTelemetryMiddleware) for m in chain)
    wrapped = [m for m in chain if isinstance(m, SpanWhenTraced)]
    assert len(wrapped) == 1 and isinstance(wrapped[0].inner, OpenTelemetryMiddleware)
    assert chain[0] is wrapped[0], "still the outermost middleware, as the SDK installs it"


@pytest.mark.anyio
async def test_without_a_provider_the_span_middleware_is_skipped_and_the_call_still_judged(
        tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # OpenTelemetry's global provider can be set once per process, and an earlier test in the suite may have set
    # it: the answer "no provider installed" (the API's proxy) is given here rather than assumed of the process.
    monkeypatch.setattr(sdk.trace, "get_tracer_provider", lambda: trace.ProxyTracerProvider())
    server = _guarded(tmp_path)
    chain = lowlevel(server).middleware
    recording = _Recording()
    chain[0].inner = recording
    async with Client(server) as client:
        await client.call_tool("echo", {"text": "hello"})  # refused by the default policy: judged all the same
    assert recording.seen == []
    assert '"echo"' in (tmp_path / "audit.jsonl").read_text(), "the guard middleware still judged and recorded it"


@pytest.mark.anyio
async def test_with_a_provider_every_request_goes_through_the_span_middleware(
        tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    server = _guarded(tmp_path)
    recording = _Recording()
    lowlevel(server).middleware[0].inner = recording
    monkeypatch.setattr(sdk.trace, "get_tracer_provider", lambda: TracerProvider())
    async with Client(server) as client:
        await client.list_tools()
        await client.call_tool("echo", {"text": "hello"})
    assert "tools/call" in recording.seen and "tools/list" in recording.seen
