"""A query planner's cost or choice setting written shortly before the database's callers' queries turned slow.

A planner picks each query's plan from cost estimates: PostgreSQL's `random_page_cost`, `seq_page_cost`,
`effective_cache_size`, the `enable_*` switches and `default_statistics_target`; MySQL's and MariaDB's
`optimizer_switch`, `optimizer_search_depth` and `eq_range_index_dive_limit`; Oracle's `optimizer_index_cost_adj`
and `optimizer_mode`. Raising the price of a random page (1.1 -> 4) or switching an index method off makes a hot
query's index plan look dearer than a sequential scan of the whole table: nothing errors, the same statement runs
ten or a hundred times slower, and the callers log slow statements or cancel them at their command timeout.

The write is often outside any workload: a managed database's parameter group (Crossplane, ACK), an operator's
cluster spec (CloudNativePG `postgresql.parameters`, a MySQL operator's `mycnf`), or a ConfigMap holding the
config file. So this module reads any kind's write whose diff names such a setting, and relates it to callers that
log a slow or timed-out SQL statement after it. When the database's exporter counts sequential (full) scans, the
rise of that count after the write is quoted: it is the plan change itself, seen from the server. A planner
setting written with no slow statements after it, or slow statements that began before it, names nothing.
`read` asks the metrics store for the scan counts; `found` is pure over the facts.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from agent.triage import limit_hit
from agent.triage.facts import Facts, LogEvidence, Ref, minutes_text, parse_time, said_by

Call = Callable[..., Awaitable[Any]]

CHECK = "database.planner_setting"
WEIGHT = 0.89
"""Above a write linked only by a word its errors share (0.85): the setting's documented effect is the slowness."""
WINDOW = timedelta(hours=12)
SLACK = timedelta(minutes=2)
READS = "planner_setting"
RANGE_STEP = "120s"

SETTING = re.compile(
    r"\b(?:random_page_cost|seq_page_cost|cpu_(?:index_)?tuple_cost|cpu_operator_cost|effective_cache_size"
    r"|enable_(?:seqscan|indexscan|indexonlyscan|bitmapscan|nestloop|hashjoin|mergejoin|hashagg|sort|memoize)"
    r"|default_statistics_target|join_collapse_limit|from_collapse_limit|plan_cache_mode"
    r"|optimizer_(?:switch|search_depth|prune_level|index_cost_adj|index_caching|mode|features_enable"
    r"|use_condition_selectivity)|eq_range_index_dive_limit|range_optimizer_max_mem_size"
    r"|jit_(?:inline_|optimize_)?above_cost"
    r"|legacy_cardinality_estimation|query_optimizer_hotfixes|parameter_sniffing|compatibility_level"
    r"|cost threshold for parallelism"
    r"|reorder_joins_limit|optimizer_use_histograms|optimizer_use_multicol_stats)\b", re.I)
"""The planners' cost and method settings by their documented names: PostgreSQL, MySQL/MariaDB (a range
optimizer out of memory falls back to full scans), Oracle, SQL Server (the cardinality estimator's model, the
optimizer hotfixes, parameter sniffing, the parallelism cost threshold, the compatibility level that picks the
estimator) and CockroachDB (join reordering, histograms)."""

_VALUE = re.compile(r"""^["']?\s*(?:,\s*["']?value["']?\s*[:=]\s*|\s*[:=]\s*|\s+)["']?(?P<v>[\w.=,-]+)""")
"""The value written right after the setting's name: `name = 4`, `name: 4`, `"name": ..., "value": "4"`."""

SQL = re.compile(r"\b(?:SELECT|UPDATE|DELETE|INSERT|DbCommand|statement|query|queries|SQL)\b", re.I)
SLOW_SQL = re.compile(
    r"\((?P<ms1>\d{4,})\s?ms\)"  # EF Core: Executed DbCommand (4800ms)
    r"|duration:\s*(?P<ms2>\d{4,})(?:\.\d+)?\s*ms"  # PostgreSQL log_min_duration_statement
    r"|(?:took|elapsed|duration|query_time|Query_time)\W{0,3}(?P<s>[1-9]\d*(?:\.\d+)?)\s*s\b"
    r"|(?:took|elapsed(?: time)?|duration|query_time)\W{0,3}(?P<ms3>\d{4,})\s?(?:ms|milliseconds)\b"  # Hibernate
    r"|canceling statement due to statement timeout|query execution was interrupted|statement timeout"
    r"|query (?:has )?timed? ?out|command timeout|timeout expired|slow query|SQLTimeoutException", re.I)
"""A statement the caller logged as slow (a duration of a second or more) or cancelled at its timeout."""

SCANS = (
    ('sum by (relname) (rate(pg_stat_user_tables_seq_scan[10m]))', "relname"),
    ("sum(rate(mysql_global_status_select_scan[10m]))", ""),
)
"""The exporters' counts of full scans (postgres_exporter per table, mysqld_exporter server-wide)."""


@dataclass(frozen=True)
class Planned:
    """A write of a planner setting, the slow statements its callers logged after it, and the scans it caused."""

    target: Ref
    setting: str
    value: str
    minutes_before: int
    log: LogEvidence
    slow: str
    scans: tuple[str, float, float] | None
    evidence: list[str]


def written(change: dict[str, Any]) -> tuple[str, str] | None:
    """(planner setting, value written) a change's diff names, the value '' when it cannot be read."""
    for line in change.get("diff") or []:
        text = str(line)
        new = text.split(" -> ", 1)[1] if " -> " in text else text
        m = SETTING.search(new)
        if m is not None:
            v = _VALUE.match(new[m.end():])
            return m.group(0), (v.group("v") if v else "")
        m = SETTING.search(text)
        if m is not None:  # `random_page_cost 1.1 -> 4`: the name on the old side, the new value after the arrow
            return m.group(0), (new.split()[0].strip("'\",") if new.split() else "")
    return None


def _writes(facts: Facts) -> list[tuple[Ref, dict[str, Any], tuple[str, str], str]]:
    out: list[tuple[Ref, dict[str, Any], tuple[str, str], str]] = []
    for change, evidence_id, target in facts.writes_to(None, within=WINDOW, deletions=False):
        said = written(change)
        if said is not None and not any(t.same_object(target) for t, *_ in out):
            out.append((target, change, said, evidence_id))
    return out


def _slow(facts: Facts, since: datetime) -> tuple[LogEvidence, str] | None:
    """A caller's slow or cancelled SQL statement first seen after `since` (an entry without a first time counts)."""
    for log in limit_hit.all_logs(facts):
        for e in log.entries():
            text = said_by(e)
            first = parse_time(e.get("first_seen"))
            if SQL.search(text) and SLOW_SQL.search(f"{text} {e.get('exception') or ''}") \
                    and (first is None or first >= since - SLACK):
                return log, text[:240]
    return None


async def read(facts: Facts, call: Call) -> None:
    """When a planner setting was written and callers log slow statements: the full-scan counts around the write."""
    writes = _writes(facts)
    if not writes:
        return
    first = min(at for _, c, *_ in writes if (at := parse_time(c.get("at"))) is not None)
    if _slow(facts, first) is None:
        return
    rises: list[tuple[str, float, float, str]] = []
    for n, (query, label) in enumerate(SCANS):
        got = await call("prom_query_range", {"query": query,
                                              "start": (first - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                                              "end": facts.at.strftime("%Y-%m-%dT%H:%M:%SZ"), "step": RANGE_STEP,
                                              "baseline": "none"}, f"survey-planner-scans-{n}")
        if got is None or not got.ok or not isinstance(got.data, dict):
            continue
        for s in got.data.get("series") or []:
            step: dict[str, Any] = s["change"] if isinstance(s, dict) and isinstance(s.get("change"), dict) else {}
            try:
                when, before, after = str(step["at"]), float(step["before"]), float(step["after"])
            except (KeyError, TypeError, ValueError):
                continue
            moment = parse_time(when)
            if moment is not None and moment >= first - SLACK and after > max(before * 3, 0.01):
                name = str((s.get("labels") or {}).get(label) or "") if label else ""
                rises.append((name, before, after, got.evidence_id))
    if rises:
        facts.reads[READS] = {"rises": rises}


def _scans(facts: Facts) -> tuple[tuple[str, float, float] | None, str | None]:
    rises = (facts.reads.get(READS) or {}).get("rises") or []
    if not rises:
        return None, None
    name, before, after, evidence_id = max(rises, key=lambda r: r[2] - r[1])
    return (name, before, after), evidence_id


def found(facts: Facts) -> list[Planned]:
    """The newest recent write of a planner setting whose callers' statements turned slow after it."""
    out: list[Planned] = []
    for target, change, (setting, value), evidence_id in _writes(facts):
        at = parse_time(change.get("at"))
        if at is None or at > facts.at:
            continue
        slow = _slow(facts, at)
        if slow is None:
            continue
        scans, scans_id = _scans(facts)
        out.append(Planned(target, setting, value, int((facts.at - at).total_seconds() // 60), slow[0], slow[1],
                           scans, [e for e in (evidence_id, slow[0].evidence_id, scans_id) if e]))
    return sorted(out, key=lambda p: p.minutes_before)[:1]


def finding(p: Planned) -> dict[str, Any]:
    """The setting and what it does to plans first, then the slow statements and the scans they now run."""
    value = f" to {p.value}" if p.value else ""
    scans = ""
    if p.scans is not None:
        table = f" of {p.scans[0]}" if p.scans[0] else ""
        scans = (f" Sequential (full) scans{table} rose from {p.scans[1]:.2g}/s to {p.scans[2]:.2g}/s after it: "
                 "the planner switched a query to a sequential scan.")
    return {
        "check": CHECK, "severity": "critical", "reason": "PlannerSetting",
        "object": {"kind": p.target.kind, "namespace": p.target.namespace, "name": p.target.name},
        "message": (f"{p.target} set the planner cost setting {p.setting}{value} {minutes_text(p.minutes_before)} "
                    f"before the alert.{scans} The planner prices each plan with it, so a hot query's plan can "
                    f"flip (an index scan priced out by a sequential scan) and run many times slower with no code "
                    f"change; since then the callers' statements are slow: {p.log.pod}'s logs say '{p.slow}'. "
                    "Restore the previous value and check the plan with EXPLAIN"),
        "evidence": [f"{p.setting}{value}"],
        "details": {"setting": p.setting, "value": p.value, "minutes_before": p.minutes_before,
                    "scans": list(p.scans) if p.scans else None},
    }


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], LogEvidence, list[str]]]:
    """(written object, finding, the callers' log, evidence ids) for rank."""
    return [(p.target, finding(p), p.log, p.evidence) for p in found(facts)]
