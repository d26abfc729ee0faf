"""migrations' dropped-column link against tools and databases it was not built from (issue #12: build for the class).

Round 27 gave one shape (an Alembic PreSync hook, a psycopg reader). The class: a migration Job's log names the
column or table that another service's query error says no longer exists. Shapes here, through the real timeline
(`changes.timeline` / `with_job_logs`): Django's `Applying app.0042_remove_... OK` with a SQL Server reader (pyodbc
`Invalid column name`); Flyway's description, which prints the file's underscores as spaces (`58 - remove legacy
sku`), with an Oracle reader (ORA-00904 on a quoted alias); a Liquibase changeSet id in hyphens with a Prisma
reader; golang-migrate's `58/u drop_legacy_sku` with a ClickHouse reader (`Missing columns`); Cassandra's
`Undefined column name`. Twins: a migration that ADDS the column the reader misses (the reader is ahead of the
schema, the migration took nothing away), a changeSet that drops the column's index, and a Django migration that
removed another field.
"""

from __future__ import annotations

import pytest

from agent.triage import rank, subject_of
from agent.triage.migrations import migrations
from tests.triage.test_migrations_dropped import _facts, _reader
from tests.triage.test_rank import alert

DJANGO = ["Operations to perform:", "  Apply all migrations: admin, auth, catalog", "Running migrations:",
          "  Applying catalog.0042_remove_item_legacy_sku... OK"]
FLYWAY = ['Current version of schema "catalog": 57', 'Migrating schema "catalog" to version "58 - remove legacy sku"',
          'Successfully applied 1 migration to schema "catalog", now at version v58 (execution time 00:00.044s)']
LIQUIBASE = ["Running Changeset: db/changelog/058.yaml::drop-legacy-sku::alice",
             "ChangeSet db/changelog/058.yaml::drop-legacy-sku::alice ran successfully in 14ms"]
GOLANG_MIGRATE = ["58/u drop_legacy_sku (12.1ms)"]

READERS = [
    ("pyodbc.ProgrammingError", "('42S22', \"[42S22] [Microsoft][ODBC Driver 18 for SQL Server][SQL Server]Invalid "
     "column name 'legacy_sku'. (207) (SQLExecDirectW)\")"),
    ("java.sql.SQLSyntaxErrorException", 'ORA-00904: "I"."LEGACY_SKU": invalid identifier'),
    ("PrismaClientKnownRequestError", "Invalid `prisma.item.findMany()` invocation: The column `items.legacy_sku` "
     "does not exist in the current database."),
    ("", "code: 47, message: Missing columns: 'legacy_sku' while processing query: 'SELECT id, legacy_sku FROM "
     "items', required columns: 'id' 'legacy_sku'"),
    ("com.datastax.oss.driver.api.core.servererrors.InvalidQueryException", "Undefined column name legacy_sku in "
     "table catalog.items"),
]


@pytest.mark.parametrize("log", [DJANGO, FLYWAY, LIQUIBASE, GOLANG_MIGRATE],
                         ids=["django", "flyway", "liquibase", "golang-migrate"])
@pytest.mark.parametrize(("exception", "message"), READERS,
                         ids=["sqlserver", "oracle", "prisma", "clickhouse", "cassandra"])
def test_a_migration_that_removed_what_a_reader_selects_is_the_cause(log: list[str], exception: str,
                                                                     message: str) -> None:
    facts = _facts(log, _reader(exception, message))
    [found] = migrations(facts)
    assert found.missing == "legacy_sku", found
    top = rank(subject_of(alert(alertname="ExportFailing", namespace="reports", service="exporter")), facts)[0]
    assert top.ref is not None and (top.ref.kind, top.ref.name) == ("Job", "orders-migrate-57")
    assert "dropped column" in top.cause and "legacy_sku" in top.cause[:200], top.cause


def test_twin_a_migration_that_adds_the_column_the_reader_misses_is_not_its_removal() -> None:
    adds = ['Migrating schema "catalog" to version "58 - add legacy sku"',
            "ALTER TABLE items ADD COLUMN legacy_sku varchar(64);"]
    facts = _facts(adds, _reader("psycopg2.errors.UndefinedColumn", "column i.legacy_sku does not exist"))
    assert all(m.missing == "" for m in migrations(facts))


def test_twin_a_changeset_dropping_the_columns_index_or_another_field_is_not_blamed() -> None:
    index = ["ChangeSet db/changelog/058.yaml::drop-legacy-sku-index::alice ran successfully in 14ms"]
    other = ["  Applying catalog.0042_remove_item_barcode... OK"]
    for log in (index, other):
        facts = _facts(log, _reader("pyodbc.ProgrammingError", "Invalid column name 'legacy_sku'."))
        assert all(m.missing == "" for m in migrations(facts)), log
