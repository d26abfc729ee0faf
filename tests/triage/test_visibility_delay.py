"""agent.triage.visibility_delay: a writer's commit/checkpoint/flush interval raised past a reader's staleness bound.

Shapes: a Kafka Streams Deployment under exactly_once_v2 whose COMMIT_INTERVAL_MS env went 200 -> 60000 while a
reader refuses snapshots older than `max_staleness=10s` (logfmt); a FlinkDeployment with an exactly-once sink whose
checkpoint interval was set to 5min while a Python reader says a vector is older than the allowed maximum of 60 s.
Twins: the interval raised but still inside the bound, the commit interval raised under at_least_once, the write
in another namespace than the stale reader.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from agent.triage import visibility_delay as vd
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
LOGFMT = 'level=warn ts=2026-11-24T15:40:02Z msg="stock snapshot stale, answering 503" age=41s max_staleness=10s'
PYLOG = ("2026-11-24 15:41:07,112 WARNING scorer: feature vector too old: 212.0s older than allowed maximum of 60 s, "
         "falling back to defaults")


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def streams_facts(new: str, guarantee: str, reader_ns: str = "inventory") -> Facts:
    diff = f"stock-aggregator env COMMIT_INTERVAL_MS='200' -> COMMIT_INTERVAL_MS='{new}'"
    change = {"at": iso(AT - timedelta(minutes=40)), "type": "rollout",
              "object": {"kind": "Deployment", "namespace": "inventory", "name": "stock-aggregator"},
              "summary": f"Deployment inventory/stock-aggregator rolled out revision 7: {diff}", "diff": [diff]}
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="C1")
    facts.logs.append(LogEvidence(pod="stock-api-5b7c9d8f6-x2k4q", namespace=reader_ns, evidence_id="E3",
                                  top={"example": LOGFMT}, hosts=[], error_classes=set(), previous=False))
    dep: dict[str, Any] = {"kind": "Deployment", "metadata": {"name": "stock-aggregator", "namespace": "inventory"},
                           "spec": {"template": {"spec": {"containers": [{"name": "app", "env": [
                               {"name": "PROCESSING_GUARANTEE", "value": guarantee},
                               {"name": "COMMIT_INTERVAL_MS", "value": new}]}]}}}}
    hub = RecordingHub(objects={("Deployment", "inventory", "stock-aggregator"): yaml.safe_dump(dep)},
                       lists={("Pod", "inventory"): [{"name": "stock-aggregator-7d9f8c6b5-abcde"}]},
                       logs={"stock-aggregator-7d9f8c6b5-abcde": [f"\tcommit.interval.ms = {new}",
                                                                  f"\tprocessing.guarantee = {guarantee}"]})
    asyncio.run(vd.read(Subject(namespace=reader_ns), facts, hub, iso(AT)))
    return facts


def test_streams_commit_interval_raised_under_exactly_once_past_the_readers_bound() -> None:
    hits = vd.suspects(streams_facts("60000", "exactly_once_v2"))
    assert len(hits) == 1
    ref, finding, evidence, explains = hits[0]
    assert (ref.kind, ref.name) == ("Deployment", "stock-aggregator") and explains[0].name == "stock-api"
    message = finding["message"]
    assert "200 ms -> 60 s" in message and "exactly_once_v2" in message and "read_committed" in message
    assert "commit.interval.ms = 60000" in message and "10 s" in message and "E3" in evidence


def test_flink_checkpoint_interval_with_an_exactly_once_sink() -> None:
    diff = "spec.flinkConfiguration.execution.checkpointing.interval = '5min'"
    change = {"at": iso(AT - timedelta(hours=3)), "type": "other",
              "object": {"kind": "FlinkDeployment", "namespace": "ml", "name": "feature-joiner"},
              "summary": f"FlinkDeployment ml/feature-joiner written by argocd-controller: {diff}", "diff": [diff]}
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="C1")
    facts.logs.append(LogEvidence(pod="scorer-6c8d7f9b4-q2w3e", namespace="ml", evidence_id="E4",
                                  top={"example": PYLOG}, hosts=[], error_classes=set(), previous=False))
    flink = {"kind": "FlinkDeployment", "metadata": {"name": "feature-joiner", "namespace": "ml"},
             "spec": {"flinkConfiguration": {"execution.checkpointing.interval": "5min",
                                             "sink.delivery-guarantee": "exactly-once"}}}
    hub = RecordingHub(objects={("FlinkDeployment", "ml", "feature-joiner"): yaml.safe_dump(flink)},
                       lists={("Pod", "ml"): []}, logs={})
    asyncio.run(vd.read(Subject(namespace="ml"), facts, hub, iso(AT)))
    hits = vd.suspects(facts)
    assert len(hits) == 1 and hits[0][0].name == "feature-joiner"
    assert "old value not recorded" in hits[0][1]["message"] and "60 s" in hits[0][1]["message"]


def test_interval_raised_but_still_inside_the_bound() -> None:
    assert vd.suspects(streams_facts("5000", "exactly_once_v2")) == []


def test_commit_interval_raised_under_at_least_once() -> None:
    assert vd.suspects(streams_facts("60000", "at_least_once")) == []


def test_stale_reader_in_another_namespace() -> None:
    assert vd.suspects(streams_facts("60000", "exactly_once_v2", reader_ns="storefront")) == []
