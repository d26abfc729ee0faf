"""Admission webhooks whose Service is missing or has no ready endpoints.

A Validating or Mutating webhook with `failurePolicy: Fail` (the v1 default) whose backend cannot
answer rejects every matching create or update: rollouts stall with FailedCreate events that name
the webhook. URL-based webhooks (outside the cluster) are not checked.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mcp_servers.kubernetes.scan.checks.base import pod_is_ready, ref
from mcp_servers.kubernetes.scan.checks.services import ready_addresses, selected_pods
from mcp_servers.kubernetes.scan.model import ObjectRef, ScanFinding, Severity
from mcp_servers.kubernetes.scan.snapshot import Snapshot

CHECK_IDS = ("webhook.missing_service", "webhook.no_endpoints")


def _config(snap: Snapshot, config: dict[str, Any]) -> list[ScanFinding]:
    kind = str(config.get("kind"))
    subject = ref(config, kind)
    out = []
    for hook in config.get("webhooks") or []:
        svc_ref = (hook.get("clientConfig") or {}).get("service")
        if not svc_ref:
            continue
        ns, name = str(svc_ref.get("namespace") or ""), str(svc_ref.get("name") or "")
        if not snap.has("Service") or not snap.in_scope(ns):
            continue
        policy = hook.get("failurePolicy") or "Fail"
        severity: Severity = "critical" if policy == "Fail" else "warning"
        details = {"webhook": hook.get("name"), "service": f"{ns}/{name}", "failure_policy": policy,
                   "port": svc_ref.get("port", 443)}
        svc = snap.get("Service", ns, name)
        service_ref = ObjectRef(kind="Service", namespace=ns, name=name)
        if svc is None:
            out.append(ScanFinding(
                check="webhook.missing_service", severity=severity, object=subject, owner=service_ref,
                reason="ServiceNotFound",
                message=f"{subject}: webhook {hook.get('name')} calls Service {ns}/{name}, which does not exist "
                        f"(failurePolicy {policy})",
                details=details, evidence=[f"clientConfig.service {ns}/{name} not found"]))
            continue
        if not (svc.get("spec") or {}).get("selector"):
            continue
        ready = ready_addresses(snap, svc)
        if ready is None:
            ready = sum(1 for p in selected_pods(snap, svc) if pod_is_ready(p))
        if ready == 0:
            out.append(ScanFinding(
                check="webhook.no_endpoints", severity=severity, object=subject, owner=service_ref,
                reason="NoReadyEndpoints",
                message=f"{subject}: webhook {hook.get('name')} calls Service {ns}/{name}, which has no ready "
                        f"endpoints (failurePolicy {policy})",
                details=details, evidence=[f"Service {ns}/{name}: 0 ready endpoints"]))
    return out


def run(snap: Snapshot, now: datetime) -> list[ScanFinding]:
    out: list[ScanFinding] = []
    for kind in ("ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"):
        for config in snap.items(kind):
            out.extend(_config(snap, config))
    return out
