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


COMPLETION_DEDUPE_SECONDS = 86400.0
"""A request is decided once and lives at most the policy's approval timeout, so a day covers every
second ask (a retried CLI call, a Slack click racing the HTTP API); serve's incident window
(`serve.dedupe_window_seconds`) is about repeated alerts and does not apply here."""


def completion_key(request_id: str) -> str:
    return f"propose:{request_id}"


def enqueue_completion(queue: JobQueue, proposal: StoredProposal, max_attempts: int = 4) -> Enqueued:
    """Queue the job that opens the pull request; one job per request however often it is asked.

    The only way a `propose` job is queued: `vigil serve` after a Slack click or an HTTP decision
    (FrontDoor.proposal_decided) and `vigil approvals approve` (carry_out) both call it."""
    return queue.enqueue(PROPOSE, completion_key(proposal.request_id), completion_payload(proposal),
                         source=proposal.incident.source, max_attempts=max_attempts,
                         dedupe_window_seconds=COMPLETION_DEDUPE_SECONDS)


def filed_by_serve(proposal: StoredProposal) -> bool:
    return bool(proposal.reply.get("job"))


async def complete_here(config: Any, store: PendingApprovalStore, request_id: str) -> ProposalOutcome:
    """Open the pull request in this process (a proposal no `vigil serve` job is waiting to answer).
    Raises ValueError when no GitOps repository is configured, ProposalError for a request it cannot use."""
    from agent.runtime import process_pipeline

    return await complete_proposal(store, request_id, ProposalTarget.for_config(config), process_pipeline(config))


async def carry_out(config: Any, store: PendingApprovalStore, request_id: str) -> str | None:
    """What `vigil approvals approve` does after recording an approval of a proposed fix: hand it to
    serve's queue when serve filed it, else open the pull request here. Returns a line for the person
    who approved, or None when the request is not a proposed fix (the requester's own call carries it
    out, as before)."""
    from agent.gitops.from_report import ProposalError, read_proposal
    from agent.queue import open_queue
    from agent.server.settings import load_serve_settings

    try:
        proposal = read_proposal(store, request_id)
    except ProposalError:
        return None
    if filed_by_serve(proposal):
        settings = load_serve_settings(config=config)
        queue = open_queue(settings.queue_url_for(config.state_dir))
        try:
            enqueued = enqueue_completion(queue, proposal, settings.max_attempts)
        finally:
            queue.close()
        return (f"vigil serve opens the pull request (job {enqueued.job_id}) and posts its link to the thread and "
                "the incident it came from")
    try:
        outcome = await complete_here(config, store, request_id)
    except (ProposalError, ValueError) as exc:
        return f"the pull request was not opened: {exc}"
    if outcome.pr_url:
        return f"pull request {outcome.pr_url} (branch {outcome.result.branch}; undo: vigil rollback " \
               f"{outcome.result.action_id})"
    return f"no pull request: {outcome.result.status}: {outcome.result.reason}"
