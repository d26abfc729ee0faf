"""Gateway API routes and gateways that point at nothing: a missing GatewayClass, parent Gateway or backend.

The Gateway API (gateway.networking.k8s.io) is the Ingress's successor: a Gateway names its
GatewayClass (the controller that programs it), an HTTPRoute or GRPCRoute names the Gateways it
attaches to (`parentRefs`) and the Services it sends traffic to (`backendRefs`). When a reference
dangles nothing routes, and the only trace is in `status` (a controller's ResolvedRefs=False with
reason BackendNotFound) or nowhere at all (no controller ever picks up a Gateway whose class does
not exist, nor a route whose Gateway does not exist). So both are read: the references against the
listed objects (absence claimed only for listed kinds in scope), and the controllers' own
conditions (Accepted/ResolvedRefs/Programmed False), quoted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mcp_servers.kubernetes.scan.checks.base import clip, name_of, ns_of, ref
from mcp_servers.kubernetes.scan.model import ScanFinding
from mcp_servers.kubernetes.scan.snapshot import Snapshot

CHECK_IDS = ("gateway.missing_class", "gateway.not_accepted", "route.missing_gateway", "route.missing_backend",
             "route.not_accepted")
GROUP = "gateway.networking.k8s.io"
ROUTE_KINDS = ("HTTPRoute", "GRPCRoute")
FAILING = ("Accepted", "ResolvedRefs", "Programmed")
"""Conditions the Gateway API defines whose False status means the object does not route."""


def _false_conditions(conditions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c for c in conditions or [] if c.get("type") in FAILING and c.get("status") == "False"]


def _cond_text(c: dict[str, Any]) -> str:
    message = str(c.get("message") or "").strip()
    return clip(f"{c.get('type')}=False {c.get('reason') or ''}" + (f": {message}" if message else ""))


def _gateway(snap: Snapshot, gw: dict[str, Any]) -> list[ScanFinding]:
    subject = ref(gw, "Gateway")
    created = (gw.get("metadata") or {}).get("creationTimestamp")
    cls = str((gw.get("spec") or {}).get("gatewayClassName") or "")
    if cls and snap.has("GatewayClass") and snap.get("GatewayClass", "", cls) is None:
        known = sorted(name_of(c) for c in snap.items("GatewayClass"))
        problem = f"GatewayClass {cls} does not exist (known: {', '.join(known) or 'none'})"
        return [ScanFinding(
            check="gateway.missing_class", severity="critical", object=subject, reason="GatewayClassNotFound",
            message=f"{subject}: {problem}, so no controller accepts or programs it",
            details={"gateway_class": cls, "known": known}, evidence=[f"spec.gatewayClassName: {cls}"],
            since=created)]
    failing = _false_conditions((gw.get("status") or {}).get("conditions") or [])
    if not failing:
        return []
    first = failing[0]
    return [ScanFinding(
        check="gateway.not_accepted", severity="critical", object=subject, reason=str(first.get("reason") or ""),
        message=f"{subject}: {_cond_text(first)}", details={"gateway_class": cls,
                                                             "conditions": [_cond_text(c) for c in failing]},
        evidence=[_cond_text(c) for c in failing], since=first.get("lastTransitionTime") or created)]


def _is_gateway(parent: dict[str, Any]) -> bool:
    return (parent.get("kind") or "Gateway") == "Gateway" and (parent.get("group") or GROUP) == GROUP


def _is_service(backend: dict[str, Any]) -> bool:
    return (backend.get("kind") or "Service") == "Service" and (backend.get("group") or "") == ""


def _route(snap: Snapshot, route: dict[str, Any], kind: str) -> list[ScanFinding]:
    subject = ref(route, kind)
    ns = ns_of(route)
    spec = route.get("spec") or {}
    created = (route.get("metadata") or {}).get("creationTimestamp")
    hosts = [str(h) for h in spec.get("hostnames") or []]
    out: list[ScanFinding] = []
    if snap.has("Gateway"):
        for parent in spec.get("parentRefs") or []:
            gw_ns = str(parent.get("namespace") or ns)
            gw = str(parent.get("name") or "")
            if _is_gateway(parent) and snap.in_scope(gw_ns) and snap.get("Gateway", gw_ns, gw) is None:
                out.append(ScanFinding(
                    check="route.missing_gateway", severity="critical", object=subject, reason="GatewayNotFound",
                    message=f"{subject}: attaches to Gateway {gw_ns}/{gw}, which does not exist, so no gateway "
                            f"serves {', '.join(hosts) or 'its rules'}",
                    details={"gateway": gw, "gateway_namespace": gw_ns, "hosts": hosts},
                    evidence=[f"parentRefs: Gateway {gw_ns}/{gw}"], since=created))
    if snap.has("Service"):
        for i, rule in enumerate(spec.get("rules") or []):
            for backend in rule.get("backendRefs") or []:
                svc_ns = str(backend.get("namespace") or ns)
                svc = str(backend.get("name") or "")
                if not _is_service(backend) or not snap.in_scope(svc_ns) or snap.get("Service", svc_ns, svc):
                    continue
                port = backend.get("port")
                out.append(ScanFinding(
                    check="route.missing_backend", severity="critical", object=subject, reason="BackendNotFound",
                    message=f"{subject}: rule {i} sends traffic to Service {svc_ns}/{svc}"
                            f"{f':{port}' if port else ''}, which does not exist",
                    details={"service": svc, "service_namespace": svc_ns, "port": port, "rule": i,
                             "hosts": hosts},
                    evidence=[f"rules[{i}].backendRefs: Service {svc_ns}/{svc}"], since=created))
    failing = [(p, c) for p in (route.get("status") or {}).get("parents") or []
               for c in _false_conditions(p.get("conditions") or [])]
    if failing and not out:
        parent, first = failing[0]
        out.append(ScanFinding(
            check="route.not_accepted", severity="critical", object=subject, reason=str(first.get("reason") or ""),
            message=f"{subject}: {_cond_text(first)} (parent Gateway "
                    f"{(parent.get('parentRef') or {}).get('name') or '?'})",
            details={"conditions": [_cond_text(c) for _, c in failing], "hosts": hosts},
            evidence=[_cond_text(c) for _, c in failing], since=first.get("lastTransitionTime") or created))
    elif failing:
        out[0].evidence.extend(_cond_text(c) for _, c in failing[:2])
    return out


def run(snap: Snapshot, now: datetime) -> list[ScanFinding]:
    out: list[ScanFinding] = []
    for gw in snap.items("Gateway"):
        out.extend(_gateway(snap, gw))
    for kind in ROUTE_KINDS:
        for route in snap.items(kind):
            out.extend(_route(snap, route, kind))
    return out
