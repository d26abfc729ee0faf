"""A reader paused upstream of a store that fills or falls behind (agent.triage.paused_consumer).

The alerts are Alertmanager v4 payloads in kube-prometheus' KubePersistentVolumeFillingUp shape and
kafka-exporter's consumer-lag shape; the change lines are the timeline's own formats for a custom resource
written by `kubectl patch` (`spec.state = 'paused'`, managedFields) and one whose last-applied configuration
gives both sides (`spec.job.state: 'running' -> 'suspended'`); the specs are a Strimzi KafkaConnector's
(Debezium PostgreSQL source) and a Flink operator FlinkDeployment's, as their CRDs define them. Negative
twins: a pause of a reader of another store, a resume, a pause older than the lead, an incident that is
neither a filling volume nor a backlog.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.incident import from_alertmanager
from agent.triage import paused_consumer as pc
from agent.triage.facts import Facts
from agent.triage.subject import Subject, subject_of

AT = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def _subject(labels: dict[str, str], summary: str) -> Subject:
    notes = {"summary": summary, "description": summary}
    payload = {"version": "4", "status": "firing", "receiver": "vigil", "groupKey": "{}", "groupLabels": {},
               "commonLabels": labels, "commonAnnotations": notes, "externalURL": "",
               "alerts": [{"status": "firing", "labels": labels, "annotations": notes,
                           "startsAt": "2026-05-01T12:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
                           "fingerprint": "abc", "generatorURL": ""}]}
    [incident] = from_alertmanager(payload)
    return subject_of(incident)


def _change(kind: str, ns: str, name: str, line: str, hours: float) -> dict[str, Any]:
    return {"at": (AT - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ"), "type": "other",
            "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} written by kubectl-patch (generation 9): {line}", "diff": [line]}


CONNECTOR_SPEC = {"class": "io.debezium.connector.postgresql.PostgresConnector", "tasksMax": 1, "state": "paused",
                  "config": {"database.hostname": "ledger-pg.payments.svc", "database.dbname": "ledger",
                             "plugin.name": "pgoutput", "slot.name": "debezium_ledger", "topic.prefix": "ledger"}}
FLINK_SPEC = {"image": "flink:1.19",
              "job": {"jarURI": "local:///opt/flink/usrlib/enricher.jar", "state": "suspended",
                      "args": ["--source-topic", "clicks.raw", "--sink-topic", "clicks.enriched"]}}


def _facts(subject: Subject, changes: list[dict[str, Any]], specs: dict[str, dict[str, Any]]) -> Facts:
    """The facts after `read`: the history with the pause, the paused objects' specs as read through k8s_get."""
    reads = {"names": pc.store_names(subject), "said": " ".join(sorted(subject.labelled_values)),
             "specs": {k: (json.dumps(v, sort_keys=True), "E21") for k, v in specs.items()}}
    return Facts(at=AT, changes={"changes": []}, changes_id="E2",
                 history=[({"window_start": "2026-04-28T12:00:00Z", "changes": changes}, "E20")],
                 reads={pc.READS: reads})


def _volume() -> Subject:
    return _subject({"alertname": "KubePersistentVolumeFillingUp", "namespace": "payments",
                     "persistentvolumeclaim": "pgdata-ledger-pg-0", "severity": "warning"},
                    "PersistentVolume is filling up.")


PAUSE = _change("KafkaConnector", "cdc", "ledger-outbox", "spec.state = 'paused'", 20)


def test_a_paused_cdc_connector_that_names_the_filling_database_is_the_cause() -> None:
    subject = _volume()
    assert pc.wanted(subject) and pc.store_names(subject)[0] == "ledger-pg"
    [p] = pc.found(_facts(subject, [PAUSE], {"KafkaConnector cdc/ledger-outbox": CONNECTOR_SPEC}))
    f = pc.finding(p)
    assert p.target.name == "ledger-outbox" and p.named_as == "ledger-pg"
    assert "paused 20 h 0 min before" in f["message"] and "replication slot" in f["message"]
    assert "WAL" in f["message"] and "kubectl-patch" in f["message"] and f["check"] == pc.CHECK


def test_a_suspended_stream_job_behind_a_lagging_topic_is_the_cause() -> None:
    subject = _subject({"alertname": "KafkaConsumerGroupLagHigh", "namespace": "kafka",
                        "consumergroup": "click-enricher", "topic": "clicks.raw"},
                       "Consumer group click-enricher lag on clicks.raw is still growing")
    line = "spec.job.state: 'running' -> 'suspended'"
    change = _change("FlinkDeployment", "streaming", "click-enricher", line, 3)
    [p] = pc.found(_facts(subject, [change], {"FlinkDeployment streaming/click-enricher": FLINK_SPEC}))
    assert p.named_as == "clicks.raw" and "lag grows" in pc.finding(p)["message"]


def test_negative_twins() -> None:
    subject = _volume()
    other = {**CONNECTOR_SPEC, "config": {**CONNECTOR_SPEC["config"], "database.hostname": "orders-pg.shop.svc"}}
    assert pc.found(_facts(subject, [PAUSE], {"KafkaConnector cdc/ledger-outbox": other})) == []
    resumed = _change("KafkaConnector", "cdc", "ledger-outbox", "spec.state: 'paused' -> 'running'", 2)
    assert pc.found(_facts(subject, [resumed], {"KafkaConnector cdc/ledger-outbox": CONNECTOR_SPEC})) == []
    old = _change("KafkaConnector", "cdc", "ledger-outbox", "spec.state = 'paused'", 24 * 5)
    assert pc.found(_facts(subject, [old], {"KafkaConnector cdc/ledger-outbox": CONNECTOR_SPEC})) == []
    crash = _subject({"alertname": "KubePodCrashLooping", "namespace": "payments", "pod": "ledger-api-5d9f7-abcde"},
                     "Pod is crash looping.")
    assert not pc.wanted(crash)


def test_what_switches_a_reader_off() -> None:
    assert pc.paused_line({"diff": ["spec.suspend: false -> true"]})
    assert pc.paused_line({"diff": ["spec.enabled: true -> false"]})
    assert pc.paused_line({"diff": ["metadata.annotations.autoscaling.keda.sh/paused = 'true'"]})
    assert not pc.paused_line({"diff": ["spec.suspend: true -> false"]})
    assert not pc.paused_line({"diff": ["spec.tasksMax: 1 -> 2"]})
