"""A Job that changed the schema shortly before queries turned slow is the suspect, above the rollout.

The change timeline is built by the real `changes.timeline` / `with_job_logs` over API objects
written as the API serves them (batch/v1 Job, v1 Pod), with migration logs in the words of
Alembic/SQLAlchemy, Flyway and Rails; the client errors are psycopg's, MySQL Connector/J's and
pgx's. Triage reads the resulting ChangesResult as the survey hands it over (plain dicts).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from agent.triage import rank, subject_of
from agent.triage.facts import Facts, LogEvidence
from mcp_servers.common.logfacts.schema import statements
from mcp_servers.kubernetes import changes as ch
from tests.triage.test_rank import alert

AT = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)

ALEMBIC = ["INFO  [alembic.runtime.migration] Running upgrade 1a2b -> 3c4d, merge order indexes",
           "INFO  [sqlalchemy.engine.Engine] DROP INDEX ix_orders_customer_id",
           "INFO  [sqlalchemy.engine.Engine] CREATE INDEX ix_orders_tenant_customer ON orders (tenant_id, customer_id)"]
FLYWAY = ['Migrating schema "public" to version "42 - drop legacy sku index"',
          "DROP INDEX IF EXISTS idx_items_sku;",
          'Successfully applied 1 migration to schema "public", now at version v42 (execution time 00:00.412s)']
RAILS = ["== 20260501113000 RemoveSkuIndexFromItems: migrating ==================",
         "-- remove_index(:items, :sku)", "   -> 0.0312s"]

SLOW = [
    ("psycopg.errors.QueryCanceled", "canceling statement due to statement timeout", "connection_timeout"),
    ("com.mysql.cj.jdbc.exceptions.MySQLTimeoutException",
     "Query execution was interrupted, maximum statement execution time exceeded", "db_error"),
    ("", "failed to load order: timeout: context deadline exceeded (SQLSTATE 57014)", "db_error"),
]


def _job(name: str, started: datetime, finished: datetime | None, *, cron: bool = False) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": "shop", "creationTimestamp": ch.iso(started),
                            "labels": {"app": "orders"}, "annotations": {"helm.sh/hook": "pre-upgrade"}}
    if cron:
        meta["ownerReferences"] = [{"kind": "CronJob", "name": "nightly", "apiVersion": "batch/v1"}]
    status: dict[str, Any] = {"startTime": ch.iso(started)}
    if finished:
        status |= {"completionTime": ch.iso(finished), "succeeded": 1,
                   "conditions": [{"type": "Complete", "status": "True", "lastTransitionTime": ch.iso(finished)}]}
    return {"kind": "Job", "metadata": meta, "status": status, "spec": {"template": {"spec": {"containers": [
        {"name": "migrate", "image": "registry.example.com/shop/orders:7.1.0", "command": ["alembic", "upgrade",
                                                                                          "head"]}]}}}}


def _objects(job: dict[str, Any]) -> ch.Objects:
    deployment = {"kind": "Deployment", "metadata": {"name": "orders", "namespace": "shop"},
                  "spec": {"template": {"metadata": {"labels": {"app": "orders"}}, "spec": {"containers": []}}}}
    pod = {"kind": "Pod", "metadata": {"name": f"{job['metadata']['name']}-x7k2p", "namespace": "shop",
                                       "labels": {"batch.kubernetes.io/job-name": job["metadata"]["name"]}},
           "spec": {"containers": [{"name": "migrate"}]}}
    return {"Job": [job], "Deployment": [deployment], "Pod": [pod]}


def _timeline(job: dict[str, Any], log: list[str]) -> dict[str, Any]:
    objects = _objects(job)
    result = ch.changes_result(objects, AT, timedelta(hours=6), [], [])
    result = ch.with_job_logs(result, objects, lambda ns, pod, container: "\n".join(log))
    return result.model_dump(mode="json")


def _slow_log(exception: str, message: str, error_class: str) -> LogEvidence:
    top = {"template": message, "example": message, "message": message, "exception": exception or None,
           "severity": "error", "error_class": error_class, "count": 30, "fields": {}}
    return LogEvidence(pod="orders-7f9c8d6b5-q2w3e", namespace="shop", evidence_id="E5", top=top, hosts=[],
                       error_classes={error_class}, previous=False)


def _rollout() -> dict[str, Any]:
    return {"at": "2026-05-01T11:25:00Z", "type": "rollout",
            "object": {"kind": "Deployment", "namespace": "shop", "name": "orders"},
            "summary": "Deployment shop/orders rolled out revision 12: orders image orders:7.0.3 -> orders:7.1.0",
            "diff": ["orders image orders:7.0.3 -> orders:7.1.0"], "related": []}


@pytest.mark.parametrize("log", [ALEMBIC, FLYWAY, RAILS], ids=["alembic", "flyway", "rails"])
@pytest.mark.parametrize(("exception", "message", "error_class"), SLOW, ids=["psycopg", "mysql", "pgx"])
def test_the_migration_job_is_the_cause_of_slow_queries(log: list[str], exception: str, message: str,
                                                         error_class: str) -> None:
    timeline = _timeline(_job("orders-migrate-12", AT - timedelta(minutes=40), AT - timedelta(minutes=38)), log)
    timeline["changes"].append(_rollout())
    facts = Facts(at=AT, scan={"findings": []}, scan_id="E1", changes=timeline, changes_id="E2")
    facts.logs.append(_slow_log(exception, message, error_class))
    suspects = rank(subject_of(alert(alertname="SLOBurn", namespace="shop", service="orders")), facts)
    top = suspects[0]
    assert top.ref is not None and (top.ref.kind, top.ref.name) == ("Job", "orders-migrate-12")
    assert statements(log)[-1] in top.cause, "the finding quotes what the migration changed"
    assert message[:40] in top.cause, "and the client's slow-query error"


def test_a_job_is_a_change_with_the_schema_its_log_names() -> None:
    timeline = _timeline(_job("orders-migrate-12", AT - timedelta(minutes=40), AT - timedelta(minutes=38)), ALEMBIC)
    [change] = timeline["changes"]
    assert change["type"] == "job" and change["at"] == "2026-05-01T11:22:00Z"
    assert "schema: DROP INDEX ix_orders_customer_id" in change["diff"]
    assert {"kind": "Deployment", "namespace": "shop", "name": "orders"} in change["related"]
    assert "hook pre-upgrade" in change["summary"] and "alembic upgrade head" in change["summary"]


def test_routine_cronjob_runs_and_old_jobs_are_not_changes() -> None:
    assert not _timeline(_job("nightly-29000", AT - timedelta(minutes=30), AT - timedelta(minutes=29), cron=True),
                         ALEMBIC)["changes"]
    assert not _timeline(_job("orders-migrate-3", AT - timedelta(days=3), AT - timedelta(days=3)), ALEMBIC)["changes"]


def test_no_slow_query_no_migration_suspect() -> None:
    timeline = _timeline(_job("orders-migrate-12", AT - timedelta(minutes=40), AT - timedelta(minutes=38)), ALEMBIC)
    facts = Facts(at=AT, scan={"findings": []}, scan_id="E1", changes=timeline, changes_id="E2")
    facts.logs.append(_slow_log("", "dial tcp 10.0.0.9:8080: connect: connection refused", "connection_refused"))
    suspects = rank(subject_of(alert(alertname="SLOBurn", namespace="shop", service="orders")), facts)
    assert all(s.check != "change.schema" for s in suspects)


def test_a_job_log_without_schema_statements_adds_nothing() -> None:
    timeline = _timeline(_job("orders-backfill-2", AT - timedelta(minutes=40), AT - timedelta(minutes=38)),
                         ["processed 120000 rows", "done in 81s"])
    assert not any(d.startswith("schema: ") for d in timeline["changes"][0]["diff"])
