"""Fresh versus chronic: a problem that began days ago is rarely what broke things in the last hour.

A workload that has crash-looped for a day with hundreds of restarts was already broken when the
incident's service was fine; unless the incident is about that workload (or it is something the
subject calls), it is background, however loud. The scan's findings say when each problem began
(`since`, the earliest sign: the first BackOff event, the condition's transition) and how often it
repeated (restarts, event counts); a problem that began well before the incident window and had no
change in it is chronic, and ranks below a problem that began in the window.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import parse_time

BEFORE_WINDOW = timedelta(hours=6)
"""How long before the symptom a problem must have begun to count as chronic (the change window's length)."""

PENALTY = 0.2
"""What being chronic and unrelated to the subject costs a suspect's score: enough to fall below a fresh,
related problem of the same kind, not enough to hide a chronic problem that is the only one."""

RELATED = frozenset({"subject", "dependency", "node", "dns"})
"""Relations under which an old problem still matters: the incident is about it, the subject calls it, runs on
it or resolves names through it."""


def began(finding: dict[str, Any]) -> datetime | None:
    """When a finding's problem first showed (its `since`), or None when the scan does not say."""
    return parse_time(finding.get("since"))


def is_chronic(findings: list[dict[str, Any]], at: datetime, changed: bool) -> bool:
    """Whether every dated finding of a suspect began before the window and nothing of it changed in the window."""
    if changed:
        return False
    dated = [t for t in (began(f) for f in findings) if t is not None]
    return bool(dated) and max(dated) < at - BEFORE_WINDOW


def penalty(findings: list[dict[str, Any]], at: datetime, changed: bool, relation: str) -> float:
    """The score a chronic suspect unrelated to the subject gives up (0 for a fresh or related one)."""
    if relation in RELATED or not is_chronic(findings, at, changed):
        return 0.0
    return PENALTY

