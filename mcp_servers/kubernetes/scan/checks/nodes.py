"""Nodes that cannot run pods well: NotReady, under memory/disk/PID pressure, or cordoned.

Read from the Node's conditions (Ready, MemoryPressure, DiskPressure, PIDPressure,
NetworkUnavailable) and `spec.unschedulable`. A cordoned node is info, not a fault: someone chose
it, but it explains pods that cannot schedule.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mcp_servers.kubernetes.scan.checks.base import clip, name_of, ref
from mcp_servers.kubernetes.scan.model import ScanFinding
from mcp_servers.kubernetes.scan.snapshot import Snapshot

CHECK_IDS = ("node.not_ready", "node.pressure", "node.cordoned")
PRESSURES = ("MemoryPressure", "DiskPressure", "PIDPressure", "NetworkUnavailable")


def _node(node: dict[str, Any]) -> list[ScanFinding]:
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
        out.append(ScanFinding(
            check="node.pressure", severity="warning" if kind != "NetworkUnavailable" else "critical",
            object=subject, reason=kind,
            message=f"{subject}: {kind} ({clip(cond.get('message') or cond.get('reason'), 120)})",
            details={**pods_note, "condition": kind, "condition_reason": cond.get("reason")},
            evidence=[clip(f"{kind}=True {cond.get('reason')}: {cond.get('message')}")],
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
        out.extend(_node(node))
    return out
