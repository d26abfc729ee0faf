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
