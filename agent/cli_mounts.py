"""Where each area's typer sub-app joins the `vigil` command (kept apart from cli.py's own commands).

Areas own their commands; this module only decides the names they appear under. The MCP servers
all sit under `vigil mcp NAME` (stdio by default, `--http` for streamable HTTP), which is what a
Claude Code `.mcp.json` entry runs.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, cast

import typer

SUBAPPS: list[tuple[str, str]] = [
    # (command name, "module:attribute")
    ("runbooks", "agent.runbooks.cli:app"),
    ("llm", "agent.llm.cli:app"),
    ("replay", "mcp_servers.kubernetes.cli:replay_app"),
    ("bundle", "agent.cli_capture:bundle_app"),  # validate (kubernetes.cli) + capture
    ("code", "mcp_servers.codegraph.cli:code_app"),
    ("gitops", "agent.gitops.cli:app"),
    ("serve", "agent.frontdoor_cli:serve_app"),
    ("jobs", "agent.frontdoor_cli:jobs_app"),
]

MCP_SERVERS: list[tuple[str, str]] = [
    ("kubernetes", "mcp_servers.kubernetes.cli:app"),
    ("prometheus", "mcp_servers.prometheus.cli:app"),
    ("loki", "mcp_servers.loki.cli:app"),
    ("codegraph", "mcp_servers.codegraph.cli:mcp_app"),
    ("gitops", "mcp_servers.gitops.cli:app"),
    ("investigate", "mcp_servers.investigate.cli:app"),
]

COMMANDS: list[tuple[str, str]] = [
    ("investigate", "agent.cli_investigate:investigate"),
    ("demo", "agent.cli_demo:demo"),
    ("eval", "agent.cli_eval:eval_command"),
    ("index", "mcp_servers.codegraph.cli:index_cmd"),
    ("rollback", "agent.gitops.cli:rollback_command"),
    ("usage", "agent.cli_usage:usage"),
    ("scan", "agent.cli_scan:scan"),
]


def _load(target: str) -> Any:
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)


def mount(app: typer.Typer) -> None:
    """Add every area's commands to `app`."""
    for name, target in COMMANDS:
        app.command(name)(cast(Callable[..., Any], _load(target)))
    for name, target in SUBAPPS:
        app.add_typer(_load(target), name=name)
    mcp_app = typer.Typer(help="Run one of Vigil's MCP servers (stdio by default; --http for streamable HTTP).",
                          no_args_is_help=True)
    for name, target in MCP_SERVERS:
        mcp_app.add_typer(_load(target), name=name)
    app.add_typer(mcp_app, name="mcp")
