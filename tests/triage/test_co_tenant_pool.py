"""A pool-wait victim and a scheduled or one-off run that loads its database (agent.triage.co_tenant, widened).

The victims' lines are their pool libraries' real wording, which names the pool and not the database: HikariCP's
`Connection is not available, request timed out after 30000ms` and Knex's `Timeout acquiring a connection. The pool
is probably full`. The other clients are Jobs seen only in the Job list (a run is no write to the change timeline):
a CronJob's scheduled run whose jobTemplate is `pg_dump --jobs=16` (its owner is what is named), and a one-off
mydumper Job with `--threads`. Negative twins: the same dump pointed at another namespace's database, a run started
after the onset, and a run that does nothing heavy.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from agent.toolhub import ToolOutcome
from agent.triage import co_tenant as ct
from agent.triage.facts import Facts, LogEvidence
from tests.triage.doubles import Call, RecordingHub, outcome
from tests.triage.test_co_tenant import _subject

AT = datetime(2026, 6, 3, 15, 0, tzinfo=UTC)


class _Cluster(RecordingHub):
    """The hub: objects' YAML by name, the cluster-wide Job list (name, namespace, created), no pods in any
    topology; and redis_exporter's evicted-keys increase over the window."""

    def __init__(self, yaml: dict[str, str], jobs: list[dict[str, str]], evicted: float | None = None) -> None:
        super().__init__(objects=yaml, lists={"Job": jobs}, ids={"k8s_get": "E30", "k8s_list": "E31"},
                         answers={"k8s_topology": outcome(True, {"pods": []}, evidence_id="E30")})
        self.evicted = evicted

    def answer(self, call: Call, eid: str) -> ToolOutcome | None:
        if self.evicted is not None and call.tool == "prom_query" and "redis_evicted_keys_total" in call.args["query"]:
            return outcome(True, {"samples": [{"labels": {}, "value": self.evicted}]}, evidence_id="E41")
        return super().answer(call, eid)


def _t(minutes_before: float) -> str:
    return (AT - timedelta(minutes=minutes_before)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _pool_facts(pod: str, namespace: str, line: str, first: float) -> Facts:
    entry = {"template": line, "example": line, "count": 60, "first_seen": _t(first), "severity": "error",
             "error_class": "connection_limit"}
    log = LogEvidence(pod=pod, namespace=namespace, evidence_id="E5", top=entry, hosts=[],
                      error_classes={"connection_limit"}, previous=False, more=[], warnings=[])
    return Facts(at=AT, changes={"changes": []}, changes_id="E2", logs=[log])


HIKARI = ("ERROR 1 --- [http-nio-8080-exec-8] o.h.engine.jdbc.spi.SqlExceptionHelper : HikariPool-1 - Connection is "
          "not available, request timed out after 30000ms.")
KNEX = "request failed: KnexTimeoutError: Knex: Timeout acquiring a connection. The pool is probably full."

RUN = """apiVersion: batch/v1
kind: Job
metadata:
  name: billing-backup-29398635
  namespace: ops
  ownerReferences: [{apiVersion: batch/v1, kind: CronJob, name: billing-backup, controller: true}]
spec: {parallelism: 1}
"""
CRONJOB = """apiVersion: batch/v1
kind: CronJob
metadata: {name: billing-backup, namespace: ops}
spec:
  schedule: "15 */6 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - name: dump
            image: postgres:16.4
            command: ["pg_dump"]
            args: ["--host=HOST", "--format=directory", "--jobs=16", "--file=/backup/billing", "billing"]
"""


def _billing(host: str, started: float) -> tuple[Facts, _Cluster]:
    subject = _subject({"alertname": "BillingLatency", "namespace": "billing", "deployment": "billing-api",
                        "severity": "critical"}, "billing-api p99 latency above 2s")
    facts = _pool_facts("billing-api-6f7d8c9b5x-k2p4q", "billing", HIKARI, 40)
    cluster = _Cluster({"billing-backup-29398635": RUN, "billing-backup": CRONJOB.replace("HOST", host)},
                       [{"name": "billing-backup-29398635", "namespace": "ops", "created": _t(started)}])
    asyncio.run(ct.read(subject, facts, cluster, _t(0)))
    return facts, cluster


def test_a_cronjobs_parallel_dump_run_behind_hikari_pool_waits_names_the_cronjob() -> None:
    facts, _ = _billing("billing-db.billing.svc", 70)
    [load] = ct.loads(facts)
    message = ct.load_finding(load)["message"]
    assert message.startswith("CronJob ops/billing-backup runs a parallel backup, pg_dump --jobs=16")
    assert "disk I/O" in message and "started a run" in message and "30 min before the first slow call" in message
    assert "billing-db.billing" in message


def test_the_same_dump_of_another_teams_database_is_not_blamed() -> None:
    facts, _ = _billing("ledger-db.ledger.svc", 70)
    assert ct.loads(facts) == []


def test_a_run_started_after_the_first_pool_wait_is_not_blamed() -> None:
    facts, _ = _billing("billing-db.billing.svc", 20)
    assert ct.loads(facts) == []


MYDUMPER = """apiVersion: batch/v1
kind: Job
metadata: {name: catalog-export-0605, namespace: analytics}
spec:
  template:
    spec:
      containers:
      - name: export
        image: mydumper/mydumper:v0.16
        command: ["sh", "-c", "mydumper --host catalog-db.shop.svc --threads 12 --outputdir /out"]
"""
IDLE = MYDUMPER.replace("mydumper --host catalog-db.shop.svc --threads 12 --outputdir /out",
                        "python -m export.report --db catalog-db.shop.svc:3306")


def _shop(yaml: str) -> list[ct.Load]:
    subject = _subject({"alertname": "CatalogErrors", "namespace": "shop", "deployment": "catalog-api",
                        "severity": "critical"}, "catalog-api 5xx ratio above 5%")
    facts = _pool_facts("catalog-api-7d9f8c6b5d-qx2lm", "shop", KNEX, 30)
    cluster = _Cluster({"catalog-export-0605": yaml},
                       [{"name": "catalog-export-0605", "namespace": "analytics", "created": _t(45)}])
    asyncio.run(ct.read(subject, facts, cluster, _t(0)))
    return ct.loads(facts)


def test_a_one_off_threaded_mysql_dump_behind_knex_pool_timeouts_is_named() -> None:
    [load] = _shop(MYDUMPER)
    message = ct.load_finding(load)["message"]
    assert message.startswith("Job analytics/catalog-export-0605 runs a parallel backup dump (12 threads)")
    assert "disk I/O" in message


def test_a_run_that_does_nothing_heavy_on_the_database_is_not_blamed() -> None:
    assert _shop(IDLE) == []


LOADER = """apiVersion: batch/v1
kind: Job
metadata: {name: NAME, namespace: data-eng}
spec:
  template:
    spec:
      containers:
      - name: load
        image: registry.example.com/data-eng/loader:1.2.0
        ARGS
"""


def _cache(victim_line: str, args: str, evicted: float) -> list[ct.Load]:
    subject = _subject({"alertname": "ProfileErrors", "namespace": "people", "deployment": "people-api",
                        "severity": "critical"}, "people-api 5xx ratio above 2%")
    facts = _pool_facts("people-api-7d9f8c6b5d-qx2lm", "people", victim_line, 30)
    cluster = _Cluster({"warm-load": LOADER.replace("NAME", "warm-load").replace("ARGS", args)},
                            [{"name": "warm-load", "namespace": "data-eng", "created": _t(60)}], evicted=evicted)
    asyncio.run(ct.read(subject, facts, cluster, _t(0)))
    return ct.loads(facts)


def test_a_bulk_load_into_the_shared_redis_that_evicts_names_the_job() -> None:
    [load] = _cache(KNEX, 'args: ["--target", "redis://cache.people:6379/0"]', 2_500_000)
    message = ct.load_finding(load)["message"]
    assert message.startswith("Job data-eng/warm-load bulk-writes into the shared Redis cache cache.people")
    assert "evicts 2,500,000 keys" in message and "hit ratio collapses" in message and "maxmemory" in message


def test_an_env_configured_loader_behind_hikari_waits_is_the_same_class() -> None:
    [load] = _cache(HIKARI, 'env: [{name: REDIS_URL, value: "redis://:pw@cache.people.svc:6379"}]', 80_000)
    assert load.target.name == "warm-load" and load.software == "redis_cache"


def test_no_evictions_or_another_teams_redis_is_not_blamed() -> None:
    assert _cache(KNEX, 'args: ["--target", "redis://cache.people:6379/0"]', 0) == []
    assert _cache(KNEX, 'args: ["--target", "redis://cache.ledger:6379/0"]', 2_500_000) == []
