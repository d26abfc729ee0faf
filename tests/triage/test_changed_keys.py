"""A change to the setting the errors name is the cause, above unrelated findings, whatever its spelling.

Changes are written as k8s_changes prints them (reads.template_diff's env lines, changes'
last-applied data-key lines); errors in the words of the Kafka Java client, Redis and Spring; the
scan finding beside them is the scan's workload.missing_service shape (latent, all replicas ready).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from agent.triage import rank, subject_of
from agent.triage.changed_keys import keys_of, same_key
from agent.triage.facts import Facts, LogEvidence
from tests.triage.test_rank import alert, finding

AT = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
CONSUMER = {"kind": "Deployment", "namespace": "fulfilment", "name": "shipment-consumer"}
KAFKA_WARN = ("[Consumer clientId=consumer-shipments-1, groupId=shipments] consumer poll timeout has expired. This "
              "means the time between subsequent calls to poll() was longer than the configured max.poll.interval.ms,"
              " which typically implies that the poll loop is spending too much time processing messages.")
COMMIT = ("Offset commit cannot be completed since the consumer is not part of an active group for auto partition "
          "assignment; it is likely that the consumer was kicked out of the group.")


def _log(pod: str, errors: list[tuple[str, str]], warnings: list[str]) -> LogEvidence:
    made = [{"message": m, "template": m, "example": m, "exception": exc or None, "severity": "error",
             "error_class": "exception", "count": 20, "fields": {}} for exc, m in errors]
    warned = [{"message": m, "template": m, "example": m, "severity": "warning", "error_class": "connection_timeout",
               "count": 40, "fields": {}} for m in warnings]
    return LogEvidence(pod=pod, namespace="fulfilment", evidence_id="E6", top=made[0], hosts=[],
                       error_classes={"exception"}, previous=False, more=made[1:], warnings=warned)


def _latent_statefulset() -> dict[str, Any]:
    return finding("workload.missing_service", "StatefulSet", "kafka", "kafka",
                   "StatefulSet kafka/kafka: serviceName kafka names a Service that does not exist, so its pods' DNS "
                   "names (kafka-0.kafka.kafka.svc) do not resolve (3/3 replicas ready)")


ENV_SPELLINGS = ["KAFKA_MAX_POLL_INTERVAL_MS", "SPRING_KAFKA_CONSUMER_PROPERTIES_MAX_POLL_INTERVAL_MS",
                 "maxPollIntervalMs"]


@pytest.mark.parametrize("env", ENV_SPELLINGS)
def test_an_env_change_to_the_named_key_is_the_cause(env: str) -> None:
    change = {"at": "2026-05-01T11:10:00Z", "type": "rollout", "object": CONSUMER,
              "summary": "Deployment fulfilment/shipment-consumer rolled out revision 31: consumer tuning",
              "diff": [f"consumer env {env}='300000' -> {env}='30000'"], "related": []}
    facts = Facts(at=AT, scan_id="E1", scan={"findings": [_latent_statefulset()]}, changes_id="E2",
                  changes={"changes": [change]})
    facts.logs.append(_log("shipment-consumer-7d9f8-x2x9z", [("org.apache.kafka.clients.consumer."
                                                             "CommitFailedException", COMMIT)], [KAFKA_WARN]))
    suspects = rank(subject_of(alert(alertname="KafkaConsumerGroupLag", namespace="fulfilment",
                                     consumergroup="shipment-consumer")), facts)
    top = suspects[0]
    assert top.ref is not None and top.ref.name == "shipment-consumer" and top.check == "change.key_named"
    assert f"{env} ('300000' -> '30000')" in top.cause and "max.poll.interval.ms" in top.cause
    assert all(s.ref is None or s.ref.name != "kafka" for s in suspects[:1])


def test_a_configmap_data_key_named_by_redis_is_the_cause() -> None:
    cm = {"kind": "ConfigMap", "namespace": "cache", "name": "redis-config"}
    change = {"at": "2026-05-01T11:30:00Z", "type": "config", "object": cm,
              "summary": "ConfigMap cache/redis-config updated by kubectl-edit (used by StatefulSet cache/redis)",
              "diff": ["data key maxmemory '2gb' -> '256mb' (outside kubectl apply)"],
              "related": [{"kind": "StatefulSet", "namespace": "cache", "name": "redis"}]}
    facts = Facts(at=AT, scan_id="E1", scan={"findings": []}, changes_id="E2", changes={"changes": [change]})
    facts.logs.append(_log("cart-6c8d9-abcde", [("redis.exceptions.ResponseError",
                                                 "OOM command not allowed when used memory > 'maxmemory'.")], []))
    suspects = rank(subject_of(alert(alertname="SLOBurn", namespace="cache", service="cart")), facts)
    assert suspects[0].ref is not None and suspects[0].ref.name == "redis-config"
    assert "maxmemory ('2gb' -> '256mb')" in suspects[0].cause


def test_a_file_key_changes_line_by_line() -> None:
    change = {"type": "config", "diff": ["data key application.properties 'max.poll.records=500\\nsession.timeout.ms="
                                         "45000' -> 'max.poll.records=2000\\nsession.timeout.ms=45000'"]}
    [key] = keys_of(change)
    assert (key.key, key.old, key.new) == ("max.poll.records", "500", "2000")


def test_a_change_to_another_key_is_not_blamed() -> None:
    change = {"at": "2026-05-01T11:10:00Z", "type": "rollout", "object": CONSUMER, "summary": "rolled out",
              "diff": ["consumer env LOG_LEVEL='INFO' -> LOG_LEVEL='DEBUG'"], "related": []}
    facts = Facts(at=AT, scan_id="E1", scan={"findings": []}, changes_id="E2", changes={"changes": [change]})
    facts.logs.append(_log("shipment-consumer-7d9f8-x2x9z", [("", COMMIT)], [KAFKA_WARN]))
    suspects = rank(subject_of(alert(alertname="KafkaConsumerGroupLag", namespace="fulfilment",
                                     consumergroup="shipment-consumer")), facts)
    assert all(s.check != "change.key_named" for s in suspects)


def test_key_spellings() -> None:
    assert same_key("SPRING_KAFKA_CONSUMER_MAX_POLL_RECORDS", "max.poll.records")
    assert same_key("grpc.maxReceiveMessageSize", "max-receive-message-size")
    assert same_key("maxmemory", "maxmemory")
    assert not same_key("READ_TIMEOUT", "timeout"), "too common a word to match on"
    assert not same_key("poll.interval", "max.poll.interval.ms")


def test_a_plain_word_of_an_error_is_not_a_key() -> None:
    change = {"at": "2026-05-01T11:10:00Z", "type": "rollout", "object": CONSUMER, "summary": "rolled out",
              "diff": ["consumer env DATABASE='orders' -> DATABASE='orders_v2'"], "related": []}
    facts = Facts(at=AT, scan_id="E1", scan={"findings": []}, changes_id="E2", changes={"changes": [change]})
    facts.logs.append(_log("shipment-consumer-7d9f8-x2x9z", [("", "database connection failed: timeout")], []))
    suspects = rank(subject_of(alert(alertname="KafkaConsumerGroupLag", namespace="fulfilment",
                                     consumergroup="shipment-consumer")), facts)
    assert all(s.check != "change.key_named" for s in suspects)
