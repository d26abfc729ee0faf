"""A migration Job that dropped a column or table another service still reads is the cause of its failures.

The timeline is built by the real `changes.timeline` / `with_job_logs` over API objects as the API serves
them (the helpers of test_migrations); the migration logs are Alembic's, Flyway's and Rails' words, the
readers' errors psycopg2's, MySQL Connector/J's and SQLite's. The twins: a migration that dropped another
column, and a reader whose missing column no migration in view touched.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from agent.triage import rank, subject_of
from agent.triage.facts import Facts, LogEvidence
from agent.triage.migrations import migrations
from tests.triage.test_migrations import AT, _job, _rollout, _timeline
from tests.triage.test_rank import alert

ALEMBIC = ["INFO  [alembic.runtime.migration] Running upgrade 0117_backfill -> 0118_drop_old_code, "
           "drop items.old_code (replaced by code)"]
FLYWAY = ['Migrating schema "public" to version "57 - remove old code"', "ALTER TABLE items DROP COLUMN old_code;",
          'Successfully applied 1 migration to schema "public", now at version v57 (execution time 00:00.101s)']
RAILS = ["== 20261101090000 RemoveOldCodeFromItems: migrating ==================",
         "-- remove_column(:items, :old_code)", "   -> 0.0101s"]

MISSING = [
    ("psycopg2.errors.UndefinedColumn",
     "column i.old_code does not exist LINE 1: SELECT i.id, i.old_code FROM items i"),
    ("java.sql.SQLSyntaxErrorException", "Unknown column 'old_code' in 'field list'"),
    ("sqlite3.OperationalError", "no such column: items.old_code"),
]


def _reader(exception: str, message: str) -> LogEvidence:
    top = {"template": message, "example": message, "message": message, "exception": exception,
           "severity": "error", "error_class": "db_error", "count": 20, "fields": {}}
    return LogEvidence(pod="exporter-6c9d7b8f4-k2l3m", namespace="reports", evidence_id="E6", top=top, hosts=[],
                       error_classes={"db_error"}, previous=False)


def _facts(log: list[str], reader: LogEvidence) -> Facts:
    timeline = _timeline(_job("orders-migrate-57", AT - timedelta(minutes=40), AT - timedelta(minutes=39)), log)
    timeline["changes"].append(_rollout())
    facts = Facts(at=AT, scan={"findings": []}, scan_id="E1", changes=timeline, changes_id="E2")
    facts.logs.append(reader)
    return facts


@pytest.mark.parametrize("log", [ALEMBIC, FLYWAY, RAILS], ids=["alembic", "flyway", "rails"])
@pytest.mark.parametrize(("exception", "message"), MISSING, ids=["psycopg2", "mysql", "sqlite"])
def test_the_migration_that_dropped_what_a_reader_selects_is_the_cause(log: list[str], exception: str,
                                                                       message: str) -> None:
    facts = _facts(log, _reader(exception, message))
    top = rank(subject_of(alert(alertname="ExportFailing", namespace="reports", service="exporter")), facts)[0]
    assert top.ref is not None and (top.ref.kind, top.ref.name) == ("Job", "orders-migrate-57")
    assert "dropped column" in top.cause and "old_code" in top.cause[:200], top.cause
    assert message[:30] in top.cause, "the reader's error is quoted"


def test_a_migration_that_dropped_another_column_is_not_blamed() -> None:
    other = ["INFO  [alembic.runtime.migration] Running upgrade 0117 -> 0118, drop items.legacy_flag"]
    facts = _facts(other, _reader("psycopg2.errors.UndefinedColumn", "column i.old_code does not exist"))
    assert not migrations(facts)


def test_a_missing_table_names_the_migration_that_dropped_it() -> None:
    log = ["DROP TABLE IF EXISTS price_history;"]
    facts = _facts(log, _reader("psycopg.errors.UndefinedTable", 'relation "price_history" does not exist'))
    [m] = migrations(facts)
    assert m.missing == "price_history"


def test_a_migration_named_for_the_drop_counts() -> None:
    log = ["Applying migration `20261101090000_remove_items_old_code`"]
    facts = _facts(log, _reader("psycopg2.errors.UndefinedColumn", "column i.old_code does not exist"))
    [m] = migrations(facts)
    assert m.missing == "old_code"
    other = ["Applying migration `20261101090000_remove_items_old_code_index`"]
    assert not migrations(_facts(other, _reader("psycopg2.errors.UndefinedColumn", "column i.old_code does not exist")))


def test_a_reader_error_without_a_missing_identifier_adds_nothing() -> None:
    facts = _facts(ALEMBIC, _reader("psycopg2.OperationalError", "could not connect to server: Connection refused"))
    assert not migrations(facts)
