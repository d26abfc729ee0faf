"""A grouped Alertmanager notification whose first alert names no workload: the subject, and no empty answer.

Alertmanager groups by namespace and mixes alert names; Vigil makes one incident per name, and the incident of a
tenant's or a rate's alert (Loki discarding samples, a queue's depth) may carry only a namespace while the other
alerts of the same notification name the pods that raise it (`pod=loki-write-0`, `job=loki-write`). Those names
become candidates (agent.triage.subject.group_names); the incident's own workload labels, siblings about another
namespace, and a notification of one alert name add nothing. When nothing but the subject's own classified
warnings (429 refusals) is in evidence, the ranking says that at the lowest confidence instead of nothing
(agent.triage.rank._subject_warnings); an unclassified warning stays unsaid.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agent.incident import from_alertmanager
from agent.triage import rank, subject_of
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import group_names

AT = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


def notification(*alerts: dict[str, str]) -> dict[str, Any]:
    return {"version": "4", "status": "firing", "receiver": "vigil", "groupLabels": {"namespace": "ingest"},
            "alerts": [{"status": "firing", "labels": labels, "annotations": {"summary": "Discarding samples."},
                        "startsAt": "2026-05-04T09:00:00Z"} for labels in alerts]}


RATE = {"alertname": "IngestDiscardedHigh", "namespace": "ingest", "tenant": "team-a", "reason": "rate_limited"}
LATENCY = {"alertname": "IngestLatencyHigh", "namespace": "ingest", "job": "ingester", "route": "push"}
THROTTLED = {"alertname": "CPUThrottlingHigh", "namespace": "ingest", "pod": "ingester-1", "container": "main"}


def test_the_other_alerts_of_the_group_name_the_subject() -> None:
    [first, *_] = from_alertmanager(notification(RATE, LATENCY, THROTTLED))
    subject = subject_of(first)
    assert subject.names[0] == "ingester" and "ingester" not in subject.from_labels
    assert group_names(first, "ingest") == ["ingester"]


def test_the_incidents_own_workload_label_is_kept_first() -> None:
    [_, latency, _] = from_alertmanager(notification(RATE, LATENCY, {**THROTTLED, "pod": "compactor-0"}))
    subject = subject_of(latency)
    assert subject.names[0] == "ingester" and "compactor" not in subject.names


def test_siblings_about_another_namespace_or_of_the_same_name_add_nothing() -> None:
    [first, _] = from_alertmanager(notification(RATE, {**LATENCY, "namespace": "billing"}))
    assert group_names(first, "ingest") == []
    [alone] = from_alertmanager(notification(RATE, {**RATE, "tenant": "team-b"}))
    assert group_names(alone, "ingest") == []


def _log(severity: str, error_class: str | None) -> LogEvidence:
    line = ("level=warn caller=grpc_logging.go:76 msg=gRPC err=\"rpc error: code = Code(429) desc = Ingestion rate "
            "limit exceeded for user team-a\"")
    return LogEvidence(pod="ingester-1", namespace="ingest", evidence_id="E5",
                       top={"severity": severity, "error_class": error_class, "example": line, "template": line},
                       hosts=[], error_classes={error_class} if error_class else set(), previous=False)


def test_the_subjects_own_refusals_are_said_rather_than_nothing() -> None:
    [first, *_] = from_alertmanager(notification(RATE, LATENCY, THROTTLED))
    facts = Facts(at=AT, scan={"findings": []}, scan_id="E1", changes={"changes": []}, changes_id="E2",
                  logs=[_log("warning", "rate_limited")])
    [only] = rank(subject_of(first), facts, {"ingester"})
    assert only.ref is not None and only.ref.name == "ingester-1" and only.confidence <= 0.3
    assert "Ingestion rate limit exceeded" in only.cause


def test_an_unclassified_warning_stays_an_honest_unknown() -> None:
    [first, *_] = from_alertmanager(notification(RATE, LATENCY, THROTTLED))
    facts = Facts(at=AT, scan={"findings": []}, scan_id="E1", changes={"changes": []}, changes_id="E2",
                  logs=[_log("warning", None)])
    assert rank(subject_of(first), facts, {"ingester"}) == []
