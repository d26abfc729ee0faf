"""pool_raised: a co-tenant's rollout raised its connection pool on a shared database; others refused at its ceiling.

Shapes of our own: a Spring service raising `SPRING_DATASOURCE_HIKARI_MINIMUM_IDLE` on a Cloud SQL PostgreSQL
host while a Go service gets `sorry, too many clients already`, the host named in the victim's env (read path,
hub double); a Node worker raising `--pool-size` in its args on a MySQL host a Python victim names in its error
(`Too many connections`). Twins: the pool lowered, an unrelated variable raised, another database, refusals
before the rollout, and the workload that raised its own pool.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import pool_raised as pr
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 8, 11, 9, 30, tzinfo=UTC)
PG_HOST = "10.20.0.5.sslip.example.net"
MYSQL = "(1040, 'Too many connections') while connecting to reports-db.a1b2.us-east-1.rds.amazonaws.com"


def _t(minutes_before: int) -> str:
    return (AT - timedelta(minutes=minutes_before)).isoformat().replace("+00:00", "Z")


def _log(pod: str, namespace: str, said: str, first_before: int) -> LogEvidence:
    error = {"message": said, "example": said, "severity": "error", "first_seen": _t(first_before)}
    return LogEvidence(pod=pod, namespace=namespace, evidence_id="E7", top=error, hosts=[], error_classes=set(),
                       previous=False)


def _rollout(namespace: str, name: str, minutes_before: int, diff: list[str]) -> dict[str, Any]:
    return {"at": _t(minutes_before), "type": "rollout",
            "object": {"kind": "Deployment", "namespace": namespace, "name": name},
            "summary": f"Deployment {namespace}/{name} rolled out revision 7", "diff": diff}


def _node(diff: str = "worker args ['--pool-size=10'] -> ['--pool-size=40']", first_before: int = 20,
          victim_said: str = MYSQL, victim_ns: str = "reports") -> Facts:
    pod = "report-api-6d5f7c9b8-x2k4q"
    facts = Facts(at=AT, changes={"changes": [_rollout("batch", "export-worker", 35, [diff])]}, changes_id="E2",
                  logs=[_log(pod, victim_ns, victim_said, first_before)])
    facts.reads[pr.STORE] = {
        "tenants": {"Deployment batch/export-worker": {
            "words": [("env MYSQL_HOST", "reports-db.a1b2.us-east-1.rds.amazonaws.com")], "evidence": "E5",
            "replicas": 4}},
        "pods": {}}
    return facts


def test_a_worker_raising_its_pool_size_arg_is_named_for_a_refused_co_tenant() -> None:
    found = pr.found(_node())
    assert [(str(r.tenant), r.key, r.old, r.new, r.victim.name) for r in found] == [
        ("Deployment batch/export-worker", "--pool-size", 10, 40, "report-api")]
    message = pr.finding(found[0], AT)["message"]
    assert "(4 pods: up to 120 more connections)" in message and "Too many connections" in message[:400]
    assert "max_connections" in message[:400]


def test_twins_lowered_unrelated_other_database_earlier_and_its_own_pool() -> None:
    assert pr.found(_node(diff="worker args ['--pool-size=40'] -> ['--pool-size=10']")) == []
    assert pr.found(_node(diff="worker env BATCH_SIZE='10' -> BATCH_SIZE='400'")) == []
    assert pr.found(_node(victim_said=MYSQL.replace("reports-db", "billing-db"))) == []
    assert pr.found(_node(first_before=50)) == []  # refused before the rollout
    own = _node()
    own.logs = [_log("export-worker-6d5f7c9b8-x2k4q", "batch", MYSQL, 20)]
    assert pr.found(own) == []


def test_read_spring_hikari_raise_and_a_go_victim_naming_the_host_in_its_env() -> None:
    victim = "ledger-7c9d8b6f5-qwrtz"
    facts = Facts(at=AT, changes={"changes": [_rollout("catalog", "catalog-api", 25, [
        "catalog-api env SPRING_DATASOURCE_HIKARI_MINIMUM_IDLE='4' -> SPRING_DATASOURCE_HIKARI_MINIMUM_IDLE='50'"])]},
                  changes_id="E2",
                  logs=[_log(victim, "ledger", 'pq: sorry, too many clients already (SQLSTATE 53300)', 15)])
    tenant = {"apiVersion": "apps/v1", "kind": "Deployment",
              "metadata": {"name": "catalog-api", "namespace": "catalog"},
              "spec": {"replicas": 3, "template": {"spec": {"containers": [{"name": "catalog-api", "env": [
                  {"name": "SPRING_DATASOURCE_URL", "value": f"jdbc:postgresql://{PG_HOST}:5432/catalog"},
                  {"name": "SPRING_DATASOURCE_HIKARI_MINIMUM_IDLE", "value": "50"}]}]}}}}
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": victim, "namespace": "ledger"},
           "spec": {"containers": [{"name": "ledger", "env": [{"name": "PGHOST", "value": PG_HOST}]}]}}
    hub = RecordingHub(objects={("Deployment", "catalog", "catalog-api"): tenant, ("Pod", "ledger", victim): pod})
    asyncio.run(pr.read(Subject(), facts, hub, ""))
    found = pr.found(facts)
    assert [(r.tenant.name, r.new - r.old, r.replicas, r.host) for r in found] == [("catalog-api", 46, 3, PG_HOST)]


def test_registered_with_its_weight() -> None:
    from agent.triage import behind
    assert pr in behind.MODULES and behind.WEIGHTS[pr.CHECK] == pr.WEIGHT
