"""An object whose only finding the recording could not verify, but which was written just before the symptom.

A scan finding with `absence_known: false` says "cannot check" (a TLS Secret not collected because the recording
holds no Secrets at all): it is a gap of the recording, not evidence, and weighs little (rank.UNVERIFIED). The
object may still be the cause for another reason: an Ingress on the failing host written minutes before the
alert (its hostname annotation, its rules). Then the write is the evidence, and the case is headed by it, at the
weight of a change on the failing path, never by the unverifiable claim.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from agent.triage import ingress_access
from agent.triage.facts import Ref, parse_time

CHECK = "change.unverified_object"
WEIGHT = 0.7
"""A write to an object on the symptom's path shortly before it, with nothing else known against the object:
as likely a cause as a workload not Ready, less than a finding that names the failure."""


def unverified(finding: dict[str, Any]) -> bool:
    """Whether a finding says only that the recording could not check something."""
    return (finding.get("details") or {}).get("absence_known") is False


def promoted(ref: Ref, findings: list[dict[str, Any]], change: dict[str, Any] | None,
             at: datetime) -> dict[str, Any] | None:
    """A finding for the object's write, when every finding of its case is unverified; None otherwise."""
    if change is None or not findings or not all(unverified(f) for f in findings):
        return None
    when = parse_time(change.get("at"))
    minutes = int((at - when).total_seconds() // 60) if when is not None else 0
    diff = "; ".join(str(d) for d in (change.get("diff") or [])[:3])[:260]
    gap = str(findings[0].get("reason") or "not collected")
    obj = change.get("object") or {"kind": ref.kind, "namespace": ref.namespace, "name": ref.name}
    details = {"change_at": change.get("at"), "unchecked": gap}  # the gap stays a detail, never the headline
    said = ingress_access.meaning(change.get("diff") or []) if ref.kind == "Ingress" else None
    if said is not None:  # the write's documented effect is the finding
        return {"check": ingress_access.CHECK, "severity": "critical", "object": obj, "reason": "AccessRestricted",
                "message": f"{ref} was written {minutes} min before the alert: {said}",
                "evidence": [str(change.get("summary") or "")[:200]], "details": details}
    return {"check": CHECK, "severity": "warning", "object": obj, "reason": "ChangedOnPath",
            "message": f"{ref} was written {minutes} min before the alert: {diff or change.get('summary') or ''}; "
                       f"no check found anything wrong with it",
            "evidence": [str(change.get("summary") or "")[:200]], "details": details}
