"""The one rule for a person deciding a pending approval, whichever door they use.

A Slack button, the HTTP approvals API and `vigil approvals approve|deny` all call `decide`. It refuses
with a typed `DecisionRefused` (its `reason` an enum each caller maps to its own answer: a 4xx, an
ephemeral Slack message, a CLI exit code), so no caller matches error text and no door is laxer
than another. The rule mirrors what the guardrails' approval layer checks when the decision is used
(guardrails/layers/approval.py), so a decision it records is never one the pipeline would refuse later:

* the person's name is an identity (agent/server/identity.py: no control or invisible characters,
  NFKC, bounded), checked before any comparison and recorded in its normalised form;
* the request exists and is still pending (not decided, used or expired);
* the person is among the policy's `approval.approvers` (to deny as well: a refusal ends a proposal);
* approving one's own request is refused above `approval.self_approval_max` and at or above
  `approval.distinct_approver_at` (these channels are out of band: the requester is not at a prompt).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from agent.server.identity import IdentityError, clean_identity, same_identity
from guardrails.action import Risk
from guardrails.approval import PendingApprovalStore
from guardrails.policy import ApprovalPolicy


class Refusal(StrEnum):
    """Why a decision was not recorded."""

    NOT_FOUND = "not_found"
    """No approval request has this id."""
    DECIDED = "decided"
    """Already approved, refused or used, or expired."""
    NOT_APPROVER = "not_approver"
    """The person is not among the policy's approvers."""
    SELF_APPROVAL = "self_approval"
    """The requester approving its own request above what the policy allows."""
    BAD_IDENTITY = "bad_identity"
    """The person's name is no identity (a control or invisible character, too long, empty)."""


class DecisionRefused(Exception):
    """A decision that changed nothing; `reason` says which rule, the message says it for a person."""

    def __init__(self, reason: Refusal, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def check(store: PendingApprovalStore, policy: ApprovalPolicy, request_id: str, person: str,
          approved: bool) -> dict[str, Any]:
    """The pending request `person` may decide this way, or DecisionRefused saying why not. `person`
    is checked as an identity first (`clean_identity`); `decide` records it in the checked form."""
    person = _identity(person)
    row = store.get(request_id)
    if row is None:
        raise DecisionRefused(Refusal.NOT_FOUND, f"no approval request {request_id[:80]!r}; see `vigil approvals "
                              "list` or GET /approvals")
    if row["status"] != "pending":
        raise DecisionRefused(Refusal.DECIDED, f"{request_id} was already decided: already {row['status']}")
    if not policy.may_approve(person):
        raise DecisionRefused(Refusal.NOT_APPROVER, f"{person!r} is not among the approvers the policy allows "
                              "(approval.approvers)")
    risk = Risk(int(row["risk"]))
    if approved and same_person(person, row["requester"]) and (risk > policy.self_approval_risk
                                                               or risk >= policy.distinct_risk):
        raise DecisionRefused(Refusal.SELF_APPROVAL, f"{person!r} requested {request_id} (risk {risk.name.lower()}); "
                              f"the policy lets a requester approve its own actions only up to "
                              f"{policy.self_approval_max}. Another person must approve it.")
    return row


def same_person(a: str, b: str) -> bool:
    """`ALICE`, `alice`, `ａｌｉｃｅ` (full-width) and `alıce` (dotless i) are one person to the
    self-approval rule: a name typed differently is not another approver (agent/server/identity.py,
    `identity_key`). Stricter than the guardrails' exact comparison, never laxer."""
    return same_identity(a, b)


def _identity(person: str) -> str:
    try:
        return clean_identity(person)
    except IdentityError as exc:
        raise DecisionRefused(Refusal.BAD_IDENTITY, str(exc)) from exc


def decide(store: PendingApprovalStore, policy: ApprovalPolicy, request_id: str, person: str, approved: bool,
           channel: str, note: str = "") -> dict[str, Any]:
    """Record `person`'s decision on `request_id` (checked by `check`); returns the request as it was
    when pending. DecisionRefused when a rule forbids it or someone decided it first (or it expired)."""
    person = _identity(person)
    row = check(store, policy, request_id, person, approved)
    if not store.resolve(request_id, person, approved, channel, note):
        raise DecisionRefused(Refusal.DECIDED, f"{request_id} was decided meanwhile or has expired")
    return row
