"""The `vigil` command line: one typer app; each area's commands join it in agent/cli_mounts.py.

typer was chosen because commands are plain typed functions (the same habit as the MCP tools) and
it gives shell completion and `--help` for free; rich renders tables and colour. Commands load
lazily (cli_mounts.LazyGroup), so this module imports only what `vigil --help` and `--version`
need; the config, policy and audit commands below import their modules inside the function.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from agent.cli_mounts import RootGroup

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
err = Console(stderr=True, soft_wrap=True)

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="vigil.yaml to use (default: $VIGIL_CONFIG, ./vigil.yaml)")
]


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


# -- config ------------------------------------------------------------------------------------------
config_app = typer.Typer(help="Check the configuration.", no_args_is_help=True)


@config_app.command("check")
def config_check(config: ConfigOption = None) -> None:
    """Validate vigil.yaml plus VIGIL__* overrides; explain every error with its field path and a fix."""
    from agent.config import ConfigError, config_path, load_config

    try:
        cfg = load_config(config)
    except ConfigError as exc:
        for problem in exc.problems:
            err.print(f"[red]error[/red] {problem}", highlight=False)
        raise typer.Exit(1) from exc
    source = config_path(config) or "built-in defaults"
    console.print(f"[green]ok[/green] {source}: provider={cfg.llm.provider} state_dir={cfg.state_dir} "
                  f"policy={cfg.policy or 'shipped default'}", highlight=False)


# -- policy ------------------------------------------------------------------------------------------
policy_app = typer.Typer(help="Evaluate actions against a policy file (for policy authors and CI).",
                         no_args_is_help=True)


@policy_app.command("check")
def policy_check(
    actor: Annotated[str, typer.Option(help="Who asks, e.g. alice or slack:U024BE7LH.")],
    tool: Annotated[str, typer.Option(help="The tool, e.g. k8s_logs or propose_change.")],
    args: Annotated[str, typer.Option("--args", help="The tool arguments as a JSON object.")] = "{}",
    policy: Annotated[Path | None, typer.Option(help="Policy YAML (default: the shipped policy).")] = None,
    origin: Annotated[str, typer.Option(help="cli, agent, mcp, slack, pagerduty, alertmanager, http.")] = "cli",
    team: Annotated[str | None, typer.Option(help="The actor's team (budgets).")] = None,
    risk: Annotated[str | None, typer.Option(help="read, low, medium, high (default: the tool's own).")] = None,
    approver: Annotated[str | None, typer.Option(help="Simulate an approval by this person.")] = None,
    rollback: Annotated[str | None, typer.Option(help="Describe the rollback plan (write actions need one).")] = None,
    schema: Annotated[Path | None, typer.Option(help="The tool's JSON schema (default: Vigil's own tools).")] = None,
    audit: Annotated[Path | None, typer.Option("--audit", help="Append the decision to this audit log.")] = None,
) -> None:
    """Print each layer's decision on one action; exit 0 on allow and 1 on deny (like conftest)."""
    import asyncio
    import tempfile

    from guardrails.action import Action, Actor, Risk, RollbackPlan
    from guardrails.approval import AutoDenyApprover, PreApproved
    from guardrails.audit import AuditLog
    from guardrails.pipeline import Pipeline, default_policy_path
    from guardrails.policy import PolicyError, load_policy

    try:
        arguments = json.loads(args)
        if not isinstance(arguments, dict):
            raise ValueError("not an object")
    except ValueError as exc:
        err.print(f"[red]error[/red] --args must be a JSON object, e.g. '{{\"namespace\": \"shop\"}}' ({exc})")
        raise typer.Exit(2) from exc
    try:
        loaded = load_policy(policy or default_policy_path())
    except PolicyError as exc:
        err.print(f"[red]error[/red] {exc}", highlight=False)
        raise typer.Exit(2) from exc
    spec, cost_class = _tool_spec(tool, schema)
    action_risk = Risk.parse(risk) if risk else spec.risk if spec else Risk.READ
    with tempfile.TemporaryDirectory() as scratch:
        log = AuditLog(audit or Path(scratch) / "audit.jsonl")
        pipeline = Pipeline(loaded, log, PreApproved(approver, "policy check --approver") if approver
                            else AutoDenyApprover(), where="policy-check")
        action = Action(
            actor=Actor(name=actor, origin=origin, team=team),  # type: ignore[arg-type]
            tool=tool, arguments=arguments, risk=action_risk,
            rollback=RollbackPlan(kind="manual", description=rollback) if rollback else None,
        )
        verdict = asyncio.run(pipeline.check(action, spec, cost_class))
    # One plain line per layer, never truncated: this output is read in CI logs.
    for line, decision in zip(verdict.explain().splitlines(), verdict.decisions, strict=True):
        console.print(line, style=None if decision.allowed else "red", markup=False, highlight=False)
    console.print("[green]ALLOW[/green]" if verdict.allowed else "[red]DENY[/red]")
    raise typer.Exit(0 if verdict.allowed else 1)


def _tool_spec(tool: str, schema: Path | None) -> tuple[Any, str | None]:
    """The tool's spec from --schema, else from Vigil's own tool catalogue, else None (unknown)."""
    from guardrails.action import ToolSpec

    if schema is not None:
        return ToolSpec(name=tool, input_schema=json.loads(schema.read_text())), None
    from agent.toolcatalog import builtin_tool_table

    return builtin_tool_table().get(tool, (None, None))


# -- audit -------------------------------------------------------------------------------------------------
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


def main() -> None:
    app()
