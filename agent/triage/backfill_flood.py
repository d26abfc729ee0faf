"""A job definition applied with catch-up on and a start date long past: its back-fill takes every shared slot.

Workflow schedulers run each definition on a schedule from a start date, and with catch-up on they also create a
run for every interval between that date and now that has none: Airflow's `catchup=True` with `start_date`
(`catchup_by_default`), Prefect/Dagster schedules with back-fill, Temporal schedules with a catch-up window.
Applied with a start date a year back, a daily definition creates hundreds of runs at once; their tasks queue into
the pools and concurrency limits every team shares (`default_pool`, a work pool's concurrency, max parallelism),
and the scheduler says so in its own words (`Not scheduling since there are 0 open slots in pool default_pool`,
`0 open slots and 2808 task instances ready to be queued`, `concurrency limit reached`, `max parallelism`). Nothing
fails: another team's punctual job simply waits, and its lateness is the page.

So: a write within `LEAD` of a definition (a ConfigMap's DAG/flow file, read back as it is now) whose text turns
catch-up on and starts `MIN_RUNS` or more schedule intervals before the write (a dated start, or one relative
to the parse: `days_ago(N)`, `now() - timedelta(days=N)`, pendulum's `subtract(days=N)`), while a scheduler of
that namespace logs that its slots are all taken. The finding names the write, the start date and schedule, about
how many back-fill runs that makes, and the scheduler's line. Twins: catch-up on with a recent start date, an old
start date with catch-up off, a back-fill with free slots, full slots with no such write. Reading only: the written
ConfigMaps (bounded) and, when one qualifies, slot lines of its namespace's pods.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml, rows_of
from agent.triage.subject import Subject

Call = Callable[..., Awaitable[Any]]

CHECK = "change.backfill_flood"
WEIGHT = 0.93
"""Above the late job and the busy scheduler: the definition's back-fill is what holds the slots."""
STORE = "backfill_flood"
LEAD = timedelta(hours=24)
MIN_RUNS = 30
MAX_CONFIGS = 3
MAX_PODS = 4
CATCHUP_ON = re.compile(r"\bcatch_?up(?:_by_default)?\b\s*[=:]\s*(?:True|true|yes|on|1)\b|"
                        r"\bbackfill\b\s*[=:]\s*(?:True|true)", re.I)
START = re.compile(r"start_?date\b[^\n]{0,60}?(?P<y>20\d\d)(?:\s*,\s*|-)(?P<m>\d{1,2})(?:\s*,\s*|-)(?P<d>\d{1,2})",
                   re.I)
"""`start_date=pendulum.datetime(2025, 1, 1)`, `start_date=datetime(2025,1,1)`, `start_date: 2025-01-01`."""
START_AGO = re.compile(r"start_?date\b[^\n]{0,60}?(?:days_ago\(\s*(?P<a>\d+)|-\s*(?:\w+\.)?timedelta\(\s*days\s*=\s*"
                       r"(?P<b>\d+)|subtract\(\s*days\s*=\s*(?P<c>\d+)|add\(\s*days\s*=\s*-\s*(?P<d>\d+))", re.I)
"""A start date given relative to the parse: Airflow's `days_ago(400)`, `datetime.now() - timedelta(days=400)`,
pendulum's `today().subtract(days=400)` / `.add(days=-400)`; read against the write's time."""
INTERVALS = (("@hourly", timedelta(hours=1)), ("@daily", timedelta(days=1)), ("@midnight", timedelta(days=1)),
             ("@weekly", timedelta(weeks=1)), ("@monthly", timedelta(days=30)),
             ("timedelta(hours=1)", timedelta(hours=1)), ("timedelta(days=1)", timedelta(days=1)))
CRON = re.compile(r"schedule(?:_interval)?\b\s*[=:]\s*['\"](?P<cron>(?:[\d*/,-]+ ){4}[\d*/,-]+)['\"]")
SLOTS_FULL = re.compile(r"\b0 open slots|no open slots|no slots available|concurrency limit (?:reached|hit)|"
                        r"max(?:imum)? parallelism|waiting for (?:concurrency )?slots|pool \S+ is full|"
                        r"max_active_tasks|(?:reached|hit) (?:its|the) (?:[\w-]+ )?concurrency limit|"
                        r"blocked by (?:[\w-]+ )?concurrency limits?|too many workflows are already running", re.I)
"""The scheduler's words for slots all taken (Airflow pools and max_active_tasks, Prefect/Dagster concurrency
limits, a work pool that reached its concurrency limit, Argo's parallelism: `too many workflows are already
running`). Not a DAG's own `max_active_runs`: that cap holds the back-fill itself back and frees the shared slots."""


@dataclass
class Flood:
    """A definition written with catch-up on from a start date long past, and the scheduler's full-slots line."""

    config: Ref
    at: datetime
    by: str
    start: datetime
    interval: str
    runs: int
    said: str
    evidence: list[str] = field(default_factory=list)


def _interval(text: str) -> tuple[str, timedelta] | None:
    for word, step in INTERVALS:
        if word in text:
            return word, step
    cron = CRON.search(text)
    if cron:
        _, hour, day, _, weekday = cron["cron"].split()
        if day == "*" and weekday == "*" and hour == "*":
            return cron["cron"], timedelta(hours=1)
        if day == "*" and weekday == "*":
            return cron["cron"], timedelta(days=1)
        return cron["cron"], timedelta(weeks=1)
    return None


def backfill(text: str, written: datetime) -> tuple[datetime, str, int] | None:
    """(start date, schedule, back-fill runs) when a definition's text turns catch-up on from a start date
    `MIN_RUNS` or more intervals before it was written; None otherwise."""
    if not CATCHUP_ON.search(text):
        return None
    start, ago, interval = START.search(text), START_AGO.search(text), _interval(text)
    if (start is None and ago is None) or interval is None:
        return None
    if start is not None:
        try:
            began = datetime(int(start["y"]), int(start["m"]), int(start["d"]), tzinfo=UTC)
        except ValueError:
            return None
    elif ago is not None:
        began = written - timedelta(days=int(next(g for g in ago.groups() if g)))
    else:
        return None
    runs = int((written - began) / interval[1]) if written > began else 0
    return (began, interval[0], runs) if runs >= MIN_RUNS else None


def _config_writes(facts: Facts) -> list[tuple[dict[str, Any], str, Ref]]:
    return facts.writes_to(("ConfigMap",), within=LEAD, deletions=False)[:MAX_CONFIGS]


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: the ConfigMaps written within LEAD, and when one turns a back-fill on, the slot lines of the
    pods of its namespace."""
    del subject, at
    if STORE in facts.reads:
        return
    store: dict[str, Any] = facts.reads.setdefault(STORE, {"configs": {}, "slots": {}})
    for change, _, target in _config_writes(facts):
        when = parse_time(change.get("at"))
        got = await get_yaml(call, "ConfigMap", target.name, target.namespace, f"survey-backfill-{target.name}")
        if got is None or when is None:
            continue
        text = "\n".join(str(v) for v in (got[0].get("data") or {}).values())
        if backfill(text, when) is None:
            continue
        store["configs"][str(target)] = {"text": text, "evidence": got[1]}
        if target.namespace in store["slots"]:
            continue
        listed = await call("k8s_list", {"kind": "Pod", "namespace": target.namespace},
                            f"survey-backfill-pods-{target.namespace}")
        names = sorted((str(r.get("name") or "") for r in rows_of(listed)), key=lambda n: "schedul" not in n)
        lines: list[str] = []
        for name in names[:MAX_PODS]:
            got_log = await call("k8s_logs", {"name": name, "namespace": target.namespace, "tail": 300},
                                 f"survey-backfill-log-{name}")
            if got_log is not None and got_log.ok:
                lines += [ln for ln in str(got_log.full_text or "").splitlines() if SLOTS_FULL.search(ln)][-1:]
            if lines:
                break
        store["slots"][target.namespace] = lines


def found(facts: Facts) -> list[Flood]:
    """The written definition whose back-fill runs coincide with the scheduler's full slots."""
    seen = facts.reads.get(STORE) or {}
    for change, evidence, target in _config_writes(facts):
        kept = (seen.get("configs") or {}).get(str(target))
        slots = (seen.get("slots") or {}).get(target.namespace) or []
        when = parse_time(change.get("at"))
        if not kept or not slots or when is None:
            continue
        flood = backfill(kept["text"], when)
        if flood is None:
            continue
        summary = str(change.get("summary") or "")
        by = summary.split(" by ", 1)[1].split(":")[0] if " by " in summary else ""
        return [Flood(target, when, by, flood[0], flood[1], flood[2], slots[-1],
                      [e for e in (evidence, kept["evidence"]) if e])]
    return []


def finding(hit: Flood, at: datetime) -> dict[str, Any]:
    """The write and its catch-up from the old start date first, then the runs it makes and the scheduler's line."""
    ago = minutes_text(int((at - hit.at).total_seconds() // 60))
    by = f" by {hit.by}" if hit.by else ""
    full = SLOTS_FULL.search(hit.said)
    said = " ".join(hit.said[max(0, full.start() - 40) if full else 0:].split())[:150]
    message = (f"{hit.config} was applied{by} {ago} before the incident with a definition that has catchup on and a "
               f"start_date of {hit.start.date()} ({hit.interval}): the scheduler back-fills about {hit.runs} runs "
               f"at once, and their tasks take every shared slot ('{said}'), so other teams' jobs wait. Set "
               f"catchup off (or a recent start_date) and clear the queued back-fill runs")
    return {"check": CHECK, "severity": "critical", "reason": "BackfillTakesSharedSlots",
            "object": {"kind": hit.config.kind, "namespace": hit.config.namespace, "name": hit.config.name},
            "message": message, "evidence": [said],
            "details": {"start_date": str(hit.start.date()), "schedule": hit.interval, "runs": hit.runs}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The ConfigMap whose definition's back-fill holds the scheduler's slots."""
    return [(h.config, finding(h, facts.at), h.evidence, [h.config]) for h in found(facts)]
