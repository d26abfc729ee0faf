"""One writer's batch shape shrunk, and a shared store refusing every writer's writes for the request count.

A store that many services write to is sized for batched writes, and some refuse the whole table or node when one
writer turns its batches into single records:

- ClickHouse: every INSERT creates a part; background merges fold them together. A writer that inserts one row per
  INSERT (batch size 1, flush interval 0, async inserts off) creates parts faster than merges can fold them; past
  `parts_to_delay_insert` the server delays inserts ("Delaying inserting block ... because there are N parts"), past
  `parts_to_throw_insert` it refuses every insert into that partition with "Too many parts ... Merges are processing
  significantly slower than inserts" (Code 252, TOO_MANY_PARTS), whoever sends it.
- Elasticsearch/OpenSearch: one document per bulk request multiplies the requests the write thread pool queues; once
  its queue is full, everyone's indexing is rejected (`es_rejected_execution_exception`, "rejected execution of ...
  write", HTTP 429).

The writer that pages is usually a victim sending well-sized batches; the cause is another writer (or its own new
revision) whose write shrank a batch-shape setting (`*BATCH*`, `*BULK*`, `*FLUSH*`, `linger.ms`, `async_insert`) by
ten times or more, or turned an interval to 0, in the hours before the first refusal. A batch that grew, a shrink on a
workload that does not talk to the store, or refusals that began before the write are not this class.

`read` (reading only) reads the spec of each workload whose write shrank such a setting, to see whether it talks to
the store; `found` is pure over the facts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, LogEvidence, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject, workload_of_pod

Call = Callable[..., Awaitable[Any]]

CHECK = "change.writer_batch_shrunk"
WEIGHT = 0.94
"""The writer whose batches shrank outranks the store's refusals quoted by every other writer."""
READS = "writer_batch"
WINDOW = timedelta(hours=6)
SLACK = timedelta(minutes=2)
SHRINK = 10.0
"""A batch at least ten times smaller makes ten times the requests (parts, bulk requests) for the same data."""
WORKLOADS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "CronJob", "Job"})


@dataclass(frozen=True)
class Store:
    """A store that refuses every writer when one sends too many tiny writes, in its own words."""

    name: str
    words: re.Pattern[str]
    """The store's name as a client's config carries it (env key prefix, host, image)."""
    refusal: re.Pattern[str]
    does: str


STORES: tuple[Store, ...] = (
    Store("ClickHouse", re.compile(r"clickhouse|\bch[_-]", re.I),
          re.compile(r"Too many parts|TOO_MANY_PARTS|Delaying inserting block|parts_to_(?:throw|delay)_insert|"
                     r"ClickHouse (?:server )?error code:? 252\b|\bCode: 252\. DB::Exception|"
                     # max_concurrent_queries reached by many tiny INSERTs (code 202; clickhouse-go, JDBC, sinkers)
                     r"Too many simultaneous queries|TOO_MANY_SIMULTANEOUS_QUERIES", re.I),
          "each INSERT makes a part and merges cannot keep up with so many tiny inserts, so ClickHouse refuses every "
          "writer's inserts with Too many parts (TOO_MANY_PARTS, code 252)"),
    Store("Elasticsearch", re.compile(r"elasticsearch|opensearch|elastic|\bes[_-]", re.I),
          re.compile(r"es_rejected_execution_exception|rejected execution of .{0,200}(?:write|bulk)|"
                     # indexing pressure (ES 7.9+, OpenSearch, whose type is rejected_execution_exception): only
                     # writes take these stages; a search pool's rejection is not this class
                     r"rejected execution of (?:coordinating|primary|replica) operation", re.I | re.S),
          "each tiny bulk request takes a slot in the write thread pool's queue, so once it is full Elasticsearch "
          "rejects every writer's indexing (es_rejected_execution_exception, 429)"),
)

SHAPE_KEY = re.compile(r"batch|bulk|flush|linger|chunk|max[_.-]?rows|rows[_.-]?per|buffer[_.-]?(?:size|rows|max)|"
                       r"async[_.-]?insert", re.I)
"""Settings that shape how many records one write request carries, or how long a writer gathers them."""
INTERVAL_KEY = re.compile(r"interval|linger|period|wait|delay|timeout|_ms\b|_ms$|seconds?\b|_s$", re.I)
_DIFF = re.compile(r"(?P<key>[A-Za-z_][\w.-]*)\s*[=:]\s*'?(?P<old>[\w.-]*)'?\s*->\s*(?:(?P=key)\s*[=:]\s*)?"
                   r"'?(?P<new>[\w.-]*)'?")
_OFF = {"0", "false", "off", "no", "disabled"}
_ON = {"1", "true", "on", "yes", "enabled"}


@dataclass
class Shrunk:
    """A workload write that shrank a writer's batches, and the store's refusal that followed."""

    store: Store
    target: Ref
    change: dict[str, Any]
    settings: list[tuple[str, str, str]]
    onset: datetime
    line: str
    victims: list[Ref]
    evidence: list[str] = field(default_factory=list)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def shrinks(change: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(key, old, new) of each batch-shape setting a write made ten times smaller, turned to 0, or (async inserts)
    turned off."""
    out: list[tuple[str, str, str]] = []
    for line in [str(d) for d in change.get("diff") or []] or [str(change.get("summary") or "")]:
        for m in _DIFF.finditer(line):
            key, old, new = m.group("key"), m.group("old"), m.group("new")
            if not SHAPE_KEY.search(key):
                continue
            if re.search(r"async[_.-]?insert", key, re.I):
                if old.lower() in _ON and new.lower() in _OFF:
                    out.append((key, old, new))
                continue
            before, after = _number(old), _number(new)
            if before is None or after is None or before <= 0:
                continue
            if (after == 0 and INTERVAL_KEY.search(key)) or 0 < after <= before / SHRINK:
                out.append((key, old, new))
    return out


def _store(facts: Facts) -> dict[str, Any]:
    return facts.reads.setdefault(READS, {})


def refusal(log: LogEvidence) -> tuple[Store, datetime | None, str] | None:
    """The store refusal a log shows first: (store, first seen, the line). A line without a time of its own (the
    last lines, an entry the parser gave none) takes the log's earliest error time."""
    best: tuple[Store, datetime | None, str] | None = None
    times = [t for e in log.entries() if e and (t := parse_time(e.get("first_seen"))) is not None]
    earliest = min(times, default=None)
    texts = [(" ".join(str(e.get(k) or "") for k in ("example", "message")), parse_time(e.get("first_seen")))
             for e in log.entries() if e] + [(ln, None) for ln in log.last_lines]
    for text, seen in texts:
        when = seen or earliest
        for store in STORES:
            if store.refusal.search(text) and (best is None or (when is not None and (best[1] is None or
                                                                                     when < best[1]))):
                best = (store, when, " ".join(text.split()))
    return best


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, when a log shows a store refusing writes for their count: the spec of each workload whose write
    before the first refusal shrank a batch-shape setting (does it talk to that store?)."""
    refused = [(log, r) for log in facts.logs if (r := refusal(log)) is not None]
    if not refused:
        return
    onset = min((r[1] for _, r in refused if r[1] is not None), default=facts.at)
    store = _store(facts)
    for change, evidence in facts.every_change():
        ref, when = Ref.of(change.get("object")), parse_time(change.get("at"))
        if ref is None or when is None or ref.kind not in WORKLOADS or not onset - WINDOW <= when <= onset + SLACK \
                or not shrinks(change):
            continue
        got = await get_yaml(call, ref.kind, ref.name, ref.namespace, f"survey-writer-batch-{ref.name}")
        spec = json.dumps((got[0].get("spec") or {}), default=str) if got is not None else ""
        store.setdefault("writers", []).append({"ref": [ref.kind, ref.namespace, ref.name], "change": change,
                                                "spec": spec[:20000], "evidence": [e for e in (
                                                    evidence, got[1] if got else "") if e]})


def _talks_to(text: str, store: Store, hosts: list[str]) -> bool:
    return bool(store.words.search(text)) or any(re.search(rf"(?<![\w-]){re.escape(h)}(?![\w-])", text)
                                                 for h in hosts)


def found(facts: Facts) -> list[Shrunk]:
    """Writers whose batches shrank before a store they talk to began refusing every writer's writes."""
    refused = [(log, r) for log in facts.logs if (r := refusal(log)) is not None]
    out: list[Shrunk] = []
    for entry in _store(facts).get("writers") or []:
        ref, change = Ref(*entry["ref"]), entry["change"]
        when = parse_time(change.get("at"))
        settings = shrinks(change)
        if when is None or not settings:
            continue
        text = f"{change.get('summary') or ''} {' '.join(str(d) for d in change.get('diff') or [])} {entry['spec']}"
        for log, (store, first, line) in refused:
            hosts = [h.split(":")[0].split(".")[0] for h in log.hosts if h and not h[:1].isdigit()]
            onset = first or facts.at
            if onset < when - SLACK or not _talks_to(text, store, hosts):
                continue  # refusals before the write, or a writer of some other store
            hit = next((s for s in out if s.target.same_object(ref)), None)
            victim = Ref("Deployment", log.namespace, workload_of_pod(log.pod))
            if hit is None:
                out.append(Shrunk(store, ref, change, settings, onset, line, [victim],
                                  [*entry["evidence"], log.evidence_id]))
            elif victim not in hit.victims:
                hit.victims.append(victim)
    return out


def _quote(line: str, store: Store) -> str:
    m = store.refusal.search(line)
    start = max(0, (m.start() if m else 0) - 40)
    return ("..." if start else "") + line[start:start + 150]


def finding(s: Shrunk) -> dict[str, Any]:
    """The writer and what its write means first (the ranking quotes ~400 characters), then the refusal."""
    when = parse_time(s.change.get("at"))
    ahead = minutes_text(int((s.onset - when).total_seconds() // 60)) if when else "?"
    what = ", ".join(f"{k} {o} -> {n}" for k, o, n in s.settings[:3])
    others = ", ".join(v.name for v in s.victims if v.name != s.target.name)
    message = (f"{s.target} now writes to the shared {s.store.name} in tiny batches ({what}, written at "
               f"{str(s.change.get('at'))[11:16]}): {s.store.does}. The refusals began {ahead} after the write"
               + (f" and hit other writers too ({others})" if others else "")
               + f": '{_quote(s.line, s.store)}'. Restore {s.target.name}'s batch size and flush interval "
               "(or buffer inserts: ClickHouse async_insert, a Buffer table)")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": s.target.kind, "namespace": s.target.namespace, "name": s.target.name},
            "reason": "WriterBatchShrunk", "message": message,
            "evidence": [str(s.change.get("summary") or "")[:300], s.line[:300]],
            "details": {"store": s.store.name, "settings": s.settings, "onset": s.onset.isoformat()}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the writer, finding, evidence ids, the writers refused) for the ranking."""
    return [(s.target, finding(s), s.evidence, s.victims) for s in found(facts)]
