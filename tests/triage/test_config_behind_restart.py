"""A revisionless restart that loaded a config written just before it (agent.triage.config_behind_restart), and
the server error codes whose meaning is server configuration (agent.triage.server_error_codes via meaning).

Units on the servers' own wording (MySQL through PyMySQL and go-sql-driver, PostgreSQL through pgjdbc,
Redis), then four incident bundles written with the corpus writer, served by the replay API server,
investigated blind in runbook-only mode as `vigil eval` does:

- orders-db/mysql mounts ConfigMap mysql-tuning through a projected volume; its tuning.cnf gets a strict
  sql_mode and the StatefulSet is restarted (kubectl rollout restart); orders-api (Go) now fails with
  `Error 1406 (22001): Data too long for column`. Twin: the same write and restart, but the clients only
  saw the restart itself (connection refused for seconds): no setting is blamed.
- reports-db/postgres reads postgresql.conf from ConfigMap postgres-conf (a volume); statement_timeout
  becomes 2s and the StatefulSet restarts; report-builder (Java) logs `canceling statement due to
  statement timeout`. Twin: the ConfigMap was written five hours before the restart: not what it loaded.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from agent.triage import meaning, server_error_codes
from tests.triage.blind_eval import investigate_blind

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))

from corpus import logs as L  # noqa: E402
from corpus.kit import REGISTRY, Incident, P, Rev, c, ts  # noqa: E402

M = timedelta(minutes=1)


@pytest.mark.parametrize(("text", "code", "settings"), [
    ("pymysql.err.OperationalError: (1364, \"Field 'region' doesn't have a default value\")", "1364", ["sql_mode"]),
    ("Error 1406 (22001): Data too long for column 'gift_note' at row 1", "1406", ["sql_mode"]),
    ("Error 1292 (22007): Incorrect datetime value: '0000-00-00 00:00:00' for column 'shipped_at'", "1292",
     ["sql_mode"]),
    ("SQLSTATE[HY000] [1040] Too many connections", "1040", ["max_connections"]),
    ("org.postgresql.util.PSQLException: FATAL: sorry, too many clients already", "53300",
     ["max_connections", "superuser_reserved_connections"]),
    ("ERROR: canceling statement due to statement timeout", "57014", ["statement_timeout"]),
    ("OOM command not allowed when used memory > 'maxmemory'.", "OOM", ["maxmemory", "maxmemory-policy"]),
])
def test_server_wording_names_the_code_and_its_settings(text: str, code: str, settings: list[str]) -> None:
    found = server_error_codes.recognise(text)
    assert [e.code for e in found] == [code]
    assert server_error_codes.settings_named(text) == settings


@pytest.mark.parametrize("text", [
    "ValidationError: field 'region' is required",  # the application's own validation, not the server's
    "error 1364 while syncing leads",  # a bare number is no server error
    "connect: connection refused",
])
def test_other_wording_is_no_server_configuration_error(text: str) -> None:
    assert server_error_codes.recognise(text) == []
    assert "Meaning:" not in meaning.annotate(text)


def test_meaning_says_what_the_code_means() -> None:
    said = meaning.annotate("orders-api fails: Error 1406 (22001): Data too long for column 'gift_note' at row 1")
    assert "MySQL error 1406 (ER_DATA_TOO_LONG)" in said and "strict sql_mode" in said and "STRICT_TRANS_TABLES" in said


# ---- end to end --------------------------------------------------------------------------------

MYSQL_CNF = """[mysqld]
sql_mode={mode}
max_connections=600
innodb_buffer_pool_size=4G
"""
PG_CONF = """listen_addresses = '*'
max_connections = 300
shared_buffers = 2GB
statement_timeout = '{timeout}'
"""


def _managed(obj: dict[str, Any], manager: str, at: datetime, fields: dict[str, Any]) -> None:
    obj["metadata"].setdefault("managedFields", []).append({
        "manager": manager, "operation": "Update", "apiVersion": "v1", "time": ts(at), "fieldsType": "FieldsV1",
        "fieldsV1": fields})


def _orders(name: str, strict_errors: bool) -> Incident:
    at = datetime(2026, 11, 23, 16, 30, tzinfo=UTC)
    inc = Incident(name, title="orders-api: checkouts failing", story="", at=at, seed=385,
                   namespaces=("orders", "orders-db"))
    edit, restart = at - 31 * M, at - 29 * M
    cm = inc.configmap("orders-db", "mysql-tuning", {"tuning.cnf": MYSQL_CNF.format(
        mode="STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ENGINE_SUBSTITUTION")}, at=at - timedelta(days=90))
    _managed(cm, "kubectl-edit", edit, {"f:data": {"f:tuning.cnf": {}}})
    sts = inc.statefulset("orders-db", "mysql", [c("mysql", "docker.io/library/mysql:8.4.3", port=3306)],
                          [P(created=restart)], at - timedelta(days=90), service=3306)
    sts.obj["spec"]["template"]["metadata"].setdefault("annotations", {})["kubectl.kubernetes.io/restartedAt"] = \
        ts(restart)
    sts.obj["spec"]["template"]["spec"]["volumes"] = [{"name": "conf", "projected": {"sources": [
        {"configMap": {"name": "mysql-tuning"}}]}}]

    def api(pod: str, start: datetime, end: datetime) -> str:
        def line(i: int, t: datetime) -> str:
            if t < restart:
                return L.js(t, "info", "order placed", order=f"o-{i}")
            if strict_errors:
                return L.js(t, "error", "place order failed", order=f"o-{i}",
                            error="Error 1406 (22001): Data too long for column 'gift_note' at row 1")
            if t < restart + M:
                return L.js(t, "error", "place order failed", order=f"o-{i}",
                            error="dial tcp 172.20.31.7:3306: connect: connection refused")
            return L.js(t, "info", "order placed", order=f"o-{i}")
        return L.lines(L.ticker(at - 50 * M, end, 10, line))
    inc.deployment("orders", "orders-api", [Rev(11, at - timedelta(days=8), "helm upgrade orders-api",
                                                [c("orders-api", f"{REGISTRY}/orders/api:6.3.0", port=8080, env=[
                                                    {"name": "MYSQL_HOST", "value": "mysql.orders-db.svc"}])])],
                   {11: [P(log=api), P(log=api)]})
    inc.service("orders", "orders-api", {"app": "orders-api"}, port=80, target=8080)
    inc.ask("Why do checkouts fail in orders-api since half an hour?")
    inc.answer_key(culprit=("ConfigMap", "orders-db", "mysql-tuning"), keywords=["sql_mode", "1406"],
                   root_cause="strict sql_mode loaded by the restart", category="mysql-strict", red_herrings=[])
    return inc


def _reports(name: str, written_long_before: bool) -> Incident:
    at = datetime(2026, 11, 22, 11, 0, tzinfo=UTC)
    inc = Incident(name, title="reports time out", story="", at=at, seed=386, namespaces=("reports", "reports-db"))
    restart = at - 22 * M
    edit = restart - (timedelta(hours=5) if written_long_before else 3 * M)
    cm = inc.configmap("reports-db", "postgres-conf", {"postgresql.conf": PG_CONF.format(timeout="2s")},
                       at=at - timedelta(days=60))
    _managed(cm, "argocd-controller", edit, {"f:data": {"f:postgresql.conf": {}}})
    sts = inc.statefulset("reports-db", "postgres", [c("postgres", "docker.io/library/postgres:16.4", port=5432)],
                          [P(created=restart)], at - timedelta(days=60), service=5432)
    sts.obj["spec"]["template"]["metadata"].setdefault("annotations", {})["kubectl.kubernetes.io/restartedAt"] = \
        ts(restart)
    sts.obj["spec"]["template"]["spec"]["volumes"] = [{"name": "conf", "configMap": {"name": "postgres-conf"}}]

    def builder(pod: str, start: datetime, end: datetime) -> str:
        def line(i: int, t: datetime) -> str:
            if t > restart and i % 2 == 0:
                return L.spring(t, "ERROR", "c.a.reports.ReportJob", f"report r-{i} failed: org.postgresql.util."
                                "PSQLException: ERROR: canceling statement due to statement timeout")
            return L.spring(t, "INFO", "c.a.reports.ReportJob", f"report r-{i} built in 840 ms")
        return L.lines(L.ticker(at - 50 * M, end, 15, line))
    inc.deployment("reports", "report-builder", [Rev(3, at - timedelta(days=10), "helm upgrade report-builder",
                                                     [c("report-builder", f"{REGISTRY}/reports/builder:2.2.0", env=[
                                                         {"name": "DB_URL",
                                                          "value": "jdbc:postgresql://postgres.reports-db.svc:5432/"
                                                                   "reports"}])])],
                   {3: [P(log=builder)]})
    inc.ask("Why do reports time out in report-builder since about 20 minutes?")
    inc.answer_key(culprit=("ConfigMap", "reports-db", "postgres-conf"), keywords=["statement_timeout"],
                   root_cause="statement_timeout 2s loaded by the restart", category="pg-timeout", red_herrings=[])
    return inc


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return investigate_blind((lambda: _orders("orders-strict-mode", True),
                              lambda: _orders("orders-restart-only", False),
                              lambda: _reports("reports-timeout", False), lambda: _reports("reports-old-write", True)),
                             tmp_path_factory.mktemp("restart"))


def _top(results: dict[str, Any], bundle: str) -> str:
    return str(getattr(results[bundle], "top", "") or "")


@pytest.mark.parametrize(("bundle", "words"), [
    # disabled_command now leads here (the write turned on the mode the errors name); it must quote the mode the
    # write set, not the one the error's wording suggests, and still carry the revisionless restart.
    ("orders-strict-mode", ("ConfigMap orders-db/mysql-tuning", "StatefulSet orders-db/mysql", "no new revision",
                            "SQL mode STRICT_ALL_TABLES", "sql_mode=STRICT_ALL_TABLES", "1406")),
    ("reports-timeout", ("ConfigMap reports-db/postgres-conf", "StatefulSet reports-db/postgres", "no new revision",
                         "statement_timeout=2s", "PostgreSQL error 57014")),
])
def test_the_config_the_restart_loaded_is_named_with_the_setting(results: dict[str, Any], bundle: str,
                                                                  words: tuple[str, ...]) -> None:
    top = _top(results, bundle)
    assert all(w in top for w in words), top


@pytest.mark.parametrize("bundle", ["orders-restart-only", "reports-old-write"])
def test_no_setting_is_blamed_without_a_governed_error_or_a_recent_write(results: dict[str, Any],
                                                                         bundle: str) -> None:
    top = _top(results, bundle)
    assert "which loaded it" not in top, top


def test_a_restart_is_a_revisionless_recreation_or_a_revision_with_the_same_template() -> None:
    from agent.triage import config_behind_restart as cbr
    from agent.triage.facts import Facts

    def rollout(summary: str, revision: int | None) -> dict[str, Any]:
        return {"at": "2026-11-20T10:00:00Z", "type": "rollout", "revision": revision, "summary": summary,
                "object": {"kind": "Deployment", "namespace": "a", "name": "web"}, "diff": []}
    facts = Facts(at=datetime(2026, 11, 20, 10, 30, tzinfo=UTC), changes={"changes": [
        rollout("StatefulSet a/db: all 1 pods recreated since 2026-11-20T10:00:00Z (a restart or an update with no "
                "visible revision)", None),
        rollout("Deployment a/web rolled out revision 7: pod template unchanged", 7),
        rollout("Deployment a/web rolled out revision 8: web image a:1 -> a:2", 8)]})
    assert [c.get("revision") for c in cbr._restarts(facts)] == [None, 7]
