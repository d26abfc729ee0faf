"""`vigil bundle capture`: joins the `vigil bundle` group (validate lives with the replay server).

Importing this module adds the command to that group; agent/cli/mounts.py mounts the group from here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from mcp_servers.kubernetes.cli import bundle_app

err = Console(stderr=True, soft_wrap=True)

__all__ = ["bundle_app"]


@bundle_app.command("capture")
def bundle_capture(
    out: Annotated[Path, typer.Argument(help="The new bundle directory.")],
    context: Annotated[str | None, typer.Option(help="kubeconfig context (default: the current one).")] = None,
    namespace: Annotated[list[str], typer.Option("--namespace", "-n", help="A namespace to capture; repeat.")
                         ] = [],  # noqa: B006
    since: Annotated[str, typer.Option(help="How far back logs and metrics go, e.g. 2h, 90m.")] = "2h",
    prometheus: Annotated[str | None, typer.Option(help="Prometheus URL to read the runbooks' series from.")] = None,
    loki: Annotated[str | None, typer.Option(help="Loki URL to read the namespaces' lines from.")] = None,
    repo: Annotated[Path | None, typer.Option(help="A git checkout of the service's code, copied into code/.")
                    ] = None,
    alert: Annotated[list[Path], typer.Option(help="An Alertmanager or PagerDuty payload to include; repeat.")
                     ] = [],  # noqa: B006
    kubeconfig: Annotated[Path | None, typer.Option(help="kubeconfig file (default $KUBECONFIG).")] = None,
    until: Annotated[str | None, typer.Option(help="The capture's end, RFC 3339 (default now).")] = None,
    incident_time: Annotated[str | None, typer.Option(help="When the incident started (default --until).")] = None,
    question: Annotated[str | None, typer.Option(help="The question to ask when replaying without an alert.")
                        ] = None,
) -> None:
    """Capture a live incident as a bundle: objects, logs, rollout history, metrics, alerts, code."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from agent.bundle_capture import (
        CAPTURED_METRICS,
        CLUSTER_KINDS,
        NAMESPACED_KINDS,
        CaptureError,
        CaptureOptions,
        capture,
    )
    from guardrails.timeparse import parse_duration, parse_time
    from mcp_servers.common.bundle import validate_bundle
    from mcp_servers.kubernetes.client import KubeError

    if not namespace:
        err.print("[red]error[/red] name at least one --namespace to capture")
        raise typer.Exit(2)
    try:
        window = parse_duration(since)
        end = parse_time(until) if until else None
        started = parse_time(incident_time) if incident_time else None
    except ValueError as exc:
        err.print(f"[red]error[/red] {exc}", highlight=False)
        raise typer.Exit(2) from exc
    for path in [*alert, *([repo] if repo else [])]:
        if not path.exists():
            err.print(f"[red]error[/red] {path} does not exist", highlight=False)
            raise typer.Exit(2)
    from datetime import timedelta

    options = CaptureOptions(out=out, namespaces=list(dict.fromkeys(namespace)), since=timedelta(seconds=window),
                             context=context, kubeconfig=str(kubeconfig) if kubeconfig else None,
                             prometheus=prometheus, loki=loki, repo=repo, alerts=alert, until=end,
                             incident_time=started, question=question)
    total = len(CLUSTER_KINDS) + len(NAMESPACED_KINDS) * len(options.namespaces) + (
        len(CAPTURED_METRICS) if prometheus else 0) + (len(options.namespaces) if loki else 0)
    with Progress(TextColumn("{task.description:<48.48}"), BarColumn(), TimeElapsedColumn(), console=err,
                  transient=True) as bar:
        task = bar.add_task("capturing", total=total)

        def tick(what: str, n: int) -> None:
            if not what.startswith("logs "):  # pods are not counted up front: their number is known late
                bar.update(task, advance=n)
            bar.update(task, description=what)

        try:
            summary = capture(options, tick)
        except (CaptureError, KubeError) as exc:
            err.print(f"[red]error[/red] {exc}", highlight=False)
            raise typer.Exit(1) from exc
    for note in summary.skipped:
        err.print(f"[yellow]skipped[/yellow] {note}", highlight=False)
    errors = [p for p in validate_bundle(out) if p.severity == "error"]
    err.print(f"[green]captured[/green] {out}: {summary.objects} objects, {summary.log_files} log files, "
              f"{summary.series} series ({summary.samples} samples), {summary.loki_lines} Loki lines", highlight=False)
    for problem in errors:
        err.print(f"[red]invalid[/red] {problem}", highlight=False)
    if errors:
        raise typer.Exit(1)
