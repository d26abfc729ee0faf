"""The one path from a report's remediation to a pull request, whichever front door the report came from.

Two steps, because the person who approves is often not there when the report is written:

1. `propose_from_report` turns the report's remediation into a proposal through `propose()`: the edit
   is located, computed and validated in a scratch clone (the diff the approver will see), then the
   guardrails ask the pipeline's approver. A terminal prompt or `--yes` answers at once and the pull
   request opens in the same call. A `DeferredApprover` (`vigil serve`, the MCP `investigate` tool)
   files a pending request in the durable `PendingApprovalStore` instead, and nothing is pushed.
   Everything a later completion needs (the incident, the evidence lines, where to report back) is
   kept in that request's rollback plan, under `proposal`.
2. `complete_proposal` runs after a person decided (a Slack button, `vigil approvals approve`, the
   HTTP API): it rebuilds the same `propose()` call from the stored request and answers the approval
   layer with the recorded decision, but only for the exact change that was approved: a base branch
   that moved under the proposal gives another diff, which is refused and must be proposed again.
   Re-running it for the same request (a retried job, a second click) finds the same branch and pull
   request, so one approval opens one pull request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from agent.gitops.propose import TOOL_NAME, GitOpsRepo, ProposalResult, propose
from agent.gitops.provider import Provider
from agent.gitops.remediation import Remediation
from agent.incident import Incident
from agent.report import Report
from guardrails.action import Action
from guardrails.approval import (
    ApprovalRecord,
    ApprovalRequest,
    DeferredApprover,
    PendingApprovalStore,
    request_key,
)
from guardrails.pipeline import Pipeline

CONTEXT_KEY = "proposal"
"""Where `propose()` keeps the proposal's context in the rollback plan's data."""


class ProposalError(ValueError):
    """A request that cannot be completed as a proposal (unknown, not a proposal, not decided); the
    message says which, for a 4xx answer or a CLI error."""


@dataclass(frozen=True)
class ProposalTarget:
    """The GitOps repository a fix goes to and the provider that opens its pull requests."""

    repo: GitOpsRepo
    provider: Provider

    @classmethod
    def from_settings(cls, settings: Any, state_dir: Path) -> ProposalTarget:
        """From `GitOpsSettings` (the config's `gitops:` section); raises ValueError when incomplete."""
        return cls(settings.repo(state_dir), settings.build_provider())

    @classmethod
    def for_config(cls, config: Any) -> ProposalTarget:
        """The config's `gitops:` section under the `VIGIL_GITOPS_*` overrides, as the CLI reads it;
        raises ValueError when no repository is named either way."""
        from agent.gitops.settings import GitOpsSettings

        section = config.gitops
        settings = GitOpsSettings.from_env(defaults=section.model_dump(exclude_none=True) if section else None)
        return cls.from_settings(settings, config.state_dir)


@dataclass
class ProposalOutcome:
    """What happened to a report's remediation: a pull request, a pending request, or why neither."""

    result: ProposalResult
    pending_id: str | None = None
    """The approval request waiting for a person (nothing was pushed)."""

    @property
    def pending(self) -> bool:
        return self.pending_id is not None

    @property
    def pr_url(self) -> str | None:
        return self.result.pr.url if self.result.ok and self.result.pr else None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly summary (a job's result, the MCP tool's answer)."""
        return {"status": "pending" if self.pending else self.result.status, "request_id": self.pending_id,
                "action_id": self.result.action_id, "branch": self.result.branch, "pr_url": self.pr_url,
                "paths": self.result.paths, "reason": self.result.reason}


def evidence_lines(report: Report, limit: int = 3) -> list[str]:
    """The report's top hypotheses with their citations: the evidence section of the PR body."""
    return [f"{h.cause} (evidence {', '.join(h.evidence) or 'none cited'})" for h in report.hypotheses[:limit]]


async def propose_from_report(report: Report, incident: Incident, target: ProposalTarget, pipeline: Pipeline,
                              actor: Any, *, reply: dict[str, Any] | None = None) -> ProposalOutcome:
    """Propose the report's remediation as a pull request, through the pipeline's approver.

    `reply` says where the outcome is reported later (a Slack thread, a PagerDuty incident); it travels
    with the pending request so whoever completes it can post the link back there.
    """
    remediation = report.remediation  # typed: Report validates it on the way in
    if remediation is None:
        return ProposalOutcome(ProposalResult("invalid", reason="the report carries no remediation"))
    evidence = evidence_lines(report)
    # The normalised incident only: the raw payload and its alerts stay in the job, out of the approval
    # request (which the audit log, `vigil approvals list` and other replicas read).
    context = {"incident": incident.model_dump(mode="json", exclude={"raw", "alerts"}), "evidence": evidence,
               "reply": reply or {}}
    result = await propose(remediation, incident, evidence, target.repo, target.provider, pipeline, actor,
                           run_id=report.run_id, context=context)
    approver = pipeline.approver
    pending = approver.pending_id if isinstance(approver, DeferredApprover) and result.status == "refused" else None
    return ProposalOutcome(result, pending)


@dataclass(frozen=True)
class StoredProposal:
    """A pending or decided proposal as the approval store holds it."""

    request_id: str
    status: str
    action: Action
    context: dict[str, Any]
    approver: str | None
    channel: str | None
    decided_at: datetime | None

    @property
    def incident(self) -> Incident:
        return Incident.model_validate(self.context["incident"])

    @property
    def reply(self) -> dict[str, Any]:
        return dict(self.context.get("reply") or {})

    @property
    def approved(self) -> bool:
        return self.status in ("approved", "used (approved)")


def read_proposal(store: PendingApprovalStore, request_id: str) -> StoredProposal:
    """The proposal behind an approval request; ProposalError when there is none."""
    row = store.get(request_id)
    if row is None:
        raise ProposalError(f"no approval request {request_id!r}")
    if row["tool"] != TOOL_NAME:
        raise ProposalError(f"{request_id} is an approval for {row['tool']}, not a proposed fix")
    action = Action.model_validate_json(row["action_json"])
    context = action.rollback.data.get(CONTEXT_KEY) if action.rollback is not None else None
    if not isinstance(context, dict) or "incident" not in context:
        raise ProposalError(f"{request_id} was not proposed from a report (repeat the original call to use it)")
    decided = row.get("decided_at")
    return StoredProposal(request_id, str(row["status"]), action, context, row.get("approver"), row.get("channel"),
                          datetime.fromisoformat(str(decided)) if decided else None)


class RecordedDecision:
    """Answers the approval layer with a decision already in the store, for the exact change decided.

    Another change (the base branch moved and the diff differs) gets no approval from it: a person
    approved one diff, not whatever the same remediation turns into later.
    """

    def __init__(self, proposal: StoredProposal) -> None:
        self.proposal = proposal
        self.key = request_key(proposal.action)

    async def decide(self, request: ApprovalRequest) -> ApprovalRecord:
        p = self.proposal
        when = p.decided_at or request.expires_at
        if request_key(request.action) != self.key:
            return ApprovalRecord(False, None, "store", when, f"the change differs from the one approved in "
                                  f"{p.request_id}; propose it again to have the new diff approved")
        return ApprovalRecord(p.approved, p.approver, p.channel or "store", when,
                              f"decided on request {p.request_id}")


async def complete_proposal(store: PendingApprovalStore, request_id: str, target: ProposalTarget,
                            pipeline: Pipeline) -> ProposalOutcome:
    """Open the pull request a person approved (request `request_id`); idempotent per request.

    Raises ProposalError for a request that is unknown, not a proposal, or still undecided. A refused
    or expired request returns a refused outcome and pushes nothing.
    """
    proposal = read_proposal(store, request_id)
    if proposal.status == "pending":
        raise ProposalError(f"{request_id} is still waiting for a person to approve it")
    action = proposal.action
    if not proposal.approved:
        return ProposalOutcome(ProposalResult("refused", action.id, reason=f"{request_id} was {proposal.status}"
                                              + (f" by {proposal.approver}" if proposal.approver else "")))
    remediation = Remediation.model_validate(action.arguments["remediation"])
    result = await propose(remediation, proposal.incident, list(proposal.context.get("evidence") or []),
                           target.repo, target.provider, pipeline.with_approver(RecordedDecision(proposal)),
                           action.actor, run_id=action.run_id, context=proposal.context)
    if result.ok:
        store.consume(request_id)  # shown as used; a re-run still finds the same branch and pull request
    return ProposalOutcome(result)
