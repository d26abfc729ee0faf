"""Ingresses that point at nothing: a missing backend Service or port, TLS Secret or IngressClass.

Absence is only claimed for kinds the snapshot listed, so an RBAC gap never reads as "missing".
An Ingress with no class and no default IngressClass is reported only when IngressClasses were
listed and some exist (a cluster with none may still use the legacy annotation). An Ingress whose
`status.loadBalancer.ingress` holds an address was admitted by a controller (controllers write it only
for the Ingresses of their class), so its class is never reported missing: an empty IngressClass list
beside it says the list is incomplete (not collected, filtered), not that the class is absent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mcp_servers.kubernetes.scan import collected
from mcp_servers.kubernetes.scan.checks.base import ns_of, ref
from mcp_servers.kubernetes.scan.model import ScanFinding
from mcp_servers.kubernetes.scan.snapshot import Snapshot

CHECK_IDS = ("ingress.missing_backend", "ingress.missing_tls_secret", "ingress.missing_class")
DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class"
SYNCED = frozenset({"Sync", "SuccessfullyReconciled"})
"""Event reasons an ingress controller gives when it builds an Ingress of its class (not cert-manager's
ingress-shim events, which it writes on any annotated Ingress whatever its class)."""


def _backends(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any], list[str]]]:
    """(where, service backend, hosts it serves) for the default backend and every rule path."""
    out: list[tuple[str, dict[str, Any], list[str]]] = []
    default = (spec.get("defaultBackend") or {}).get("service")
    if default:
        out.append(("default backend", default, []))
    for rule in spec.get("rules") or []:
        for path in (rule.get("http") or {}).get("paths") or []:
            svc = (path.get("backend") or {}).get("service")
            if svc:
                out.append((f"{rule.get('host') or '*'}{path.get('path') or '/'}", svc,
                            [str(rule["host"])] if rule.get("host") else []))
    return out


def _port_ok(svc: dict[str, Any], port: dict[str, Any]) -> bool:
    ports = (svc.get("spec") or {}).get("ports") or []
    if port.get("name"):
        return any(p.get("name") == port["name"] for p in ports)
    if port.get("number") is not None:
        return any(p.get("port") == port["number"] for p in ports)
    return True


def _admitted(snap: Snapshot, ing: dict[str, Any]) -> bool:
    """Whether a controller admitted the Ingress: it published an address in `status.loadBalancer.ingress`, or
    reported a sync of it in an event (see SYNCED)."""
    if ((ing.get("status") or {}).get("loadBalancer") or {}).get("ingress"):
        return True
    meta = ing.get("metadata") or {}
    return any(e.reason in SYNCED and e.type == "Normal"
               for e in snap.events_for("Ingress", str(meta.get("namespace") or ""), str(meta.get("name") or "")))


def _ingress(snap: Snapshot, ing: dict[str, Any]) -> list[ScanFinding]:
    spec = ing.get("spec") or {}
    ns = ns_of(ing)
    subject = ref(ing, "Ingress")
    created = (ing.get("metadata") or {}).get("creationTimestamp")
    out = []
    if snap.has("Service") and snap.in_scope(ns):
        for where, backend, served in _backends(spec):
            name = str(backend.get("name") or "")
            svc = snap.get("Service", ns, name)
            port = backend.get("port") or {}
            port_text = port.get("name") or port.get("number")
            known = collected.KNOWN
            if svc is None:
                known = collected.absence(snap, "Service", ns)  # honest absence: endpoints may show it served
                problem, reason = (f"Service {name} does not exist", "ServiceNotFound") if known.known else (
                    f"Service {name} was not collected ({known.why}): cannot check whether it exists",
                    "ServiceNotCollected")
            elif not _port_ok(svc, port):
                problem, reason = f"Service {name} has no port {port_text}", "ServicePortNotFound"
            else:
                continue
            out.append(ScanFinding(
                check="ingress.missing_backend", severity="critical" if known.known else "info", object=subject,
                reason=reason, message=f"{subject}: {where} routes to {name}:{port_text}, but {problem}",
                details={"service": name, "port": port_text, "path": where, "hosts": served,
                         "absence_known": known.known},
                evidence=[f"{where} -> service {name} port {port_text}"], since=created))
    if snap.has("Secret") and snap.in_scope(ns):
        for tls in spec.get("tls") or []:
            secret = tls.get("secretName")
            if secret and snap.get("Secret", ns, str(secret)) is None:
                hosts = ", ".join(tls.get("hosts") or []) or "*"
                known = collected.absence(snap, "Secret", ns, needed_type=collected.TLS_SECRET)  # honest absence
                out.append(ScanFinding(
                    check="ingress.missing_tls_secret", severity="warning" if known.known else "info", object=subject,
                    reason="SecretNotFound" if known.known else "SecretNotCollected",
                    message=f"{subject}: TLS for {hosts} uses Secret {secret}, which does not exist" if known.known
                    else f"{subject}: TLS for {hosts} uses Secret {secret}, which was not collected ({known.why}): "
                    "cannot check whether it exists; if it is missing, the controller serves its default "
                    "certificate (certificate errors only)",
                    details={"secret": secret, "hosts": tls.get("hosts") or [], "absence_known": known.known},
                    evidence=[f"tls hosts {hosts} -> secret {secret}"], since=created))
    if snap.has("IngressClass") and not _admitted(snap, ing):
        rule_hosts = sorted({str(r["host"]) for r in spec.get("rules") or [] if r.get("host")})
        classes = snap.items("IngressClass")
        wanted = spec.get("ingressClassName")
        annotated = ((ing.get("metadata") or {}).get("annotations") or {}).get("kubernetes.io/ingress.class")
        names = {str((c.get("metadata") or {}).get("name")) for c in classes}
        has_default = any(((c.get("metadata") or {}).get("annotations") or {}).get(DEFAULT_CLASS_ANNOTATION) == "true"
                          for c in classes)
        problem, class_known = "", True
        if wanted and wanted not in names and not classes and collected.is_recording(snap):
            problem, class_known = (f"IngressClass {wanted} was not collected (this recording holds no IngressClass at "
                              "all): cannot check whether it exists"), False
        elif wanted and wanted not in names:
            problem = f"IngressClass {wanted} does not exist (known: {', '.join(sorted(names)) or 'none'})"
        elif not wanted and not annotated and classes and not has_default:
            problem = "no ingressClassName and no default IngressClass"
        if problem:
            out.append(ScanFinding(
                check="ingress.missing_class", severity="warning" if class_known else "info", object=subject,
                reason="IngressClassNotFound" if class_known else "IngressClassNotCollected",
                message=f"{subject}: {problem}"
                + (f", so nothing serves {', '.join(rule_hosts)}" if rule_hosts and class_known else ""),
                details={"ingress_class": wanted, "known": sorted(names), "hosts": rule_hosts,
                         "absence_known": class_known},
                evidence=[problem], since=created))
    return out


def run(snap: Snapshot, now: datetime) -> list[ScanFinding]:
    out: list[ScanFinding] = []
    for ing in snap.items("Ingress"):
        out.extend(_ingress(snap, ing))
    return out
