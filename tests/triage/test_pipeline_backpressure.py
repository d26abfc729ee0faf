"""agent.triage.pipeline_backpressure: a log pipeline set to block when full stalls the apps that ship to it.

Shapes: a Fluentd aggregator's ConfigMap edited to `overflow_action block` with a Java app whose fluency appender
says `BufferFullException: Buffer is full` (the aggregator's own `buffer overflow action=:block` read too); a Vector
aggregator's ConfigMap with `when_full: block`, a Go app's fluent-logger-golang `fluent#appendBuffer: Buffer full`.
Twins: the same write leaving the buffer dropping (`drop_oldest_chunk`), a blocking config while the app fails on
its database (no buffer-full words: nothing read), and senders already full before the write.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import pipeline_backpressure as pb
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from mcp_servers.common.logfacts import extract as extract_log_facts
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 11, 14, 11, 0, tzinfo=UTC)
FLUENCY = ("2026-11-14 10:50:00.000 ERROR 1 --- [nio-8080-exec-3] c.q.l.m.a.FluencyLogbackAppender : Failed to emit a "
           "log event\norg.komamitsu.fluency.BufferFullException: Buffer is full. config=Buffer$Config@1, "
           "bufferUsage=1.0")
GOLANG = '{"level":"error","ts":"2026-11-14T10:50:00Z","msg":"log shipping failed","error":"fluent#appendBuffer: ' \
         'Buffer full, limit 8388608"}'
DB = "psycopg2.OperationalError: connection to server at \"db\" (10.0.0.5), port 5432 failed: timeout expired"
FLUENTD = ("<match app.**>\n  @type opensearch\n  <buffer>\n    @type file\n    total_limit_size 512m\n"
           "    overflow_action block\n  </buffer>\n</match>\n")
VECTOR = ("sources:\n  in:\n    type: fluent\n    address: 0.0.0.0:24224\nsinks:\n  es:\n    type: elasticsearch\n"
          "    inputs: [in]\n    buffer:\n      type: memory\n      max_events: 5000\n      when_full: block\n")


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def sender(pod: str, ns: str, text: str, first: timedelta) -> LogEvidence:
    facts = extract_log_facts([f"{iso(AT - first)} {ln}" for ln in text.split("\n")[:1]] + text.split("\n")[1:])
    errors = [e for e in facts.model_dump()["errors"] if isinstance(e, dict)]
    top = {**errors[0], "first_seen": iso(AT - first)} if errors else {"example": text, "first_seen": iso(AT - first)}
    return LogEvidence(pod=pod, namespace=ns, evidence_id="L1", top=top, hosts=[],
                       error_classes={str(e.get("error_class")) for e in errors}, previous=False,
                       more=[{"example": text}])


def write(ns: str, name: str, ago: timedelta, reader: str) -> dict[str, Any]:
    return {"at": iso(AT - ago), "type": "config", "object": {"kind": "ConfigMap", "namespace": ns, "name": name},
            "summary": f"ConfigMap {ns}/{name} written by kubectl-edit: data key conf set", "diff": [],
            "related": [{"kind": "StatefulSet", "namespace": ns, "name": reader}]}


def case(conf: str, log: LogEvidence, ago: timedelta = timedelta(hours=2),
         agg_lines: list[str] | None = None) -> tuple[Facts, RecordingHub]:
    cm = {"kind": "ConfigMap", "metadata": {"name": "agg-config", "namespace": "obs"}, "data": {"conf": conf}}
    hub = RecordingHub(objects={("ConfigMap", "obs", "agg-config"): cm},
                       lists={("Pod", "obs"): [{"name": "aggregator-0"}]},
                       logs={"aggregator-0": agg_lines or []})
    facts = Facts(at=AT, changes={"changes": [write("obs", "agg-config", ago, "aggregator")]}, changes_id="C1",
                  logs=[log])
    asyncio.run(pb.read(Subject(namespace="shop"), facts, hub, iso(AT)))
    return facts, hub


def test_fluentd_block_with_fluency_buffer_full_names_the_config() -> None:
    agg = ["2026-11-14 10:49:00 +0000 [warn]: #0 failed to write data into buffer by buffer overflow action=:block"]
    facts, _ = case(FLUENTD, sender("orders-6f7c9d8b5d-x4k2q", "shop", FLUENCY, timedelta(minutes=10)), agg_lines=agg)
    [(ref, finding, evidence, explains)] = pb.suspects(facts)
    assert (ref.kind, ref.name) == ("ConfigMap", "agg-config")
    assert "overflow_action block" in finding["message"][:260] and "Fluentd" in finding["message"][:200]
    assert "buffer overflow action=:block" in finding["message"]
    assert [r.name for r in explains] == ["orders"] and "C1" in evidence


def test_vector_when_full_block_with_go_fluent_logger() -> None:
    facts, _ = case(VECTOR, sender("cart-5d8f9c7b6d-q2w8r", "shop", GOLANG, timedelta(minutes=5)))
    [hit] = pb.found(facts)
    assert hit.software == "Vector" and "when_full: block" in hit.said


def test_dropping_buffer_is_not_named() -> None:
    conf = FLUENTD.replace("overflow_action block", "overflow_action drop_oldest_chunk")
    facts, _ = case(conf, sender("orders-6f7c9d8b5d-x4k2q", "shop", FLUENCY, timedelta(minutes=10)))
    assert pb.found(facts) == []


def test_app_failing_on_its_database_reads_nothing() -> None:
    facts, hub = case(FLUENTD, sender("orders-6f7c9d8b5d-x4k2q", "shop", DB, timedelta(minutes=10)))
    assert hub.calls == [] and pb.found(facts) == []


def test_senders_full_before_the_write_are_not_its_doing() -> None:
    facts, _ = case(FLUENTD, sender("orders-6f7c9d8b5d-x4k2q", "shop", FLUENCY, timedelta(hours=5)),
                    ago=timedelta(hours=2))
    assert pb.found(facts) == []


def test_blocking_settings_of_each_pipeline() -> None:
    assert pb.blocking("[SERVICE]\n    storage.pause_on_chunks_overlimit on\n").software == "Fluent Bit"  # type: ignore[union-attr]
    fb = "[INPUT]\n    Name forward\n    Listen 0.0.0.0\n    Mem_Buf_Limit 50MB\n[OUTPUT]\n    Name es\n"
    assert pb.blocking(fb) is not None
    assert pb.blocking(fb.replace("forward", "tail")) is None  # a tailing agent pausing harms no sender
    otel = "exporters:\n  otlp:\n    sending_queue:\n      enabled: true\n      block_on_overflow: true\n"
    assert pb.blocking(otel).software == "OpenTelemetry Collector"  # type: ignore[union-attr]
