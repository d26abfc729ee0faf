"""A rename that left a reference behind: the object that replaced a missing target is the culprit.

A chart or a hand edit renames a workload (Deployment `availability` becomes `availability-api`):
Kubernetes deletes the old object and creates the new one, but whatever pointed at the old name by
name (an HPA's `spec.scaleTargetRef`, an autoscaler of another scanner that reports its target missing)
or by the name-carrying label of its pods (a Service's or PodDisruptionBudget's selector `app=<old>`
that now matches no pod) keeps pointing there. The scan reports the referrer ("scale target not
found, FailedGetScale"), yet the fix is part of the rename: the change that created the replacement
is what broke the reference, and what the fixer must look at (point the referrer at the new name, or
ship the referrer with the chart).

The replacement is read from the change timeline, nothing else: an object of the target's kind, in
the target's namespace, created in the timeline's window, whose name shares the missing name's stem
(one name's dash-separated words start the other's: `availability` / `availability-api`,
`payments-v1` / `payments-v2`). An object with an unrelated name is no replacement, and a target
deleted with nothing created in its place leaves the referrer itself as the suspect (the scan's
finding, unchanged). A selector is read as a name only through the labels that conventionally carry one
(`app`, `app.kubernetes.io/name`, `app.kubernetes.io/instance`, `name`, `k8s-app`), and only when no timeline
shows the referrer itself written (an edited selector is its own cause).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from agent.triage.facts import Facts, Ref, parse_time

CHECK = "rename.left_reference"
WEIGHT = 0.88
"""Above the referrer's own finding (hpa.missing_target 0.8): the rename is what the referrer lost."""

_MISSING_CHECKS = ("missing_target",)
"""Scan checks (any scanner's, by the end of their id) that say a referrer's named target does not exist."""

_SELECTOR_CHECKS = ("service.selector_mismatch", "pdb.selects_nothing")
"""Scan checks of a referrer whose label selector matches no pod: a rename may have changed the pods' labels."""
_NAME_LABELS = ("app", "app.kubernetes.io/name", "app.kubernetes.io/instance", "name", "k8s-app")
"""Labels whose value conventionally is the workload's name."""
_WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet")

_CREATED = re.compile(r"^(?P<kind>[A-Za-z]+) (?P<ns>[a-z0-9-]+)/(?P<name>[a-z0-9.-]+) created\b")


_SHORT = {"HorizontalPodAutoscaler": "HPA", "PodDisruptionBudget": "PDB"}
"""What operators call the usual referrers."""


@dataclass(frozen=True)
class Rename:
    """A referrer whose named target is gone, and the object created in the target's place."""

    replacement: Ref
    old_name: str
    referrer: Ref
    created_at: str
    since: str
    """When the referrer first failed (its condition's transition), or ""."""
    evidence: tuple[str, ...]
    field: str = "target"
    """What of the referrer still names the old object: `scaleTargetRef`, `selector app=<old>`."""


def _words(name: str) -> list[str]:
    return [w for w in re.split(r"[-.]", name.lower()) if w]


def shares_stem(old: str, new: str) -> bool:
    """Whether two names are one name renamed: one's leading words are the other's, or both keep the
    same leading words and differ only in the last (a version or role suffix). Not mere equality."""
    a, b = _words(old), _words(new)
    if not a or not b or a == b:
        return False
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    if long_[:len(short)] == short:
        return True
    common = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        common += 1
    return len(a) == len(b) and len(a) >= 2 and common == len(a) - 1


def _missing(finding: dict[str, Any]) -> tuple[Ref, tuple[str, ...], str, str] | None:
    """(referrer, kinds the target may be, old name, the referrer's field) of a finding that says a named target
    is missing, or that a selector naming a workload (app=<name>) matches no pod any more."""
    check = str(finding.get("check") or "")
    referrer = Ref.of(finding.get("object"))
    if referrer is None:
        return None
    if check in _SELECTOR_CHECKS:
        selector = (finding.get("details") or {}).get("selector")
        pairs = selector.items() if isinstance(selector, dict) else \
            (p.split("=", 1) for p in str(selector or "").split(",") if "=" in p)
        named = [(str(k).strip(), str(v).strip()) for k, v in pairs if str(k).strip() in _NAME_LABELS]
        if not named:
            return None
        key, value = named[0]
        return referrer, _WORKLOAD_KINDS, value, f"selector {key}={value}"
    if not check.endswith(_MISSING_CHECKS):
        return None
    target = str((finding.get("details") or {}).get("target") or "")
    field = "scaleTargetRef" if referrer.kind == "HorizontalPodAutoscaler" else "target"
    if "/" not in target:
        owner = Ref.of(finding.get("owner"))
        return (referrer, (owner.kind,), owner.name, field) if owner is not None else None
    kind, _, name = target.partition("/")
    return referrer, (kind,), name, field


def _touched(facts: Facts, referrer: Ref) -> bool:
    """Whether a timeline shows the referrer itself written: then its own edit, not a rename, moved it."""
    timelines = [(facts.changes or {}, ""), *facts.history]
    return any(isinstance(c, dict) and (r := Ref.of(c.get("object"))) is not None and r.same_object(referrer)
               for data, _ in timelines for c in data.get("changes") or [])


def _created(facts: Facts) -> list[tuple[Ref, str, str]]:
    """(object, when, evidence id) of every creation the timelines (survey's and longer ones) saw."""
    out: list[tuple[Ref, str, str]] = []
    timelines = [(facts.changes or {}, facts.changes_id or ""), *facts.history]
    for data, evidence_id in timelines:
        for change in data.get("changes") or []:
            if not isinstance(change, dict) or change.get("type") != "created":
                continue
            ref = Ref.of(change.get("object"))
            if ref is None:
                match = _CREATED.match(str(change.get("summary") or ""))
                if match is None:
                    continue
                ref = Ref(match["kind"], match["ns"], match["name"])
            out.append((ref, str(change.get("at") or ""), evidence_id))
    return out


def _distance(failed: datetime | None, created: str) -> float:
    """Seconds between the referrer's first failure and a creation: the rename closest to the breakage wins."""
    at = parse_time(created)
    return abs((failed - at).total_seconds()) if failed and at else float("inf")


def _closest(failed: datetime | None, item: tuple[Ref, str, str]) -> float:
    return _distance(failed, item[1])


def renames(facts: Facts) -> list[Rename]:
    """Each referrer with a missing target, paired with the object created in the target's place."""
    created = _created(facts)
    out: list[Rename] = []
    for finding in facts.findings():
        missing = _missing(finding)
        if missing is None:
            continue
        referrer, kinds, old, field = missing
        if field.startswith("selector") and _touched(facts, referrer):
            continue
        since = str(finding.get("since") or "")
        matches = [(ref, at, ev) for ref, at, ev in created
                   if ref.kind.lower() in {k.lower() for k in kinds} and ref.namespace == referrer.namespace
                   and shares_stem(old, ref.name)]
        if not matches:
            continue
        failed = parse_time(since)
        ref, at, evidence_id = min(matches, key=functools.partial(_closest, failed))
        out.append(Rename(ref, old, referrer, at, since, tuple(e for e in (evidence_id, facts.scan_id) if e), field))
    return out


def finding(found: Rename) -> dict[str, Any]:
    """The scan-shaped finding for the replacement: what it replaced, when, and what still points at the old name."""
    r, ref, field = found.referrer, found.replacement, found.field
    short = _SHORT.get(r.kind, r.kind)
    return {
        "check": CHECK, "severity": "critical", "reason": "RenamedTargetLeftBehind",
        "object": {"kind": ref.kind, "namespace": ref.namespace, "name": ref.name},
        "message": (f"{ref} replaced {ref.kind} {found.old_name} (renamed, created {found.created_at or 'recently'}): "
                    f"{short} {r.namespace}/{r.name} still points its {field} at {found.old_name}, which no longer "
                    f"exists, so nothing acts on {ref.name}; point the {short} at {ref.name}"
                    if not field.startswith("selector") else
                    f"{ref} replaced {found.old_name} (renamed, created {found.created_at or 'recently'}): {short} "
                    f"{r.namespace}/{r.name} still has {field}, which no pod carries any more, so it reaches none of "
                    f"{ref.name}'s pods; point its selector at {ref.name}'s labels"),
        "evidence": [f"{ref} created {found.created_at}", f"{r} targets {ref.kind}/{found.old_name}: not found"],
        "details": {"replaced": found.old_name, "referrer": str(r), "created": found.created_at},
        "since": found.created_at or None,
    }
