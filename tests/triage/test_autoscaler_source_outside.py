"""Autoscaler sources failing in shapes other than the first incident's (agent.triage.autoscaler_source).

Outside shapes: a KEDA AWS SQS trigger whose `queueURL` was pointed at a queue that does not exist
(AWS.SimpleQueueService.NonExistentQueue), a Redis trigger answering NOAUTH after its `address` moved to a
password-protected instance, a Kafka trigger with a comma-separated `bootstrapServers` whose second broker does not
resolve, an HPA External metric from the Datadog/external metrics API whose selector returns nothing
(FailedGetExternalMetric). Twins: the SQS failure that began before the write, an HPA whose external metrics adapter
is down ("the server is currently unable to handle the request"), an older FailedComputeMetricsReplicas event that
dates the HPA's failure before its write.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from agent.triage import autoscaler_source as a
from tests.triage.test_autoscaler_source import event, hub, run, scaled_object, ts

SQS = {"type": "aws-sqs-queue", "metadata": {"queueURL": "https://sqs.eu-west-1.amazonaws.com/4021/orders-v2",
                                            "queueLength": "10", "awsRegion": "eu-west-1"}}
NO_QUEUE = ("error getting queue length: AWS.SimpleQueueService.NonExistentQueue: The specified queue does not "
            "exist for this wsdl version. status code: 400")


def test_an_sqs_queue_url_pointing_at_no_queue_is_named_with_its_setting() -> None:
    so = scaled_object("orders-worker-scaler", "fulfil", SQS, fallback=2, failing=True, written=timedelta(minutes=50))
    got = run(hub([so], [event("orders-worker-scaler", "ScaledObject", "KEDAScalerFailed", NO_QUEUE,
                               timedelta(minutes=48))]), "fulfil")
    assert len(got) == 1
    head = got[0]["message"][:400]
    assert "queue or topic not found" in head and "fallback of 2 replicas" in head
    assert "aws-sqs-queue queueURL https://sqs.eu-west-1.amazonaws.com/4021/orders-v2" in head


def test_the_same_sqs_failure_seen_before_the_write_is_not_named() -> None:
    so = scaled_object("orders-worker-scaler", "fulfil", SQS, fallback=2, failing=True, written=timedelta(minutes=50))
    assert run(hub([so], [event("orders-worker-scaler", "ScaledObject", "KEDAScalerFailed", NO_QUEUE,
                                timedelta(hours=5))]), "fulfil") == []


def test_redis_noauth_and_sqs_access_denied_are_auth_classes() -> None:
    assert a._classify("NOAUTH Authentication required.") == "401 Unauthorized"
    assert a._classify("WRONGPASS invalid username-password pair or user is disabled.") == "401 Unauthorized"
    assert a._classify("AccessDenied: User: arn:aws:sts::4021:assumed-role/keda is not authorized to perform: "
                       "sqs:GetQueueAttributes") == "403 Forbidden"
    assert a._classify("ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN") == "401 Unauthorized"
    assert a._classify("kafka server: Request was for a topic or partition that does not exist on this broker "
                       "(UnknownTopicOrPartition)") == "queue or topic not found"


def test_redis_noauth_after_an_address_write_names_the_trigger() -> None:
    redis = {"type": "redis", "metadata": {"address": "redis-ha.cache.svc:6379", "listName": "thumbs",
                                           "listLength": "25"}}
    so = scaled_object("thumbs-scaler", "media", redis, fallback=None, failing=True, written=timedelta(hours=1))
    got = run(hub([so], [event("thumbs-scaler", "ScaledObject", "KEDAScalerFailed",
                               "error requesting redis list length: NOAUTH Authentication required.",
                               timedelta(minutes=55))]), "media")
    assert len(got) == 1 and "401 Unauthorized" in got[0]["message"][:400]
    assert "redis address redis-ha.cache.svc:6379" in got[0]["message"][:400]


def test_a_comma_separated_bootstrap_list_is_named_by_the_broker_that_does_not_resolve() -> None:
    kafka = {"type": "kafka", "metadata": {"consumerGroup": "ledger", "topic": "entries",
                                           "bootstrapServers": "kafka-0.kafka.svc:9092,kafka-9.kafka-new.svc:9092"}}
    said = "kafka: client has run out of available brokers: dial tcp: lookup kafka-9.kafka-new.svc: no such host"
    assert a._setting([kafka], said) == "kafka bootstrapServers kafka-0.kafka.svc:9092,kafka-9.kafka-new.svc:9092"


def _external_hpa(message: str, reason: str = "FailedGetExternalMetric") -> dict[str, Any]:
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "web", "namespace": "shop", "managedFields": [
                {"manager": "helm", "operation": "Update", "time": ts(timedelta(hours=2)),
                 "fieldsV1": {"f:spec": {"f:metrics": {}}}}]},
            "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web"}, "minReplicas": 2, "maxReplicas": 20,
                     "metrics": [{"type": "External", "external": {
                         "metric": {"name": "nginx.net.request_per_s",
                                    "selector": {"matchLabels": {"kube_service": "web-v2"}}},
                         "target": {"type": "AverageValue", "averageValue": "40"}}}]},
            "status": {"currentReplicas": 2, "conditions": [
                {"type": "ScalingActive", "status": "False", "reason": reason, "message": message,
                 "lastTransitionTime": ts(timedelta(hours=1, minutes=58))}]}}


EMPTY = ("the HPA was unable to compute the replica count: unable to get external metric shop/nginx.net.request_per_s/"
         "&LabelSelector{MatchLabels:map[string]string{kube_service: web-v2,},}: no metrics returned from external "
         "metrics API")


def test_an_external_metric_selector_returning_nothing_names_the_hpa() -> None:
    got = run(hub([_external_hpa(EMPTY)], []), "shop")
    assert len(got) == 1
    head = got[0]["message"][:400]
    assert "HPA shop/web cannot get its external metric nginx.net.request_per_s selector kube_service=web-v2" in head
    assert "FailedGetExternalMetric" in head


def test_an_external_adapter_down_or_an_older_compute_failure_is_not_the_selector() -> None:
    down = ("unable to get external metric shop/nginx.net.request_per_s/&LabelSelector{}: unable to fetch metrics "
            "from external metrics API: the server is currently unable to handle the request")
    assert run(hub([_external_hpa(down)], []), "shop") == []
    older = event("web", "HorizontalPodAutoscaler", "FailedComputeMetricsReplicas",
                  "invalid metrics (1 invalid out of 1), first error is: failed to get external metric value",
                  timedelta(hours=6))
    assert run(hub([_external_hpa(EMPTY)], [older]), "shop") == []
