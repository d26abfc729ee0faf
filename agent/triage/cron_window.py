"""A scheduled pre-scale whose window, as written now, opens after the load it was for (KEDA cron trigger).

Services with a known daily peak are scaled ahead of it by a schedule: KEDA's `cron` scaler holds
`desiredReplicas` between its `start` and `end` cron lines, read in its `timezone` (an IANA name). The reactive
triggers beside it (cpu, memory, a queue) only follow the load after it hurts, one HPA step at a time, and a JVM or
a cache-warming service is saturated until they catch up. A write that moves the window moves the peak's capacity:
a "clean-up" that normalises every `timezone:` to UTC shifts a 07:30 local pre-scale by the zone's offset, a start
line edited by an hour, a weekday range off by one. Nothing fails: the trigger is just inactive while the load is
already there.

So: a ScaledObject (or ScaledJob) of the subject's namespace whose triggers were written (timeline, else
managedFields naming `f:triggers`) within `LEAD`, holding a cron trigger whose window, computed in its own
timezone, is closed at the incident and opens within `NEAR` after it, while the target was being rescaled by its
other triggers in the `LOADED` before the incident (the load came first). Twins: a window open at the incident, a
trigger not written for weeks, a window that opens many hours later, a target nobody had to rescale.
`read` reads the namespace's ScaledObjects/ScaledJobs; `found` is pure.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from agent.triage import manager_words
from agent.triage.cron_overlap import _field
from agent.triage.facts import Facts, Ref, minutes_text, parse_time, written_by
from agent.triage.kube_reads import get_yaml, rows_of
from agent.triage.subject import Subject

Call = Callable[..., Awaitable[Any]]

CHECK = "autoscaler.schedule_window"
WEIGHT = 0.93
"""Above the saturated target's own symptoms and a bare write to the scaler (related_changes 0.9)."""
LEAD = timedelta(days=7)
"""A daily window's write shows at the next peak; a weekday one may wait a weekend."""
NEAR = timedelta(hours=3)
"""The window opens at most this long after the incident: the pre-scale comes late, not on another day."""
LOADED = timedelta(hours=2)
"""The target was rescaled by its other triggers this long before the incident at most (the load was there)."""
KINDS = {"scaledobjects.keda.sh": "ScaledObject", "scaledjobs.keda.sh": "ScaledJob"}
MAX_READS = 4
READS = "cron_window"


@dataclass
class LateWindow:
    """A cron trigger whose window is closed at the incident and opens shortly after, written shortly before."""

    scaler: Ref
    target: Ref
    timezone: str
    start: str
    end: str
    desired: str
    opens: datetime
    written_by: str
    written_at: datetime
    rescaled: str
    """The timeline's rescale of the target before the incident (its other triggers at work)."""
    evidence: list[str] = field(default_factory=list)


def _fields(line: str) -> list[set[int]] | None:
    parts = line.split()
    if len(parts) != 5:
        return None
    bounds = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))
    out = [_field(p, lo, hi) for p, (lo, hi) in zip(parts, bounds, strict=True)]
    if any(f is None for f in out):
        return None
    dow = {d % 7 for d in out[4] or set()}
    return [*(f or set() for f in out[:4]), dow]


def _matches(fields: list[set[int]], t: datetime) -> bool:
    minute, hour, dom, month, dow = fields
    return t.minute in minute and t.hour in hour and t.month in month and t.day in dom and \
        (t.weekday() + 1) % 7 in dow


def _last(fields: list[set[int]], tz: ZoneInfo, before: datetime, span: timedelta) -> datetime | None:
    t = before.astimezone(tz).replace(second=0, microsecond=0)
    for _ in range(int(span.total_seconds() // 60)):
        if _matches(fields, t):
            return t
        t = (t.astimezone(UTC) - timedelta(minutes=1)).astimezone(tz)
    return None


def window(start: str, end: str, zone: str, now: datetime) -> tuple[bool, datetime | None] | None:
    """(open at `now`, when it next opens within NEAR) for a cron window read in `zone`; None when unreadable."""
    try:
        tz = ZoneInfo(zone) if zone else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return None
    opening, closing = _fields(start), _fields(end)
    if opening is None or closing is None:
        return None
    began, ended = _last(opening, tz, now, timedelta(days=8)), _last(closing, tz, now, timedelta(days=8))
    is_open = began is not None and (ended is None or began > ended)
    t = now.astimezone(tz).replace(second=0, microsecond=0)
    for _ in range(int(NEAR.total_seconds() // 60)):
        t = (t.astimezone(UTC) + timedelta(minutes=1)).astimezone(tz)
        if _matches(opening, t):
            return is_open, t
    return is_open, None


def _written(facts: Facts, scaler: Ref, obj: dict[str, Any]) -> tuple[str, datetime, str] | None:
    best: tuple[str, datetime, str] | None = None
    for change, evidence, target in facts.writes_to((scaler.kind,), within=LEAD, deletions=False):
        at = parse_time(change.get("at"))
        if target.same_object(scaler) and at is not None and (best is None or at > best[1]):
            best = (written_by(change) or "a write", at, evidence)
    for entry in (obj.get("metadata") or {}).get("managedFields") or []:
        at = parse_time(entry.get("time")) if isinstance(entry, dict) else None
        spec = ((entry.get("fieldsV1") or {}).get("f:spec") or {}) if isinstance(entry, dict) else {}
        if at is not None and not entry.get("subresource") and "f:triggers" in spec and \
                timedelta(0) <= facts.at - at <= LEAD and (best is None or at > best[1]):
            best = (str(entry.get("manager") or "a write"), at, "")
    return best


def _rescaled(facts: Facts, target: Ref) -> str:
    """The newest timeline rescale of the target in LOADED before the incident, in the timeline's words."""
    for change in sorted(facts.change_list(), key=lambda c: str(c.get("at") or ""), reverse=True):
        ref, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        summary = str(change.get("summary") or "")
        if ref is not None and at is not None and ref.namespace == target.namespace and ref.name == target.name \
                and "rescaled" in summary and timedelta(0) <= facts.at - at <= LOADED:
            return summary
    return ""


def judge(obj: dict[str, Any], facts: Facts) -> LateWindow | None:
    """The late window of one scaler object, when its cron trigger is one and was written within LEAD."""
    meta, spec = obj.get("metadata") or {}, obj.get("spec") or {}
    kind = str(obj.get("kind") or "ScaledObject")
    scaler = Ref(kind, str(meta.get("namespace") or ""), str(meta.get("name") or ""))
    ref = spec.get("scaleTargetRef") or ((spec.get("jobTargetRef") or {}) and {"kind": "Job", "name": scaler.name})
    target = Ref(str(ref.get("kind") or "Deployment"), scaler.namespace, str(ref.get("name") or ""))
    written = _written(facts, scaler, obj)
    if written is None or not target.name:
        return None
    rescaled = _rescaled(facts, target)
    if not rescaled:
        return None
    for trigger in spec.get("triggers") or []:
        if not isinstance(trigger, dict) or trigger.get("type") != "cron":
            continue
        data = trigger.get("metadata") or {}
        zone, start, end = str(data.get("timezone") or ""), str(data.get("start") or ""), str(data.get("end") or "")
        state = window(start, end, zone, facts.at)
        if state is None or state[0] or state[1] is None:
            continue
        return LateWindow(scaler, target, zone or "UTC", start, end, str(data.get("desiredReplicas") or "?"),
                          state[1], written[0], written[1], rescaled, [e for e in (written[2],) if e])
    return None


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: the ScaledObjects and ScaledJobs of the subject's namespace (when KEDA is served)."""
    facts.reads[READS] = []
    if not subject.namespace or not any("rescaled" in str(c.get("summary") or "") for c in facts.change_list()):
        return
    listed = await call("k8s_list", {"kind": "customresourcedefinitions"}, "survey-keda-crds")
    served = {str(r.get("name") or "") for r in rows_of(listed)}
    out: list[LateWindow] = []
    for plural, kind in KINDS.items():
        if plural not in served:
            continue
        rows = rows_of(await call("k8s_list", {"kind": plural, "namespace": subject.namespace},
                                  f"survey-cron-window-{kind.lower()}s"))
        for row in rows[:MAX_READS]:
            name = str(row.get("name") or "")
            got = await get_yaml(call, plural, name, subject.namespace, f"survey-cron-window-{name}")
            if got is None:
                continue
            got[0]["kind"] = kind
            late = judge(got[0], facts)
            if late is not None:
                late.evidence = [got[1], *late.evidence, *(e for e in (facts.changes_id,) if e)]
                out.append(late)
    facts.reads[READS] = out


def found(facts: Facts) -> list[LateWindow]:
    got = facts.reads.get(READS)
    return [w for w in got if isinstance(w, LateWindow)] if isinstance(got, list) else []


def finding(w: LateWindow, at: datetime) -> dict[str, Any]:
    """The scaler, its cron trigger in the spec's words and timezone, when it opens against the incident."""
    ago = minutes_text(int((at - w.written_at).total_seconds() // 60))
    later = minutes_text(int((w.opens.astimezone(UTC) - at).total_seconds() // 60))
    local = at.astimezone(w.opens.tzinfo)
    message = (f"{w.scaler}'s cron trigger (timezone {w.timezone}, start '{w.start}', end '{w.end}', desiredReplicas "
               f"{w.desired}), written by {manager_words.spoken(w.written_by)} {ago} before the incident, is not "
               f"active at the incident ({local:%H:%M} {w.timezone}): its pre-scale opens at {w.opens:%H:%M} "
               f"{w.timezone}, {later} later, while the load is already there and only the other triggers scale "
               f"{w.target} ({w.rescaled[:160]}). Check the trigger's timezone and start against the peak it is for "
               "(a timezone normalised to UTC moves the window by the zone's offset)")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": w.scaler.kind, "namespace": w.scaler.namespace, "name": w.scaler.name},
            "reason": "ScheduleWindowLate", "message": message,
            "evidence": [f"cron trigger timezone {w.timezone} start '{w.start}' opens {w.opens.isoformat()}"],
            "details": {"target": str(w.target), "timezone": w.timezone, "start": w.start, "end": w.end,
                        "opens": w.opens.isoformat(), "written_by": w.written_by,
                        "written_at": w.written_at.isoformat()},
            "explains": [str(w.target)]}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the scaler, its finding, evidence ids, the workload left short) for `agent.triage.behind`."""
    return [(w.scaler, finding(w, facts.at), w.evidence, [w.target]) for w in found(facts)]
