"""A newcomer far over its memory request, shielded by its priority, while the kubelet evicts the pods beside it.

Under node memory pressure the kubelet ranks pods for eviction by whether their usage exceeds their request,
then by priority, then by how far over the request they are. A pod that asks for little and may use much (a
512Mi request under a 12Gi limit, or no limit at all) and runs at a high PriorityClass is ranked AFTER every
lower-priority pod that is even slightly over its own request: when it grows, the node goes into MemoryPressure
and the kubelet evicts the others (the services the page is about), never the pod that took the memory. A hand-run
backfill from a pipeline manifest, a batch Job given a "data pipelines" priority, a one-off migration pod are the
usual shapes; the evictions quote the victims' own usage, not the grower.

So: for each node under MemoryPressure whose standing-out grower `agent.triage.node_memory_growth` found, the
grower's pod when it started within `LEAD` before the pressure, used at least `OVER` times its memory request at
its peak, and runs at a priority above that of the pods evicted from the node. The suspect is its owner (a Job,
a Deployment...), which explains the node and the evicted workloads. Twins: a grower at the victims' priority (the
kubelet evicts it first), one within its request, one running for days, no evictions.
`read` reads the grower's pod and one evicted pod per node; `found` is pure.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage import node_memory_growth
from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.node_exhaustion import workload_ref
from agent.triage.subject import Subject
from agent.triage.vpa_limits import quantity

Call = Callable[..., Awaitable[Any]]

CHECK = "node.eviction_shielded"
WEIGHT = 0.93
"""Above the node's pressure (0.8) and its evictions: the pod that took the memory and was spared explains both."""
LEAD = timedelta(hours=24)
"""The grower's pod started at most this long before the pressure (a newcomer, not a resident)."""
OVER = 4.0
"""Its peak working set is at least this many times its memory request."""
READS = "eviction_shield"


@dataclass
class Shielded:
    """A grower over its request at a priority above the evicted pods of its node."""

    owner: Ref
    pod: str
    node: str
    priority: int
    priority_class: str
    victims_priority: int
    request: str
    limit: str
    peak: float
    started: datetime
    pressure: datetime
    evicted: list[Ref] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)


def _priority(pod: dict[str, Any]) -> int:
    value = (pod.get("spec") or {}).get("priority")
    return int(value) if isinstance(value, int) else 0


def _owner(pod: dict[str, Any], namespace: str, name: str) -> Ref:
    """The pod's controller: a Job, StatefulSet or DaemonSet by its ownerReference, a Deployment by its name."""
    for ref in (pod.get("metadata") or {}).get("ownerReferences") or []:
        if isinstance(ref, dict) and ref.get("kind") in ("Job", "StatefulSet", "DaemonSet") and ref.get("name"):
            return Ref(str(ref["kind"]), namespace, str(ref["name"]))
    return workload_ref(namespace, name)


def _evicted(facts: Facts, node: str) -> list[tuple[Ref, str]]:
    """(evicted workload, one of its evicted pods) from the scan's pod.evicted findings on `node`."""
    out = []
    for f in facts.findings():
        details = f.get("details") or {}
        ref = Ref.of(f.get("owner")) or Ref.of(f.get("object"))
        pods = [str(p) for p in f.get("pods") or [] if p]
        if f.get("check") == "pod.evicted" and details.get("node") == node and ref is not None and pods:
            out.append((ref, pods[0]))
    return out


def judge(grower: dict[str, Any], peak: float, victims: list[dict[str, Any]], node: str, pressure: datetime,
          evicted: list[Ref]) -> Shielded | None:
    """The class's facts for one node's grower and evicted pods, when it holds."""
    meta = grower.get("metadata") or {}
    started = parse_time(meta.get("creationTimestamp"))
    if started is None or not timedelta(0) <= pressure - started <= LEAD or not victims:
        return None
    priority = _priority(grower)
    above = max(_priority(v) for v in victims)
    if priority <= above:
        return None  # at the victims' priority the kubelet evicts the biggest over its request: the grower first
    requests, limits = 0.0, 0.0
    req_text, lim_text = [], []
    for c in (grower.get("spec") or {}).get("containers") or []:
        res = (c or {}).get("resources") or {}
        r, lim = (res.get("requests") or {}).get("memory"), (res.get("limits") or {}).get("memory")
        requests += quantity(r) or 0.0
        limits += quantity(lim) or 0.0
        req_text.append(str(r or "none"))
        lim_text.append(str(lim or "none"))
    if requests and peak < OVER * requests:
        return None
    namespace, name = str(meta.get("namespace") or ""), str(meta.get("name") or "")
    return Shielded(_owner(grower, namespace, name), name, node, priority,
                    str((grower.get("spec") or {}).get("priorityClassName") or ""), above, "+".join(req_text),
                    "+".join(lim_text), peak, started, pressure, evicted)


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: per node node_memory_growth read, its grower's pod and one evicted pod of each victim."""
    out: list[Shielded] = []
    for entry in facts.reads.get(node_memory_growth.STORE) or []:
        grew = node_memory_growth.grower(entry.get("series") or [])
        node = str(entry.get("node") or "")
        victims = _evicted(facts, node)
        if grew is None or not victims:
            continue
        got = await get_yaml(call, "Pod", grew.pod, grew.namespace, f"survey-eviction-shield-{grew.pod}")
        if got is None:
            continue
        read_victims, ids = [], []
        for ref, pod in victims[:2]:
            victim = await get_yaml(call, "Pod", pod, ref.namespace, f"survey-eviction-victim-{pod}")
            if victim is not None:
                read_victims.append(victim[0])
                ids.append(victim[1])
        hit = judge(got[0], grew.peak, read_victims, node, entry["pressure"], [r for r, _ in victims])
        if hit is not None:
            hit.evidence = [e for e in (got[1], *ids, *(entry.get("evidence") or [])) if e]
            out.append(hit)
    facts.reads[READS] = out


def found(facts: Facts) -> list[Shielded]:
    got = facts.reads.get(READS)
    return [s for s in got if isinstance(s, Shielded)] if isinstance(got, list) else []


def finding(s: Shielded, at: datetime) -> dict[str, Any]:
    """The grower's owner: its request against its use, its priority against the victims', and who went."""
    ago = minutes_text(int((at - s.started).total_seconds() // 60))
    cls = f" (PriorityClass {s.priority_class})" if s.priority_class else ""
    victims = ", ".join(str(v) for v in s.evicted[:3])
    message = (f"{s.owner} (pod {s.pod}, started {ago} before the alert) requests {s.request} of memory but may use "
               f"{s.limit} and grew to {node_memory_growth._size(s.peak)} on node {s.node}, at priority "
               f"{s.priority}{cls}: the node went into MemoryPressure and the kubelet evicts pods over their requests "
               f"lowest priority first, so {victims} (priority {s.victims_priority}) were evicted instead of it. Give "
               "it a memory request near its use (or a lower priority, or nodes of its own)")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": s.owner.kind, "namespace": s.owner.namespace, "name": s.owner.name},
            "reason": "EvictionShielded", "message": message,
            "evidence": [f"{s.pod}: request {s.request}, peak {node_memory_growth._size(s.peak)}, priority "
                         f"{s.priority} vs {s.victims_priority}"],
            "details": {"node": s.node, "pod": s.pod, "priority": s.priority, "victims_priority": s.victims_priority,
                        "request": s.request, "limit": s.limit},
            "explains": [f"Node/{s.node}", *(str(v) for v in s.evicted)]}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the grower's owner, its finding, evidence ids, the node and evicted workloads) for `agent.triage.behind`."""
    return [(s.owner, finding(s, facts.at), s.evidence, [Ref("Node", "", s.node), *s.evicted]) for s in found(facts)]
