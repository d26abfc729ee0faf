"""agent.triage.planner_setting: a planner cost/method setting written before the callers' statements turned slow.

Facts are shaped as the survey keeps them: the change timeline of any kind (an operator's cluster spec, a ConfigMap
holding my.cnf) and the log evidence of a caller. Each shape uses another database and another client's wording;
each has a twin that looks the same and must name nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import planner_setting
from agent.triage.facts import Facts, LogEvidence, Ref

_AT = datetime(2026, 10, 14, 11, 0, tzinfo=UTC)


def _ts(minutes: int) -> str:
    return (_AT - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _log(message: str, first_minutes: int | None = None) -> LogEvidence:
    top: dict[str, Any] = {"message": message}
    if first_minutes is not None:
        top["first_seen"] = _ts(first_minutes)
    return LogEvidence(pod="billing-api-5f7c9d-8kq4w", namespace="billing", evidence_id="E6", top=top, hosts=[],
                       error_classes=set(), previous=False)


def _change(kind: str, name: str, minutes: int, diff: list[str]) -> dict[str, Any]:
    return {"at": _ts(minutes), "type": "other", "object": {"kind": kind, "namespace": "db", "name": name},
            "summary": f"{kind} db/{name} written", "diff": diff}


def _facts(log: LogEvidence, *changes: dict[str, Any]) -> Facts:
    return Facts(at=_AT, logs=[log], changes={"changes": list(changes)}, changes_id="E2")


_CANCELLED = "django.db.utils.OperationalError: canceling statement due to statement timeout"
_CNPG = _change("Cluster", "ledger-pg", 50, ["spec.postgresql.parameters.enable_indexscan: on -> off"])


def test_an_index_method_switched_off_in_an_operator_cluster_is_the_suspect() -> None:
    facts = _facts(_log(_CANCELLED, first_minutes=45), _CNPG)
    facts.reads[planner_setting.READS] = {"rises": [("invoices", 0.02, 3.1, "E9")]}
    [found] = planner_setting.found(facts)
    assert found.target == Ref("Cluster", "db", "ledger-pg")
    assert (found.setting, found.value) == ("enable_indexscan", "off")
    message = planner_setting.finding(found)["message"]
    assert message.startswith("Cluster db/ledger-pg set the planner cost setting enable_indexscan to off 50 min")
    assert "Sequential (full) scans of invoices rose from 0.02/s to 3.1/s" in message
    assert "canceling statement" in message and found.evidence == ["E2", "E6", "E9"]


def test_twin_statements_slow_before_the_write_name_nothing() -> None:
    assert planner_setting.found(_facts(_log(_CANCELLED, first_minutes=90), _CNPG)) == []


def test_twin_a_setting_that_prices_no_plan_names_nothing() -> None:
    logging = _change("Cluster", "ledger-pg", 50, ["spec.postgresql.parameters.log_min_duration_statement: "
                                                    "-1 -> 500"])
    assert planner_setting.found(_facts(_log(_CANCELLED, first_minutes=45), logging)) == []


_MYCNF = _change("ConfigMap", "orders-mysql-cnf", 120,
                 ["data my.cnf: optimizer_switch='index_merge=on' -> optimizer_switch='index_merge=off,mrr=off'"])
_GO_SLOW = 'level=warn msg="query done" query="SELECT id FROM orders WHERE customer_id = ?" took=6.4s'


def test_a_mysql_optimizer_switch_in_a_config_file_with_slow_go_queries_is_the_suspect() -> None:
    [found] = planner_setting.found(_facts(_log(_GO_SLOW), _MYCNF))
    assert found.target == Ref("ConfigMap", "db", "orders-mysql-cnf") and found.setting == "optimizer_switch"
    assert found.value.startswith("index_merge=off") and found.scans is None
    assert "plan" in planner_setting.finding(found)["message"]


def test_twin_fast_queries_after_the_same_write_name_nothing() -> None:
    fast = 'level=info msg="query done" query="SELECT id FROM orders WHERE customer_id = ?" took=0.04s'
    assert planner_setting.found(_facts(_log(fast), _MYCNF)) == []


def test_twin_a_slow_line_that_is_no_statement_names_nothing() -> None:
    upload = 'level=warn msg="upload to object store done" took=6.4s'
    assert planner_setting.found(_facts(_log(upload), _MYCNF)) == []


def test_written_reads_the_value_in_each_diff_shape() -> None:
    managed = {"diff": ['spec.forProvider.parameter = [{"name": "seq_page_cost", "value": "2"}]']}
    assert planner_setting.written(managed) == ("seq_page_cost", "2")
    plain = {"diff": ["postgresql.conf: random_page_cost 1.1 -> 4"]}
    assert planner_setting.written(plain) == ("random_page_cost", "4")
    assert planner_setting.written({"diff": ["image pg:16.3 -> pg:16.4"]}) is None


# Other engines' names for the same class (issue #12): SQL Server's estimator model and CockroachDB's join
# reordering, with callers in mssql-jdbc's and Sequelize's words. Both failed before the link knew them.
_MSSQL = _change("ConfigMap", "claims-mssql-init", 90,
                 ["data tuning.sql: ALTER DATABASE SCOPED CONFIGURATION SET LEGACY_CARDINALITY_ESTIMATION = ON"])
_JDBC_TIMEOUT = ("o.h.engine.jdbc.spi.SqlExceptionHelper : The query has timed out. "
                 "[select c.id from claim c where c.member_id=?]")


def test_a_sql_server_estimator_setting_with_jdbc_query_timeouts_is_the_suspect() -> None:
    [found] = planner_setting.found(_facts(_log(_JDBC_TIMEOUT, first_minutes=80), _MSSQL))
    assert found.target == Ref("ConfigMap", "db", "claims-mssql-init")
    assert (found.setting.upper(), found.value) == ("LEGACY_CARDINALITY_ESTIMATION", "ON")


def test_twin_sql_server_timeouts_begun_before_the_estimator_write_name_nothing() -> None:
    assert planner_setting.found(_facts(_log(_JDBC_TIMEOUT, first_minutes=120), _MSSQL)) == []


_CRDB = _change("CrdbCluster", "ledger-crdb", 40, ["spec.clusterSettings.reorder_joins_limit: 8 -> 0"])
_SEQUELIZE_SLOW = ("Executed (default): SELECT \"Entry\".\"id\" FROM \"entries\" AS \"Entry\" INNER JOIN \"accounts\" "
                   "... Elapsed time: 5120ms")


def test_a_cockroach_join_reordering_limit_with_slow_sequelize_statements_is_the_suspect() -> None:
    [found] = planner_setting.found(_facts(_log(_SEQUELIZE_SLOW, first_minutes=30), _CRDB))
    assert (found.target.name, found.setting, found.value) == ("ledger-crdb", "reorder_joins_limit", "0")


def test_twin_a_cockroach_setting_that_prices_no_plan_or_fast_statements_name_nothing() -> None:
    idle = _change("CrdbCluster", "ledger-crdb", 40, ["spec.clusterSettings.sql.defaults.idle_in_session_timeout: "
                                                      "0 -> 30s"])
    assert planner_setting.found(_facts(_log(_SEQUELIZE_SLOW, first_minutes=30), idle)) == []
    fast = _SEQUELIZE_SLOW.replace("5120ms", "48ms")
    assert planner_setting.found(_facts(_log(fast, first_minutes=30), _CRDB)) == []
