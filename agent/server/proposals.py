"""After a person decides a proposed fix outside `vigil serve`'s Slack app: who opens the pull request.

A proposal `vigil serve` filed (its context names the job it came from) is completed by serve's own
worker, so the link goes back to the Slack thread and the PagerDuty incident: the decision queues a
`propose` job in serve's queue, whichever process took it (`vigil approvals approve`, the HTTP API).
Any other proposal (the MCP `investigate` tool, a CLI run) has no thread to answer in; it is
completed where it was approved, and the link is the answer.
"""

from __future__ import annotations

from typing import Any

from agent.gitops.from_report import ProposalOutcome, ProposalTarget, StoredProposal, complete_proposal
from agent.queue import Enqueued, JobQueue
from guardrails.approval import PendingApprovalStore

PROPOSE = "propose"
"""The job kind that opens an approved proposal's pull request (agent/server/service.py runs it)."""


def completion_payload(proposal: StoredProposal) -> dict[str, Any]:
    """The job payload, in the shape `FrontDoor.submit` gives every job."""
    return {"incident": proposal.incident.model_dump(mode="json"), "reply": {}, "request_id": proposal.request_id}


def enqueue_completion(queue: JobQueue, proposal: StoredProposal, max_attempts: int = 4) -> Enqueued:
    """Queue the job that opens the pull request; one job per request however often it is asked."""
    return queue.enqueue(PROPOSE, f"propose:{proposal.request_id}", completion_payload(proposal),
                         source=proposal.incident.source, max_attempts=max_attempts,
                         dedupe_window_seconds=86400.0)


def filed_by_serve(proposal: StoredProposal) -> bool:
    return bool(proposal.reply.get("job"))


async def complete_here(config: Any, store: PendingApprovalStore, request_id: str) -> ProposalOutcome:
    """Open the pull request in this process (a proposal no `vigil serve` job is waiting to answer).
    Raises ValueError when no GitOps repository is configured, ProposalError for a request it cannot use."""
    from agent.runtime import process_pipeline

    return await complete_proposal(store, request_id, ProposalTarget.for_config(config), process_pipeline(config))
