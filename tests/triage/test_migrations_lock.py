"""A migration that builds an index without CONCURRENTLY, then writes wait on the table's lock (migrations.finding).

Shapes: a Flyway version described as adding an index with a Go pq insert cancelled by statement_timeout, and an
Alembic `CREATE UNIQUE INDEX` with a psycopg update cancelled. Twins: the same build with CONCURRENTLY, an index
dropped (its meaning is the lost plan, not a lock), and a slow read after an index build (no write waits).
"""

from __future__ import annotations

from agent.triage import migrations as mg
from agent.triage.facts import LogEvidence, Ref


def _m(statements: list[str], said: str) -> mg.Migration:
    log = LogEvidence(pod="ledger-api-6f7d8c9b5x-k2p4q", namespace="ledger", evidence_id="E5", top={}, hosts=[],
                      error_classes=set(), previous=False, more=[], warnings=[])
    return mg.Migration(Ref("Job", "ledger", "ledger-migrate-12"), statements, 6, log, said, [])


def test_flyway_adding_an_index_before_insert_timeouts_reads_as_a_lock() -> None:
    msg = mg.finding(_m(['Migrating schema "public" to version "12 - add entries account index"'],
                        "insert entry: pq: canceling statement due to statement timeout"))["message"]
    assert msg.startswith("Job ledger/ledger-migrate-12, a schema migration, builds an index 6 min before")
    assert "without CONCURRENTLY holds a SHARE lock" in msg[:400] and "every write waits on the lock" in msg


def test_alembic_create_unique_index_before_update_timeouts_reads_as_a_lock() -> None:
    finding = mg.finding(_m(["CREATE UNIQUE INDEX ux_entries_ref ON entries (ref)"],
                            "psycopg.errors.QueryCanceled: UPDATE entries: canceling statement due to timeout"))
    assert finding["reason"] == "MigrationLocksTable"


def test_concurrent_builds_dropped_indexes_and_slow_reads_keep_the_plan_reading() -> None:
    for statements, said in [(["CREATE INDEX CONCURRENTLY ix_a ON entries (a)"], "insert entry: statement timeout"),
                             (["DROP INDEX ix_entries_account"], "insert entry: statement timeout"),
                             (["CREATE INDEX ix_a ON entries (a)"], "select balance: statement timeout")]:
        assert mg.finding(_m(statements, said))["reason"] == "SchemaChangedBeforeSlowQueries"
