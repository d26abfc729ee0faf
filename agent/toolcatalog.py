"""Vigil's own tools, listed from the servers themselves so no second list can drift out of date.

`vigil policy check` needs every built-in tool's schema and annotations without a cluster, a
Prometheus or an index at hand. Each server is built in-process with settings that point at nothing
(servers connect lazily, on the first tool call; the code graph gets an empty index) and asked for
its tool list.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from mcp.server.mcpserver import MCPServer

from mcp_servers.common.server import ServerGuard, ToolTable, tool_table


def _kubernetes(guard: ServerGuard, scratch: Path) -> MCPServer:
    from mcp_servers.kubernetes.client import KubeSettings
    from mcp_servers.kubernetes.server import build_server

    return build_server(KubeSettings(kubeconfig=str(scratch / "no-kubeconfig")), guard)


def _prometheus(guard: ServerGuard, scratch: Path) -> MCPServer:
    from mcp_servers.prometheus.client import PromSettings
    from mcp_servers.prometheus.server import build_server

    return build_server(PromSettings(), guard)


def _loki(guard: ServerGuard, scratch: Path) -> MCPServer:
    from mcp_servers.loki.client import LokiSettings
    from mcp_servers.loki.server import build_server

    return build_server(LokiSettings(), guard)


def _codegraph(guard: ServerGuard, scratch: Path) -> MCPServer:
    from mcp_servers.codegraph.indexer import index_repository
    from mcp_servers.codegraph.server import CodegraphSettings, build_server

    empty = scratch / "empty-repo"
    empty.mkdir()
    index_repository(empty, scratch / "codegraph.db", workers=1)
    return build_server(CodegraphSettings(db=scratch / "codegraph.db", reindex=False), guard)


def _gitops(guard: ServerGuard, scratch: Path) -> MCPServer:
    from agent.gitops.settings import GitOpsSettings
    from mcp_servers.gitops.server import build_server

    return build_server(GitOpsSettings(remote=str(scratch / "remote.git")), guard, scratch)


def _investigate(guard: ServerGuard, scratch: Path) -> MCPServer:
    from agent.config import Config
    from mcp_servers.investigate.server import build_server

    return build_server(Config(state_dir=scratch), guard)


BUILTIN_SERVERS: dict[str, Callable[[ServerGuard, Path], MCPServer]] = {
    "kubernetes": _kubernetes,
    "prometheus": _prometheus,
    "loki": _loki,
    "codegraph": _codegraph,
    "gitops": _gitops,
    "investigate": _investigate,
}


@lru_cache(maxsize=1)
def builtin_tool_table() -> ToolTable:
    """ToolSpec and cost class of every tool of every built-in server."""

    async def collect() -> ToolTable:
        table: ToolTable = {}
        with tempfile.TemporaryDirectory() as scratch:
            guard = ServerGuard.for_tests(scratch, "catalogue")
            for name, build in BUILTIN_SERVERS.items():
                (Path(scratch) / name).mkdir()
                table.update(await tool_table(build(guard, Path(scratch) / name)))
        return table

    return asyncio.run(collect())


def builtin_tool_names() -> frozenset[str]:
    return frozenset(builtin_tool_table())
