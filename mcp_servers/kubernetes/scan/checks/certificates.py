"""cert-manager Certificates not Ready, expired, or expiring within 14 days.

Reads the Certificate CRD's `status.conditions` (Ready) and `status.notAfter`. A cluster without
cert-manager simply has no Certificates (the kind shows under `not_served`).
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


def _cert(cert: dict[str, Any], now: datetime) -> list[ScanFinding]:
    spec, status = cert.get("spec") or {}, cert.get("status") or {}
    subject = ref(cert, "Certificate")
    issuer = spec.get("issuerRef") or {}
    details: dict[str, Any] = {"secret": spec.get("secretName"), "dns_names": spec.get("dnsNames") or [],
                               "issuer": f"{issuer.get('kind') or 'Issuer'}/{issuer.get('name')}",
                               "not_after": status.get("notAfter"), "renewal_time": status.get("renewalTime")}
    out = []
    not_after = parse_ts(status.get("notAfter"))
    if not_after is not None and not_after <= now:
        out.append(ScanFinding(
            check="certificate.expired", severity="critical", object=subject, reason="Expired",
            message=f"{subject}: expired at {status.get('notAfter')} (Secret {spec.get('secretName')})",
            details=details, evidence=[f"notAfter {status.get('notAfter')}"], since=status.get("notAfter")))
    elif not_after is not None and not_after - now <= EXPIRY_WARNING:
        days = (not_after - now).total_seconds() / 86400
        out.append(ScanFinding(
            check="certificate.expiring", severity="warning", object=subject, reason="Expiring",
            message=f"{subject}: expires in {days:.1f} days ({status.get('notAfter')})",
            details={**details, "days_left": round(days, 1)}, evidence=[f"notAfter {status.get('notAfter')}"]))
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
        out.extend(_cert(cert, now))
    return out
