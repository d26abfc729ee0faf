"""A datastore at its connection limit: which datastore, which limit, which client's change, or an honest unknown.

The objects are shaped as the API server stores them (apps/v1 workloads with owner references, a
Service on the datastore's port selecting its StatefulSet's pods, a ConfigMap named after it, a
Secret read through env by name only); the topology is the real `build_topology`, the log facts the
real `extract` over the servers' and drivers' own wordings, and the change timeline entries have the
`k8s_changes` shape (`ChangesResult`: a scale event's message, a rollout's field diff).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agent.incident import from_text
from agent.triage import rank, runbook_for, subject_of
from agent.triage.connections import _raises
from agent.triage.facts import Facts, LogEvidence, log_evidence
from mcp_servers.common.logfacts import extract
from mcp_servers.kubernetes.topology import build_topology
from tests.triage.test_config_limits import facts_for as limit_facts
from tests.triage.test_config_limits import objects as limit_objects

AT = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
NS = "orders"
CANARY = "VIGIL-CANARY-orders-db-pw"


def _meta(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "namespace": NS, "uid": f"uid-{name}", **extra}


def _workload(kind: str, name: str, template: dict[str, Any], replicas: int = 1) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": _meta(name),
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}}, "spec": template}}}


def _pod(name: str, app: str, kind: str, owner: str, template: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": _meta(name, labels={"app": app},
                              ownerReferences=[{"kind": kind, "name": owner, "controller": True}]),
            "spec": {**template, "nodeName": "node-1"},
            "status": {"phase": "Running", "podIP": f"10.244.1.{len(name)}",
                       "conditions": [{"type": "Ready", "status": "True"}],
                       "containerStatuses": [{"name": "c", "ready": True, "restartCount": 0}]}}


def _client(name: str, extra_env: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    env = [{"name": "DATABASE_URL", "valueFrom": {"secretKeyRef": {"name": "orders-db", "key": "url"}}}]
    return {"containers": [{"name": "c", "image": f"{name}:1", "env": env + (extra_env or [])}]}


def cluster(db_port: int = 5432, db_name: str = "orders-postgres") -> dict[str, list[dict[str, Any]]]:
    """orders-api (the subject) and batch-export read Secret orders-db; the datastore's DSN is only there."""
    api, export = _client("orders-api"), _client("batch-export", [{"name": "DB_POOL_SIZE", "value": "40"}])
    server = {"containers": [{"name": "c", "image": "postgres:16"}]}
    return {
        "Deployment": [_workload("Deployment", "orders-api", api, 2),
                       _workload("Deployment", "batch-export", export, 3)],
        "StatefulSet": [_workload("StatefulSet", db_name, server)],
        "ReplicaSet": [{"kind": "ReplicaSet", "metadata": _meta(f"{n}-{h}", ownerReferences=[
            {"kind": "Deployment", "name": n, "controller": True}])}
            for n, h in (("orders-api", "7d9f8c6b5d"), ("batch-export", "5c8d7f9b6d"))],
        "Pod": [_pod("orders-api-7d9f8c6b5d-x2k4q", "orders-api", "ReplicaSet", "orders-api-7d9f8c6b5d", api),
                _pod("batch-export-5c8d7f9b6d-p9w2m", "batch-export", "ReplicaSet", "batch-export-5c8d7f9b6d", export),
                _pod(f"{db_name}-0", db_name, "StatefulSet", db_name, server)],
        "Service": [{"kind": "Service", "metadata": _meta(db_name),
                     "spec": {"selector": {"app": db_name}, "clusterIP": "10.96.0.9", "ports": [{"port": db_port}]}},
                    {"kind": "Service", "metadata": _meta("orders-web"),
                     "spec": {"selector": {"app": "orders-web"}, "clusterIP": "10.96.0.10", "ports": [{"port": 80}]}}],
        "ConfigMap": [{"kind": "ConfigMap", "metadata": _meta(f"{db_name}-conf"),
                       "data": {"postgresql.conf": "max_connections = 100\nshared_buffers = 1GB\n"}}],
        "Secret": [{"kind": "Secret", "metadata": _meta("orders-db"), "data": {"url": CANARY}}],
        "Node": [{"kind": "Node", "metadata": {"name": "node-1"}, "status": {}}],
    }


def log_of(pod: str, *lines: str) -> LogEvidence:
    facts = extract(lines)
    evidence = log_evidence({"pod": pod, "namespace": NS, "facts": facts.model_dump(mode="json")}, f"E-{pod}")
    assert evidence is not None
    return evidence


HIKARI = ("2026-05-01T11:58:00.000Z ERROR 1 --- [nio-8080-exec-3] o.h.engine.jdbc.spi.SqlExceptionHelper   : "
          "HikariPool-1 - Connection is not available, request timed out after 30000ms (total=2, active=2, idle=0, "
          "waiting=12)")
POSTGRES = ("2026-05-01 11:58:01.123 UTC [7012] FATAL:  sorry, too many clients already",
            "2026-05-01 11:58:02.456 UTC [7013] FATAL:  remaining connection slots are reserved for roles with the "
            "SUPERUSER attribute")
SCALED = {"at": "2026-05-01T11:50:00Z", "type": "scale",
          "object": {"kind": "Deployment", "namespace": NS, "name": "batch-export"},
          "summary": f"Deployment {NS}/batch-export: Scaled up replica set batch-export-5c8d7f9b6d to 3 from 1",
          "diff": []}


def facts_for(objs: dict[str, Any], changes: list[dict[str, Any]], db_logs: bool = True) -> Facts:
    topology = build_topology(objs, "orders-api", NS)
    logs = [log_of("orders-api-7d9f8c6b5d-x2k4q", HIKARI)]
    if db_logs:
        logs.append(log_of("orders-postgres-0", *POSTGRES))
    return Facts(at=AT, scan={"findings": []}, scan_id="E1", changes={"changes": changes}, changes_id="E2",
                 topologies=[(topology.model_dump(mode="json"), "E3")], logs=logs)


def subject() -> Any:
    return subject_of(from_text("orders-api times out in namespace orders"))


def test_the_datastore_named_only_in_a_secret_is_found_by_its_port_and_name_never_by_its_values() -> None:
    topology = build_topology(cluster(), "orders-api", NS)
    [store] = topology.datastores
    assert (store.service.name, store.engine, store.port, store.configured) == ("orders-postgres", "PostgreSQL",
                                                                                5432, False)
    assert "orders-db" in store.why and store.pods == ["orders-postgres-0"]
    assert {(c.workload.name, c.replicas, c.pool) for c in store.clients} == {
        ("orders-api", 2, ""), ("batch-export", 3, "DB_POOL_SIZE=40")}
    assert ("max_connections", "100") in {(s.setting, s.value) for s in topology.settings}
    assert CANARY not in topology.model_dump_json()


def test_a_service_on_another_port_or_named_unlike_the_secret_is_not_a_datastore() -> None:
    assert build_topology(cluster(db_port=8080), "orders-api", NS).datastores == []
    assert build_topology(cluster(db_name="metrics-postgres"), "orders-api", NS).datastores == []


def test_an_egress_policy_that_denies_the_datastore_rules_it_out() -> None:
    objs = cluster()
    objs["NetworkPolicy"] = [{"kind": "NetworkPolicy", "metadata": _meta("deny-egress"),
                              "spec": {"podSelector": {"matchLabels": {"app": "orders-api"}},
                                       "policyTypes": ["Egress"], "egress": []}}]
    assert build_topology(objs, "orders-api", NS).datastores == []


def test_the_client_whose_scale_up_took_the_connections_outranks_the_limit_and_the_victim() -> None:
    [top, *rest] = rank(subject(), facts_for(cluster(), [SCALED]))
    assert top.check == "connections.exhausted" and str(top.ref) == f"Deployment {NS}/batch-export"
    for words in ("max_connections=100", "sorry, too many clients already", "Scaled up replica set",
                  "DB_POOL_SIZE=40", "orders-api cannot get one"):
        assert words in top.cause, (words, top.cause)
    limit = next(c for c in rest if c.check == "config.limit")
    assert limit.confidence < top.confidence and "ConfigMap orders/orders-postgres-conf" in top.cause
    assert {"E1", "E2", "E3", "E-orders-postgres-0"} <= set(top.evidence)
    assert runbook_for(top) == "generic-triage"


def test_without_its_own_logs_the_datastore_is_still_found_from_the_clients_words() -> None:
    [top, *_] = rank(subject(), facts_for(cluster(), [SCALED], db_logs=False))
    assert str(top.ref) == f"Deployment {NS}/batch-export"
    assert "Connection is not available" in top.cause and "max_connections=100" in top.cause


def test_no_change_that_adds_connections_gives_an_honest_unknown_with_what_to_check() -> None:
    scaled_down = {**SCALED, "summary": f"Deployment {NS}/batch-export: Scaled down replica set "
                                        "batch-export-5c8d7f9b6d to 1 from 3"}
    for changes in ([], [scaled_down]):
        [top, *_] = rank(subject(), facts_for(cluster(), changes))
        assert top.check == "connections.exhausted" and str(top.ref) == f"ConfigMap {NS}/orders-postgres-conf"
        assert "unknown" in top.cause and "pg_stat_activity" in top.cause and "max_connections=100" in top.cause
        assert "batch-export x3 (DB_POOL_SIZE=40)" in top.cause


def test_only_changes_that_add_connections_count() -> None:
    assert _raises({"type": "scale", "summary": "Deployment a/b rescaled by HPA b: New size: 12; reason: cpu "
                                                "resource utilization (percentage of request) above target"})
    assert not _raises({"type": "scale", "summary": "Deployment a/b rescaled by HPA b: New size: 2; reason: All "
                                                    "metrics below target"})
    assert _raises({"type": "rollout", "diff": ["app env REDIS_POOL_SIZE='16' -> REDIS_POOL_SIZE='128'"]})
    assert not _raises({"type": "rollout", "diff": ["app env REDIS_POOL_SIZE='128' -> REDIS_POOL_SIZE='16'"]})
    assert _raises({"type": "config", "diff": ["data.application.yaml: maximum-pool-size: 10 -> 40"]})
    assert not _raises({"type": "rollout", "diff": ["app image app:1.2.0 -> app:1.3.0"]})
    assert _raises({"type": "created", "object": {"kind": "CronJob", "name": "nightly-export"}, "summary": "x"})


def test_a_pool_that_only_waits_blames_no_datastore_without_its_refusal_or_a_change() -> None:
    """HikariCP's "Connection is not available" alone says the client's own pool is empty: with neither the
    datastore's refusal (logs, its words, its gauges) nor a client change, no datastore is blamed."""
    candidates = rank(subject(), facts_for(cluster(), [], db_logs=False))
    assert all(c.check != "connections.exhausted" for c in candidates)


def test_the_clients_own_small_pool_stays_the_suspect_under_the_connection_limit_class() -> None:
    pool = "spring:\n  datasource:\n    hikari:\n      maximum-pool-size: 4\n"
    objs = limit_objects("users-db", "application.yaml", pool, {"DB_HOST": "users-db.identity.svc"}, 5432)
    objs["Deployment"][0]["spec"]["template"]["spec"]["volumes"] = [
        {"name": "config", "configMap": {"name": "users-db-config"}}]
    line = ("java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available, request timed "
            "out after 30000ms.")
    [top, *_] = rank(subject_of(from_text("login returns 500 in namespace identity")),
                     limit_facts(objs, line, "connection_limit"))
    assert top.check == "config.limit" and "maximum-pool-size 4" in top.cause
