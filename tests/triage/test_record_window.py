"""agent.triage.record_window: a store's window of accepted record timestamps narrowed before writers' late
records were refused.

Written here, not taken from the held-out bundles. Shapes: a Go producer (sarama wording) refused with
`The timestamp of the message is out of acceptable range` after a broker ConfigMap's topic default
`message.timestamp.difference.max.ms` was cut; a log agent (promtail wording) refused `timestamp too old` after a
Loki limits ConfigMap's `reject_old_samples_max_age` went 168h -> 30m. Twins: a retention-only write under the same
refusals; a window write while the producer fails for record size; the window written after the refusals began;
two window writes, the one whose object the refusal names wins.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import behind, record_window
from agent.triage.facts import Facts, LogEvidence, Ref

AT = datetime(2026, 8, 14, 16, 30, tzinfo=UTC)
SARAMA = ("level=error msg=\"produce failed\" topic=clicks.raw err=\"kafka server: The timestamp of the message is "
          "out of acceptable range\"")
PROMTAIL = ("level=error component=client msg=\"final error sending batch\" status=400 error=\"server returned HTTP "
            "status 400 Bad Request (400): entry for stream '{job=\\\"edge\\\"}' has timestamp too old: "
            "2026-08-14T09:02:11Z, oldest acceptable timestamp is: 2026-08-14T15:58:00Z\"")


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def write(kind: str, ns: str, name: str, minutes_before: int, diff: str) -> dict[str, Any]:
    return {"at": iso(AT - timedelta(minutes=minutes_before)), "type": "config",
            "object": {"kind": kind, "namespace": ns, "name": name}, "summary": f"{kind} {ns}/{name} written",
            "diff": [diff], "related": []}


BROKER = write("ConfigMap", "streaming", "broker-defaults", 180,
               "data key server.properties: message.timestamp.difference.max.ms=9223372036854775807 -> 300000")
LOKI = write("ConfigMap", "logging", "loki-limits", 90, "data key limits.yaml: reject_old_samples_max_age 168h -> 30m")


def refused(pod: str, ns: str, line: str, first_minutes_before: int = 60) -> LogEvidence:
    entry = {"message": line, "example": line, "severity": "error",
             "first_seen": iso(AT - timedelta(minutes=first_minutes_before))}
    return LogEvidence(pod=pod, namespace=ns, evidence_id=f"L-{pod}", top=entry, hosts=[], error_classes=set(),
                       previous=False)


def facts_of(changes: list[dict[str, Any]], logs: list[LogEvidence]) -> Facts:
    return Facts(at=AT, changes_id="C1", changes={"changes": changes}, logs=logs)


def test_a_broker_timestamp_difference_cut_is_named_over_the_go_producer() -> None:
    [(ref, finding, evidence, explains)] = record_window.suspects(
        facts_of([BROKER], [refused("click-relay-6d8f9c7b5-x2k4q", "edge", SARAMA)]))
    assert ref == Ref("ConfigMap", "streaming", "broker-defaults")
    assert "message.timestamp.difference.max.ms" in finding["message"]
    assert "out of acceptable range" in finding["message"]
    assert explains == [Ref("", "edge", "click-relay")] and "C1" in evidence


def test_a_loki_old_sample_age_cut_is_named_over_the_log_agent() -> None:
    [(ref, finding, _, _)] = record_window.suspects(facts_of([LOKI], [refused("promtail-4m2zq", "logging", PROMTAIL)]))
    assert ref == Ref("ConfigMap", "logging", "loki-limits")
    assert "reject_old_samples_max_age" in finding["message"] and "timestamp too old" in finding["message"]


def test_a_retention_write_under_the_same_refusals_is_not_named() -> None:
    retention = write("ConfigMap", "streaming", "broker-defaults", 180, "data key server.properties: "
                      "log.retention.hours=168 -> 24")
    assert record_window.suspects(facts_of([retention], [refused("click-relay-6d8f9c7b5-x2k4q", "edge",
                                                                 SARAMA)])) == []


def test_a_window_write_while_the_producer_fails_for_size_is_not_named() -> None:
    big = refused("click-relay-6d8f9c7b5-x2k4q", "edge",
                  "kafka server: Message was too large, server rejected it to avoid allocation error")
    assert record_window.suspects(facts_of([BROKER], [big])) == []


def test_a_window_written_after_the_refusals_began_is_not_named() -> None:
    early = refused("click-relay-6d8f9c7b5-x2k4q", "edge", SARAMA, first_minutes_before=240)
    assert record_window.suspects(facts_of([BROKER], [early])) == []


def test_the_window_write_whose_object_the_refusal_names_wins() -> None:
    named = write("KafkaTopic", "streaming", "clicks-raw", 200, "spec.config.message.timestamp.before.max.ms = "
                  "'600000'")
    [(ref, finding, _, _)] = record_window.suspects(
        facts_of([BROKER, named], [refused("click-relay-6d8f9c7b5-x2k4q", "edge", SARAMA)]))
    assert ref == Ref("KafkaTopic", "streaming", "clicks-raw") and finding["details"]["named"] is True


def test_it_is_registered_behind_the_symptoms() -> None:
    assert record_window in behind.MODULES and behind.WEIGHTS[record_window.CHECK] == record_window.WEIGHT


def test_a_cache_max_age_write_is_not_a_record_window() -> None:
    cache = write("ConfigMap", "web", "edge-headers", 60, "data key headers.conf: Cache-Control max-age=60 -> "
                  "max-age=31536000")
    assert record_window.suspects(facts_of([cache], [refused("click-relay-6d8f9c7b5-x2k4q", "edge", SARAMA)])) == []


# Elasticsearch time-series data streams refuse a document whose own @timestamp lies before the write index's
# look-back window (issue #12); both shapes failed before the link knew the setting and the refusal.
ES_REFUSED = ('[WARN ][logstash.outputs.elasticsearch] Could not index event to Elasticsearch. status: 400, '
              'error: {"type"=>"illegal_argument_exception", "reason"=>"the document timestamp '
              '[2026-08-14T09:12:00.000Z] is outside of ranges of currently writable indices '
              '[[2026-08-14T14:00:00.000Z,2026-08-14T18:30:00.000Z]]"}')
OTEL_REFUSED = ('error elasticsearchexporter: failed to index document: status 400 illegal_argument_exception: '
                'the document timestamp [2026-08-13T22:40:11Z] is outside of ranges of currently writable indices')
TEMPLATE = write("ConfigMap", "observability", "metrics-tsds-template", 150,
                 "data key template.json: index.look_back_time 2h -> 20m")
ECK_JOB = write("Job", "observability", "apply-sensor-templates", 200,
                'sensor-templates args: settings {"index.mode":"time_series","index.look_back_time":"15m"}')


def test_an_es_look_back_window_cut_is_named_over_the_logstash_writer() -> None:
    [(ref, finding, _, _)] = record_window.suspects(
        facts_of([TEMPLATE], [refused("logstash-0", "observability", ES_REFUSED)]))
    assert ref == Ref("ConfigMap", "observability", "metrics-tsds-template")
    assert "look_back_time" in finding["message"]


def test_an_es_look_back_window_refusal_with_only_a_retention_write_names_nothing() -> None:
    retention = write("ConfigMap", "observability", "metrics-ilm", 150, "data key ilm.json: delete min_age 30d -> 7d")
    assert record_window.suspects(facts_of([retention], [refused("logstash-0", "observability", ES_REFUSED)])) == []


def test_an_es_look_back_window_set_by_a_job_is_named_over_the_otel_exporter() -> None:
    [(ref, _, _, _)] = record_window.suspects(
        facts_of([ECK_JOB], [refused("otel-gateway-5d8c7b9f6-q2w3e", "observability", OTEL_REFUSED)]))
    assert ref == Ref("Job", "observability", "apply-sensor-templates")


def test_an_es_look_back_window_write_while_documents_fail_otherwise_names_nothing() -> None:
    mapping = OTEL_REFUSED.replace("the document timestamp [2026-08-13T22:40:11Z] is outside of ranges of currently "
                                   "writable indices", "failed to parse field [host.ip] of type [ip]")
    assert record_window.suspects(
        facts_of([ECK_JOB], [refused("otel-gateway-5d8c7b9f6-q2w3e", "observability", mapping)])) == []
