"""`vigil audit`: verify and read the tamper-evident audit log."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

audit_app = typer.Typer(help="Verify and read the tamper-evident audit log.", no_args_is_help=True)


@audit_app.command("verify")
def audit_verify(
    path: Annotated[Path, typer.Argument(help="The audit log (audit.jsonl).")],
    key_file: Annotated[Path | None, typer.Option(help="The HMAC key file (default: the config's audit.key_file, "
                                                       "$VIGIL_AUDIT_KEY, or audit.key beside the log).")] = None,
    anchor: Annotated[bool, typer.Option("--anchor", help="Also check the newest anchored head (audit.anchor_url "
                                                          "or $VIGIL_AUDIT_ANCHOR): catches a rollback.")] = False,
    anchor_url: Annotated[str | None, typer.Option(help="Check against this anchor store instead.")] = None,
    require_key: Annotated[bool, typer.Option(help="Fail on an unkeyed (legacy) log.")] = False,
) -> None:
    """Exit 0 when the keyed chain and signed head are intact; 1 naming the first bad record; 2 for a key problem."""
    import os

    from guardrails.audit import ANCHOR_ENV, verify

    configured = _audit_settings()
    url = anchor_url or ((configured.anchor_url if configured else None) or os.environ.get(ANCHOR_ENV)
                         if anchor else None)
    if anchor and not url:
        err.print(f"[red]error[/red] --anchor needs audit.anchor_url in the config or ${ANCHOR_ENV}", highlight=False)
        raise typer.Exit(2)
    result = verify(path, key_file=key_file or (configured.key_file if configured else None),
                    require_keyed=require_key, anchor=url)
    if result.warning:
        err.print(f"[yellow]warning[/yellow] {result.warning}", highlight=False)
    if result.ok:
        anchored = ", anchor checked" if url else ""
        console.print(f"[green]intact[/green] {path}: {result.records} records, {result.keyed or 'empty'}, chain and "
                      f"signed head verified{anchored}", highlight=False)
        return
    if result.key_problem:
        err.print(f"[red]KEY[/red] {path}: {result.problem}", highlight=False)
        raise typer.Exit(2)
    err.print(f"[red]TAMPERED[/red] {path}: {result.problem} ({result.records} records verified before it)",
              highlight=False)
    raise typer.Exit(1)


def _audit_settings() -> Any:
    """The config's `audit:` section when a config loads, else None (verifying needs no config)."""
    from agent.config import ConfigError, load_config

    try:
        return load_config(None).audit
    except (ConfigError, OSError):
        return None


@audit_app.command("show")
def audit_show(
    path: Annotated[Path, typer.Argument(help="The audit log (audit.jsonl).")],
    run: Annotated[str | None, typer.Option(help="Only this run id.")] = None,
    denied: Annotated[bool, typer.Option(help="Only denials.")] = False,
    last: Annotated[int, typer.Option(help="Show the last N records (0 = all).")] = 50,
) -> None:
    """Print the log as a readable table."""
    from rich.table import Table

    from guardrails.audit import AuditLog

    records = [r for r in AuditLog(path).records()
               if (run is None or r.get("run_id") == run) and (not denied or r.get("allowed") is False)]
    if last:
        records = records[-last:]
    table = Table("seq", "time", "kind", "where", "actor", "tool", "verdict", "reason", box=None)
    for r in records:
        verdict = "" if "allowed" not in r else ("[green]allow[/green]" if r["allowed"] else "[red]deny[/red]")
        reason = r.get("reason") or (f"result sha256 {r['sha256'][:12]}…" if r.get("sha256") else r.get("summary", ""))
        table.add_row(str(r["seq"]), str(r.get("ts", ""))[:19], str(r.get("kind", "")), str(r.get("where", "")),
                      str(r.get("actor", "")), str(r.get("tool", "")), verdict, str(reason))
    console.print(table)
