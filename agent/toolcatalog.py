"""Vigil's own tools, listed from the servers themselves so no second list can drift out of date.

`vigil policy check` needs every built-in tool's schema and annotations without a cluster, a
Prometheus or an index at hand. Each server is built in-process (through the same
builders an investigation uses) with settings that point at nothing: servers connect lazily, on the
first tool call, and the code graph gets an empty index. Then each is asked for its tool list.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from mcp.server.mcpserver import MCPServer

from mcp_servers.common.server import ServerGuard, ToolTable, tool_table


def _investigation_servers(guard: ServerGuard, scratch: Path) -> list[MCPServer]:
    """The servers an investigation uses, through the same builders, with a config that reaches nothing."""
    from agent.config import Config, KubernetesSettings
    from agent.server_builders import BUILDERS
    from mcp_servers.codegraph.indexer import index_repository
    from mcp_servers.codegraph.settings import CodegraphSettings
    from mcp_servers.loki.client import LokiSettings
    from mcp_servers.prometheus.client import PromSettings

    empty = scratch / "empty-repo"
    empty.mkdir()
    index_repository(empty, scratch / "codegraph.db", workers=1)
    offline = Config(state_dir=scratch, kubernetes=KubernetesSettings(kubeconfig=scratch / "no-kubeconfig"),
                     prometheus=PromSettings(), loki=LokiSettings(),
                     codegraph=CodegraphSettings(repo=empty, db=scratch / "codegraph.db", reindex=False))
    servers = [build(offline, guard) for build in BUILDERS.values()]
    return [server for server in servers if server is not None]


def _gitops(guard: ServerGuard, scratch: Path) -> list[MCPServer]:
    from agent.gitops.settings import GitOpsSettings
    from mcp_servers.gitops.server import build_server

    return [build_server(GitOpsSettings(remote=str(scratch / "remote.git")), guard, scratch)]


def _investigate(guard: ServerGuard, scratch: Path) -> list[MCPServer]:
    from agent.config import Config
    from mcp_servers.investigate.server import build_server

    return [build_server(Config(state_dir=scratch), guard)]


BUILTIN_SERVERS: dict[str, Callable[[ServerGuard, Path], list[MCPServer]]] = {
    "investigation": _investigation_servers,
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
                for server in build(guard, Path(scratch) / name):
                    table.update(await tool_table(server))
        return table

    return asyncio.run(collect())
