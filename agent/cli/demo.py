"""`vigil demo`: the README's first command."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from agent.cli.investigate import load_or_exit

out = Console(soft_wrap=True)


def demo(
    scenario: Annotated[str | None, typer.Argument(
        help="A bundled scenario (default checkout-oom) or the path of any bundle directory.")] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Approve the pull request in advance (recorded).")] = False,
    no_pr: Annotated[bool, typer.Option("--no-pr", help="Stop after the report.")] = False,
    fmt: Annotated[str, typer.Option("--format", help="rich, markdown or json.")] = "rich",
    list_scenarios: Annotated[bool, typer.Option("--list", help="List the bundled scenarios.")] = False,
    config: Annotated[Path | None, typer.Option("--config", "-c", help="vigil.yaml (for the model).")] = None,
) -> None:
    """Investigate a bundled incident end to end, offline; with no model configured, runbook-only."""
    from agent.demo import DEFAULT_SCENARIO, resolve_bundle, run_demo, scenarios
    from agent.incident import IncidentError
    from mcp_servers.common.bundle import BundleError

    available = scenarios()
    if list_scenarios:
        for name in available:
            out.print(name)
        return
    try:
        chosen = resolve_bundle(scenario or DEFAULT_SCENARIO)
    except ValueError as exc:
        out.print(f"[red]error[/red] {exc}", highlight=False)
        raise typer.Exit(2) from exc
    cfg = load_or_exit(config)
    log = out if fmt == "rich" else Console(stderr=True, soft_wrap=True)  # keep stdout to the report for json/markdown
    try:
        asyncio.run(run_demo(chosen, config=cfg, approve=yes, out=out, fmt=fmt, propose_change=not no_pr, log=log))
    except (BundleError, IncidentError) as exc:
        out.print(f"[red]error[/red] {exc}", highlight=False)
        raise typer.Exit(2) from exc
