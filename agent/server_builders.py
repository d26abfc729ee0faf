"""How the config turns into Vigil's own MCP servers for an investigation.

One builder per server; a builder returns None when its part of the config (or environment) does not
enable it, so an investigation uses whatever is configured and never depends on one server.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from mcp.server.mcpserver import MCPServer

from agent.config import Config
from mcp_servers.common.server import ServerGuard


def prometheus(config: Config, guard: ServerGuard) -> MCPServer | None:
    from mcp_servers.prometheus.client import ENV_PREFIX, PromSettings
    from mcp_servers.prometheus.server import build_server

    settings = config.prometheus
    if settings is None and os.environ.get(f"{ENV_PREFIX}_URL"):
        settings = PromSettings.from_env()
    return build_server(settings, guard) if settings is not None else None


def loki(config: Config, guard: ServerGuard) -> MCPServer | None:
    from mcp_servers.loki.client import ENV_PREFIX, LokiSettings
    from mcp_servers.loki.server import build_server

    settings = config.loki
    if settings is None and os.environ.get(f"{ENV_PREFIX}_URL"):
        settings = LokiSettings.from_env()
    return build_server(settings, guard) if settings is not None else None


def kubernetes(config: Config, guard: ServerGuard) -> MCPServer | None:
    from mcp_servers.kubernetes.client import KubeSettings
    from mcp_servers.kubernetes.server import build_server

    k8s = config.kubernetes
    env = KubeSettings.from_env()
    kubeconfig = str(k8s.kubeconfig) if k8s.kubeconfig else env.kubeconfig or os.environ.get("KUBECONFIG")
    default = Path.home() / ".kube" / "config"
    if not (k8s.in_cluster or env.in_cluster or kubeconfig or default.exists()):
        return None
    settings = KubeSettings(kubeconfig=kubeconfig, context=k8s.context or env.context,
                            in_cluster=k8s.in_cluster or env.in_cluster, timeout_seconds=k8s.timeout_seconds,
                            allowed_contexts=env.allowed_contexts)
    return build_server(settings, guard)


def codegraph(config: Config, guard: ServerGuard) -> MCPServer | None:
    from mcp_servers.codegraph.server import build_server

    settings = config.codegraph
    if settings is None:
        return None
    if settings.repo is not None and not settings.repo.is_dir():
        raise ValueError(f"codegraph.repo {settings.repo} is not a directory; point it at the service's checkout")
    return build_server(settings, guard)


BUILDERS: dict[str, Callable[[Config, ServerGuard], MCPServer | None]] = {
    "kubernetes": kubernetes,
    "prometheus": prometheus,
    "loki": loki,
    "codegraph": codegraph,
}
