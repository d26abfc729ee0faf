"""agent.triage.auth_method: a server began to require a password method its clients' driver cannot speak.

Written here, not taken from the held-out bundles. Shapes: a MySQL StatefulSet upgraded 5.7 -> 8.0 (its default
becomes caching_sha2_password) under a Node client refusing in mysqljs words; a Postgres config file written to
`password_encryption = scram-sha-256` under a Go client refusing in lib/pq words. Twins: the same upgrade while the
client is refused for a wrong password; refusals that began before the write; a cache's upgrade under Postgres
refusals; the client's own release after the server's; a method write wins over a bare upgrade.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import auth_method, behind
from agent.triage.facts import Facts, LogEvidence, Ref

AT = datetime(2026, 9, 3, 11, 0, tzinfo=UTC)
MYSQLJS = ("Error: ER_NOT_SUPPORTED_AUTH_MODE: Client does not support authentication protocol requested by server; "
           "consider upgrading MySQL client")
LIBPQ_GO = "level=error msg=\"ledger sync failed\" err=\"pq: unknown authentication response: 10\""


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def write(kind: str, ns: str, name: str, minutes_before: int, diff: str, kind_of: str = "config") -> dict[str, Any]:
    return {"at": iso(AT - timedelta(minutes=minutes_before)), "type": kind_of,
            "object": {"kind": kind, "namespace": ns, "name": name}, "summary": f"{kind} {ns}/{name} written",
            "diff": [diff], "related": []}


MYSQL_UP = write("StatefulSet", "data", "orders-mysql", 240,
                 "mysql image docker.io/library/mysql:5.7.44 -> docker.io/library/mysql:8.0.36", "rollout")
PG_METHOD = write("ConfigMap", "ledger", "ledger-postgres-conf", 120,
                  "data key postgresql.conf: password_encryption = md5 -> password_encryption = scram-sha-256")


def client(pod: str, ns: str, line: str, first_minutes_before: int = 60) -> LogEvidence:
    entry = {"message": line, "example": line, "severity": "error",
             "first_seen": iso(AT - timedelta(minutes=first_minutes_before))}
    return LogEvidence(pod=pod, namespace=ns, evidence_id=f"L-{pod}", top=entry, hosts=[], error_classes=set(),
                       previous=False)


def facts_of(changes: list[dict[str, Any]], logs: list[LogEvidence]) -> Facts:
    return Facts(at=AT, changes_id="C1", changes={"changes": changes}, logs=logs)


def test_a_mysql_major_upgrade_is_named_over_the_node_client() -> None:
    [(ref, finding, evidence, explains)] = auth_method.suspects(
        facts_of([MYSQL_UP], [client("invoice-api-7c9d8b6f5-x2k4q", "billing", MYSQLJS)]))
    assert ref == Ref("StatefulSet", "data", "orders-mysql")
    assert "mysql:5.7.44 -> mysql:8.0.36" in finding["message"]
    assert "Client does not support authentication protocol" in finding["message"]
    assert Ref("", "billing", "invoice-api") in explains and "C1" in evidence


def test_a_postgres_password_encryption_write_is_named_over_the_go_client() -> None:
    [(ref, finding, _, _)] = auth_method.suspects(
        facts_of([PG_METHOD], [client("ledger-sync-5f6d7c8b9-zx4cv", "ledger", LIBPQ_GO)]))
    assert ref == Ref("ConfigMap", "ledger", "ledger-postgres-conf")
    assert "scram-sha-256" in finding["message"] and "unknown authentication response: 10" in finding["message"]


def test_a_wrong_password_under_the_same_upgrade_is_not_named() -> None:
    denied = client("invoice-api-7c9d8b6f5-x2k4q", "billing",
                    "Error: ER_ACCESS_DENIED_ERROR: Access denied for user 'app'@'10.2.0.7' (using password: YES)")
    assert auth_method.suspects(facts_of([MYSQL_UP], [denied])) == []


def test_refusals_older_than_the_write_are_not_its_doing() -> None:
    early = client("ledger-sync-5f6d7c8b9-zx4cv", "ledger", LIBPQ_GO, first_minutes_before=300)
    assert auth_method.suspects(facts_of([PG_METHOD], [early])) == []


def test_a_cache_upgrade_under_postgres_refusals_is_not_named() -> None:
    cache = write("StatefulSet", "ledger", "session-cache", 90,
                  "valkey image docker.io/valkey/valkey:7.2.5 -> docker.io/valkey/valkey:8.0.1", "rollout")
    assert auth_method.suspects(facts_of([cache], [client("ledger-sync-5f6d7c8b9-zx4cv", "ledger", LIBPQ_GO)])) == []


def test_the_clients_own_release_after_the_upgrade_is_the_likelier_story() -> None:
    own = write("Deployment", "billing", "invoice-api", 100, "app image registry.local/invoice-api:2.3.0 -> "
                "registry.local/invoice-api:2.4.0", "rollout")
    assert auth_method.suspects(facts_of([MYSQL_UP, own], [client("invoice-api-7c9d8b6f5-x2k4q", "billing",
                                                                       MYSQLJS)])) == []


def test_a_method_write_wins_over_a_newer_bare_upgrade() -> None:
    upgrade = write("StatefulSet", "ledger", "ledger-postgres", 90,
                    "postgres image docker.io/library/postgres:15.8 -> docker.io/library/postgres:16.4", "rollout")
    [(ref, _, _, _)] = auth_method.suspects(
        facts_of([PG_METHOD, upgrade], [client("ledger-sync-5f6d7c8b9-zx4cv", "ledger", LIBPQ_GO)]))
    assert ref == Ref("ConfigMap", "ledger", "ledger-postgres-conf")


def test_registered_behind_the_survey() -> None:
    assert auth_method in behind.MODULES and behind.WEIGHTS[auth_method.CHECK] == auth_method.WEIGHT
