"""Fork-based snapshots switched on in an in-memory store shortly before its callers began to time out.

Redis and its forks (Valkey, KeyDB) write a point-in-time snapshot (RDB) by forking the server: `save <seconds>
<changes>` schedules one whenever that many keys changed in that many seconds, and `BGSAVE` asks for one now.
The fork copies the parent's page tables, and the server answers nobody while it does: on a dataset of tens of GB
that is hundreds of milliseconds (the server's `latest_fork_usec`), and once a minute on a busy cache. Nothing
errors on the store's side; its clients see the stall as timeouts or as slow calls that recur with the schedule.

So the class needs two halves: a write in the change history whose NEW side switches such a snapshot on (a
workload's args or command, a config file's `save` line, a job that now calls `BGSAVE`) where the old side had
none (`--save ""` is the switch that turns snapshots OFF and is never a suspect), and callers that time out or
log slow calls after it. When a fork-duration series can be read, its step after the write is quoted; it is the
store's own measure of the stall, not a condition (a scrape nobody set up must not silence the class).
`read` asks the metrics store for that series; `found` is pure over the facts.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from agent.triage import limit_hit, prom_reads
from agent.triage.facts import Facts, LogEvidence, Ref, minutes_text, parse_time, said_by

Call = Callable[..., Awaitable[Any]]

CHECK = "store.snapshot_fork"
WEIGHT = 0.88
"""Above a per-request cost guessed from a setting (0.85): the write switched on a documented stall, the callers
time out after it."""
WINDOW = timedelta(hours=12)
"""How long before the alert the write may be: a schedule shows at the first busy minute after it."""
SLACK = timedelta(minutes=2)
READS = "snapshot_fork"
FORK_SERIES = '{__name__=~"(redis|valkey|keydb)_latest_fork_(usec|seconds)"}'
"""The fork duration the common Redis-protocol exporters publish (microseconds or seconds)."""

SCHEDULE = re.compile(r"\bsave\b\W{0,4}(?P<pairs>\d+\s+\d+(?:\s+\d+\s+\d+)*)", re.I)
"""A snapshot schedule: `save 60 1000` in a config file, `--save "900 1 300 10"` in args (list or string)."""
FORCED = re.compile(r"\b(?:BGSAVE|BGREWRITEAOF)\b", re.I)
"""A command that forks for a snapshot now (a job or hook that calls it on a schedule)."""
APPEND_ONLY = re.compile(r"\bappendonly\W{0,4}yes\b", re.I)
"""The append-only file switched on (`appendonly yes`, `--appendonly yes`, `["--appendonly", "yes"]`): the server
forks at once to write the first file and again at each automatic rewrite, the same stall as a snapshot."""
TIMEOUT = re.compile(r"timed? ?out|timeout|deadline exceeded|\b504\b|context canceled", re.I)
SLOW = re.compile(r"\bslow (?:call|command|request|query)\b|\blatency spike", re.I)
_ARROW = " -> "


def ts(at: datetime) -> str:
    """A time as the metrics tools take it."""
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Fork:
    """A write that switched fork-based snapshots on, the callers' timeout after it, and the fork time if read."""

    target: Ref
    said: str
    minutes_before: int
    log: LogEvidence
    timeout: str
    fork_ms: float | None
    evidence: list[str]


def switched_on(line: str) -> str | None:
    """The snapshot a diff line switches on: what its new side says (`save 60 1000`, `BGSAVE`) when its old side
    said no such thing; None for a line that keeps, removes or turns snapshots off."""
    old, new = line.split(_ARROW, 1) if _ARROW in line else ("", line)
    for pattern in (SCHEDULE, FORCED, APPEND_ONLY):
        now, before = pattern.search(new), pattern.search(old)
        if now is not None and before is None:
            return re.sub(r"\W+", " ", now.group(0)).strip()
    return None


def _timeout(facts: Facts, since: datetime | None = None) -> tuple[LogEvidence, str] | None:
    """A caller's timeout or slow call, first seen after `since` when given (an entry without a first time counts):
    timeouts older than the write are not its doing."""
    for log in limit_hit.all_logs(facts):
        for e in log.entries():
            text, first = said_by(e), parse_time(e.get("first_seen"))
            if (TIMEOUT.search(f"{text} {e.get('exception') or ''}") or SLOW.search(text)) \
                    and (since is None or first is None or first >= since - SLACK):
                return log, text[:200]
    return None


def _writes(facts: Facts) -> list[tuple[Ref, dict[str, Any], str, str]]:
    """(object, change, what it switched on, evidence id) of recent writes whose diff switches a snapshot on."""
    out: list[tuple[Ref, dict[str, Any], str, str]] = []
    for change, evidence_id, target in facts.writes_to(None, within=WINDOW, deletions=False):
        said = next((s for s in map(switched_on, (str(d) for d in change.get("diff") or [])) if s), None)
        if said is not None and not any(t.same_object(target) for t, *_ in out):
            out.append((target, change, said, evidence_id))
    return out


async def read(facts: Facts, call: Call) -> None:
    """When a recent write switched snapshots on and callers time out: the fork-duration series since then."""
    writes = _writes(facts)
    if not writes or _timeout(facts) is None:
        return
    first = min(at for _, c, *_ in writes if (at := parse_time(c.get("at"))) is not None)
    got = await call("prom_query_range", {"query": FORK_SERIES, "start": ts(first - timedelta(minutes=30)),
                                          "end": ts(facts.at), "step": prom_reads.RANGE_STEP, "baseline": "none"},
                     "survey-snapshot-fork")
    if got is None or not got.ok or not isinstance(got.data, dict):
        return
    peaks = [(str((s.get("labels") or {}).get("__name__") or ""), float(s["max"]))
             for s in got.data.get("series") or [] if isinstance(s, dict) and isinstance(s.get("max"), (int, float))]
    if peaks:
        facts.reads[READS] = {"peaks": peaks, "evidence": got.evidence_id}


def fork_ms(facts: Facts) -> tuple[float | None, str | None]:
    """The longest fork the store measured in the window, in ms (a `_usec` or a `_seconds` series), with the read's
    evidence id."""
    store = facts.reads.get(READS) or {}
    peaks = [value / 1000.0 if name.endswith("usec") else value * 1000.0 for name, value in store.get("peaks") or []]
    return (max(peaks), store.get("evidence")) if peaks else (None, None)


def found(facts: Facts) -> list[Fork]:
    """The newest recent write that switched fork-based snapshots on, when callers time out after it."""
    out: list[Fork] = []
    for target, change, what, evidence_id in _writes(facts):
        at = parse_time(change.get("at"))
        timeout = _timeout(facts, at) if at is not None and at <= facts.at else None
        if at is None or timeout is None:
            continue
        log, said = timeout
        fork, fork_id = fork_ms(facts)
        out.append(Fork(target, what, int((facts.at - at).total_seconds() // 60), log, said, fork,
                        [e for e in (evidence_id, log.evidence_id, fork_id) if e]))
    return sorted(out, key=lambda f: f.minutes_before)[:1]


def finding(f: Fork) -> dict[str, Any]:
    """The write and the snapshot it switched on first, then the stall and the callers' timeouts."""
    stall = f" The store measured a fork of {f.fork_ms:.0f} ms since." if f.fork_ms else ""
    return {
        "check": CHECK, "severity": "critical", "reason": "SnapshotFork",
        "object": {"kind": f.target.kind, "namespace": f.target.namespace, "name": f.target.name},
        "message": (f"{f.target} switched on fork-based snapshots ({f.said}) {minutes_text(f.minutes_before)} "
                    f"before the alert: each snapshot (BGSAVE) forks the whole dataset and the server answers "
                    f"nobody while the fork copies its memory map, so callers time out with the schedule.{stall} "
                    f"{f.log.pod}'s logs say '{f.timeout}'. Turn the snapshots off on this cache (save \"\") "
                    "or move them to a replica"),
        "evidence": [f.said],
        "details": {"switched_on": f.said, "minutes_before": f.minutes_before,
                    "fork_ms": f.fork_ms},
    }


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], LogEvidence, list[str]]]:
    """(written object, finding, the callers' log, evidence ids) for rank."""
    return [(f.target, finding(f), f.log, f.evidence) for f in found(facts)]
