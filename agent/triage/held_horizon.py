"""A long-running transaction that holds the database's cleanup horizon, opened by a batch job's run.

PostgreSQL's VACUUM may remove a dead row version only when no open transaction could still see it: the
oldest snapshot in the cluster (the xmin horizon, held by a long transaction, an idle-in-transaction session, a
replication slot or a prepared transaction) is the limit. A job that opens one REPEATABLE READ / SERIALIZABLE
transaction for a consistent export (`pg_dump`, a "snapshot" mode, `START TRANSACTION WITH CONSISTENT SNAPSHOT`)
and runs for hours stops that horizon; autovacuum keeps running yet logs `tuples: 0 removed, ... N are dead but
not yet removable` (`oldest xmin` / `removable cutoff ... XIDs old`), dead tuples pile up on the update-heavy
tables, their heap and indexes bloat and every query on them slows. Nobody errors: the symptom is latency on an
unrelated API. The same holds for MySQL/InnoDB, whose purge stops behind the oldest read view (history list
length grows).

The proof is time: postgres_exporter's `pg_stat_activity_max_tx_duration` (the age of the oldest open
transaction) says when the holder began, and the batch Job whose run started then (within minutes) is the
holder; the Job's CronJob is named, with its recent write when the timeline shows one. Nothing is named when the
oldest transaction is young (under 30 min), when no Job started near its start, or when the Job's run ended before
the alert. Reading only: the exporter's gauge, the Job list, one Job, its pod's logs; Secrets are never read.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, LogEvidence, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml

Call = Callable[..., Awaitable[Any]]

CHECK = "change.held_horizon"
WEIGHT = 0.9
"""A transaction whose start matches a job's run to minutes: above the slow queries it explains."""
READS = "held_horizon"
OLD = timedelta(minutes=30)
"""An oldest transaction younger than this holds nothing worth naming (autovacuum naps, reports run minutes)."""
TIE = timedelta(minutes=10)
"""How far a Job's start may be from the oldest transaction's start: a job opens its transaction at once."""
LEAD = timedelta(hours=48)
AGE = ("pg_stat_activity_max_tx_duration", "pg_stat_activity_max_tx_duration_seconds",
       "cnpg_backends_max_tx_duration_seconds", "cnp_backends_max_tx_duration_seconds")
"""Gauges of the seconds the oldest transaction (per database and state) has been open: postgres_exporter's
(also Percona PMM's), and CloudNativePG's default monitoring query `backends` (`cnpg_`, EDB's operator `cnp_`)."""

HELD = re.compile(r"dead but not yet removable|oldest xmin|removable cutoff|xmin horizon|"
                  r"nonremovable row versions|history list length", re.I)
"""The server's own wording for cleanup held back by an old snapshot."""
SNAPSHOT = re.compile(r"REPEATABLE READ|SERIALIZABLE|CONSISTENT SNAPSHOT|snapshot|single[-_ ]transaction|"
                      r"pg_dump|BEGIN\b|START TRANSACTION", re.I)
"""A job's own wording for opening one transaction for its whole run."""


@dataclass
class Holder:
    """The Job whose run opened the oldest transaction, its owner, and what the server says."""

    job: Ref
    owner: Ref | None
    started: datetime
    age: float
    said: str = ""
    held: str = ""
    change: str = ""
    gauge: str = AGE[0]
    """The gauge that measured the age, as the finding quotes it."""
    evidence: list[str] = field(default_factory=list)

    @property
    def target(self) -> Ref:
        return self.owner or self.job


def _store(facts: Facts) -> dict[str, Any]:
    return facts.reads.setdefault(READS, {})  # type: ignore[no-any-return]


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def _held(facts: Facts) -> tuple[str, str] | None:
    """A server log line in view saying cleanup is held back (autovacuum's dead-but-not-removable), with its id."""
    logs = [*facts.logs, *((facts.reads.get("limit_hit") or {}).get("logs") or []),
            *(_store(facts).get("logs") or [])]
    for log in (x for x in logs if isinstance(x, LogEvidence)):
        for e in [log.top or {}, *log.more, *log.warnings]:
            text = str(e.get("example") or e.get("message") or e.get("template") or "")
            m = HELD.search(text)
            if m:
                return " ".join(text[max(m.start() - 80, 0):m.end() + 40].split()), log.evidence_id
        for line in log.last_lines:
            if m := HELD.search(line):
                return " ".join(line[max(m.start() - 80, 0):m.end() + 40].split()), log.evidence_id
    return None


def _change_of(facts: Facts, ref: Ref) -> str:
    """The newest write to the job's owner in the histories read (what made its runs hold a snapshot)."""
    for change, _ in sorted(facts.every_change(), key=lambda c: str(c[0].get("at") or ""), reverse=True):
        target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if target is None or at is None or not target.same_object(ref) or facts.at - at > LEAD:
            continue
        diff = "; ".join(str(d) for d in (change.get("diff") or [])[:2])
        ago = minutes_text(int((facts.at - at).total_seconds() // 60))
        return f"{change.get('summary') or ''}{f' ({diff[:160]})' if diff else ''}, {ago} before the incident"
    return ""


def found(facts: Facts) -> list[Holder]:
    """The holder the survey's reads tied to the oldest transaction, completed with the server's wording."""
    holder = _store(facts).get("holder")
    if not isinstance(holder, Holder):
        return []
    held = _held(facts)
    if held is not None:
        holder.held = held[0]
        holder.evidence = list(dict.fromkeys([*holder.evidence, held[1]]))
    if holder.owner is not None:
        holder.change = _change_of(facts, holder.owner)
    return [holder]


def finding(h: Holder) -> dict[str, Any]:
    """The finding: the job, the transaction's age, what a held horizon means; the meaning first."""
    hours = minutes_text(int(h.age // 60))
    run = f"its run {h.job.name} " if h.owner is not None else ""
    message = (f"{h.target} holds a long-running transaction: {run}started {_iso(h.started)} and the oldest open "
               f"transaction is {hours} old ({h.gauge}), so the xmin horizon cannot advance; "
               "autovacuum cannot remove dead tuples ('dead but not yet removable'), update-heavy tables bloat and "
               "queries on them slow down")
    if h.held:
        message += f"; the server logs '{h.held[:180]}'"
    if h.said:
        message += f"; the job logs '{h.said[:160]}'"
    if h.change:
        message += f". {h.target} was changed: {h.change}"
    message += (f". End the transaction (pg_terminate_backend on its pid) and make {h.target.name} export without "
                "one snapshot for its whole run (or against a replica)")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": h.target.kind, "namespace": h.target.namespace, "name": h.target.name},
            "reason": "HeldCleanupHorizon", "message": message, "evidence": [h.held or h.said],
            "details": {"job": h.job.name, "age_seconds": h.age, "started": _iso(h.started)}}


# ---- reading ---------------------------------------------------------------------------------------------


def _samples(outcome: Any) -> list[dict[str, Any]]:
    if outcome is None or not outcome.ok or not isinstance(outcome.data, dict):
        return []
    return [s for s in outcome.data.get("samples") or [] if isinstance(s, dict)]


def tie(rows: list[dict[str, Any]], at: datetime, age: float) -> tuple[str, str, datetime] | None:
    """The Job (namespace, name, created) whose run started when the oldest transaction did, nearest first."""
    began = at - timedelta(seconds=age)
    best: tuple[timedelta, str, str, datetime] | None = None
    for row in rows:
        created = parse_time(row.get("created"))
        name, ns = str(row.get("name") or ""), str(row.get("namespace") or "")
        if created is None or not name or created > at:
            continue
        gap = abs(created - began)
        if gap <= TIE and (best is None or gap < best[0]):
            best = (gap, ns, name, created)
    return (best[1], best[2], best[3]) if best else None


async def read(facts: Facts, call: Call) -> None:
    """Reading only, a handful of calls, and only when the oldest open transaction is old: the Job list, the
    matching Job (its owner), and its pod's logs."""
    at = _iso(facts.at)
    outcome = await call("prom_query", {"query": f'max by (__name__) ({{__name__=~"{"|".join(AGE)}",state!="idle"}})',
                                         "time": at},
                         "survey-held-horizon-age")
    samples = [s for s in _samples(outcome) if isinstance(s.get("value"), (int, float))]
    if not samples or max(float(s["value"]) for s in samples) < OLD.total_seconds():
        return
    oldest = max(samples, key=lambda s: float(s["value"]))
    age = float(oldest["value"])
    gauge = str((oldest.get("labels") or {}).get("__name__") or "") or AGE[0]
    listed = await call("k8s_list", {"kind": "Job"}, "survey-held-horizon-jobs")
    if listed is None or not listed.ok or not isinstance(listed.data, dict):
        return
    found_job = tie([r for r in listed.data.get("rows") or [] if isinstance(r, dict)], facts.at, age)
    if found_job is None:
        return
    ns, name, created = found_job
    job = Ref("Job", ns, name)
    got = await get_yaml(call, "Job", name, ns, f"survey-held-horizon-job-{name}")
    owner: Ref | None = None
    if got is not None:
        status = got[0].get("status") or {}
        done = parse_time(status.get("completionTime"))
        if done is not None and done < facts.at - TIE:
            return  # the run ended before the alert: it holds nothing now
        refs = (got[0].get("metadata") or {}).get("ownerReferences") or []
        ref = next((r for r in refs if isinstance(r, dict) and r.get("kind") == "CronJob"), None)
        owner = Ref("CronJob", ns, str(ref.get("name"))) if ref else None
    holder = Holder(job, owner, created, age, gauge=gauge,
                    evidence=[e for e in (outcome.evidence_id, listed.evidence_id) if e])
    pods = await call("k8s_list", {"kind": "Pod", "namespace": ns}, f"survey-held-horizon-pods-{name}")
    pod = next((str(r.get("name")) for r in (pods.data.get("rows") or [] if pods is not None and pods.ok
                                             and isinstance(pods.data, dict) else [])
                if isinstance(r, dict) and str(r.get("name") or "").startswith(f"{name}-")), "")
    if pod:
        logs = await call("k8s_logs", {"name": pod, "namespace": ns, "tail": 200}, f"survey-held-horizon-log-{name}")
        if logs is not None and logs.ok:
            line = next((ln for ln in str(logs.full_text or "").splitlines()[1:] if SNAPSHOT.search(ln)), "")
            if line:
                m = SNAPSHOT.search(line)
                cut = line.rfind(": ", 0, m.start() if m else 0)  # the message starts after the logger name
                start = cut + 2 if cut >= 0 else 0
                holder.said = " ".join(line[start:].split())
                holder.evidence.append(logs.evidence_id)
    _store(facts)["holder"] = holder
