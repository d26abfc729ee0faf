"""A server idle limit lowered below its clients' pool lifetime (issue #12, round 14 class): closed connections reused.

Written here, not taken from the held-out bundles: a MySQL StatefulSet whose args gain `--wait-timeout` (old
value unknown to the timeline, read from the exporter's variable series) under a Go service, and a PgBouncer
ConfigMap whose `server_idle_timeout` drops under a Java pool (HikariCP), a PostgreSQL idle_session_timeout set
through `-c` flags under a node-pg pool; twins: a pool that already retires connections before the new limit, a
raised limit, closed-connection errors older than the write, the wording of another database, and the server's
own log. Change lines are in `k8s_changes`' shape, log facts in `k8s_logs`' shape; the survey's reads go through a
recorded fake of the tool hub.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from agent.toolhub import ToolOutcome
from agent.triage import idle_limit
from agent.triage.facts import Facts, LogEvidence
from tests.triage.doubles import Call, RecordingHub, outcome

AT = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _write(kind: str, ns: str, name: str, diff: list[str], ago: timedelta = timedelta(hours=3)) -> dict[str, Any]:
    return {"at": _iso(AT - ago), "type": "other", "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} written by helm", "diff": diff, "related": []}


def _log(pod: str, ns: str, message: str, first: datetime | None = None, last: str = "") -> LogEvidence:
    top = {"message": message, "example": message, "count": 30, "severity": "error", "error_class": "exception",
           "first_seen": _iso(first) if first else None}
    return LogEvidence(pod=pod, namespace=ns, evidence_id="E5", top=top, hosts=[], error_classes={"exception"},
                       previous=False, last_lines=[last] if last else [])


class Hub(RecordingHub):
    """The tool hub as the survey calls it: client Deployments by name (their env), and the exporter's variable series;
    any other read is not found."""

    def __init__(self, deployments: dict[str, dict[str, str]], series: list[dict[str, Any]] | None = None) -> None:
        super().__init__(first_id=11, answers={
            "prom_query_range": lambda _, eid: outcome(True, {"series": series or []}, "", eid)})
        self.deployments = deployments

    def answer(self, call: Call, eid: str) -> ToolOutcome | None:
        args = call.args
        if call.tool == "k8s_get" and args["kind"] == "Deployment" and args["name"] in self.deployments:
            env = [{"name": k, "value": v} for k, v in self.deployments[args["name"]].items()]
            obj = {"kind": "Deployment", "metadata": {"name": args["name"], "namespace": args["namespace"]},
                   "spec": {"template": {"spec": {"containers": [{"name": "app", "env": env}]}}}}
            return outcome(True, {}, yaml.safe_dump(obj), eid)
        return super().answer(call, eid) or outcome(False, {}, "not found", eid)


def _run(changes: list[dict[str, Any]], logs: list[LogEvidence], hub: Hub) -> list[idle_limit.Fit]:
    facts = Facts(at=AT, changes={"changes": changes}, changes_id="E2", logs=logs)
    asyncio.run(idle_limit.read(facts, hub, _iso(AT)))
    return idle_limit.found(facts)


MYSQL_ARGS = _write("StatefulSet", "db", "orders-db", [
    "mysqld args now ['--max-connections=400', '--wait-timeout=120', '--innodb-lock-wait-timeout=50']"])
GO_CLOSED = _log("orders-7c9d8f6b5-x2k4p", "shop", "[mysql] 2026/03/04 01:10:02 packets.go:37: unexpected EOF",
                 AT - timedelta(minutes=50), "driver: bad connection")


def test_mysql_wait_timeout_in_args_under_a_go_pool_old_value_from_the_exporter() -> None:
    series = [{"labels": {"__name__": "mysql_global_variables_wait_timeout", "namespace": "db",
                          "instance": "orders-db-0"}, "first": 28800, "max": 28800, "last": 120,
               "change": {"before": 28800, "after": 120}}]
    hub = Hub({"orders": {"DB_CONN_MAX_LIFETIME": "15m"}}, series)
    fits = _run([MYSQL_ARGS], [GO_CLOSED], hub)
    assert len(fits) == 1
    text = idle_limit.finding(fits[0])["message"]
    assert text.startswith("StatefulSet db/orders-db lowered the server idle limit wait_timeout 8 h -> 2 min")
    assert "exporter's mysql_global_variables_wait_timeout" in text
    assert "shop/orders keeps pooled connections 15 min (database/sql ConnMaxLifetime" in text
    assert "already closed" in text


def test_innodb_lock_wait_timeout_is_no_idle_limit() -> None:
    limits = idle_limit.limits_of(_write("StatefulSet", "db", "orders-db", [
        "mysqld args ['--innodb-lock-wait-timeout=50'] -> ['--innodb-lock-wait-timeout=5']"]))
    assert limits == []


def test_pgbouncer_ini_under_hikari_and_the_pool_that_already_retires_sooner() -> None:
    old = "[pgbouncer]\npool_mode = transaction\nserver_idle_timeout = 600\n"
    new = "[pgbouncer]\npool_mode = transaction\nserver_idle_timeout = 30\n"
    write = _write("ConfigMap", "data", "pgbouncer-config", [f"data key pgbouncer.ini {old!r} -> {new!r}"])
    java = _log("billing-5f7d9c8b6-q8w2z", "billing", "org.postgresql.util.PSQLException: This connection has been "
                "closed.", AT - timedelta(hours=2))
    fits = _run([write], [java], Hub({"billing": {"SPRING_DATASOURCE_HIKARI_MAX_LIFETIME": "1800000"}}))
    assert len(fits) == 1
    text = idle_limit.finding(fits[0])["message"]
    assert "PgBouncer server_idle_timeout 10 min -> 30 s" in text
    assert "HikariCP maxLifetime" in text and "30 min" in text
    # the twin: the pool retires connections after 20 s, before the server's new 30 s: not this limit
    assert _run([write], [java], Hub({"billing": {"SPRING_DATASOURCE_HIKARI_MAX_LIFETIME": "20000"}})) == []


def test_postgres_idle_session_timeout_through_c_flags_under_node_pg() -> None:
    write = _write("StatefulSet", "pg", "main-pg", [
        "postgres args ['-c', 'max_connections=200'] -> ['-c', 'max_connections=200', '-c', "
        "'idle_session_timeout=20000']"])
    node = _log("api-6b8c9d7f5-z9x8c", "web", "Error: Connection terminated unexpectedly", AT - timedelta(hours=1))
    fits = _run([write], [node], Hub({"api": {"PG_IDLE_TIMEOUT_MILLIS": "600000"}}))
    assert len(fits) == 1
    text = idle_limit.finding(fits[0])["message"]
    assert "idle_session_timeout to 20 s (old value not recorded; off by default)" in text
    assert "10 min" in text


def test_twins_name_nothing() -> None:
    hub = Hub({"orders": {"DB_CONN_MAX_LIFETIME": "15m"}})
    # errors that began before the write
    older = _log("orders-7c9d8f6b5-x2k4p", "shop", "[mysql] packets.go:37: unexpected EOF",
                 AT - timedelta(hours=5))
    assert _run([MYSQL_ARGS], [older], hub) == []
    # a raised limit
    raised = _write("StatefulSet", "db", "orders-db", [
        "mysqld args ['--wait-timeout=60'] -> ['--wait-timeout=28800']"])
    assert _run([raised], [GO_CLOSED], hub) == []
    # another database's wording (a PostgreSQL client) under a MySQL write
    pg = _log("orders-7c9d8f6b5-x2k4p", "shop", "FATAL: server closed the connection unexpectedly",
              AT - timedelta(minutes=30))
    assert _run([MYSQL_ARGS], [pg], hub) == []
    # the server's own log is no client
    own = _log("orders-db-0", "db", "[mysql] unexpected EOF", AT - timedelta(minutes=30))
    assert _run([MYSQL_ARGS], [own], hub) == []
    # a write older than a day
    old = _write("StatefulSet", "db", "orders-db", MYSQL_ARGS["diff"], ago=timedelta(hours=30))
    assert _run([old], [GO_CLOSED], hub) == []


def test_redis_timeout_only_on_a_redis_server() -> None:
    redis = _write("ConfigMap", "cache", "redis-conf", [
        "data key redis.conf 'maxmemory 2gb\\ntimeout 0\\n' -> 'maxmemory 2gb\\ntimeout 30\\n'"])
    limits = idle_limit.limits_of(redis)
    assert [(lim.kind.name, lim.new) for lim in limits] == [("Redis timeout", 30.0)]
    other = _write("ConfigMap", "web", "app-settings", ["data key app.conf 'timeout 60\\n' -> 'timeout 5\\n'"])
    assert idle_limit.limits_of(other) == []
