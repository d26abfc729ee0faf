"""agent.triage.queue_split: a consumer moved off the queue name its producers still write to.

Shapes: a Temporal worker release renaming TEMPORAL_TASK_QUEUE while its caller keeps the old queue in its env; a
Kafka consumer StatefulSet renaming KAFKA_TOPIC while the producer's args still name the old topic; a Secret's
REDIS_URL rewritten under BullMQ workers that Reloader restarted while the producers read REDIS_URL from their own
Secret. Twins: the producer already on the new name, a rename of a non-queue setting (LOG_LEVEL), and the same Secret
write whose reader never restarted (the pods still hold the old connection), a credential key rotated, and a
DATABASE_URL (no queue store) rewritten.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import queue_split as qs
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 11, 28, 12, 50, tzinfo=UTC)


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def workload(kind: str, ns: str, name: str, env: list[dict[str, Any]], args: list[str] | None = None) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "main", "image": f"reg/{name}:1", "env": env}
    if args:
        container["args"] = args
    return {"kind": kind, "metadata": {"name": name, "namespace": ns},
            "spec": {"template": {"spec": {"containers": [container]}}}}


def run(objects: list[dict[str, Any]], changes: list[dict[str, Any]], logs: dict[str, list[str]] | None = None,
        pods: list[str] | None = None) -> Facts:
    ns = objects[0]["metadata"]["namespace"]
    lists: dict[Any, list[dict[str, Any]]] = {
        (kind, ns): [{"name": o["metadata"]["name"]} for o in objects if o["kind"] == kind]
        for kind in ("Deployment", "StatefulSet")}
    lists[("Pod", ns)] = [{"name": p} for p in pods or []]
    hub = RecordingHub(objects={(o["kind"], ns, o["metadata"]["name"]): o for o in objects}, lists=lists,
                       logs=logs or {})
    facts = Facts(at=AT, changes={"changes": changes}, changes_id="C1")
    asyncio.run(qs.read(Subject(names=["x"]), facts, hub, iso(AT)))
    return facts


def env_change(kind: str, ns: str, name: str, key: str, old: str, new: str, minutes: int = 24) -> dict[str, Any]:
    line = f"worker env {key}='{old}' -> {key}='{new}'"
    return {"at": iso(AT - timedelta(minutes=minutes)), "type": "updated",
            "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} rolled out: {line}", "diff": [line]}


def temporal(caller_queue: str, key: str = "TEMPORAL_TASK_QUEUE", old: str = "payments",
             new: str = "payments-v2") -> Facts:
    worker = workload("Deployment", "orders", "payment-worker", [{"name": key, "value": new}])
    caller = workload("Deployment", "orders", "order-api", [{"name": "PAYMENTS_TASK_QUEUE", "value": caller_queue},
                                                          {"name": "TEMPORAL_ADDRESS", "value": "temporal:7233"}])
    return run([worker, caller], [env_change("Deployment", "orders", "payment-worker", key, old, new)])


def test_task_queue_renamed_on_the_worker_only_names_the_worker() -> None:
    hits = qs.found(temporal("payments"))
    assert len(hits) == 1
    message = qs.finding(hits[0], AT)["message"]
    assert str(hits[0].culprit) == "Deployment orders/payment-worker"
    assert message.startswith("Deployment orders/payment-worker moved its consumers to another task queue: "
                              "TEMPORAL_TASK_QUEUE 'payments' -> 'payments-v2'")
    assert "order-api" in message and "no pollers" in message[:400]
    assert qs.suspects(temporal("payments"))[0][3][0].name == "order-api"


def test_caller_moved_too_names_nothing() -> None:
    assert qs.found(temporal("payments-v2")) == []


def test_a_non_queue_setting_renamed_names_nothing() -> None:
    assert qs.found(temporal("payments", key="LOG_LEVEL", old="info", new="debug")) == []


def test_kafka_topic_renamed_while_the_producer_args_keep_the_old_topic() -> None:
    consumer = workload("StatefulSet", "events", "ledger-consumer", [{"name": "KAFKA_TOPIC", "value": "ledger.v2"}])
    producer = workload("Deployment", "events", "billing-api", [], args=["--publish-topic=ledger", "--port=8080"])
    facts = run([consumer, producer],
                [env_change("StatefulSet", "events", "ledger-consumer", "KAFKA_TOPIC", "ledger", "ledger.v2", 50)])
    hits = qs.found(facts)
    assert [str(h.culprit) for h in hits] == ["StatefulSet events/ledger-consumer"]
    assert "another topic" in qs.finding(hits[0], AT)["message"]
    assert "--publish-topic=ledger" in qs.finding(hits[0], AT)["message"]


def redis_case(restarted: bool, key: str = "REDIS_URL") -> Facts:
    env_ref = [{"name": "REDIS_URL", "valueFrom": {"secretKeyRef": {"name": "thumbs-redis", "key": "REDIS_URL"}}}]
    worker = workload("Deployment", "media", "thumbs-worker", env_ref)
    producer = workload("Deployment", "media", "upload-api", [
        {"name": "REDIS_URL", "valueFrom": {"secretKeyRef": {"name": "upload-redis", "key": "REDIS_URL"}}}])
    edit = AT - timedelta(minutes=40)
    changes: list[dict[str, Any]] = [{
        "at": iso(edit), "type": "updated", "object": {"kind": "Secret", "namespace": "media", "name": "thumbs-redis"},
        "summary": "Secret media/thumbs-redis written by kubectl-edit",
        "diff": [f"data key {key} set by kubectl-edit"]}]
    if restarted:
        changes.append({"at": iso(edit + timedelta(seconds=20)), "type": "updated",
                        "object": {"kind": "Deployment", "namespace": "media", "name": "thumbs-worker"},
                        "summary": "Deployment media/thumbs-worker rolled out revision 2 (change-cause: "
                                   "reloader.stakater.com: secret thumbs-redis changed)", "diff": []})
    line = '{"level":30,"msg":"connected to redis","host":"redis.media.svc","port":6379,"db":1}'
    return run([worker, producer], changes, logs={"thumbs-worker-zvhcd8n69n-9w6c9": [line, '{"msg":"worker ready"}']},
               pods=["thumbs-worker-zvhcd8n69n-9w6c9", "upload-api-b7x4kq2z9m-xw2lp"])


def test_connection_secret_rewritten_under_restarted_workers_names_the_secret() -> None:
    hits = qs.found(redis_case(True))
    assert len(hits) == 1
    message = qs.finding(hits[0], AT)["message"]
    assert message.startswith("Secret media/thumbs-redis had its REDIS_URL rewritten 40 min before")
    assert "database index 1" in message[:400] and "upload-api" in message[:400]
    assert "6379" not in message.split("database index 1")[0]


def test_connection_secret_whose_reader_never_restarted_names_nothing() -> None:
    assert qs.found(redis_case(False)) == []


def test_a_rotated_credential_key_names_nothing() -> None:
    assert qs.found(redis_case(True, key="REDIS_PASSWORD")) == []


def test_a_database_url_rewritten_names_nothing() -> None:
    assert qs.found(redis_case(True, key="DATABASE_URL")) == []


def test_a_database_index_renamed_needs_the_other_side_under_a_queue_setting() -> None:
    worker = workload("Deployment", "jobs", "mailer-worker", [{"name": "REDIS_DB", "value": "1"}])
    producer = workload("Deployment", "jobs", "signup-api", [{"name": "REDIS_DB", "value": "0"}])
    bystander = workload("Deployment", "jobs", "signup-api", [{"name": "DEBUG", "value": "0"}])
    change = env_change("Deployment", "jobs", "mailer-worker", "REDIS_DB", "0", "1")
    hits = qs.found(run([worker, producer], [change]))
    assert [str(h.other) for h in hits] == ["Deployment jobs/signup-api"]
    assert "another database index: REDIS_DB '0' -> '1'" in qs.finding(hits[0], AT)["message"]
    assert qs.found(run([worker, bystander], [change])) == []
