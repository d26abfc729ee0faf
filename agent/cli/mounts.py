"""Where each area's commands join the `vigil` command, loaded only when one is invoked.

Areas own their commands; this module only decides the names they appear under. The MCP servers
all sit under `vigil mcp NAME` (stdio by default, `--http` for streamable HTTP), which is what a
Claude Code `.mcp.json` entry runs.

Why lazy: importing every area (the MCP SDK, the Kubernetes client, networkx, the LLM SDKs) cost
about 2.5 s of CPU before `vigil --help` printed a line, and every MCP server paid it before
answering `initialize`. A `LazyGroup` lists its commands from the tables below, each with the first
paragraph of its help, so `--help` needs no area module; the module behind a command is imported
when that command (or its own `--help`) runs. tests/cli_startup checks each summary against the
help of the command it stands for, so a table entry cannot drift from its command.

To add a command: one row in ROOT (or MCP_SERVERS), `"module:attribute"` naming a typer sub-app or
a command function, and the first paragraph of its help.
"""

from __future__ import annotations

import importlib
from difflib import get_close_matches
from typing import Any, ClassVar, NamedTuple

import typer
import typer._click as click
from typer._click.exceptions import UsageError
from typer._click.shell_completion import CompletionItem
from typer._click.utils import make_default_short_help
from typer.core import TyperGroup
from typer.main import get_command_from_info, get_group_from_info
from typer.models import CommandInfo, TyperInfo


class Mount(NamedTuple):
    """One command of a lazy group."""

    target: str
    """`module:attribute`: a typer.Typer (mounted as a group) or a function (mounted as a command)."""
    summary: str
    """The first paragraph of the command's help, listed by the group's `--help` without an import."""


ROOT: dict[str, Mount] = {  # in the order `vigil --help` lists them
    "investigate": Mount("agent.cli.investigate:investigate",
                         "Investigate a question or an alert and print the report."),
    "demo": Mount("agent.cli.demo:demo",
                  "Investigate a bundled incident end to end, offline; with no model configured, runbook-only."),
    "eval": Mount("agent.cli.eval:eval_command", "Investigate each bundle with each model and score the reports: "
                  "verdict, cost, time; exit 1 on a leak."),
    "index": Mount("mcp_servers.codegraph.cli:index_cmd", "Index PATH (incremental by content hash; `--commit REV` "
                   "indexes a commit from git's objects)."),
    "rollback": Mount("agent.cli.gitops:rollback_command",
                      "Open the pull request that reverts a proposal, restoring the files' previous content."),
    "usage": Mount("agent.cli.usage:usage",
                   "Print spend by team, model and day, and each team's use of today's budget."),
    "scan": Mount("agent.cli.scan:scan",
                  "Scan the cluster (or a bundle) for known problems, without a model; most severe first."),
    "config": Mount("agent.cli.config:config_app", "Check the configuration."),
    "policy": Mount("agent.cli.policy:policy_app",
                    "Evaluate actions against a policy file (for policy authors and CI)."),
    "audit": Mount("agent.cli.audit:audit_app", "Verify and read the tamper-evident audit log."),
    "runbooks": Mount("agent.cli.runbooks:app", "List, show, lint and match runbooks."),
    "llm": Mount("agent.cli.llm:app", "LLM providers: check the configured model and show the price table."),
    "replay": Mount("mcp_servers.kubernetes.cli:replay_app",
                    "Serve an incident bundle over the Kubernetes API (read-only)."),
    "bundle": Mount("agent.cli.bundle:bundle_app",  # validate (kubernetes.cli) + capture
                    "Incident bundles: check them."),
    "code": Mount("mcp_servers.codegraph.cli:code_app", "Ask the code knowledge graph: callers, impact, stack traces."),
    "gitops": Mount("agent.cli.gitops:app",
                    "GitOps pull requests: propose a fix, preview it, find where a workload lives."),
    "serve": Mount("agent.cli.serve:serve_app",
                   "Run the webhook, Slack and health endpoints with durable job workers."),
    "jobs": Mount("agent.cli.jobs:jobs_app", "List, inspect and retry queued investigations."),
    "approvals": Mount("agent.cli.approvals:app",
                       "List and decide pending approvals (pull requests waiting for a person)."),
    "mcp": Mount("agent.cli.mounts:mcp_app",
                 "Run one of Vigil's MCP servers (stdio by default; --http for streamable HTTP)."),
}

MCP_SERVERS: dict[str, Mount] = {
    "kubernetes": Mount("mcp_servers.kubernetes.cli:app",
                        "Kubernetes MCP server (read-only tools with health-first answers)."),
    "prometheus": Mount("mcp_servers.prometheus.cli:app",
                        "Prometheus MCP server (read-only PromQL tools with anomaly-first answers)."),
    "loki": Mount("mcp_servers.loki.cli:app",
                  "Loki MCP server (read-only LogQL tools answering with mined log templates)."),
    "codegraph": Mount("mcp_servers.codegraph.cli:mcp_app", "Code knowledge graph MCP server."),
    "gitops": Mount("mcp_servers.gitops.cli:app",
                    "GitOps MCP server (propose_change: a fix as a pull request, after a human approves)."),
    "investigate": Mount("mcp_servers.investigate.cli:app",
                         "The `investigate` MCP tool: a whole Vigil investigation in one call."),
}


def load_target(target: str) -> Any:
    """The object a Mount names (imports its module)."""
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)


class LazyGroup(TyperGroup):
    """A typer group whose commands come from a Mount table and are built on first use.

    `--help` lists the table's summaries; `get_command` imports the module behind one command and
    builds it exactly as `add_typer`/`command` would have (same help, options and markup mode).
    """

    mounts: ClassVar[dict[str, Mount]] = {}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.suggest_typos = self.suggest_commands
        # kept apart: resolve_command turns typer's own suggestions off while it makes its own

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*self.mounts, *(name for name in self.commands if name not in self.mounts)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.mounts:
            self.commands[cmd_name] = self._build(cmd_name, load_target(self.mounts[cmd_name].target))
        return self.commands.get(cmd_name)

    def _build(self, name: str, target: Any) -> click.Command:
        if isinstance(target, typer.Typer):
            return get_group_from_info(TyperInfo(target, name=name), pretty_exceptions_short=True,
                                       suggest_commands=self.suggest_typos, rich_markup_mode=self.rich_markup_mode)
        return get_command_from_info(CommandInfo(name=name, callback=target), pretty_exceptions_short=True,
                                     rich_markup_mode=self.rich_markup_mode)

    def _summary(self, ctx: click.Context, name: str, limit: int) -> str | None:
        """A command's short help; None for a hidden one. Reads the table unless the command is built."""
        if name in self.commands:
            command = self.commands[name]
            return None if command.hidden else command.get_short_help_str(limit)
        if name in self.mounts:
            return make_default_short_help(self.mounts[name].summary, limit)
        return None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = [(name, summary) for name in names if (summary := self._summary(ctx, name, limit)) is not None]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[CompletionItem]:
        items = [CompletionItem(name, help=summary) for name in self.list_commands(ctx)
                 if name.startswith(incomplete) and (summary := self._summary(ctx, name, 45)) is not None]
        return [*items, *click.Command.shell_complete(self, ctx, incomplete)]

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[str | None, click.Command | None,
                                                                             list[str]]:
        """As typer's, but a typo is matched against every mounted name, loaded or not."""
        self.suggest_commands = False  # typer would only match the commands loaded so far
        try:
            return super().resolve_command(ctx, args)
        except UsageError as exc:
            matches = get_close_matches(args[0], self.list_commands(ctx)) if self.suggest_typos and args else []
            if matches:
                exc.message = f"{exc.message.rstrip('.')}. Did you mean {', '.join(repr(m) for m in matches)}?"
            raise
        finally:
            self.suggest_commands = self.suggest_typos


class RootGroup(LazyGroup):
    """`vigil`."""

    mounts = ROOT


class McpGroup(LazyGroup):
    """`vigil mcp`."""

    mounts = MCP_SERVERS


mcp_app = typer.Typer(cls=McpGroup, help=ROOT["mcp"].summary, no_args_is_help=True)
