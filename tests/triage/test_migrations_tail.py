"""A reader's missing-column error kept in a multi-line exception's body still names the migration that renamed it.

Loggers that head an entry with a category line (a JVM service's `ERROR ... request failed` followed by
`Caused by:`, a Python worker's traceback ending in the driver's exception) leave the database's words on the
container's last lines, not in the classified error. The shapes: a JDBC `Caused by:` after a Flyway rename, a
SQLAlchemy traceback's last line after a Rails `rename_column`. The twins: the body names a column the
migration did not touch, and a body with no missing identifier at all.
"""

from __future__ import annotations

from datetime import timedelta

from agent.triage import rank, subject_of
from agent.triage.facts import Facts, LogEvidence
from agent.triage.migrations import migrations
from tests.triage.test_migrations import AT, _job, _rollout, _timeline
from tests.triage.test_rank import alert

FLYWAY = ['Migrating schema "public" to version "88 - rename vendors phone to phone_e164"',
          "ALTER TABLE vendors RENAME COLUMN phone TO phone_e164;"]
RAILS = ["== 20261120101500 RenameTierOnPlans: migrating =====================",
         "-- rename_column(:plans, :tier, :tier_code)", "   -> 0.0042s"]

JDBC_TAIL = ["Caused by: org.postgresql.util.PSQLException: ERROR: column v.phone does not exist",
             "  Position: 61"]
PYTHON_TAIL = ["sqlalchemy.exc.ProgrammingError: (psycopg2.errors.UndefinedColumn) column p.tier does not exist",
               "[SQL: SELECT p.id, p.tier FROM plans p WHERE p.id = %(id)s]"]


def _reader(head: str, tail: list[str]) -> LogEvidence:
    """A reader whose classified error is only the logger's head line; the driver's words are its last lines."""
    top: dict[str, object] = {"template": head, "example": head, "message": head, "exception": None,
                              "severity": "error", "error_class": "exception", "count": 30, "fields": {}}
    return LogEvidence(pod="invoicer-7d9f8c6b5-q4w2e", namespace="billing", evidence_id="E6", top=top, hosts=[],
                       error_classes={"exception"}, previous=False, last_lines=tail)


def _facts(log: list[str], reader: LogEvidence) -> Facts:
    timeline = _timeline(_job("vendors-migrate-88", AT - timedelta(minutes=30), AT - timedelta(minutes=29)), log)
    timeline["changes"].append(_rollout())
    facts = Facts(at=AT, scan={"findings": []}, scan_id="E1", changes=timeline, changes_id="E2")
    facts.logs.append(reader)
    return facts


def test_a_jdbc_caused_by_names_the_flyway_rename() -> None:
    facts = _facts(FLYWAY, _reader("ERROR c.a.billing.InvoiceController - request failed", JDBC_TAIL))
    [m] = migrations(facts)
    assert m.missing == "phone"
    top = rank(subject_of(alert(alertname="InvoicesFailing", namespace="billing", service="invoicer")), facts)[0]
    assert top.ref is not None and (top.ref.kind, top.ref.name) == ("Job", "vendors-migrate-88"), top.cause


def test_a_traceback_last_line_names_the_rails_rename() -> None:
    facts = _facts(RAILS, _reader("ERROR worker: job failed", PYTHON_TAIL))
    [m] = migrations(facts)
    assert m.missing == "tier"


def test_a_body_naming_an_untouched_column_is_not_blamed() -> None:
    tail = ["Caused by: org.postgresql.util.PSQLException: ERROR: column v.fax does not exist"]
    assert not migrations(_facts(FLYWAY, _reader("ERROR c.a.billing.InvoiceController - request failed", tail)))


def test_a_body_without_a_missing_identifier_adds_nothing() -> None:
    tail = ["Caused by: java.net.SocketTimeoutException: Read timed out", "  at java.base/java.net.Socket"]
    assert not migrations(_facts(RAILS, _reader("ERROR worker: job failed", tail)))
