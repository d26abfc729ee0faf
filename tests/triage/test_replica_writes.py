"""agent.triage.replica_writes: writes a replica refused are blamed on the setting that names the host.

The facts are shaped as the survey keeps them: `k8s_topology` answers (their `dependencies`, with
`via` as mcp_servers.kubernetes.topology writes it), a `k8s_get` ConfigMap, and log evidence whose
errors are the datastores' real refusals (Redis, PostgreSQL, MySQL, MongoDB).
"""

from __future__ import annotations

from datetime import UTC, datetime
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
