"""A client's connection-pool ceiling that fell at the restart after a write, and requests now waiting for a connection.

A database client's pool size is one setting among many in what the workload loads at start: a DSN query parameter
(pgx `pool_max_conns`, a JDBC URL's `maximumPoolSize`), an env key (`DB_POOL_SIZE`, `SPRING_DATASOURCE_HIKARI_
MAXIMUM_POOL_SIZE`), a config file leaf. A rewrite of that Secret or ConfigMap (a credential rotation that writes the
URL from a template, a chart bump, a copy from another environment) that leaves the setting out changes nothing until
the pods restart (a reloader, the next rollout); then the driver falls back to its own default (pgxpool: the larger
of 4 and the CPU count, HikariCP 10, SQLAlchemy 5 + 10 overflow) and at the next peak every request waits for one
of a handful of connections: latency climbs, calls end in the driver's wait timeout ("acquire connection: context
deadline exceeded", HikariCP's "Connection is not available, request timed out", SQLAlchemy's "QueuePool limit of
size 5 overflow 10 reached"). The database is idle. The write is often a Secret whose values the timeline withholds,
so the proof is the pool's own ceiling gauge (`pgxpool_max_conns`, `hikaricp_connections_max`,
`go_sql_max_open_connections`, OpenTelemetry's `db_client_connections_max`) falling from the write on.

So: the subject's logs say its calls wait for a pooled connection; a pool-ceiling gauge of its namespace fell to
half or less within `AFTER` of a write to the workload or to an object the timeline says it uses (a Secret or
ConfigMap it reads, else its own rollout); that write is named with the fall. Twins: the ceiling unchanged (the
pool is merely busy: a traffic or slow-query story), a fall with no write before it, waiting with no pool gauge.
`read` reads the gauges; `found` is pure.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, LogEvidence, Ref, minutes_text, parse_time, written_by
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.pool_ceiling_fell"
WEIGHT = 0.93
"""A write whose effect the pool's own ceiling gauge shows from the restart on: above the victim's waiting and the
generic 'recent change' line, level with the other measured-cause modules (pool_shrunk)."""
READS = "pool_ceiling_fell"
LEAD = timedelta(hours=6)
AFTER = timedelta(minutes=45)
"""How long after the write the ceiling may fall (a reloader restarts pods within a minute; a rollout takes longer)."""
FALL = 0.5
"""The ceiling must fall to this share of its old value or less."""
MAX_GAUGES = 3
Call = Callable[..., Awaitable[Any]]

WAITING = re.compile(r"acquir(?:e|ing) (?:a )?(?:database )?connection|connection is not available|"
                     r"pool (?:is )?exhausted|QueuePool limit|"
                     r"timeout waiting for (?:an? )?(?:idle )?(?:object|connection)|"
                     r"could not (?:obtain|get|acquire) (?:a )?connection|"
                     r"prior to obtaining a connection from the pool|"
                     r"pool timed out|ConnectionPoolTimeout|waiting for (?:a |an available )?connection|"
                     r"no (?:free|available) connection", re.I)
"""Drivers' own words for a call that waited for a pooled connection (pgx, HikariCP, SQLAlchemy, commons-pool,
ADO.NET/Npgsql, node-postgres, database/sql wrappers)."""
CEILING_GAUGE = re.compile(r"(?:pool|hikari|sql|db_client|r2dbc|dbcp|c3p0|npgsql|sequelize|knex)\w*"
                           r"(?:max|limit|capacity)\w*|max_?(?:open_)?(?:conns|connections)", re.I)
_NOT_GAUGE = re.compile(r"_(?:total|count|sum|bucket|seconds|created)$|idle|lifetime|wait|pending|usage", re.I)


@dataclass
class Fell:
    """A pool-ceiling gauge that fell after a write to what the waiting workload loads."""

    target: Ref
    change: dict[str, Any]
    workload: str
    gauge: str
    before: float
    after: float
    fell_at: datetime
    said: str
    minutes_before: int
    evidence: list[str] = field(default_factory=list)


def _said(log: LogEvidence) -> str:
    """The log's first error that says a call waited for a pooled connection, "" when none does."""
    for error in [log.top or {}, *log.more]:
        text = str(error.get("message") or error.get("example") or error.get("template") or "")
        if WAITING.search(text):
            return text[:200]
    return next((line[:200] for line in log.last_lines if WAITING.search(line)), "")


def _waiting(facts: Facts) -> list[tuple[LogEvidence, str]]:
    return [(log, said) for log in facts.logs if log.pod and (said := _said(log))]


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, when the subject's logs say calls wait for a pooled connection: the pool-ceiling gauges of the
    waiting pods' namespace over the window, and where each stepped."""
    waiting = _waiting(facts)
    end = parse_time(at)
    if not waiting or end is None:
        return
    store: dict[str, Any] = facts.reads.setdefault(READS, {"falls": []})
    for ns in list(dict.fromkeys(log.namespace for log, _ in waiting))[:2]:
        if not re.fullmatch(r"[a-z0-9-]+", ns):
            continue
        start = _iso(end - LEAD)
        page = await call("prom_series", {"match": f'{{namespace="{ns}"}}', "start": start, "end": at,
                                          "limit": 500}, f"survey-pool-ceiling-series-{ns}")
        if page is None or not page.ok or not isinstance(page.data, dict):
            continue
        names = list(dict.fromkeys(str(s.get("__name__")) for s in page.data.get("series") or []
                                   if isinstance(s, dict) and CEILING_GAUGE.search(str(s.get("__name__") or ""))
                                   and not _NOT_GAUGE.search(str(s.get("__name__") or ""))))
        for name in names[:MAX_GAUGES]:
            got = await call("prom_query_range", {"query": f'max({name}{{namespace="{ns}"}})', "start": start,
                                                  "end": at, "step": "60s", "baseline": "none", "top_k": 1},
                             f"survey-pool-ceiling-{name}")
            if got is None or not got.ok or not isinstance(got.data, dict):
                continue
            for s in got.data.get("series") or []:
                change = s.get("change") if isinstance(s, dict) else None
                try:
                    before, after = float((change or {})["before"]), float((change or {})["after"])
                except (KeyError, TypeError, ValueError):
                    continue
                store["falls"].append({"namespace": ns, "gauge": name, "before": before, "after": after,
                                       "at": str((change or {}).get("at")), "evidence": got.evidence_id})


def _related(change: dict[str, Any], target: Ref, workloads: set[str], ns: str) -> int:
    """0: unrelated; 1: the waiting workload's own rollout; 2: an object the timeline says it uses."""
    if target.namespace != ns:
        return 0
    used = {r.name for r in (Ref.of(x) for x in change.get("related") or []) if r is not None}
    if target.kind not in ("Deployment", "StatefulSet", "DaemonSet", "Rollout") and used & workloads:
        return 2
    return 1 if target.name in workloads and change.get("type") != "scale" else 0


def found(facts: Facts) -> list[Fell]:
    """Each pool ceiling that fell to FALL or less within AFTER of a write to what the waiting workload loads."""
    out: list[Fell] = []
    waiting = _waiting(facts)
    for fall in (facts.reads.get(READS) or {}).get("falls") or []:
        fell_at = parse_time(fall.get("at"))
        if fell_at is None or fall["before"] <= 0 or fall["after"] > FALL * fall["before"]:
            continue
        ns = str(fall["namespace"])
        logs = [(log, said) for log, said in waiting if log.namespace == ns]
        workloads = {workload_of_pod(log.pod) for log, _ in logs}
        best: tuple[int, str, dict[str, Any], str, Ref] | None = None
        for change, evidence, target in facts.writes_to(None, within=LEAD, deletions=False):
            at = parse_time(change.get("at"))
            if at is None or not at - timedelta(minutes=2) <= fell_at <= at + AFTER:
                continue
            rank = _related(change, target, workloads, ns)
            if rank and (best is None or (rank, str(change.get("at"))) > (best[0], best[1])):
                best = (rank, str(change.get("at")), change, evidence, target)
        if best is None or any(f.target.same_object(best[4]) for f in out):
            continue
        _, _, change, evidence, target = best
        at = parse_time(change.get("at")) or facts.at
        log, said = logs[0]
        out.append(Fell(target, change, workload_of_pod(log.pod), str(fall["gauge"]), fall["before"], fall["after"],
                        fell_at, said, int((facts.at - at).total_seconds() // 60),
                        [e for e in (evidence, str(fall.get("evidence") or ""), log.evidence_id) if e]))
    return out


def finding(f: Fell) -> dict[str, Any]:
    """The write, the ceiling's fall it was followed by, and the waiting it explains."""
    what = "; ".join(str(d) for d in (f.change.get("diff") or [])[:2]) or str(f.change.get("summary") or "")[:160]
    who = written_by(f.change)
    message = (f"{f.target} was written {minutes_text(f.minutes_before)} before the incident ({what}"
               + (f", by {who}" if who else "") + f") and {f.workload}'s connection pool came back smaller: "
               f"{f.gauge} fell from {f.before:g} to {f.after:g} at {f.fell_at:%H:%M} UTC, so at most {f.after:g} "
               f"queries run at once per pod and every other request waits for a connection: '{f.said}'. A rewrite "
               "that left out the pool-size setting (a connection-string parameter, an env or config key) lets the "
               "driver fall back to its small default after the restart: put the setting back")
    return {"check": CHECK, "severity": "critical", "object": f.change.get("object"), "reason": "PoolCeilingFell",
            "message": message, "evidence": [f.said, f"{f.gauge} {f.before:g} -> {f.after:g}"],
            "details": {"gauge": f.gauge, "before": f.before, "after": f.after, "workload": f.workload}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the written object, its finding, evidence ids, the waiting workload) for `agent.triage.behind`."""
    out = []
    for f in found(facts):
        victim = Ref("Deployment", f.target.namespace, f.workload)
        out.append((f.target, finding(f), f.evidence, [] if victim.same_object(f.target) else [victim]))
    return out
