"""A log pipeline's timestamp parsing given a time zone the logs do not carry: events land hours off, a "gap".

Log shippers and pipelines re-read the time an app wrote into its line (`2026-03-01 10:15:02,331 INFO ...`) and
index the event at that time. A line without an offset is taken in the zone the parser is told: Logstash's `date`
filter `timezone => "Europe/Berlin"`, Fluentd's `timezone +09:00`, Fluent Bit's parser `Time_Offset +0100`,
Vector's `parse_timestamp(..., timezone: "...")`, Promtail's or the OpenTelemetry filelog receiver's timestamp
`location`. When a write sets a zone other than the one the app logs in (UTC, for a container), every event is
indexed that many hours in the past (or the future): the search's "last 15 minutes" is empty, a log-based alert
goes quiet, and someone asks whether the service is down, while it logs as before and nothing is refused.

The survey (`read`, reading only) acts only when the incident says logs are missing (`telemetry_missing`) and a
log of the incident's workload writes timestamps with no offset: for each log pipeline object written in the
`LEAD` before the incident it reads the object as it is now and keeps a time zone directive whose offset at the
incident is not zero and that the write's old side did not hold. A zone equal to UTC at that date, timestamps that
carry their own offset (`Z`, `+01:00`), or a directive that was there before the write is no cause. `found` is
pure over what `read` kept.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from agent.triage.facts import Facts, Ref, minutes_text
from agent.triage.subject import Subject
from agent.triage.telemetry_intake import telemetry_missing
from agent.triage.written_now import written_now

CHECK = "change.log_timezone"
WEIGHT = 0.93
"""A pipeline write that moved every event of a logging workload in time: above that workload's own log errors,
which are the lines being looked for, not why they cannot be found."""
READS = "log_timezone"
LEAD = timedelta(hours=12)
MAX_READS = 4
KINDS = ("Logstash", "ConfigMap", "FluentBit", "ClusterFluentBitConfig", "Parser", "ClusterParser", "FluentdConfig",
         "ClusterFluentdConfig", "Filter", "ClusterFilter", "Flow", "ClusterFlow", "OpenTelemetryCollector",
         "PodLogs", "VectorPipeline", "ClusterVectorPipeline")
_ZONE = r"(?P<zone>[A-Z][A-Za-z_]+(?:/[A-Za-z_+-]+)+|UTC|GMT|Z|[+-]\d{2}:?\d{2})"
DIRECTIVE = re.compile(r"(?P<key>\btime[_-]?zone|\btime_?offset|\blocation|\btz)\b"
                       rf"[\"']?\s*(?:=>|=|:|\(|\s)\s*[\"']?{_ZONE}[\"']?", re.I)
"""`timezone => "Europe/Berlin"`, `timezone +09:00`, `Time_Offset +0100`, `timezone: "America/New_York"`,
`location: Asia/Tokyo`, syslog-ng's `time-zone("Asia/Tokyo")` (and `recv-time-zone(...)`), Splunk props.conf's
`TZ = America/Chicago`: a parser told which zone a naive timestamp is in."""
NAIVE = re.compile(r"(?:(?<![\d/-])\d{4}(?P<sep>[-/])\d{2}(?P=sep)\d{2}[ T]|"
                   r"(?<![\w:])(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d )"
                   r"\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?![.,]?\d)(?!\s?(?:Z|[+-]\d{2}:?\d{2}|UTC|GMT)\b)")
"""A timestamp written with no zone or offset after it: ISO-like (`2026-03-01 10:15:02,331 INFO`), slashed as Go's
standard log and nginx's error log write it (`2026/03/01 10:15:02`), or a BSD syslog stamp (`Mar  1 10:15:02`)."""
PIPELINE = re.compile(r"logstash|fluent|\[PARSER\]|\[INPUT\]|\[OUTPUT\]|vector|\[sources|\[sinks|\[transforms|"
                      r"promtail|pipeline_stages|filelog|\bloki\b|elasticsearch|opensearch|\bdate\s*\{|"
                      r"syslog-ng|\bsource\s+s_\w+|date-parser|rsyslog|filebeat|props\.conf|\bsourcetype\b|"
                      r"\bTIME_FORMAT\b", re.I)
"""What a log pipeline's config says of itself: a ConfigMap without it (an app's own `timezone:`) is not one."""
Call = Callable[..., Awaitable[Any]]


@dataclass
class Shifted:
    """A pipeline object whose zone directive moves a workload's naive timestamps."""

    target: Ref
    directive: str
    zone: str
    shift: timedelta
    workload_line: str
    pod: str
    at: str
    minutes_before: int
    evidence: list[str] = field(default_factory=list)


def offset(zone: str, at: datetime) -> timedelta | None:
    """The zone's offset from UTC at `at` (None when the zone is unknown)."""
    if zone.upper() in ("UTC", "GMT", "Z"):
        return timedelta(0)
    m = re.fullmatch(r"([+-])(\d{2}):?(\d{2})", zone)
    if m:
        span = timedelta(hours=int(m.group(2)), minutes=int(m.group(3)))
        return span if m.group(1) == "+" else -span
    try:
        return ZoneInfo(zone).utcoffset(at)
    except (ZoneInfoNotFoundError, ValueError, KeyError):
        return None


def naive_line(facts: Facts) -> tuple[str, str]:
    """(pod, line) of the first log the survey read that writes a timestamp with no offset."""
    for log in facts.logs:
        for line in [*log.last_lines, *(str(e.get("example") or "") for e in log.entries())]:
            if NAIVE.search(line):
                return f"{log.namespace}/{log.pod}", line.strip()
    return "", ""


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, when logs are said missing and the workload writes naive timestamps: recently written log
    pipeline objects, as they are now."""
    if not telemetry_missing(subject):
        return
    pod, line = naive_line(facts)
    if not line:
        return
    store: list[Shifted] = facts.reads.setdefault(READS, [])
    for w in await written_now(facts, call, KINDS, LEAD, MAX_READS, "survey-log-timezone"):
        body = w.obj.get("data") if w.target.kind == "ConfigMap" else w.obj.get("spec")
        text = json.dumps(body).encode().decode("unicode_escape") if body else ""
        if w.target.kind == "ConfigMap" and not PIPELINE.search(text):
            continue
        old = w.old_text()
        for m in DIRECTIVE.finditer(text):
            shift = offset(m.group("zone"), facts.at)
            if not shift or m.group(0) in old:
                continue
            store.append(Shifted(w.target, " ".join(m.group(0).split())[:120], m.group("zone"), shift, line[:200],
                                 pod, str(w.change.get("at")), w.minutes_before, w.evidence))
            break


def found(facts: Facts) -> list[Shifted]:
    """What `read` kept (pure: the reads decide)."""
    return list(facts.reads.get(READS) or [])


def finding(s: Shifted) -> dict[str, Any]:
    """The directive and how far it moves the events first, then the workload's own naive line."""
    minutes = int(abs(s.shift).total_seconds() // 60)
    where = "in the past" if s.shift > timedelta(0) else "in the future"
    message = (f"{s.target} was written {minutes_text(s.minutes_before)} before the incident and its timestamp "
               f"parsing now reads naive times in {s.zone} ({s.directive}): {s.pod} logs times with no offset "
               f"('{s.workload_line[:120]}'), so the pipeline's date filter indexes each event {minutes_text(minutes)} "
               f"{where} and the recent window of the log search is empty while the workload keeps logging. The "
               f"service is not down; the gap is the timezone of the log pipeline. Set the zone the app logs in "
               f"(UTC) or have the app write an offset")
    return {"check": CHECK, "severity": "warning",
            "object": {"kind": s.target.kind, "namespace": s.target.namespace, "name": s.target.name},
            "reason": "LogTimezoneShift", "message": message, "evidence": [s.directive, s.workload_line[:200]],
            "details": {"zone": s.zone, "shift_minutes": int(s.shift.total_seconds() // 60), "at": s.at}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the pipeline object, its finding, evidence ids, nothing else) for `agent.triage.behind`."""
    return [(s.target, finding(s), s.evidence, []) for s in found(facts)]
