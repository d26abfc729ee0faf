"""agent.triage.prefetch_hoard: a consumer's prefetch raised, the broker holding most messages unacked since.

Shapes: a Celery config file in a ConfigMap (written without values in the diff) setting worker_prefetch_multiplier
32 with task_acks_late, RabbitMQ's unacked gauge jumping; a Spring AMQP consumer Deployment whose env diff raises
SPRING_RABBITMQ_LISTENER_SIMPLE_PREFETCH 1 -> 250, NATS JetStream's ack-pending gauge (no RabbitMQ series) high.
Twins: a prefetch of 1, held messages already as high before the write, and few held messages (a ready backlog).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import prefetch_hoard as ph
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.doubles import Call, RecordingHub, outcome

AT = datetime(2026, 11, 24, 10, 40, tzinfo=UTC)
EDIT = AT - timedelta(hours=2)


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def celery(prefetch: int) -> dict[str, Any]:
    return {"kind": "ConfigMap", "metadata": {"name": "celery-config", "namespace": "wh"},
            "data": {"celeryconfig.py": f"task_acks_late = True\nworker_prefetch_multiplier = {prefetch}\n"
                                        "worker_concurrency = 4\n"}}


def hub(objects: dict[Any, Any], series: dict[str, dict[str, Any]]) -> RecordingHub:
    """`prom_query_range` answers by metric name: one aggregated series (first, last, start) or none."""

    def answer(call: Call, evidence: str) -> Any:
        query = str(call.args.get("query"))
        got = next((s for name, s in series.items() if f"({name}{{" in query), None)
        return outcome(True, {"series": [got] if got else []}, "", evidence)

    return RecordingHub(objects=objects, answers={"prom_query_range": answer})


def run(h: RecordingHub, change: dict[str, Any]) -> Facts:
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="C1")
    asyncio.run(ph.read(Subject(names=["x"]), facts, h, iso(AT)))
    return facts


def cm_change() -> dict[str, Any]:
    return {"at": iso(EDIT), "type": "updated", "object": {"kind": "ConfigMap", "namespace": "wh",
                                                           "name": "celery-config"},
            "summary": "ConfigMap wh/celery-config updated by helm", "diff": ["data key celeryconfig.py set by helm"]}


def held(first: float, last: float, start: datetime = EDIT - timedelta(minutes=30)) -> dict[str, Any]:
    return {"first": first, "last": last, "start": iso(start)}


def test_celery_prefetch_raised_with_unacked_jump_names_the_configmap() -> None:
    h = hub({("ConfigMap", "wh", "celery-config"): celery(32)},
            {"rabbitmq_queue_messages_unacked": held(6, 512), "rabbitmq_queue_messages_ready": held(3, 40)})
    hits = ph.found(run(h, cm_change()))
    assert [str(x.target) for x in hits] == ["ConfigMap wh/celery-config"]
    message = ph.finding(hits[0], AT)["message"]
    assert message.startswith("ConfigMap wh/celery-config was written 2 h 0 min before the incident with the consumer "
                              "prefetch worker_prefetch_multiplier = 32")
    assert "task_acks_late = True" in message and "512 messages unacked (was 6 before the write)" in message


def test_series_beginning_after_the_write_is_taken_as_it_is() -> None:
    h = hub({("ConfigMap", "wh", "celery-config"): celery(32)},
            {"rabbitmq_queue_messages_unacked": held(512, 512, EDIT + timedelta(minutes=5))})
    assert len(ph.found(run(h, cm_change()))) == 1


def test_prefetch_of_one_names_nothing() -> None:
    h = hub({("ConfigMap", "wh", "celery-config"): celery(1)},
            {"rabbitmq_queue_messages_unacked": held(6, 512)})
    assert ph.found(run(h, cm_change())) == []


def test_held_as_high_before_the_write_names_nothing() -> None:
    h = hub({("ConfigMap", "wh", "celery-config"): celery(32)},
            {"rabbitmq_queue_messages_unacked": held(480, 512)})
    assert ph.found(run(h, cm_change())) == []


def test_a_ready_backlog_with_few_held_names_nothing() -> None:
    h = hub({("ConfigMap", "wh", "celery-config"): celery(32)},
            {"rabbitmq_queue_messages_unacked": held(4, 12), "rabbitmq_queue_messages_ready": held(10, 900)})
    assert ph.found(run(h, cm_change())) == []


def test_spring_prefetch_env_raised_with_jetstream_ack_pending() -> None:
    deploy = {"kind": "Deployment", "metadata": {"name": "orders-consumer", "namespace": "shop"},
              "spec": {"template": {"spec": {"containers": [{"name": "app", "env": [
                  {"name": "SPRING_RABBITMQ_LISTENER_SIMPLE_PREFETCH", "value": "250"}]}]}}}}
    line = "app env SPRING_RABBITMQ_LISTENER_SIMPLE_PREFETCH='1' -> SPRING_RABBITMQ_LISTENER_SIMPLE_PREFETCH='250'"
    change = {"at": iso(EDIT), "type": "updated",
              "object": {"kind": "Deployment", "namespace": "shop", "name": "orders-consumer"},
              "summary": f"Deployment shop/orders-consumer rolled out: {line}", "diff": [line]}
    h = hub({("Deployment", "shop", "orders-consumer"): deploy},
            {"jetstream_consumer_num_ack_pending": held(10, 2000), "jetstream_consumer_num_pending": held(0, 30)})
    hits = ph.found(run(h, change))
    assert [str(x.target) for x in hits] == ["Deployment shop/orders-consumer"]
    message = ph.finding(hits[0], AT)["message"]
    assert "SPRING_RABBITMQ_LISTENER_SIMPLE_PREFETCH = 250 (was 1)" in message
    assert "NATS JetStream shows 2000 messages unacked" in message
