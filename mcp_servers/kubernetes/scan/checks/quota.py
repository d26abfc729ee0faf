"""ResourceQuotas used up: any resource whose `status.used` has reached `status.hard`.

An exhausted quota blocks new pods (a rollout, a scale-up, a Job) with FailedCreate events; the
workloads check reports those, this one names the quota and the resource.
"""

from __future__ import annotations

from datetime import datetime

from mcp_servers.kubernetes.health import parse_quantity
from mcp_servers.kubernetes.scan.checks.base import events_matching, first_seen, iso, ref
from mcp_servers.kubernetes.scan.model import ScanFinding
from mcp_servers.kubernetes.scan.snapshot import Snapshot

CHECK_IDS = ("quota.exhausted",)


def run(snap: Snapshot, now: datetime) -> list[ScanFinding]:
    out = []
    for quota in snap.items("ResourceQuota"):
        status = quota.get("status") or {}
        hard, used = status.get("hard") or {}, status.get("used") or {}
        full = sorted(r for r, limit in hard.items()
                      if r in used and parse_quantity(limit) > 0 and parse_quantity(used[r]) >= parse_quantity(limit))
        if not full:
            continue
        subject = ref(quota, "ResourceQuota")
        pairs = [f"{r} {used[r]}/{hard[r]}" for r in full]
        blocked = [e for e in snap.events if e.namespace == subject.namespace and e.reason == "FailedCreate"
                   and f"exceeded quota: {subject.name}" in e.message]
        blocked += events_matching(snap, "ResourceQuota", subject.namespace, subject.name, warnings_only=True)
        out.append(ScanFinding(
            check="quota.exhausted", severity="critical" if blocked else "warning", object=subject,
            reason="QuotaExhausted", message=f"{subject}: exhausted ({', '.join(pairs)})"
            + (f"; blocking {len({e.name for e in blocked})} controllers" if blocked else ""),
            details={"resources": full, "used": {r: used[r] for r in full}, "hard": {r: hard[r] for r in full}},
            evidence=[f"used {', '.join(pairs)}"] + [e.message[:200] for e in blocked[-1:]],
            since=iso(first_seen(blocked))))
    return out
