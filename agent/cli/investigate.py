"""`vigil investigate`: a question or an alert file in, a report out (rich, Markdown or JSON).

`--propose` then proposes the report's fix as a pull request through `vigil gitops from-report`, the
one CLI path to agent/gitops/from_report.py: asked at this terminal, `--yes` to approve in advance,
`--pending` to file it for another person (`vigil approvals approve ID`)."""

from __future__ import annotations

import asyncio
import getpass
import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from rich.console import Console

if TYPE_CHECKING:  # loaded inside the functions, so `vigil investigate --help` needs none of them
    from agent.config import Config
    from agent.incident import Incident
    from agent.report import Report

console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

Format = Literal["rich", "markdown", "json"]


def incident_from_file(path: Path) -> Incident:
    """An Alertmanager v4 or PagerDuty v3 webhook payload, recognised by its shape."""
    from agent.incident import IncidentError, from_payload

    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IncidentError(str(path), f"cannot read a JSON payload: {exc}") from exc
    return from_payload(payload)[0]


def parse_at(text: str, now: datetime | None = None) -> datetime:
    """`--at`: RFC 3339, or a time relative to `now` such as `-2h` or `-1h30m` (also `now-2h`)."""
    from guardrails.timeparse import parse_time

    text = text.strip()
    return parse_time(f"now{text}" if text.startswith("-") else text, now)


class ProgressPrinter:
    """Live progress lines: which runbook, which calls ran, each model turn."""

    def __init__(self, out: Console) -> None:
        self.out = out

    def __call__(self, event: str, details: dict[str, Any]) -> None:
        if event == "runbook":
            why = "; ".join(details.get("reasons") or [])
            self.out.print(f"[cyan]runbook[/cyan] {details.get('id') or 'none'}" + (f"  ({why})" if why else ""),
                           highlight=False)
        elif event == "survey":
            self.out.print(f"[cyan]survey[/cyan] {details['calls']} calls (scan, changes, topology, logs): "
                           f"{details['suspects']} suspect(s)", highlight=False)
            for call in details.get("outcomes") or []:
                self("tool", call)
        elif event == "prefetch":
            self.out.print(f"[cyan]prefetch[/cyan] {len(details['calls'])} runbook calls in parallel", highlight=False)
        elif event == "tool":
            mark = "[green]ok[/green]" if details["ok"] else "[red]failed[/red]"
            step = f" (step {details['step']})" if details.get("step") else ""
            self.out.print(f"  {details['id']:>4} {details['tool']}{step} {mark}", highlight=False)
        elif event == "skipped":
            self.out.print(f"  [yellow]skip[/yellow] {details['step']}: {details['reason']}", highlight=False)
        elif event == "model":
            self.out.print(f"[magenta]model[/magenta] turn {details['turn']}: {details['tool_calls']} tool calls, "
                           f"{details['tokens']} tokens", highlight=False)


def print_report(report: Report, fmt: Format, out: Console = console) -> None:
    if fmt == "json":
        out.print_json(report.to_json())
    elif fmt == "markdown":
        out.print(report.to_markdown(), markup=False, highlight=False)
    else:
        out.print(report.render_rich())


def load_or_exit(config_file: Path | None) -> Config:
    from agent.config import ConfigError, load_config

    try:
        return load_config(config_file)
    except ConfigError as exc:
        for problem in exc.problems:
            err.print(f"[red]config error[/red] {problem}", highlight=False)
        raise typer.Exit(2) from exc


def investigate(
    question: Annotated[str | None, typer.Argument(help="What is wrong, in words.")] = None,
    alert: Annotated[Path | None, typer.Option(help="An Alertmanager or PagerDuty webhook JSON file.")] = None,
    label: Annotated[list[str], typer.Option(help="Extra label KEY=VALUE (namespace, pod, cluster…).")] = [],  # noqa: B006
    fmt: Annotated[str, typer.Option("--format", help="rich, markdown or json.")] = "rich",
    config: Annotated[Path | None, typer.Option("--config", "-c", help="vigil.yaml")] = None,
    bundle: Annotated[Path | None, typer.Option(
        help="Investigate this incident bundle, served locally (replayed cluster, its metrics, its code).")] = None,
    at: Annotated[str | None, typer.Option(
        help="When the incident started: RFC 3339 or relative like -2h (to now; with --bundle, to its "
             "incident time). Every query window counts from it.")] = None,
    propose: Annotated[bool, typer.Option(
        "--propose", help="Then propose the report's fix as a pull request (as `vigil gitops from-report` does; "
                          "the config's gitops: section names the repository).")] = False,
    pending: Annotated[bool, typer.Option(
        help="With --propose: file the fix for another person to approve (`vigil approvals approve ID`) "
             "instead of asking here.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="With --propose: approve the fix in advance (recorded "
                                                          "as such).")] = False,
) -> None:
    """Investigate a question or an alert and print the report."""
    from agent.incident import IncidentError, from_text
    from agent.runtime import investigate_incident
    from guardrails.action import Actor

    if fmt not in ("rich", "markdown", "json"):
        err.print("[red]error[/red] --format is one of rich, markdown, json")
        raise typer.Exit(2)
    if question and alert:
        err.print("[red]error[/red] give a question or --alert FILE, not both")
        raise typer.Exit(2)
    if not (question or alert or bundle):
        err.print("[red]error[/red] give a question or --alert FILE (or --bundle DIR, which may carry its own)")
        raise typer.Exit(2)
    if (pending or yes) and not propose:
        err.print("[red]error[/red] --pending and --yes decide a proposed fix: add --propose")
        raise typer.Exit(2)
    if propose and fmt == "json":
        err.print("[red]error[/red] --propose prints the diff and the outcome after the report, which would not "
                  "be JSON: write the report with --format json, then `vigil gitops from-report FILE`")
        raise typer.Exit(2)
    labels = {}
    for item in label:
        key, sep, value = item.partition("=")
        if not sep or not key:
            err.print(f"[red]error[/red] --label takes KEY=VALUE, got {item!r}")
            raise typer.Exit(2)
        labels[key.strip()] = value.strip()
    cfg = load_or_exit(config)
    progress = ProgressPrinter(err) if fmt == "rich" else None
    actor = Actor(name=getpass.getuser(), origin="cli", team=cfg.team)
    if bundle is not None:
        report = _investigate_bundle(bundle, question, alert, labels, at, cfg, actor, progress)
        print_report(report, fmt)  # type: ignore[arg-type]
        if propose:
            propose_fix(report, config, pending=pending, yes=yes)
        return
    try:
        incident = incident_from_file(alert) if alert else from_text(question or "", labels)
        if at:
            incident.started_at = parse_at(at)
    except (IncidentError, ValueError) as exc:
        err.print(f"[red]error[/red] {exc}", highlight=False)
        raise typer.Exit(2) from exc
    if alert and labels:
        incident.labels.update(labels)
    report = asyncio.run(investigate_incident(incident, cfg, actor=actor, progress=progress))
    print_report(report, fmt)  # type: ignore[arg-type]
    if propose:
        propose_fix(report, config, pending=pending, yes=yes)


def propose_fix(report: Report, config: Path | None, *, pending: bool, yes: bool) -> None:
    """`--propose`: hand the report to `vigil gitops from-report` itself (through a scratch file, as a
    person would), so the approver, the pending request, the output and the exit status are that
    command's. A report without a remediation exits 1 there, saying so."""
    import tempfile

    from agent.cli.gitops import from_report_command

    with tempfile.TemporaryDirectory(prefix="vigil-report-") as work:
        path = Path(work) / "report.json"
        path.write_text(report.to_json(), encoding="utf-8")
        from_report_command(path, pending=pending, yes=yes, approver=None, config=config)


def _investigate_bundle(path: Path, question: str | None, alert: Path | None, labels: dict[str, str],
                        at: str | None, cfg: Config, actor: Any, progress: ProgressPrinter | None) -> Report:
    """`--bundle`: serve the bundle the way the demo does and investigate it at its incident time."""
    import tempfile

    from agent.demo import bundle_incident, serve_bundle
    from agent.incident import IncidentError
    from agent.runtime import investigate_incident
    from mcp_servers.common.bundle import Bundle, BundleError

    try:
        loaded = Bundle.load(path)
        if alert:
            incident = incident_from_file(alert)
            incident.labels.update(labels)
        else:
            incident = bundle_incident(loaded, question, labels)
        if at:
            incident.started_at = parse_at(at, loaded.incident_time)
    except (BundleError, IncidentError, ValueError) as exc:
        err.print(f"[red]error[/red] {exc}", highlight=False)
        raise typer.Exit(2) from exc
    with tempfile.TemporaryDirectory(prefix="vigil-bundle-") as work, \
            serve_bundle(loaded, cfg, Path(work), incident, progress.out if progress else err) as served:
        return asyncio.run(investigate_incident(incident, served, actor=actor, progress=progress))
