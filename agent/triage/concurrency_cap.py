"""A server's concurrency capacity cut by a recent write, and the server now saturated at the new cap.

A request-serving process handles only as many requests at once as its pool allows: Tomcat's
`server.tomcat.threads.max` / `maxThreads` (default 200), Jetty's thread pool, Puma's `RAILS_MAX_THREADS`,
PHP-FPM's `pm.max_children`, nginx's `worker_connections`, uvicorn's `--limit-concurrency`, a HikariCP
`maximumPoolSize` (default 10), libuv's `UV_THREADPOOL_SIZE` (default 4). Cut that number and nothing errors
at first: at the next peak every slot is busy, new requests wait in the accept queue (or the pool's wait
list), the server's latency climbs to seconds and its callers time out. The caller's timeout names no limit,
so the error-led mechanisms (limit_hit, time_limit) have nothing to read; the proof is the server's own
saturation gauge (`tomcat_threads_busy_threads` at `tomcat_threads_config_max_threads`, `puma_pool_capacity`
at 0, `hikaricp_connections_pending` above 0, `phpfpm_max_children_reached` counting) or its own wording at
the cap (`server reached pm.max_children setting`, `worker_connections are not enough`).

This module pairs the two halves:

1. the write: every recent (24 h) write to a workload or ConfigMap that LOWERED a known concurrency
   setting (env, container flags, ConfigMap keys, leaves of a config file, `key value` lines of a server's
   own config such as nginx.conf), or set one that was unset, compared with the software's documented
   default (a setting with no such default needs its old value);
2. the saturation, on the workloads that hold the setting, from the write on: busy slots at the new cap for
   minutes (the family's own gauges; the new value stands for the cap when only a busy gauge is exported),
   a wait queue that was empty before the write, the cap counter rising, or the software's own wording.

A cut with slots to spare (busy far below the new cap) is no cause; saturation that already held before the
write (at the old cap) is a traffic story, not this one; a raised cap is no candidate. When the workloads of
the namespaces the incident names call the server (their logs name its host), their failing line is quoted.
Reading only; Secrets are never read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import tightened, time_limit, value_diff
from agent.triage.changed_keys import normal
from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.concurrency_cap"
WEIGHT = 0.92
"""A capacity cut whose server is measured saturated at the new cap explains its callers' timeouts outright:
level with a tightened bound the errors fit, above the callers' own symptoms."""
CHECK_UNRELATED = "change.concurrency_cap_elsewhere"
WEIGHT_UNRELATED = 0.6
"""The same, on a server nothing ties to the incident's names: real, but below any cause on the incident's path."""
READS = "concurrency_cap"
LEAD = timedelta(hours=24)
"""How long before the incident the cut may have been written (the cap bites at the next peak)."""
BEFORE = timedelta(hours=1)
"""How far before the write the gauges are read to rule out saturation that the write did not cause."""
SATURATED = 0.95
"""Busy slots at or above this share of the cap count as saturated (a gauge sampled between requests)."""
MIN_MINUTES = 3
"""Minutes at the cap that make saturation, not a blip."""
MAX_CUTS = 3
MAX_PODS = 2
MAX_CALLERS = 4
LOG_TAIL = 400
WORDS_TAIL = 3000
"""Lines read (then grepped) for the software's wording at the cap: far enough back to see before the write."""
_CONDENSED = re.compile(r"^\s*repeated \d+x:")
"""A line the log reader folded into its template (digits masked): no time, no value to read."""
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")

Call = Callable[..., Awaitable[Any]]


# ---- which settings are concurrency caps ---------------------------------------------------------------


@dataclass(frozen=True)
class Family:
    """One software's concurrency setting: its spellings, documented default, gauges and wording at the cap."""

    software: str
    what: str
    """What one unit of the cap is, as the finding says it (`Tomcat request threads`)."""
    keys: tuple[tuple[str, ...], ...]
    """Setting names as normal words (`server.tomcat.threads.max` -> server tomcat threads max): a key matches
    when its words end with these (an env prefix, a YAML path) and at least three words agree, or it is them."""
    default: float | None
    source: str = ""
    flags: tuple[str, ...] = ()
    """Command-line flags of `program` that set it (`--workers`, `-w`)."""
    program: str = ""
    busy: str = ""
    """Gauge of slots in use (a regex on the metric name)."""
    cap: str = ""
    """Gauge of the configured cap, when the software exports it."""
    spare: str = ""
    """Gauge of free slots (0 = saturated)."""
    queue: str = ""
    """Gauge of requests waiting for a slot."""
    hits: str = ""
    """Counter of times the cap was reached."""
    said: re.Pattern[str] | None = None
    """The software's own wording when the cap is reached."""
    grep: str = ""
    """A literal word of that wording, to read only those lines of a long log."""


INF = float("inf")

FAMILIES: tuple[Family, ...] = (
    Family("Tomcat", "Tomcat request threads",
           (("server", "tomcat", "threads", "max"), ("server", "tomcat", "max", "threads")), 200,
           "Spring Boot server.tomcat.threads.max (Tomcat maxThreads) default 200",
           busy=r"tomcat_threads_busy(?:_threads)?|(?:tomcat|catalina)_threadpool_currentthreadsbusy",
           cap=r"tomcat_threads_config_max(?:_threads)?|(?:tomcat|catalina)_threadpool_maxthreads"),
    Family("Jetty", "Jetty threads",
           (("server", "jetty", "threads", "max"), ("server", "jetty", "max", "threads"),
            ("jetty", "thread", "pool", "max", "threads")), 200,
           "Jetty QueuedThreadPool maxThreads default 200",
           busy=r"jetty_threads_busy", cap=r"jetty_threads_config_max",
           queue=r"jetty_threads_jobs|jetty_queued_thread_pool_jobs"),
    Family("Tomcat/Jetty", "request threads", (("max", "threads"),), 200,
           "Tomcat Connector / Jetty QueuedThreadPool maxThreads default 200",
           busy=r"tomcat_threads_busy(?:_threads)?|(?:tomcat|catalina)_threadpool_currentthreadsbusy|jetty_threads_busy",
           cap=r"tomcat_threads_config_max(?:_threads)?|(?:tomcat|catalina)_threadpool_maxthreads|"
               r"jetty_threads_config_max"),
    Family("Undertow", "Undertow worker threads",
           (("server", "undertow", "threads", "worker"), ("server", "undertow", "worker", "threads")), None,
           busy=r"undertow_[a-z_]*(?:busy|active)[a-z_]*", cap=r"undertow_[a-z_]*max[a-z_]*"),
    Family("HikariCP", "HikariCP connections",
           (("hikari", "maximum", "pool", "size"), ("maximum", "pool", "size")), 10,
           "HikariCP maximumPoolSize default 10",
           busy=r"hikaricp_connections_active|hikaricp_active_connections",
           cap=r"hikaricp_connections_max|hikaricp_max_connections",
           queue=r"hikaricp_connections_pending|hikaricp_pending_threads",
           said=re.compile(r"Connection is not available, request timed out after|"
                           r"total=\d+, active=\d+, idle=0, waiting=[1-9]", re.I), grep="Connection is not available"),
    Family("Puma", "Puma threads per worker",
           (("rails", "max", "threads"), ("puma", "max", "threads")), 5,
           "Rails' config/puma.rb RAILS_MAX_THREADS default 5",
           flags=("-t", "--threads"), program="puma",
           busy=r"puma_busy_threads", cap=r"puma_(?:thread_)?max_threads", spare=r"puma_(?:thread_)?pool_capacity",
           queue=r"puma_(?:request_)?backlog"),
    Family("web server", "worker processes", (("web", "concurrency"),), None,
           busy=r"puma_busy_threads|gunicorn_[a-z_]*busy[a-z_]*", spare=r"puma_(?:thread_)?pool_capacity",
           queue=r"puma_(?:request_)?backlog|gunicorn_[a-z_]*backlog[a-z_]*"),
    Family("gunicorn", "gunicorn workers", (), 1, "gunicorn --workers/--threads default 1",
           flags=("-w", "--workers", "--threads"), program="gunicorn",
           busy=r"gunicorn_[a-z_]*busy[a-z_]*", queue=r"gunicorn_[a-z_]*backlog[a-z_]*"),
    Family("uvicorn", "uvicorn concurrent requests", (("uvicorn", "limit", "concurrency"),), INF,
           "uvicorn --limit-concurrency default: no limit", flags=("--limit-concurrency",), program="uvicorn",
           said=re.compile(r"Exceeded concurrency limit", re.I), grep="Exceeded concurrency limit"),
    Family("PHP-FPM", "PHP-FPM worker processes", (("pm", "max", "children"),), None,
           busy=r"phpfpm_active_processes|php_fpm_active_processes", hits=r"phpfpm_max_children_reached",
           queue=r"phpfpm_listen_queue|php_fpm_listen_queue",
           said=re.compile(r"server reached (?:pm\.)?max_children setting", re.I), grep="max_children setting"),
    Family("nginx", "nginx connections per worker", (("worker", "connections"),), 512,
           "nginx worker_connections default 512",
           said=re.compile(r"worker_connections (?:are|is) not enough", re.I), grep="worker_connections"),
    Family("Node.js", "libuv threadpool threads", (("uv", "threadpool", "size"),), 4,
           "libuv UV_THREADPOOL_SIZE default 4"),
    # Apache httpd core/MPM docs: MaxRequestWorkers (MaxClients before 2.3.13); the error log says so at the cap.
    Family("Apache httpd", "httpd request workers", (("max", "request", "workers"), ("max", "clients")), None,
           said=re.compile(r"server reached (?:MaxRequestWorkers|MaxClients) setting", re.I), grep="reached Max"),
    # uWSGI: processes/workers (default 1); a full accept queue is logged 'uWSGI listen queue of socket ... full'.
    Family("uWSGI", "uWSGI worker processes", (("uwsgi", "processes"), ("uwsgi", "workers")), 1,
           "uWSGI processes default 1", flags=("-p", "--processes", "--workers"), program="uwsgi",
           said=re.compile(r"listen queue of socket .{0,80}full", re.I), grep="listen queue"),
    # HAProxy maxconn (global, frontend, defaults): current vs limit sessions, queued requests (its exporter).
    Family("HAProxy", "HAProxy connections", (("maxconn",),), None,
           busy=r"haproxy_(?:frontend|server|backend)_current_sessions",
           cap=r"haproxy_(?:frontend|server|backend)_limit_sessions",
           queue=r"haproxy_(?:backend|server)_current_queue"),
    # PgBouncer pool directives: default_pool_size 20 (server connections per user/database pair, clients wait
    # beyond), max_client_conn 100 (clients refused beyond, 'no more connections allowed (max_client_conn)').
    Family("PgBouncer", "PgBouncer server connections per pool", (("default", "pool", "size"),), 20,
           "PgBouncer default_pool_size default 20",
           busy=r"pgbouncer_pools_server_active_connections",
           queue=r"pgbouncer_pools_client_waiting_connections|pgbouncer_pools_client_maxwait_seconds"),
    Family("PgBouncer", "PgBouncer client connections", (("max", "client", "conn"),), 100,
           "PgBouncer max_client_conn default 100",
           said=re.compile(r"no more connections allowed \(max_client_conn\)", re.I), grep="max_client_conn"),
    # Client-side database pools, whose own timeout names the cap: SQLAlchemy QueuePool (pool_size 5),
    # Commons DBCP2 (maxTotal 8), Tomcat JDBC (maxActive 100).
    Family("SQLAlchemy", "SQLAlchemy pool connections",
           (("sqlalchemy", "pool", "size"), ("db", "pool", "size"), ("database", "pool", "size")), 5,
           "SQLAlchemy create_engine pool_size default 5",
           said=re.compile(r"QueuePool limit of size \d+ overflow -?\d+ reached", re.I), grep="QueuePool limit"),
    Family("DBCP2", "DBCP2 pool connections", (("dbcp2", "max", "total"),), 8,
           "Commons DBCP2 maxTotal default 8",
           said=re.compile(r"Timeout waiting for idle object", re.I), grep="waiting for idle object"),
    Family("Tomcat JDBC", "Tomcat JDBC pool connections", (("tomcat", "max", "active"),), 100,
           "Tomcat JDBC pool maxActive default 100",
           said=re.compile(r"Pool empty\. Unable to fetch a connection", re.I), grep="Pool empty"),
)
"""Concurrency settings of common servers, from their own docs: Spring Boot's server properties, Tomcat's HTTP
Connector and Jetty's QueuedThreadPool (maxThreads 200), HikariCP (maximumPoolSize 10), Rails' generated
config/puma.rb (RAILS_MAX_THREADS 5), gunicorn's settings (workers 1), uvicorn's `--limit-concurrency`
(unlimited), PHP-FPM's pool directives (pm.max_children, logged `server reached pm.max_children setting`),
nginx's events module (worker_connections 512, logged `worker_connections are not enough`), libuv
(UV_THREADPOOL_SIZE 4). Gauges are the Micrometer names (tomcat_threads_*, jetty_threads_*, hikaricp_*), the
JMX exporter's Catalina ThreadPool, yabeda-puma and the php-fpm exporter."""


def family_of(key: str, program: str = "") -> Family | None:
    """The family whose concurrency setting `key` is (a flag needs its program: `-w` is gunicorn's)."""
    if key.startswith("-"):
        flagged = next((f for f in FAMILIES if key in f.flags and program and f.program in program), None)
        if flagged is not None or not key.startswith("--"):
            return flagged
    words = tuple(normal(key))  # `--server.jetty.threads.max=12`: Spring Boot reads its properties as flags too
    for f in FAMILIES:
        for k in f.keys:
            if words == k or (len(k) >= 3 and len(words) > len(k) and words[-len(k):] == k):
                return f
    return None


def count(value: str | None, key: str = "") -> float | None:
    """A cap as a number: `20`, `'20'`, Puma's `-t 2:8` (its max, 8); `auto`/text is no number."""
    if value is None:
        return None
    text = str(value).strip().strip("'\"").strip()
    if ":" in text and key in ("-t", "--threads"):
        text = text.rsplit(":", 1)[-1]
    m = re.fullmatch(r"\d+(?:\.0+)?", text)
    return float(text) if m else None


_FILE_LINE = re.compile(r"^\s*([A-Za-z_][\w.\-]*)\s*(?:=|:|\s)\s*\"?(\d+)\"?\s*;?\s*(?:#.*)?$", re.M)
_XML_ATTR = re.compile(r"\b(maxThreads)\s*=\s*\"(\d+)\"")


def _file_settings(text: str | None) -> dict[str, str]:
    """`key value` settings of a server's own config file that the structured parsers do not read: nginx's
    `worker_connections 64;`, php-fpm's `pm.max_children = 8`, server.xml's `maxThreads="20"`."""
    out: dict[str, str] = {}
    for m in _FILE_LINE.finditer(text or ""):
        out.setdefault(m.group(1), m.group(2))
    for m in _XML_ATTR.finditer(text or ""):
        out.setdefault(m.group(1), m.group(2))
    return out


# ---- the cuts written ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cut:
    """One concurrency setting a recent write lowered (or set below the documented default)."""

    target: Ref
    change: dict[str, Any]
    family: Family
    key: str
    old: str | None
    new: str
    before: float
    """The old cap; INF when the old value is not recorded (a file edited outside apply): then only the
    software's own words echoing the new value, or its cap gauge stepping down at the write, confirm a cut."""
    after: float
    evidence: str = ""

    recorded: bool = True
    """Whether the old side is known (a recorded old value, or unset with a documented default)."""

    @property
    def at(self) -> datetime | None:
        return parse_time(self.change.get("at"))

    def text(self) -> str:
        """`SERVER_TOMCAT_THREADS_MAX unset (default 200) -> 20`, `pm.max_children 40 -> 8`."""
        if self.old is None and not self.recorded:
            return f"{self.key} set to {self.new} (old value not recorded)"
        if self.old is None:
            default = "no limit" if self.before == INF else f"{self.before:g}"
            return f"{self.key} unset (default {default}) -> {self.new}"
        return f"{self.key} {self.old} -> {self.new}"


def _pairs(line: str) -> list[tuple[str, str | None, str | None, str]]:
    """(setting, old, new, program) of one diff line: flags, env, data keys, file leaves, spec fields, and the
    `key value` lines of whole config files."""
    listed = tightened._LISTS.match(line)
    program = ""
    if listed:
        tokens = tightened._tokens(listed["new"]) or tightened._tokens(listed["old"]) or []
        program = tightened._program(tokens, listed["c"]) if tokens else listed["c"]
        program = " ".join([program, *(t.rsplit("/", 1)[-1].lower() for t in tokens[:3])])
    out = [(k, o, n, program) for k, o, n in time_limit.pairs_of(line)]
    data = tightened._DATA.match(line)
    if data and [k for k, *_ in out] == [data["key"]]:
        old, new = tightened._unquote(data["old"]), tightened._unquote(data["new"])
        a, b = _file_settings((old or "").replace("\\n", "\n")), _file_settings((new or "").replace("\\n", "\n"))
        out += [(k, a.get(k), b.get(k), "") for k in dict.fromkeys([*a, *b]) if a.get(k) != b.get(k)]
    return out


_SET_KEY = re.compile(r"^data key (?P<key>\S+) (?:set|added)\b")


def cuts_of(change: dict[str, Any], target: Ref, evidence: str, facts: Facts) -> list[Cut]:
    """The concurrency caps one write lowered: each diff shape, both sides read as counts; a key set where it
    was unset is compared with its software's default; a data key written with no old value is read back from
    the ConfigMap (its settings then stand against their defaults). A raised cap is no candidate."""
    out: list[Cut] = []
    for line in (str(d) for d in change.get("diff") or []):
        for key, old, new, program in _pairs(line):
            fam = family_of(key, program)
            after = count(new, key)
            if fam is None or after is None:
                continue
            before = count(old, key) if old is not None else fam.default
            if before is None or not after < before:
                continue
            out.append(Cut(target, change, fam, key, old, str(new), before, after, evidence))
    for line in (str(d) for d in change.get("diff") or []):
        m = _SET_KEY.match(line)
        if m is None or target.kind != "ConfigMap":
            continue
        value = facts.configmap_value(target, m["key"])
        if value is None:
            continue
        previous = _last_applied(facts, target, str(m["key"]))
        now, then = _settings(value, str(m["key"])), _settings(previous, str(m["key"])) if previous else {}
        for key, text in now.items():
            fam, after = family_of(key), count(text, key)
            old = then.get(key)
            if fam is None or after is None:
                continue
            before = count(old, key) if old is not None else None if previous is not None else fam.default
            if before is not None and after < before:
                out.append(Cut(target, change, fam, key, old, str(text), before, after, evidence))
            elif previous is None and (fam.said is not None or fam.cap):
                out.append(Cut(target, change, fam, key, None, str(text), INF, after, evidence, recorded=False))
    return out


def _settings(value: str | None, name: str) -> dict[str, str]:
    """The settings of one ConfigMap value: leaves of a structured file, `key value` lines of a server's own
    config, or the value itself under its key."""
    if value is None:
        return {}
    leaves = {k: v for k, v in (value_diff.leaves(value, name) or {}).items() if v != value_diff.HIDDEN}
    return leaves or _file_settings(value) or {name: value}


def _last_applied(facts: Facts, target: Ref, key: str) -> str | None:
    """A data key's value as `kubectl apply` last wrote it (the annotation the API server keeps): the old value
    of a key edited since outside apply (None: no such record)."""
    for obj, _ in facts.objects:
        meta = obj.get("metadata") or {}
        if obj.get("kind") != "ConfigMap" or meta.get("name") != target.name \
                or (meta.get("namespace") or "") != target.namespace:
            continue
        text = (meta.get("annotations") or {}).get("kubectl.kubernetes.io/last-applied-configuration")
        try:
            applied = json.loads(text) if isinstance(text, str) else None
        except ValueError:
            return None
        data = (applied or {}).get("data") if isinstance(applied, dict) else None
        value = data.get(key) if isinstance(data, dict) else None
        return str(value) if value is not None else None
    return None


def candidates(facts: Facts) -> list[Cut]:
    """Every concurrency cap cut within LEAD before the incident, newest first, one per object and setting."""
    out: list[Cut] = []
    for change, evidence, target in facts.writes_to((*WORKLOADS, "ConfigMap"), within=LEAD):
        for cut in cuts_of(change, target, evidence, facts):
            if not any(c.target.same_object(cut.target) and (c.key == cut.key or (
                    c.family == cut.family and c.after == cut.after)) for c in out):
                out.append(cut)
    return sorted(out, key=lambda c: str(c.change.get("at")), reverse=True)


def holders(cut: Cut, facts: Facts) -> list[Ref]:
    """The workloads that run with the setting: the workload itself, else the ConfigMap's users (the change's
    related workloads, else those of its namespace the survey listed, named like the ConfigMap)."""
    if cut.target.kind in WORKLOADS:
        return [cut.target]
    users = [r for r in (Ref.of(x) for x in cut.change.get("related") or []) if r and r.kind in WORKLOADS]
    if users:
        return users[:2]
    listed = [r for r in (Ref.of(x) for x in ((facts.reads.get(READS) or {}).get("workloads") or {}).get(
        cut.target.namespace, [])) if r is not None]
    best = sorted(listed, key=lambda r: -time_limit._shared(r.name, cut.target.name))
    return [r for r in best if time_limit._shared(r.name, cut.target.name) >= 1][:2]


# ---- the saturation, as the holders' gauges and logs show it ------------------------------------------


@dataclass
class Saturation:
    """What shows a holder's slots all taken after the write (texts for the finding), and what rules it out."""

    signs: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    before: bool = False
    """Saturated already before the write (at the old cap): the write did not cause it."""
    spare: str = ""
    """Slots to spare after the write (`busy peaked at 8 of 20`): the cut did not bind."""
    echo: bool = False
    """The software's own words (or its cap gauge stepping down at the write) confirm the new value is the cap."""


@dataclass(frozen=True)
class Capped:
    """A cut cap whose holder is saturated at it, and who calls that holder."""

    cut: Cut
    holder: Ref
    signs: list[str]
    minutes_before: int
    related: bool
    caller: str = ""
    caller_line: str = ""
    evidence: list[str] = field(default_factory=list)


def _store(facts: Facts) -> dict[str, Any]:
    return facts.reads.setdefault(READS, {})


def _ties(labels: dict[str, Any], holder: Ref) -> bool:
    """Whether a series is the holder's: its pod belongs to the workload, or a job/service/app label names it."""
    pod = str(labels.get("pod") or labels.get("kubernetes_pod_name") or "")
    if pod:
        return workload_of_pod(pod) == holder.name
    return any(str(labels.get(k) or "") == holder.name for k in ("job", "service", "app", "application",
                                                                 "container", "deployment"))


def _values(data: dict[str, Any] | None, holder: Ref) -> list[float]:
    """The holder's sample values of one instant answer."""
    samples = (data or {}).get("samples") or []
    return [float(s["value"]) for s in samples if isinstance(s, dict) and isinstance(s.get("value"), (int, float))
            and _ties(s.get("labels") or {}, holder)]


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _minutes(delta: timedelta) -> int:
    return max(5, min(int(delta.total_seconds() // 60), 24 * 60))


async def _instant(call: Call, query: str, at: datetime, step: str) -> tuple[dict[str, Any] | None, str]:
    got = await call("prom_query", {"query": query, "time": _iso(at)}, step)
    if got is None or not got.ok or not isinstance(got.data, dict):
        return None, ""
    return got.data, got.evidence_id


async def _gauges(call: Call, cut: Cut, holder: Ref, at: datetime, sat: Saturation) -> None:
    """Read the family's gauges of the holder's namespace from the write to the incident (and the hour before)."""
    fam, when = cut.family, cut.at
    roles = [r for r in (fam.busy, fam.cap, fam.spare, fam.queue, fam.hits) if r]
    if when is None or not roles:
        return
    ns = holder.namespace
    step = f"survey-concurrency-{holder.name}"
    pattern = "|".join(roles)
    page = await call("prom_series", {"match": f'{{namespace="{ns}", __name__=~"{pattern}"}}',
                                      "start": _iso(when - BEFORE), "end": _iso(at), "limit": 200},
                      f"{step}-series")
    if page is None or not page.ok or not isinstance(page.data, dict):
        return
    names = {str(s.get("__name__")) for s in page.data.get("series") or []
             if isinstance(s, dict) and _ties(s, holder)}

    def named(role: str) -> str | None:
        return next((n for n in sorted(names) if role and re.fullmatch(role, n)), None)

    span = _minutes(at - when)
    window = f"[{span}m]"
    back = f"[{int(BEFORE.total_seconds() // 60)}m] offset {span}m"
    busy, cap, spare, queue, hits = (named(r) for r in (fam.busy, fam.cap, fam.spare, fam.queue, fam.hits))
    limit = cut.after
    if cap is not None:
        data, eid = await _instant(call, f'max_over_time({cap}{{namespace="{ns}"}}{window})', at, f"{step}-cap")
        caps = _values(data, holder)
        if caps:
            sat.evidence.append(eid)
            limit = min(caps)
            if limit > cut.after + 0.5:
                return  # the server reports a larger cap than the setting: the write did not take effect
            old_data, _ = await _instant(call, f'max_over_time({cap}{{namespace="{ns}"}}{back})', at,
                                         f"{step}-cap-before")
            sat.echo = max(_values(old_data, holder), default=0.0) > limit  # the cap itself stepped down
    if busy is not None:
        threshold = SATURATED * limit
        data, eid = await _instant(call, f'count_over_time(({busy}{{namespace="{ns}"}} >= {threshold:g})'
                                         f'[{span}m:1m])', at, f"{step}-busy")
        minutes = max(_values(data, holder), default=0.0)
        peak_data, peak_id = await _instant(call, f'max_over_time({busy}{{namespace="{ns}"}}{window})', at,
                                            f"{step}-peak")
        peak = max(_values(peak_data, holder), default=None)
        if minutes >= MIN_MINUTES and peak is not None:
            sat.signs.append(f"{busy} at {peak:g} = {cap or 'the new cap'} for {minutes:g} min")
            sat.evidence += [eid, peak_id]
        elif peak is not None:
            sat.spare = f"{busy} peaked at {peak:g} of {limit:g}"
        pre_data, _ = await _instant(call, f'max_over_time({busy}{{namespace="{ns}"}}{back})', at,
                                          f"{step}-before")
        pre = max(_values(pre_data, holder), default=None)
        if pre is not None and cut.before != INF and pre >= SATURATED * cut.before:
            sat.before = True
    if spare is not None:
        data, eid = await _instant(call, f'count_over_time(({spare}{{namespace="{ns}"}} <= 0)[{span}m:1m])', at,
                                   f"{step}-spare")
        minutes = max(_values(data, holder), default=0.0)
        if minutes >= MIN_MINUTES:
            sat.signs.append(f"{spare} at 0 (no free thread) for {minutes:g} min")
            sat.evidence.append(eid)
        before = int(BEFORE.total_seconds() // 60)
        pre_data, _ = await _instant(call, f'count_over_time(({spare}{{namespace="{ns}"}} <= 0)[{before}m:1m] '
                                           f'offset {span}m)', at, f"{step}-spare-before")
        sat.before = sat.before or max(_values(pre_data, holder), default=0.0) >= MIN_MINUTES
    for role, name, fn in (("queue", queue, "max_over_time"), ("hits", hits, "increase")):
        if name is None:
            continue
        data, eid = await _instant(call, f'{fn}({name}{{namespace="{ns}"}}{window})', at, f"{step}-{role}")
        after = max(_values(data, holder), default=0.0)
        pre_data, _ = await _instant(call, f'{fn}({name}{{namespace="{ns}"}}{back})', at, f"{step}-{role}-before")
        pre = max(_values(pre_data, holder), default=0.0)
        if after > 0 and pre <= 0:
            sat.signs.append(f"{name} {'up to' if role == 'queue' else 'rose by'} {after:.3g} "
                             f"({'requests waiting' if role == 'queue' else 'times the cap was reached'}; "
                             f"none before the write)")
            sat.evidence.append(eid)
        elif after > 0 and pre > 0:
            sat.before = True


async def _own_words(call: Call, cut: Cut, holder: Ref, pods: list[str], sat: Saturation) -> None:
    """The software's own wording at the cap in the holder's logs, from the write on."""
    said, when = cut.family.said, cut.at
    if said is None or when is None:
        return
    for pod in pods[:MAX_PODS]:
        args: dict[str, Any] = {"name": pod, "namespace": holder.namespace, "tail": WORDS_TAIL}
        got = await call("k8s_logs", {**args, "grep": cut.family.grep} if cut.family.grep else args,
                         f"survey-concurrency-logs-{pod}")
        if got is None or not got.ok:
            continue
        echo = re.compile(rf"(?<![\d.]){cut.after:g}(?![\d.])")
        facts = (got.data or {}).get("facts") if isinstance(got.data, dict) else None
        for kind in (facts or {}).get("errors") or [] if isinstance(facts, dict) else []:
            first = str((kind or {}).get("example") or "") if isinstance(kind, dict) else ""
            when_first = parse_time(kind.get("first_seen")) or _line_time(first) if first else None
            if said.search(first) and when_first is not None and when_first < when:
                sat.before = True  # its first line of that wording predates the write (lines read before the grep)
        for line in str(getattr(got, "full_text", "") or got.text or "").splitlines():
            if not said.search(line) or _CONDENSED.match(line):
                continue
            t = _line_time(line)
            if t is not None and t < when:
                sat.before = True  # the software was already at its cap before the write: not this write's doing
                continue
            if not sat.signs or not sat.echo:
                sat.signs.append(f"its logs say '{line.strip()[-200:]}'")
                sat.evidence.append(got.evidence_id)
                sat.echo = sat.echo or bool(echo.search(line))
        if sat.signs:
            return


_CLF = re.compile(r"\[(\d\d)[-/](\w{3})[-/](\d{4})[ :](\d\d):(\d\d):(\d\d)")
_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                                       "dec"), 1)}


def _line_time(line: str) -> datetime | None:
    """A log line's time: ISO stamps, or the `[27-Nov-2026 21:05:00]` / `[27/Nov/2026:21:05:00` stamps that
    PHP-FPM's master and nginx/Apache write (UTC assumed, as containers run)."""
    t = time_limit.line_time(line)
    m = _CLF.search(line) if t is None else None
    if m is None or m.group(2).lower() not in _MONTHS:
        return t
    return datetime(int(m.group(3)), _MONTHS[m.group(2).lower()], int(m.group(1)), int(m.group(4)),
                    int(m.group(5)), int(m.group(6)), tzinfo=UTC)


_FAILING = re.compile(r"time[d ]?\s?out|timeout|ETIMEDOUT|ESOCKETTIMEDOUT|deadline|\b50[234]\b|refused|reset|"
                      r"unavailable|too many|overload", re.I)


async def _pods_of(call: Call, namespace: str, step: str) -> list[str]:
    got = await call("k8s_list", {"kind": "Pod", "namespace": namespace}, step)
    rows = (got.data or {}).get("rows") or [] if got is not None and got.ok and isinstance(got.data, dict) else []
    return [str(r.get("name")) for r in rows if isinstance(r, dict) and r.get("name")]


def _namespaces(subject: Subject) -> list[str]:
    """The namespaces the incident names: its namespace label, namespace words, and label values or names that
    may be one."""
    out = [subject.namespace, *subject.namespace_words, *subject.labelled_values, *subject.names]
    return [n for n in dict.fromkeys(out) if n and re.fullmatch(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?", n)]


async def _callers(subject: Subject, call: Call, holder: Ref, store: dict[str, Any]) -> None:
    """A workload of the incident's namespaces whose logs name the holder's host while failing: its caller."""
    for ns in _namespaces(subject)[:3]:
        pods = store.setdefault("pods", {})
        if ns not in pods:
            pods[ns] = await _pods_of(call, ns, f"survey-concurrency-pods-{ns}")
        seen: set[str] = set()
        for pod in pods[ns]:
            workload = workload_of_pod(pod)
            if workload in seen or workload == holder.name or len(seen) >= MAX_CALLERS:
                continue
            seen.add(workload)
            got = await call("k8s_logs", {"name": pod, "namespace": ns, "tail": LOG_TAIL, "grep": holder.name},
                             f"survey-concurrency-caller-{pod}")
            if got is None or not got.ok:
                continue
            host = re.compile(rf"(?<![\w-]){re.escape(holder.name)}(?:\.{re.escape(holder.namespace)})?(?![\w-])")
            for line in str(getattr(got, "full_text", "") or got.text or "").splitlines():
                failing, named = _FAILING.search(line), host.search(line)
                if failing and named:
                    url = re.search(rf"[^\s\"'=]*{re.escape(holder.name)}[^\s\"',]*", line)
                    store.setdefault("callers", {})[str(holder)] = {
                        "caller": f"{ns}/{workload}", "evidence": got.evidence_id,
                        "line": f"{failing.group(0)} calling {url.group(0) if url else named.group(0)}"}
                    return


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: the ConfigMaps whose keys were set with no old value, the workloads of a ConfigMap's
    namespace, then for each cut its holders' gauges from an hour before the write to the incident, their logs
    (for software that words its cap) and the incident's namespaces' callers of them."""
    del at
    store = _store(facts)
    for change, _, target in facts.writes_to(("ConfigMap",), within=LEAD):
        if any(_SET_KEY.match(str(d)) for d in change.get("diff") or []) and facts.configmap_value(
                target, next(m["key"] for d in change.get("diff") or [] if (m := _SET_KEY.match(str(d))))) is None:
            got = await get_yaml(call, "ConfigMap", target.name, target.namespace, f"survey-concurrency-{target.name}")
            if got is not None and got[0].get("kind", "ConfigMap") == "ConfigMap":
                facts.objects.append(({**got[0], "kind": "ConfigMap"}, got[1]))
    cuts = candidates(facts)[:MAX_CUTS]
    for cut in cuts:
        if cut.target.kind == "ConfigMap" and not cut.change.get("related") \
                and cut.target.namespace not in store.setdefault("workloads", {}):
            store["workloads"][cut.target.namespace] = await time_limit._workloads(call, cut.target.namespace)
    if not cuts:
        return
    for cut in cuts:
        for holder in holders(cut, facts):
            key = f"{holder}|{cut.key}"
            if key in store.setdefault("saturation", {}):
                continue
            sat = Saturation()
            await _gauges(call, cut, holder, facts.at, sat)
            pods = store.setdefault("pods", {})
            if holder.namespace not in pods:
                pods[holder.namespace] = await _pods_of(call, holder.namespace,
                                                        f"survey-concurrency-pods-{holder.namespace}")
            await _own_words(call, cut, holder, [p for p in pods[holder.namespace]
                                                 if workload_of_pod(p) == holder.name], sat)
            store["saturation"][key] = {"signs": sat.signs, "evidence": sat.evidence, "before": sat.before,
                                        "spare": sat.spare, "echo": sat.echo}
            if sat.signs and not sat.before:
                await _callers(subject, call, holder, store)
    store["namespaces"] = _namespaces(subject)
    store["names"] = list(subject.names)


def _related(holder: Ref, facts: Facts, store: dict[str, Any]) -> bool:
    """Whether the incident reaches the holder: it names it or its namespace, a caller of its namespaces
    names its host while failing, a log already read names its host, or a topology lists it as a dependency."""
    names = {n.lower() for n in store.get("names") or []}
    if holder.name.lower() in names or holder.namespace in (store.get("namespaces") or []):
        return True
    if str(holder) in (store.get("callers") or {}):
        return True
    if any(h.split(".")[0] == holder.name for log in facts.logs for h in log.hosts):
        return True
    for data, _ in facts.topologies:
        for d in data.get("dependencies") or []:
            target = Ref.of((d or {}).get("target")) if isinstance(d, dict) else None
            if target is not None and target.name == holder.name and target.namespace in ("", holder.namespace):
                return True
    return False


def found(facts: Facts) -> list[Capped]:
    """Each cut cap whose holder saturated at it after the write, and not before (pure over what `read` kept)."""
    store = facts.reads.get(READS) or {}
    saturation: dict[str, dict[str, Any]] = store.get("saturation") or {}
    out: list[Capped] = []
    for cut in candidates(facts):
        for holder in holders(cut, facts):
            sat = saturation.get(f"{holder}|{cut.key}") or {}
            if not sat.get("signs") or sat.get("before") or any(c.holder.same_object(holder) for c in out) \
                    or (not cut.recorded and not sat.get("echo")):
                continue
            at = cut.at
            caller = (store.get("callers") or {}).get(str(holder)) or {}
            out.append(Capped(cut, holder, list(sat["signs"]),
                              int((facts.at - at).total_seconds() // 60) if at else 0,
                              _related(holder, facts, store), str(caller.get("caller") or ""),
                              str(caller.get("line") or ""),
                              [e for e in dict.fromkeys([cut.evidence, *(sat.get("evidence") or []),
                                                         str(caller.get("evidence") or "")]) if e]))
    return out


def finding(c: Capped) -> dict[str, Any]:
    """The finding: the cap cut old -> new and its saturation first, then the queueing and the callers."""
    cut = c.cut
    callers = f"{c.caller} fails: '{c.caller_line[:120]}'" if c.caller else "its callers time out"
    message = (f"{cut.target} cut {c.holder.name}'s {cut.family.what}: {cut.text()}, "
               f"{minutes_text(c.minutes_before)} before the incident; at the peak every slot is busy "
               f"({'; '.join(c.signs[:2])}), so requests queue for a free one and {callers}. Restore the old "
               f"value (or size the cap to the peak) rather than restarting the callers")
    return {"check": CHECK if c.related else CHECK_UNRELATED, "severity": "critical",
            "object": cut.change.get("object"), "reason": "ConcurrencyCapSaturated", "message": message,
            "evidence": [cut.text(), *c.signs[:2]],
            "details": {"setting": cut.key, "old": cut.old, "new": cut.new, "cap_before": cut.before,
                        "cap_after": cut.after, "software": cut.family.software, "holder": str(c.holder),
                        "change_at": cut.change.get("at"), "caller": c.caller}}
