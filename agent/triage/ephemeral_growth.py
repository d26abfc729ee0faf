"""A workload change that grows what a pod keeps on an unbounded emptyDir, filling its node's root disk.

An emptyDir (without `medium: Memory`) lives on the node's root volume, the `nodefs` the kubelet watches, and
without `sizeLimit` (and with no `ephemeral-storage` limit on the container) nothing stops it from growing. Stores
that keep data for a while put their state there: a Kafka Streams / Flink RocksDB state dir, a cache directory, a
spill or buffer directory, a local TSDB. A revision that raises what they keep (a window store's retention from one
hour to seven days, a cache or buffer size, a history length) makes that directory grow until the node reports
DiskPressure, taints itself and evicts pods. The kubelet evicts by ephemeral-storage use ABOVE REQUEST, so its
eviction message often names a small neighbour (a pod with a zero request), and the most recent rollout on the
node is a neighbour's: the node looks broken, and the writer is elsewhere.

The survey (`read`, reading only) acts only for a node under DiskPressure: it lists the node's pods, and for each
workload with a pod there whose recent write (within LEAD) raised a growth setting, reads that pod. `found` names the
workload whose raise came before the pressure and whose pod on that node mounts an emptyDir without sizeLimit (and
has no ephemeral-storage limit). Twins: the state on a claim, an emptyDir with sizeLimit, a raise on a workload with
no pod on that node, a lowered setting, a raise after the pressure began.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage import tightened
from agent.triage.agent_disk_buffer import pressured_nodes
from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.matching_writes import first_matching
from agent.triage.subject import Subject, workload_of_pod

Call = Callable[..., Awaitable[Any]]

CHECK = "change.ephemeral_growth"
WEIGHT = 0.94
"""The raise that fills the node's disk explains its DiskPressure finding, its evictions and its neighbours."""
STORE = "ephemeral_growth"
LEAD = timedelta(hours=48)
MAX_PODS = 3
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")

GROWTH = re.compile(r"retention|retain|cache|buffer|window|history|segment|spill|ttl|keep|max[._-]?(?:size|bytes|age)|"
                    r"capacity|store", re.I)
"""A setting whose larger value keeps more on disk."""
_ENV = re.compile(r"^(?P<c>\S+) env (?P<key>[A-Za-z_][\w.]*)=(?P<old>'[^']*'|\S+) -> (?:(?P=key)=)?"
                  r"(?P<new>'[^']*'|\S+)$")
_ARROW = re.compile(r"^(?P<key>[\w.\[\]/-]+): (?P<old>\S+) -> (?P<new>\S+)$")


@dataclass(frozen=True)
class Raise:
    """One growth setting a write raised: its name, old and new values as written."""

    key: str
    old: str
    new: str


def raises(change: dict[str, Any]) -> list[Raise]:
    """The growth settings a write raised (env values or spec fields, old -> new, compared with units)."""
    out: list[Raise] = []
    for line in (str(d) for d in change.get("diff") or []):
        m = _ENV.match(line) or _ARROW.match(line)
        if m is None or not GROWTH.search(m["key"]):
            continue
        old, new = m["old"].strip("'\""), m["new"].strip("'\"")
        dim = tightened.dimension(m["key"])
        before, after = tightened.magnitude(old, dim), tightened.magnitude(new, dim)
        if before is not None and after is not None and after > before:
            out.append(Raise(m["key"], old, new))
    return out


def unbounded_dirs(pod: dict[str, Any]) -> list[str]:
    """Mount paths of the pod's disk-backed emptyDirs without sizeLimit, in containers with no ephemeral-storage
    limit: what may grow on the node's root volume unchecked."""
    spec = pod.get("spec") or {}
    free = {str(v.get("name")) for v in spec.get("volumes") or [] if isinstance(v, dict) and
            isinstance(v.get("emptyDir"), dict) and not v["emptyDir"].get("sizeLimit")
            and v["emptyDir"].get("medium") != "Memory"}
    out: list[str] = []
    for c in spec.get("containers") or []:
        if ((c.get("resources") or {}).get("limits") or {}).get("ephemeral-storage"):
            continue
        out += [str(m.get("mountPath")) for m in c.get("volumeMounts") or [] if str(m.get("name")) in free]
    return out


def _candidates(facts: Facts) -> list[tuple[dict[str, Any], str, Ref, list[Raise]]]:
    """The workloads' recent writes that raised a growth setting, the first per workload."""
    return first_matching(facts, WORKLOADS, LEAD, raises)


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, for a node under DiskPressure: its pods, then the pods there of workloads whose recent write
    raised a growth setting."""
    nodes = pressured_nodes(facts)
    if STORE in facts.reads or not nodes:
        return
    store: dict[str, Any] = facts.reads.setdefault(STORE, {"pods": []})
    wanted = {(t.namespace, t.name) for _, _, t, _ in _candidates(facts)}
    if not wanted:
        return
    for node, _ in nodes[:2]:
        listed = await call("k8s_list", {"kind": "Pod", "field_selector": f"spec.nodeName={node}"},
                            f"survey-ephemeral-growth-node-{node}")
        if listed is None or not listed.ok or not isinstance(listed.data, dict):
            continue
        rows = [r for r in listed.data.get("rows") or [] if isinstance(r, dict)]
        mine = [r for r in rows if (str(r.get("namespace") or ""), workload_of_pod(str(r.get("name") or "")))
                in wanted]
        for row in mine[:MAX_PODS]:
            name, ns = str(row.get("name")), str(row.get("namespace") or "")
            got = await get_yaml(call, "Pod", name, ns, f"survey-ephemeral-growth-pod-{name}")
            if got is None:
                continue
            dirs, evidence = unbounded_dirs(got[0]), [listed.evidence_id, got[1]]
            if not dirs:  # a pod as read without its volumes: the workload's template it was made from says them
                kind = next((t.kind for _, _, t, _ in _candidates(facts)
                             if (t.namespace, t.name) == (ns, workload_of_pod(name))), "")
                owner = await get_yaml(call, kind, workload_of_pod(name), ns,
                                       f"survey-ephemeral-growth-template-{name}") if kind else None
                if owner is not None:
                    dirs = unbounded_dirs(((owner[0].get("spec") or {}).get("template")) or {})
                    evidence.append(owner[1])
            store["pods"].append({"node": node, "pod": name, "namespace": ns, "dirs": dirs, "evidence": evidence})


@dataclass
class Growth:
    """A workload whose raise grows an unbounded emptyDir on the node under DiskPressure."""

    workload: Ref
    node: str
    pod: str
    dirs: list[str]
    raised: list[Raise]
    at: datetime
    since: str
    evidence: list[str] = field(default_factory=list)


def found(facts: Facts) -> list[Growth]:
    """Workloads whose growth raise came before the node's pressure, with a pod there on an unbounded emptyDir."""
    pods = (facts.reads.get(STORE) or {}).get("pods") or []
    out: list[Growth] = []
    for node, since in pressured_nodes(facts):
        began = parse_time(since) or facts.at
        for change, evidence, target, raised in _candidates(facts):
            when = parse_time(change.get("at"))
            if when is None or when > began:
                continue
            there = next((p for p in pods if p["node"] == node and p["dirs"] and p["namespace"] == target.namespace
                          and workload_of_pod(p["pod"]) == target.name), None)
            if there is None:
                continue
            out.append(Growth(target, node, there["pod"], there["dirs"], raised, when, since,
                              [e for e in (evidence, *there["evidence"]) if e]))
    return out[:1]


def finding(hit: Growth, at: datetime) -> dict[str, Any]:
    """The raise's meaning first (more kept on an emptyDir without sizeLimit: the node's ephemeral-storage), then
    the node's DiskPressure and evictions."""
    ago = minutes_text(int((at - hit.at).total_seconds() // 60))
    raised = "; ".join(f"{r.key} {r.old} -> {r.new}" for r in hit.raised[:2])
    message = (f"{hit.workload} raised its retention/size setting {raised} {ago} before the incident, and its pod "
               f"{hit.pod} on {hit.node} keeps that data on an emptyDir without sizeLimit ({', '.join(hit.dirs[:2])}"
               f"), the node's root disk (ephemeral-storage, no limit): it grows until the node reports DiskPressure "
               f"and the kubelet evicts pods there and taints it (evicted pods are those above their request, often "
               f"small neighbours). Restore the setting, or give the data a claim or a sizeLimit")
    return {"check": CHECK, "severity": "critical", "reason": "EphemeralGrowth",
            "object": {"kind": hit.workload.kind, "namespace": hit.workload.namespace, "name": hit.workload.name},
            "message": message, "evidence": [raised, f"emptyDir {', '.join(hit.dirs[:2])} without sizeLimit"],
            "details": {"node": hit.node, "pod": hit.pod, "dirs": hit.dirs, "since": hit.since}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The workload filling the node's disk; it explains the node's DiskPressure."""
    return [(h.workload, finding(h, facts.at), h.evidence, [Ref("Node", "", h.node)]) for h in found(facts)]
