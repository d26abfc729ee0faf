"""agent.triage.driver_tls_default: a client's release whose database driver now encrypts and verifies by default.

Written here, not taken from the held-out bundles. Shapes: a Java service whose new image carries mssql-jdbc that
refuses SQL Server's self-generated certificate (PKIX); a Python worker whose new image's psycopg verifies a
self-signed Postgres certificate. Twins: the same refusals with no client rollout (the server's certificate moved);
a rollout that wrote a TLS option into its connection string; an expired server certificate; refusals older than
the rollout; a read connection string that already decides TLS.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import behind, driver_tls_default
from agent.triage.facts import Facts, LogEvidence, Ref

AT = datetime(2026, 7, 9, 9, 0, tzinfo=UTC)
JDBC = ("com.microsoft.sqlserver.jdbc.SQLServerException: The driver could not establish a secure connection to SQL "
        "Server by using Secure Sockets Layer (SSL) encryption. Error: \"PKIX path building failed: "
        "sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path\"")
PSYCOPG = "psycopg.OperationalError: connection failed: SSL error: certificate verify failed"


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def rollout(ns: str, name: str, minutes_before: int, diff: str) -> dict[str, Any]:
    return {"at": iso(AT - timedelta(minutes=minutes_before)), "type": "rollout",
            "object": {"kind": "Deployment", "namespace": ns, "name": name},
            "summary": f"Deployment {ns}/{name} rolled out", "diff": [diff], "related": []}


POLICY = rollout("underwriting", "policy-svc", 40, "app image registry.local/policy-svc:2.7.3 -> "
                 "registry.local/policy-svc:3.0.0")
WORKER = rollout("orders", "order-worker", 30, "worker image registry.local/order-worker:1.9.0 -> "
                 "registry.local/order-worker:2.0.0")


def pod_log(pod: str, ns: str, line: str, first_minutes_before: int = 25) -> LogEvidence:
    entry = {"message": line, "example": line, "severity": "error",
             "first_seen": iso(AT - timedelta(minutes=first_minutes_before))}
    return LogEvidence(pod=pod, namespace=ns, evidence_id=f"L-{pod}", top=entry, hosts=[], error_classes=set(),
                       previous=True)


def facts_of(changes: list[dict[str, Any]], logs: list[LogEvidence],
             objects: list[tuple[dict[str, Any], str]] | None = None) -> Facts:
    return Facts(at=AT, changes_id="C1", changes={"changes": changes}, logs=logs, objects=objects or [])


def test_a_java_release_whose_jdbc_driver_refuses_the_sql_server_certificate_is_named() -> None:
    [(ref, finding, evidence, _)] = driver_tls_default.suspects(
        facts_of([POLICY], [pod_log("policy-svc-6c7d8f9b5-x2k4q", "underwriting", JDBC)]))
    assert ref == Ref("Deployment", "underwriting", "policy-svc")
    assert "policy-svc:3.0.0" in finding["message"] and "could not establish a secure connection" in finding["message"]
    assert "Encrypt" in finding["message"] and "C1" in evidence


def test_a_python_release_whose_driver_verifies_a_self_signed_postgres_is_named() -> None:
    [(ref, finding, _, _)] = driver_tls_default.suspects(
        facts_of([WORKER], [pod_log("order-worker-5b6c7d8f9-q7z2m", "orders", PSYCOPG)]))
    assert ref == Ref("Deployment", "orders", "order-worker")
    assert "certificate verify failed" in finding["message"]


def test_the_same_refusals_without_a_client_rollout_are_not_named() -> None:
    assert driver_tls_default.suspects(facts_of([], [pod_log("policy-svc-6c7d8f9b5-x2k4q", "underwriting",
                                                             JDBC)])) == []


def test_a_rollout_that_wrote_a_tls_option_is_not_named() -> None:
    written = rollout("orders", "order-worker", 30, "worker env DATABASE_URL='postgres://pg.data/orders' -> "
                      "'postgres://pg.data/orders?sslmode=verify-full'")
    assert driver_tls_default.suspects(facts_of([written], [pod_log("order-worker-5b6c7d8f9-q7z2m", "orders",
                                                                    PSYCOPG)])) == []


def test_an_expired_server_certificate_is_not_the_drivers_default() -> None:
    expired = pod_log("order-worker-5b6c7d8f9-q7z2m", "orders", "psycopg.OperationalError: connection failed: SSL "
                      "error: certificate verify failed: certificate has expired")
    assert driver_tls_default.suspects(facts_of([WORKER], [expired])) == []


def test_refusals_older_than_the_rollout_are_not_its_doing() -> None:
    early = pod_log("policy-svc-6c7d8f9b5-x2k4q", "underwriting", JDBC, first_minutes_before=120)
    assert driver_tls_default.suspects(facts_of([POLICY], [early])) == []


def test_a_connection_string_that_already_decides_tls_is_not_named() -> None:
    deployment = {"kind": "Deployment", "metadata": {"name": "policy-svc", "namespace": "underwriting"},
                  "spec": {"template": {"spec": {"containers": [{"name": "app", "env": [
                      {"name": "DB", "value": "jdbc:sqlserver://sql.data:1433;databaseName=policy;encrypt=true;"
                                              "trustServerCertificate=false"}]}]}}}}
    assert driver_tls_default.suspects(facts_of([POLICY], [pod_log("policy-svc-6c7d8f9b5-x2k4q", "underwriting",
                                                                   JDBC)], [(deployment, "O1")])) == []


def test_registered_behind_the_survey() -> None:
    assert driver_tls_default in behind.MODULES
    assert behind.WEIGHTS[driver_tls_default.CHECK] == driver_tls_default.WEIGHT
