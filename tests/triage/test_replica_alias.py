"""agent.triage.replica_writes.aliased: a DNS alias (ExternalName Service) re-pointed at a reader endpoint.

The client's own setting still names the alias, so no ConfigMap or Secret write shows; the timeline shows the
Service's `spec.externalName` written to a host whose name says it serves reads only, and the client's writes
are refused in the datastore's own words. Twins: the alias moved to a writer's name, and a reader alias with
no refused write.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import replica_writes
from agent.triage.facts import Facts, LogEvidence, Ref

_AT = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)


def _log(pod: str, message: str) -> LogEvidence:
    return LogEvidence(pod=pod, namespace="ledger", evidence_id="E5", top={"message": message, "error_class": "db"},
                       hosts=[], error_classes={"db"}, previous=False)


def _alias(ns: str, name: str, now: str, minutes: int) -> dict[str, Any]:
    when = (_AT - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"at": when, "type": "updated", "object": {"kind": "Service", "namespace": ns, "name": name},
            "summary": f"Service {ns}/{name} written by kubectl-edit (now '{now}')",
            "diff": [f"spec.externalName written by kubectl-edit (now '{now}')"], "related": []}


def _facts(log: LogEvidence, *changes: dict[str, Any]) -> Facts:
    return Facts(at=_AT, logs=[log], changes={"changes": list(changes)}, changes_id="E2")


_MYSQL = ("ERROR 1290 (HY000): The MySQL server is running with the --read-only option so it cannot execute "
          "this statement")


def test_mysql_alias_moved_to_a_replica_host_is_the_suspect() -> None:
    facts = _facts(_log("postings-5b8c7d-k2m4p", _MYSQL),
                   _alias("shared-db", "ledger-mysql", "ledger-mysql-replica-2.db.corp.example", 25))
    [pin] = replica_writes.pinned(facts)
    assert pin.setting == Ref("Service", "shared-db", "ledger-mysql") and pin.minutes_before == 25
    message = replica_writes.finding(pin)["message"]
    assert message.startswith("ExternalName Service shared-db/ledger-mysql was re-pointed 25 min")
    assert "ledger-mysql-replica-2.db.corp.example" in message and "--read-only" in message


def test_redis_alias_moved_to_a_reader_endpoint_is_the_suspect() -> None:
    facts = _facts(_log("sessions-7f9d-abcde", "ReplyError: READONLY You can't write against a read only replica."),
                   _alias("platform", "session-cache", "sessions.reader.cache.example.net", 70))
    [pin] = replica_writes.pinned(facts)
    assert pin.setting.name == "session-cache" and pin.value == "sessions.reader.cache.example.net"


def test_alias_moved_to_a_writer_name_is_no_suspect() -> None:
    facts = _facts(_log("postings-5b8c7d-k2m4p", _MYSQL),
                   _alias("shared-db", "ledger-mysql", "ledger-mysql-primary.db.corp.example", 25))
    assert replica_writes.pinned(facts) == []


def test_reader_alias_without_a_refused_write_is_no_suspect() -> None:
    facts = _facts(_log("sessions-7f9d-abcde", "Error: connect ECONNREFUSED 10.1.2.3:6379"),
                   _alias("platform", "session-cache", "sessions.reader.cache.example.net", 70))
    assert replica_writes.pinned(facts) == []


def test_reader_alias_written_long_before_is_no_suspect() -> None:
    facts = _facts(_log("postings-5b8c7d-k2m4p", _MYSQL),
                   _alias("shared-db", "ledger-mysql", "ledger-mysql-ro.db.corp.example", 60 * 30))
    assert replica_writes.pinned(facts) == []
