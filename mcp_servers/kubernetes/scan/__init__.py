"""A deterministic, model-free scan of a cluster's objects for known kinds of problem.

`scan(snapshot, now)` runs every check (or the ones named) over one `Snapshot` and returns a
`ScanResult`: typed findings, most severe and most recent first, each naming the object, the
reason, the detail that matters, the evidence and since when. No model, no logs, no network: the
same snapshot always gives the same findings, so the triage built on top can be tested exactly.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from mcp_servers.kubernetes.scan.checks import ALL_CHECK_IDS, AREAS
from mcp_servers.kubernetes.scan.model import SEVERITY_RANK, ObjectRef, ScanFinding, ScanResult
from mcp_servers.kubernetes.scan.snapshot import Snapshot

__all__ = ["ALL_CHECK_IDS", "ObjectRef", "ScanFinding", "ScanResult", "Snapshot", "UnknownCheck", "resolve_checks",
           "scan"]


class UnknownCheck(ValueError):
    """A `checks` entry that names no area and no check id."""


def resolve_checks(names: Iterable[str] | None) -> set[str]:
    """Check ids selected by `names`: an area ("pods"), an id ("pod.oomkilled") or an id prefix ("pod").

    Raises `UnknownCheck` naming the entry and the valid choices.
    """
    if not names:
        return set(ALL_CHECK_IDS)
    chosen: set[str] = set()
    for raw in names:
        name = raw.strip()
        if name in AREAS:
            chosen.update(AREAS[name].CHECK_IDS)
            continue
        matched = {cid for cid in ALL_CHECK_IDS if cid == name or cid.startswith(name.rstrip(".") + ".")}
        if not matched:
            raise UnknownCheck(f"unknown check {name!r}; use an area ({', '.join(AREAS)}) or a check id "
                               f"({', '.join(ALL_CHECK_IDS)})")
        chosen.update(matched)
    return chosen


def order(findings: list[ScanFinding]) -> list[ScanFinding]:
    """Most severe first, then most recent (latest sign of it), then by message for a stable order."""
    out = sorted(findings, key=lambda f: f.message)
    out.sort(key=lambda f: f.last_seen or f.since or "", reverse=True)
    out.sort(key=lambda f: SEVERITY_RANK[f.severity])
    return out


def scan(snapshot: Snapshot, now: datetime, checks: Iterable[str] | None = None) -> ScanResult:
    """Run the selected checks over `snapshot` as of `now` and order the findings."""
    selected = resolve_checks(checks)
    findings: list[ScanFinding] = []
    ran: list[str] = []
    for module in AREAS.values():
        ids = [cid for cid in module.CHECK_IDS if cid in selected]
        if not ids:
            continue
        ran.extend(ids)
        findings.extend(f for f in module.run(snapshot, now) if f.check in selected)
    return ScanResult(findings=order(findings), scanned=snapshot.scanned(), errors=list(snapshot.errors),
                      not_served=list(snapshot.not_served), checks_run=ran)
