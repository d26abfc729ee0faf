"""A throughput bound cut on the workers of the queue or topic an alert names (agent.triage.tightened).

Nothing errors when a consumer works fewer items at once: the only symptom is the exporter's alert that the
queue or the consumer group's lag keeps growing. The alerts are Alertmanager v4 payloads in the shape of the
RabbitMQ and kafka-exporter rules (labels `queue`/`vhost`, `consumergroup`/`topic`); the writes are the change
timeline's own rollout diff lines (reads.template_diff's `<container> args [...] -> [...]`). Two shapes (a
Celery worker's `--concurrency`, a Go consumer's `--workers`) and negative twins: the bound raised, a worker
of another queue, and an alert that reports no backlog.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.incident import from_alertmanager
from agent.triage import tightened
from agent.triage.facts import Facts
from agent.triage.subject import Subject, subject_of

AT = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def _alert(labels: dict[str, str], summary: str, description: str) -> Subject:
    notes = {"summary": summary, "description": description}
    payload = {"version": "4", "status": "firing", "receiver": "vigil", "groupKey": "{}", "groupLabels": {},
               "commonLabels": labels, "commonAnnotations": notes, "externalURL": "",
               "alerts": [{"status": "firing", "labels": labels, "annotations": notes,
                           "startsAt": "2026-05-01T12:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
                           "fingerprint": "abc", "generatorURL": ""}]}
    [incident] = from_alertmanager(payload)
    return subject_of(incident)


def _rollout(ns: str, name: str, container: str, old: list[str], new: list[str], minutes: int = 70
             ) -> dict[str, Any]:
    line = f"{container} args {old!r} -> {new!r}"
    return {"at": (AT - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ"), "type": "rollout",
            "object": {"kind": "Deployment", "namespace": ns, "name": name},
            "summary": f"Deployment {ns}/{name} rolled out revision 22: {line}", "diff": [line], "related": []}


def _facts(subject: Subject, *changes: dict[str, Any]) -> Facts:
    """The survey's facts for an exporter's alert: the timeline only (no topology, no logs: nothing errors)."""
    reads = {"values": list(subject.labelled_values), "backlog_said": subject.backlog_said}
    return Facts(at=AT, changes={"changes": list(changes)}, changes_id="E2", reads={tightened.READS: reads})


RABBIT = {"alertname": "RabbitmqQueueBacklog", "namespace": "rabbitmq", "vhost": "orders",
          "queue": "orders.send_receipt", "severity": "warning"}
CELERY = ["celery", "-A", "receipts", "worker", "-Q", "orders.send_receipt", "--loglevel=INFO"]


def _rabbit() -> Subject:
    return _alert(RABBIT, "Queue orders.send_receipt has 38k ready messages",
                  "Queue orders.send_receipt in vhost orders has had more than 10000 ready messages for 10 minutes.")


def test_a_celery_concurrency_cut_on_the_alerted_queue_is_the_cause() -> None:
    subject = _rabbit()
    assert "backlog" in subject.problems and "ready messages" in subject.backlog_said
    cut = _rollout("receipts", "receipt-worker", "worker", [*CELERY, "--concurrency=16"], [*CELERY, "--concurrency=2"])
    [t] = tightened.found(_facts(subject, cut))
    f = tightened.finding(t)
    assert t.target.name == "receipt-worker" and t.bounds[0].name == "--concurrency"
    assert "--concurrency 16 -> 2" in f["message"] and "orders.send_receipt" in f["message"]
    assert "backlog" in f["message"] and "38k ready messages" in f["message"]


def test_a_consumer_groups_lag_fits_a_cut_in_worker_count_of_its_topic() -> None:
    subject = _alert({"alertname": "KafkaConsumerGroupLagHigh", "namespace": "kafka", "consumergroup": "ledger-sink",
                      "topic": "payments.settled"},
                     "Consumer group ledger-sink is falling behind on payments.settled",
                     "Lag of ledger-sink on payments.settled is 240000 messages and still growing.")
    args = ["/ledger-sink", "--brokers=kafka-bootstrap.kafka:9092", "--topic=payments.settled"]
    cut = _rollout("ledger", "ledger-sink", "sink", [*args, "--workers=12"], [*args, "--workers=3"], minutes=45)
    [t] = tightened.found(_facts(subject, cut))
    assert t.target.name == "ledger-sink" and "payments.settled" in t.how
    assert "--workers 12 -> 3" in tightened.finding(t)["message"]


def test_negative_twins_raised_another_queue_or_no_backlog() -> None:
    raised = _rollout("receipts", "receipt-worker", "worker", [*CELERY, "--concurrency=2"],
                      [*CELERY, "--concurrency=16"])
    assert tightened.found(_facts(_rabbit(), raised)) == []
    other = [a if a != "orders.send_receipt" else "mail.outbound" for a in CELERY]
    elsewhere = _rollout("mail", "mailer", "worker", [*other, "--concurrency=16"], [*other, "--concurrency=2"])
    assert tightened.found(_facts(_rabbit(), elsewhere)) == []  # a worker of another queue is not on the path
    down = _alert({**RABBIT, "alertname": "RabbitmqNodeDown"}, "RabbitMQ node down",
                  "rabbit@rabbitmq-1 has been unreachable for 5 minutes.")
    assert "backlog" not in down.problems
    cut = _rollout("receipts", "receipt-worker", "worker", [*CELERY, "--concurrency=16"], [*CELERY, "--concurrency=2"])
    assert tightened.found(_facts(down, cut)) == []  # a node down is not what a slower consumer causes
