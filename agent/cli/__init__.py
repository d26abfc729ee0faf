"""The `vigil` command line: one typer app, one module per command group in this package.

typer was chosen because commands are plain typed functions (the same habit as the MCP tools) and
it gives shell completion and `--help` for free; rich renders tables and colour. Commands load
lazily (mounts.LazyGroup, its table in agent/cli/mounts.py), so this module imports only what
`vigil --help` and `--version` need; each group's module (agent/cli/config.py, policy.py, audit.py,
investigate.py, ...) is imported when its command runs.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from agent.cli.mounts import RootGroup

app = typer.Typer(
    cls=RootGroup,
    name="vigil",
    help="Vigil: an agentic SRE assistant. Runbook-driven investigations over read-only tools, "
    "behind five guardrail layers.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
console = Console(soft_wrap=True)


def _version(value: bool) -> None:
    if value:
        from importlib import metadata

        console.print(f"vigil {metadata.version('vigil-sre')}")
        raise typer.Exit()


@app.callback()
def main_callback(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Vigil."""


def main() -> None:
    app()
