"""A rollout that left a workload's pods without requests: BestEffort QoS, evicted first under node pressure.

Kubernetes sorts pods for node-pressure eviction by whether their usage exceeds their request, then by
priority, then by usage above request. A pod whose containers set no requests and no limits at all is
BestEffort: its request is 0, so all its usage counts above it and the kubelet evicts it first, again and
again, while its Burstable and Guaranteed neighbours stay. The kubelet says so in the `Evicted` event
("The node was low on resource: memory. ... Container x was using 1810000Ki, request is 0, has larger
consumption of its request."), for memory, ephemeral-storage or PIDs alike. A values refactor or a
chart change that drops the `resources:` block shows in the change timeline as a rollout whose diff lines
read `x cpu request 500m -> none` / `x memory request 1Gi -> none`.

The workload is blamed when a rollout in the last day removed requests, its template now sets no request
and no limit in any container (limits alone would default the requests: not BestEffort), and its pods were
evicted by the kubelet after that rollout. Twins: a rollout that keeps limits (requests default to them),
evictions of pods that still request memory, evictions from before the rollout.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject, workload_of_pod

Call = Callable[..., Awaitable[Any]]

CHECK = "workload.besteffort_evicted"
WEIGHT = 0.9
"""The rollout that made the pods BestEffort is the cause; the evictions and the node's pressure follow from it."""
LEAD = timedelta(hours=24)
"""How long before the incident the rollout may be: node pressure may come only with the next busy hours."""
MAX_ROLLOUTS = 3
_REMOVED = re.compile(r"^(?P<container>\S+) (?P<resource>cpu|memory|ephemeral-storage) (?P<what>request|limit) "
                      r"(?P<old>\S+) -> none$")
"""A rollout diff line of a container's request or limit removed (`image-resizer memory request 1536Mi -> none`)."""
_ZERO_REQUEST = re.compile(r"request is 0\b|requests? (?:is|of) 0\b", re.I)
_SOME_REQUEST = re.compile(r"request (?:is|of) \d", re.I)
"""A request figure in the kubelet's words: today's "request is 1536Mi", older kubelets' "which exceeds its request
of 1536Mi"."""
_PRESSURE = re.compile(r"low on resource: (?P<resource>[\w-]+)", re.I)
_QOS_RESOURCES = ("cpu", "memory")


@dataclass
class BestEffort:
    """A workload a rollout left BestEffort, and the kubelet's evictions of its pods since."""

    workload: Ref
    revision: str
    at: datetime
    removed: list[str]
    evictions: int
    first_eviction: datetime | None
    said: str
    resource: str
    nodes: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)


def removed_lines(change: dict[str, Any]) -> list[str]:
    """A rollout's diff lines that remove a request or a limit."""
    if change.get("type") != "rollout":
        return []
    return [str(d) for d in change.get("diff") or [] if _REMOVED.match(str(d))]


def defaulted(limit_ranges: list[dict[str, Any]]) -> bool:
    """Whether a namespace's LimitRange gives containers that set nothing a cpu or memory request or limit
    (`default`/`defaultRequest` of a `Container` limit): the admission plugin fills them in, so the pods are
    Burstable, not BestEffort, whatever the template says."""
    for lr in limit_ranges:
        for limit in (lr.get("spec") or {}).get("limits") or []:
            if not isinstance(limit, dict) or str(limit.get("type") or "Container") != "Container":
                continue
            if any((limit.get(k) or {}).get(r) not in (None, "", 0, "0")
                   for k in ("default", "defaultRequest") for r in _QOS_RESOURCES):
                return True
    return False


def best_effort(obj: dict[str, Any], limit_ranges: list[dict[str, Any]] | None = None) -> bool:
    """Whether a workload's pod template gives BestEffort pods: no container (init containers included) requests
    or limits cpu or memory, and no LimitRange of its namespace defaults them."""
    if limit_ranges and defaulted(limit_ranges):
        return False
    spec = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
    containers = [c for c in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]
                  if isinstance(c, dict)]
    if not containers:
        return False
    for c in containers:
        res = c.get("resources") or {}
        for section in ("requests", "limits"):
            if any((res.get(section) or {}).get(r) not in (None, "", 0, "0") for r in _QOS_RESOURCES):
                return False
    return True


def evictions(rows: list[dict[str, Any]], workload: Ref, since: datetime) -> list[dict[str, Any]]:
    """The kubelet's `Evicted` events on the workload's pods since the rollout (pods a ReplicaSet or a StatefulSet
    named after it)."""
    out = []
    for r in rows:
        if str(r.get("reason") or "") != "Evicted" or str(r.get("kind") or "Pod") != "Pod":
            continue
        if str(r.get("namespace") or workload.namespace) != workload.namespace:
            continue
        if workload_of_pod(str(r.get("name") or "")) != workload.name:
            continue
        at = parse_time(r.get("last_seen")) or parse_time(r.get("first_seen"))
        if at is None or at < since:
            continue
        message = str(r.get("message") or "")
        if _ZERO_REQUEST.search(message) or not _SOME_REQUEST.search(message):
            out.append(r)
    return out


def judge(change: dict[str, Any], obj: dict[str, Any] | None, rows: list[dict[str, Any]],
          now: datetime, limit_ranges: list[dict[str, Any]] | None = None) -> BestEffort | None:
    """The BestEffort finding when the rollout removed requests, the template is BestEffort now and its pods were
    evicted by the kubelet after the rollout."""
    target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
    removed = removed_lines(change)
    if target is None or at is None or not removed or not any(" request " in d for d in removed):
        return None
    if not now - LEAD <= at <= now or obj is None or not best_effort(obj, limit_ranges):
        return None
    evicted = evictions(rows, target, at)
    if not evicted:
        return None
    count = sum(int(r.get("count") or 1) for r in evicted)
    times = [t for t in (parse_time(r.get("first_seen")) or parse_time(r.get("last_seen")) for r in evicted) if t]
    said = next((str(r.get("message") or "") for r in evicted if _ZERO_REQUEST.search(str(r.get("message") or ""))),
                str(evicted[0].get("message") or ""))
    pressure = _PRESSURE.search(said)
    revision = m.group(1) if (m := re.search(r"revision (\d+)", str(change.get("summary") or ""))) else ""
    return BestEffort(target, revision, at, removed, count, min(times) if times else None, said.strip()[:240],
                      pressure.group("resource") if pressure else "memory",
                      sorted({str(r.get("host") or r.get("node") or "") for r in evicted} - {""}))


def finding(b: BestEffort, now: datetime) -> dict[str, Any]:
    """The workload's finding: the QoS class the rollout gave it, what that means under pressure, the evictions."""
    minutes = int((now - b.at).total_seconds() // 60)
    rev = f"revision {b.revision} " if b.revision else "a rollout "
    first = f" from {b.first_eviction.strftime('%H:%M')}" if b.first_eviction else ""
    message = (f"{b.workload}: {rev}({b.at.strftime('%H:%M')}, {minutes} min before) dropped its resources block "
               f"({'; '.join(b.removed[:3])}), so its pods are BestEffort QoS (request is 0): under node "
               f"{b.resource} pressure the kubelet evicts them first, and it did {b.evictions} times{first} "
               f"(\"{b.said[:150]}\"). Restore the requests (and a memory limit) in the pod template")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": b.workload.kind, "namespace": b.workload.namespace, "name": b.workload.name},
            "reason": "BestEffortEvicted", "message": message, "evidence": [*b.removed[:3], b.said[:200]],
            "details": {"revision": b.revision, "removed": b.removed, "evictions": b.evictions, "nodes": b.nodes,
                        "qos_class": "BestEffort"}}


async def _limit_ranges(call: Call, namespace: str) -> list[dict[str, Any]]:
    """The namespace's LimitRanges (their defaults make a template without resources Burstable)."""
    listed = await call("k8s_list", {"kind": "LimitRange", "namespace": namespace}, f"survey-qos-limits-{namespace}")
    rows = [r for r in ((listed.data or {}).get("rows") or [] if listed is not None and listed.ok
                        and isinstance(listed.data, dict) else []) if isinstance(r, dict) and r.get("name")]
    out = []
    for row in rows[:3]:
        got = await get_yaml(call, "LimitRange", str(row["name"]), namespace, f"survey-qos-limit-{row['name']}")
        if got is not None:
            out.append(got[0])
    return out


async def read(subject: Subject, facts: Facts, call: Call) -> None:
    """Reading only: for rollouts in the last day that removed requests, the workload's template and its namespace's
    events; keep the BestEffort findings in `facts.reads["qos_drop"]`."""
    found: list[BestEffort] = []
    events: dict[str, tuple[list[dict[str, Any]], str]] = {}
    ranges: dict[str, list[dict[str, Any]]] = {}
    candidates = [c for c in facts.change_list() if removed_lines(c)]
    for change in sorted(candidates, key=lambda c: str(c.get("at") or ""), reverse=True)[:MAX_ROLLOUTS]:
        target = Ref.of(change.get("object"))
        if target is None:
            continue
        got = await get_yaml(call, target.kind, target.name, target.namespace, f"survey-qos-{target.name}")
        if got is None or not best_effort(got[0]):
            continue
        if target.namespace not in events:
            listed = await call("k8s_events", {"namespace": target.namespace}, f"survey-qos-events-{target.namespace}")
            ok = listed is not None and listed.ok and isinstance(listed.data, dict)
            events[target.namespace] = ([r for r in (listed.data.get("events") or []) if isinstance(r, dict)]
                                        if ok else [], listed.evidence_id if ok else "")
        if target.namespace not in ranges:
            ranges[target.namespace] = await _limit_ranges(call, target.namespace)
        rows, events_id = events[target.namespace]
        b = judge(change, got[0], rows, facts.at, ranges[target.namespace])
        if b is not None:
            b.evidence = [e for e in (facts.changes_id, got[1], events_id) if e]
            found.append(b)
    facts.reads["qos_drop"] = found


def found(facts: Facts) -> list[BestEffort]:
    """The BestEffort findings the survey read (pure over the facts, for the ranking)."""
    got = facts.reads.get("qos_drop")
    return [b for b in got if isinstance(b, BestEffort)] if isinstance(got, list) else []
