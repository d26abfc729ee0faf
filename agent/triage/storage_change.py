"""A configuration change shortly before a workload's pods began to be evicted for storage.

The kubelet evicts a pod whose emptyDir outgrows its `sizeLimit` ('Usage of EmptyDir volume "logs"
exceeds the limit "512Mi".'), whose containers exceed their ephemeral-storage limit ('Container app
exceeded its local ephemeral storage limit "1Gi".', 'Pod ephemeral local storage usage exceeds the
total limit of containers 2Gi.') or that uses the most of a node short of disk ('The node was low on
resource: ephemeral-storage.'). When a pod that ran for weeks starts doing that, what it writes
changed: a log level raised to DEBUG, a cache or spool directory, a buffer size. The change shows in
the timeline as an edit of a ConfigMap (or Secret) the workload uses, or as a rollout that changed
its env, args or volumes, shortly before the first eviction: that change is the suspect, the
evictions (and the backlog they leave) its consequence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from agent.triage import written_paths
from agent.triage.facts import Facts, Ref, parse_time

CHECK = "change.fills_disk"
WEIGHT = 0.85

STORAGE_EVICTION = re.compile(
    r"usage of emptydir volume|ephemeral[- ]storage|ephemeral local storage|low on resource: (?:ephemeral-storage|"
    r"nodefs|imagefs)|diskpressure|disk pressure|exceeds the (?:total )?limit", re.I)
"""The kubelet's eviction wording when the resource that ran out is disk, not memory."""

LEAD = timedelta(hours=2)
"""How long before the first eviction a change may have been made and still be what started them."""

_TEMPLATE_FIELDS = ("env", "args", "command", "volume", "emptydir", "sizelimit", "ephemeral", "log")
"""Words of a rollout's diff that change what the pods write (a rollout that only restarted them changes nothing)."""


@dataclass
class Filling:
    """A change to what an evicted workload writes, made shortly before the evictions began."""

    change: dict[str, Any]
    target: Ref
    workload: Ref
    eviction: dict[str, Any]
    minutes_before: int
    writes: list[str] = field(default_factory=list)
    """File settings of the changed config whose path no volume holds (agent.triage.written_paths)."""


def _evicted_for_storage(finding: dict[str, Any]) -> str:
    """The kubelet's words for a storage eviction in a finding, or ""."""
    check = str(finding.get("check") or "").lower()
    if "evict" not in check and "pressure" not in check:
        return ""
    texts = [str(finding.get("message") or ""), *(str(e) for e in finding.get("evidence") or []),
             *(str(v) for v in (finding.get("details") or {}).values())]
    return next((t for t in texts if STORAGE_EVICTION.search(t)), "")


def _changes_what_it_writes(change: dict[str, Any], workload: Ref) -> Ref | None:
    """The object a change edited when it changes what `workload`'s pods write, or None."""
    target = Ref.of(change.get("object"))
    if target is None:
        return None
    related = [r for r in (Ref.of(x) for x in change.get("related") or []) if r]
    kind = str(change.get("type") or "")
    if kind in ("config", "secret") and any(r.same_object(workload) for r in related):
        return target
    if kind == "rollout" and target.same_object(workload):
        diff = " ".join(str(d) for d in change.get("diff") or []).lower()
        return target if any(w in diff for w in _TEMPLATE_FIELDS) else None
    return None


def fillings(facts: Facts) -> list[Filling]:
    """Each change that made an evicted workload write more, newest eviction first."""
    out: list[Filling] = []
    for finding in facts.findings():
        said = _evicted_for_storage(finding)
        workload = Ref.of(finding.get("owner")) or Ref.of(finding.get("object"))
        first = parse_time(finding.get("since"))
        if not said or workload is None or first is None:
            continue
        for change in facts.change_list():
            at = parse_time(change.get("at"))
            target = _changes_what_it_writes(change, workload)
            if at is None or target is None or not (first - LEAD <= at <= first):
                continue
            if any(f.target.same_object(target) for f in out):
                continue
            out.append(Filling(change, target, workload, finding, int((first - at).total_seconds() // 60),
                               written_paths.outside(facts, target)))
    out.sort(key=lambda f: 0 if f.change.get("type") in ("config", "secret") else 1)
    return out


def finding(filling: Filling) -> dict[str, Any]:
    """The suspect's finding: the change, when, and the evictions it started, in the kubelet's words."""
    said = _evicted_for_storage(filling.eviction)
    diff = "; ".join(str(d) for d in (filling.change.get("diff") or [])[:3])
    count = filling.eviction.get("count")
    evicted = f"{count} pods" if isinstance(count, int) and count > 1 else "its pods"
    unmounted = ""
    if filling.writes:  # first: the headline is cut, and what the pods now write is the point
        unmounted = (f"{filling.target} has the pods write files on no volume ({'; '.join(filling.writes[:2])}), "
                     "into the container's writable layer, counted as its ephemeral storage. ")
    message = (unmounted + f"{filling.target} changed {filling.minutes_before} min before the kubelet began "
               f"evicting {evicted} of {filling.workload} for storage ('{said[:160]}')"
               + (f": {diff}" if diff else "") +
               ". A change that makes the pods write more (a more verbose log level, a cache, a spool) fills an "
               "emptyDir or the ephemeral storage; revert it, or raise the sizeLimit")
    return {"check": CHECK, "severity": "critical", "object": filling.change.get("object"),
            "reason": "ChangeFillsStorage", "message": message, "evidence": [said[:200]],
            "details": {"workload": str(filling.workload), "change_at": filling.change.get("at"),
                        "evictions_since": filling.eviction.get("since")}}
