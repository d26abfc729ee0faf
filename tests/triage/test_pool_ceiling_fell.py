"""A connection-pool ceiling that fell at the restart after a write (agent.triage.pool_ceiling_fell).

Two shapes in other software's words: a Go service on pgx whose DSN Secret a rotation job rewrote (gauge
`pgxpool_max_conns`, error "acquire connection: context deadline exceeded"), and a Spring service whose ConfigMap
was replaced by a chart bump (gauge `hikaricp_connections_max`, HikariCP's "Connection is not available, request
timed out"). Negative twins: the ceiling unchanged or barely lower (a busy pool, not a smaller one), a fall with no
write shortly before it, and waiting logs with no ceiling gauge at all.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from agent.incident import from_text
from agent.triage import pool_ceiling_fell, subject_of
from agent.triage.facts import Facts, LogEvidence

AT = datetime(2026, 4, 9, 16, 0, tzinfo=UTC)


def _stamp(minutes: int) -> str:
    return (AT - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _write(kind: str, ns: str, name: str, user: str, minutes: int) -> dict[str, Any]:
    return {"at": _stamp(minutes), "type": kind.lower(), "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} updated by rotator: data key url set by rotator (used by Deployment "
                       f"{ns}/{user})", "diff": ["data key url set by rotator"],
            "related": [{"kind": "Deployment", "namespace": ns, "name": user}]}


def _facts(ns: str, pod: str, error: str, changes: list[dict[str, Any]]) -> Facts:
    log = LogEvidence(pod=pod, namespace=ns, evidence_id="E7", top={"template": error, "message": error}, hosts=[],
                      error_classes=set(), previous=False)
    return Facts(at=AT, changes={"changes": changes}, changes_id="E2", logs=[log])


def _caller(gauge: str, before: float, after: float, fell_minutes: int) -> Any:
    asked: list[str] = []

    async def call(tool: str, args: dict[str, Any], step: str) -> Any:
        asked.append(tool)
        if tool == "prom_series":
            return SimpleNamespace(ok=True, evidence_id="E20", data={"series": [
                {"__name__": gauge}, {"__name__": "http_requests_total"}]})
        if tool == "prom_query_range" and gauge in args["query"]:
            return SimpleNamespace(ok=True, evidence_id="E21", data={"series": [
                {"first": before, "last": after, "change": {"at": _stamp(fell_minutes), "before": before,
                                                           "after": after}}]})
        return None
    call.asked = asked  # type: ignore[attr-defined]
    return call


def _run(facts: Facts, call: Any) -> list[pool_ceiling_fell.Fell]:
    asyncio.run(pool_ceiling_fell.read(subject_of(from_text("slow api")), facts, call, AT.isoformat()))
    return pool_ceiling_fell.found(facts)


PGX = 'msg="refund failed" err="acquire connection: context deadline exceeded" waited=5s'
HIKARI = ("HikariPool-1 - Connection is not available, request timed out after 30000ms (total=10, active=10, "
          "idle=0, waiting=41)")


def test_a_rotated_dsn_secret_followed_by_a_smaller_pgx_pool_is_named() -> None:
    facts = _facts("refunds", "refunds-api-7f8d9c6b5d-k2j4h", PGX,
                   [_write("Secret", "refunds", "refunds-dsn", "refunds-api", 50)])
    [fell] = _run(facts, _caller("pgxpool_max_conns", 32, 4, 48))
    f = pool_ceiling_fell.finding(fell)
    assert f["object"]["name"] == "refunds-dsn"
    assert "pgxpool_max_conns fell from 32 to 4" in f["message"] and "acquire connection" in f["message"]
    [(ref, _, evidence, explains)] = pool_ceiling_fell.suspects(facts)
    assert str(ref) == "Secret refunds/refunds-dsn" and "E21" in evidence
    assert [str(r) for r in explains] == ["Deployment refunds/refunds-api"]


def test_a_replaced_configmap_followed_by_a_smaller_hikari_pool_is_named_over_the_rollout() -> None:
    rollout = {"at": _stamp(58), "type": "rollout",
               "object": {"kind": "Deployment", "namespace": "ledger", "name": "ledger-api"},
               "summary": "Deployment ledger/ledger-api rolled out revision 7", "diff": ["ledger-api env X changed"]}
    facts = _facts("ledger", "ledger-api-5c6d7f8b9d-q2w5x", HIKARI,
                   [rollout, _write("ConfigMap", "ledger", "ledger-api-config", "ledger-api", 60)])
    [fell] = _run(facts, _caller("hikaricp_connections_max", 30, 10, 55))
    assert str(fell.target) == "ConfigMap ledger/ledger-api-config" and fell.workload == "ledger-api"


def test_an_unchanged_or_barely_lower_ceiling_or_a_fall_long_after_the_write_is_not_named() -> None:
    for before, after, fell_minutes in ((32, 32, 48), (32, 24, 48), (32, 4, 240)):
        facts = _facts("refunds", "refunds-api-7f8d9c6b5d-k2j4h", PGX,
                       [_write("Secret", "refunds", "refunds-dsn", "refunds-api", 300)
                        if fell_minutes == 240 else _write("Secret", "refunds", "refunds-dsn", "refunds-api", 50)])
        assert _run(facts, _caller("pgxpool_max_conns", before, after, fell_minutes)) == []


def test_no_waiting_words_read_nothing_and_another_workloads_secret_is_not_named() -> None:
    call = _caller("pgxpool_max_conns", 32, 4, 48)
    quiet = _facts("refunds", "refunds-api-7f8d9c6b5d-k2j4h", "GET /refunds 200 12ms",
                   [_write("Secret", "refunds", "refunds-dsn", "refunds-api", 50)])
    assert _run(quiet, call) == [] and call.asked == []
    other = _facts("refunds", "refunds-api-7f8d9c6b5d-k2j4h", PGX,
                   [_write("Secret", "refunds", "exports-dsn", "exports-worker", 50)])
    assert _run(other, _caller("pgxpool_max_conns", 32, 4, 48)) == []
