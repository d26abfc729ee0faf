"""A store's grace period cut below its shutdown save: SIGKILL comes first, and it restarts from stale state.

Several stores write their state to disk as they stop: Redis, Valkey and KeyDB save an RDB snapshot on SIGTERM
(`save` configured), Kafka writes its clean-shutdown marker after flushing its logs, MySQL/InnoDB and PostgreSQL
checkpoint, MongoDB closes its journal. Kubernetes waits `terminationGracePeriodSeconds` after SIGTERM and then
sends SIGKILL. A revision that lowers the grace period below how long that final write takes breaks nothing while the
pod runs: at its next restart (often the very rollout the write starts) the kill lands mid-save, and the new pod
starts from what was on disk before, in the store's own words: Redis `RDB age 20870 seconds` (a snapshot hours old
instead of seconds), `AOF loaded anyway because aof-load-truncated`; Kafka `no clean shutdown file was found`;
MySQL `Database was not shutdown normally`; PostgreSQL `database system was interrupted`; MongoDB `Detected unclean
shutdown`; RabbitMQ `unclean shutdown`. Readers then find recent data missing (sessions `not found`, keys gone).

Named: the workload whose revision lowered the grace period within LEAD, when a pod of it, started after that write,
says it came up from stale or unclean state. Twins: a lowered grace period whose store still saved on the way down
(`RDB age 4 seconds`, Kafka's clean-shutdown file found, PostgreSQL `database system was shut down at`), a raised
grace period, a stale start with no grace write. Reading only: the written workload's pods' logs since the write.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import has_run, rows_of
from agent.triage.subject import Subject, workload_of_pod

CHECK = "workload.final_save_cut"
WEIGHT = 0.93
"""The grace write is what to revert: the readers' missing data and the store's stale start both follow from it."""
STORE = "final_save_cut"
LEAD = timedelta(hours=12)
"""How old the grace write may be: its harm lands at the next restart of the store's pods."""
STALE_AGE = 600
"""Seconds: a snapshot saved on the way down is as old as the restart gap (seconds to a minute or two)."""
MAX_WRITES = 2
MAX_PODS = 2
LOG_TAIL = 2000
WORKLOADS = ("StatefulSet", "Deployment", "DaemonSet")
Call = Callable[..., Awaitable[Any]]

_GRACE = re.compile(r"terminationGracePeriodSeconds '?(\d+|unset|None)'? -> '?(\d+|unset|None)'?")
"""The rollout diff's line: `pod terminationGracePeriodSeconds '120' -> '10'` (unset means Kubernetes' 30)."""
DEFAULT_GRACE = 30

_SNAPSHOT_AGE = re.compile(r"\bRDB age (\d+) seconds?", re.I)
"""Redis, Valkey and KeyDB on loading their snapshot: how old it is."""
_UNCLEAN = re.compile(
    r"AOF loaded anyway because aof-load-truncated|short read while loading the AOF|Bad file format reading the "
    r"append only file|no clean shutdown file was found|Database was not shut ?down normally|database system was "
    r"interrupted|was not properly shut down; automatic recovery in progress|Detected unclean shutdown|"
    r"after (?:an )?unclean shutdown|recovering from (?:an )?unclean shutdown", re.I)
"""Stores' words for a start whose previous stop never finished writing: Redis AOF, Kafka, MySQL, PostgreSQL,
MongoDB, RabbitMQ."""
_STAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z)")


def _seconds(value: str) -> int:
    return int(value) if value.isdigit() else DEFAULT_GRACE


def lowered(facts: Facts) -> list[tuple[dict[str, Any], Ref, int, int]]:
    """(change, workload, old grace, new grace) for each revision within LEAD that lowered the grace period."""
    out: list[tuple[dict[str, Any], Ref, int, int]] = []
    for change in facts.change_list():
        target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if target is None or at is None or target.kind not in WORKLOADS or not facts.at - LEAD <= at <= facts.at:
            continue
        for line in change.get("diff") or []:
            m = _GRACE.search(str(line))
            if m and _seconds(m.group(2)) < _seconds(m.group(1)) and \
                    not any(t.same_object(target) for _, t, _, _ in out):
                out.append((change, target, _seconds(m.group(1)), _seconds(m.group(2))))
    return out


def stale_lines(text: str, since: datetime) -> list[str]:
    """The lines, stamped at or after `since` (unstamped lines count), that say the store started from stale or
    unclean state."""
    out = []
    for line in text.splitlines():
        stamp = _STAMP.match(line.strip())
        when = parse_time(stamp.group(1)) if stamp else None
        if when is not None and when < since:
            continue
        age = _SNAPSHOT_AGE.search(line)
        if (age and int(age.group(1)) >= STALE_AGE) or _UNCLEAN.search(line):
            out.append(line.strip())
    return out


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, for each lowered grace period: the logs since the write of the written workload's pods."""
    if STORE in facts.reads:
        return
    facts.reads[STORE] = store = {}
    for change, target, _, _ in lowered(facts)[:MAX_WRITES]:
        listed = await call("k8s_list", {"kind": "Pod", "namespace": target.namespace},
                            f"survey-final-save-pods-{target.name}")
        pods = [str(r.get("name")) for r in rows_of(listed) if has_run(r) and (
                workload_of_pod(str(r.get("name"))) == target.name or str(r.get("name")).startswith(target.name + "-"))]
        for pod in pods[:MAX_PODS]:
            got = await call("k8s_logs", {"name": pod, "namespace": target.namespace, "tail": LOG_TAIL,
                                          "since_time": str(change.get("at"))}, f"survey-final-save-logs-{pod}")
            when = parse_time(change.get("at"))
            if got is None or not got.ok or when is None:
                continue
            lines = stale_lines(str(got.full_text or got.text or ""), when)
            if lines:
                store[str(target)] = {"pod": pod, "lines": lines[:3], "evidence": got.evidence_id}
                break


@dataclass
class Cut:
    """A lowered grace period and the store's own start after it, from stale or unclean state."""

    workload: Ref
    old: int
    new: int
    at: datetime
    pod: str
    said: list[str]
    evidence: list[str] = field(default_factory=list)


def found(facts: Facts) -> list[Cut]:
    """Each lowered grace period whose workload's pod then started from stale or unclean state."""
    seen = facts.reads.get(STORE) or {}
    out = []
    for change, target, old, new in lowered(facts):
        kept, at = seen.get(str(target)), parse_time(change.get("at"))
        if kept and at is not None:
            out.append(Cut(target, old, new, at, kept["pod"], kept["lines"],
                           [e for e in (facts.changes_id, kept["evidence"]) if e]))
    return out


def _quote(line: str) -> str:
    """The store's own words: from the stale-state phrase on (a Redis line's prefix is pid, role and a second
    timestamp), cut short."""
    m = _SNAPSHOT_AGE.search(line) or _UNCLEAN.search(line)
    return " ".join((line[m.start():] if m else _STAMP.sub("", line)).split())[:120]


def finding(cut: Cut, at: datetime) -> dict[str, Any]:
    """The write and the stale start first: the first 400 characters are what ranking quotes."""
    age = next((int(m.group(1)) for line in cut.said if (m := _SNAPSHOT_AGE.search(line))), None)
    stale = f" (a snapshot {minutes_text(age // 60)} old, not saved on the way down)" if age is not None else ""
    message = (f"{cut.workload}'s revision {minutes_text(int((at - cut.at).total_seconds() // 60))} before the "
               f"alert lowered terminationGracePeriodSeconds from {cut.old} to {cut.new}: SIGKILL came before the "
               f"store's final save on SIGTERM finished, so {cut.pod} started from stale state: "
               f"'{_quote(cut.said[0])}'{stale}. Data written since is gone and its readers find it missing (an "
               f"RDB snapshot, a log flush or a checkpoint cut); give the grace period back, longer than a save takes")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": cut.workload.kind, "namespace": cut.workload.namespace, "name": cut.workload.name},
            "reason": "FinalSaveCutByGracePeriod", "message": message, "evidence": [_quote(x) for x in cut.said],
            "details": {"old_grace": cut.old, "new_grace": cut.new, "pod": cut.pod}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the workload whose grace period was lowered, its finding, evidence ids, its pod) for agent.triage.behind."""
    return [(c.workload, finding(c, facts.at), c.evidence, [Ref("Pod", c.workload.namespace, c.pod)])
            for c in found(facts)]
