"""HorizontalPodAutoscalers that cannot do their job: pinned at max, no target, no metrics.

Reads autoscaling/v2 (and v1) status: `currentReplicas` against `spec.maxReplicas`, and the
conditions AbleToScale (FailedGetScale: the target is missing) and ScalingActive
(FailedGetResourceMetric and friends: metrics unavailable). The target's existence is also checked
against the snapshot for the kinds it listed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mcp_servers.kubernetes.scan.checks.base import clip, condition, ns_of, ref
from mcp_servers.kubernetes.scan.model import ObjectRef, ScanFinding
from mcp_servers.kubernetes.scan.snapshot import Snapshot

CHECK_IDS = ("hpa.at_max", "hpa.missing_target", "hpa.metrics_unavailable")


def _hpa(snap: Snapshot, hpa: dict[str, Any]) -> list[ScanFinding]:
    spec, status = hpa.get("spec") or {}, hpa.get("status") or {}
    subject = ref(hpa, "HorizontalPodAutoscaler")
    target = spec.get("scaleTargetRef") or {}
    target_ref = ObjectRef(kind=str(target.get("kind") or ""), namespace=ns_of(hpa), name=str(target.get("name") or ""))
    details: dict[str, Any] = {"target": f"{target_ref.kind}/{target_ref.name}", "min": spec.get("minReplicas", 1),
                               "max": spec.get("maxReplicas"), "current": status.get("currentReplicas"),
                               "desired": status.get("desiredReplicas")}
    out = []
    able = condition(hpa, "AbleToScale")
    missing = (snap.has(target_ref.kind) and snap.in_scope(target_ref.namespace)
               and snap.get(target_ref.kind, target_ref.namespace, target_ref.name) is None)
    if missing or (able and able.get("status") == "False" and able.get("reason") == "FailedGetScale"):
        why = clip(f"AbleToScale=False {able.get('reason')}: {able.get('message')}" if able and able.get("message")
                   else f"{target_ref.kind} {target_ref.name} does not exist", 200)
        out.append(ScanFinding(
            check="hpa.missing_target", severity="warning", object=subject, owner=target_ref,
            reason=str((able or {}).get("reason") or "FailedGetScale"),
            message=f"{subject}: scale target (scaleTargetRef) {target_ref.kind}/{target_ref.name} not found, so it "
                    "never scales", details=details,
            evidence=[why], since=(able or {}).get("lastTransitionTime")))
        return out
    active = condition(hpa, "ScalingActive")
    if active and active.get("status") == "False" and active.get("reason") != "ScalingDisabled":
        out.append(ScanFinding(
            check="hpa.metrics_unavailable", severity="warning", object=subject, owner=target_ref,
            reason=str(active.get("reason") or "FailedGetMetrics"),
            message=f"{subject}: cannot scale {target_ref.kind}/{target_ref.name}, {active.get('reason')}: "
                    f"{clip(active.get('message'), 140)}",
            details={**details, "error": clip(active.get("message"), 200)},
            evidence=[clip(f"ScalingActive=False {active.get('reason')}: {active.get('message')}")],
            since=active.get("lastTransitionTime")))
    current, maximum = status.get("currentReplicas"), spec.get("maxReplicas")
    limited = condition(hpa, "ScalingLimited")
    if maximum and current is not None and current >= maximum and (spec.get("minReplicas") or 1) < maximum:
        out.append(ScanFinding(
            check="hpa.at_max", severity="warning", object=subject, owner=target_ref, reason="TooManyReplicas",
            message=f"{subject}: at its maximum of {maximum} replicas for {target_ref.kind}/{target_ref.name}"
                    + (f" (desired {status.get('desiredReplicas')})" if status.get("desiredReplicas") else ""),
            details=details,
            evidence=[clip(f"currentReplicas {current} = maxReplicas {maximum}")]
            + ([clip(f"ScalingLimited {limited.get('reason')}: {limited.get('message')}")]
               if limited and limited.get("status") == "True" else []),
            since=(limited or {}).get("lastTransitionTime") if limited and limited.get("status") == "True" else None))
    return out


def run(snap: Snapshot, now: datetime) -> list[ScanFinding]:
    out: list[ScanFinding] = []
    for hpa in snap.items("HorizontalPodAutoscaler"):
        out.extend(_hpa(snap, hpa))
    return out
