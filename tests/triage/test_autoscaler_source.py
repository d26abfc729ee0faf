"""An autoscaler whose metric source fails after a write of its source settings (agent.triage.autoscaler_source).

Shapes: a KEDA ScaledObject whose Kafka `bootstrapServers` was pointed at a host that does not resolve (the error
in KEDAScalerFailed events), a ScaledObject whose RabbitMQ `host` now refuses connections (the error only in the
keda-operator's log, no fallback configured), an HPA whose Pods metric selector matches no series (Prometheus has
the metric under another label value). Twins: the same failing source that failed before the write, a write with
a healthy source, an HPA whose metrics adapter is down, and an autoscaler of another namespace.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.toolhub import ToolOutcome
from agent.triage import autoscaler_source
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.doubles import Call, RecordingHub, keyed, outcome

AT = datetime(2026, 9, 3, 11, 0, tzinfo=UTC)


def ts(delta: timedelta) -> str:
    return (AT - delta).isoformat().replace("+00:00", "Z")


def scaled_object(name: str, ns: str, trigger: dict[str, Any], *, fallback: int | None, failing: bool,
                  written: timedelta) -> dict[str, Any]:
    conditions = [{"type": "Ready", "status": "False" if failing else "True",
                   "reason": "ScaledObjectCheckFailed" if failing else "ScaledObjectReady"}]
    if failing and fallback is not None:
        conditions.append({"type": "Fallback", "status": "True", "reason": "FallbackExists"})
    spec: dict[str, Any] = {"scaleTargetRef": {"name": name.removesuffix("-scaler")}, "minReplicaCount": 2,
                            "maxReplicaCount": 30, "triggers": [trigger]}
    if fallback is not None:
        spec["fallback"] = {"failureThreshold": 3, "replicas": fallback}
    return {"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
            "metadata": {"name": name, "namespace": ns, "managedFields": [
                {"manager": "flux", "operation": "Apply", "time": ts(written),
                 "fieldsV1": {"f:spec": {"f:triggers": {}}}}]},
            "spec": spec,
            "status": {"health": {"s0-x": {"status": "Failing" if failing else "Happy", "numberOfFailures": 40}},
                       "conditions": conditions}}


def hpa(name: str, ns: str, message: str, *, written: timedelta) -> dict[str, Any]:
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": name, "namespace": ns, "managedFields": [
                {"manager": "kubectl-edit", "operation": "Update", "time": ts(written),
                 "fieldsV1": {"f:spec": {"f:metrics": {}}}}]},
            "spec": {"scaleTargetRef": {"kind": "Deployment", "name": name}, "minReplicas": 3, "maxReplicas": 9,
                     "metrics": [{"type": "Pods", "pods": {
                         "metric": {"name": "jobs_in_flight", "selector": {"matchLabels": {"pool": "render-b"}}},
                         "target": {"type": "AverageValue", "averageValue": "5"}}}]},
            "status": {"currentReplicas": 3, "conditions": [
                {"type": "ScalingActive", "status": "False", "reason": "FailedGetPodsMetric", "message": message,
                 "lastTransitionTime": ts(written - timedelta(minutes=1))}]}}


def hub(objects: list[dict[str, Any]], events: list[dict[str, Any]], *, logs: dict[str, list[str]] | None = None,
        series: list[str] | None = None, changes: list[dict[str, Any]] | None = None) -> RecordingHub:
    crds = [{"name": "scaledobjects.keda.sh"}]
    lists: dict[Any, list[dict[str, Any]]] = {"customresourcedefinitions": crds, "Pod": [
        {"name": "keda-operator-6d9f-abcde", "namespace": "keda"}]}
    for o in objects:
        plural = "scaledobjects.keda.sh" if o["kind"] == "ScaledObject" else o["kind"]
        lists.setdefault(plural, []).append({"name": o["metadata"]["name"], "namespace": o["metadata"]["namespace"]})
    served: dict[Any, Any] = {}
    for o in keyed(objects).values():
        meta = o["metadata"]
        kind = "scaledobjects.keda.sh" if o["kind"] == "ScaledObject" else o["kind"]
        served[(kind, meta["namespace"], meta["name"])] = o

    def prom(call: Call, eid: str) -> ToolOutcome:
        return outcome(True, {"samples": [{"labels": {"pool": v}, "value": 2} for v in series or []]}, "", eid)

    return RecordingHub(objects=served, lists=lists, logs=logs or {}, answers={
        "k8s_events": lambda call, eid: outcome(True, {"events": events}, "", eid),
        "k8s_changes": lambda call, eid: outcome(True, {"changes": changes or [],
                                                        "window_start": ts(timedelta(days=3))}, "", eid),
        "prom_query": prom})


def run(h: RecordingHub, namespace: str, subject: Subject | None = None,
        facts: Facts | None = None) -> list[dict[str, Any]]:
    """The module's reads and suspects; by default for an incident whose words say scaling (`problems`)."""
    facts = facts or Facts(at=AT)
    subject = subject or Subject(namespace=namespace, names=[], problems={"hpa"})
    asyncio.run(autoscaler_source.read(subject, facts, h, ts(timedelta(0))))
    return [s[1] for s in autoscaler_source.suspects(facts)]


KAFKA = {"type": "kafka", "metadata": {"bootstrapServers": "kafka-old.streams.svc:9092", "consumerGroup": "billing",
                                      "topic": "invoices", "lagThreshold": "50"}}
NO_HOST = ("error getting metadata: kafka: client has run out of available brokers to talk to: dial tcp: lookup "
           "kafka-old.streams.svc on 10.96.0.10:53: no such host")


def event(name: str, kind: str, reason: str, message: str, first: timedelta) -> dict[str, Any]:
    return {"type": "Warning", "reason": reason, "kind": kind, "name": name, "message": message, "count": 30,
            "first_seen": ts(first)}


def test_keda_source_host_gone_is_named_with_setting_error_and_fallback() -> None:
    so = scaled_object("invoicer-scaler", "billing", KAFKA, fallback=4, failing=True, written=timedelta(hours=2))
    got = run(hub([so], [event("invoicer-scaler", "ScaledObject", "KEDAScalerFailed", NO_HOST,
                               timedelta(hours=1, minutes=59))]), "billing")
    assert len(got) == 1
    head = got[0]["message"][:400]
    assert got[0]["object"]["name"] == "invoicer-scaler"
    assert "KEDA ScaledObject billing/invoicer-scaler cannot reach its scaler source" in head
    assert "bootstrapServers kafka-old.streams.svc:9092" in head and "no such host" in head
    assert "fallback of 4 replicas" in head


def test_keda_error_only_in_operator_log_without_fallback() -> None:
    rabbit = {"type": "rabbitmq", "metadata": {"host": "amqp://rabbit-new.queues.svc:5672/", "queueName": "mail",
                                               "value": "20"}}
    so = scaled_object("mailer-scaler", "comms", rabbit, fallback=None, failing=True, written=timedelta(hours=1))
    line = ('{"level":"error","logger":"rabbitmq_scaler","msg":"error inspecting rabbitMQ","name":"mailer-scaler",'
            '"error":"dial tcp rabbit-new.queues.svc:5672: connect: connection refused"}')
    got = run(hub([so], [], logs={"keda-operator-6d9f-abcde": [line]}), "comms")
    assert len(got) == 1
    head = got[0]["message"][:400]
    assert "host amqp://rabbit-new.queues.svc:5672/" in head and "connection refused" in head
    assert "no fallback" in head


def test_hpa_selector_matching_no_series_is_named_with_the_values_prometheus_has() -> None:
    message = ("the HPA was unable to compute the replica count: unable to get metric jobs_in_flight: unable to "
               "fetch metrics from custom metrics API: the server could not find the metric jobs_in_flight for pods")
    h = hpa("renderer", "media", message, written=timedelta(hours=3))
    got = run(hub([h], [], series=["render-a"]), "media")
    assert len(got) == 1
    head = got[0]["message"][:400]
    assert "HPA media/renderer cannot get its pods metric jobs_in_flight selector pool=render-b" in head
    assert "FailedGetPodsMetric" in head and "pool=render-a but none for pool=render-b" in head


def test_source_failing_before_the_write_is_not_named() -> None:
    so = scaled_object("invoicer-scaler", "billing", KAFKA, fallback=4, failing=True, written=timedelta(hours=2))
    assert run(hub([so], [event("invoicer-scaler", "ScaledObject", "KEDAScalerFailed", NO_HOST,
                                timedelta(hours=5))]), "billing") == []


def test_written_but_healthy_source_is_not_named() -> None:
    so = scaled_object("invoicer-scaler", "billing", KAFKA, fallback=4, failing=False, written=timedelta(hours=2))
    assert run(hub([so], []), "billing") == []


def test_failure_without_a_recent_write_is_not_named() -> None:
    so = scaled_object("invoicer-scaler", "billing", KAFKA, fallback=4, failing=True, written=timedelta(days=9))
    assert run(hub([so], [event("invoicer-scaler", "ScaledObject", "KEDAScalerFailed", NO_HOST,
                                timedelta(hours=1))]), "billing") == []


def test_hpa_whose_metrics_adapter_is_down_is_not_named() -> None:
    message = ("the HPA was unable to compute the replica count: unable to get metric jobs_in_flight: unable to "
               "fetch metrics from custom metrics API: the server is currently unable to handle the request")
    assert run(hub([hpa("renderer", "media", message, written=timedelta(hours=3))], []), "media") == []


def test_autoscaler_of_another_namespace_is_not_read() -> None:
    so = scaled_object("invoicer-scaler", "billing", KAFKA, fallback=4, failing=True, written=timedelta(hours=2))
    assert run(hub([so], [event("invoicer-scaler", "ScaledObject", "KEDAScalerFailed", NO_HOST,
                                timedelta(hours=1))]), "storefront") == []


def test_keda_generated_hpa_is_left_to_its_scaled_object() -> None:
    message = ("the HPA was unable to compute the replica count: unable to get external metric billing/s0-kafka-"
               "invoices/&LabelSelector{...}: no metrics returned from external metrics API")
    owned = hpa("keda-hpa-invoicer-scaler", "billing", message, written=timedelta(hours=2))
    owned["metadata"]["ownerReferences"] = [{"kind": "ScaledObject", "name": "invoicer-scaler", "controller": True}]
    so = scaled_object("invoicer-scaler", "billing", KAFKA, fallback=4, failing=True, written=timedelta(hours=2))
    got = run(hub([so, owned], [event("invoicer-scaler", "ScaledObject", "KEDAScalerFailed", NO_HOST,
                                      timedelta(hours=1))]), "billing")
    assert [g["object"]["kind"] for g in got] == ["ScaledObject"]


PROM_AUTH = {"type": "prometheus", "authenticationRef": {"name": "prom-creds"},
             "metadata": {"serverAddress": "https://mimir.example.net/prometheus", "query": "sum(rate(x[2m]))",
                          "threshold": "40", "authModes": "bearer"}}
UNAUTHORIZED = ('error requesting metrics endpoint: https://mimir.example.net/prometheus/api/v1/query: prometheus '
                'query api returned error. status: 401 response: {"status":"error","error":"unauthorized"}')


def test_trigger_authentication_written_before_401_is_named() -> None:
    so = scaled_object("api-scaler", "shop", PROM_AUTH, fallback=3, failing=True, written=timedelta(days=20))
    write = {"at": ts(timedelta(minutes=40)), "type": "updated",
             "object": {"kind": "TriggerAuthentication", "namespace": "shop", "name": "prom-creds"},
             "summary": "TriggerAuthentication shop/prom-creds written by kubectl-apply: spec.secretTargetRef"}
    got = run(hub([so], [event("api-scaler", "ScaledObject", "KEDAScalerFailed", UNAUTHORIZED,
                               timedelta(minutes=39))], changes=[write]), "shop")
    assert len(got) == 1 and got[0]["object"] == {"kind": "TriggerAuthentication", "namespace": "shop",
                                                  "name": "prom-creds"}
    head = got[0]["message"][:400]
    assert "TriggerAuthentication shop/prom-creds" in head and "401 Unauthorized" in head and "fallback of 3" in head


def test_401_with_no_recent_write_of_its_auth_or_triggers_is_not_named() -> None:
    so = scaled_object("api-scaler", "shop", PROM_AUTH, fallback=3, failing=True, written=timedelta(days=20))
    other = {"at": ts(timedelta(minutes=40)), "type": "updated",
             "object": {"kind": "TriggerAuthentication", "namespace": "shop", "name": "kafka-creds"},
             "summary": "TriggerAuthentication shop/kafka-creds written by kubectl-apply: spec.secretTargetRef"}
    assert run(hub([so], [event("api-scaler", "ScaledObject", "KEDAScalerFailed", UNAUTHORIZED,
                                timedelta(minutes=39))], changes=[other]), "shop") == []


# ---- read only when the incident shows scaling ------------------------------------------------------------------

def _failing_keda() -> RecordingHub:
    so = scaled_object("invoicer-scaler", "billing", KAFKA, fallback=4, failing=True, written=timedelta(hours=2))
    return hub([so], [event("invoicer-scaler", "ScaledObject", "KEDAScalerFailed", NO_HOST,
                            timedelta(hours=1, minutes=59))])


def test_an_incident_with_no_scaling_symptom_makes_no_call() -> None:
    """A crash-looping pod's incident, a ConfigMap written: nothing of scaling, so not one read of this module."""
    h = _failing_keda()
    facts = Facts(at=AT, scan={"findings": [{"check": "pod.crashloop", "reason": "CrashLoopBackOff",
                                             "object": {"kind": "Pod", "namespace": "billing", "name": "api-1"},
                                             "message": "back-off restarting failed container"}]},
                  changes={"changes": [{"at": ts(timedelta(hours=1)), "type": "config", "summary": "ConfigMap written",
                                        "object": {"kind": "ConfigMap", "namespace": "billing", "name": "api"}}]})
    assert run(h, "billing", Subject(namespace="billing", names=["api"]), facts) == []
    assert len(h.calls) == 0


def test_a_write_to_a_scaled_object_in_the_timeline_is_the_symptom() -> None:
    """The error-budget alert says nothing of scaling; the timeline's write to the ScaledObject does."""
    h = _failing_keda()
    facts = Facts(at=AT, changes={"changes": [{"at": ts(timedelta(hours=2)), "type": "other",
                                               "summary": "ScaledObject billing/invoicer-scaler written by flux",
                                               "object": {"kind": "ScaledObject", "namespace": "billing",
                                                          "name": "invoicer-scaler"}}]})
    got = run(h, "billing", Subject(namespace="billing", names=["invoicer"]), facts)
    assert [g["object"]["name"] for g in got] == ["invoicer-scaler"] and len(h.calls) >= 3


def test_a_scan_finding_about_an_hpa_or_a_reported_backlog_is_the_symptom() -> None:
    message = ("the HPA was unable to compute the replica count: unable to get metric jobs_in_flight: unable to "
               "fetch metrics from custom metrics API: the server could not find the metric jobs_in_flight for pods")
    h = hub([hpa("renderer", "media", message, written=timedelta(hours=3))], [], series=["render-a"])
    scan = {"findings": [{"check": "hpa.metrics_unavailable", "reason": "FailedGetPodsMetric", "message": message,
                          "object": {"kind": "HorizontalPodAutoscaler", "namespace": "media", "name": "renderer"}}]}
    got = run(h, "media", Subject(namespace="media", names=["renderer"]), Facts(at=AT, scan=scan))
    assert [g["object"]["name"] for g in got] == ["renderer"]
    backlog = _failing_keda()
    said = "consumer group billing lag on invoices keeps growing"
    got = run(backlog, "billing", Subject(namespace="billing", names=["invoicer"], backlog_said=said))
    assert [g["object"]["name"] for g in got] == ["invoicer-scaler"]


# ---- a credential without rights, in other products' words (issue #12 round 38) ----------------------------------

REDIS_SHARED = {"type": "redis", "metadata": {"address": "redis-jobs.queues.svc:6379", "listName": "thumbnails",
                                             "listLength": "20"},
                "authenticationRef": {"kind": "ClusterTriggerAuthentication", "name": "redis-shared"}}
NOPERM = ("error getting scale decision: NOPERM User keda-reader has no permissions to run the 'llen' command")
PG_AUTH = {"type": "postgresql", "metadata": {"query": "SELECT count(*) FROM job_queue WHERE state='ready'",
                                              "targetQueryValue": "10"},
           "authenticationRef": {"name": "pg-reader"}}
PG_DENIED = "error querying postgreSQL: pq: permission denied for table job_queue"


def auth_write(kind: str, ns: str, name: str, minutes: int) -> dict[str, Any]:
    return {"at": ts(timedelta(minutes=minutes)), "type": "updated", "object": {"kind": kind, "namespace": ns,
                                                                               "name": name},
            "summary": f"{kind} {name} written by Terraform: spec.secretTargetRef"}


def test_cluster_trigger_authentication_repointed_at_a_user_without_rights_is_named() -> None:
    so = scaled_object("thumbs-scaler", "media", REDIS_SHARED, fallback=None, failing=True, written=timedelta(days=9))
    got = run(hub([so], [event("thumbs-scaler", "ScaledObject", "KEDAScalerFailed", NOPERM, timedelta(minutes=29))],
                  changes=[auth_write("ClusterTriggerAuthentication", "", "redis-shared", 30)]), "media")
    assert len(got) == 1 and got[0]["object"] == {"kind": "ClusterTriggerAuthentication", "namespace": "",
                                                  "name": "redis-shared"}
    assert "403 Forbidden" in got[0]["message"] and "NOPERM" in got[0]["message"]


def test_trigger_authentication_of_a_database_reader_without_grant_is_named() -> None:
    so = scaled_object("worker-scaler", "jobs", PG_AUTH, fallback=2, failing=True, written=timedelta(days=30))
    got = run(hub([so], [event("worker-scaler", "ScaledObject", "KEDAScalerFailed", PG_DENIED,
                               timedelta(minutes=14))], changes=[auth_write("TriggerAuthentication", "jobs",
                                                                            "pg-reader", 15)]), "jobs")
    assert [g["object"]["name"] for g in got] == ["pg-reader"] and "permission denied" in got[0]["message"]


def test_denial_with_another_trigger_authentication_written_is_not_named() -> None:
    so = scaled_object("thumbs-scaler", "media", REDIS_SHARED, fallback=None, failing=True, written=timedelta(days=9))
    assert run(hub([so], [event("thumbs-scaler", "ScaledObject", "KEDAScalerFailed", NOPERM, timedelta(minutes=29))],
                   changes=[auth_write("ClusterTriggerAuthentication", "", "kafka-shared", 30)]), "media") == []


def test_denial_seen_before_the_write_is_not_named() -> None:
    so = scaled_object("worker-scaler", "jobs", PG_AUTH, fallback=2, failing=True, written=timedelta(days=30))
    assert run(hub([so], [event("worker-scaler", "ScaledObject", "KEDAScalerFailed", PG_DENIED,
                                timedelta(hours=3))], changes=[auth_write("TriggerAuthentication", "jobs",
                                                                          "pg-reader", 15)]), "jobs") == []
