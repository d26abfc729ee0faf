"""agent.triage.pipeline_backpressure against software and wording its round-30 incident did not use.

Shapes: a Java service whose log4j2 AsyncAppender says `Queue full` and a Fluent Bit aggregator written in the YAML
format (`pipeline: inputs: - name: forward ... mem_buf_limit`), Fluent Bit saying `paused (mem buf overlimit)`; a
Python service whose OpenTelemetry SDK says `Queue is full, likely spans will be dropped` and a Collector gateway
whose exporter was set to `block_on_overflow: true`; a .NET service on Serilog with a Vector aggregator in TOML
(`when_full = "block"`). Twins: Vector in TOML dropping when full, a Fluent Bit YAML config whose limit sits on a
`tail` input (an agent pausing its own reading harms no sender), and another class's evidence (a Kafka producer's
`BufferExhaustedException`, a thread pool's `RejectedExecutionException`): nothing read.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from agent.triage import pipeline_backpressure as pb
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from mcp_servers.common.logfacts import extract as extract_log_facts
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
LOG4J2 = ("2026-12-01 13:52:00,114 http-nio-8080-exec-7 WARN AsyncAppender: Queue full, blocking caller thread "
          "(appender FLUENT, queue size 1024)")
OTEL_PY = ("2026-12-01 13:52:00,201 WARNING [opentelemetry.sdk.trace.export] Queue is full, likely spans will be "
           "dropped.")
SERILOG = ("2026-12-01T13:52:00.330Z [WRN] Serilog.Sinks.Http: log event queue is full, the calling thread waits "
           "for the batch to be sent")
KAFKA = ("2026-12-01 13:52:00.000 ERROR 1 --- [io-8080-exec-2] o.a.k.clients.producer.KafkaProducer : "
         "org.apache.kafka.clients.producer.BufferExhaustedException: Failed to allocate memory within the "
         "configured max blocking time 60000 ms.")
POOL = ("2026-12-01 13:52:00.000 ERROR 1 --- [io-8080-exec-2] c.e.orders.Dispatch : "
        "java.util.concurrent.RejectedExecutionException: Task rejected from "
        "java.util.concurrent.ThreadPoolExecutor@5e9f23b4[Running, pool size = 8, queued tasks = 500]")
FLUENT_BIT_YAML = ("service:\n  flush: 1\npipeline:\n  inputs:\n    - name: forward\n      listen: 0.0.0.0\n"
                   "      port: 24224\n      mem_buf_limit: 64MB\n  outputs:\n    - name: opensearch\n"
                   "      match: '*'\n")
COLLECTOR = ("receivers:\n  otlp:\n    protocols:\n      grpc: {}\nexporters:\n  otlphttp:\n"
             "    endpoint: https://traces.example.net\n    sending_queue:\n      enabled: true\n"
             "      queue_size: 2000\n      block_on_overflow: true\nservice:\n  pipelines:\n    traces:\n"
             "      receivers: [otlp]\n      exporters: [otlphttp]\n")
VECTOR_TOML = ('[sources.in]\ntype = "http_server"\naddress = "0.0.0.0:8080"\n\n[sinks.s3]\ntype = "aws_s3"\n'
               'inputs = ["in"]\n\n[sinks.s3.buffer]\ntype = "memory"\nmax_events = 5000\nwhen_full = "block"\n')


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def sender(pod: str, text: str, first: timedelta = timedelta(minutes=8)) -> LogEvidence:
    """A workload's log as the survey's log facts give it: the top error with when it was first seen."""
    facts = extract_log_facts([text])
    errors = [e for e in facts.model_dump()["errors"] if isinstance(e, dict)]
    top = {**errors[0], "first_seen": iso(AT - first)} if errors else {"example": text, "first_seen": iso(AT - first)}
    return LogEvidence(pod=pod, namespace="apps", evidence_id="L9", top=top, hosts=[],
                       error_classes={str(e.get("error_class")) for e in errors}, previous=False,
                       more=[{"example": text}], last_lines=[text])


def case(conf: str, log: LogEvidence, reader: str = "Deployment",
         agg_lines: list[str] | None = None) -> tuple[Facts, RecordingHub]:
    write = {"at": iso(AT - timedelta(hours=1)), "type": "config",
             "object": {"kind": "ConfigMap", "namespace": "telemetry", "name": "gateway-conf"},
             "summary": "ConfigMap telemetry/gateway-conf written by argocd: data key config set", "diff": [],
             "related": [{"kind": reader, "namespace": "telemetry", "name": "gateway"}]}
    cm = {"kind": "ConfigMap", "metadata": {"name": "gateway-conf", "namespace": "telemetry"},
          "data": {"config": conf}}
    hub = RecordingHub(objects={("ConfigMap", "telemetry", "gateway-conf"): cm},
                       lists={("Pod", "telemetry"): [{"name": "gateway-6c9d8f7b5d-q8w2z"}]},
                       logs={"gateway-6c9d8f7b5d-q8w2z": agg_lines or []})
    facts = Facts(at=AT, changes={"changes": [write]}, changes_id="C7", logs=[log])
    asyncio.run(pb.read(Subject(namespace="apps"), facts, hub, iso(AT)))
    return facts, hub


def test_log4j2_queue_full_behind_fluent_bit_yaml_forward_limit() -> None:
    paused = "[2026/12/01 13:51:58] [ warn] [input] forward.0 paused (mem buf overlimit)"
    facts, _ = case(FLUENT_BIT_YAML, sender("billing-7f9c8d6b5-h2k4m", LOG4J2), agg_lines=["started", paused])
    [(ref, finding, evidence, explains)] = pb.suspects(facts)
    assert (ref.kind, ref.name) == ("ConfigMap", "gateway-conf") and "C7" in evidence
    head = finding["message"][:300]
    assert "Fluent Bit" in head and "mem_buf_limit: 64MB" in head and "push back when full" in head
    assert "paused (mem buf overlimit)" in finding["message"] and [r.name for r in explains] == ["billing"]


def test_python_otel_sdk_queue_full_behind_collector_blocking_on_overflow() -> None:
    facts, _ = case(COLLECTOR, sender("ranker-6d8f7c9b4-p3z9x", OTEL_PY))
    [hit] = pb.found(facts)
    assert hit.software == "OpenTelemetry Collector" and "block_on_overflow: true" in hit.said
    assert "queue_size 2000" in hit.said and "Queue is full" in hit.client


def test_serilog_queue_full_behind_vector_toml_when_full_block() -> None:
    facts, _ = case(VECTOR_TOML, sender("ledger-59c7d8f6b-t5v7n", SERILOG), reader="StatefulSet")
    [hit] = pb.found(facts)
    assert hit.software == "Vector" and hit.said.startswith('when_full = "block"')
    assert hit.reader is not None and hit.reader.kind == "StatefulSet"


def test_vector_toml_dropping_when_full_is_not_named() -> None:
    facts, _ = case(VECTOR_TOML.replace('"block"', '"drop_newest"'), sender("ledger-59c7d8f6b-t5v7n", SERILOG))
    assert pb.found(facts) == []


def test_fluent_bit_yaml_limit_on_a_tail_input_is_not_push_back() -> None:
    tail = FLUENT_BIT_YAML.replace("name: forward", "name: tail").replace("listen: 0.0.0.0", "path: /var/log/*.log")
    assert pb.blocking(tail) is None
    two = FLUENT_BIT_YAML.replace("      mem_buf_limit: 64MB\n", "    - name: tail\n      mem_buf_limit: 64MB\n")
    assert pb.blocking(two) is None  # the limit belongs to the next input, not the forward one


def test_other_classes_buffer_words_read_nothing() -> None:
    for text in (KAFKA, POOL):
        facts, hub = case(FLUENT_BIT_YAML, sender("orders-6f7c9d8b5d-x4k2q", text))
        assert hub.calls == [] and pb.found(facts) == []
