"""cert-manager Certificates not Ready, expired, or expiring within 14 days, and why renewal fails.

Reads the Certificate CRD's `status.conditions` (Ready) and `status.notAfter`. A cluster without
cert-manager simply has no Certificates (the kind shows under `not_served`). A certificate that
should have renewed and did not almost always has an ACME Challenge stuck for one of its DNS names;
its `status.reason` (`wrong status code '404'`, a DNS-01 propagation error) and its solver (the
HTTP-01 ingress class, the DNS-01 provider) are what to fix, so they join the finding. When the
solver names an IngressClass the cluster does not have, the finding says so.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from mcp_servers.kubernetes.health import parse_ts
from mcp_servers.kubernetes.scan.checks.base import clip, condition, ref
from mcp_servers.kubernetes.scan.model import ScanFinding
from mcp_servers.kubernetes.scan.snapshot import Snapshot

CHECK_IDS = ("certificate.not_ready", "certificate.expired", "certificate.expiring")
EXPIRY_WARNING = timedelta(days=14)


def _challenges(cert: dict[str, Any], snap: Snapshot) -> tuple[list[str], dict[str, Any]]:
    """Evidence lines and details from the unfinished ACME Challenges for this certificate's names."""
    names = set((cert.get("spec") or {}).get("dnsNames") or [])
    namespace = (cert.get("metadata") or {}).get("namespace")
    classes = {(c.get("metadata") or {}).get("name") for c in snap.items("IngressClass")}
    evidence: list[str] = []
    details: dict[str, Any] = {}
    for challenge in snap.items("Challenge"):
        spec, status = challenge.get("spec") or {}, challenge.get("status") or {}
        if (challenge.get("metadata") or {}).get("namespace") != namespace or spec.get("dnsName") not in names:
            continue
        if status.get("state") == "valid":
            continue
        solver = ((spec.get("solver") or {}).get("http01") or {}).get("ingress") or {}
        ingress_class = solver.get("ingressClassName") or solver.get("class")
        line = f"ACME {spec.get('type') or 'challenge'} for {spec.get('dnsName')} {status.get('state') or 'pending'}"
        line += f": {clip(status.get('reason'), 160)}" if status.get("reason") else ""
        if ingress_class:
            line += f" (solver ingress class {ingress_class}"
            line += ", which no IngressClass defines)" if snap.has("IngressClass") and ingress_class not in classes \
                else ")"
            details["solver_ingress_class"] = ingress_class
        details["challenge_type"] = spec.get("type")
        details["challenge_reason"] = clip(status.get("reason"), 200)
        evidence.append(clip(line, 300))
    return evidence[:3], details


def _cert(cert: dict[str, Any], now: datetime, snap: Snapshot) -> list[ScanFinding]:
    spec, status = cert.get("spec") or {}, cert.get("status") or {}
    subject = ref(cert, "Certificate")
    issuer = spec.get("issuerRef") or {}
    challenge_evidence, challenge_details = _challenges(cert, snap)
    details: dict[str, Any] = {"secret": spec.get("secretName"), "dns_names": spec.get("dnsNames") or [],
                               "issuer": f"{issuer.get('kind') or 'Issuer'}/{issuer.get('name')}",
                               "not_after": status.get("notAfter"), "renewal_time": status.get("renewalTime"),
                               **challenge_details}
    out = []
    not_after = parse_ts(status.get("notAfter"))
    if not_after is not None and not_after <= now:
        out.append(ScanFinding(
            check="certificate.expired", severity="critical", object=subject, reason="Expired",
            message=f"{subject}: expired at {status.get('notAfter')} (Secret {spec.get('secretName')})"
                    + (f"; renewal is stuck: {challenge_evidence[0]}" if challenge_evidence else ""),
            details=details, evidence=[f"notAfter {status.get('notAfter')}", *challenge_evidence],
            since=status.get("notAfter")))
    elif not_after is not None and not_after - now <= EXPIRY_WARNING:
        days = (not_after - now).total_seconds() / 86400
        out.append(ScanFinding(
            check="certificate.expiring", severity="warning", object=subject, reason="Expiring",
            message=f"{subject}: expires in {days:.1f} days ({status.get('notAfter')})",
            details={**details, "days_left": round(days, 1)},
            evidence=[f"notAfter {status.get('notAfter')}", *challenge_evidence]))
    ready = condition(cert, "Ready")
    if ready is not None and ready.get("status") != "True":
        out.append(ScanFinding(
            check="certificate.not_ready", severity="warning", object=subject, reason=str(ready.get("reason") or
                                                                                      "NotReady"),
            message=f"{subject}: not Ready ({ready.get('reason')}: {clip(ready.get('message'), 140)})",
            details={**details, "error": clip(ready.get("message"), 200)},
            evidence=[clip(f"Ready={ready.get('status')} {ready.get('reason')}: {ready.get('message')}")],
            since=ready.get("lastTransitionTime")))
    return out


def run(snap: Snapshot, now: datetime) -> list[ScanFinding]:
    out: list[ScanFinding] = []
    for cert in snap.items("Certificate"):
        out.extend(_cert(cert, now, snap))
    return out
