"""A disruption budget that lets voluntary evictions take a quorum-based store below its majority.

Replica sets and consensus groups (MongoDB replica sets, etcd, ZooKeeper, Consul, Kafka's KRaft controllers,
Elasticsearch masters, CockroachDB) elect a primary or leader only while a majority of their members can see each
other: two of three, three of five. A PodDisruptionBudget over such members is what stops a node drain or an
autoscaler scale-down from evicting more of them at once than the set can lose. A budget written as
`maxUnavailable: 2` over three members (or `minAvailable: 1`) protects nothing that matters: the drain evicts two,
their replacements wait for a node, the last member sees no majority and steps down, and every write fails with
the client's "no primary / no leader / no quorum".

The scan reports each budget with its numbers (expected pods, min available or max unavailable, healthy now).
This module names the budget when all three halves hold: it permits fewer than a majority of its expected pods to
remain; fewer than a majority are healthy now; and a client in the incident says the set has no primary, leader or
quorum. A budget that keeps a majority, or a set still whole, or clients failing otherwise, names nothing: the
budget is then at most a latent risk, not this incident's cause. Pure over the facts.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from agent.triage import limit_hit
from agent.triage.facts import Facts, LogEvidence, Ref, said_by

CHECK = "pdb.quorum_loss"
WEIGHT = 0.9
"""The budget is the thing to fix: the pending members and the clients' errors follow from it."""
MIN_MEMBERS = 3
"""Below three members there is no majority that survives any loss: a budget cannot be at fault."""

NO_QUORUM = re.compile(
    r"\bno (?:cluster )?leader\b|leader not available|LEADER_NOT_AVAILABLE|NOT_LEADER|\bno primary\b"
    r"|ReplicaSetNoPrimary|selector \W?Primary\(\)|NotWritablePrimary|\bnot master\b|master_not_discovered"
    r"|\bno (?:elected )?master\b|\b(?:lost|no|without) quorum\b|quorum (?:lost|not (?:reached|available))"
    r"|cannot see a majority|not currently serving requests|no leader elected|raft: lost leader", re.I)
"""A client's or member's wording for a set that cannot elect: MongoDB, etcd, Consul, Kafka, Elasticsearch,
ZooKeeper, CockroachDB and the generic quorum words."""

_WORKLOAD_CHECKS = ("pod.pending", "workload.unavailable", "pod.evicted", "workload.missing_service")


@dataclass(frozen=True)
class QuorumBudget:
    """A budget that lets the set lose its majority, the set below it now, and a client that says so."""

    pdb: Ref
    members: int
    may_lose: int
    written: str
    healthy: int
    workload: Ref | None
    log: LogEvidence
    said: str


def _count(value: Any, members: int, up: bool) -> int | None:
    """An int or a percentage of `members` (Kubernetes rounds both fields' percentages up)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if text.endswith("%") and text[:-1].isdigit():
        share = int(text[:-1]) * members / 100
        return math.ceil(share) if up else int(share)
    return int(text) if text.isdigit() else None


def may_lose(details: dict[str, Any]) -> tuple[int, int, str] | None:
    """(members, how many the budget lets go at once, the field as written) from a scan finding's details."""
    members = details.get("expected_pods")
    if not isinstance(members, int) or members < MIN_MEMBERS:
        return None
    most = _count(details.get("max_unavailable"), members, True)
    if most is not None:
        return members, most, f"maxUnavailable {details.get('max_unavailable')}"
    least = _count(details.get("min_available"), members, True)
    if least is not None:
        return members, members - least, f"minAvailable {details.get('min_available')}"
    return None


def _client(facts: Facts) -> tuple[LogEvidence, str] | None:
    for log in limit_hit.all_logs(facts):
        for e in log.entries():
            text = said_by(e)
            if NO_QUORUM.search(f"{text} {e.get('message') or ''} {e.get('exception') or ''}"):
                return log, text[:240]
    return None


def found(facts: Facts) -> list[QuorumBudget]:
    """Budgets that let their set lose its majority, when the set has lost it and a client says so."""
    client = _client(facts)
    if client is None:
        return []
    findings = facts.findings()
    out: list[QuorumBudget] = []
    for f in findings:
        pdb = Ref.of(f.get("object"))
        details = f.get("details") or {}
        if pdb is None or pdb.kind != "PodDisruptionBudget" or not isinstance(details, dict):
            continue
        numbers = may_lose(details)
        healthy = details.get("current_healthy")
        if numbers is None or not isinstance(healthy, int):
            continue
        members, lose, written = numbers
        majority = members // 2 + 1
        if members - lose >= majority or healthy >= majority or any(q.pdb.same_object(pdb) for q in out):
            continue
        workload = next((w for g in findings if str(g.get("check")) in _WORKLOAD_CHECKS
                         and (w := Ref.of(g.get("object"))) is not None and w.namespace == pdb.namespace
                         and w.kind in ("StatefulSet", "Deployment")
                         and members in ((g.get("details") or {}).get("desired"),
                                         (g.get("details") or {}).get("pods_total"))), None)
        out.append(QuorumBudget(pdb, members, lose, written, healthy, workload, client[0], client[1]))
    return out


def finding(q: QuorumBudget) -> dict[str, Any]:
    """The budget's numbers against the majority first, then the set now and the client's words."""
    majority = q.members // 2 + 1
    members = f"the {q.members} members of {q.workload}" if q.workload else f"its {q.members} pods"
    return {
        "check": CHECK, "severity": "critical", "reason": "BudgetAllowsMajorityLoss",
        "object": {"kind": q.pdb.kind, "namespace": q.pdb.namespace, "name": q.pdb.name},
        "message": (f"{q.pdb} ({q.written}) lets a drain or scale-down evict {q.may_lose} of {members} at once, "
                    f"leaving fewer than the majority ({majority} of {q.members}) a replica set or consensus group "
                    f"needs to elect a primary; {q.healthy} of {q.members} are healthy now and the clients find no "
                    f"primary: {q.log.pod}'s logs say '{q.said}'. Set maxUnavailable 1 (or minAvailable "
                    f"{majority}) and bring the evicted members back"),
        "evidence": [f"{q.written}, expectedPods {q.members}, currentHealthy {q.healthy}"],
        "details": {"members": q.members, "may_lose": q.may_lose, "healthy": q.healthy,
                    "workload": str(q.workload) if q.workload else None},
    }


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], LogEvidence, list[Ref]]]:
    """(budget, finding, the client's log, the set's workload it explains) for rank."""
    return [(q.pdb, finding(q), q.log, [q.workload] if q.workload else []) for q in found(facts)]
