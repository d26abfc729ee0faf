"""How the config turns into Vigil's own MCP servers for an investigation.

One builder per server; a builder returns None when its part of the config (or environment) does not
enable it, so an investigation uses whatever is configured and never depends on one server.
"""

from __future__ import annotations

import os

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


BUILDERS = {
    "prometheus": prometheus,
}
