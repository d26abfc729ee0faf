"""A schema migration shortly before queries turned slow: the Job that ran it is the suspect.

A migration Job (a Helm pre-upgrade hook, an Argo CD PreSync hook, a one-off `alembic upgrade
head`) completes and leaves nothing broken: its pod is `Completed`, every other pod Running and
Ready. Yet when it dropped or replaced an index, rewrote a table or took long locks, the queries
that relied on the old schema turn into sequential scans or wait on locks, and the service's
statements hit their timeout. The rollout that came with it is the obvious suspect and usually
innocent. The change timeline lists Jobs with the schema statements their logs print
(mcp_servers.kubernetes.changes.with_job_logs); here such a Job is held against the errors of the
pods around the incident that say a query was slow or cancelled.

The other half of the class is a migration that drops or renames a column or a table another service still
reads (a PreSync hook of one app, the consumer in another namespace): the consumer's every query fails with the
database's "no such column/table" error, which names the identifier. When a recent migration's log names that
same identifier, the Job is the cause and the consumer's error is its symptom (expand/contract broken).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from agent.triage.facts import Facts, LogEvidence, Ref, parse_time

CHECK = "change.schema"
WEIGHT = 0.9
"""A schema change followed by slow queries on the same database explains them, and is what to fix."""

SCHEMA_PREFIX = "schema: "
"""How the change timeline marks a Job's schema statements in its diff."""

SLOW_QUERY = re.compile(
    r"statement timeout|canceling statement|QueryCanceled|query_canceled|\b57014\b|"
    r"maximum statement execution time exceeded|Query execution was interrupted|"
    r"lock (?:wait )?timeout|LockNotAvailable|\b55P03\b|ORA-01013|Execution Timeout Expired|"
    r"Command Timeout expired|Timeout expired before the operation completed|"
    r"query (?:timed out|timeout)|QueryTimeout|slow query|Seq Scan|statement_timeout|"
    r"(?:sql|query|database|db)\b[^\n]{0,60}(?:timed? ?out|deadline exceeded)|"
    r"(?:timed? ?out|deadline exceeded)[^\n]{0,40}\b(?:query|sql|statement)", re.I)
"""Database clients' and servers' words for a query that ran too long (PostgreSQL, MySQL, Oracle, SQL Server,
their drivers and ORMs; .NET's MySqlConnector says `The Command Timeout expired before the operation completed`)."""

MAX_MINUTES_BEFORE = 6 * 60

MISSING = re.compile(
    r"(?:column|relation|table|view)\s+[\"'`]?(?P<pg>[\w.\"]+?)[\"'`]?\s+does not exist|"
    r"Unknown column\s+'(?P<my>[^']+)'|Table\s+'(?P<mytab>[^']+)'\s+doesn't exist|"
    r"no such (?:column|table):\s*(?P<lite>[\w.]+)|ORA-00904:\s*\"?(?P<ora>[\w.\"]+?)\"?:\s*invalid identifier|"
    r"Invalid (?:column|object) name\s+'(?P<mss>[^']+)'|"
    r"(?:column|field)\s+[\"'`]?(?P<gen>\w+)[\"'`]?\s+(?:not found|is missing|doesn't exist)|"
    r"Missing columns?:\s*'(?P<ch>[^']+)'|Undefined column name\s+(?P<cql>\w+)|"
    r"invalid identifier\s+'(?P<sf>[^']+)'|Unrecognized name:\s*(?P<bq>\w+)", re.I)
"""The database's words for a query naming a column or table the schema no longer has (PostgreSQL 42703/42P01
as psycopg/pgx/JDBC print them, MySQL/MariaDB 1054/1146, SQLite, Oracle ORA-00904, SQL Server 207/208); the
group holds the identifier as the query named it (`p.legacy_sku`, `shop.orders`); ClickHouse's `Missing columns`,
Cassandra's `Undefined column name`, Snowflake's `invalid identifier 'X'`, BigQuery's `Unrecognized name`."""
ADDS_ONLY = re.compile(r"\b(?:ADD|CREATE)\b|\badd_(?:column|index|reference)\b", re.I)
REMOVES = re.compile(r"drop|remov|renam|delet", re.I)
"""A statement that adds the identifier (`ADD COLUMN x`, `add_column(:t, :x)`) does not take it away."""
NOT_AFTER = r"(?![a-z0-9_]|-[a-z0-9]|\s+(?:index|idx|constraint|key|default)\b)"
"""After a migration name's identifier: not a longer name (`drop_legacy_sku_idx`, `drop-legacy-sku-index`)."""

BUILDS_INDEX = re.compile(r"\bCREATE\s+(?:UNIQUE\s+)?INDEX\b(?!\s+CONCURRENTLY)|"
                          r"\b(?:add|create|new)\b[\w\s-]{0,40}\bindex\b|\bindex\b(?![\w\s-]{0,20}\bdrop)", re.I)
"""A migration that builds an index (`CREATE INDEX` without CONCURRENTLY, a version described as adding one)."""
DROPS_INDEX = re.compile(r"\bdrop\w*\b[\w\s-]{0,40}\bindex|\bCONCURRENTLY\b", re.I)
TABLE_DDL = re.compile(r"\b(?:ALTER|RENAME|DROP|TRUNCATE|OPTIMIZE)\s+TABLE\b", re.I)
"""A statement that needs the table's exclusive lock (MySQL's exclusive metadata lock, even for ALGORITHM=INSTANT;
PostgreSQL's ACCESS EXCLUSIVE for most ALTER TABLE forms) at least for a moment."""
RUNNING = re.compile(r", running\b")
"""The timeline's span of a Job that has not finished (`started T, running`)."""
WRITES = re.compile(r"\b(?:insert|create|update|upsert|save|write|delete)\w*\b", re.I)
"""The slow statement is a write: a plain index build blocks writes, not reads."""


@dataclass
class Migration:
    """A Job whose log shows schema changes, and a log of the queries that turned slow after it."""

    job: Ref
    statements: list[str]
    minutes: int
    log: LogEvidence
    said: str
    related: list[Ref]
    missing: str = ""
    """The column or table the consumer's error says no longer exists, when the migration's log names it too."""
    running: bool = False
    """The Job has not finished: its last statement has not returned."""


def _missing(log: LogEvidence) -> tuple[str, str] | None:
    """The identifier the log's error says the schema lacks (its last dotted part, lowercased), and the error.

    A multi-line exception often keeps the database's words off its first line: .NET's logger heads the entry
    with `fail: Category[0]` and puts Npgsql's `MessageText: column x does not exist` in the body, a JVM's
    `Caused by:` and a Go wrap's detail come last. Those are read from the container's last lines after the
    classified errors, each as one error."""
    tail = [{"message": line} for line in log.last_lines]
    for error in [log.top or {}, *log.more, *tail]:
        parts = [str(error.get(k) or "") for k in ("exception", "message", "example", "template")]
        found = MISSING.search(" ".join(parts))
        if found:
            name = next(v for v in found.groupdict().values() if v)
            ident = name.replace('"', "").replace("`", "").rsplit(".", 1)[-1].lower()
            said = str(error.get("message") or error.get("template") or error.get("example") or "")
            exception = str(error.get("exception") or "")
            return ident, (f"{exception}: {said}" if exception and exception not in said else said)
    return None


def _names(statements: list[str], ident: str) -> bool:
    """Whether the migration's log names the identifier as a word (`drop products.legacy_sku`,
    `ALTER TABLE items DROP COLUMN legacy_sku`, `remove_column(:items, :legacy_sku)`) or in a migration's name that
    says it drops or renames it (`20261201_drop_legacy_sku`, `0042_remove_items_legacy_sku.up.sql`, Liquibase's
    `drop-legacy-sku` changeSet id, Flyway's `57 - remove legacy sku` description). A line that only adds it
    (`ALTER TABLE items ADD COLUMN legacy_sku`) is no removal."""
    if not ident:
        return False
    word, sep = re.escape(ident), r"[_\s-]"
    loose = sep.join(re.escape(part) for part in ident.split("_"))  # Flyway's `57 - remove legacy sku`, `drop-x`
    named = rf"(?<![\w]){word}(?![\w])|(?:drop|remove|rename|delete){sep}(?:[a-z0-9]+{sep}){{0,3}}{loose}{NOT_AFTER}"
    lines = [s for s in statements if re.search(named, s, re.I)]
    return any(REMOVES.search(s) or not ADDS_ONLY.search(s) for s in lines)


def _slow(log: LogEvidence) -> str | None:
    """The log's error that says a query ran too long, as printed."""
    for error in [log.top or {}, *log.more]:
        parts = [str(error.get(k) or "") for k in ("exception", "message", "example", "template")]
        if SLOW_QUERY.search(" ".join(parts)):
            said = str(error.get("message") or error.get("example") or error.get("template") or "")
            exception = str(error.get("exception") or "")
            return f"{exception}: {said}" if exception and exception not in said else said
    return None


def migrations(facts: Facts) -> list[Migration]:
    """Schema-changing Jobs that ran before the symptom, each with the slow-query log closest to it (the logs
    of the Job's app first, then any log the survey read)."""
    slow = [(log, said) for log in facts.logs if (said := _slow(log))]
    missing = [(log, found) for log in facts.logs if (found := _missing(log))]
    if not slow and not missing:
        return []
    out = []
    for change in facts.change_list():
        job, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        lines = [str(d)[len(SCHEMA_PREFIX):] for d in change.get("diff") or [] if str(d).startswith(SCHEMA_PREFIX)]
        if job is None or at is None or change.get("type") != "job" or not lines:
            continue
        minutes = int((facts.at - at).total_seconds() // 60)
        if not 0 <= minutes <= MAX_MINUTES_BEFORE:
            continue
        related = [r for r in (Ref.of(x) for x in change.get("related") or []) if r]
        gone = [(log, found) for log, found in missing if _names(lines, found[0])]
        if gone:  # the consumer's error names what this migration dropped or renamed
            log, (ident, said) = gone[0]
            out.append(Migration(job, lines, minutes, log, said[:160], related, ident))
            continue
        if not slow:
            continue
        apps = {r.name for r in related}
        ordered = sorted(slow, key=lambda ls: not any(ls[0].pod.startswith(a + "-") for a in apps))
        log, said = ordered[0]
        out.append(Migration(job, lines, minutes, log, said[:140], related,
                             running=bool(RUNNING.search(str(change.get("summary") or "")))))
    return sorted(out, key=lambda m: m.minutes)


def finding(m: Migration) -> dict[str, Any]:
    """The suspect as a scan-shaped finding: the Job, what its log says it changed, and the slow query after."""
    ddl = "; ".join(m.statements[:4])
    app = f" of {', '.join(str(r) for r in m.related[:2])}" if m.related else ""
    text = " ".join(m.statements)
    if m.missing:
        message = (f"{m.job}{app}, a schema migration {m.minutes} min before the alert, dropped or renamed "
                   f"{m.missing} ({ddl}) while {m.log.namespace}/{m.log.pod} still reads it: a dropped column "
                   f"or table its queries name, so each fails: '{m.said}'. Restore the column (expand/contract: "
                   "drop only after every reader stopped using it) or ship the readers' query change first")
        return {"check": CHECK, "severity": "critical",
                "object": {"kind": "Job", "namespace": m.job.namespace, "name": m.job.name},
                "reason": "MigrationDroppedWhatIsRead", "message": message, "evidence": [*m.statements[:2], m.said],
                "details": {"statements": m.statements, "minutes_before": m.minutes, "missing": m.missing,
                            "reader_pod": m.log.pod}}
    if m.running and TABLE_DDL.search(m.statements[-1]):
        message = (f"{m.job}{app}, a schema migration started {m.minutes} min before the alert, is still running its "
                   f"table DDL ({m.statements[-1][:90]}): the DDL waits for the table's exclusive metadata lock behind "
                   "an open transaction (a long or idle transaction holds it until it commits) and every later "
                   f"query on the table queues behind it, so queries time out: '{m.said[:110]}' (pod "
                   f"{m.log.namespace}/{m.log.pod}). PostgreSQL's ACCESS EXCLUSIVE lock queues the same way. Find "
                   "the blocking session (performance_schema.metadata_locks / sys.schema_table_lock_waits, or "
                   "pg_blocking_pids), end it or cancel the migration, and run DDL with a short lock_wait_timeout / "
                   "lock_timeout")
        return {"check": CHECK, "severity": "critical",
                "object": {"kind": "Job", "namespace": m.job.namespace, "name": m.job.name},
                "reason": "MigrationWaitsForTableLock", "message": message, "evidence": [*m.statements[-2:], m.said],
                "details": {"statements": m.statements, "minutes_before": m.minutes, "slow_pod": m.log.pod}}
    if BUILDS_INDEX.search(text) and not DROPS_INDEX.search(text) and WRITES.search(m.said):
        message = (f"{m.job}{app}, a schema migration, builds an index {m.minutes} min before the alert ({ddl}): "
                   "CREATE INDEX without CONCURRENTLY holds a SHARE lock on the table for the whole build, so "
                   f"every write waits on the lock and hits its timeout: '{m.said}' (pod {m.log.namespace}/"
                   f"{m.log.pod}). Build it with CREATE INDEX CONCURRENTLY (outside a transaction)")
        return {"check": CHECK, "severity": "critical",
                "object": {"kind": "Job", "namespace": m.job.namespace, "name": m.job.name},
                "reason": "MigrationLocksTable", "message": message, "evidence": [*m.statements[:2], m.said],
                "details": {"statements": m.statements, "minutes_before": m.minutes, "slow_pod": m.log.pod}}
    message = (f"{m.job}{app} changed the database schema {m.minutes} min before the alert ({ddl}), and since then "
               f"queries run too long: '{m.said}' (pod {m.log.namespace}/{m.log.pod}). An index dropped or replaced "
               "by a migration turns the lookups that used it into sequential scans (a composite index serves only "
               "queries on its leading column); a table rewrite or a long lock stalls them. Compare the slow "
               "query's plan (EXPLAIN) with the indexes the migration left, and restore the index it needs")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": "Job", "namespace": m.job.namespace, "name": m.job.name},
            "reason": "SchemaChangedBeforeSlowQueries", "message": message, "evidence": [*m.statements[:2], m.said],
            "details": {"statements": m.statements, "minutes_before": m.minutes, "slow_pod": m.log.pod}}
