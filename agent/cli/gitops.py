"""`vigil gitops ...` and `vigil rollback ACTION_ID`: propose fixes as pull requests, and undo them.

Mount with `app.add_typer(gitops_app, name="gitops")` and `app.command("rollback")(rollback_command)`.
Every command that writes goes through the same guardrail pipeline as the agent: the policy from the
configuration, the audit log, the rollback store, and an approver: a terminal prompt by default,
or `--yes`, which approves in advance and is recorded as such in the audit log and the PR body.
"""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Annotated

import anyio
import typer
from rich.console import Console
from rich.syntax import Syntax

from agent.config import ConfigError, load_config
from agent.gitops.edits import NoChangeNeeded, plan_change
from agent.gitops.locate import LocateError, RepoIndex, locate
from agent.gitops.propose import ProposalResult, propose
from agent.gitops.remediation import Remediation, Workload
from agent.gitops.rollback import RollbackError, open_revert
from agent.gitops.settings import GitOpsSettings
from agent.gitops.validate import ValidationFailed, validate_change
from agent.gitops.yamldoc import YamlEditError
from agent.incident import Incident
from guardrails.action import Actor
from guardrails.approval import Approver, PreApproved, TerminalApprover
from guardrails.audit import AuditLog
from guardrails.pipeline import Pipeline, default_policy_path
from guardrails.policy import PolicyError, load_policy
from guardrails.redaction import redact_text
from guardrails.rollback import RollbackStore

app = typer.Typer(help="GitOps pull requests: propose a fix, preview it, find where a workload lives.",
                  no_args_is_help=True)
console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="vigil.yaml (default: $VIGIL_CONFIG).")]
YesOption = Annotated[bool, typer.Option("--yes", "-y", help="Approve in advance (recorded as such).")]
ApproverOption = Annotated[str | None, typer.Option(help="Who approves (default: the current user).")]
RemediationOption = Annotated[str, typer.Option(
    "--remediation", "-r", help="The fix as JSON, or @FILE with JSON (see docs/gitops.md).")]


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "cli-user"


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[red]error[/red] {message}", highlight=False)
    return typer.Exit(code)


def _read_remediation(text: str) -> Remediation:
    raw = Path(text[1:]).read_text(encoding="utf-8") if text.startswith("@") else text
    try:
        return Remediation.model_validate(json.loads(raw))
    except json.JSONDecodeError as exc:
        raise _fail(f"--remediation is not JSON ({exc}); pass an object such as "
                    '\'{"action": "set_memory_limit", "workload": {"name": "checkout", "namespace": "shop"}, '
                    '"value": "768Mi"}\'') from None
    except ValueError as exc:
        raise _fail(f"the remediation is not valid: {exc}") from None


def _pipeline(config: Path | None, yes: bool, approver: str | None) -> tuple[Pipeline, Path]:
    """The guardrail pipeline a CLI write uses, and the state directory."""
    try:
        cfg = load_config(config)
        policy = load_policy(cfg.policy or default_policy_path())
    except (ConfigError, PolicyError) as exc:
        raise _fail(str(exc)) from None
    who = approver or _user()
    chosen: Approver = PreApproved(who, "cli --yes") if yes else TerminalApprover(who)
    log = AuditLog(cfg.audit_path, fsync=cfg.audit.fsync, key_file=cfg.audit.key_file, anchor=cfg.audit.anchor_url)
    pipeline = Pipeline(policy, log, chosen,
                        RollbackStore(cfg.state_dir / "rollback.db"), where="cli")
    return pipeline, cfg.state_dir


def _show_diff(diff: str) -> None:
    if diff:
        shown = redact_text(diff).text  # a manifest may carry a credential; terminals get logged
        console.print(Syntax(shown, "diff", theme="ansi_dark", background_color="default"))


def _show(result: ProposalResult) -> None:
    _show_diff(result.diff)
    for note in result.notes:
        console.print(f"[yellow]note[/yellow] {note}")
    if result.ok:
        console.print(f"[green]{result.summary()}[/green]", highlight=False)
        if result.action_id:
            console.print(f"undo with: vigil rollback {result.action_id}")
    else:
        err.print(f"[red]{result.status}[/red] {result.reason}", highlight=False)


@app.command("propose")
def propose_command(
    remediation: RemediationOption,
    fingerprint: Annotated[str, typer.Option(help="Incident fingerprint: one pull request per value.")],
    title: Annotated[str, typer.Option(help="Incident title for the PR body.")] = "",
    evidence: Annotated[list[str] | None, typer.Option(help="An evidence line (repeatable).")] = None,
    provider: Annotated[str | None, typer.Option(help="git, github or gitlab (env VIGIL_GITOPS_PROVIDER).")] = None,
    remote: Annotated[str | None, typer.Option(help="Git URL or path to push to.")] = None,
    repository: Annotated[str | None, typer.Option(help="GitHub owner/name or GitLab group/project.")] = None,
    api_url: Annotated[str | None, typer.Option(help="GitHub Enterprise or self-managed GitLab API URL.")] = None,
    token_env: Annotated[str | None, typer.Option(help="Env var holding the token (never the token).")] = None,
    base: Annotated[str | None, typer.Option(help="Base branch (default main).")] = None,
    env: Annotated[str | None, typer.Option(help="Environment overlay / values file (default prod).")] = None,
    workdir: Annotated[Path | None, typer.Option(help="Vigil's clone (default <state_dir>/gitops/clone).")] = None,
    yes: YesOption = False,
    approver: ApproverOption = None,
    config: ConfigOption = None,
) -> None:
    """Open or update the pull request for one remediation, after an approval."""
    fix = _read_remediation(remediation)
    try:
        section = load_config(config).gitops
        settings = GitOpsSettings.from_env(defaults=section.model_dump(exclude_none=True) if section else None,
                                           provider=provider, remote=remote, repository=repository,
                                           api_url=api_url, token_env=token_env, base=base, env=env,
                                           workdir=workdir)
        chosen = settings.build_provider()
    except (ValueError, ConfigError) as exc:
        raise _fail(str(exc)) from None
    pipeline, state_dir = _pipeline(config, yes, approver)
    incident = Incident(fingerprint=fingerprint, title=title or fix.summary(), source="cli")
    actor = Actor(name=_user(), origin="cli")
    result = anyio.run(lambda: propose(fix, incident, evidence or [], settings.repo(state_dir), chosen,
                                       pipeline, actor))
    _show(result)
    raise typer.Exit(0 if result.ok else 1)


@app.command("from-report")
def from_report_command(
    report_file: Annotated[Path, typer.Argument(help="A report as JSON (`vigil investigate --format json`).")],
    pending: Annotated[bool, typer.Option(help="File it for another person to approve (`vigil approvals "
                                                "approve ID`) instead of asking here.")] = False,
    yes: YesOption = False,
    approver: ApproverOption = None,
    config: ConfigOption = None,
) -> None:
    """Propose a report's remediation as a pull request: the same path `vigil serve`, the demo and the MCP
    `investigate` tool take (agent/gitops/from_report.py)."""
    from agent.gitops.from_report import ProposalTarget, propose_from_report
    from agent.queue.approvals import approval_store_for
    from agent.report import Report
    from guardrails.approval import DeferredApprover

    try:
        report = Report.model_validate_json(report_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise _fail(f"{report_file}: not a Vigil report ({_first_line(exc)})") from None
    try:
        cfg = load_config(config)
        target = ProposalTarget.for_config(cfg)
    except (ValueError, ConfigError) as exc:
        raise _fail(str(exc)) from None
    pipeline, _ = _pipeline(config, yes, approver)
    deferred = DeferredApprover(approval_store_for(cfg)) if pending else None
    if deferred is not None:
        pipeline = pipeline.with_approver(deferred)
    incident = Incident(id=report.incident_id, fingerprint=report.fingerprint, title=report.title, source="cli")
    actor = Actor(name=_user(), origin="cli")
    outcome = anyio.run(lambda: propose_from_report(report, incident, target, pipeline, actor))
    if outcome.pending:
        _show_diff(outcome.result.diff)
        console.print(f"pending approval {outcome.pending_id}: nothing was pushed. Another person approves it with "
                      f"`vigil approvals approve {outcome.pending_id}`, and the pull request opens then.",
                      highlight=False, markup=False)
        return
    _show(outcome.result)
    raise typer.Exit(0 if outcome.result.ok else 1)


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


@app.command("plan")
def plan_command(
    remediation: RemediationOption,
    repo_dir: Annotated[Path, typer.Option(help="A checkout of the GitOps repository (read only).")] = Path("."),
    env: Annotated[str, typer.Option(help="Environment overlay / values file.")] = "prod",
) -> None:
    """Show the diff a remediation would make, validated, without writing anything."""
    import difflib
    import shutil
    import tempfile

    fix = _read_remediation(remediation)
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "repo"
        shutil.copytree(repo_dir, copy, ignore=shutil.ignore_patterns(".git"))
        index = RepoIndex(copy)
        try:
            location = locate(index, fix.workload, env)
            change = plan_change(index, location, fix)
            for file in change.changes:
                (copy / file.path).parent.mkdir(parents=True, exist_ok=True)
                (copy / file.path).write_text(file.after, encoding="utf-8")
            notes = change.notes + validate_change(copy, change, fix)
        except NoChangeNeeded as exc:
            console.print(str(exc))
            raise typer.Exit(0) from None
        except (LocateError, YamlEditError, ValidationFailed) as exc:
            raise _fail(str(exc), 1) from None
    console.print(f"{fix.summary()}\n{location.describe()}")
    diff = "".join("".join(difflib.unified_diff((c.before or "").splitlines(True), c.after.splitlines(True),
                                                 f"a/{c.path}", f"b/{c.path}")) for c in change.changes)
    console.print(Syntax(redact_text(diff).text, "diff", theme="ansi_dark", background_color="default"))
    for note in notes:
        console.print(f"[yellow]note[/yellow] {note}")


@app.command("locate")
def locate_command(
    name: Annotated[str, typer.Argument(help="Workload name.")],
    namespace: Annotated[str, typer.Option("--namespace", "-n", help="Workload namespace.")],
    kind: Annotated[str, typer.Option(help="Workload kind.")] = "Deployment",
    repo_dir: Annotated[Path, typer.Option(help="A checkout of the GitOps repository.")] = Path("."),
    env: Annotated[str, typer.Option(help="Environment.")] = "prod",
) -> None:
    """Say which file controls a workload in an environment."""
    try:
        location = locate(RepoIndex(repo_dir), Workload(kind=kind, name=name, namespace=namespace), env)
    except LocateError as exc:
        raise _fail(str(exc), 1) from None
    console.print(location.describe())


def rollback_command(
    action_id: Annotated[str, typer.Argument(help="The id of the proposal to undo (act_...).")],
    yes: YesOption = False,
    approver: ApproverOption = None,
    workdir: Annotated[Path | None, typer.Option(help="Vigil's clone (default: the one the proposal used).")] = None,
    config: ConfigOption = None,
) -> None:
    """Open the pull request that reverts a proposal, restoring the files' previous content."""
    pipeline, _ = _pipeline(config, yes, approver)
    actor = Actor(name=_user(), origin="cli")
    try:
        result = anyio.run(lambda: open_revert(action_id, pipeline, actor, workdir=workdir))
    except RollbackError as exc:
        raise _fail(str(exc), 1) from None
    _show(result)
    raise typer.Exit(0 if result.ok else 1)
