"""agent.triage.flush_starved: a sink written to flush by size only, its output no longer landing.

Shapes: a Confluent for Kubernetes Connector (GCS sink, `configs`) whose `rotate.interval.ms` was removed beside a
raised `flush.size`, the incident saying the clickstream partitions are stale; a Logstash pipeline ConfigMap whose
s3 output got `time_file => 0` with a 100 MB `size_file`, the incident saying the audit-archive bucket has had no
objects land. Twins: a time rotation kept, Fluent Bit's `upload_timeout` removed (its default still flushes), an
incident about another topic, a write three days old.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import flush_starved as fs
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def run(obj: dict[str, Any], kind: str, ns: str, name: str, diff: list[str], subject: Subject,
        hours: float = 12) -> Facts:
    change = {"at": iso(AT - timedelta(hours=hours)), "type": "other",
              "object": {"kind": kind, "namespace": ns, "name": name},
              "summary": f"{kind} {ns}/{name} written by helm: " + "; ".join(diff), "diff": diff}
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="C1")
    facts.history.append(({"changes": [change], "window": "7d"}, "C2"))
    asyncio.run(fs.read(subject, facts, RecordingHub(objects={(kind, ns, name): obj}), iso(AT)))
    return facts


def connector(configs: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "platform.confluent.io/v1beta1", "kind": "Connector",
            "metadata": {"name": "clicks-gcs-sink", "namespace": "streaming"},
            "spec": {"class": "io.confluent.connect.gcs.GcsSinkConnector", "taskMax": 6,
                     "configs": {"topics": "clickstream", "gcs.bucket.name": "acme-events", **configs}}}


STALE = Subject(namespace="analytics", names=["clickstream", "stale", "partitions"])
CONNECTOR_DIFF = ["spec.configs.flush.size = '250000'", "spec.configs.rotate.interval.ms removed"]


def test_connector_rotation_removed_beside_a_raised_flush_size() -> None:
    facts = run(connector({"flush.size": "250000"}), "Connector", "streaming", "clicks-gcs-sink", CONNECTOR_DIFF,
                STALE)
    hits = fs.suspects(facts)
    assert len(hits) == 1
    ref, finding, _, _ = hits[0]
    assert (ref.kind, ref.name) == ("Connector", "clicks-gcs-sink")
    head = finding["message"][:300]
    assert "flush.size = 250000 with rotate.interval.ms removed" in head and "clickstream" in finding["message"]


def test_twin_connector_keeping_a_time_rotation() -> None:
    kept = connector({"flush.size": "250000", "rotate.schedule.interval.ms": "600000"})
    diff = ["spec.configs.flush.size = '250000'", "spec.configs.rotate.interval.ms removed"]
    assert fs.suspects(run(kept, "Connector", "streaming", "clicks-gcs-sink", diff, STALE)) == []


def test_twins_connector_for_another_topic_or_an_old_write() -> None:
    obj = connector({"flush.size": "250000"})
    other = Subject(namespace="analytics", names=["payments", "stale"])
    assert fs.suspects(run(obj, "Connector", "streaming", "clicks-gcs-sink", CONNECTOR_DIFF, other)) == []
    assert fs.suspects(run(obj, "Connector", "streaming", "clicks-gcs-sink", CONNECTOR_DIFF, STALE, hours=72)) == []


def pipeline(s3: str) -> dict[str, Any]:
    return {"kind": "ConfigMap", "metadata": {"name": "audit-shipper-pipeline", "namespace": "logging"},
            "data": {"pipeline.conf": "input { kafka { topics => [\"audit\"] } }\noutput {\n  s3 {\n"
                                      "    bucket => \"audit-archive\"\n" + s3 + "  }\n}\n"}}


NO_OBJECTS = Subject(namespace="logging", names=["audit-archive", "landed"], phrases=["no-objects-landed"])


def test_logstash_time_file_turned_off_with_a_large_size_file() -> None:
    obj = pipeline("    size_file => 104857600\n    time_file => 0\n")
    facts = run(obj, "ConfigMap", "logging", "audit-shipper-pipeline",
                ["data.pipeline.conf: time_file => 0"], NO_OBJECTS)
    hits = fs.suspects(facts)
    assert len(hits) == 1
    assert "size_file = 104857600 with time_file set to 0" in hits[0][1]["message"]


def test_twin_fluent_bit_upload_timeout_removed_keeps_its_default() -> None:
    obj = {"kind": "ConfigMap", "metadata": {"name": "fluent-bit", "namespace": "logging"},
           "data": {"fluent-bit.conf": "[OUTPUT]\n    Name s3\n    bucket audit-archive\n"
                                       "    total_file_size 250M\n"}}
    facts = run(obj, "ConfigMap", "logging", "fluent-bit", ["data.fluent-bit.conf: upload_timeout removed"],
                NO_OBJECTS)
    assert fs.suspects(facts) == []
