"""A store's resource alarm set off by a write of its threshold out of the node's reach (issue #12, round 22 class:
a broker's disk alarm raised by a config, not by a full disk).

Written here, not taken from the held-out bundles. Shapes: a RabbitmqCluster's additionalConfig with a
disk_free_limit above its volume, proven by the broker's own "disk resource limit alarm set" line; an OpenSearch
ConfigMap lowering the flood-stage watermark to 50%, proven by the node's "flood stage disk watermark [50%]
exceeded" line. Negative twins: a sane limit on a disk that is really full (the volume's problem), an alarm that
was up before the write, a client in another namespace quoting the broker's words, and a write that holds no
threshold. The tool hub is a recorded fake answering with Kubernetes' shapes.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import alarm_setting, behind
from agent.triage.facts import Facts, LogEvidence, Ref
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub, get_only

AT = datetime(2026, 9, 2, 14, 0, tzinfo=UTC)
WRITE = AT - timedelta(minutes=30)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _rabbit(limit: str, storage: str = "40Gi") -> dict[str, Any]:
    return {"apiVersion": "rabbitmq.com/v1beta1", "kind": "RabbitmqCluster",
            "metadata": {"name": "events-bus", "namespace": "messaging"},
            "spec": {"replicas": 3, "persistence": {"storage": storage},
                     "resources": {"limits": {"memory": "2Gi"}},
                     "rabbitmq": {"additionalConfig": "cluster_partition_handling = autoheal\n"
                                                      f"disk_free_limit.absolute = {limit}\n"
                                                      "consumer_timeout = 900000\n"}}}


def _log(pod: str, namespace: str, line: str, when: datetime, warning: str = "") -> LogEvidence:
    return LogEvidence(pod=pod, namespace=namespace, evidence_id=f"E-{pod}", hosts=[], error_classes=set(),
                       previous=False, top={"example": line, "first_seen": _iso(when)},
                       warnings=[{"example": warning, "first_seen": _iso(when)}] if warning else [])


def _facts(kind: str, namespace: str, name: str, logs: list[LogEvidence], write: datetime = WRITE) -> Facts:
    change = {"at": _iso(write), "type": "other", "object": {"kind": kind, "namespace": namespace, "name": name},
              "summary": f"{kind} {namespace}/{name} written by kubectl-client-side-apply",
              "diff": ["spec written"], "related": []}
    return Facts(at=AT, changes={"changes": [change]}, changes_id="E2", logs=logs)


RMQ_ALARM = ("2026-09-02 13:34:42.000000+00:00 [warning] <0.226.0> disk resource limit alarm set on node "
             "'rabbit@events-bus-server-0.events-bus-nodes.messaging'.")
RMQ_FREE = "[warning] <0.230.0> Free disk space is insufficient. Free bytes: 38212993024. Limit: 50000000000"


def _run(facts: Facts, hub: RecordingHub) -> list[alarm_setting.Hit]:
    asyncio.run(alarm_setting.read(Subject(), facts, hub, _iso(AT)))
    return alarm_setting.found(facts)


def test_a_rabbitmq_disk_free_limit_above_its_volume_is_blamed_for_the_disk_alarm() -> None:
    logs = [_log("events-bus-server-0", "messaging", RMQ_ALARM, WRITE + timedelta(minutes=4), RMQ_FREE),
            _log("events-bus-server-1", "messaging", RMQ_ALARM, WRITE + timedelta(minutes=5))]
    facts = _facts("RabbitmqCluster", "messaging", "events-bus", logs)
    hub = get_only({"events-bus": _rabbit("50GB")})
    [hit] = _run(facts, hub)
    assert (hit.key, hit.value) == ("disk_free_limit.absolute", "50GB")
    message = alarm_setting.finding(hit)["message"]
    assert message.startswith("RabbitmqCluster messaging/events-bus set disk_free_limit.absolute = 50GB, above the "
                              "40GiB volume itself")
    assert "blocks every publishing connection" in message[:400] and "4 min on 2 node(s)" in message
    [(ref, _, _, explains)] = [s for s in behind.suspects(facts) if s[1]["check"] == alarm_setting.CHECK]
    assert ref == Ref("RabbitmqCluster", "messaging", "events-bus")
    assert Ref("StatefulSet", "messaging", "events-bus-server") in explains
    assert behind.WEIGHTS[alarm_setting.CHECK] == alarm_setting.WEIGHT


def test_a_relative_limit_counts_in_multiples_of_the_memory_limit() -> None:
    obj = _rabbit("1GB", storage="10Gi")
    obj["spec"]["rabbitmq"]["additionalConfig"] = "disk_free_limit.relative = 6.0\n"
    facts = _facts("RabbitmqCluster", "messaging", "events-bus",
                   [_log("events-bus-server-0", "messaging", RMQ_ALARM, WRITE + timedelta(minutes=3))])
    [hit] = _run(facts, get_only({"events-bus": obj}))
    assert "above the 10GiB volume itself" in hit.why()


OS_LINE = ("[2026-09-02T13:40:01,112][WARN ][o.o.c.r.a.DiskThresholdMonitor] [search-nodes-0] flood stage disk "
           "watermark [50%] exceeded on [Xb3k][search-nodes-0][/usr/share/opensearch/data/nodes/0] free: 180gb[56.2%], "
           "all indices on this node will be marked read-only")


def _opensearch_cm(flood: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "search-config", "namespace": "search"},
            "data": {"opensearch.yml": "cluster.name: search\n"
                                       f"cluster.routing.allocation.disk.watermark.flood_stage: {flood}\n"}}


def test_an_opensearch_flood_stage_lowered_below_the_disks_use_is_blamed_for_read_only_indices() -> None:
    facts = _facts("ConfigMap", "search", "search-config",
                   [_log("search-nodes-0", "search", OS_LINE, WRITE + timedelta(minutes=10))])
    [hit] = _run(facts, get_only({"search-config": _opensearch_cm('"50%"')}))
    assert hit.value == "50%" and hit.threshold.component == "Elasticsearch"
    message = alarm_setting.finding(hit)["message"]
    assert message.startswith("ConfigMap search/search-config set cluster.routing.allocation.disk.watermark."
                              "flood_stage = 50%, below the 85%")
    assert "read-only" in message[:400]


def test_a_sane_threshold_on_a_really_full_disk_is_the_volumes_problem() -> None:
    facts = _facts("RabbitmqCluster", "messaging", "events-bus",
                   [_log("events-bus-server-0", "messaging", RMQ_ALARM, WRITE + timedelta(minutes=4))])
    assert _run(facts, get_only({"events-bus": _rabbit("2GB")})) == []
    facts = _facts("ConfigMap", "search", "search-config",
                   [_log("search-nodes-0", "search", OS_LINE.replace("[50%]", "[95%]"), WRITE + timedelta(minutes=9))])
    assert _run(facts, get_only({"search-config": _opensearch_cm("95%")})) == []


def test_an_alarm_up_before_the_write_is_not_the_writes_doing() -> None:
    facts = _facts("RabbitmqCluster", "messaging", "events-bus",
                   [_log("events-bus-server-0", "messaging", RMQ_ALARM, WRITE - timedelta(minutes=40))])
    assert _run(facts, get_only({"events-bus": _rabbit("50GB")})) == []


def test_a_client_quoting_the_alarm_in_its_own_namespace_reads_nothing() -> None:
    client = _log("checkout-api-6f9c8d7b5-x2k4p", "shop", "publish blocked: disk resource limit alarm set on node "
                  "rabbit@events-bus-server-0", WRITE + timedelta(minutes=5))
    facts = _facts("RabbitmqCluster", "messaging", "events-bus", [client])
    hub = get_only({"events-bus": _rabbit("50GB")})
    assert _run(facts, hub) == [] and not hub.calls


def test_a_write_that_holds_no_threshold_is_not_blamed() -> None:
    obj = _rabbit("50GB")
    obj["spec"]["rabbitmq"]["additionalConfig"] = "consumer_timeout = 900000\n"
    facts = _facts("RabbitmqCluster", "messaging", "events-bus",
                   [_log("events-bus-server-0", "messaging", RMQ_ALARM, WRITE + timedelta(minutes=4))])
    assert _run(facts, get_only({"events-bus": obj})) == []


# The same thresholds in the other places they are written: RabbitMQ's advanced.config in Erlang terms (the
# limit proven out of reach by the broker's own "Free bytes" line), and an elasticsearch.yml that nests its keys.
RMQ_ADVANCED = ('[{rabbit, [{disk_free_limit, {absolute, "50GB"}},\n'
                '           {cluster_partition_handling, autoheal}]}].\n')


def _configmap(namespace: str, name: str, data: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": namespace},
            "data": data}


def test_a_disk_free_limit_in_erlang_terms_above_the_free_disk_is_blamed() -> None:
    logs = [_log("queue-0", "broker", RMQ_ALARM.replace("events-bus-server-0", "queue-0"),
                 WRITE + timedelta(minutes=6), RMQ_FREE)]
    facts = _facts("ConfigMap", "broker", "queue-advanced", logs)
    [hit] = _run(facts, get_only({"queue-advanced": _configmap("broker", "queue-advanced",
                                                           {"advanced.config": RMQ_ADVANCED})}))
    assert (hit.key, hit.value) == ("disk_free_limit", "50GB")
    assert "above the 35.6GiB the node has free" in alarm_setting.finding(hit)["message"][:200]
    relative = RMQ_ADVANCED.replace('{absolute, "50GB"}', "{mem_relative, 1.0}")
    facts = _facts("ConfigMap", "broker", "queue-advanced", logs)
    assert _run(facts, get_only({"queue-advanced": _configmap("broker", "queue-advanced",
                                                         {"advanced.config": relative})})) == []


ES_NESTED = ("cluster:\n  name: logs\n  routing:\n    allocation:\n      disk:\n        watermark:\n"
             "          high: 90%\n          flood_stage: {flood}\n")
ES8_LINE = ('{"@timestamp":"2026-09-02T13:41:00.000Z","log.level":"WARN","message":"flood stage disk watermark '
            '[{flood}] exceeded on [Xb3k][logs-es-default-0][/usr/share/elasticsearch/data] free: 60gb[60%], all '
            'indices on this node will be marked read-only","log.logger":'
            '"org.elasticsearch.cluster.routing.allocation.DiskThresholdMonitor"}')


def test_a_nested_elasticsearch_yml_lowering_the_flood_stage_is_blamed() -> None:
    for flood, blamed in (("40%", True), ("97%", False)):
        cm = _configmap("logging", "logs-es-config", {"elasticsearch.yml": ES_NESTED.replace("{flood}", flood)})
        facts = _facts("ConfigMap", "logging", "logs-es-config",
                       [_log("logs-es-default-0", "logging", ES8_LINE.replace("{flood}", flood),
                             WRITE + timedelta(minutes=8))])
        hits = _run(facts, get_only({"logs-es-config": cm}))
        assert [(h.key, h.value) for h in hits] == (
            [("cluster.routing.allocation.disk.watermark.flood_stage", "40%")] if blamed else []), flood
