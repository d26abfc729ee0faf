"""RBAC denials that surface in events: a controller or kubelet told "forbidden".

Any Warning event whose message says `forbidden` and names a user or service account (`User
"system:serviceaccount:ns:sa" cannot list resource ...`) is an RBAC denial. Quota and pod-security
refusals also say forbidden; they are left to the quota and workloads checks. Denials are grouped
per subject and verb/resource.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from mcp_servers.kubernetes.scan.checks.base import first_seen, iso, last_seen, quote
from mcp_servers.kubernetes.scan.model import ObjectRef, ScanFinding
from mcp_servers.kubernetes.scan.snapshot import Event, Snapshot

CHECK_IDS = ("rbac.forbidden",)
_DENIAL = re.compile(r'(?:User|user|serviceaccount)\s+"([^"]+)"\s+cannot\s+(\w+)\s+resource\s+"([^"]+)"'
                     r'(?:\s+in API group\s+"([^"]*)")?(?:\s+in the namespace\s+"([^"]+)")?')


def run(snap: Snapshot, now: datetime) -> list[ScanFinding]:
    groups: dict[tuple[str, ...], list[tuple[Event, dict[str, Any]]]] = {}
    for e in snap.events:
        if e.type != "Warning" or "forbidden" not in e.message.lower():
            continue
        lower = e.message.lower()
        if "exceeded quota" in lower or "podsecurity" in lower or "admission webhook" in lower:
            continue
        m = _DENIAL.search(e.message)
        if not m:
            continue
        who, verb, resource, group, ns = m.groups()
        details = {"subject": who, "verb": verb, "resource": resource, "api_group": group or "",
                   "namespace": ns or ""}
        groups.setdefault((e.namespace, e.kind, e.name, who, verb, resource), []).append((e, details))
    out = []
    for (ns, kind, name, who, verb, resource), members in groups.items():
        events = [e for e, _ in members]
        subject = ObjectRef(kind=kind or "Event", namespace=ns, name=name)
        owner = None
        obj = snap.get(kind, ns, name) if kind else None
        if obj is not None:
            owner = snap.owner_of(obj)
        out.append(ScanFinding(
            check="rbac.forbidden", severity="warning", object=subject, owner=owner, reason="Forbidden",
            message=f"{owner or subject}: {who} cannot {verb} {resource} (RBAC forbidden)",
            details=members[-1][1], evidence=[quote(e) for e in events[-2:]], since=iso(first_seen(events)),
            last_seen=iso(last_seen(events)), count=sum(e.count for e in events)))
    return out



