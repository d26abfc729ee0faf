"""time_limit, a managed queue's lease written on its custom resource: the broker's ack refusal is the proof.

Shapes: an ACK SQS `Queue` whose `spec.visibilityTimeout = '30'` is written with no old value recorded, while a Go
consumer's renders take 48-90 s and its DeleteMessage calls fail `The receipt handle has expired`; a Crossplane
Pub/Sub `Subscription` whose `spec.forProvider.ackDeadlineSeconds = 10` is written before a Python subscriber's
acks are refused (`ack deadline has expired`) with no duration logged. Twins: the same Queue write while every
message is processed in 5 s (the limit is still above the work), a receipt-handle error in a consumer whose
queue setting was not written (no limit, nothing named), and a queue's `delaySeconds` (no work limit) written.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import time_limit
from agent.triage.facts import Facts

AT = datetime(2026, 12, 2, 16, 22, tzinfo=UTC)


def _stamp(minutes: float) -> str:
    return (AT - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _write(kind: str, ns: str, name: str, line: str, minutes: int = 42) -> dict[str, Any]:
    return {"at": _stamp(minutes), "type": "other", "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} written by kubectl-client-side-apply (generation 9): {line}",
            "diff": [line], "related": []}


def _facts(changes: list[dict[str, Any]], holder: str, pod: str, lines: list[str]) -> Facts:
    ns, name = holder.split(" ")[1].split("/")
    facts = Facts(at=AT, changes={"changes": changes}, changes_id="E2")
    facts.reads[time_limit.READS] = {"lines": {holder: {pod: lines}}, "related": [holder], "p99": {},
                                     "workloads": {ns: [{"kind": "Deployment", "namespace": ns, "name": name}]},
                                     "log_ids": {holder: ["E11"]}}
    return facts


EXPIRED = ('level=error msg="delete message failed" err="operation error SQS: DeleteMessage, https response error '
           'StatusCode: 400, InvalidParameterValue: Value AQEB...== for parameter ReceiptHandle is invalid. Reason: '
           'The receipt handle has expired."')


def _renderer(duration: float) -> list[str]:
    out = []
    for m in (35, 30, 25, 20):
        out.append(f"time={_stamp(m)} level=info msg=\"invoice rendered\" duration={duration}s receive_count=1")
        if duration > 30:
            out.append(f"time={_stamp(m - 1)} {EXPIRED}")
    return out


def test_a_queue_resources_visibility_timeout_below_the_render_time_and_expired_receipt_handles() -> None:
    change = _write("Queue", "billing", "render-queue", "spec.visibilityTimeout = '30'")
    [cut] = time_limit.found(_facts([change], "Deployment billing/invoice-renderer", "invoice-renderer-1",
                                    _renderer(62.5)))
    message = time_limit.finding(cut)["message"]
    assert message.startswith("Queue billing/render-queue cut a time limit below the work it governs: "
                              "spec.visibilityTimeout set to 30")
    assert "62.5 s" in message and "receipt handle" in message[:400]


def test_a_subscriptions_ack_deadline_and_a_subscribers_expired_acks() -> None:
    change = _write("Subscription", "mail", "outbound", "spec.forProvider.ackDeadlineSeconds = 10", minutes=50)
    lines = [f"{_stamp(m)} ERROR subscriber: ack failed for message 88{m}: 400 ack deadline has expired for the "
             "message" for m in (40, 30, 20)]
    facts = _facts([change], "Deployment mail/mail-sender", "mail-sender-1", lines)
    [cut] = time_limit.found(facts)
    assert str(cut.limit.target) == "Subscription mail/outbound"
    assert "lease expired" in time_limit.finding(cut)["message"]


def test_negative_twins_work_under_the_limit_no_write_and_a_delay_setting() -> None:
    change = _write("Queue", "billing", "render-queue", "spec.visibilityTimeout = '30'")
    assert time_limit.found(_facts([change], "Deployment billing/invoice-renderer", "invoice-renderer-1",
                                   _renderer(5.0))) == []
    assert time_limit.found(_facts([], "Deployment billing/invoice-renderer", "invoice-renderer-1",
                                   _renderer(62.5))) == []
    delay = _write("Queue", "billing", "render-queue", "spec.delaySeconds = '30'")
    assert time_limit.found(_facts([delay], "Deployment billing/invoice-renderer", "invoice-renderer-1",
                                   _renderer(62.5))) == []
