"""A scheduled job that writes millions of rows in one statement, and the read replicas lagging behind it.

A replica applies the primary's changes transaction by transaction. A cleanup or backfill job that deletes or
updates millions of rows in ONE statement (an unbatched `DELETE ... WHERE created_at < ...`, an `UPDATE` with no
LIMIT loop) replicates as one huge transaction: the replica's applier spends as long on it as the primary did, and
the replication lag (MySQL `Seconds_Behind_Source`, PostgreSQL replay lag) climbs for the whole time. Nothing fails;
the applications that read from the replicas serve stale rows ("status still 'packed'"), and their alert is about
wrong data, not errors.

The class leaves two traces, read here generically: a replication-lag series of the databases' exporters (mysqld,
postgres, CloudNativePG) that rose to minutes; and, in the incident's namespaces, a CronJob whose latest run's log
reports one statement affecting a huge row count (mysql's `Query OK, N rows affected`, psql's `DELETE N`/`UPDATE N`,
a runner's `N rows deleted`) and that started before the lag rose. The CronJob is named with its statement (from
its command, when it carries one). Lag with no such run, or such a run after the lag began, names nothing.
`read` reads the lag series, then the CronJobs and their newest run's log; `suspects` is pure.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from agent.triage import purge_job
from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml, has_run, list_names, rows_of
from agent.triage.subject import Subject

Call = Callable[..., Awaitable[Any]]

CHECK = "job.replicated_bulk_write"
WEIGHT = 0.9
READS = "lag_writer"
LOOKBACK = timedelta(hours=6)
MIN_LAG_S = 300.0
"""Five minutes behind: far past what a replica under normal load shows, and what stale reads need."""
MIN_ROWS = 1_000_000
"""One statement this large is applied as one transaction for minutes on a replica."""
MAX_JOBS = 4
LAG = ('max(mysql_slave_status_seconds_behind_master or mysql_replica_status_seconds_behind_source '
       'or pg_replication_lag or pg_replication_lag_seconds or cnpg_pg_replication_lag)')
"""Replication lag in seconds as the common exporters name it (mysqld_exporter old and new, postgres, CNPG)."""
ROWS = re.compile(r"Query OK, (?P<a>\d[\d,]*) rows? affected(?: \((?P<took>[^)]*)\))?"
                  r"|^\s*(?P<verb>DELETE|UPDATE)\s+(?P<b>\d[\d,]*)\s*$"
                  r"|(?P<c>\d[\d,]*) rows? (?:deleted|updated|affected|removed)", re.I | re.M)
"""A run's own count of the rows one statement changed (mysql client, psql command tag, a runner's summary)."""
STATEMENT = re.compile(r"\b(?:DELETE\s+FROM|UPDATE)\s+[\w.`\"]+[^;'\"]{0,120}", re.I)


def big_write(lines: list[str]) -> tuple[str, int] | None:
    """The run log's largest single-statement row count at or above MIN_ROWS (its words, the count)."""
    best: tuple[str, int] | None = None
    for line in lines:
        for m in ROWS.finditer(line):
            count = int((m.group("a") or m.group("b") or m.group("c")).replace(",", ""))
            if count >= MIN_ROWS and (best is None or count > best[1]):
                best = (line.strip()[:160], count)
    return best


async def _lag(facts: Facts, call: Call) -> tuple[float, datetime | None, str] | None:
    """The highest replication lag in the window, when it passed MIN_LAG_S, with when it began to rise."""
    got = await call("prom_query_range", {"query": LAG, "start": (facts.at - LOOKBACK).strftime("%Y-%m-%dT%H:%M:%SZ"),
                                          "end": facts.at.strftime("%Y-%m-%dT%H:%M:%SZ"), "step": "120s",
                                          "baseline": "none"}, "survey-lag-writer")
    if got is None or not got.ok or not isinstance(got.data, dict):
        return None
    best: tuple[float, datetime | None, str] | None = None
    for s in got.data.get("series") or []:
        if not isinstance(s, dict) or not isinstance(s.get("max"), (int, float)) or s["max"] < MIN_LAG_S:
            continue
        change: dict[str, Any] = s["change"] if isinstance(s.get("change"), dict) else {}
        rose = parse_time(change.get("at")) or parse_time(s.get("born"))
        if best is None or s["max"] > best[0]:
            best = (float(s["max"]), rose, got.evidence_id)
    return best


def _started(cronjob: dict[str, Any], pod: str, at: datetime) -> datetime | None:
    """When the newest run began: the CronJob's own lastScheduleTime, else the time its Job's name encodes when
    that is a plausible recent time (a name not made by the controller encodes none)."""
    scheduled = parse_time((cronjob.get("status") or {}).get("lastScheduleTime"))
    if scheduled is not None:
        return scheduled
    named = purge_job.run_time(pod)
    return named if named is not None and at - timedelta(days=2) <= named <= at else None


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, and only when replication lag passed MIN_LAG_S: the CronJobs of the incident's namespaces and
    the newest run's log of each."""
    del at
    if READS in facts.reads:
        return
    namespaces = sorted({n for n in [subject.namespace, *(log.namespace for log in facts.logs)] if n})
    if not namespaces:
        return
    lag = await _lag(facts, call)
    if lag is None:
        return
    store: dict[str, Any] = facts.reads.setdefault(READS, {"lag": [lag[0], lag[1].isoformat() if lag[1] else None,
                                                                  lag[2]], "jobs": []})
    for namespace in namespaces[:2]:
        names = await list_names(call, "CronJob", namespace, f"survey-lag-cronjobs-{namespace}")
        if names is None or not names[0]:
            continue
        pods = await call("k8s_list", {"kind": "Pod", "namespace": namespace}, f"survey-lag-pods-{namespace}")
        pod_names = [str(r.get("name")) for r in rows_of(pods) if r.get("name") and has_run(r)]
        for name in sorted(names[0])[:MAX_JOBS]:
            runs = sorted((p for p in pod_names if re.fullmatch(rf"{re.escape(name)}-\d+-[a-z0-9]{{5}}", p)),
                          key=lambda p: int(p.rsplit("-", 2)[1]), reverse=True)
            if not runs:
                continue
            logs = await call("k8s_logs", {"name": runs[0], "namespace": namespace, "tail": 200},
                              f"survey-lag-run-{runs[0]}")
            if logs is None or not logs.ok:
                continue
            wrote = big_write(str(logs.full_text or "").splitlines())
            if wrote is None:
                continue
            got = await get_yaml(call, "CronJob", name, namespace, f"survey-lag-cronjob-{name}")
            args = purge_job._args(got[0]) if got is not None else ""
            started = _started(got[0] if got is not None else {}, runs[0], facts.at)
            store["jobs"].append({"name": name, "namespace": namespace, "said": wrote[0], "rows": wrote[1],
                                  "started": started.isoformat() if started else None,
                                  "statement": (m.group(0).strip() if (m := STATEMENT.search(args)) else ""),
                                  "evidence": [e for e in (logs.evidence_id, got[1] if got else None) if e]})


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The CronJob whose one huge statement started before the replicas fell behind."""
    store = facts.reads.get(READS) or {}
    lag = store.get("lag")
    if not lag:
        return []
    seconds, rose, lag_id = float(lag[0]), parse_time(lag[1]), lag[2]
    out: list[tuple[Ref, dict[str, Any], list[str], list[Ref]]] = []
    for job in store.get("jobs") or []:
        started = parse_time(job.get("started"))
        if started is None or started > facts.at or (rose is not None and started > rose + timedelta(minutes=5)):
            continue
        ref = Ref("CronJob", str(job["namespace"]), str(job["name"]))
        statement = f" ({job['statement']})" if job.get("statement") else ""
        since = f", rising from {rose.strftime('%H:%M')}" if rose else ""
        message = (f"{ref} ran one statement{statement} that changed {job['rows']:,} rows in a single transaction; "
                   f"replica lag (Seconds_Behind_Source / replay lag) reached {seconds:.0f} s{since}: the read "
                   f"replicas apply it as one transaction for as long as it took, so whatever reads from them serves "
                   f"stale rows. Its run {minutes_text(int((facts.at - started).total_seconds() // 60))} before the "
                   f"alert says '{job['said']}'. Batch the statement (LIMIT and loop, or a tool such as pt-archiver) "
                   "so each transaction stays small")
        finding = {"check": CHECK, "severity": "critical", "reason": "ReplicatedBulkWrite",
                   "object": {"kind": "CronJob", "namespace": ref.namespace, "name": ref.name},
                   "message": message, "evidence": [str(job["said"])],
                   "details": {"rows": job["rows"], "lag_seconds": seconds, "started": job.get("started")}}
        out.append((ref, finding, [e for e in [*(job.get("evidence") or []), lag_id] if e], []))
    return sorted(out, key=lambda s: -int(s[1]["details"]["rows"]))[:1]
