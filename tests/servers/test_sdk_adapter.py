"""The MCP SDK's private hook the guardrails attach to is still where Vigil expects it.

If an SDK upgrade moves `_lowlevel_server.middleware`, this fails with the adapter's message instead
of Vigil's servers quietly running tools without their guardrail middleware.
"""

from __future__ import annotations

import pytest
from mcp import Client
from mcp.server.mcpserver import MCPServer

from mcp_servers.common.sdk import SDKChanged, add_middleware, lowlevel
from mcp_servers.common.server import ServerGuard, create_server


def test_the_installed_sdk_has_the_hook() -> None:
    server = MCPServer("probe")
    assert isinstance(lowlevel(server).middleware, list)


@pytest.mark.anyio
async def test_a_guarded_server_judges_every_call_through_the_hook(tmp_path) -> None:
    server = create_server("probe", "test", ServerGuard.for_tests(tmp_path, "probe"))

    @server.tool()
    def echo(text: str) -> str:
        """Echo."""
        return text

    async with Client(server) as client:
        await client.call_tool("echo", {"text": "hello"})
    audit = (tmp_path / "audit.jsonl").read_text()
    assert '"echo"' in audit, "the call went through the guardrail middleware and was audited"


def test_a_moved_hook_fails_loudly() -> None:
    class Moved:
        pass

    server = MCPServer("probe")
    server._lowlevel_server = Moved()  # type: ignore[assignment]
    with pytest.raises(SDKChanged, match="middleware"):
        add_middleware(server, object())
    del server._lowlevel_server
    with pytest.raises(SDKChanged, match="_lowlevel_server"):
        lowlevel(server)
