"""agent.triage.frozen_mount, widened: a ConfigMap/Secret value the running pods read from their environment (issue
#12 audit). The runtime sets a container's environment once, at start, so an edit reaches `env[].valueFrom` and
`envFrom` exactly as it reaches a subPath file: never, until a restart.

Shapes, written here: a Go API Deployment reading its database host from a ConfigMap key
(`configMapKeyRef`), the ConfigMap edited to a new host after the old one was retired, the pods failing to resolve
it; a Java worker StatefulSet taking a whole Secret as `envFrom`, the password rotated while its pod ran, the worker
now refused by PostgreSQL. Twins: the variable reads another key than the one written; a pod created after the
write read the new environment.
"""

from __future__ import annotations

from typing import Any

from agent.triage import frozen_mount as fm
from tests.triage.test_frozen_mount import AT, TWO_DAYS, run, write

DNS = "dial tcp: lookup orders-db.retired.internal on 10.96.0.10:53: no such host"
PG = "org.postgresql.util.PSQLException: FATAL: password authentication failed for user \"ledger\""


def api() -> dict[str, Any]:
    env = [{"name": "DB_HOST", "valueFrom": {"configMapKeyRef": {"name": "orders-settings", "key": "db.host"}}},
           {"name": "LOG_LEVEL", "value": "info"}]
    return {"kind": "Deployment", "metadata": {"name": "orders-api", "namespace": "shop"},
            "spec": {"template": {"spec": {"containers": [{"name": "api", "image": "r.example/orders:9",
                                                           "env": env}]}}}}


def worker() -> dict[str, Any]:
    return {"kind": "StatefulSet", "metadata": {"name": "ledger-worker", "namespace": "finance"},
            "spec": {"template": {"spec": {"containers": [{"name": "worker", "image": "r.example/ledger:4",
                                                           "envFrom": [{"secretRef": {"name": "ledger-db"}}]}]}}}}


API_PODS = {"orders-api-7c9d8b6f5-k2j4h": TWO_DAYS, "orders-api-7c9d8b6f5-p8q7w": TWO_DAYS - 5}


def api_write(key: str = "db.host") -> dict[str, Any]:
    return write("ConfigMap", "shop", "orders-settings", key, ("Deployment", "shop", "orders-api"), 25)


def worker_write() -> dict[str, Any]:
    return write("Secret", "finance", "ledger-db", "password", ("StatefulSet", "finance", "ledger-worker"), 50)


def test_env_var_from_a_configmap_key_is_frozen_and_named() -> None:
    facts, _ = run(api(), api_write(), API_PODS, "orders-api-7c9d8b6f5-k2j4h", DNS)
    [hit] = fm.found(facts)
    assert (hit.workload.name, hit.mounts) == ("orders-api", [("api", "env DB_HOST", "db.host")])
    message = fm.finding(hit, AT)["message"]
    assert "DB_HOST from key db.host" in message and "environment variables" in message
    assert "by kubectl-apply" in message  # the summary says `updated by`: the author is kept


def test_envfrom_a_rotated_secret_is_frozen_and_named() -> None:
    facts, _ = run(worker(), worker_write(), {"ledger-worker-0": 60 * 30}, "ledger-worker-0", PG)
    [hit] = fm.found(facts)
    assert (hit.workload.kind, hit.config.kind, hit.mounts) == ("StatefulSet", "Secret",
                                                                 [("worker", "envFrom", "")])
    assert fm.finding(hit, AT)["reason"] == "EnvFromConfigFrozen"


def test_twin_env_reads_another_key_than_the_one_written() -> None:
    facts, _ = run(api(), api_write("cache.ttl"), API_PODS, "orders-api-7c9d8b6f5-k2j4h", DNS)
    assert fm.found(facts) == []


def test_twin_a_worker_pod_created_after_the_rotation_read_the_new_environment() -> None:
    facts, _ = run(worker(), worker_write(), {"ledger-worker-0": 20}, "ledger-worker-0", PG)
    assert fm.found(facts) == []
