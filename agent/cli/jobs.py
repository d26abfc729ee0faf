"""`vigil jobs`: look into (and unstick) the durable job queue that `vigil serve` works from.

The queue and its settings come from the same config and serve settings as `vigil serve`, so the
options and their loading are shared with agent/cli/serve.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markdown import Markdown
from rich.table import Table

from agent.cli.serve import ConfigOption, QueueOption, SettingsOption, load_settings
from agent.listing import ListFormat, choose, plain_rows
from agent.queue import JobQueue, QueueError, open_queue
from agent.queue.model import STATES, JobState

console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

jobs_app = typer.Typer(help="List, inspect and retry queued investigations.", no_args_is_help=True,
                       rich_markup_mode=None)


def _queue(config: Path | None, settings: Path | None, queue_url: str | None) -> JobQueue:
    cfg, serve_settings = load_settings(config, settings)
    try:
        return open_queue(queue_url or serve_settings.queue_url_for(cfg.state_dir))
    except QueueError as exc:
        err.print(f"[red]error[/red] {exc}", highlight=False)
        raise typer.Exit(2) from exc


@jobs_app.command("list")
def jobs_list(
    state: Annotated[list[str] | None, typer.Option(help="Only these states (repeatable): "
                                                    + ", ".join(STATES))] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 30,
    fmt: Annotated[ListFormat | None, typer.Option("--format", help="table (default on a terminal), plain "
                                                   "(tab-separated, default when piped) or json (JSON lines)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
    config: ConfigOption = None, settings: SettingsOption = None, queue_url: QueueOption = None,
) -> None:
    """The newest jobs with their state, attempts and last error (dead letters: --state dead)."""
    fmt = choose(ListFormat.json if as_json else fmt, console)
    bad = [s for s in state or [] if s not in STATES]
    if bad:
        err.print(f"[red]error[/red] unknown state {', '.join(bad)}; use one of {', '.join(STATES)}")
        raise typer.Exit(2)
    queue = _queue(config, settings, queue_url)
    states: tuple[JobState, ...] | None = tuple(state) if state else None  # type: ignore[arg-type]
    jobs = queue.list(states, limit)
    if fmt is ListFormat.json:
        for job in jobs:
            data = job.to_dict()
            data.pop("result", None)
            typer.echo(json.dumps(data, default=str))
        return
    counts = queue.counts()
    if fmt is ListFormat.plain:
        header = ["job", "state", "kind", "source", "incident", "tries", "dup", "created", "last_error"]
        typer.echo(plain_rows(header, [
            [job.id, job.state, job.kind, job.source, (job.payload.get("incident") or {}).get("title"),
             f"{job.attempts}/{job.max_attempts}", job.deliveries - 1, job.created_at.isoformat(timespec="seconds"),
             job.last_error] for job in jobs]))
        return
    table = Table(box=None)
    for column in ("job", "state", "kind", "source"):
        table.add_column(column, no_wrap=True)
    for column in ("incident", "tries", "dup", "created", "last error"):
        table.add_column(column)
    colour = {"done": "green", "dead": "red", "running": "cyan", "queued": "yellow", "cancelled": "dim"}
    for job in jobs:
        title = str(((job.payload.get("incident") or {}).get("title")) or "")[:40]
        table.add_row(job.id, f"[{colour[job.state]}]{job.state}[/]", job.kind, job.source, title,
                      f"{job.attempts}/{job.max_attempts}", str(job.deliveries - 1),
                      job.created_at.strftime("%m-%d %H:%M:%S"), (job.last_error or "")[:60])
    console.print(table)
    console.print(" · ".join(f"{k} {v}" for k, v in counts.items()), style="dim")


@jobs_app.command("show")
def jobs_show(
    job_id: Annotated[str, typer.Argument(help="The job id (job_...).")],
    as_json: Annotated[bool, typer.Option("--json", help="The whole job as JSON.")] = False,
    config: ConfigOption = None, settings: SettingsOption = None, queue_url: QueueOption = None,
) -> None:
    """One job: its state and history fields, and the report when it has one."""
    job = _queue(config, settings, queue_url).get(job_id)
    if job is None:
        err.print(f"[red]error[/red] no job {job_id}; `vigil jobs list` shows the ids")
        raise typer.Exit(1)
    if as_json:
        typer.echo(json.dumps(job.to_dict(), indent=2, default=str))
        return
    incident = job.payload.get("incident") or {}
    console.print(f"[bold]{job.id}[/bold] {job.state} · {job.kind} from {job.source} · attempts "
                  f"{job.attempts}/{job.max_attempts} · {job.deliveries} deliveries · incident status "
                  f"{job.incident_status}", highlight=False)
    console.print(f"incident: {incident.get('title', '')} (fingerprint {job.dedupe_key})", highlight=False)
    if job.last_error:
        console.print(f"[red]last error[/red] {job.last_error}", highlight=False)
    markdown = (job.result or {}).get("markdown")
    if markdown:
        console.print(Markdown(markdown))
        delivered = (job.result or {}).get("delivered") or []
        console.print(f"delivered to: {', '.join(delivered) or 'nowhere yet'}", style="dim")


@jobs_app.command("retry")
def jobs_retry(
    job_id: Annotated[str, typer.Argument(help="A dead or cancelled job.")],
    config: ConfigOption = None, settings: SettingsOption = None, queue_url: QueueOption = None,
) -> None:
    """Put a dead-lettered (or cancelled) job back in the queue with fresh attempts."""
    if not _queue(config, settings, queue_url).retry(job_id):
        err.print(f"[red]error[/red] {job_id} is not dead or cancelled (or does not exist); nothing changed")
        raise typer.Exit(1)
    console.print(f"[green]queued[/green] {job_id} again")


@jobs_app.command("stats")
def jobs_stats(config: ConfigOption = None, settings: SettingsOption = None, queue_url: QueueOption = None) -> None:
    """How many jobs are in each state."""
    for state, count in _queue(config, settings, queue_url).counts().items():
        console.print(f"{state:<10} {count}")
