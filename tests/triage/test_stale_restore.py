"""agent.triage.stale_restore: a datastore restored to a point far behind its start, and clients' duplicate keys.

Shapes: a Zalando-style `postgresql` resource whose StatefulSet pod came back to a transaction weeks old (`last
completed transaction was at log time`) while a Go client logs `pq: duplicate key value`; a MySQL StatefulSet whose
claim template restores from a VolumeSnapshot and whose restore tool says its backup was taken days earlier while a
client logs `Duplicate entry ... for key 'PRIMARY'`. Twins: a crash restart whose last known up is minutes before
its start, an old restore point with no duplicate key in view, duplicate keys from a store pod started days ago.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import stale_restore as sr
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 7, 9, 10, 0, tzinfo=UTC)
STARTED = AT - timedelta(hours=3)


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def client_log(words: str) -> LogEvidence:
    return LogEvidence(pod="billing-api-5d-x1", namespace="billing", evidence_id="L1",
                       top={"message": words, "level": "error"}, hosts=[], error_classes=set(), previous=False)


def run(image: str, log_line: str, said: str, owner_chain: dict[Any, Any], started: datetime = STARTED) -> Facts:
    pod = {"kind": "Pod", "metadata": {"name": "ledger-db-0", "namespace": "data", "ownerReferences": [
        {"kind": "StatefulSet", "name": "ledger-db", "controller": True}]}}
    rows = [{"name": "ledger-db-0", "namespace": "data", "created": iso(started), "images": [image]},
            {"name": "billing-api-5d-x1", "namespace": "billing", "created": iso(started), "images": ["billing:3"]}]
    hub = RecordingHub(objects={("Pod", "data", "ledger-db-0"): pod, **owner_chain}, lists={("Pod", ""): rows},
                       logs={"ledger-db-0": [log_line]})
    facts = Facts(at=AT, logs=[client_log(said)] if said else [])
    asyncio.run(sr.read(Subject(namespace="billing"), facts, hub, iso(AT)))
    return facts


ZALANDO = {("StatefulSet", "data", "ledger-db"): {
               "kind": "StatefulSet", "metadata": {"name": "ledger-db", "namespace": "data", "ownerReferences": [
                   {"kind": "postgresql", "name": "ledger-db", "controller": True}]}, "spec": {}},
           ("postgresql", "data", "ledger-db"): {
               "kind": "postgresql", "metadata": {"name": "ledger-db", "namespace": "data"},
               "spec": {"clone": {"cluster": "ledger-db", "timestamp": "2026-06-01T00:00:00+00:00"},
                        "restore": {"backupName": "ledger-db-2026-06-01"}}}}
MYSQL = {("StatefulSet", "data", "ledger-db"): {
    "kind": "StatefulSet", "metadata": {"name": "ledger-db", "namespace": "data"},
    "spec": {"volumeClaimTemplates": [{"spec": {"dataSource": {"kind": "VolumeSnapshot",
                                                               "name": "ledger-db-snap-0701"}}}]}}}


def test_postgres_clone_weeks_behind_with_go_duplicate_keys_names_the_operator_resource() -> None:
    line = f"{iso(STARTED)} LOG:  last completed transaction was at log time 2026-06-01 00:00:05.1+00"
    facts = run("registry.opensource.zalan.do/acid/spilo-16:3.3", line,
                'pq: duplicate key value violates unique constraint "invoices_pkey"', ZALANDO)
    [(ref, finding, evidence, explains)] = sr.suspects(facts)
    assert (ref.kind, ref.name) == ("postgresql", "ledger-db") and explains[0].name == "ledger-db-0"
    assert "restore.backupName=ledger-db-2026-06-01" in finding["message"] and "duplicate key" in finding["message"]
    assert evidence


def test_mysql_restore_from_an_old_snapshot_with_duplicate_entry_names_the_statefulset() -> None:
    line = f"{iso(STARTED)} [restore] backup was taken at 2026-07-01 02:00:00, applying logs"
    facts = run("percona/percona-server:8.0", line, "Duplicate entry '99817' for key 'PRIMARY'", MYSQL)
    [(ref, finding, _, _)] = sr.suspects(facts)
    assert (ref.kind, ref.name) == ("StatefulSet", "ledger-db")
    assert "dataSource.name=ledger-db-snap-0701" in finding["message"]


def test_a_crash_restart_minutes_behind_is_not_a_stale_restore() -> None:
    crash = (STARTED - timedelta(minutes=2)).strftime("%Y-%m-%d %H:%M:%S")
    line = f"{iso(STARTED)} LOG:  database system was interrupted; last known up at {crash} UTC"
    facts = run("postgres:16", line, 'ERROR: duplicate key value violates unique constraint "x_pkey"', ZALANDO)
    assert sr.suspects(facts) == []


def test_an_old_restore_point_with_no_duplicate_keys_is_not_named() -> None:
    line = f"{iso(STARTED)} LOG:  database system was interrupted; last known up at 2026-06-01 00:00:00 UTC"
    facts = run("postgres:16", line, "", ZALANDO)
    assert sr.suspects(facts) == []


def test_duplicate_keys_from_a_store_started_days_ago_are_not_named() -> None:
    line = "2026-07-01T00:00:00Z LOG:  database system was interrupted; last known up at 2026-06-01 00:00:00 UTC"
    facts = run("postgres:16", line, "E11000 duplicate key error collection: shop.orders", ZALANDO,
                started=AT - timedelta(days=8))
    assert sr.suspects(facts) == []
