"""Cluster DNS health: CoreDNS/kube-dns pods not ready or crash-looping, or its Service empty.

Cluster DNS pods carry `k8s-app=kube-dns` (both CoreDNS and kube-dns keep that label); the Service
is `kube-system/kube-dns`. A DNS outage makes every application fail in ways that look like its
own bug (timeouts, "no such host"), so this finding names DNS as the shared cause. The pods' own
problems (crash loop, OOM) are also reported by the pod checks.
"""

from __future__ import annotations

from datetime import datetime

from mcp_servers.kubernetes.health import pod_status
from mcp_servers.kubernetes.scan.checks.base import name_of, pod_is_ready, pod_is_terminal
from mcp_servers.kubernetes.scan.checks.services import ready_addresses
from mcp_servers.kubernetes.scan.model import ObjectRef, ScanFinding, Severity
from mcp_servers.kubernetes.scan.snapshot import Snapshot

CHECK_IDS = ("dns.unhealthy",)
DNS_NAMESPACE = "kube-system"
DNS_LABEL = ("k8s-app", "kube-dns")


def run(snap: Snapshot, now: datetime) -> list[ScanFinding]:
    if not snap.has("Pod") or not snap.in_scope(DNS_NAMESPACE):
        return []
    pods = [p for p in snap.pods_in(DNS_NAMESPACE) if not pod_is_terminal(p)
            and ((p.get("metadata") or {}).get("labels") or {}).get(DNS_LABEL[0]) == DNS_LABEL[1]]
    svc = snap.get("Service", DNS_NAMESPACE, "kube-dns")
    if not pods and svc is None:
        return []
    not_ready = [p for p in pods if not pod_is_ready(p)]
    endpoints = ready_addresses(snap, svc) if svc is not None else None
    if not not_ready and (endpoints is None or endpoints > 0) and pods:
        return []
    owner = snap.owner_of(pods[0]) if pods else None
    states = sorted({pod_status(p) for p in not_ready})
    ready = len(pods) - len(not_ready)
    severity: Severity = "critical" if ready == 0 or endpoints == 0 else "warning"
    subject = ObjectRef(kind="Service", namespace=DNS_NAMESPACE, name="kube-dns") if svc is not None else (
        owner or ObjectRef(kind="Pod", namespace=DNS_NAMESPACE, name=name_of(pods[0])))
    parts = [f"{ready}/{len(pods)} DNS pods ready"]
    if states:
        parts.append("not ready: " + ", ".join(states))
    if endpoints == 0:
        parts.append("Service kube-dns has no ready endpoints")
    return [ScanFinding(
        check="dns.unhealthy", severity=severity, object=subject, owner=owner,
        reason=states[0] if states else "NoReadyEndpoints",
        message=f"{subject}: cluster DNS degraded, {'; '.join(parts)}",
        details={"pods_ready": ready, "pods_total": len(pods), "states": states, "endpoints_ready": endpoints},
        evidence=[f"{name_of(p)}: {pod_status(p)}" for p in not_ready[:3]] or ["0 ready endpoints"],
        pods=sorted(name_of(p) for p in not_ready)[:5], count=max(1, len(not_ready)))]
