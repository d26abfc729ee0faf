"""A device resource the nodes now advertise under another name, after a write to how the device is split or named.

A device plugin advertises a GPU (or any accelerator) under a resource name its configuration decides, and a few
settings rename it without taking the device away: NVIDIA's MIG strategy (`single` keeps `nvidia.com/gpu` for
each slice, `mixed` advertises `nvidia.com/mig-3g.20gb` and no `nvidia.com/gpu`), the device plugin's time-slicing
`renameByDefault` (`nvidia.com/gpu.shared`), a partition profile or resource name in AMD's, Intel's or a cloud
vendor's plugin config. The plugin still runs and the nodes still advertise the device, so nothing looks broken:
pods that request the old name stay Pending (`Insufficient nvidia.com/gpu`) while every node offers a sibling
resource of the same vendor domain.

So: a pod Pending on an extended resource (agent.triage.device_advertiser reads the nodes for it); nodes whose
allocatable has 0 of it and a positive count of another resource of the same domain; and a write within `LEAD`,
to any object, whose summary or diff speaks of how the device is split or named (`mig`, `strategy`, `rename`,
`sharing`, `timeSlicing`, `partition`, `resourceName`). The finding names the write. Twins: nodes that advertise
no sibling (the plugin is gone: device_advertiser's case), nodes that still advertise the requested name (the
pods wait for capacity), a write to a device object that names nothing of the sort (a version, a log level).
`found` is pure over what device_advertiser read.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from agent.triage import device_advertiser
from agent.triage.facts import Facts, Ref, minutes_text, parse_time, written_by
from agent.triage.subject import Subject

CHECK = "device_resource.renamed"
WEIGHT = 0.95
"""Above device_advertiser (0.94), whose unplaced-plugin reading a renamed resource resembles, and above the
Pending pods it explains: the nodes' own allocatable shows the device offered under the other name."""
LEAD = device_advertiser.LEAD
NAMING = re.compile(r"\bmig\b|mig[._-]|strategy|rename|shar(?:ing|ed)\b|time-?slicing|partition|resource_?name|"
                    r"resource-name|\bmps\b", re.I)
"""Words of a write that decides how a device is split or named."""
DEVICE = re.compile(r"gpu|nvidia|amd|intel|neuron|accelerat|device|mig\b|tpu", re.I)
"""Words that put such a write on a device (a ClusterPolicy, a device plugin ConfigMap, a node pool's GPU config)."""
IGNORED_KINDS = frozenset({"pod", "event", "node", "replicaset", "endpoints", "endpointslice", "lease"})


@dataclass
class Renamed:
    """A write after which the nodes offer the device under another resource name."""

    target: Ref
    change: dict[str, Any]
    resource: str
    offered: dict[str, int]
    """The sibling resources the nodes advertise now, summed over them."""
    nodes: list[str]
    pending: str
    explains: list[Ref]
    minutes_before: int
    evidence: list[str] = field(default_factory=list)


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Nothing of its own: device_advertiser reads the nodes and the history when a pod waits for a device."""
    del subject, facts, call, at


def _naming_write(facts: Facts, explains: list[Ref]) -> tuple[dict[str, Any], str, Ref, datetime] | None:
    """The newest write within the lead that speaks of how a device is split or named."""
    best: tuple[dict[str, Any], str, Ref, datetime] | None = None
    for change, evidence, target in facts.writes_to(None, within=LEAD, deletions=False):
        if target.kind.lower() in IGNORED_KINDS or any(target.same_object(e) for e in explains):
            continue
        text = " ".join([str(change.get("summary") or ""), *(str(d) for d in change.get("diff") or [])])
        at = parse_time(change.get("at"))
        if at is None or not NAMING.search(text) or not DEVICE.search(f"{text} {target.kind} {target.name}"):
            continue
        if best is None or at > best[3]:
            best = (change, evidence, target, at)
    return best


def found(facts: Facts) -> list[Renamed]:
    """Each Pending device resource that the nodes offer only under another name, with the write that named it."""
    store: dict[str, Any] = facts.reads.get(device_advertiser.STORE) or {}
    nodes = [n for n in store.get("nodes") or [] if isinstance(n, dict)]
    out: list[Renamed] = []
    for resource, said, waiting in device_advertiser.pending(facts):
        if any(r.resource == resource for r in out):
            continue
        if any(device_advertiser.allocatable(n, resource) > 0 for n in nodes):
            continue  # some node still offers it: the pods wait for capacity, not for a name
        renamed = [(n, s) for n in nodes if (s := device_advertiser.siblings(n, resource))]
        if not renamed:
            continue  # nothing offered under another name: the plugin is gone (device_advertiser)
        explains = [w for w in (waiting,) if w is not None]
        write = _naming_write(facts, explains)
        if write is None:
            continue
        change, evidence, target, at = write
        offered: dict[str, int] = {}
        for _, s in renamed:
            for name, n in s.items():
                offered[name] = offered.get(name, 0) + n
        out.append(Renamed(target, change, resource, offered,
                           [str((n.get("metadata") or {}).get("name")) for n, _ in renamed], said, explains,
                           int((facts.at - at).total_seconds() // 60),
                           [e for e in (evidence, *(store.get("evidence") or [])) if e]))
    return out


def finding(r: Renamed) -> dict[str, Any]:
    """What it means first: the nodes offer the device under another name since the write, so pods asking for the
    old name wait."""
    offered = ", ".join(f"{k}: {v}" for k, v in sorted(r.offered.items()))
    nodes = ", ".join(r.nodes[:3]) + (f" and {len(r.nodes) - 3} more" if len(r.nodes) > 3 else "")
    diff = "; ".join(str(d) for d in r.change.get("diff") or [])[:200]
    by = written_by(r.change)
    message = (f"{r.target} was written {minutes_text(r.minutes_before)} before the incident"
               f"{' by ' + by if by else ''} ({diff or r.change.get('summary') or 'no diff'}), and since then the "
               f"nodes advertise the device under another resource name: {nodes} offer 0 {r.resource} but "
               f"{offered}. The device plugin still runs; pods that request {r.resource} stay Pending "
               f"(Insufficient {r.resource}). Restore how the device is split or named in {r.target} (a MIG "
               f"strategy, a sharing rename, a partition profile), or make the workload request the new name. "
               f"Scheduler: {r.pending}")
    return {"check": CHECK, "severity": "critical", "reason": "DeviceResourceRenamed",
            "object": {"kind": r.target.kind, "namespace": r.target.namespace, "name": r.target.name},
            "message": message, "evidence": [r.pending, diff[:200]],
            "details": {"resource": r.resource, "offered": r.offered, "nodes": r.nodes,
                        "change_at": r.change.get("at")}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the write's object, its finding, evidence ids, the workloads left Pending) for `agent.triage.behind`."""
    return [(r.target, finding(r), r.evidence, r.explains) for r in found(facts)]
