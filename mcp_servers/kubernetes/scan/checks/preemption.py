"""Who took the capacity: pods evicted by the scheduler to make room for a higher-priority pod.

When nodes are full, kube-scheduler preempts: it deletes lower-priority pods so a pending pod of
higher priority fits. It records "Preempted by pod <uid> on node <node>" (reason `Preempted`,
action `Preempting`, the preemptor as the event's `related` object) on each victim, and since
Kubernetes 1.26 the victim's `DisruptionTarget` condition says `PreemptionByScheduler`. The
victims' replacements then wait Pending ("No preemption victims found for incoming pod"): what is
left on the nodes has equal or higher priority. The alert fires on the victims' workload; the
cause is the workload whose pods took their place, usually one given a new, high PriorityClass.

The finding is on the preemptor's workload, with both priorities (value and PriorityClass), the
victims and their nodes. It is critical while a victim's workload still has pods Pending.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from mcp_servers.kubernetes.scan.checks.base import clip, iso, meta, name_of, ns_of
from mcp_servers.kubernetes.scan.model import ObjectRef, ScanFinding
from mcp_servers.kubernetes.scan.snapshot import Snapshot, normalize_event

CHECK_IDS = ("scheduling.preempted",)

WINDOW = timedelta(hours=6)
_WHO = re.compile(r"preempted by pod (?!on\b)([^\s,;]+)", re.I)
_NODE = re.compile(r"\bon node ([^\s,;]+)", re.I)


def _priority(snap: Snapshot, spec: dict[str, Any]) -> tuple[int, str]:
    """A pod spec's priority (the admitted value, else its PriorityClass's, else the global default) and class."""
    cls = str(spec.get("priorityClassName") or "")
    if isinstance(spec.get("priority"), int):
        return int(spec["priority"]), cls
    if cls:
        pc = snap.get("PriorityClass", "", cls)
        if pc is not None:
            return int(pc.get("value") or 0), cls
    default = next((pc for pc in snap.items("PriorityClass") if pc.get("globalDefault")), None)
    return (int(default.get("value") or 0), name_of(default)) if default else (0, cls)


def _workload_by_name(snap: Snapshot, namespace: str, pod_name: str) -> ObjectRef:
    """A pod's workload when the pod is gone: its ReplicaSet (`<rs>-<5>`) and that one's owner, else the name."""
    rs_name = pod_name.rsplit("-", 1)[0]
    rs = snap.get("ReplicaSet", namespace, rs_name)
    if rs is not None:
        return snap.owner_of({"kind": "Pod", "metadata": {"namespace": namespace, "name": pod_name,
                                                          "ownerReferences": [{"kind": "ReplicaSet", "name": rs_name,
                                                                               "controller": True}]}}) \
            or ObjectRef(kind="ReplicaSet", namespace=namespace, name=rs_name)
    for kind in ("StatefulSet", "DaemonSet", "Job"):
        base = pod_name.rsplit("-", 1)[0]
        if snap.get(kind, namespace, base) is not None:
            return ObjectRef(kind=kind, namespace=namespace, name=base)
    return ObjectRef(kind="Pod", namespace=namespace, name=pod_name)


def _pending(snap: Snapshot, owner: ObjectRef) -> list[dict[str, Any]]:
    return [p for p in snap.pods_in(owner.namespace)
            if (p.get("status") or {}).get("phase") == "Pending" and snap.owner_of(p) == owner]


def _victim_events(snap: Snapshot, now: datetime) -> list[tuple[str, str, str, str, datetime | None, str]]:
    """(victim namespace, victim pod, preemptor uid or ns/name, node, when, message) of each recent preemption."""
    out = []
    for kind in ("Event", "Event.events.k8s.io"):
        for raw in snap.items(kind):
            e = normalize_event(raw)
            if e.kind != "Pod" or (now - e.last > WINDOW if e.last else False):
                continue
            action = str(raw.get("action") or "")
            if e.reason != "Preempted" and action != "Preempting" and "preempted by" not in e.message.lower():
                continue
            related = raw.get("related") or {}
            said, on = _WHO.search(e.message), _NODE.search(e.message)
            who = str(related.get("uid") or "") or (
                f"{related.get('namespace')}/{related.get('name')}" if related.get("name") else "")
            who = who or (said.group(1) if said else "")
            node = on.group(1).rstrip(".") if on else ""
            out.append((e.namespace, e.name, who, node, e.last, e.message))
    return out


def _preemptor(snap: Snapshot, who: str, node: str, victim_priority: int) -> dict[str, Any] | None:
    """The preempting pod: by UID or name as the event gives it, else the one higher-priority pod nominated or
    placed on the node with the most priority above the victim's."""
    for pod in snap.items("Pod"):
        if who and (meta(pod).get("uid") == who or f"{ns_of(pod)}/{name_of(pod)}" == who):
            return pod
    if not node:
        return None
    on_node = [p for p in snap.items("Pod")
               if node in ((p.get("spec") or {}).get("nodeName"), (p.get("status") or {}).get("nominatedNodeName"))
               and _priority(snap, p.get("spec") or {})[0] > victim_priority]
    return max(on_node, key=lambda p: _priority(snap, p.get("spec") or {})[0], default=None)


def run(snap: Snapshot, now: datetime) -> list[ScanFinding]:
    groups: dict[str, dict[str, Any]] = {}
    for ns, victim, who, node, when, message in _victim_events(snap, now):
        victim_pod = snap.get("Pod", ns, victim)
        victim_owner = (snap.owner_of(victim_pod) if victim_pod else None) or _workload_by_name(snap, ns, victim)
        victim_spec = (victim_pod or {}).get("spec") or {}
        if not victim_spec:  # the victim is gone: its siblings share its template
            sibling = next((p for p in snap.pods_in(ns) if snap.owner_of(p) == victim_owner), None)
            victim_spec = (sibling or {}).get("spec") or {}
        victim_priority, victim_class = _priority(snap, victim_spec)
        pod = _preemptor(snap, who, node, victim_priority)
        if pod is None:
            continue
        owner = snap.owner_of(pod) or ObjectRef(kind="Pod", namespace=ns_of(pod), name=name_of(pod))
        if not snap.in_scope(owner.namespace) and not snap.in_scope(ns):
            continue
        priority, cls = _priority(snap, pod.get("spec") or {})
        g = groups.setdefault(str(owner), {"owner": owner, "priority": priority, "class": cls, "victims": {},
                                           "nodes": set(), "last": None, "message": message,
                                           "policy": (pod.get("spec") or {}).get("preemptionPolicy")})
        v = g["victims"].setdefault(str(victim_owner), {"ref": victim_owner, "pods": [], "priority": victim_priority,
                                                        "class": victim_class})
        if victim not in v["pods"]:  # one event served through both event APIs
            v["pods"].append(victim)
        if node:
            g["nodes"].add(node)
        if when and (g["last"] is None or when > g["last"]):
            g["last"] = when
    out = []
    for g in groups.values():
        owner = g["owner"]
        victims = []
        pending_total = 0
        for v in g["victims"].values():
            pending = _pending(snap, v["ref"])
            pending_total += len(pending)
            vclass = f"PriorityClass {v['class']}, " if v["class"] else ""
            victims.append(f"{len(v['pods'])} pods of {v['ref']} ({vclass}priority {v['priority']})"
                           + (f", {len(pending)} of its pods now Pending" if pending else ""))
        pc = snap.get("PriorityClass", "", g["class"]) if g["class"] else None
        cls = f"PriorityClass {g['class']}, " if g["class"] else ""
        nodes = f" on {len(g['nodes'])} node{'s' if len(g['nodes']) != 1 else ''}" if g["nodes"] else ""
        where = f"on PriorityClass {g['class']}" if g["class"] else "on its pods"
        message = (f"{owner} ({cls}priority {g['priority']}) preempted {'; '.join(victims)}{nodes}; their "
                   "replacements wait for the capacity it took. Lower its priority "
                   f"or set preemptionPolicy: Never {where}, give the victims a PriorityClass, or add capacity")
        out.append(ScanFinding(
            check="scheduling.preempted", severity="critical" if pending_total else "warning", object=owner,
            reason="Preempted", message=message,
            details={"priority": g["priority"], "priority_class": g["class"], "preemption_policy": g["policy"],
                     "victims": {r: v["pods"][:5] for r, v in g["victims"].items()},
                     "victim_priorities": {r: v["priority"] for r, v in g["victims"].items()},
                     "nodes": sorted(g["nodes"]), "pending": pending_total,
                     "explains": list(g["victims"]), "last_seen": iso(g["last"])},
            evidence=[clip(f"Preempted: {g['message']}")]
            + ([clip(f"PriorityClass {g['class']}: value {pc.get('value')}, preemptionPolicy "
                     f"{pc.get('preemptionPolicy') or 'PreemptLowerPriority'}, created "
                     f"{meta(pc).get('creationTimestamp') or 'at an unknown time'}")] if pc else []),
            last_seen=iso(g["last"]), pods=[], count=sum(len(v["pods"]) for v in g["victims"].values())))
    return out
