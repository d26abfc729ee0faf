"""Authentication refusals point at the Secret the workload takes its credentials from.

Log lines are the servers' own wordings as the clients print them: PostgreSQL (`password
authentication failed for user`, SQLSTATE 28P01), MySQL (`Access denied for user`), Redis
(`WRONGPASS invalid username-password pair`), an HTTP API answering 401. The pod templates are
apps/v1 Deployments as the API server stores them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from agent.incident import from_text
from agent.triage import rank, subject_of
from agent.triage.facts import Facts
from mcp_servers.common.logfacts import extract
from mcp_servers.kubernetes.topology import secret_uses
from tests.triage.test_rank import logs

AT = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)

TEMPLATE: dict[str, Any] = {"spec": {
    "initContainers": [{"name": "migrate", "envFrom": [{"secretRef": {"name": "migrate-env"}}]}],
    "containers": [{"name": "api", "env": [
        {"name": "LOG_LEVEL", "value": "info"},
        {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "orders-db", "key": "password"}}}]}],
    "volumes": [{"name": "tls", "secret": {"secretName": "orders-tls"}},
                {"name": "bundle", "projected": {"sources": [{"secret": {"name": "ca-bundle"}}]}}],
    "imagePullSecrets": [{"name": "registry-robot"}]}}


def test_secret_uses_names_every_way_a_pod_reads_a_secret() -> None:
    uses = [(u.secret.name, u.via) for u in secret_uses(TEMPLATE, "orders")]
    assert uses == [("migrate-env", "envFrom"), ("orders-db", "env DB_PASSWORD"), ("orders-tls", "volume tls"),
                    ("ca-bundle", "volume bundle"), ("registry-robot", "imagePullSecrets")]


def topology(secrets: list[tuple[str, str]]) -> dict[str, Any]:
    return {"subject": {"kind": "Deployment", "namespace": "orders", "name": "orders-api"},
            "pods": [{"name": "orders-api-7d9f-abcde", "namespace": "orders", "node": "n1", "phase": "Running",
                      "ready": True}],
            "secrets": [{"secret": {"kind": "Secret", "namespace": "orders", "name": n}, "via": v} for n, v in secrets]}


@pytest.mark.parametrize("line", [
    'error: request failed: password authentication failed for user "orders"',
    "java.sql.SQLException: Access denied for user 'orders'@'10.244.1.7' (using password: YES)",
    "redis: WRONGPASS invalid username-password pair or user is disabled.",
    'level=error msg="payment provider call failed" status=401 error="401 Unauthorized"',
])
def test_a_refused_login_blames_the_credential_secret_not_the_victim(line: str) -> None:
    [error] = [e for e in extract([line]).errors if e.error_class == "auth_failure"] or [None]
    assert error is not None, f"the log facts must classify {line!r} as auth_failure"
    facts = Facts(at=AT, topologies=[(topology([("orders-tls", "volume tls"), ("orders-db", "env DB_PASSWORD")]),
                                      "E3")],
                  logs=[logs("orders-api-7d9f-abcde", "orders", "auth_failure", line)])
    [top, *_] = rank(subject_of(from_text("orders-api returns 500s in namespace orders")), facts)
    assert top.ref is not None and (top.ref.kind, top.ref.name) == ("Secret", "orders-db")
    assert "env DB_PASSWORD" in top.cause and line[:40] in top.cause
    assert "E3" in top.evidence and "E9" in top.evidence


def test_no_refusal_no_secret_suspect() -> None:
    facts = Facts(at=AT, topologies=[(topology([("orders-db", "env DB_PASSWORD")]), "E3")],
                  logs=[logs("orders-api-7d9f-abcde", "orders", "timeout", "dial tcp 10.0.0.5:5432: i/o timeout")])
    ranked = rank(subject_of(from_text("orders-api returns 500s in namespace orders")), facts)
    assert all(c.ref is None or c.ref.kind != "Secret" for c in ranked)
