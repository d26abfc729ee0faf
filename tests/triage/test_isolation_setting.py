"""A transaction isolation level raised to SERIALIZABLE is a per-operation cost: lock waits follow.

Shapes in other products' wording than any bundle: a PostgreSQL `default_transaction_isolation` written in a
ConfigMap while the callers fail with serialization errors, and a Spring/Hikari env setting on a Deployment while the
callers log MariaDB deadlocks. Twins: the same errors under READ COMMITTED, and SERIALIZABLE with callers that are
fine. setting_effect lists such a setting first among a file's settings when no previous value is recorded.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from agent.triage import costly_setting, setting_effect, value_diff
from agent.triage.facts import Facts, LogEvidence, Ref

_AT = datetime(2026, 11, 3, 14, tzinfo=UTC)
_PG_ERROR = ("psycopg.errors.SerializationFailure: could not serialize access due to read/write dependencies "
             "among transactions")
_MARIA_ERROR = ("org.springframework.dao.CannotAcquireLockException: (conn=812) Deadlock found when trying to get "
                "lock; try restarting transaction")


def _log(message: str) -> LogEvidence:
    return LogEvidence(pod="ledger-api-6c8f9d7b4-k2m7p", namespace="books", evidence_id="E4",
                       top={"message": message}, hosts=[], error_classes=set(), previous=False)


def _facts(message: str, change: dict[str, Any], obj: dict[str, Any]) -> Facts:
    facts = Facts(at=_AT, logs=[_log(message)], changes={"changes": [change]}, changes_id="E2")
    facts.objects.append((obj, "E9"))
    return facts


def _pg_config(isolation: str) -> tuple[dict[str, Any], dict[str, Any]]:
    cm = {"kind": "ConfigMap", "metadata": {"name": "ledger-pg-settings", "namespace": "books"},
          "data": {"postgresql.conf": f"shared_buffers = 4GB\nmax_connections = 300\n"
                                      f"default_transaction_isolation = '{isolation}'\n"}}
    change = {"at": (_AT - timedelta(minutes=40)).strftime("%Y-%m-%dT%H:%M:%SZ"), "type": "config",
              "object": {"kind": "ConfigMap", "namespace": "books", "name": "ledger-pg-settings"},
              "summary": "ConfigMap written", "diff": ["data key postgresql.conf set by helm"]}
    return change, cm


def _spring_deployment(isolation: str) -> tuple[dict[str, Any], dict[str, Any]]:
    env = [{"name": "SPRING_DATASOURCE_HIKARI_TRANSACTION_ISOLATION", "value": isolation}]
    deploy = {"kind": "Deployment", "metadata": {"name": "ledger-api", "namespace": "books"},
              "spec": {"template": {"spec": {"containers": [{"name": "ledger-api", "env": env}]}}}}
    change = {"at": (_AT - timedelta(minutes=25)).strftime("%Y-%m-%dT%H:%M:%SZ"), "type": "rollout",
              "object": {"kind": "Deployment", "namespace": "books", "name": "ledger-api"},
              "summary": "Deployment books/ledger-api rolled out revision 9",
              "diff": [f"ledger-api env SPRING_DATASOURCE_HIKARI_TRANSACTION_ISOLATION -> {isolation}"]}
    return change, deploy


def test_postgres_serializable_default_with_serialization_failures_is_the_suspect() -> None:
    [found] = costly_setting.found(_facts(_PG_ERROR, *_pg_config("serializable")))
    assert found.target == Ref("ConfigMap", "books", "ledger-pg-settings")
    message = costly_setting.finding(found)["message"]
    assert "SERIALIZABLE isolation" in message and "could not serialize access" in message


def test_a_hikari_serializable_env_with_deadlocks_is_the_suspect() -> None:
    [found] = costly_setting.found(_facts(_MARIA_ERROR, *_spring_deployment("TRANSACTION_SERIALIZABLE")))
    assert found.target == Ref("Deployment", "books", "ledger-api")
    assert "shared-locking read" in costly_setting.finding(found)["message"]


@pytest.mark.parametrize("build, message, isolation", [
    (_pg_config, _PG_ERROR, "read committed"),
    (_spring_deployment, _MARIA_ERROR, "TRANSACTION_READ_COMMITTED"),
])
def test_the_same_errors_under_read_committed_name_no_setting(build: Any, message: str, isolation: str) -> None:
    assert costly_setting.found(_facts(message, *build(isolation))) == []


@pytest.mark.parametrize("build, isolation", [(_pg_config, "serializable"),
                                              (_spring_deployment, "TRANSACTION_SERIALIZABLE")])
def test_serializable_with_callers_that_neither_wait_nor_fail_is_no_suspect(build: Any, isolation: str) -> None:
    assert costly_setting.found(_facts("GET /ledger/entries 200 in 12 ms", *build(isolation))) == []


def _effect(current: dict[str, str]) -> setting_effect.SettingEffect:
    change = {"at": "2026-11-03T13:20:00Z", "diff": ["data key my.cnf set by kubectl-edit"]}
    leaves = [value_diff.LeafChange(p, None, v) for p, v in setting_effect._costly_first(current)[:6]]
    shift = setting_effect.Shift("mysql_global_status_innodb_row_lock_waits_total", {}, "2026-11-03T13:21:00Z",
                                 0.1, 4.0, True)
    return setting_effect.SettingEffect(Ref("ConfigMap", "db", "orders-mariadb"), change, "my.cnf",
                                        [Ref("StatefulSet", "db", "orders-mariadb")], leaves, "", [shift], 40)


def test_a_file_with_no_previous_value_lists_its_costly_setting_first_with_its_cost() -> None:
    current = {"mysqld.port": "3306", "mysqld.max_connections": "800", "mysqld.key_buffer_size": "64M",
               "mysqld.thread_cache_size": "32", "mysqld.tx_isolation": "SERIALIZABLE"}
    message = setting_effect.finding(_effect(current))["message"]
    assert "it now holds mysqld.tx_isolation=SERIALIZABLE (SERIALIZABLE isolation" in message


def test_a_file_with_only_cheap_settings_keeps_its_order() -> None:
    current = {"mysqld.port": "3306", "mysqld.max_connections": "800", "mysqld.tx_isolation": "READ-COMMITTED"}
    message = setting_effect.finding(_effect(current))["message"]
    assert "it now holds mysqld.port=3306, mysqld.max_connections=800, mysqld.tx_isolation=READ-COMMITTED)" in message
