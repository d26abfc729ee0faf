"""A migration Job still running its table DDL while queries time out: the DDL waits for the table's lock.

Shapes: a Flyway Job's PostgreSQL `ALTER TABLE ... ALTER COLUMN ... TYPE` with callers cancelled by their statement
timeout (psycopg), and an Alembic Job's MySQL `ALTER TABLE ... RENAME COLUMN` with a Node mysql2 caller hitting its
lock wait timeout. Twins: the same Jobs completed (the DDL returned: no lock queue now), and a running Job whose
last statement is a data backfill, not a table DDL. Also: .NET MySqlConnector's timeout wording is a slow query.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from agent.triage import migrations
from agent.triage.facts import Facts, LogEvidence

AT = datetime(2026, 10, 9, 16, 0, tzinfo=UTC)
PG_DDL = "ALTER TABLE invoices ALTER COLUMN total TYPE numeric(14,2);"
MY_DDL = "ALTER TABLE members RENAME COLUMN nick TO display_name"
PG_SLOW = ("psycopg.errors.QueryCanceled", "canceling statement due to statement timeout")
MY_SLOW = ("", "Error: Lock wait timeout exceeded; try restarting transaction (code ER_LOCK_WAIT_TIMEOUT)")


def _facts(job: str, statements: list[str], state: str, slow: tuple[str, str]) -> Facts:
    started = AT - timedelta(minutes=12)
    span = f"started {started.strftime('%Y-%m-%dT%H:%M:%SZ')}, {state}"
    change: dict[str, Any] = {"at": started.strftime("%Y-%m-%dT%H:%M:%SZ"), "type": "job",
                              "object": {"kind": "Job", "namespace": "billing", "name": job},
                              "summary": f"Job billing/{job} {span} (runs migrate)",
                              "diff": [f"schema: {s}" for s in statements], "related": []}
    exception, message = slow
    log = LogEvidence(pod="invoice-api-7f9c8d6b5-q2w8e", namespace="billing", evidence_id="E5",
                      top={"exception": exception, "message": message, "template": message}, hosts=[],
                      error_classes=set(), previous=False)
    return Facts(at=AT, changes={"changes": [change]}, changes_id="E2", logs=[log])


@pytest.mark.parametrize("job, statements, slow", [
    ("invoices-flyway-v88", ['Migrating schema "public" to version "88 - widen invoice total"', PG_DDL], PG_SLOW),
    ("members-alembic-5e1", ["Running upgrade 9f0 -> 5e1, rename nick", MY_DDL], MY_SLOW),
])
def test_a_running_table_ddl_is_read_as_a_lock_queue(job: str, statements: list[str], slow: tuple[str, str]) -> None:
    [m] = migrations.migrations(_facts(job, statements, "running", slow))
    finding = migrations.finding(m)
    assert finding["object"]["name"] == job and finding["reason"] == "MigrationWaitsForTableLock"
    head = finding["message"][:400]
    assert "still running its table DDL (ALTER TABLE" in head and "metadata lock" in head and "idle transaction" in head


@pytest.mark.parametrize("job, statements, slow", [
    ("invoices-flyway-v88", ['Migrating schema "public" to version "88 - widen invoice total"', PG_DDL], PG_SLOW),
    ("members-alembic-5e1", ["Running upgrade 9f0 -> 5e1, rename nick", MY_DDL], MY_SLOW),
])
def test_the_same_ddl_finished_is_no_lock_queue(job: str, statements: list[str], slow: tuple[str, str]) -> None:
    done = f"completed {(AT - timedelta(minutes=10)).strftime('%Y-%m-%dT%H:%M:%SZ')}"
    [m] = migrations.migrations(_facts(job, statements, done, slow))
    assert migrations.finding(m)["reason"] != "MigrationWaitsForTableLock"


def test_a_running_backfill_is_no_lock_queue() -> None:
    statements = [MY_DDL, "UPDATE members SET display_name = nick WHERE display_name IS NULL"]
    [m] = migrations.migrations(_facts("members-backfill-5e2", statements, "running", MY_SLOW))
    assert migrations.finding(m)["reason"] != "MigrationWaitsForTableLock"


def test_mysqlconnector_command_timeout_is_a_slow_query() -> None:
    said = "MySqlConnector.MySqlException (0x80004005): The Command Timeout expired before the operation completed."
    assert migrations.SLOW_QUERY.search(said)
    assert not migrations.SLOW_QUERY.search("MySqlConnector.MySqlException: Access denied for user 'shop'")
