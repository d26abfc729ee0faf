"""The subject CronJob's schedule or time zone was written: it now runs at another hour.

"The file did not arrive at 07:00, did it fail?" is often answered by the CronJob's own spec, not by a
failure: a chart upgrade set `spec.timeZone` (Kubernetes 1.27+) or rewrote `spec.schedule`, so the same
cron line fires at another UTC hour, and every run succeeds, later than whoever waits for it. The survey
reads the CronJobs the incident names and their change history over days (a schedule edit shows only at
the next run); a write to `spec.timeZone` or `spec.schedule` is the suspect, with the UTC hour the cron
line now fires at, computed with the IANA zone database, and the controller's last schedule and success
times from the CronJob's status.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from agent.triage.facts import Facts, Ref, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject

LEAD = timedelta(days=7)
"""How far back a schedule write may be and still explain a run missed now (a daily job shows it next day)."""
HISTORY_WINDOW = "7d"
MAX_CRONJOBS = 2
SCHEDULE_FIELDS = ("spec.timeZone", "spec.schedule")

Call = Callable[..., Awaitable[Any]]


@dataclass
class Shift:
    """A write to a CronJob's schedule or time zone, and when its cron line now fires."""

    target: Ref
    change: dict[str, Any]
    fields: list[str]
    schedule: str
    zone: str
    fires_utc: str
    last_schedule: str
    last_success: str
    hours_before: int

    @property
    def victims(self) -> list[Ref]:
        """The CronJob is the subject itself: it explains no other workload."""
        return []


def fires_at(schedule: str, zone: str, day: datetime) -> str:
    """'HH:MM UTC' (with the local time) at which a daily cron line (fixed minute and hour) fires on `day` in
    `zone`; "" for a line with ranges or steps in its minute or hour, or an unknown zone."""
    parts = schedule.split()
    if len(parts) != 5 or not parts[0].isdigit() or not all(h.isdigit() for h in parts[1].split(",")):
        return ""
    try:
        tz = ZoneInfo(zone) if zone else UTC
    except (ZoneInfoNotFoundError, ValueError):
        return ""
    out = []
    for hour in parts[1].split(","):
        local = datetime(day.year, day.month, day.day, int(hour), int(parts[0]), tzinfo=tz)
        out.append(f"{local.astimezone(UTC):%H:%M} UTC ({local:%H:%M} {zone or 'UTC'})")
    return ", ".join(out)


def _writes(facts: Facts, target: Ref) -> list[dict[str, Any]]:
    seen = [*facts.change_list(), *(c for h, _ in facts.history for c in h.get("changes") or [] if isinstance(c, dict))]
    out = []
    for c in seen:
        ref, at = Ref.of(c.get("object")), parse_time(c.get("at"))
        text = " ".join(str(d) for d in c.get("diff") or [])
        if ref is not None and at is not None and ref.same_object(target) and facts.at - LEAD <= at <= facts.at \
                and any(f in text for f in SCHEDULE_FIELDS):
            out.append(c)
    return sorted(out, key=lambda c: str(c.get("at")), reverse=True)


def shifts(facts: Facts) -> list[Shift]:
    """Each CronJob the survey read whose schedule or time zone was written in the last LEAD."""
    out: list[Shift] = []
    for obj, _ in facts.objects:
        if obj.get("kind") != "CronJob":
            continue
        meta, spec, status = obj.get("metadata") or {}, obj.get("spec") or {}, obj.get("status") or {}
        target = Ref("CronJob", str(meta.get("namespace") or ""), str(meta.get("name") or ""))
        writes = _writes(facts, target)
        if not writes or any(s.target.same_object(target) for s in out):
            continue
        change, at = writes[0], parse_time(writes[0].get("at")) or facts.at
        text = " ".join(str(d) for d in change.get("diff") or [])
        schedule, zone = str(spec.get("schedule") or ""), str(spec.get("timeZone") or "")
        out.append(Shift(target, change, [f for f in SCHEDULE_FIELDS if f in text], schedule, zone,
                         fires_at(schedule, zone, facts.at), str(status.get("lastScheduleTime") or ""),
                         str(status.get("lastSuccessfulTime") or ""), int((facts.at - at).total_seconds() // 3600)))
    return out


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: the CronJobs the incident names (by name), and their namespace's changes over days."""
    names = set(subject.names[:6])
    if not names:
        return
    listed = await call("k8s_list", {"kind": "CronJob", **({"namespace": subject.namespace} if subject.namespace
                                                           else {})}, "survey-cronjobs")
    rows = (listed.data or {}).get("rows") or [] if listed is not None and listed.ok else []
    named = [r for r in rows if isinstance(r, dict) and r.get("name") in names][:MAX_CRONJOBS]
    for row in named:
        ns = str(row.get("namespace") or "")
        got = await get_yaml(call, "CronJob", row["name"], ns, f"survey-cronjob-{row['name']}")
        if got is None or got[0].get("kind") != "CronJob":
            continue
        facts.objects.append(got)
        history = await call("k8s_changes", {"at": at, "window": HISTORY_WINDOW, "namespace": ns},
                             f"survey-cronjob-history-{row['name']}")
        if history is not None and history.ok and isinstance(history.data, dict):
            facts.history.append((history.data, history.evidence_id))


def finding(s: Shift) -> dict[str, Any]:
    """The suspect's finding: the field written, the cron line, the UTC hour it fires at, the last runs."""
    diff = "; ".join(str(d) for d in (s.change.get("diff") or []) if any(f in str(d) for f in SCHEDULE_FIELDS))
    fires = f"; '{s.schedule}' now fires at {s.fires_utc}" if s.fires_utc else f"; schedule '{s.schedule}'"
    runs = "".join([f", last scheduled {s.last_schedule}" if s.last_schedule else "",
                    f", last succeeded {s.last_success}" if s.last_success else ""])
    written = " and ".join(f.split(".")[-1] for f in s.fields)
    message = (f"{s.target}'s {written} was written {s.hours_before} h before the incident ({diff}){fires}{runs}. "
               "The job still runs, at another hour than before: whoever waits for its output at the old hour sees "
               "nothing; set timeZone (or the schedule) back")
    target = {"kind": "CronJob", "namespace": s.target.namespace, "name": s.target.name}
    return {"check": "change.related_object", "severity": "critical", "object": target,
            "reason": "CronJobScheduleChanged", "message": message, "evidence": [diff[:200]],
            "details": {"change_at": s.change.get("at"), "time_zone": s.zone, "schedule": s.schedule,
                        "fires": s.fires_utc}}
