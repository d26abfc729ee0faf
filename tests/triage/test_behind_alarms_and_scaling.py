"""A component's own quota alarm and the autoscaler trigger that decides scaling, judged over the facts.

Log lines are the components' own wordings (etcd 3.5's zap JSON "alarm raised ... NOSPACE" and "mvcc: database
space exceeded", RabbitMQ 3.12's "memory resource limit alarm set on node"), put through the real log-facts
extractor as `k8s_logs` does. Objects are as `k8s_get -o yaml` returns them (a KEDA keda.sh/v1alpha1
ScaledObject and the autoscaling/v2 HPA KEDA creates for it, a plain HPA on an External metric); gauges and
ranges are `prom_query`/`prom_query_range` answers in their structured shape (no real server: these are
recorded in the documented format of mcp_servers/prometheus/answers.py). Each class has two shapes and a
negative twin that must not make the finding.
"""

from __future__ import annotations

from typing import Any

from agent.triage import component_alarms, rank, scaling_triggers, subject_of
from agent.triage.facts import Facts
from tests.triage.test_full_volume import claim_volume, log, pod, pvc, stats
from tests.triage.test_rank import AT, alert

GI = 1024 ** 3
NOSPACE = [
    '{"level":"warn","ts":"2026-05-01T11:40:00.000Z","caller":"etcdserver/server.go:2085","msg":"alarm raised",'
    '"alarm":"NOSPACE","from":"8e9e05c52164694d"}',
    *[f'{{"level":"warn","ts":"2026-05-01T11:4{i}:00.000Z","caller":"etcdserver/util.go:170","msg":"failed to '
      'apply request","error":"etcdserver: mvcc: database space exceeded"}' for i in range(1, 6)],
]


def etcd_history(dropped: bool) -> dict[str, Any]:
    """A StatefulSet's rollout history as k8s_rollout_history answers it; revision 2 drops compaction or not."""
    second = ["etcd env ETCD_AUTO_COMPACTION_RETENTION='1h' -> unset",
              "etcd env ETCD_AUTO_COMPACTION_MODE='periodic' -> unset"] if dropped else \
        ["etcd image bitnami/etcd:3.5.9 -> bitnami/etcd:3.5.12"]
    return {"kind": "RolloutHistory", "pod": "config-etcd-0", "history": {
        "kind": "StatefulSet", "namespace": "platform", "name": "config-etcd", "revisions": [
            {"revision": 1, "name": "config-etcd-7c9", "created": "2026-03-01T10:00:00Z", "changes": []},
            {"revision": 2, "name": "config-etcd-5f1", "created": "2026-04-20T09:00:00Z", "changes": second}]}}


def etcd_gauges(size: float, quota: float) -> dict[str, Any]:
    labels = {"namespace": "platform", "job": "config-etcd", "pod": "config-etcd-0", "instance": "config-etcd-0:2379"}
    return {"samples": [{"labels": {"__name__": "etcd_mvcc_db_total_size_in_bytes", **labels}, "value": size},
                        {"labels": {"__name__": "etcd_server_quota_backend_bytes", **labels}, "value": quota}]}


def etcd_facts(*, dropped: bool = True, volume_available: float = 6 * GI, extra: list[str] | None = None) -> Facts:
    facts = Facts(at=AT)
    facts.logs.append(log("config-etcd-0", "platform", NOSPACE + (extra or []), "E3"))
    facts.objects += [
        (pod("config-etcd-0", "platform", [claim_volume("data", "data-config-etcd-0")],
             [{"name": "data", "mountPath": "/bitnami/etcd"}], ("StatefulSet", "config-etcd"), "bitnami/etcd:3.5.12"),
         "E4"),
        (pvc("data-config-etcd-0", "platform", "8Gi"), "E5"), (etcd_history(dropped), "E7")]
    facts.metrics += [(stats("platform", "data-config-etcd-0", 8 * GI, volume_available), "E6"),
                      (etcd_gauges(2 * GI, 2 * GI), "E8")]
    return facts


def test_etcd_nospace_is_the_quota_tied_to_the_revision_that_dropped_compaction_not_a_full_volume() -> None:
    top = rank(subject_of(alert(alertname="etcdDatabaseQuotaLowSpace", namespace="platform", job="config-etcd")),
               etcd_facts())[0]
    assert top.ref is not None and (top.ref.kind, top.ref.name) == ("StatefulSet", "config-etcd"), top.cause
    for words in ("NOSPACE", "quota", "not the disk", "revision 2", "ETCD_AUTO_COMPACTION_RETENTION", "2GiB"):
        assert words in top.cause, (words, top.cause)
    assert "is full" not in top.cause


def test_without_a_compaction_change_the_alarm_is_still_the_quota_and_names_no_revision() -> None:
    top = rank(subject_of(alert(alertname="etcdNoSpace", namespace="platform", job="config-etcd")),
               etcd_facts(dropped=False))[0]
    assert top.ref is not None and top.ref.kind == "StatefulSet" and "quota" in top.cause, top.cause
    assert "revision" not in top.cause.split("(seen")[0], top.cause


def test_the_volume_s_own_evidence_still_makes_a_full_volume() -> None:
    """Negative twin of the guard: the gauges show the claim full, so the claim is what to fix."""
    from agent.triage import full_volume
    facts = etcd_facts(volume_available=0.05 * GI)
    assert [f.claim.name for f in full_volume.fillings(facts) if f.claim] == ["data-config-etcd-0"]


def test_no_space_left_on_device_beside_the_alarm_keeps_the_full_volume() -> None:
    from agent.triage import full_volume
    facts = etcd_facts(extra=['{"level":"fatal","ts":"2026-05-01T11:50:00.000Z","msg":"failed to write WAL",'
                              '"error":"write /bitnami/etcd/data/member/wal/0.tmp: no space left on device"}'])
    assert component_alarms.disk_said(facts.logs)
    assert [f.claim.name for f in full_volume.fillings(facts) if f.claim] == ["data-config-etcd-0"]


def test_a_rabbitmq_memory_alarm_is_its_watermark_not_storage() -> None:
    facts = Facts(at=AT)
    facts.logs.append(log("events-broker-1", "queues", [
        "2026-05-01 11:50:01.123456+00:00 [warning] <0.489.0> memory resource limit alarm set on node "
        "rabbit@events-broker-1.",
        "2026-05-01 11:50:01.123456+00:00 [warning] <0.489.0> Publishers will be blocked until this alarm clears"],
        "E2"))
    facts.objects.append((pod("events-broker-1", "queues", [], [], ("StatefulSet", "events-broker"),
                              "docker.io/library/rabbitmq:3.12-management"), "E3"))
    [found] = component_alarms.raised(facts)
    assert (found.workload.kind, found.workload.name, found.alarm.component) == ("StatefulSet", "events-broker",
                                                                                 "RabbitMQ")
    assert "vm_memory_high_watermark" in component_alarms.finding(found)["message"]


def test_a_client_quoting_the_alarm_is_a_victim_not_the_component() -> None:
    facts = Facts(at=AT)
    facts.logs.append(log("flags-api-5d8f7c9b6d-k2x7q", "flags", [
        '{"level":"error","ts":"2026-05-01T11:50:00Z","msg":"save flag failed","flag":"checkout.v2",'
        '"error":"etcdserver: mvcc: database space exceeded"}'] * 3, "E2"))
    assert component_alarms.raised(facts) == []
    facts.logs.append(log("config-etcd-0", "platform", NOSPACE, "E3"))
    [(ref, _, _, explains)] = component_alarms.suspects(facts)
    assert ref.name == "config-etcd" and ("flags", "flags-api") in {(r.namespace, r.name) for r in explains}


def test_words_that_only_sound_alike_raise_no_alarm() -> None:
    assert component_alarms.alarm_of("quota of 20 requests per minute for user alice") is None
    assert component_alarms.alarm_of("database space usage 41%") is None
    assert not component_alarms.quota_alarm("write /data/x: no space left on device")


# ---- what decides scaling -------------------------------------------------------------------------------------


def scaled_object(queue_field: str, queue_value: str, target: str) -> dict[str, Any]:
    return {"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
            "metadata": {"name": "invoice-worker-scaler", "namespace": "billing"},
            "spec": {"scaleTargetRef": {"name": "invoice-worker"}, "minReplicaCount": 3, "maxReplicaCount": 30,
                     "triggers": [{"type": "rabbitmq" if "amqp" in queue_field or queue_field == "queueName"
                                   else "aws-sqs-queue", "metadata": {queue_field: queue_value, "mode": "QueueLength",
                                                                      "value": target, "activationValue": "1"}}]},
            "status": {"hpaName": "keda-hpa-invoice-worker-scaler"}}


def keda_hpa(current: int, metric: str) -> dict[str, Any]:
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "keda-hpa-invoice-worker-scaler", "namespace": "billing",
                         "ownerReferences": [{"kind": "ScaledObject", "name": "invoice-worker-scaler"}]},
            "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "invoice-worker"}, "minReplicas": 3,
                     "maxReplicas": 30},
            "status": {"currentReplicas": current, "currentMetrics": [
                {"type": "External", "external": {"metric": {"name": "s0-rabbitmq-invoices"},
                                                  "current": {"averageValue": metric}}}]}}


def target_history(hpa: str, first: float, last: float) -> dict[str, Any]:
    return {"kind": scaling_triggers.TARGET_HISTORY_KIND, "data": {"series": [
        {"labels": {"__name__": scaling_triggers.HPA_TARGET, "horizontalpodautoscaler": hpa, "namespace": "billing"},
         "first": first, "last": last}]}}


def scaling_facts(obj: dict[str, Any], first: float, values: list[str]) -> Facts:
    facts = Facts(at=AT)
    facts.changes = {"changes": [{"at": "2026-05-01T11:10:00Z", "type": "other",
                                  "object": {"kind": "ScaledObject", "namespace": "billing",
                                             "name": "invoice-worker-scaler"},
                                  "summary": "ScaledObject billing/invoice-worker-scaler written by flux: "
                                             "spec.triggers",
                                  "diff": ["spec.triggers = [...]"]}]}
    facts.changes_id = "E2"
    facts.objects += [(obj, "E5"), (keda_hpa(3, "2400"), "E6"),
                      (target_history("keda-hpa-invoice-worker-scaler", first, 400), "E7"),
                      ({"kind": scaling_triggers.VALUES_KIND, "values": values}, "")]
    return facts


def test_a_rabbitmq_queue_named_by_the_trigger_gives_the_target_change_and_the_backlog_it_allows() -> None:
    facts = scaling_facts(scaled_object("queueName", "invoices", "400"), 20, ["invoices"])
    [(ref, found, _, explains)] = scaling_triggers.suspects(facts)
    assert (ref.kind, ref.name) == ("ScaledObject", "invoice-worker-scaler")
    message = found["message"]
    for words in ("value 20 -> 400 per replica", "minimum replicas (3", "written by flux", "1200 (was 60)"):
        assert words in message, (words, message)
    assert [r.name for r in explains] == ["invoice-worker"]


def test_an_sqs_url_names_the_alert_s_queue_by_its_last_segment() -> None:
    url = "https://sqs.us-east-2.amazonaws.com/123456789012/invoices"
    facts = scaling_facts(scaled_object("queueURL", url, "400"), 20, ["invoices"])
    [item] = scaling_triggers.triggers(facts)
    assert (item.where, item.matched, item.old_target) == ("queueURL", "invoices", "20")


def test_a_trigger_on_another_queue_or_an_unchanged_target_is_no_suspect() -> None:
    other = scaling_facts(scaled_object("queueName", "invoices-dlq", "400"), 20, ["invoices"])
    assert scaling_triggers.suspects(other) == []
    assert not scaling_triggers.names_value("https://sqs.us-east-2.amazonaws.com/1/invoices-dlq", "invoices")
    unchanged = scaling_facts(scaled_object("queueName", "invoices", "400"), 400, ["invoices"])
    unchanged.changes = None
    assert scaling_triggers.suspects(unchanged) == []


def test_a_plain_hpa_on_an_external_metric_naming_the_queue() -> None:
    hpa = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
           "metadata": {"name": "mailer", "namespace": "billing"},
           "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "mailer"}, "minReplicas": 2, "maxReplicas": 10,
                    "metrics": [{"type": "External", "external": {
                        "metric": {"name": "sqs_messages_visible",
                                   "selector": {"matchLabels": {"queue": "outbound-mail"}}},
                        "target": {"type": "AverageValue", "averageValue": "300"}}}]},
           "status": {"currentReplicas": 2}}
    facts = Facts(at=AT)
    facts.objects += [(hpa, "E4"), (target_history("mailer", 30, 300), "E5"),
                      ({"kind": scaling_triggers.VALUES_KIND, "values": ["outbound-mail"]}, "")]
    [(ref, found, _, _)] = scaling_triggers.suspects(facts)
    assert ref.name == "mailer" and "averageValue 30 -> 300 per replica" in found["message"], found["message"]
