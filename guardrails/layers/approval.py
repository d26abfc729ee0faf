"""Layer 3, approval: at or above the policy's risk threshold a person must say yes, and the right person."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from guardrails.action import Decision
from guardrails.approval import ApprovalRecord, new_request, summarise_action
from guardrails.layers.base import BaseLayer, Call, LayerResult


@dataclass
class ApprovalResult(LayerResult):
    record: ApprovalRecord | None = None
    """The approver's answer (None below the threshold: nobody was asked)."""


class ApprovalLayer(BaseLayer):
    """Asks the pipeline's approver; refuses approvers the policy does not list, self-approval above
    `self_approval_max`, and a requester approving a risk that needs a distinct approver."""

    name: ClassVar[str] = "approval"

    async def check(self, call: Call) -> ApprovalResult:
        action = call.action
        approval = call.pipeline.policy.approval
        if action.risk < approval.required_risk:
            return ApprovalResult(Decision(layer="approval", allowed=True,
                                           reason=f"risk {action.risk.name.lower()} is below the approval "
                                                  f"threshold ({approval.required_at})"))
        reason = f"risk {action.risk.name.lower()} at or above {approval.required_at}"
        request = new_request(action, reason, summarise_action(action), approval.timeout_seconds)
        record = await call.pipeline.approver.decide(request)
        details = {"approver": record.approver, "channel": record.channel,
                   "decided_at": record.decided_at.isoformat(), "request_id": request.id}

        def deny(rule: str, why: str) -> ApprovalResult:
            return ApprovalResult(Decision(layer="approval", allowed=False, rule=rule, reason=why, details=details),
                                  record)

        if not record.approved:
            return deny("approval-required", f"not approved: {record.describe()}")
        if record.approver is None or not approval.may_approve(record.approver):
            return deny("approval.approvers", f"{record.approver!r} is not among the policy's approvers")
        if record.approver == action.actor.name and not record.requester_present \
                and action.risk > approval.self_approval_risk:
            return deny("approval.self_approval_max",
                        f"{action.actor.name!r} cannot approve its own risk-{action.risk.name.lower()} action "
                        f"(the policy allows self-approval up to {approval.self_approval_max}); "
                        "another person must approve it")
        if action.risk >= approval.distinct_risk and record.approver == action.actor.name:
            return deny("approval.distinct_approver",
                        f"risk {action.risk.name.lower()} needs an approver other than the requester "
                        f"{action.actor.name!r}")
        return ApprovalResult(Decision(layer="approval", allowed=True, reason=record.describe(), details=details),
                              record)
