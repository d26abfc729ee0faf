"""Nodes that cannot run pods well: NotReady, under memory/disk/PID pressure, or cordoned.

Read from the Node's conditions (Ready, MemoryPressure, DiskPressure, PIDPressure,
NetworkUnavailable) and `spec.unschedulable`. A cordoned node is info, not a fault: someone chose
it, but it explains pods that cannot schedule. A pressure finding adds what the kubelet does about
it: its `EvictionThresholdMet` events ("Attempting to reclaim ephemeral-storage") name the resource it
reclaims, and the pods it evicted from that node are counted.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from mcp_servers.kubernetes.scan.checks.base import clip, events_matching, name_of, quote, ref
from mcp_servers.kubernetes.scan.model import ScanFinding
from mcp_servers.kubernetes.scan.snapshot import Snapshot

CHECK_IDS = ("node.not_ready", "node.pressure", "node.cordoned")
PRESSURES = ("MemoryPressure", "DiskPressure", "PIDPressure", "NetworkUnavailable")


def _reclaim(snap: Snapshot, node: dict[str, Any]) -> tuple[dict[str, Any], list[str], str]:
    """The kubelet's eviction under pressure: the resource it reclaims, pods it evicted; details, evidence, words."""
    name = name_of(node)
    # Node events live in the default namespace; some recorders also write it as the object's namespace.
    events = [e for ns in ("", "default") for e in events_matching(snap, "Node", ns, name, ("EvictionThresholdMet",))]
    resources = sorted({m.group(1) for e in events for m in [re.search(r"reclaim (\S+)", e.message)] if m})
    evicted = sorted(name_of(p) for p in snap.items("Pod") if (p.get("spec") or {}).get("nodeName") == name
                     and (p.get("status") or {}).get("reason") == "Evicted")
    details: dict[str, Any] = {}
    words = []
    if resources:
        details["reclaiming"] = resources
        words.append(f"the kubelet is reclaiming {', '.join(resources)}")
    if evicted:
        details["evicted_pods"] = evicted[:5]
        words.append(f"{len(evicted)} pod(s) evicted")
    return details, [quote(e) for e in events[-1:]], "; ".join(words)


def _node(snap: Snapshot, node: dict[str, Any]) -> list[ScanFinding]:
    subject = ref(node, "Node")
    conditions = {c.get("type"): c for c in (node.get("status") or {}).get("conditions") or []}
    out = []
    ready = conditions.get("Ready")
    pods_note = {"node": name_of(node)}
    if ready is not None and ready.get("status") != "True":
        reason = str(ready.get("reason") or "NotReady")
        out.append(ScanFinding(
            check="node.not_ready", severity="critical", object=subject, reason="NotReady",
            message=f"{subject}: NotReady ({reason}: {clip(ready.get('message'), 120)})",
            details={**pods_note, "condition_reason": reason, "status": ready.get("status")},
            evidence=[clip(f"Ready={ready.get('status')} {reason}: {ready.get('message')}")],
            since=ready.get("lastTransitionTime"), last_seen=ready.get("lastHeartbeatTime")))
    for kind in PRESSURES:
        cond = conditions.get(kind)
        if cond is None or cond.get("status") != "True":
            continue
        extra, quoted, words = _reclaim(snap, node) if kind != "NetworkUnavailable" else ({}, [], "")
        out.append(ScanFinding(
            check="node.pressure", severity="warning" if kind != "NetworkUnavailable" else "critical",
            object=subject, reason=kind,
            message=f"{subject}: {kind} ({clip(cond.get('message') or cond.get('reason'), 120)})"
                    + (f"; {words}" if words else ""),
            details={**pods_note, "condition": kind, "condition_reason": cond.get("reason"), **extra},
            evidence=[clip(f"{kind}=True {cond.get('reason')}: {cond.get('message')}"), *quoted],
            since=cond.get("lastTransitionTime")))
    if (node.get("spec") or {}).get("unschedulable"):
        taint: dict[str, Any] = next((t for t in (node.get("spec") or {}).get("taints") or []
                      if t.get("key") == "node.kubernetes.io/unschedulable"), {})
        out.append(ScanFinding(
            check="node.cordoned", severity="info", object=subject, reason="SchedulingDisabled",
            message=f"{subject}: cordoned (SchedulingDisabled), no new pods land here",
            details=pods_note, evidence=["spec.unschedulable=true"], since=taint.get("timeAdded")))
    return out


def run(snap: Snapshot, now: datetime) -> list[ScanFinding]:
    out: list[ScanFinding] = []
    for node in snap.items("Node"):
        out.extend(_node(snap, node))
    return out
