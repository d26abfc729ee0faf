"""PersistentVolumeClaims that do not bind: Pending, failed provisioning, a missing StorageClass, Lost.

A claim Pending for a short while is normal (WaitForFirstConsumer binds when a pod is scheduled);
it is reported when a ProvisioningFailed or similar warning event exists, when its StorageClass
does not exist, or when it has been Pending past a grace period. Volume fullness needs kubelet
volume stats, which the API does not serve: that is left to the metrics tools.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from mcp_servers.kubernetes.health import parse_ts
from mcp_servers.kubernetes.scan.checks.base import (
    clip,
    events_matching,
    first_seen,
    iso,
    last_seen,
    name_of,
    ns_of,
    quote,
    ref,
)
from mcp_servers.kubernetes.scan.model import ScanFinding
from mcp_servers.kubernetes.scan.snapshot import Snapshot

CHECK_IDS = ("pvc.pending", "pvc.missing_storage_class", "pvc.lost")
PENDING_GRACE = timedelta(minutes=5)
DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class"


def _claim(snap: Snapshot, pvc: dict[str, Any], now: datetime) -> ScanFinding | None:
    phase = (pvc.get("status") or {}).get("phase") or "Pending"
    if phase == "Bound":
        return None
    subject = ref(pvc, "PersistentVolumeClaim")
    spec = pvc.get("spec") or {}
    sc = spec.get("storageClassName")
    created = parse_ts((pvc.get("metadata") or {}).get("creationTimestamp"))
    events = events_matching(snap, "PersistentVolumeClaim", ns_of(pvc), name_of(pvc), warnings_only=True)
    details: dict[str, Any] = {"storage_class": sc, "phase": phase,
                               "size": ((spec.get("resources") or {}).get("requests") or {}).get("storage")}
    if phase == "Lost":
        return ScanFinding(check="pvc.lost", severity="critical", object=subject, reason="ClaimLost",
                           message=f"{subject}: Lost, its PersistentVolume {spec.get('volumeName')} is gone",
                           details={**details, "volume": spec.get("volumeName")},
                           evidence=[f"phase Lost, volumeName {spec.get('volumeName')}"], since=iso(created))
    if snap.has("StorageClass"):
        classes = snap.items("StorageClass")
        names = {name_of(c) for c in classes}
        has_default = any(((c.get("metadata") or {}).get("annotations") or {}).get(DEFAULT_CLASS) == "true"
                          for c in classes)
        if (sc and sc not in names) or (sc is None and not spec.get("volumeName") and not has_default):
            what = f"StorageClass {sc} does not exist" if sc else "no storageClassName and no default StorageClass"
            return ScanFinding(
                check="pvc.missing_storage_class", severity="critical", object=subject, reason="StorageClassNotFound",
                message=f"{subject}: Pending, {what} (known: {', '.join(sorted(names)) or 'none'})",
                details={**details, "known_storage_classes": sorted(names)},
                evidence=[what] + [quote(e) for e in events[-1:]], since=iso(first_seen(events) or created),
                last_seen=iso(last_seen(events)))
    if not events and (created is None or now - created < PENDING_GRACE):
        return None
    if events and all(e.reason == "WaitForFirstConsumer" for e in events) and now - (created or now) < PENDING_GRACE:
        return None
    reason = events[-1].reason if events else "Pending"
    if events:
        details["error"] = clip(events[-1].message, 200)
    return ScanFinding(
        check="pvc.pending", severity="critical" if events else "warning", object=subject, reason=reason,
        message=f"{subject}: {phase}" + (f", {reason}: {clip(events[-1].message, 140)}" if events else
                                         f" for {int((now - created).total_seconds() // 60) if created else '?'}m"),
        details=details, evidence=[quote(e) for e in events[-2:]] or [f"phase {phase}"],
        since=iso(first_seen(events) or created), last_seen=iso(last_seen(events)))


def run(snap: Snapshot, now: datetime) -> list[ScanFinding]:
    return [f for f in (_claim(snap, pvc, now) for pvc in snap.items("PersistentVolumeClaim")) if f]
