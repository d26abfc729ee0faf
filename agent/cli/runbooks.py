"""`vigil runbooks list|show|lint|match`: the runbook catalog from the terminal.

Mounted by the main CLI as `vigil runbooks`. Every command takes `--dir` (repeatable) to work on
runbooks outside the configured catalog, e.g. a directory of drafts before they ship.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from agent.incident import Incident, IncidentError, from_payload, from_text
from agent.runbooks.catalog import Catalog, default_dirs
from agent.runbooks.lint import errors, lint_paths, runbook_files
from agent.runbooks.plan import plan_calls

app = typer.Typer(help="List, show, lint and match runbooks.", no_args_is_help=True)
console = Console()

DirsOption = Annotated[
    list[Path] | None,
    typer.Option("--dir", "-d", help="Runbook directory (repeatable); default: VIGIL_RUNBOOKS then the shipped ones."),
]


def _dirs(dirs: list[Path] | None) -> list[Path]:
    return list(dirs) if dirs else default_dirs()


def _incident(question: str | None, alert: Path | None) -> list[Incident]:
    if alert is not None:
        try:
            payload = json.loads(alert.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise typer.BadParameter(f"cannot read {alert}: {exc}", param_hint="--alert") from None
        try:
            return from_payload(payload)
        except IncidentError as exc:
            raise typer.BadParameter(f"{alert}: {exc}", param_hint="--alert") from None
    if question:
        return [from_text(question)]
    raise typer.BadParameter("give a QUESTION or --alert FILE")


@app.command("list")
def list_runbooks(
    dirs: DirsOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List the runbooks in the catalog."""
    catalog = Catalog.load(_dirs(dirs))
    if as_json:
        rows = [{"id": r.id, "title": r.title, "severity": r.severity, "version": r.version, "owner": r.owner,
                 "alertnames": r.match.alertnames, "path": r.path} for r in catalog.runbooks]
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table(title=f"{len(catalog.runbooks)} runbooks")
    for column in ("id", "title", "severity", "alert names", "calls", "rules"):
        table.add_column(column)
    for r in catalog.runbooks:
        names = ", ".join(r.match.alertnames[:3]) + (" ..." if len(r.match.alertnames) > 3 else "")
        if r.match.fallback:
            names = "(fallback)"
        calls = sum(1 for s in r.steps if s.call)
        table.add_row(r.id, escape(r.title), r.severity, escape(names), str(calls), str(len(r.rules)))
    console.print(table)
    skipped = errors(catalog.issues)
    if skipped:
        console.print(f"[yellow]{len({i.path for i in skipped})} file(s) left out with lint errors; "
                      "run `vigil runbooks lint`.[/yellow]")


@app.command()
def show(
    runbook_id: Annotated[str, typer.Argument(help="Runbook id, e.g. oomkilled.")],
    question: Annotated[
        str | None, typer.Option("--question", "-q", help="Fill the tool calls from this text.")
    ] = None,
    alert: Annotated[Path | None, typer.Option("--alert", help="Fill the tool calls from this alert JSON.")] = None,
    dirs: DirsOption = None,
) -> None:
    """Show a runbook: its steps and tool calls (filled in when given an incident), rules, remediations."""
    catalog = Catalog.load(_dirs(dirs))
    runbook = catalog.get(runbook_id)
    if runbook is None:
        known = ", ".join(r.id for r in catalog.runbooks)
        console.print(f"[red]no runbook {escape(runbook_id)!r}[/red]; known: {escape(known)}")
        raise typer.Exit(1)
    console.print(f"[bold]{escape(runbook.title)}[/bold]  ({runbook.id} v{runbook.version}, owner "
                  f"{escape(runbook.owner)}, {runbook.severity})  {escape(runbook.path)}")
    if runbook.description:
        console.print(escape(runbook.description))
    planned = None
    if question or alert:
        planned = plan_calls(runbook, _incident(question, alert)[0])
    console.print("\n[bold]Steps[/bold]")
    for number, step in enumerate(runbook.steps, 1):
        console.print(f"{number}. [cyan]{step.id}[/cyan] {escape(step.title)}")
        if step.call is None:
            continue
        if planned is None:
            console.print(f"   {step.call.tool} {escape(json.dumps(step.call.arguments))}")
            continue
        call = next((c for c in planned.calls if c.step_id == step.id), None)
        skip = next((s for s in planned.skipped if s.step_id == step.id), None)
        if call:
            console.print(f"   {call.tool} {escape(json.dumps(call.arguments))}")
        elif skip:
            console.print(f"   [yellow]{escape(skip.reason)}[/yellow]")
    if runbook.rules:
        console.print("\n[bold]Conclusion rules[/bold]")
        for rule in runbook.rules:
            remedy = f" -> {rule.remediation}" if rule.remediation else ""
            console.print(f"- {rule.id} ({rule.confidence:.2f}){remedy}: {escape(rule.title)}")
    if runbook.remediations:
        console.print("\n[bold]Remediations[/bold]")
        for template in runbook.remediations.values():
            console.print(f"- {template.id}: {template.action}")


@app.command()
def lint(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Runbook files or directories; default: the catalog.")
    ] = None,
    strict: Annotated[bool, typer.Option(help="Fail on warnings too.")] = False,
    policy: Annotated[Path | None, typer.Option(help="Check every step against this policy "
                                                     "(default: the shipped policy).")] = None,
) -> None:
    """Check runbooks: front matter, tools, templates, rules, and each step against the policy. Exit 1 on errors."""
    from agent.runbooks.lint_policy import lint_against_policy, policy_name
    from agent.runbooks.parser import parse_file
    from guardrails.pipeline import default_policy_path
    from guardrails.policy import PolicyError, load_policy

    targets = list(paths) if paths else [d for d in default_dirs() if d.exists()]
    missing = [p for p in targets if not p.exists()]
    if missing:
        console.print(f"[red]no such file or directory: {escape(', '.join(map(str, missing)))}[/red]")
        raise typer.Exit(2)
    try:
        loaded = load_policy(policy or default_policy_path())
    except PolicyError as exc:
        console.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(2) from exc
    issues = lint_paths(targets)
    parsed = [r.runbook for r in map(parse_file, runbook_files(targets)) if r.runbook is not None]
    issues += lint_against_policy(parsed, loaded, policy_name(policy))
    for issue in issues:
        colour = "red" if issue.level == "error" else "yellow"
        console.print(f"[{colour}]{escape(str(issue))}[/{colour}]", soft_wrap=True)
    count = len(runbook_files(targets))
    n_err = len(errors(issues))
    n_warn = len(issues) - n_err
    console.print(f"{count} runbook(s): {n_err} error(s), {n_warn} warning(s)")
    if n_err or (strict and n_warn):
        raise typer.Exit(1)


@app.command("match")
def match_command(
    question: Annotated[str | None, typer.Argument(help="Free-text description of the incident.")] = None,
    alert: Annotated[Path | None, typer.Option("--alert", help="Alertmanager or PagerDuty webhook JSON.")] = None,
    limit: Annotated[int, typer.Option(help="Show at most this many runbooks per incident.")] = 5,
    dirs: DirsOption = None,
) -> None:
    """Which runbooks fit an incident, best first, and why."""
    catalog = Catalog.load(_dirs(dirs))
    for incident in _incident(question, alert):
        labels = ", ".join(f"{k}={v}" for k, v in sorted(incident.labels.items())) or "none"
        console.print(f"[bold]{escape(incident.title)}[/bold]  labels: {escape(labels)}")
        table = Table()
        for column in ("runbook", "score", "why"):
            table.add_column(column)
        for found in catalog.match(incident, limit=limit):
            table.add_row(found.runbook.id, f"{found.score:g}", escape("; ".join(found.reasons)))
        console.print(table)
