"""A store refusing writes at a watermark: the consumer scaled to zero, or the retention raised, is the suspect.

The change timelines are built by the real `changes.changes_result` over API objects written as the API
serves them (a ScalingReplicaSet event of the deployment controller, a ConfigMap's managedFields of a
`kubectl edit`/Helm write). The log lines are the software's own: RabbitMQ 3.13's alarm and Spring AMQP's
"connection blocked", redis-py's OOM reply, OpenSearch's DiskThresholdMonitor and a Go bulk client's
cluster_block_exception, Elasticsearch's read-only / allow delete block.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import backlog, rank, subject_of
from agent.triage.facts import Facts, LogEvidence
from mcp_servers.kubernetes import changes as ch
from tests.triage.test_rank import alert

AT = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)

RABBIT = ("memory resource limit alarm set on node 'rabbit@rabbitmq-0.rabbitmq-nodes.messaging'. "
          "*** Publishers will be blocked until this alarm clears ***")
AMQP_BLOCKED = "o.s.a.r.c.CachingConnectionFactory : AMQP connection blocked by broker: low on memory"
REDIS_OOM = "redis.exceptions.ResponseError: OOM command not allowed when used memory > 'maxmemory'."
OS_FLOOD = ("[opensearch-data-1] flood stage disk watermark [95%] exceeded on [hT4s][opensearch-data-1]"
            "[/usr/share/opensearch/data/nodes/0] free: 9.8gb[4.9%], all indices on this node will be marked "
            "read-only")
ES_BLOCK = ("elasticsearch: bulk failed: cluster_block_exception: index [logs-2026.05.01] blocked by: "
            "[FORBIDDEN/12/index read-only / allow delete (api)];")
ES_FLOOD = ("flood stage disk watermark [95%] exceeded on [es-2][elasticsearch-master-2][/usr/share/elasticsearch/"
            "data] free: 4.1gb[4.1%], all indices on this node will be marked read-only")


def _log(pod: str, ns: str, message: str, minutes_ago: int = 5, severity: str = "error") -> LogEvidence:
    first = (AT - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
    top = {"template": message, "example": message, "message": message, "severity": severity,
           "error_class": "connection_timeout", "count": 20, "first_seen": first}
    return LogEvidence(pod=pod, namespace=ns, evidence_id="E5", top=top, hosts=[], error_classes={"connection_timeout"},
                       previous=False)


def _deployment(name: str, ns: str, replicas: int = 0) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": ns, "creationTimestamp": ch.iso(AT - timedelta(days=60))},
            "spec": {"replicas": replicas, "template": {"metadata": {"labels": {"app": name}},
                                                        "spec": {"containers": [{"name": name, "image": "x:1"}]}}}}


def _scaled(name: str, ns: str, minutes_ago: int, message: str) -> dict[str, Any]:
    t = ch.iso(AT - timedelta(minutes=minutes_ago))
    return {"apiVersion": "v1", "kind": "Event", "metadata": {"name": f"{name}.{minutes_ago}", "namespace": ns},
            "involvedObject": {"kind": "Deployment", "name": name, "namespace": ns}, "reason": "ScalingReplicaSet",
            "message": message, "type": "Normal", "count": 1, "firstTimestamp": t, "lastTimestamp": t,
            "source": {"component": "deployment-controller"}}


def _configmap(name: str, ns: str, data: dict[str, str], edited_days_ago: float, manager: str) -> dict[str, Any]:
    fields = {"f:data": {f"f:{k}": {} for k in data}}
    return {"apiVersion": "v1", "kind": "ConfigMap", "data": data,
            "metadata": {"name": name, "namespace": ns, "creationTimestamp": ch.iso(AT - timedelta(days=300)),
                         "managedFields": [{"manager": manager, "operation": "Update", "apiVersion": "v1",
                                            "time": ch.iso(AT - timedelta(days=edited_days_ago)),
                                            "fieldsType": "FieldsV1", "fieldsV1": fields}]}}


def _facts(objects: ch.Objects, logs: list[LogEvidence], window: timedelta = timedelta(hours=6)) -> Facts:
    facts = Facts(at=AT, logs=logs)
    facts.changes = ch.changes_result(objects, AT, timedelta(hours=6), [], []).model_dump(mode="json")
    facts.history.append((ch.changes_result(objects, AT, window, [], []).model_dump(mode="json"), "E9"))
    facts.objects += [(o, "E10") for o in objects.get("ConfigMap") or []]
    return facts


def test_rabbitmq_memory_alarm_blames_the_consumer_scaled_to_zero_above_broker_and_clients() -> None:
    objects: ch.Objects = {
        "Deployment": [_deployment("invoice-consumer", "billing"), _deployment("invoice-api", "billing", 3)],
        "Event": [_scaled("invoice-consumer", "billing", 200, "Scaled down replica set invoice-consumer-5c7 to 0 "
                          "from 2")]}
    logs = [_log("invoice-api-5d8f-abcde", "billing", AMQP_BLOCKED, severity="warning"),
            _log("rabbitmq-0", "messaging", RABBIT, minutes_ago=6, severity="warning")]
    facts = _facts(objects, logs)
    [c] = backlog.culprits(facts)
    assert (c.target.name, c.why) == ("invoice-consumer", "consumer") and c.alarm.software == "RabbitMQ"
    assert c.alarm.resource == "memory" and c.alarm.store is not None and c.alarm.store.name == "rabbitmq"
    f = backlog.finding(c)
    assert "RabbitMQ's memory alarm" in f["message"] and "scaled to 0" in f["message"]
    assert "blocked" in f["message"] and "billing/invoice-api" in f["message"]
    suspects = rank(subject_of(alert(alertname="HighLatency", namespace="billing", service="invoice-api")), facts)
    assert suspects[0].ref is not None and suspects[0].ref.name == "invoice-consumer"


def test_redis_maxmemory_from_a_client_alone_blames_the_worker_left_at_zero() -> None:
    objects: ch.Objects = {"Deployment": [_deployment("session-reaper", "auth")],
                           "Event": [_scaled("session-reaper", "auth", 90, "Scaled down replica set "
                                             "session-reaper-77f to 0 from 1")]}
    facts = _facts(objects, [_log("login-6f9c8d7b5-x2k4q", "auth", REDIS_OOM)])
    [c] = backlog.culprits(facts)
    assert c.target.name == "session-reaper" and c.alarm.software == "Redis" and c.alarm.store is None
    assert "Redis's memory alarm" in backlog.finding(c)["message"]


def test_a_consumer_scaled_back_up_since_is_not_the_culprit() -> None:
    objects: ch.Objects = {"Deployment": [_deployment("invoice-consumer", "billing", 2)], "Event": [
        _scaled("invoice-consumer", "billing", 200, "Scaled down replica set invoice-consumer-5c7 to 0 from 2"),
        _scaled("invoice-consumer", "billing", 100, "Scaled up replica set invoice-consumer-5c7 to 2 from 0")]}
    facts = _facts(objects, [_log("rabbitmq-0", "messaging", RABBIT, severity="warning")])
    assert backlog.culprits(facts) == []


def test_opensearch_flood_stage_blames_the_retention_raised_days_before() -> None:
    curator = _configmap("curator-config", "logging", {
        "action_file.yml": "actions:\n  1:\n    action: delete_indices\n    filters:\n    - filtertype: age\n"
                           "      unit: days\n      unit_count: 60\n",
        "config.yml": "client:\n  hosts: [opensearch-data.logging.svc]\n"}, 9, "kubectl-edit")
    unrelated = _configmap("grafana-ini", "logging", {"grafana.ini": "[server]\nhttp_port = 3000\n"}, 3, "helm")
    objects: ch.Objects = {"ConfigMap": [curator, unrelated]}
    facts = _facts(objects, [_log("opensearch-data-1", "logging", OS_FLOOD, 20, "warning")], timedelta(days=30))
    [c] = backlog.culprits(facts)
    assert (c.target.name, c.why, c.setting) == ("curator-config", "retention", "unit_count: 60")
    message = backlog.finding(c)["message"]
    assert "retention" in message and "watermark" in message and "read-only" in message and "9 days" in message
    assert backlog.culprits(_facts(objects, facts.logs)) == []  # six hours of history do not reach the edit


def test_elasticsearch_block_with_an_ilm_min_age_in_a_helm_configmap() -> None:
    ilm = _configmap("log-policies", "observability", {
        "logs-policy.json": '{"policy": {"phases": {"hot": {"actions": {"rollover": {"max_size": "50gb"}}},\n'
                            '"delete": {"min_age": "120d", "actions": {"delete": {}}}}}}',
        "elasticsearch-url": "http://elasticsearch-master.observability:9200"}, 16, "helm")
    logs = [_log("fluent-bit-8xk2p", "observability", ES_BLOCK),
            _log("elasticsearch-master-2", "observability", ES_FLOOD, 30, "warning")]
    facts = _facts({"ConfigMap": [ilm]}, logs, timedelta(days=30))
    [c] = backlog.culprits(facts)
    assert c.target.name == "log-policies" and c.alarm.software == "Elasticsearch" and "min_age" in c.setting
    assert c.alarm.store is not None and c.alarm.store.name == "elasticsearch-master"
    assert backlog.explained(c)[0].name == "elasticsearch-master"


def test_no_watermark_in_any_log_is_no_culprit() -> None:
    objects: ch.Objects = {"Deployment": [_deployment("invoice-consumer", "billing")],
                           "Event": [_scaled("invoice-consumer", "billing", 50, "Scaled down replica set "
                                             "invoice-consumer-5c7 to 0 from 2")]}
    facts = _facts(objects, [_log("invoice-api-5d8f-abcde", "billing", "upstream connect error: timeout")])
    assert backlog.culprits(facts) == []
    blocked = _facts(objects, [_log("invoice-api-5d8f-abcde", "billing", "egress connection blocked by policy")])
    assert backlog.culprits(blocked) == []  # blocked, but no store says it is full: not this class
