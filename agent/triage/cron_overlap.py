"""A CronJob that interferes with its own runs: the next schedule comes before the last run can finish.

"The nightly export never finishes" with no failed pod, no error log and a green Job history is often the
CronJob's own spec: its schedule period became shorter than one run takes, and its `concurrencyPolicy` decides
what happens to the run still going when the next is due:

- `Replace`: the CronJob controller deletes the running Job and starts a new one (events `SuccessfulDelete`
  "Deleted job X" with no `SawCompletedJob` for X before it): every run is killed, none completes;
- `Forbid`: the new run is skipped (event `JobAlreadyActive`, "Not starting job because prior execution is
  running and concurrency policy is Forbid"), and with a `startingDeadlineSeconds` too short or missed starts
  piling up, `TooManyMissedTimes` / `MissSchedule`;
- `Allow`: runs pile up side by side and compete for the same data.

The survey (`read`) lists CronJob events cluster-wide (one call); for a CronJob whose controller deleted
unfinished Jobs or skipped starts, it reads the CronJob and its namespace's change history over days (the write
shows only when runs start failing to finish). `overlaps` is pure: the cron line's period (computed from the
five fields), the runs created, killed, skipped and completed, how long the killed ones had run, and the write
to `spec.schedule` / `spec.concurrencyPolicy` / `spec.startingDeadlineSeconds` / `spec.suspend` before them.
Without such a write the overlap is a symptom, not a cause: one run took longer than usual (a hung upload, a
slow dependency) and what made it hang is the suspect, found by other modules, so no suspect is made here.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from agent.triage.facts import Facts, Ref, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject

CHECK = "cronjob.self_interference"
WEIGHT = 0.9
RECORD_KIND = "vigil.dev/CronJobOverlap"
MAX_CRONJOBS = 2
HISTORY_WINDOW = "3d"
LEAD = timedelta(days=3)
SPEC_FIELDS = ("spec.schedule", "spec.concurrencyPolicy", "spec.startingDeadlineSeconds", "spec.suspend",
               "spec.timeZone")
_CREATED = re.compile(r"Created job (\S+)")
_DELETED = re.compile(r"Deleted job (\S+)")
_COMPLETED = re.compile(r"Saw completed job: (\S+?),")

Call = Callable[..., Awaitable[Any]]


def _field(spec: str, low: int, high: int) -> set[int] | None:
    """The values one cron field allows (`*`, `*/n`, `a-b`, `a-b/n`, `a,b`); None for what this does not parse."""
    out: set[int] = set()
    for part in spec.split(","):
        body, _, step_text = part.partition("/")
        step = int(step_text) if step_text.isdigit() and int(step_text) > 0 else 1 if not step_text else 0
        if not step:
            return None
        if body == "*":
            start, end = low, high
        elif re.fullmatch(r"\d+-\d+", body):
            start, end = (int(x) for x in body.split("-"))
        elif body.isdigit():
            start, end = int(body), (high if step_text else int(body))
        else:
            return None
        out.update(range(start, end + 1, step))
    return out


def period_minutes(schedule: str) -> int | None:
    """The shortest gap, in minutes, between two firings of a five-field cron line (or a macro), over two days;
    None when the line is not one this reads (names of days or months, @reboot)."""
    macros = {"@hourly": "0 * * * *", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@weekly": "0 0 * * 0"}
    parts = macros.get(schedule.strip(), schedule).split()
    if len(parts) != 5:
        return None
    minutes, hours = _field(parts[0], 0, 59), _field(parts[1], 0, 23)
    if not minutes or not hours:
        return None
    if parts[2] != "*" or parts[3] != "*" or parts[4] != "*":  # a day field: at least a day apart, unless daily
        fires = sorted(h * 60 + m for h in hours for m in minutes)
        gaps = [b - a for a, b in pairwise(fires)]
        return min(gaps) if gaps else 1440
    fires = sorted(h * 60 + m for h in hours for m in minutes)
    gaps = [b - a for a, b in zip(fires, [*fires[1:], fires[0] + 1440], strict=True)]
    return min(gaps)


@dataclass
class Overlap:
    """One CronJob whose runs the controller killed or skipped because the next schedule came first."""

    target: Ref
    schedule: str
    policy: str
    period: int | None
    deadline: str = ""
    created: int = 0
    killed: list[tuple[str, float]] = field(default_factory=list)
    """(job, minutes it had run when the controller deleted it)."""
    completed: int = 0
    skipped: int = 0
    missed: int = 0
    change: dict[str, Any] | None = None
    evidence: list[str] = field(default_factory=list)


def _events(rows: list[dict[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    out: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        if isinstance(row, dict) and str(row.get("kind") or "") == "CronJob" and row.get("name"):
            out.setdefault((str(row.get("namespace") or ""), str(row["name"])), []).append(row)
    return out


def _when(row: dict[str, Any]) -> datetime | None:
    return parse_time(row.get("first_seen") or row.get("last_seen"))


def kills(rows: list[dict[str, Any]]) -> list[tuple[str, float]]:
    """(job, minutes it ran) for each Job the CronJob controller deleted while it was the active run: its
    creation is known, no completion was seen, and no later run had been created before the deletion. (A
    deletion that trims the Job history removes an older, finished run, with newer runs created since.)"""
    created: dict[str, datetime] = {}
    done: set[str] = set()
    for r in rows:
        message, when = str(r.get("message") or ""), _when(r)
        if (m := _CREATED.search(message)) is not None and when is not None:
            created[m.group(1)] = when
        elif (m := _COMPLETED.search(message)) is not None:
            done.add(m.group(1))
    out: list[tuple[str, float]] = []
    for r in rows:
        m, when = _DELETED.search(str(r.get("message") or "")), _when(r)
        if m is None or when is None or m.group(1) in done or m.group(1) not in created:
            continue
        start = created[m.group(1)]
        if any(start < other < when - timedelta(minutes=1) for other in created.values()):
            continue
        if (m.group(1), (when - start).total_seconds() / 60) not in out:
            out.append((m.group(1), (when - start).total_seconds() / 60))
    return out


def _interfering(rows: list[dict[str, Any]]) -> bool:
    """Whether a CronJob's events show its controller killing its active run, or skipping or missing starts."""
    return bool(kills(rows)) or any(str(r.get("reason") or "") in ("JobAlreadyActive", "TooManyMissedTimes",
                                                                    "MissSchedule") for r in rows)


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: CronJob events; for one interfering with itself, its spec and its namespace's changes."""
    events = await call("k8s_events", {"kind": "CronJob"}, "survey-cronjob-events")
    if events is None or not events.ok or not isinstance(events.data, dict):
        return
    grouped = _events(list(events.data.get("events") or []))
    picked = [key for key, rows in grouped.items() if _interfering(rows)][:MAX_CRONJOBS]
    for ns, name in picked:
        got = await get_yaml(call, "CronJob", name, ns, f"survey-cronjob-overlap-{name}")
        if got is None or got[0].get("kind") != "CronJob":
            continue
        history = await call("k8s_changes", {"at": at, "window": HISTORY_WINDOW, "namespace": ns},
                             f"survey-cronjob-overlap-history-{name}")
        changes = (history.data or {}).get("changes") or [] if history is not None and history.ok and \
            isinstance(history.data, dict) else []
        record = {"kind": RECORD_KIND, "cronjob": got[0], "events": grouped[(ns, name)], "changes": changes,
                  "evidence": [events.evidence_id, got[1], history.evidence_id if history is not None else ""]}
        facts.objects.append((record, got[1]))


def _write(changes: list[dict[str, Any]], target: Ref, now: datetime) -> dict[str, Any] | None:
    """The newest write to the CronJob's schedule or policy fields within LEAD."""
    best = None
    for c in changes:
        ref, when = Ref.of(c.get("object")), parse_time(c.get("at"))
        text = " ".join(str(d) for d in c.get("diff") or []) + " " + str(c.get("summary") or "")
        if ref is None or when is None or not ref.same_object(target) or not now - LEAD <= when <= now:
            continue
        if any(f.split(".")[-1] in text for f in SPEC_FIELDS) and (best is None or str(c.get("at")) >
                                                                     str(best.get("at"))):
            best = c
    return best


def overlaps(facts: Facts) -> list[Overlap]:
    """Each CronJob `read` kept, with its runs counted from the controller's events."""
    out = []
    for obj, _ in facts.objects:
        if obj.get("kind") != RECORD_KIND:
            continue
        cj = obj.get("cronjob") or {}
        meta, spec = cj.get("metadata") or {}, cj.get("spec") or {}
        target = Ref("CronJob", str(meta.get("namespace") or ""), str(meta.get("name") or ""))
        schedule = str(spec.get("schedule") or "")
        found = Overlap(target, schedule, str(spec.get("concurrencyPolicy") or "Allow"), period_minutes(schedule),
                        str(spec.get("startingDeadlineSeconds") or ""))
        created: dict[str, Any] = {}
        done: set[str] = set()
        for row in obj.get("events") or []:
            message, reason = str(row.get("message") or ""), str(row.get("reason") or "")
            if (m := _CREATED.search(message)) is not None:
                created[m.group(1)] = row.get("first_seen") or row.get("last_seen")
            elif (m := _COMPLETED.search(message)) is not None:
                done.add(m.group(1))
            elif reason == "JobAlreadyActive":
                found.skipped += int(row.get("count") or 1)
            elif reason in ("TooManyMissedTimes", "MissSchedule"):
                found.missed += int(row.get("count") or 1)
        found.killed = kills(list(obj.get("events") or []))
        found.created, found.completed = len(created), len(done & set(created))
        found.change = _write(list(obj.get("changes") or []) + facts.change_list(), target, facts.at)
        found.evidence = [e for e in obj.get("evidence") or [] if e]
        if (found.killed or found.skipped or found.missed) and found.change is not None:
            out.append(found)
    return out


def _period(minutes: int | None) -> str:
    if minutes is None:
        return ""
    return f"every {minutes // 60} h" if minutes % 60 == 0 else f"every {minutes} min"


def finding(o: Overlap) -> dict[str, Any]:
    """The CronJob, its schedule and policy (old -> new when the write says), then the runs lost."""
    ran = [m for _, m in o.killed if m >= 0]
    if o.killed:
        lost = (f"the CronJob controller deleted {len(o.killed)} of its {o.created} runs still running at the next "
                f"schedule (concurrencyPolicy {o.policy}: each run kills the previous one"
                + (f", after {min(ran):.0f}" + (f"-{max(ran):.0f}" if max(ran) - min(ran) >= 1 else "") + " min"
                   if ran else "") + f"), {o.completed} completed")
    elif o.skipped:
        lost = (f"{o.skipped} starts skipped because the previous run was still active (concurrencyPolicy "
                f"{o.policy})")
    else:
        lost = f"{o.missed} missed starts (startingDeadlineSeconds {o.deadline or 'unset'})"
    written = ""
    if o.change is not None:
        text = " ".join(str(d) for d in o.change.get("diff") or []) + " " + str(o.change.get("summary") or "")
        fields = [f.split(".")[-1] for f in SPEC_FIELDS if f.split(".")[-1] in text]
        who = f" by {o.change.get('by')}" if o.change.get("by") else ""
        written = f". Its {' and '.join(fields)} were written at {o.change.get('at')}{who}"
    period = _period(o.period)
    message = (f"{o.target} runs over itself: schedule '{o.schedule}'" + (f" ({period})" if period else "")
               + f" with concurrencyPolicy {o.policy}, and a run takes longer than the period: {lost}{written}. "
               "Its output never lands; make the schedule period longer than a run, or set concurrencyPolicy "
               "Forbid")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": "CronJob", "namespace": o.target.namespace, "name": o.target.name},
            "reason": "CronJobRunsOverlap", "message": message,
            "evidence": [f"{o.target} schedule '{o.schedule}' concurrencyPolicy {o.policy}",
                         f"{len(o.killed)} runs deleted unfinished, {o.skipped} skipped, {o.completed} completed"],
            "details": {"schedule": o.schedule, "policy": o.policy, "period_minutes": o.period,
                        "killed": [j for j, _ in o.killed], "skipped": o.skipped, "missed": o.missed,
                        "change_at": (o.change or {}).get("at")}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The CronJob itself; it explains the Jobs it killed."""
    return [(o.target, finding(o), o.evidence, [Ref("Job", o.target.namespace, j) for j, _ in o.killed])
            for o in overlaps(facts)]
