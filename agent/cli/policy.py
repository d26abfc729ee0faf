"""`vigil policy`: evaluate one action against a policy file, layer by layer (for policy authors and CI)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

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
