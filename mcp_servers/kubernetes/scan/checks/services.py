"""Services that route nowhere: no ready endpoints, a selector matching no pod, a bad targetPort.

Ready addresses come from EndpointSlices when listed, else from Endpoints, else from the ready
state of the selected pods, so the check works on clusters and dumps that lack one of them.
Services without a selector (manually managed endpoints) and ExternalName services are skipped.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mcp_servers.kubernetes.scan.checks.base import (
    clip,
    earliest,
    events_matching,
    first_seen,
    iso,
    name_of,
    ns_of,
    pod_is_ready,
    ref,
)
from mcp_servers.kubernetes.scan.model import ScanFinding
from mcp_servers.kubernetes.scan.snapshot import Snapshot

CHECK_IDS = ("service.no_endpoints", "service.selector_mismatch", "service.target_port")


def selected_pods(snap: Snapshot, svc: dict[str, Any]) -> list[dict[str, Any]]:
    return snap.pods_selected(ns_of(svc), (svc.get("spec") or {}).get("selector") or {})


def ready_addresses(snap: Snapshot, svc: dict[str, Any]) -> int | None:
    """Ready endpoint addresses of a Service, or None when neither endpoint kind was listed."""
    ns, name = ns_of(svc), name_of(svc)
    if snap.has("EndpointSlice"):
        slices = [s for s in snap.items("EndpointSlice") if ns_of(s) == ns
                  and ((s.get("metadata") or {}).get("labels") or {}).get("kubernetes.io/service-name") == name]
        if slices:
            return sum(1 for s in slices for ep in s.get("endpoints") or []
                       if (ep.get("conditions") or {}).get("ready", True))
    if snap.has("Endpoints"):
        ep = snap.get("Endpoints", ns, name)
        if ep is not None:
            return sum(len(s.get("addresses") or []) for s in ep.get("subsets") or [])
        return 0 if snap.in_scope(ns) else None
    return None


def _container_ports(pods: list[dict[str, Any]]) -> tuple[set[str], set[int]]:
    names: set[str] = set()
    numbers: set[int] = set()
    for pod in pods:
        for c in (pod.get("spec") or {}).get("containers") or []:
            for port in c.get("ports") or []:
                if port.get("name"):
                    names.add(str(port["name"]))
                if port.get("containerPort") is not None:
                    numbers.add(int(port["containerPort"]))
    return names, numbers


def _service(snap: Snapshot, svc: dict[str, Any]) -> list[ScanFinding]:
    spec = svc.get("spec") or {}
    selector = spec.get("selector") or {}
    if spec.get("type") == "ExternalName" or not selector:
        return []
    subject = ref(svc, "Service")
    selector_text = ",".join(f"{k}={v}" for k, v in sorted(selector.items()))
    pods = selected_pods(snap, svc)
    if not pods:
        if not snap.has("Pod") or not snap.in_scope(subject.namespace):
            return []
        return [ScanFinding(
            check="service.selector_mismatch", severity="critical", object=subject, reason="NoPodsSelected",
            message=f"{subject}: selector {selector_text} matches no pod", details={"selector": dict(selector)},
            evidence=[f"0 pods in {subject.namespace} carry labels {selector_text}"],
            since=(svc.get("metadata") or {}).get("creationTimestamp"))]
    out = []
    ready = ready_addresses(snap, svc)
    ready_pods = [p for p in pods if pod_is_ready(p)]
    if ready is None:
        ready = len(ready_pods)
    if ready == 0:
        owners = sorted({str(o) for o in (snap.owner_of(p) for p in pods) if o is not None})
        probe_events = [e for p in pods for e in events_matching(snap, "Pod", ns_of(p), name_of(p), ("Unhealthy",))]
        since = first_seen(probe_events) or earliest(*[
            next((c.get("lastTransitionTime") for c in (p.get("status") or {}).get("conditions") or []
                  if c.get("type") == "Ready" and c.get("status") != "True"), None) for p in pods])
        out.append(ScanFinding(
            check="service.no_endpoints", severity="critical", object=subject,
            owner=snap.owner_of(pods[0]), reason="NoReadyEndpoints",
            message=f"{subject}: no ready endpoints; {len(pods)} selected pods, none ready"
            + (f" ({', '.join(owners)})" if owners else ""),
            details={"selector": dict(selector), "pods_selected": len(pods), "pods_ready": len(ready_pods),
                     "backends": owners},
            evidence=[f"selector {selector_text}: {len(pods)} pods, 0 ready addresses"],
            since=iso(since), pods=sorted(name_of(p) for p in pods)[:5], count=len(pods)))
    names, numbers = _container_ports(pods)
    for port in spec.get("ports") or []:
        target = port.get("targetPort", port.get("port"))
        if isinstance(target, str) and not target.isdigit():
            bad = target not in names
        else:
            bad = bool(numbers) and int(target) not in numbers
        if bad:
            declared = ', '.join(sorted(names | {str(n) for n in numbers})) or 'none'
            named = isinstance(target, str) and not target.isdigit()
            # A named targetPort must match a declared port name or the Service has no port on its
            # endpoints: a certain fault. A NUMBER reaches whatever listens there, declared or not
            # (containerPort is informational, per the Pod API reference), so an undeclared number is
            # only a lead to check, never a cause by itself: severity info, and said so.
            message = (f"{subject}: port {port.get('port')} targets {target!s}, which no selected container "
                       f"exposes (containers expose {declared})") if named else (
                       f"{subject}: port {port.get('port')} targets {target!s}, which no selected container "
                       f"declares (they declare {declared}); a numeric targetPort works without a declaration, "
                       "so this is a fault only if nothing listens there")
            out.append(ScanFinding(
                check="service.target_port", severity="critical" if named else "info",
                object=subject, owner=snap.owner_of(pods[0]),
                reason="TargetPortNotExposed" if named else "TargetPortUndeclared",
                message=message,
                details={"port": port.get("port"), "target": target, "container_ports": sorted(numbers),
                         "container_port_names": sorted(names), "declared": False},
                evidence=[clip(f"service port {port.get('name') or port.get('port')} -> targetPort {target}")]))
    return out


def run(snap: Snapshot, now: datetime) -> list[ScanFinding]:
    out: list[ScanFinding] = []
    for svc in snap.items("Service"):
        out.extend(_service(snap, svc))
    return out
