"""Vigil's own tools, listed from the servers themselves so no second list can drift out of date.

`vigil policy check` and `vigil runbooks lint` need every built-in tool's schema and annotations
without a cluster, a Prometheus or an index. Each server is built in-process with settings that
connect to nothing (servers connect lazily, on the first tool call) and asked for its tool list.
"""

from __future__ import annotations

import asyncio
import importlib
import tempfile
from functools import lru_cache

from mcp_servers.common.server import ServerGuard, ToolTable, tool_table

BUILTIN_SERVERS: dict[str, str] = {
    # server name -> module exposing build_server(settings=None, guard=...)
}


def build_builtin_server(name: str, guard: ServerGuard):  # type: ignore[no-untyped-def]
    module = importlib.import_module(BUILTIN_SERVERS[name])
    return module.build_server(None, guard)


@lru_cache(maxsize=1)
def builtin_tool_table() -> ToolTable:
    """ToolSpec and cost class of every tool of every built-in server."""

    async def collect() -> ToolTable:
        table: ToolTable = {}
        with tempfile.TemporaryDirectory() as scratch:
            guard = ServerGuard.for_tests(scratch, "catalogue")
            for name in BUILTIN_SERVERS:
                table.update(await tool_table(build_builtin_server(name, guard)))
        return table

    return asyncio.run(collect())


def builtin_tool_names() -> frozenset[str]:
    return frozenset(builtin_tool_table())
