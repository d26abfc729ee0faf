"""`vigil approvals list|approve|deny`: decide pending approvals out of band, as a person who is not the requester.

An MCP client proposing a pull request cannot approve it for itself above the policy's
`approval.self_approval_max`; its request waits in the pending-approval store (the state directory's
SQLite file, or PostgreSQL beside the job queue when `serve.queue_url` is one). Here the person at the
terminal decides it. The approver recorded is the OS user, or `--as NAME` for whoever runs this on a
shared host. Who may decide is the one rule a Slack click and the HTTP API apply too
(agent/server/decisions.py): a policy approver, and not the requester above the policy's limits.

A proposed fix filed from a report (agent/gitops/from_report.py) is carried out once approved: handed
to `vigil serve`'s queue when serve filed it (its link then goes back to the Slack thread and the
incident), else its pull request is opened here and the link printed.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    from guardrails.approval import PendingApprovalStore

app = typer.Typer(help="List and decide pending approvals (pull requests waiting for a person).", no_args_is_help=True)
console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

ConfigOption = Annotated[Path | None, typer.Option("--config", help="Config file (default: VIGIL_CONFIG).")]
AsOption = Annotated[str | None, typer.Option("--as", help="Record this approver name instead of the OS user.")]
NoteOption = Annotated[str, typer.Option(help="A note kept with the decision.")]
RequestId = Annotated[str, typer.Argument(help="The request id (apr_…), as `vigil approvals list` shows it.")]

CHANNEL = "cli approvals"


def _store_and_policy(config: Path | None) -> tuple[PendingApprovalStore, object]:
    from agent.config import ConfigError, load_config
    from guardrails.pipeline import default_policy_path
    from guardrails.policy import PolicyError, load_policy

    try:
        cfg = load_config(config)
        policy = load_policy(cfg.policy or default_policy_path())
    except (ConfigError, PolicyError) as exc:
        err.print(f"[red]error[/red] {exc}", highlight=False)
        raise typer.Exit(2) from None
    from agent.queue.approvals import approval_store_for

    return approval_store_for(cfg), policy


def _who(as_name: str | None) -> str:
    if as_name:
        return as_name.strip()
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        err.print("[red]error[/red] the OS user is unknown here; name the approver with --as NAME")
        raise typer.Exit(2) from None


@app.command("list")
def list_command(config: ConfigOption = None) -> None:
    """Pending requests, oldest first."""
    from guardrails.action import Risk

    store, _ = _store_and_policy(config)
    rows = store.pending()
    if not rows:
        console.print("no pending approvals")
        return
    for row in rows:  # one plain line each, never cut: the id is what the next command needs
        console.print(f"{row['id']}  requester {row['requester']}  {row['tool']}  risk "
                      f"{Risk(int(row['risk'])).name.lower()}  expires {str(row['expires_at'])[:19]}\n"
                      f"    {row['summary']}", markup=False, highlight=False, soft_wrap=True)


USAGE_ERRORS = ("not_found", "bad_identity")
"""Refused decisions (agent/server/decisions.py, `Refusal`) that exit 2, as a usage error does: an id
that names nothing, an `--as` name that is no identity (a control or invisible character). Every other
refusal (decided, not an approver, self-approval) exits 1."""


def _decide(request_id: str, approved: bool, as_name: str | None, note: str, config: Path | None) -> None:
    from agent.server.decisions import DecisionRefused, Refusal, decide
    from guardrails.policy import Policy

    store, policy = _store_and_policy(config)
    assert isinstance(policy, Policy)
    who = _who(as_name)
    try:
        row = decide(store, policy.approval, request_id, who, approved, CHANNEL, note)
    except DecisionRefused as exc:
        label = "refused" if exc.reason in (Refusal.NOT_APPROVER, Refusal.SELF_APPROVAL) else "error"
        err.print(f"[red]{label}[/red] {escape(exc.detail)}", highlight=False)
        raise typer.Exit(2 if exc.reason in USAGE_ERRORS else 1) from None
    verb = "approved" if approved else "denied"
    console.print(f"{verb} {request_id} as {who}: {row['summary']}", highlight=False, markup=False)
    if approved:
        console.print(_carry_out(config, store, request_id), highlight=False, markup=False)


def _carry_out(config: Path | None, store: PendingApprovalStore, request_id: str) -> str:
    """A proposed fix from a report opens its pull request (here, or in `vigil serve` when serve filed it);
    any other request is carried out by its requester's next identical call."""
    import anyio

    from agent.config import load_config
    from agent.gitops.from_report import ProposalError, read_proposal
    from agent.server.proposals import carry_out

    later = "the requester's next identical call carries it out (an MCP client calls the tool again)"
    try:
        read_proposal(store, request_id)
    except ProposalError:
        return later
    return anyio.run(carry_out, load_config(config), store, request_id) or later


@app.command("approve")
def approve_command(request_id: RequestId, as_name: AsOption = None, note: NoteOption = "",
                    config: ConfigOption = None) -> None:
    """Approve a pending request as the OS user (or --as NAME); never as its own requester above the limit."""
    _decide(request_id, True, as_name, note, config)


@app.command("deny")
def deny_command(request_id: RequestId, as_name: AsOption = None, note: NoteOption = "",
                 config: ConfigOption = None) -> None:
    """Refuse a pending request."""
    _decide(request_id, False, as_name, note, config)
