"""A server's idle-connection limit lowered below its clients' pool lifetime: clients reuse closed connections.

A database, cache or load balancer closes a connection that has been idle longer than its idle limit (MySQL
`wait_timeout`/`interactive_timeout`, PostgreSQL `idle_session_timeout`/`idle_in_transaction_session_timeout`,
Redis `timeout`, PgBouncer `server_idle_timeout`/`client_idle_timeout`, a cloud load balancer's connection idle
timeout). A client pool keeps idle connections for its own lifetime (HikariCP `maxLifetime`/`idleTimeout`, Go's
`SetConnMaxLifetime`, SQLAlchemy `pool_recycle`, node-pg `idleTimeoutMillis`). The documented rule is that the
pool must retire a connection before the server drops it; when a write lowers the server's limit below the
pool's, the pool hands out connections the server already closed, and each client library says so in its own
words: Connector/J `No operations allowed after connection closed` and `The last packet successfully received
from the server was N milliseconds ago`, HikariCP `Failed to validate connection`, Go `invalid connection`,
Python `MySQL server has gone away`, pgjdbc `This connection has been closed`, libpq `server closed the
connection unexpectedly`, node-pg `Connection terminated unexpectedly`. Nothing is down; errors come in waves
when traffic is quiet and connections sit idle, far from the setting.

(`agent.triage.time_limit` handles limits on how long work may take; idle limits are this module's.)

This module pairs the two halves: (1) a write in the last day that set or lowered an idle limit of a server
(container args, env, ConfigMap config files, annotations/CR fields), its old value from the timeline, else the
server exporter's variable series (mysqld_exporter `mysql_global_variables_wait_timeout`, postgres_exporter
`pg_settings_idle_session_timeout_seconds`), else the documented default; (2) clients of that software saying
they used a closed connection, not before the write, whose pool keeps connections longer than the new limit
(their env, else the library's documented default). A pool that already retires connections before the
server's new limit is no fit. Reading only; Secrets are never read.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage import value_diff
from agent.triage.arg_flags import flags
from agent.triage.facts import Facts, LogEvidence, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import workload_of_pod

CHECK = "change.idle_limit_below_pool"
WEIGHT = 0.93
LEAD = timedelta(hours=24)
READS = "idle_limit"
MAX_CLIENTS = 3

Call = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class Kind:
    """One server idle limit: how its key is spelled, the software, a bare number's unit and its default (s)."""

    key: re.Pattern[str]
    software: str
    name: str
    unit: float
    default: float | None
    """Documented default in seconds; None when the default is off (no idle limit)."""


KINDS: tuple[Kind, ...] = (
    Kind(re.compile(r"^(?:mysqld?_)?wait_timeout$"), "mysql", "wait_timeout", 1.0, 28800.0),
    Kind(re.compile(r"^(?:mysqld?_)?interactive_timeout$"), "mysql", "interactive_timeout", 1.0, 28800.0),
    Kind(re.compile(r"^(?:postgres(?:ql)?_)?idle_in_transaction_session_timeout$"), "postgres",
         "idle_in_transaction_session_timeout", 0.001, None),
    Kind(re.compile(r"^(?:postgres(?:ql)?_)?idle_session_timeout$"), "postgres", "idle_session_timeout", 0.001, None),
    Kind(re.compile(r"^(?:pgbouncer_)?server_idle_timeout$"), "postgres", "PgBouncer server_idle_timeout", 1.0, 600.0),
    Kind(re.compile(r"^(?:pgbouncer_)?client_idle_timeout$"), "postgres", "PgBouncer client_idle_timeout", 1.0, None),
    Kind(re.compile(r"^(?:redis_)?timeout$"), "redis", "Redis timeout", 1.0, None),
    Kind(re.compile(r"load_balancer_connection_idle_timeout$"), "tcp", "the load balancer's connection idle timeout",
         1.0, 60.0),
    Kind(re.compile(r"load_balancer_tcp_idle_timeout$"), "tcp", "the load balancer's TCP idle timeout", 60.0, 240.0),
)
"""Server idle limits, with the unit of a bare number (PostgreSQL's are milliseconds, Azure's minutes)."""

CLOSED: dict[str, re.Pattern[str]] = {
    "mysql": re.compile(r"No operations allowed after connection closed|last packet successfully received from the "
                        r"server was [\d,]+ milliseconds ago|Communications link failure|MySQL server has gone away|"
                        r"Lost connection to MySQL server|\[mysql\].*(?:invalid connection|unexpected EOF|closing bad "
                        r"idle connection)|driver: bad connection|Got timeout reading communication packets",
                        re.I),
    "postgres": re.compile(r"This connection has been closed|server closed the connection unexpectedly|Connection "
                           r"terminated unexpectedly|terminating connection due to idle(?:-in-transaction|-session)? "
                           r"timeout|connection (?:was closed in the middle of operation|is closed)|57P05|25P03",
                           re.I),
    "redis": re.compile(r"Connection closed by server|Connection is closed|Connection reset by peer|"
                        r"ConnectionError: Error while reading from|Unexpected end of stream|EOF", re.I),
    "tcp": re.compile(r"Connection reset by peer|ECONNRESET|broken pipe|unexpected EOF|socket hang up", re.I),
}
"""Each software's clients' words for using a connection the server already closed."""

IDLE_AGO = re.compile(r"last packet successfully received from the server was ([\d,]+) milliseconds ago", re.I)

POOL_KEY = re.compile(r"max[-_]?lifetime|maxLifetime|idle[-_]?timeout|conn[-_]?max[-_]?(?:lifetime|idle[-_]?time|"
                      r"age)|pool[-_]?recycle|idleTimeoutMillis|max[-_]?idle[-_]?time", re.I)
"""Env keys that set how long a client pool keeps a connection."""

POOL_DEFAULTS: tuple[tuple[re.Pattern[str], str, float], ...] = (
    (re.compile(r"hikari", re.I), "HikariCP maxLifetime default", 1800.0),
    (re.compile(r"\[mysql\]|go-sql-driver|database/sql", re.I), "Go database/sql (no max lifetime by default)",
     float("inf")),
)
"""Pools whose default lifetime is documented, recognised in the clients' wording."""


@dataclass
class Limit:
    """One server idle limit a write set: the object, the setting, old and new value in seconds, the line."""

    target: Ref
    kind: Kind
    key: str
    old: float | None
    new: float
    at: datetime
    line: str
    old_source: str = ""


@dataclass
class Fit:
    """A lowered idle limit and the clients that reuse connections it closes."""

    limit: Limit
    clients: list[Ref]
    pool: str
    pool_s: float | None
    said: str
    idle_ms: int | None
    minutes_before: int
    evidence: list[str] = field(default_factory=list)


def _tokens(text: str) -> list[str]:
    try:
        value = ast.literal_eval(text.strip())
    except (ValueError, SyntaxError):
        return text.strip("'\"").split()
    return [str(v) for v in value] if isinstance(value, list) else []


def normal(key: str) -> str:
    """`--wait-timeout`, `mysqld.wait_timeout`, `service.beta.kubernetes.io/aws-load-balancer-connection-idle-timeout`,
    `MYSQL_WAIT_TIMEOUT` as the setting's own name in snake case (`innodb_lock_wait_timeout` stays itself)."""
    last = key.strip().rsplit("/", 1)[-1]
    last = last.rsplit(".", 1)[-1] if "/" not in key else last
    return last.lstrip("-").replace("-", "_").lower()


def kind_of(key: str, program: str = "") -> Kind | None:
    """The idle limit a setting's key names; Redis' bare `timeout` only on a Redis server."""
    for kind in KINDS:
        if kind.key.search(normal(key)):
            if kind.software == "redis" and "redis" not in (program + key).lower():
                continue
            return kind
    return None


def seconds(value: str | None, kind: Kind) -> float | None:
    """`60`, `60s`, `1min`, `60000` (PostgreSQL ms) as seconds; 0 means no limit (None)."""
    text = str(value or "").strip().strip("'\"").lower()
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(ms|s|sec|min|m|h)?", text)
    if m is None:
        return None
    number = float(m.group(1))
    scale = {"ms": 0.001, "s": 1.0, "sec": 1.0, "min": 60.0, "m": 60.0, "h": 3600.0}.get(m.group(2) or "", kind.unit)
    return number * scale if number > 0 else None


_LISTS = re.compile(r"^(?P<c>\S+) (?:args|command) (?P<old>\[.*\]|None) -> (?P<new>\[.*\]|None)$")
_NOW = re.compile(r"^(?P<c>\S+) (?:args|command) now (?P<new>\[.*\])$")
_ENV = re.compile(r"\benv (?P<key>[\w.-]+)(?:='(?P<old>[^']*)'| \(unset\)) -> (?:unset|[\w.-]+='(?P<new>[^']*)')")
_DATA = re.compile(r"^data key (?P<key>\S+) (?P<old>'.*'|\(unset\)) -> (?P<new>'.*')")
_ARROW = re.compile(r"^(?P<path>[\w.\[\]=/-]+): (?P<old>.+?) -> (?P<new>.+)$")
_SET = re.compile(r"^(?P<path>[\w.\[\]=/-]+) = (?P<new>.+?)(?: \(current\))?$")
_CONF = re.compile(r"^\s*(?P<key>[A-Za-z_][\w.-]*)\s*(?:=|\s)\s*(?P<value>\d+\S*)\s*$", re.M)


def _unquote(value: str | None) -> str | None:
    if value is None or value == "(unset)":
        return None
    try:
        return str(ast.literal_eval(value)) if value[:1] in "'\"" else value
    except (ValueError, SyntaxError):
        return value


def _conf(text: str | None) -> dict[str, str]:
    """A config file's `key = value` / `key value` lines (my.cnf, redis.conf, pgbouncer.ini, postgresql.conf)."""
    out = dict(value_diff.leaves(text or "") or {})
    out.update({m["key"]: m["value"] for m in _CONF.finditer(text or "")})
    return out


def _pairs(line: str) -> list[tuple[str, str | None, str | None, str]]:
    """(key, old, new, program) of every setting one diff line shows."""
    if m := _LISTS.match(line):
        old, new = _tokens(m["old"]) if m["old"] != "None" else [], _tokens(m["new"]) if m["new"] != "None" else []
        a, b = flags(old), flags(new)
        prog = m["c"] + " " + " ".join(old[:1] + new[:1])
        return [(k, a.get(k), b.get(k), prog) for k in {**a, **b} if a.get(k) != b.get(k)]
    if m := _NOW.match(line):
        return [(k, None, v, m["c"]) for k, v in flags(_tokens(m["new"])).items()]
    if m := _ENV.search(line):
        return [(m["key"], m["old"], m["new"], "")]
    if m := _DATA.match(line):
        was, now = _conf(_unquote(m["old"])), _conf(_unquote(m["new"]))
        return [(k, was.get(k), now.get(k), m["key"]) for k in now if was.get(k) != now.get(k)]
    if m := _ARROW.match(line):
        return [(m["path"].rsplit(".", 1)[-1] if "/" not in m["path"] else m["path"], _unquote(m["old"]),
                 _unquote(m["new"]), m["path"])]
    if m := _SET.match(line):
        return [(m["path"].rsplit(".", 1)[-1] if "/" not in m["path"] else m["path"], None, _unquote(m["new"]),
                 m["path"])]
    return []


def limits_of(change: dict[str, Any]) -> list[Limit]:
    """The idle limits one write set or lowered (a raised or removed limit is no candidate)."""
    target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
    if target is None or at is None or target.kind == "Secret":
        return []
    out = []
    for line in (str(d) for d in change.get("diff") or []):
        for key, old, new, program in _pairs(line):
            kind = kind_of(key, program + " " + target.name)
            after = seconds(new, kind) if kind else None
            if kind is None or after is None:
                continue
            before = seconds(old, kind) if old is not None else None
            if old is not None and before is not None and before <= after:
                continue
            out.append(Limit(target, kind, key.lstrip("-"), before, after, at, line[:240],
                             "the timeline" if before is not None else ""))
    return out


def candidates(facts: Facts) -> list[Limit]:
    """Idle limits set or lowered within LEAD before the incident, newest first, one per object and setting."""
    out: list[Limit] = []
    for change, _ in facts.every_change():
        for limit in limits_of(change):
            if timedelta(0) <= facts.at - limit.at <= LEAD and not any(
                    o.target.same_object(limit.target) and o.kind == limit.kind for o in out):
                out.append(limit)
    return sorted(out, key=lambda lim: lim.at, reverse=True)


def _texts(log: LogEvidence) -> list[tuple[str, str | None]]:
    """(text, first_seen) of every error, warning and last line one log fact holds."""
    entries = [e for e in [log.top, *log.more, *log.warnings] if isinstance(e, dict)]
    out = [(" ".join(str(e.get(k) or "") for k in ("message", "example", "template")), e.get("first_seen"))
           for e in entries]
    return out + [(line, None) for line in log.last_lines]


def _when(text: str, first: Any) -> datetime | None:
    when = parse_time(first)
    if when is None:
        m = re.match(r"\s*(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z?)", text)
        when = parse_time(m.group(1) + ("" if m.group(1).endswith("Z") else "Z")) if m else None
    return when


def closed_wording(facts: Facts, limit: Limit) -> list[tuple[LogEvidence, str, datetime | None]]:
    """Client logs (not the server's own pods) with the software's closed-connection words, and their first time."""
    pattern = CLOSED[limit.kind.software]
    out = []
    for log in facts.logs:
        if workload_of_pod(log.pod) == limit.target.name and log.namespace == limit.target.namespace:
            continue
        hits = [(t, _when(t, f)) for t, f in _texts(log) if pattern.search(t)]
        if hits:
            times = [w for _, w in hits if w is not None]
            out.append((log, hits[0][0], min(times) if times else None))
    return out


LIBRARY: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"hikari.*max[-_]?lifetime", re.I), "HikariCP maxLifetime"),
    (re.compile(r"hikari.*idle[-_]?timeout", re.I), "HikariCP idleTimeout"),
    (re.compile(r"pool[-_]?recycle", re.I), "SQLAlchemy pool_recycle"),
    (re.compile(r"conn[-_]?max[-_]?lifetime", re.I), "database/sql ConnMaxLifetime"),
    (re.compile(r"conn[-_]?max[-_]?idle[-_]?time", re.I), "database/sql ConnMaxIdleTime"),
    (re.compile(r"conn[-_]?max[-_]?age", re.I), "Django CONN_MAX_AGE"),
    (re.compile(r"idleTimeoutMillis", re.I), "node-postgres idleTimeoutMillis"),
)
"""What library setting a pool env key is, for the finding to say it in the library's own name."""


def _library(key: str) -> str:
    return next((f"{name}, " for pattern, name in LIBRARY if pattern.search(key)), "")


def _pool(env: dict[str, str], said: str) -> tuple[str, float | None]:
    """The clients' pool lifetime in seconds and where it is read: the longest pool setting of their env (Hikari's
    and keys ending in MS/MILLIS are milliseconds), else the library's documented default, else unknown."""
    best: tuple[str, float] | None = None
    for key, value in env.items():
        if not POOL_KEY.search(key):
            continue
        m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h)?\s*", value)
        if m is None:
            continue
        number, unit = float(m.group(1)), m.group(2)
        if unit:
            s = number * {"ms": 0.001, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}[unit]
        elif re.search(r"hikari|ms$|millis", key, re.I):
            s = number / 1000
        else:
            s = number
        if best is None or s > best[1]:
            best = (f"{_library(key)}{key}={value}", s)
    if best is not None:
        return best
    for pattern, name, lifetime in POOL_DEFAULTS:
        if pattern.search(said):
            return name, lifetime
    return "", None


def _excerpt(text: str, start: int) -> str:
    """The wording from a little before where it matched: the line's timestamp and logger are no meaning."""
    return text[max(0, start - 40):].strip()


def _span(s: float) -> str:
    if s == float("inf"):
        return "unlimited"
    if s >= 7200 and s % 3600 == 0:
        return f"{s / 3600:g} h"
    return f"{s / 60:g} min" if s >= 120 and s % 60 == 0 else f"{s:g} s"


def found(facts: Facts) -> list[Fit]:
    """Idle limits lowered before their clients started reusing closed connections, below the clients' pools."""
    store = facts.reads.get(READS) or {}
    out: list[Fit] = []
    for limit in candidates(facts):
        if any(o.limit.target.same_object(limit.target) for o in out):
            continue  # one finding per server object: its first idle limit (wait_timeout before interactive)
        hits = [(log, said, first) for log, said, first in closed_wording(facts, limit)
                if first is None or first >= limit.at - timedelta(minutes=1)]
        if not hits:
            continue
        got = store.get(str(limit.target)) or {}
        if limit.old is None and got.get("old") is not None:
            limit.old, limit.old_source = float(got["old"]), str(got.get("old_source") or "")
        if limit.old is not None and limit.old <= limit.new:
            continue  # the exporter shows it was never higher: nothing was lowered
        env: dict[str, str] = {}
        clients: list[Ref] = []
        for log, _, _ in hits:
            client = store.get(f"client:{log.namespace}/{workload_of_pod(log.pod)}") or {}
            env.update(client.get("env") or {})
            ref = Ref.of(client.get("ref"))
            if ref is not None and not any(ref.same_object(c) for c in clients):
                clients.append(ref)
        all_said = " ".join(t for log, _, _ in hits for t, _ in _texts(log))
        pool, pool_s = _pool(env, all_said)
        if pool_s is not None and pool_s <= limit.new:
            continue  # the pool retires connections before the server closes them: not this limit
        ago = [int(m.group(1).replace(",", "")) for m in IDLE_AGO.finditer(all_said)]
        said = next((_excerpt(t, m.start()) for log, _, _ in hits for t, _ in _texts(log) if (m := re.search(
            r"Failed to validate connection|connection closed|has been closed|gone away|terminated unexpectedly|"
            r"closed the connection|Connection is closed", t, re.I))), hits[0][1])
        evidence = [e for e in [facts.changes_id or "", *(log.evidence_id for log, _, _ in hits),
                                *got.get("evidence", [])] if e]
        out.append(Fit(limit, clients, pool, pool_s, said, max(ago) if ago else None,
                       int((facts.at - limit.at).total_seconds() // 60), list(dict.fromkeys(evidence))))
    return out


def finding(f: Fit) -> dict[str, Any]:
    """The server object, its idle limit old -> new, the clients' pool lifetime, and their closed-connection words."""
    lim = f.limit
    flag = f" ({lim.key})" if normal(lim.key) != lim.kind.name.rsplit(" ", 1)[-1] else ""
    if lim.old is not None:
        change = f"{lim.kind.name}{flag} {_span(lim.old)} -> {_span(lim.new)}"
        if lim.old_source and lim.old_source != "the timeline":
            change += f" (old value from {lim.old_source})"
    elif lim.kind.default is not None:
        change = (f"{lim.kind.name}{flag} to {_span(lim.new)} (old value not recorded; default "
                  f"{_span(lim.kind.default)})")
    else:
        change = f"{lim.kind.name}{flag} to {_span(lim.new)} (old value not recorded; off by default)"
    who = ", ".join(f"{c.namespace}/{c.name}" for c in f.clients) or "its clients"
    pool = (f"{who} keep{'s' if f.clients and len(f.clients) == 1 else ''} pooled connections "
            f"{_span(f.pool_s)} ({f.pool})" if f.pool_s is not None else f"{who} keep pooled connections longer")
    idle = f" (idle {f.idle_ms:,} ms when used)" if f.idle_ms else ""
    message = (f"{lim.target} lowered the server idle limit {change} {minutes_text(f.minutes_before)} before the "
               f"incident, below its clients' pool lifetime: the server closes connections idle over "
               f"{_span(lim.new)}, {pool}, so clients reuse idle connections the server already closed{idle}: "
               f"'{f.said[:150]}'. Raise {lim.kind.name} above the pool's lifetime, or make the pool retire "
               f"connections sooner (maxLifetime/idle timeout below {_span(lim.new)})")
    return {"check": CHECK, "severity": "critical", "object": {"kind": lim.target.kind, "namespace":
                                                               lim.target.namespace, "name": lim.target.name},
            "reason": "IdleLimitBelowPool", "message": message, "evidence": [f.said[:200], lim.line[:200]],
            "details": {"setting": lim.kind.name, "old_s": lim.old, "new_s": lim.new, "pool": f.pool,
                        "pool_s": f.pool_s if f.pool_s != float("inf") else None, "change_at": lim.at.isoformat()}}


# ---- reading (survey) -----------------------------------------------------------------------------------

VARIABLES = ("mysql_global_variables_wait_timeout|mysql_global_variables_interactive_timeout|"
             "pg_settings_idle_session_timeout_seconds|pg_settings_idle_in_transaction_session_timeout_seconds|"
             "pgbouncer_config_server_idle_timeout_seconds")
"""Exporter series of servers' idle limits (in seconds): their first value is the limit before the write."""


async def read(facts: Facts, call: Call, at: str) -> None:
    """Reading only, when an idle limit was set and clients say they used closed connections: the exporter's
    variable series (the old value), and each client workload's env (its pool lifetime)."""
    limits = [lim for lim in candidates(facts) if closed_wording(facts, lim)]
    if not limits:
        return
    store = facts.reads.setdefault(READS, {})
    outcome = await call("prom_query_range", {"query": f'{{__name__=~"{VARIABLES}"}}',
                                              "start": (facts.at - LEAD).isoformat().replace("+00:00", "Z"),
                                              "end": at, "step": "10m", "baseline": "none", "top_k": 10},
                         "survey-idle-limit-variables")
    series = outcome.data.get("series") or [] if outcome is not None and outcome.ok and isinstance(
        outcome.data, dict) else []
    for lim in limits:
        got = store.setdefault(str(lim.target), {"evidence": []})
        for s in series:
            labels = {str(k): str(v) for k, v in (s.get("labels") or {}).items()}
            name = labels.get("__name__", "")
            if lim.kind.name.rsplit(" ", 1)[-1] not in name:
                continue
            if lim.target.namespace and labels.get("namespace") not in (None, lim.target.namespace):
                continue
            if not any(lim.target.name in v for v in labels.values()) and len(series) > 1:
                continue
            before = (s.get("change") or {}).get("before")
            peak = before if isinstance(before, int | float) and before > lim.new else s.get("max")
            if isinstance(peak, int | float) and peak > lim.new:  # a window that starts after the write says nothing
                got["old"], got["old_source"] = float(peak), f"the exporter's {name}"
                got["evidence"].append(outcome.evidence_id)
                break
        for log, _, _ in closed_wording(facts, lim)[:MAX_CLIENTS]:
            name = workload_of_pod(log.pod)
            key = f"client:{log.namespace}/{name}"
            if key in store:
                continue
            store[key] = {}
            for kind in ("Deployment", "StatefulSet"):
                obj = await get_yaml(call, kind, name, log.namespace, f"survey-idle-limit-client-{name}")
                if obj is None:
                    continue
                spec = ((obj[0].get("spec") or {}).get("template") or {}).get("spec") or {}
                env = {str(e.get("name")): str(e.get("value")) for c in spec.get("containers") or []
                       if isinstance(c, dict) for e in c.get("env") or []
                       if isinstance(e, dict) and e.get("value") is not None and POOL_KEY.search(str(e.get("name")))}
                store[key] = {"ref": {"kind": kind, "namespace": log.namespace, "name": name}, "env": env}
                got["evidence"].append(obj[1])
                break
