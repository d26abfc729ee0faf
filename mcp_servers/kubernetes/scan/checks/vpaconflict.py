"""A VerticalPodAutoscaler and a HorizontalPodAutoscaler acting on the same resource of one workload.

The VPA documentation warns against it: an HPA scaling on CPU (or memory) utilisation divides
usage by the pods' *requests*; a VPA in an evicting mode (`Auto`, `Recreate`, `InPlaceOrRecreate`)
lowers or raises those requests from the per-pod usage, which the HPA just changed by adding or
removing pods. Each one moves the other's input: the updater evicts pods to apply a smaller
request, utilisation jumps over the HPA's target, it scales out, per-pod usage drops, the VPA
recommends less again. The workload churns (EvictedByVPA events, SuccessfulRescale up and down)
and every cold start shows as latency or errors.

The finding is on the VPA (the newer actor in the usual story, and the one to switch to `Off` or
`Initial`, or to restrict to the resource the HPA does not use), with the HPA, the shared resource
and the evictions and rescales seen. Without evictions or rescales yet it is a warning: the
configuration alone is the documented conflict.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from mcp_servers.kubernetes.scan.checks.base import clip, iso, meta, name_of, ns_of, quote, ref
from mcp_servers.kubernetes.scan.model import ObjectRef, ScanFinding
from mcp_servers.kubernetes.scan.snapshot import Event, Snapshot

CHECK_IDS = ("vpa.hpa_conflict",)

EVICTING_MODES = frozenset({"Auto", "Recreate", "InPlaceOrRecreate"})
"""VPA update modes that change running pods (Off and Initial only set requests at creation)."""

WINDOW = timedelta(hours=6)
"""How far back evictions and rescales count as the loop going on now."""


def _vpa_resources(vpa: dict[str, Any]) -> set[str]:
    """The resources the VPA controls (controlledResources defaults to cpu and memory) for any container left on."""
    policies = ((vpa.get("spec") or {}).get("resourcePolicy") or {}).get("containerPolicies") or []
    if not policies:
        return {"cpu", "memory"}
    out: set[str] = set()
    for policy in policies:
        if policy.get("mode") == "Off":
            continue
        out.update(str(r) for r in policy.get("controlledResources") or ["cpu", "memory"])
    return out


def _hpa_resources(hpa: dict[str, Any]) -> set[str]:
    """The resources an HPA scales on: Resource / ContainerResource metrics, or v1's CPU target."""
    spec = hpa.get("spec") or {}
    out = {str((m.get("resource") or m.get("containerResource") or {}).get("name"))
           for m in spec.get("metrics") or [] if m.get("type") in ("Resource", "ContainerResource")}
    if spec.get("targetCPUUtilizationPercentage") is not None:
        out.add("cpu")
    return out - {"None", ""}


def _same_target(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return str(a.get("name") or "") == str(b.get("name") or "") and (
        not a.get("kind") or not b.get("kind") or str(a.get("kind")) == str(b.get("kind")))


def _evictions(snap: Snapshot, namespace: str, target: ObjectRef, vpa_name: str, now: datetime) -> list[Event]:
    """EvictedByVPA events of pods of the target (by its ReplicaSets' names, or its own as a prefix)."""
    prefixes = {target.name + "-"}
    for rs in snap.items("ReplicaSet"):
        if ns_of(rs) == namespace and any(o.get("name") == target.name for o in meta(rs).get("ownerReferences") or []):
            prefixes.add(name_of(rs) + "-")
    out = []
    for e in snap.events:
        if e.namespace != namespace or e.kind != "Pod" or not any(e.name.startswith(p) for p in prefixes):
            continue
        recent = e.last is None or now - e.last <= WINDOW
        if recent and (e.reason == "EvictedByVPA" or ("evicted by vpa" in e.message.lower())
                       or (vpa_name in e.message and "evict" in e.message.lower())):
            out.append(e)
    return out


def _rescales(snap: Snapshot, hpa: dict[str, Any], now: datetime) -> list[Event]:
    return [e for e in snap.events_for("HorizontalPodAutoscaler", ns_of(hpa), name_of(hpa))
            if e.reason == "SuccessfulRescale" and (e.last is None or now - e.last <= WINDOW)]


def run(snap: Snapshot, now: datetime) -> list[ScanFinding]:
    out = []
    for vpa in snap.items("VerticalPodAutoscaler"):
        ns = ns_of(vpa)
        spec = vpa.get("spec") or {}
        mode = str((spec.get("updatePolicy") or {}).get("updateMode") or "Auto")
        target = spec.get("targetRef") or {}
        if not snap.in_scope(ns) or mode not in EVICTING_MODES or not target.get("name"):
            continue
        controlled = _vpa_resources(vpa)
        for hpa in snap.items("HorizontalPodAutoscaler"):
            if ns_of(hpa) != ns or not _same_target(target, (hpa.get("spec") or {}).get("scaleTargetRef") or {}):
                continue
            shared = sorted(controlled & _hpa_resources(hpa))
            if not shared:
                continue
            workload = ObjectRef(kind=str(target.get("kind") or "Deployment"), namespace=ns, name=str(target["name"]))
            evicted = _evictions(snap, ns, workload, name_of(vpa), now)
            rescaled = _rescales(snap, hpa, now)
            sizes = [s.split(";")[0].replace("New size:", "").strip() for s in (e.message for e in rescaled)
                     if s.startswith("New size:")]
            seen = []
            if evicted:
                seen.append(f"the VPA updater evicted {sum(e.count for e in evicted)} pods")
            if rescaled:
                seen.append(f"the HPA rescaled {sum(e.count for e in rescaled)} times"
                            + (f" ({' -> '.join(sizes[-4:])})" if sizes else ""))
            loop = bool(evicted) and bool(rescaled)
            subject = ref(vpa, "VerticalPodAutoscaler")
            hpa_ref = ref(hpa, "HorizontalPodAutoscaler")
            both = " and ".join(shared)
            message = (f"{subject} (updateMode {mode}) and {hpa_ref} both act on {both} of {workload}"
                       + (f": {' and '.join(seen)}" if seen else "")
                       + "; the VPA resizes the requests the HPA's utilisation divides by. Set its "
                       f"updateMode to Off or Initial, or drop {both} from its controlledResources")
            times = [e.last for e in evicted + rescaled if e.last is not None]
            out.append(ScanFinding(
                check="vpa.hpa_conflict", severity="critical" if loop else "warning", object=subject,
                reason="EvictedByVPA" if evicted else "ConflictingAutoscalers", message=message,
                details={"hpa": str(hpa_ref), "workload": str(workload), "resources": shared, "update_mode": mode,
                         "evictions": sum(e.count for e in evicted), "rescales": sum(e.count for e in rescaled),
                         "sizes": sizes[-8:], "explains": [str(workload), str(hpa_ref)],
                         "created": meta(vpa).get("creationTimestamp")},
                evidence=[quote(e) for e in evicted[-1:] + rescaled[-2:]]
                + [clip(f"{hpa_ref} scales on {', '.join(sorted(_hpa_resources(hpa)))}; {subject} controls "
                        f"{', '.join(sorted(controlled))} in mode {mode}")],
                since=meta(vpa).get("creationTimestamp"), last_seen=iso(max(times)) if times else None))
    return out
