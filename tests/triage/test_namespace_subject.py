"""namespace_subject: a page that names only a namespace gets the namespace's failing workload, and the write to it
that preceded its failures, instead of no hypothesis; a write after the failures began, a namespace the incident
does not name, or warnings only, do not."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from agent.triage import namespace_subject
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject, namespace_words
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 12, 1, 10, 40, tzinfo=UTC)
WINDOW = timedelta(hours=6)


def _log(pod: str, namespace: str, message: str, first_seen: str, count: int = 20,
         severity: str = "error") -> LogEvidence:
    top: dict[str, Any] = {"message": message, "template": message, "severity": severity, "count": count,
                           "first_seen": first_seen, "error_class": "tls_error"}
    return LogEvidence(pod=pod, namespace=namespace, evidence_id=f"E-{pod}", top=top, hosts=[],
                       error_classes={"tls_error"}, previous=False)


def _rollout(namespace: str, name: str, minutes_before: int, kind: str = "Deployment") -> dict[str, Any]:
    at = (AT - timedelta(minutes=minutes_before)).isoformat().replace("+00:00", "Z")
    return {"at": at, "type": "rollout", "object": {"kind": kind, "namespace": namespace, "name": name},
            "summary": f"{kind} {namespace}/{name} rolled out revision 7: {name} image app:2.7.4 -> app:2.8.0"}


def _facts(logs: list[LogEvidence], changes: list[dict[str, Any]]) -> Facts:
    return Facts(at=AT, logs=logs, changes={"changes": changes}, changes_id="E2")


def test_alert_titles_name_their_namespace_in_brackets() -> None:
    assert "payouts" in namespace_words("Payout submissions failing: 0 accepted in 15 min (payouts)")
    assert "shop" in namespace_words("[shop] Checkout conversion below 2%")


def test_the_failing_workload_a_rollout_preceded_is_the_suspect() -> None:
    """Two workloads of the named namespace fail; the one rolled out before its first error is named with its
    write, even though the other logs more errors (Go logfmt and a Java caller alike)."""
    subject = Subject(namespace_words=["payouts"])
    logs = [_log("payout-dispatcher-7d9f8c6b5-x2x9q", "payouts", "x509: certificate signed by unknown authority",
                 "2026-12-01T10:10:00Z", count=12),
            _log("payout-api-5c4d8f7b6-k8k7p", "payouts", "java.net.SocketTimeoutException: Read timed out",
                 "2026-12-01T10:12:00Z", count=40)]
    found = namespace_subject.suspect(subject, _facts(logs, [_rollout("payouts", "payout-dispatcher", 35)]), WINDOW)
    assert found is not None and found.workload == "payout-dispatcher" and found.minutes_before == 35
    assert found.target is not None and found.target.kind == "Deployment"


def test_a_write_after_the_failures_began_is_not_their_cause() -> None:
    """The rollout came 10 min after the errors started: no write is claimed, the noisiest failing workload is said."""
    subject = Subject(namespace="payouts")
    logs = [_log("payout-dispatcher-7d9f8c6b5-x2x9q", "payouts", "x509: unknown authority", "2026-12-01T10:00:00Z",
                 count=12),
            _log("payout-api-5c4d8f7b6-k8k7p", "payouts", "Read timed out", "2026-12-01T10:12:00Z", count=40)]
    found = namespace_subject.suspect(subject, _facts(logs, [_rollout("payouts", "payout-dispatcher", 30)]), WINDOW)
    assert found is not None and found.change is None and found.workload == "payout-api"


@pytest.mark.parametrize("subject", [Subject(namespace_words=["15"]), Subject(namespace_words=["billing"])])
def test_logs_of_a_namespace_the_incident_does_not_name_are_not_taken(subject: Subject) -> None:
    logs = [_log("payout-dispatcher-7d9f8c6b5-x2x9q", "payouts", "x509: unknown authority", "2026-12-01T10:10:00Z")]
    assert namespace_subject.suspect(subject, _facts(logs, [_rollout("payouts", "payout-dispatcher", 35)]),
                                     WINDOW) is None


def test_warnings_alone_name_no_suspect() -> None:
    logs = [_log("payout-api-5c4d8f7b6-k8k7p", "payouts", "slow request", "2026-12-01T10:10:00Z",
                 severity="warning")]
    assert namespace_subject.suspect(Subject(namespace="payouts"), _facts(logs, []), WINDOW) is None


def _row(name: str, ready: str = "1/1", restarts: int = 0, problem: str | None = None) -> dict[str, Any]:
    return {"name": name, "namespace": "payouts", "status": "Running", "ready": ready, "restarts": restarts,
            "problem": problem}


def test_the_survey_reads_one_pod_per_workload_written_ones_first() -> None:
    """Only when nothing of the subject was resolved; a written workload's pod is read first, one pod per workload,
    no pod already read, at most MAX_WORKLOADS."""
    subject = Subject(namespace_words=["payouts"])
    facts = _facts([], [_rollout("payouts", "payout-dispatcher", 35)])
    rows = [_row("payout-api-5c4d8f7b6-k8k7p"), _row("payout-api-5c4d8f7b6-z9z8q", ready="0/1", problem="not ready"),
            _row("payout-dispatcher-7d9f8c6b5-x2x9q"), _row("payout-reports-6b5c4d3e2-q1q2w"),
            _row("payout-audit-1a2b3c4d5-a1a1a"), _row("payout-export-9f8e7d6c5-b2b2b"),
            {**_row("payout-cron-29936520-abcde"), "status": "Completed"}]
    hub = RecordingHub(lists={("Pod", "payouts"): rows}, logs={})
    kept: list[str] = []

    def keep(outcome: Any, into: Facts) -> None:
        kept.append(str(outcome.arguments["name"]))

    assert namespace_subject.needed(subject, facts, resolved=False)
    assert not namespace_subject.needed(subject, facts, resolved=True)
    asyncio.run(namespace_subject.read(subject, facts, hub, keep, WINDOW))
    assert kept[0] == "payout-dispatcher-7d9f8c6b5-x2x9q"
    assert "payout-api-5c4d8f7b6-z9z8q" in kept and "payout-api-5c4d8f7b6-k8k7p" not in kept
    assert len(kept) == namespace_subject.MAX_WORKLOADS and "payout-cron-29936520-abcde" not in kept


def test_a_title_listing_names_is_tried_in_order_and_words_without_pods_are_no_namespace() -> None:
    """`(presence, realtime)`: both words are candidates; 'presence' lists no pod (no such namespace), 'realtime'
    does, and its workload's pod is read."""
    subject = Subject(namespace_words=namespace_words("Websocket disconnect rate > 5% (presence, realtime)"))
    assert subject.namespace_words == ["presence", "realtime"]
    facts = _facts([], [])
    hub = RecordingHub(lists={("Pod", "realtime"): [_row("presence-gateway-6c5d4e3f2-r4r4r")]}, logs={})
    kept: list[str] = []
    asyncio.run(namespace_subject.read(subject, facts, hub, lambda o, f: kept.append(str(o.arguments["name"])),
                                       WINDOW))
    assert [args.get("namespace") for tool, args in hub.calls if tool == "k8s_list"] == ["presence", "realtime"]
    assert kept == ["presence-gateway-6c5d4e3f2-r4r4r"]
