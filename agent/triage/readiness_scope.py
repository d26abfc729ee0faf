"""A readiness probe moved to the aggregate health endpoint: one dependency's blip takes every pod out at once.

Frameworks split health into groups: Spring Boot's `/actuator/health/readiness` and `/actuator/health/liveness`
beside the aggregate `/actuator/health`, Quarkus and MicroProfile's `/q/health/ready` beside `/q/health`, ASP.NET
and many Go or Node services' `/health/ready` or `/readyz` beside `/health` or `/healthz`. The aggregate includes
the dependencies (the datasource, a cache, a broker, a downstream API). A readiness probe pointed at it ties
every replica's readiness to the same outside thing: when the database fails over for 40 s, every pod fails
readiness together, the Service has no endpoint, and callers get 502/503 ("no live upstreams", "no healthy
upstream") for longer than the blip itself, while each pod is running and would have served cached or partial
answers. The change is often days old, made in a chart refactor; the dependency's blip only shows it.

Evidence any instance leaves: a rollout whose pod-template diff moves the readinessProbe path from a readiness
group to the aggregate (`readinessProbe path /actuator/health/readiness -> /actuator/health`: the new path is an
ancestor of the old one, or the old names readiness and the new only health), and readiness failures (kubelet's
`Unhealthy` / `Readiness probe failed` events) on every current pod of that workload, starting within a few minutes
of each other, shortly before the alert. Not named: a probe narrowed to the readiness group, failures on some pods
only (a pod's own trouble), failures spread over hours. `read` gets the namespace's warning events and pods only
when the timeline holds such a move; `found` is pure.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import rows_of
from agent.triage.subject import Subject, workload_of_pod

Call = Callable[..., Awaitable[Any]]

CHECK = "change.readiness_includes_dependencies"
WEIGHT = 0.9
"""Above the workload's plain rollout and a later unrelated one: every pod's readiness failed with it."""
STORE = "readiness_scope"
LEAD = timedelta(hours=72)
"""How long before the alert the probe move may have rolled out: it waits for the dependency's next blip."""
WINDOW = timedelta(minutes=45)
"""How long before the alert the readiness failures must have started."""
TOGETHER = timedelta(minutes=5)
"""How close the pods' first readiness failures must be to count as one shared cause."""
MAX_WORKLOADS = 2
KINDS = ("Deployment", "StatefulSet", "DaemonSet")

_MOVE = re.compile(r"(?P<container>\S+) readinessProbe path (?P<old>/\S*) -> (?P<new>/\S*)")
_READY = re.compile(r"read(?:y|iness)", re.I)
_HEALTH = re.compile(r"health|status|ping", re.I)
_FAILED = re.compile(r"readiness probe failed", re.I)


@dataclass
class Widened:
    """A workload whose readiness probe now asks the aggregate health, and its pods that failed it together."""

    workload: Ref
    change: dict[str, Any]
    container: str
    old: str
    new: str
    pods: list[str]
    said: str
    first: datetime
    evidence: list[str] = field(default_factory=list)


def widened(old: str, new: str) -> bool:
    """Whether the probe moved from a readiness group to the health endpoint that aggregates it."""
    old, new = old.split("?")[0].rstrip("/"), new.split("?")[0].rstrip("/")
    if not old or old == new:
        return False
    if new and old.startswith(new + "/") and _READY.search(old[len(new):]):
        return True
    return bool(_READY.search(old)) and not _READY.search(new) and bool(_HEALTH.search(new))


def moves(facts: Facts) -> list[tuple[dict[str, Any], Ref, re.Match[str]]]:
    """Rollouts within LEAD whose diff widened a readiness probe (the newest per workload)."""
    out: list[tuple[dict[str, Any], Ref, re.Match[str]]] = []
    for change, _, target in facts.writes_to(KINDS, within=LEAD, deletions=False):
        if any(t.same_object(target) for _, t, _ in out):
            continue
        for line in change.get("diff") or []:
            m = _MOVE.search(str(line))
            if m is not None and widened(m.group("old"), m.group("new")):
                out.append((change, target, m))
                break
    return out


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, when a rollout widened a readiness probe: the namespace's Pod warning events and its pods."""
    if STORE in facts.reads:
        return
    kept: dict[str, Any] = {}
    facts.reads[STORE] = kept
    for _, target, _ in moves(facts)[:MAX_WORKLOADS]:
        if target.namespace in kept:
            continue
        events = await call("k8s_events", {"namespace": target.namespace, "kind": "Pod", "warnings_only": True},
                            f"survey-readiness-scope-events-{target.namespace}")
        pods = await call("k8s_list", {"kind": "Pod", "namespace": target.namespace},
                          f"survey-readiness-scope-pods-{target.namespace}")
        rows = [r for r in (events.data.get("events") or []) if isinstance(r, dict)] \
            if events is not None and events.ok and isinstance(events.data, dict) else []
        kept[target.namespace] = {"events": rows, "pods": [str(r.get("name")) for r in rows_of(pods)],
                                  "evidence": [o.evidence_id for o in (events, pods) if o is not None and o.ok]}


def found(facts: Facts) -> list[Widened]:
    """Widened probes whose every current pod failed readiness together shortly before the alert."""
    kept = facts.reads.get(STORE) or {}
    out: list[Widened] = []
    for change, target, m in moves(facts):
        seen = kept.get(target.namespace)
        if not seen:
            continue
        current = {p for p in seen["pods"] if workload_of_pod(p) == target.name}
        firsts: dict[str, datetime] = {}
        said = ""
        for row in seen["events"]:
            name, first = str(row.get("name") or ""), parse_time(row.get("first_seen") or row.get("last_seen"))
            if row.get("kind") not in (None, "Pod") or name not in current or first is None:
                continue
            if not _FAILED.search(str(row.get("message") or "")) or not timedelta(0) <= facts.at - first <= WINDOW:
                continue
            firsts[name] = min(first, firsts.get(name, first))
            said = said or str(row.get("message"))
        if len(current) < 2 or set(firsts) != current or max(firsts.values()) - min(firsts.values()) > TOGETHER:
            continue
        out.append(Widened(target, change, m.group("container"), m.group("old"), m.group("new"), sorted(current),
                           said, min(firsts.values()),
                           [e for e in (facts.changes_id, *seen["evidence"]) if e]))
    return out


def finding(w: Widened, now: datetime) -> dict[str, Any]:
    """The workload's finding: the probe move, and every pod failing readiness at once."""
    rolled = parse_time(w.change.get("at")) or now
    message = (f"{w.workload} rolled out {minutes_text(int((now - rolled).total_seconds() // 60))} before the alert "
               f"with container {w.container}'s readinessProbe moved from {w.old} to {w.new}: that endpoint "
               "aggregates the dependencies (database, cache, downstream), so one dependency's blip turns every "
               f"pod unready at once. All pods unready: all {len(w.pods)} pods failed readiness within minutes of "
               f"each other, {minutes_text(int((now - w.first).total_seconds() // 60))} before the alert ('{w.said}'),"
               " leaving its Service without endpoints, so callers got 502/503. Point readiness back at the "
               f"readiness group ({w.old}) and keep dependency checks out of it")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": w.workload.kind, "namespace": w.workload.namespace, "name": w.workload.name},
            "reason": "ReadinessIncludesDependencies", "message": message,
            "evidence": [f"{w.container} readinessProbe path {w.old} -> {w.new}", w.said],
            "details": {"change_at": w.change.get("at"), "pods": w.pods, "old_path": w.old, "new_path": w.new}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the workload, its finding, evidence ids, its pods that failed readiness) for `agent.triage.behind`."""
    return [(w.workload, finding(w, facts.at), w.evidence,
             [Ref("Pod", w.workload.namespace, p) for p in w.pods]) for w in found(facts)]
