"""The one place Vigil reaches into the MCP SDK's private parts.

The guardrail middleware must see every tool call before the tool runs, and the SDK's public
`MCPServer` has no hook for that in 2.x; its low-level server does (`middleware`, a list of
callables around each request). Every use of that private attribute goes through this module, and
tests/servers/test_sdk_adapter.py fails loudly when an SDK upgrade moves or renames it, rather than
the guardrails silently no longer running.
"""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import MCPServer
from opentelemetry import trace


class SDKChanged(RuntimeError):
    """The installed MCP SDK no longer has the hook Vigil's guardrails attach to."""


def lowlevel(server: MCPServer) -> Any:
    """The SDK's low-level server behind an `MCPServer` (request handlers, middleware, run loop)."""
    low = getattr(server, "_lowlevel_server", None)
    if low is None:
        raise SDKChanged("mcp.server.mcpserver.MCPServer has no _lowlevel_server: the MCP SDK changed; "
                         "update mcp_servers/common/sdk.py before running Vigil's servers")
    return low


def add_middleware(server: MCPServer, middleware: Any) -> None:
    """Run `middleware` around every request the server handles (the guardrail pipeline's entry)."""
    chain = getattr(lowlevel(server), "middleware", None)
    if not isinstance(chain, list):
        raise SDKChanged("the MCP SDK's low-level server has no middleware list: the SDK changed; "
                         "update mcp_servers/common/sdk.py so every tool call is still judged")
    chain.append(middleware)


class SpanWhenTraced:
    """The SDK's per-request OpenTelemetry middleware, run only while a tracer provider is installed.

    Why: without one (an MCP server nobody traces: `vigil mcp codegraph` under Claude Code) the SDK's
    middleware still builds the span's attributes, extracts the caller's trace context from `_meta` and
    attaches a non-recording span to the context around every call, about 10 us a call for a span that
    records nothing. Once a provider is installed (agent/telemetry/setup.py, at any time: it is looked up
    per request, as guardrails/pipeline.py's `_span` does) every request goes through the SDK's middleware
    again, unchanged."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, ctx: Any, call_next: Any) -> Any:
        if isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
            return await call_next(ctx)
        return await self.inner(ctx, call_next)


def span_only_when_traced(server: MCPServer) -> None:
    """Wrap the SDK's OpenTelemetry middleware of `server` in `SpanWhenTraced` (no other middleware changes)."""
    from mcp.server._otel import OpenTelemetryMiddleware

    chain = lowlevel(server).middleware
    for i, middleware in enumerate(chain):
        if isinstance(middleware, OpenTelemetryMiddleware):
            chain[i] = SpanWhenTraced(middleware)
