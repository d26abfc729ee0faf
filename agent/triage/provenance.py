"""Scan findings on the object that *caused* a workload's trouble, and the workloads they say they explain.

Some scan checks already know who did it, because Kubernetes recorded it: the LimitRange, VPA or
webhook that admission says set a container's limit (`limits.injected`), the VPA that fights an
HPA over the same resource (`vpa.hpa_conflict`), the workload whose higher-priority pods the
scheduler made room for (`scheduling.preempted`). Their findings are on the cause and list the
objects they explain in `details.explains` ("Deployment shop/api"). Triage links those victims to
the cause before any link read from words, so the victim (OOMKilled, Pending, churning) ranks
below what explains it rather than above.
"""

from __future__ import annotations

import re
from typing import Any

from agent.triage.facts import Ref

WEIGHTS: dict[str, float] = {"limits.injected": 0.92, "vpa.hpa_conflict": 0.9, "scheduling.preempted": 0.92}
"""Cause weights: each names the object that set the value or took the resource, above the victim's own finding
(pod.oomkilled 0.9, pod.pending 0.75)."""

_REF = re.compile(r"^(?P<kind>[A-Za-z][A-Za-z0-9]*) (?:(?P<ns>[a-z0-9][a-z0-9.-]*)/)?(?P<name>[a-z0-9][a-z0-9.-]*)$")


def parse_ref(text: str) -> Ref | None:
    """`Deployment shop/api` (or `Node n1`) as a Ref; None for anything else."""
    m = _REF.match(text.strip())
    return Ref(m.group("kind"), m.group("ns") or "", m.group("name")) if m else None


def explained(findings: list[dict[str, Any]]) -> list[Ref]:
    """The objects a case's findings declare they explain (`details.explains`), once each."""
    out: list[Ref] = []
    for finding in findings:
        listed = (finding.get("details") or {}).get("explains")
        for item in listed if isinstance(listed, list) else []:
            ref = parse_ref(str(item))
            if ref is not None and ref not in out:
                out.append(ref)
    return out
