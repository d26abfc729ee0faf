"""agent.triage.replica_writes: writes a replica refused are blamed on the setting that names the host.

The facts are shaped as the survey keeps them: `k8s_topology` answers (their `dependencies`, with
`via` as mcp_servers.kubernetes.topology writes it), a `k8s_get` ConfigMap, and log evidence whose
errors are the datastores' real refusals (Redis, PostgreSQL, MySQL, MongoDB).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from agent.triage import replica_writes
from agent.triage.facts import Facts, LogEvidence, Ref


def _log(pod: str, message: str) -> LogEvidence:
    return LogEvidence(pod=pod, namespace="shop", evidence_id="E4", top={"message": message, "error_class": "db_error"},
                       hosts=[], error_classes={"db_error"}, previous=False)


def _topology(workload: str, via: str, target: dict[str, str]) -> dict[str, Any]:
    return {"subject": {"kind": "Deployment", "namespace": "shop", "name": workload},
            "workloads": [{"kind": "Deployment", "namespace": "shop", "name": workload}],
            "dependencies": [{"target": target, "via": via, "healthy": True, "detail": "3 of 3 endpoints ready"}]}


def _facts(log: LogEvidence, topology: dict[str, Any], *objects: dict[str, Any]) -> Facts:
    facts = Facts(at=datetime(2026, 12, 1, tzinfo=UTC), logs=[log], topologies=[(topology, "E3")])
    facts.objects += [(o, "E9") for o in objects]
    return facts


def test_redis_host_in_a_configmap_is_the_suspect_with_its_value() -> None:
    cm = {"kind": "ConfigMap", "metadata": {"name": "cart-settings", "namespace": "shop"},
          "data": {"CACHE_ADDR": "cache-1.cache.data.svc:6379", "TTL": "60"}}
    facts = _facts(_log("cart-7d9f8c6b5-abcde", "ReadOnlyError: READONLY You can't write against a read only replica."),
                   _topology("cart", "configmap shop/cart-settings key CACHE_ADDR (env CACHE_ADDR)",
                             {"kind": "Service", "namespace": "data", "name": "cache"}), cm)
    [pin] = replica_writes.pinned(facts)
    assert pin.setting == Ref("ConfigMap", "shop", "cart-settings")
    assert pin.key == "CACHE_ADDR" and pin.value == "cache-1.cache.data.svc:6379"
    assert pin.workload == Ref("Deployment", "shop", "cart")
    message = replica_writes.finding(pin)["message"]
    assert message.startswith("ConfigMap shop/cart-settings key CACHE_ADDR = cache-1.cache.data.svc:6379 pins")
    assert "read-only replica" in message and "E9" in pin.evidence


def test_postgres_host_as_an_env_literal_blames_the_workloads_env() -> None:
    facts = _facts(_log("ledger-5c4b-xyz12", 'psycopg2.errors.ReadOnlySqlTransaction: cannot execute INSERT in a '
                                            "read-only transaction"),
                   _topology("ledger", "env PGHOST", {"kind": "Service", "namespace": "db", "name": "pg-replicas"}))
    [pin] = replica_writes.pinned(facts)
    assert pin.setting == Ref("Deployment", "shop", "ledger") and pin.key == "PGHOST"
    assert "Deployment shop/ledger's env PGHOST pins" in replica_writes.finding(pin)["message"]


@pytest.mark.parametrize("message", [
    "ERROR 1290 (HY000): The MySQL server is running with the --read-only option so it cannot execute this statement",
    "MongoServerError: NotWritablePrimary",
])
def test_other_datastores_refusals_are_recognised(message: str) -> None:
    assert replica_writes.refusal(_log("a-1-2", message))


def test_other_errors_name_no_setting() -> None:
    facts = _facts(_log("cart-7d9f8c6b5-abcde", "ECONNREFUSED 10.0.0.7:6379"),
                   _topology("cart", "configmap shop/cart-settings key CACHE_ADDR",
                             {"kind": "Service", "namespace": "data", "name": "cache"}))
    assert replica_writes.pinned(facts) == []


# ---- no resolved dependency: the timeline shows a connection setting written in the writer's namespace ----------

_AT = datetime(2026, 12, 1, tzinfo=UTC)


def _write(kind: str, ns: str, name: str, key: str, minutes: int, related: list[dict[str, str]] | None = None,
           ) -> dict[str, Any]:
    when = (_AT - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"at": when, "type": kind.lower(), "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} updated by kubectl-edit: data key {key} set by kubectl-edit",
            "diff": [f"data key {key} set by kubectl-edit"], "related": related or []}


def _timeline_facts(log: LogEvidence, *changes: dict[str, Any]) -> Facts:
    return Facts(at=_AT, logs=[log], changes={"changes": list(changes)}, changes_id="E2")


_PG = "psycopg2.errors.ReadOnlySqlTransaction: cannot execute INSERT in a read-only transaction"


def test_a_written_database_url_secret_is_the_suspect_without_topology() -> None:
    facts = _timeline_facts(_log("renewals-6f7d8c9b5-q2w4z", _PG),
                            _write("Secret", "shop", "orders-db", "DATABASE_URL", 40),
                            _write("Secret", "shop", "orders-db-extra", "API_TOKEN", 20))
    [pin] = replica_writes.pinned(facts)
    assert pin.setting == Ref("Secret", "shop", "orders-db") and pin.key == "DATABASE_URL"
    assert pin.minutes_before == 40 and pin.value == "" and pin.evidence == ["E2", "E4"]
    message = replica_writes.finding(pin)["message"]
    assert message.startswith("Secret shop/orders-db key DATABASE_URL")
    assert "read-only replica" in message and "40 min" in message


def test_a_written_mongo_uri_configmap_is_the_suspect_for_a_mongo_refusal() -> None:
    facts = _timeline_facts(_log("carts-7d9f8c6b5-x2k9z", "MongoServerError: NotWritablePrimary"),
                            _write("ConfigMap", "shop", "carts-settings", "spring.data.mongodb.uri", 90,
                                   related=[{"kind": "Deployment", "namespace": "shop", "name": "carts"}]))
    [pin] = replica_writes.pinned(facts)
    assert pin.setting == Ref("ConfigMap", "shop", "carts-settings")
    assert pin.workload == Ref("Deployment", "shop", "carts")


def test_limit_hits_log_reads_are_searched_for_the_refusal() -> None:
    facts = Facts(at=_AT, changes={"changes": [_write("Secret", "shop", "orders-db", "PGHOST", 30)]}, changes_id="E2")
    facts.reads["limit_hit"] = {"logs": [_log("renewals-6f7d8c9b5-q2w4z", _PG)]}
    [pin] = replica_writes.pinned(facts)
    assert pin.setting.name == "orders-db"


@pytest.mark.parametrize("change", [
    _write("Secret", "shop", "orders-db", "API_TOKEN", 40),  # a key that names no target
    _write("Secret", "other", "orders-db", "DATABASE_URL", 40),  # a namespace the writer cannot read from
    _write("Secret", "shop", "orders-db", "DATABASE_URL", 8 * 60),  # long before the refusals
    _write("ConfigMap", "shop", "billing", "DB_HOST", 40,  # read by another workload, not the writer
           related=[{"kind": "Deployment", "namespace": "shop", "name": "billing"}]),
])
def test_writes_that_cannot_explain_the_refusal_name_no_setting(change: dict[str, Any]) -> None:
    assert replica_writes.pinned(_timeline_facts(_log("renewals-6f7d8c9b5-q2w4z", _PG), change)) == []


def test_a_written_url_without_any_refusal_names_nothing() -> None:
    facts = _timeline_facts(_log("renewals-6f7d8c9b5-q2w4z", "connection reset by peer"),
                            _write("Secret", "shop", "orders-db", "DATABASE_URL", 40))
    assert replica_writes.pinned(facts) == []
