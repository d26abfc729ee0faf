"""A sink's flush settings written so it writes only on size: its time-based flush gone, output stops landing.

Sinks that batch records into files or objects (Kafka Connect's S3/GCS/HDFS/Azure storage sinks, Logstash's s3
output, Vector's and Fluent Bit's object-store sinks) close a file when it holds enough records (`flush.size`,
`size_file`, `batch.max_events`) or when enough time has passed (`rotate.schedule.interval.ms`,
`rotate.interval.ms`, `time_file`). With the time-based flush gone and only a size left, a partition that does not
reach that size soon writes nothing: no file lands, no offset is committed, the consumer lag climbs, and the
connector reports RUNNING because nothing failed. The alert names the output (a table's newest partition is hours
old, a bucket prefix is empty); the newest change nearby is usually a query engine's or a reader's rollout.

So: a write within `LEAD` whose diff touches a flush key and after which the object, read back, flushes by size
only: a time key the write removed or set to 0/-1 where leaving it out turns the time-based flush off (Kafka
Connect's storage sinks' `rotate.interval.ms`, `rotate.schedule.interval.ms`; Logstash `time_file` 0), and no other
time key left on; when the incident is about output arriving late (late, stale, old, not landed, lag, freshness)
and names a topic, table, stream or bucket the object's config names. The finding names the object, its size
threshold and the time flush it lost. Twins: a time-based flush kept (a size raised beside a rotation interval), a
time key whose absence means a default interval (Fluent Bit `upload_timeout`), an incident about something the
config does not name, a write older than `LEAD`. Reading only; `suspects` is pure over what `read` kept.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time, written_by
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject

Call = Callable[..., Awaitable[Any]]

CHECK = "change.flush_starved"
WEIGHT = 0.94
"""Above a reader's or query engine's rollout next to the late output."""
STORE = "flush_starved"
LEAD = timedelta(hours=48)
HISTORY_WINDOW = "48h"
MAX_WRITES = 3

SIZE_KEYS = frozenset({"flush.size", "flush_size", "size_file", "batch.max_events", "batch.max_bytes",
                       "total_file_size", "max_file_size", "file.size"})
"""Keys that close a file by how much it holds (records or bytes)."""
TIME_OFF_WHEN_ABSENT = frozenset({"rotate.interval.ms", "rotate.schedule.interval.ms"})
"""Time keys whose absence turns the time-based flush off (Kafka Connect storage sinks default to -1)."""
TIME_KEYS = TIME_OFF_WHEN_ABSENT | {"time_file", "upload_timeout", "batch.timeout_secs", "flush_interval",
                                    "rollover_interval", "rolloverInterval", "flush.interval.ms"}
"""Keys that close a file by time; a 0 or -1 turns most of them off."""
LATE = re.compile(r"late|stale|old|fresh|landed|lag|behind|missing|delay|no-data|empty|arriv", re.I)
"""An incident about output not arriving."""
NAMES_KEY = re.compile(r"topics?|table|stream|index|bucket|prefix|path|dataset", re.I)
"""Config keys whose values name what the sink reads or writes."""


@dataclass
class Starved:
    """A sink written to flush by size only, and what it names that the incident names too."""

    target: Ref
    written: datetime
    by: str
    size_key: str
    size: str
    lost: str
    named: str
    evidence: list[str] = field(default_factory=list)


def flat(value: Any, path: str = "") -> dict[str, str]:
    """Every scalar under an object as last-key -> value (a connector's `config`, a ConfigMap's data), plus the
    `key = value` / `key: value` lines of text values (a config file held in a ConfigMap)."""
    out: dict[str, str] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            out.update(flat(item, f"{path}.{key}" if path else str(key)))
    elif isinstance(value, list):
        for item in value:
            out.update(flat(item, path))
    elif value is not None:
        text = str(value)
        key = path.rsplit(".", 1)[-1] if path else ""
        if "\n" in text:
            for m in re.finditer(r"(?m)^\s*([A-Za-z_][\w.]*)\s*(?:=>|=|:|\s)\s*\"?([^\s\"#]+)", text):
                out.setdefault(m.group(1), m.group(2))
        out[key] = text
        for known in (*SIZE_KEYS, *TIME_KEYS):  # dotted keys of a connector config are one key, not a path
            if path.endswith("." + known) or path == known:
                out[known] = text
    return out


def _off(value: str | None) -> bool:
    return value is not None and value.strip().strip("'\"") in ("0", "-1", "")


def _written_keys(change: dict[str, Any]) -> dict[str, str]:
    """Flush keys the write's diff touches -> what it did ('removed', or the value written)."""
    out: dict[str, str] = {}
    for line in [str(d) for d in change.get("diff") or []]:
        for key in (*SIZE_KEYS, *TIME_KEYS):
            m = re.search(rf"(?:^|[.\s]){re.escape(key)}['\"]?(?:\s*(?:=>|=|:)\s*|\s+)['\"]?([^\s'\",]*)", line)
            if m:
                out[key] = "removed" if line.rstrip().endswith("removed") else m.group(1)
    return out


def starved(obj: dict[str, Any], touched: dict[str, str]) -> tuple[str, str, str] | None:
    """(size key, size, time flush lost) when the object now flushes by size only and the write did that."""
    values = flat({k: v for k, v in obj.items() if k in ("spec", "data")})
    size_key = next((k for k in sorted(SIZE_KEYS) if values.get(k) not in (None, "")), "")
    if not size_key or not touched:
        return None
    on = [k for k in TIME_KEYS if k in values and not _off(values[k])]
    if on:
        return None
    lost = next((k for k, did in touched.items() if k in TIME_KEYS and (
        (did == "removed" and k in TIME_OFF_WHEN_ABSENT) or _off(did))), "")
    if not lost:
        return None
    did = "removed" if touched[lost] == "removed" else f"set to {touched[lost]}"
    return size_key, values[size_key], f"{lost} {did}"


def _named(subject: Subject, obj: dict[str, Any]) -> str:
    """A topic, table, stream or bucket the object's config names that the incident names too."""
    words = {n.lower() for n in subject.names} | {n.lower().rsplit(".", 1)[-1] for n in subject.names}
    for key, value in flat({k: v for k, v in obj.items() if k in ("spec", "data")}).items():
        if not NAMES_KEY.search(key):
            continue
        for token in re.split(r"[,\s/]+", value.lower()):
            if len(token) >= 4 and token in words:
                return token
    return ""


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: each write within LEAD touching a flush key, read back, when the incident is about late
    output."""
    if STORE in facts.reads:
        return
    store: list[Starved] = facts.reads.setdefault(STORE, [])
    if not LATE.search(" ".join([*subject.names, *subject.phrases])):
        return
    if not facts.history_reaches(LEAD):
        got = await call("k8s_changes", {"at": at, "window": HISTORY_WINDOW}, "survey-flush-starved-history")
        if got is not None and got.ok and isinstance(got.data, dict):
            facts.history.append(({**got.data, "window": HISTORY_WINDOW}, got.evidence_id))
    done: list[Ref] = []
    for change, evidence, target in facts.writes_to(None, within=LEAD, deletions=False):
        touched = _written_keys(change)
        if not touched or any(d.same_object(target) for d in done) or len(done) >= MAX_WRITES:
            continue
        done.append(target)
        when = parse_time(change.get("at"))
        got = await get_yaml(call, target.kind, target.name, target.namespace, f"survey-flush-starved-{target.name}")
        if got is None or when is None:
            continue
        found = starved(got[0], touched)
        named = _named(subject, got[0]) if found else ""
        if found and named:
            store.append(Starved(target, when, written_by(change), found[0], found[1], found[2], named,
                                 [e for e in (evidence, got[1]) if e]))


def finding(hit: Starved, at: datetime) -> dict[str, Any]:
    """What the settings mean first (files close only at the size, so a partition below it writes nothing)."""
    ago = minutes_text(int((at - hit.written).total_seconds() // 60))
    by = f" by {hit.by}" if hit.by else ""
    message = (f"{hit.target} was written{by} {ago} before the incident: {hit.size_key} = {hit.size} with "
               f"{hit.lost} (no time-based rotation left), so it writes a file and commits offsets only "
               f"once a partition holds {hit.size} records: at this rate none lands for hours, the consumer lag "
               f"of '{hit.named}' climbs and the sink still reports RUNNING. Restore a time-based flush "
               f"({hit.lost.split()[0]}) or a {hit.size_key} the partitions reach")
    return {"check": CHECK, "severity": "critical", "reason": "FlushStarved",
            "object": {"kind": hit.target.kind, "namespace": hit.target.namespace, "name": hit.target.name},
            "message": message, "evidence": [f"{hit.size_key} = {hit.size}", hit.lost],
            "details": {"size_key": hit.size_key, "size": hit.size, "lost": hit.lost, "named": hit.named,
                        "written": hit.written.isoformat().replace("+00:00", "Z")}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The sink written to flush by size only, for the late output the incident names."""
    out: list[tuple[Ref, dict[str, Any], list[str], list[Ref]]] = []
    for hit in facts.reads.get(STORE) or []:
        if isinstance(hit, Starved) and all(not o[0].same_object(hit.target) for o in out):
            out.append((hit.target, finding(hit, facts.at), hit.evidence, [hit.target]))
    return out
