"""group_ceiling: a managed store's parameter group written to a ceiling its instances' clients are refused at.

Shapes of our own: an ACK `CacheParameterGroup` (`parameterNameValues`) set to `volatile-lru` for a Valkey
replication group whose Go client gets `OOM command not allowed`, named through a ConfigMap address; an RDS MySQL
`DBParameterGroup` whose `max_connections` was cut, a Java client refused `Too many connections`; a PostgreSQL
group through the read path (hub double). Twins: a write naming only another parameter, an evicting policy
(allkeys-lru), refusals that began before the write, a client of another instance, and a kind that is no group.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import group_ceiling as gc
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
GO_OOM = 'level=error msg="cart save failed" err="OOM command not allowed when used memory > \'maxmemory\'."'
JAVA = ("java.sql.SQLNonTransientConnectionException: Data source rejected establishment of connection, message "
        "from server: \"Too many connections\"")


def _t(minutes_before: int) -> str:
    return (AT - timedelta(minutes=minutes_before)).isoformat().replace("+00:00", "Z")


def _log(pod: str, namespace: str, said: str, first_before: int) -> LogEvidence:
    error = {"message": said, "example": said, "severity": "error", "first_seen": _t(first_before)}
    return LogEvidence(pod=pod, namespace=namespace, evidence_id="E7", top=error, hosts=[], error_classes=set(),
                       previous=False)


def _write(kind: str, namespace: str, name: str, minutes_before: int, diff: list[str]) -> dict[str, Any]:
    return {"at": _t(minutes_before), "type": "other", "object": {"kind": kind, "namespace": namespace, "name": name},
            "summary": f"{kind} {name} written by kubectl-edit: {'; '.join(diff)}", "diff": diff}


def _valkey(policy: str = "volatile-lru", diff: str = "spec.parameterNameValues", first_before: int = 12,
            addr: str = "master.carts.ab12cd.use1.cache.amazonaws.com:6379") -> Facts:
    pod = "cart-svc-6d5f7c9b8-x2k4q"
    facts = Facts(at=AT, changes={"changes": [_write("CacheParameterGroup", "caches", "carts-valkey8", 30, [diff])]},
                  changes_id="E2", logs=[_log(pod, "shop", GO_OOM, first_before)])
    facts.reads[gc.STORE] = {
        "pods": {pod: {"words": [("ConfigMap cart-env VALKEY_ADDR", addr)], "evidence": "E5"}},
        "groups": {"CacheParameterGroup caches/carts-valkey8": {
            "params": gc.parameters({"parameterNameValues": [
                {"parameterName": "maxmemory-policy", "parameterValue": policy},
                {"parameterName": "timeout", "parameterValue": "0"}]}),
            "evidence": "E6", "users": [{"ref": "ReplicationGroup carts", "name": "carts",
                                         "hosts": ["master.carts.ab12cd.use1.cache.amazonaws.com"],
                                         "evidence": "E8"}]}}}
    return facts


def test_a_cache_group_whose_policy_refuses_writes_is_named_for_its_client() -> None:
    hits = gc.found(_valkey())
    assert [(str(h.group), h.setting, h.value, h.client.name) for h in hits] == [
        ("CacheParameterGroup caches/carts-valkey8", "maxmemory-policy", "volatile-lru", "cart-svc")]
    message = gc.finding(hits[0], AT)["message"]
    assert message.startswith("CacheParameterGroup caches/carts-valkey8 (parameter group of ReplicationGroup carts) "
                              "was written 30 min before the alert: maxmemory-policy = volatile-lru; a cache at "
                              "maxmemory now refuses writes")
    assert "OOM command not allowed" in message[:400]
    assert gc.suspects(_valkey())[0][2] == ["E2", "E7", "E5", "E6", "E8"]


def test_a_mysql_group_with_fewer_connections_is_named_for_a_java_client() -> None:
    pod = "ledger-api-7f8d9c6b5-qwrtz"
    facts = Facts(at=AT, changes={"changes": [_write("DBParameterGroup", "data", "ledger-mysql8", 45,
                                                     ["spec.parameterOverrides.max_connections = '120'"])]},
                  changes_id="E2", logs=[_log(pod, "ledger", JAVA, 20)])
    facts.reads[gc.STORE] = {
        "pods": {pod: {"words": [("env SPRING_DATASOURCE_URL",
                                  "jdbc:mysql://ledger-db.cq1z.us-east-2.rds.amazonaws.com:3306/ledger")],
                       "evidence": "E5"}},
        "groups": {"DBParameterGroup data/ledger-mysql8": {
            "params": gc.parameters({"parameterOverrides": {"max_connections": "120", "slow_query_log": "1"}}),
            "evidence": "E6", "users": [{"ref": "DBInstance ledger-db", "name": "ledger-db",
                                         "hosts": ["ledger-db.cq1z.us-east-2.rds.amazonaws.com"]}]}}}
    hits = gc.found(facts)
    assert [(h.setting, h.value, h.engine.engine) for h in hits] == [("max_connections", "120", "MySQL")]


def test_twins_another_parameter_an_evicting_policy_earlier_refusals_and_another_instance() -> None:
    assert gc.found(_valkey(diff="spec.parameterNameValues timeout = '0'")) == []  # the write names only timeout
    assert gc.found(_valkey(policy="allkeys-lru")) == []  # evicts: its OOM is not this setting's
    assert gc.found(_valkey(first_before=45)) == []  # refused before the write
    assert gc.found(_valkey(addr="master.orders.ab12cd.use1.cache.amazonaws.com:6379")) == []


def test_read_follows_the_pods_env_the_group_and_its_users() -> None:
    pod = "quotes-5c6d7f8b9-zxcvb"
    pg = 'psycopg.OperationalError: connection failed: FATAL:  sorry, too many clients already'
    facts = Facts(at=AT, changes={"changes": [_write("DBParameterGroup", "data", "quotes-pg16", 25,
                                                     ["spec.parameterOverrides"])]},
                  changes_id="E2", logs=[_log(pod, "shipping", pg, 10)])
    api = "rds.services.k8s.aws/v1alpha1"
    group = {"apiVersion": api, "kind": "DBParameterGroup", "metadata": {"name": "quotes-pg16", "namespace": "data"},
             "spec": {"name": "quotes-pg16", "parameterOverrides": {"max_connections": "40"}}}
    db = {"apiVersion": api, "kind": "DBInstance", "metadata": {"name": "quotes-db", "namespace": "data"},
          "spec": {"dbParameterGroupName": "quotes-pg16"},
          "status": {"endpoint": {"address": "quotes-db.x1y2.eu-central-1.rds.amazonaws.com"}}}
    pod_obj = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": pod, "namespace": "shipping"},
               "spec": {"containers": [{"name": "app", "env": [
                   {"name": "PGHOST", "value": "quotes-db.x1y2.eu-central-1.rds.amazonaws.com"},
                   {"name": "PGPASSWORD", "valueFrom": {"secretKeyRef": {"name": "pg", "key": "pw"}}}]}]}}
    hub = RecordingHub(objects={("Pod", "shipping", pod): pod_obj, ("DBParameterGroup", "data", "quotes-pg16"): group,
                                ("dbinstances.rds.services.k8s.aws", "data", "quotes-db"): db},
                       lists={"CustomResourceDefinition": [{"name": "dbinstances.rds.services.k8s.aws"}],
                              "dbinstances.rds.services.k8s.aws": [{"name": "quotes-db", "namespace": "data"}]})
    asyncio.run(gc.read(Subject(), facts, hub, ""))
    assert not any(a.get("kind") == "Secret" for _, a in hub.calls)
    hits = gc.found(facts)
    assert [(str(h.group), h.engine.engine, h.users) for h in hits] == [
        ("DBParameterGroup data/quotes-pg16", "PostgreSQL", ["DBInstance quotes-db"])]
    assert hits[0].where == "env PGHOST = quotes-db.x1y2.eu-central-1.rds.amazonaws.com"


def test_a_write_to_a_kind_that_is_no_parameter_group_reads_nothing() -> None:
    facts = Facts(at=AT, changes={"changes": [_write("DBSubnetGroup", "data", "private", 25, ["spec.subnetIDs"])]},
                  changes_id="E2", logs=[_log("api-5c6d7f8b9-zxcvb", "shop", JAVA, 10)])
    hub = RecordingHub(objects={}, lists={})
    asyncio.run(gc.read(Subject(), facts, hub, ""))
    assert hub.calls == [] and gc.found(facts) == []


def test_registered_with_its_weight() -> None:
    from agent.triage import behind
    assert gc in behind.MODULES and behind.WEIGHTS[gc.CHECK] == gc.WEIGHT
