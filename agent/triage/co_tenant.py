"""Another client of the victim's dependency: a co-tenant that loads it, or one that took the victim's identity on it.

A service whose calls to a shared datastore, broker or search engine turn slow is often fine itself: the thing it
shares has someone else on it. Two shapes cover most such pages, and both are a change to ANOTHER workload:

- **Load.** A client created, rolled out or rescheduled shortly before the onset does something expensive on the
  shared dependency: a Redis `KEYS pattern` (O(N) over the whole keyspace; Redis runs one command at a time, so
  every other client's command waits behind it and the slowlog fills), an Elasticsearch full reindex with bulk
  writes (the write and search thread pools fill, queries queue and time out), a CronJob whose schedule was made
  so short that its runs overlap. The victim logs only slow calls or timeouts.
- **Identity.** A workload is configured with the SAME identity the victim holds on the dependency: a Kafka
  `group.id` copied from another service joins that consumer group, the rebalance hands it a share of the
  partitions, and whatever it does with them is not what the group's own consumer does (those partitions' lag
  grows); a shared Pub/Sub subscription or NATS durable name splits the messages the same way; a copied leader
  election lease keeps one of the two from ever leading. The alert names the identity (its `consumergroup` label).

`read` (only when the subject's own logs say its calls are slow or time out) takes the workloads written within
`LEAD` before the first slow line, reads each one's spec and what one of its pods says, and the dependency's own
exporter series when the victim's errors name the software (Redis commands by type and slowlog, Elasticsearch
thread pools). `loads` and `collisions` are pure over the facts. A client that only exists (not written before
the onset), a write after the onset, or an identity that differs by one character is not this class.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage.cron_overlap import period_minutes
from agent.triage.facts import Facts, LogEvidence, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject, workload_of_pod

Call = Callable[..., Awaitable[Any]]

LOAD_CHECK = "dependency.co_tenant_load"
IDENTITY_CHECK = "dependency.identity_collision"
WEIGHT = 0.9
"""The other client's change is what to undo; the victim's slow calls and the dependency's queues follow from it."""
READS = "co_tenant"
LEAD = timedelta(hours=6)
"""How long before the victim's first slow call the other client may have been written (a janitor created in the
morning slows every minute from then on; the victim's log window may start hours later)."""
SLACK = timedelta(minutes=2)
"""A write this close after the first slow line seen still counts (log and change clocks differ a little)."""
MAX_CANDIDATES = 4
WORKLOAD_KINDS = frozenset({"deployment", "statefulset", "daemonset", "cronjob", "job"})

_SLOW = re.compile(r"\bslow\b|timed? ?out|timeout|deadline|took_ms|took[=:]|latency|duration_ms=\d{3,}|"
                   r"\"?response_?time\"?\s*[=:]\s*\d{4,}", re.I)
"""A line saying a call was slow; pino/morgan's `responseTime` counts only from a second (milliseconds)."""

SOFTWARE: dict[str, re.Pattern[str]] = {
    "redis": re.compile(r"\bredis\b|\bvalkey\b|\bkeydb\b", re.I),
    "elasticsearch": re.compile(r"elasticsearch|opensearch|\bes_(?:took|query|search|client|latency)|\belastic\b",
                                re.I),
    "postgresql": re.compile(r"postgres|psycopg|\bpq: |\bpgx\b|PSQLException|npgsql|canceling statement", re.I),
    "mysql": re.compile(r"\bmysql|mariadb|Lock wait timeout exceeded", re.I),
}
"""The software a victim's slow line names (its client's logger, an error prefix, a field such as `es_took_ms`)."""

POOL_WAIT = re.compile(r"Connection is not available, request timed out|Timeout acquiring a connection|"
                       r"pool is (?:probably )?(?:full|exhausted)|QueuePool limit .* reached|"
                       r"timed? ?out (?:while )?waiting for (?:a |an idle )?connection|"
                       r"(?:could not|unable to) (?:obtain|acquire|get) (?:a |a pooled )?connection", re.I)
"""A client-side connection pool whose callers wait for a free connection (HikariCP, Knex/tarn, SQLAlchemy, c3p0,
database/sql): the pool's connections are all busy in slow queries. The line names the pool library, not the
database, so the software is read off whichever client of the victim's dependency loads it."""
POOL = "pool"

HEAVY: dict[str, re.Pattern[str]] = {
    "redis": re.compile(r"\bKEYS\b|\bFLUSH(?:ALL|DB)\b|pattern[=:]\s*\S*\*|match[=:]\s*\S*\*", re.I),
    "elasticsearch": re.compile(r"--?[\w-]*(?:reindex|bulk|full)[\w=.-]*|\b_?reindex\b|\b_bulk\b|_update_by_query|"
                                r"forcemerge", re.I),
    "postgresql": re.compile(r"\bpg_dump(?:all)?\b|VACUUM\s+(?:\(\s*)?FULL|\bREINDEX\s+(?:TABLE|DATABASE|INDEX)|"
                             r"\bCLUSTER\s+\w|LOCK\s+TABLE|pg_repack", re.I),
    "mysql": re.compile(r"\bmysqldump\b|\bmydumper\b|\bmysqlpump\b|OPTIMIZE\s+TABLE|LOCK\s+TABLES|"
                        r"FLUSH\s+TABLES", re.I),
}
"""What a client of each software does that loads it for everyone: Redis' keyspace-wide pattern commands; a
search engine's full reindex and bulk writes."""

METRICS: dict[str, str] = {
    "redis": "redis_commands_total|redis_commands_total_total|redis_slowlog_length|"
             "redis_commands_duration_seconds_total|redis_commands_duration_seconds_total_total",
    "elasticsearch": "elasticsearch_thread_pool_rejected_count|elasticsearch_thread_pool_queue_count",
}
"""The exporters' series that show the load on the dependency (redis_exporter, elasticsearch_exporter)."""

ADVICE: dict[str, str] = {
    "redis": "iterate with SCAN (non-blocking, a cursor) instead of KEYS, or expire keys with a TTL",
    "elasticsearch": "run the reindex once at a time (concurrencyPolicy Forbid, off-peak), throttled "
                     "(requests_per_second) or into a new index behind an alias",
    "postgresql": "use VACUUM (not FULL), REINDEX CONCURRENTLY or pg_repack, and dump from a replica",
    "mysql": "dump with --single-transaction (InnoDB) or from a replica, and rebuild tables online",
    "redis_cache": "give bulk loads their own Redis (or a TTL and a throttle), and size maxmemory for the working set",
}

_KEY_PREFIX = re.compile(r"\bkey[=:]\s*\"?([A-Za-z][\w.-]*[:/])[\w:./-]+")
"""The data the victim reads: `key=cart:8117` -> `cart:` (a keyspace prefix another client can scan)."""
_PATTERN = re.compile(r"(?:pattern|match)[=:]\s*\"?(\S*\*)")

IDENTITY_KEY = re.compile(
    r"(?P<key>[\w.-]*(?:group[._-]?id|consumer[._-]?group|group[._-]?name|application[._-]?id|subscription"
    r"|durable[._-]?name|lease[._-]?name|election[._-]?id|lock[._-]?name)[\w.-]*)", re.I)
"""Settings whose value is a client's identity on a shared broker or coordinator: two workloads with one value
are one member set (Kafka `group.id`, Kafka Streams `application.id`, a Pub/Sub subscription, a NATS durable,
a leader election lease)."""
_ASSIGN = re.compile(r"[=:]\s*['\"]?(?P<value>[\w.:/-]+)")
MESSAGE_ATTRIBUTE = re.compile(r"message[._-]?group|jmsx?[._-]?group|session[._-]?id", re.I)
"""Keys that look like a group identity but are an attribute a PRODUCER stamps on each message (SQS FIFO
`MessageGroupId`, JMS `JMSXGroupID`, a Service Bus session id): they order messages, they make no one a member
of anything (agent.triage.write_semantics reads what a constant one does)."""


@dataclass
class Load:
    """Another client of the victim's dependency, written before the onset, doing what loads that dependency."""

    target: Ref
    change: dict[str, Any]
    software: str
    victim: Ref
    onset: datetime
    said: str
    does: str
    shared: str
    metrics: str = ""
    schedule: str = ""
    evidence: list[str] = field(default_factory=list)


@dataclass
class Collision:
    """A workload written to carry the identity the alert is about (the victim's consumer group)."""

    target: Ref
    change: dict[str, Any]
    key: str
    value: str
    old: str
    evidence: list[str] = field(default_factory=list)


def _store(facts: Facts) -> dict[str, Any]:
    return facts.reads.setdefault(READS, {})


def _entries(log: LogEvidence) -> list[dict[str, Any]]:
    return [e for e in [log.top or {}, *log.more, *log.warnings] if e]


def _text(entry: dict[str, Any]) -> str:
    return " ".join(str(entry.get(k) or "") for k in ("example", "message", "template"))


def slow_calls(subject: Subject | None, facts: Facts) -> tuple[LogEvidence, datetime, str, str] | None:
    """The subject's own log that says its calls are slow or time out: (log, first such line's time, the line,
    the software it names), or None. Without a subject, the log `read` found for it."""
    best: tuple[LogEvidence, datetime, str, str] | None = None
    mine = _store(facts).get("victim_pod")
    for log in facts.logs:
        if not (subject.mentions(workload_of_pod(log.pod)) if subject is not None else log.pod == mine):
            continue
        depends = " ".join(_dependency_hosts(facts, log))
        for entry in _entries(log):
            text = _text(entry)
            when = parse_time(entry.get("first_seen")) or _epoch(entry.get("first_seen"))
            software = next((s for s, p in SOFTWARE.items() if p.search(text)), "") or \
                (POOL if POOL_WAIT.search(text) else "") or \
                (next((s for s, p in SOFTWARE.items() if p.search(depends)), "") if _RESPONSE.search(text) else "")
            if when is None or not software or not (_SLOW.search(text) or entry.get("error_class") ==
                                                     "connection_timeout" or software == POOL):
                continue
            if best is None or when < best[1]:
                best = (log, when, str(entry.get("example") or entry.get("message") or "")[:200], software)
    return best


_RESPONSE = re.compile(r"\"?response_?time\"?\s*[=:]\s*\d{4,}", re.I)
"""A slow request line that names no software: the one dependency of the service that does is what it waits on."""


def _epoch(value: Any) -> datetime | None:
    """A log parser's first_seen given as epoch seconds or milliseconds (pino's `time`), as a time."""
    text = str(value or "")
    if not re.fullmatch(r"\d{10}(?:\d{3})?", text):
        return None
    return datetime.fromtimestamp(int(text) / (1000 if len(text) == 13 else 1), tz=UTC)


def _candidates(subject: Subject, facts: Facts, onset: datetime) -> list[tuple[Ref, dict[str, Any], str]]:
    """Workloads (not the subject's) created, rolled out or re-specified within LEAD before the onset, closest first."""
    out: list[tuple[Ref, dict[str, Any], str]] = []
    for change, evidence in facts.every_change():
        ref, when = Ref.of(change.get("object")), parse_time(change.get("at"))
        if ref is None or when is None or ref.kind.lower() not in WORKLOAD_KINDS or subject.mentions(ref.name):
            continue
        if not onset - LEAD <= when <= onset + SLACK or any(r.same_object(ref) for r, _, _ in out):
            continue
        if str(change.get("type") or "") == "deleted":
            continue
        out.append((ref, change, evidence))
    out.sort(key=lambda c: abs((onset - (parse_time(c[1].get("at")) or onset)).total_seconds()))
    return out[:MAX_CANDIDATES]


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, when the subject's calls are slow: the spec and one pod's lines of each workload written before
    the onset, and the dependency's exporter series."""
    store = _store(facts)
    store["named"] = sorted({v for v in subject.labelled_values if len(v) >= 3 and not v.isdigit()})
    store["mentioned"] = sorted({n for c, _ in facts.every_change() if (n := str((c.get("object") or {}).get(
        "name") or "")) and subject.mentions(n)})
    if any(_identity_writes(c) for c, _ in facts.every_change()):
        store["named"] = sorted(set(store["named"]) | set(await _own_identities(facts, call)))
    slow = slow_calls(subject, facts)
    if slow is None:
        return
    log, onset, _, software = slow
    store["victim_pod"] = log.pod
    found = _candidates(subject, facts, onset)
    found += await _job_runs(subject, call, onset, found)
    for ref, change, evidence in found:
        step = f"survey-co-tenant-{ref.name}"
        entry: dict[str, Any] = {"ref": [ref.kind, ref.namespace, ref.name], "evidence": [evidence, log.evidence_id],
                                 "text": "", "change": change}
        got = await get_yaml(call, ref.kind, ref.name, ref.namespace, step)
        owner = _cronjob_owner(got[0]) if got is not None and ref.kind == "Job" else ""
        if owner:  # a run of a CronJob: the CronJob's spec is what ran and what to change
            entry["ref"], entry["change_of"] = ["CronJob", ref.namespace, owner], ref.name
            got = await get_yaml(call, "CronJob", owner, ref.namespace, f"{step}-cronjob") or got
        if got is not None:
            entry["text"] = _spec_text(got[0])
            entry["evidence"].append(got[1])
            if entry["ref"][0] == "CronJob":
                entry["schedule"] = str((got[0].get("spec") or {}).get("schedule") or "")
        if ref.kind.lower() != "cronjob":
            topo = await call("k8s_topology", {"name": ref.name, "namespace": ref.namespace}, f"{step}-topology")
            pods = [p for p in ((topo.data or {}).get("pods") or []) if isinstance(p, dict) and p.get("name")] \
                if topo is not None and topo.ok and isinstance(topo.data, dict) else []
            if pods:
                lines = await call("k8s_logs", {"name": pods[0]["name"], "namespace": pods[0].get("namespace")
                                                or ref.namespace, "tail": 40}, f"{step}-logs")
                if lines is not None and lines.ok:
                    entry["text"] += "\n" + str(lines.full_text or "")[:6000]
                    entry["evidence"].append(lines.evidence_id)
        store.setdefault("candidates", []).append(entry)
    if store.get("candidates") and software == POOL:  # a cache in front of the pooled database may be flooded
        got_ev = await call("prom_query", {"query": f"sum(increase(redis_evicted_keys_total[{EVICTION_WINDOW}]))",
                                           "time": at}, "survey-co-tenant-evictions")
        if got_ev is not None and got_ev.ok and isinstance(got_ev.data, dict) and got_ev.data.get("samples"):
            store["evictions"] = (got_ev.data.get("samples"), got_ev.evidence_id)
    if store.get("candidates") and software in METRICS:
        outcome = await call("prom_query", {"query": f'{{__name__=~"{METRICS[software]}"}}', "time": at},
                             "survey-co-tenant-dependency")
        if outcome is not None and outcome.ok and isinstance(outcome.data, dict) and outcome.data.get("samples"):
            store["metrics"] = (outcome.data.get("samples"), outcome.evidence_id)


async def _job_runs(subject: Subject, call: Call, onset: datetime,
                    found: list[tuple[Ref, dict[str, Any], str]]) -> list[tuple[Ref, dict[str, Any], str]]:
    """Jobs (one-off or a CronJob's scheduled run) started within LEAD before the onset in any namespace: a run is
    no write to the cluster's change timeline, yet it is when a backup, backfill or batch starts loading the
    dependency it shares with the victim."""
    if len(found) >= MAX_CANDIDATES:
        return []
    listed = await call("k8s_list", {"kind": "Job"}, "survey-co-tenant-jobs")
    if listed is None or not listed.ok or not isinstance(listed.data, dict):
        return []
    out: list[tuple[Ref, dict[str, Any], str]] = []
    for row in listed.data.get("rows") or []:
        name, ns = str((row or {}).get("name") or ""), str((row or {}).get("namespace") or "")
        when = parse_time((row or {}).get("created"))
        if not name or when is None or not onset - LEAD <= when <= onset + SLACK or subject.mentions(name) or \
                any(r.name == name and r.namespace == ns for r, _, _ in found + out):
            continue
        change = {"at": when.strftime("%Y-%m-%dT%H:%M:%SZ"), "type": "started",
                  "object": {"kind": "Job", "namespace": ns, "name": name}, "summary": f"Job {ns}/{name} started"}
        out.append((Ref("Job", ns, name), change, listed.evidence_id))
    out.sort(key=lambda c: abs((onset - (parse_time(c[1]["at"]) or onset)).total_seconds()))
    return out[:MAX_CANDIDATES - len(found)]


async def _own_identities(facts: Facts, call: Call) -> list[str]:
    """The identity values (a group.id in env) the subject's own workload is configured with: a write that copies
    one onto another workload collides with it even when the alert carries no group label."""
    subject = Ref.of(facts.topologies[0][0].get("subject")) if facts.topologies else None
    if subject is None or subject.kind not in ("Deployment", "StatefulSet", "DaemonSet"):
        return []
    got = await get_yaml(call, subject.kind, subject.name, subject.namespace, "survey-co-tenant-identity")
    if got is None:
        return []
    spec = (got[0].get("spec") or {}).get("template") or {}
    return [str(e.get("value")) for c in (spec.get("spec") or {}).get("containers") or [] if isinstance(c, dict)
            for e in c.get("env") or [] if isinstance(e, dict) and e.get("value") and
            IDENTITY_KEY.fullmatch(str(e.get("name") or "")) and len(str(e.get("value"))) >= 3]


def _cronjob_owner(obj: dict[str, Any]) -> str:
    """The CronJob a Job is a scheduled run of (its controller ownerReference), or ''."""
    refs = (obj.get("metadata") or {}).get("ownerReferences") or []
    return next((str(r.get("name")) for r in refs if isinstance(r, dict) and r.get("kind") == "CronJob" and
                 r.get("name")), "")


def _spec_text(obj: dict[str, Any]) -> str:
    """The containers' command, args and env of a workload or CronJob, as one text to search."""
    spec = obj.get("spec") or {}
    template = ((spec.get("jobTemplate") or {}).get("spec") or spec).get("template") or {}
    containers = (template.get("spec") or {}).get("containers") or []
    parts = [json.dumps({k: c.get(k) for k in ("command", "args", "env")}, default=str) for c in containers
             if isinstance(c, dict)]
    return " ".join(parts)


def _victim_data(log: LogEvidence) -> list[str]:
    """Keyspace prefixes the victim's lines read (`cart:`)."""
    out: list[str] = []
    for entry in _entries(log):
        for m in _KEY_PREFIX.finditer(_text(entry)):
            if m.group(1) not in out:
                out.append(m.group(1))
    return out


def _dependency_hosts(facts: Facts, log: LogEvidence) -> list[str]:
    """The names the victim reaches its dependencies by: its log's hosts (`orders-db` of
    `orders-db.orders.svc:5432`) and the topology's dependencies of the subject."""
    names = [h.split(":")[0].split(".")[0] for h in log.hosts]
    for data, _ in facts.topologies[:1]:
        names += [str((d.get("target") or {}).get("name") or "") for d in data.get("dependencies") or []
                  if isinstance(d, dict)]
    return [n for n in dict.fromkeys(names) if len(n) >= 3 and not n[:1].isdigit()]


def _metric_text(store: dict[str, Any], software: str) -> tuple[str, str]:
    """What the dependency's exporter says about the load (`KEYS ran 150 times; slowlog 128 entries`), its evidence."""
    samples, evidence = store.get("metrics") or ([], "")
    values: dict[str, float] = {}
    for s in samples or []:
        labels = (s.get("labels") or {}) if isinstance(s, dict) else {}
        value = s.get("value") if isinstance(s, dict) else None
        if not isinstance(value, (int, float)):
            continue
        name = str(labels.get("__name__") or "")
        if software == "redis" and name.startswith("redis_commands_total") and labels.get("cmd"):
            values[f"cmd {labels['cmd']}"] = values.get(f"cmd {labels['cmd']}", 0) + value
        elif software == "redis" and name.startswith("redis_commands_duration") and labels.get("cmd"):
            values[f"secs {labels['cmd']}"] = values.get(f"secs {labels['cmd']}", 0) + value
        elif name == "redis_slowlog_length":
            values["slowlog"] = max(values.get("slowlog", 0), value)
        elif name.startswith("elasticsearch_thread_pool_"):
            what = "rejected" if "rejected" in name else "queued"
            key = f"{labels.get('type', '?')} {what}"
            values[key] = values.get(key, 0) + value
    said: list[str] = []
    if software == "redis":
        keys = values.get("cmd keys", 0)
        if keys:
            each = values.get("secs keys", 0) / keys
            said.append(f"Redis has run KEYS {keys:g} times" + (f", {each:.1f} s each" if each >= 0.05 else ""))
        if values.get("slowlog"):
            said.append(f"its slowlog holds {values['slowlog']:g} entries")
    else:
        said += [f"{int(v)} {k}" for k, v in sorted(values.items()) if v >= 1]
        said = [f"thread pools: {', '.join(said)}"] if said else []
    return "; ".join(said), str(evidence or "")


def _does(software: str, text: str, metrics: str) -> str:
    """What the client does to the shared dependency, in that software's terms."""
    heavy = list(dict.fromkeys(m.group(0) for m in HEAVY[software].finditer(text)))
    if software == "redis":
        pattern = _PATTERN.search(text)
        scan = f"matches keys by pattern {pattern.group(1)} over the whole keyspace" if pattern else \
            f"runs {', '.join(heavy[:3]) or 'keyspace-wide commands'}"
        if "KEYS" in metrics or any(h.upper() == "KEYS" for h in heavy):
            return (f"{scan} with KEYS: KEYS is O(N) and blocks single-threaded Redis for its whole run, so every "
                    "other client's commands wait behind it (the slowlog records it)")
        return (f"{scan}: a keyspace-wide match is O(N), and as KEYS it blocks single-threaded Redis for its whole "
                "run, so every other client's commands wait behind it (the slowlog records it)")
    if software == "postgresql" and (jobs := _PARALLEL_DUMP.search(text)) and int(jobs.group(1)) > 1:
        return (f"runs a parallel backup, pg_dump --jobs={jobs.group(1)}, against the shared PostgreSQL: "
                f"{jobs.group(1)} workers each read whole tables at once, saturating the database's disk I/O, so "
                "other clients' queries slow to seconds and their connection pools run dry")
    if software == "mysql" and (jobs := _PARALLEL_DUMP.search(text)) and int(jobs.group(1)) > 1:
        return (f"runs a parallel backup dump ({jobs.group(1)} threads) against the shared MySQL: every thread "
                "reads whole tables at once, saturating the database's disk I/O, so other clients' queries slow "
                "and their connection pools run dry")
    if software == "postgresql":
        return (f"runs {', '.join(heavy[:3])} on the shared PostgreSQL: VACUUM FULL, CLUSTER and a plain REINDEX "
                "hold an ACCESS EXCLUSIVE lock on each table for the whole run, LOCK TABLE as it says, and pg_dump "
                "reads every table under ACCESS SHARE locks that make DDL and lock waits queue, so other clients' "
                "queries wait and time out")
    if software == "mysql":
        return (f"runs {', '.join(heavy[:3])} on the shared MySQL: mysqldump without --single-transaction and "
                "FLUSH/LOCK TABLES hold table locks for the whole run and OPTIMIZE TABLE rebuilds the table, so "
                "other clients' statements wait (Lock wait timeout) and time out")
    if any(re.fullmatch(r"_?force_?merge", h, re.I) for h in heavy) or re.search(r"_forcemerge|max_num_segments",
                                                                               text, re.I):
        segments = re.search(r"max[_-]num[_-]segments[\"',\s=]+(\d+)", text, re.I)
        pattern = re.search(r"--(?:pattern|index|indices)[\"',\s=]+([^\s'\",]+)", text)
        live = pattern is None or pattern.group(1) in ("*", "_all") or bool(
            re.search(r"--min[_-]age[\"',\s=]+0\w?\b", text))
        return ("runs a force merge" + (f" (max_num_segments={segments.group(1)})" if segments else "")
                + (f" over indices '{pattern.group(1)}'" if pattern else "") + " against the shared search cluster"
                + (", reaching the live index its clients search" if live else "") + ": a force merge rewrites "
                "every segment of an index still being written and queried, saturating the data nodes' disks and "
                "CPU, so queries slow and time out (force-merge only read-only indices)")
    return (f"runs a reindex ({' '.join(heavy[:4])}) against the shared search cluster: full reindex and bulk "
            "writes fill its write and search thread pools, so other clients' queries queue and time out")


EVICTION_WINDOW = "2h"
MANY_EVICTED = 10_000
"""Keys evicted within EVICTION_WINDOW that mean the cache is full and dropping its working set, not trimming."""
_REDIS_TARGET = re.compile(r"(?:rediss?://|--redis[\w-]*[= ])(?:[^@\s\"'/]*@)?"
                           r"([\w-]+(?:\.[\w-]+)*)", re.I)


def _evicted(store: dict[str, Any]) -> float:
    """Keys the shared Redis evicted within EVICTION_WINDOW (redis_exporter's counter), 0 when unread."""
    samples, _ = store.get("evictions") or ([], "")
    values = [s.get("value") for s in samples or [] if isinstance(s, dict)]
    return float(sum(v for v in values if isinstance(v, (int, float))))


_PARALLEL_DUMP = re.compile(r"(?:pg_dump|mysqlpump|mydumper|mysqldump)\b.*?(?:--jobs|--threads|--parallel"
                            r"|--default-parallelism|(?<![\w-])-j)[= ]?\"?,?\s*\"?(\d+)", re.I | re.S)
"""A dump run with N parallel workers (pg_dump --jobs, mydumper --threads, mysqlpump --default-parallelism)."""


def loads(facts: Facts) -> list[Load]:
    """Workloads written before the victim's first slow call that share its dependency and load it."""
    store = _store(facts)
    slow = slow_calls(None, facts)
    if slow is None or not store.get("candidates"):
        return []
    log, onset, said, software = slow
    changes = {(str((c.get("object") or {}).get("name")), str((c.get("object") or {}).get("namespace"))): c
               for c, _ in facts.every_change()}
    data = _victim_data(log)
    hosts = _dependency_hosts(facts, log)
    victim = Ref("", log.namespace, workload_of_pod(log.pod))
    metrics, metrics_id = _metric_text(store, software)
    out: list[Load] = []
    for entry in store["candidates"]:
        kind, namespace, name = entry["ref"]
        ref, text = Ref(kind, namespace, name), str(entry.get("text") or "")
        change = changes.get((name, namespace)) or changes.get((str(entry.get("change_of")), namespace)) or \
            entry.get("change")
        soft = software
        target = _REDIS_TARGET.search(text)
        if software == POOL and change is not None and target is not None and _evicted(store) >= MANY_EVICTED and (
                any(target.group(1).split(".")[0] == h.split(".")[0] for h in hosts) or
                target.group(1).split(".")[1:2] == [victim.namespace]):
            out.append(Load(ref, change, "redis_cache", victim, onset, said, (
                f"bulk-writes into the shared Redis cache {target.group(1)} (a backfill or batch load): the cache "
                f"fills and Redis evicts {_evicted(store):,.0f} keys, {victim.name}'s hot keys among them, so its "
                "cache hit ratio collapses and every read falls through to the database, whose pool runs dry"),
                f"{victim.name} reads through the same cache", "", str(entry.get("schedule") or ""),
                [e for e in [*(entry.get("evidence") or []), (store.get("evictions") or ("", ""))[1]] if e]))
            continue
        if software == POOL:  # the victim names only its pool: the client must load a dependency it talks to
            soft = next((s for s, p in HEAVY.items() if p.search(text)), "")
            near = re.search(rf"[\w-]+\.{re.escape(victim.namespace)}(?=\.svc\b|:\d)", text)
            if near is not None:
                hosts = [*hosts, near.group(0)]
            if not soft or not any(re.search(rf"(?<![\w-]){re.escape(h)}(?![\w-])", text) for h in hosts):
                continue  # loads something, but nothing shown to be the victim's dependency
        if change is None or not HEAVY[soft].search(text):
            continue  # not doing what loads this kind of dependency
        shared = next((f"reads the same keys ({d}*) as {victim.name}" for d in data if d in text), "") or \
            next((f"talks to the same {h} as {victim.name}" for h in hosts if re.search(
                rf"(?<![\w-]){re.escape(h)}(?![\w-])", text)), "") or \
            (f"talks to the same {soft} as {victim.name}" if SOFTWARE[soft].search(text) else
             f"speaks {soft}'s API, as {victim.name}'s calls do")
        out.append(Load(ref, change, soft, victim, onset, said, _does(soft, text, metrics), shared, metrics,
                        str(entry.get("schedule") or ""),
                        [e for e in [*(entry.get("evidence") or []), metrics_id] if e]))
    out.sort(key=lambda x: (not x.shared.startswith("reads the same"), abs((onset - (parse_time(x.change.get("at")) or
                                                                                 onset)).total_seconds())))
    return out[:1]


def _what_changed(change: dict[str, Any]) -> str:
    """`was created`, or the write's first diff line, short."""
    if str(change.get("type") or "") == "created":
        return "was created"
    if str(change.get("type") or "") == "started":
        return "started a run"
    text = next((str(d) for d in change.get("diff") or []), "") or str(change.get("summary") or "")
    return f"was written ({text[:90]})" if text else "was rolled out"


def load_finding(x: Load) -> dict[str, Any]:
    """The other client first, what it does to the shared dependency, when it started, then the victim's line."""
    when = parse_time(x.change.get("at"))
    ahead = minutes_text(int((x.onset - when).total_seconds() // 60)) if when and when <= x.onset else "0 min"
    period = period_minutes(x.schedule) if x.schedule else None
    runs = (f"; its schedule '{x.schedule}' now starts a full run every {period} min"
            if period is not None and period < 60 else "")
    message = (f"{x.target} {x.does}{runs}. It {_what_changed(x.change)} at {str(x.change.get('at'))[11:16]}, "
               f"{ahead} before the first slow call in {x.victim.name}'s logs read, and {x.shared}"
               + (f"; {x.metrics}" if x.metrics else "") + f". {x.victim.name} itself is fine, it waits: "
               f"'{x.said[:140]}'. Stop or reschedule {x.target.name}; " + ADVICE.get(x.software, ""))
    return {"check": LOAD_CHECK, "severity": "critical",
            "object": {"kind": x.target.kind, "namespace": x.target.namespace, "name": x.target.name},
            "reason": "CoTenantLoadsDependency", "message": message,
            "evidence": [x for x in (str(x.change.get("summary") or ""), x.metrics, x.said) if x],
            "details": {"software": x.software, "changed_at": x.change.get("at"), "onset": x.onset.isoformat(),
                        "victim": str(x.victim), "schedule": x.schedule}}


def _identity_writes(change: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(key, new value, old value) of each identity setting a change wrote: `KAFKA_GROUP_ID (unset) ->
    KAFKA_GROUP_ID='x'`, `group.id: 'a' -> 'b'`, `--group-id=x`."""
    out: list[tuple[str, str, str]] = []
    for line in [str(d) for d in change.get("diff") or []] or [str(change.get("summary") or "")]:
        before, arrow, after = line.rpartition("->")
        if not arrow:
            before, after = "", line
        for m in IDENTITY_KEY.finditer(after):
            if MESSAGE_ATTRIBUTE.search(m.group("key")):
                continue
            value = _ASSIGN.match(after, m.end())
            if value is not None:
                old = _ASSIGN.search(before[before.find(m.group("key")) + len(m.group("key")):]) \
                    if m.group("key") in before else None
                out.append((m.group("key"), value.group("value"), old.group("value") if old else ""))
        if arrow and not out:
            key = IDENTITY_KEY.search(before)
            new = re.search(r"['\"]?([\w.:/-]+)['\"]?", after)
            if key is not None and new is not None and not MESSAGE_ATTRIBUTE.search(key.group("key")):
                old = _ASSIGN.search(before[key.end():])
                out.append((key.group("key"), new.group(1), old.group("value") if old else ""))
    return out


def collisions(facts: Facts) -> list[Collision]:
    """Workloads other than the subject's written to carry, as a consumer identity, a value the alert names."""
    store = _store(facts)
    named, mentioned = set(store.get("named") or []), set(store.get("mentioned") or [])
    if not named:
        return []
    out: list[Collision] = []
    for change, evidence in facts.every_change():
        ref, when = Ref.of(change.get("object")), parse_time(change.get("at"))
        if ref is None or when is None or not facts.at - LEAD <= when <= facts.at or ref.name in mentioned:
            continue
        for key, value, old in _identity_writes(change):
            if value in named and old != value and not any(c.target.same_object(ref) for c in out):
                out.append(Collision(ref, change, key, value, old, [e for e in (evidence,) if e]))
    return out


def identity_finding(c: Collision, at: datetime) -> dict[str, Any]:
    """The workload that took the identity, the identity, when, and what sharing it does."""
    when = parse_time(c.change.get("at"))
    ahead = minutes_text(int((at - when).total_seconds() // 60)) if when else "?"
    kafka = bool(re.search(r"group", c.key, re.I))
    meaning = ("it joins consumer group {v} as one more member: the rebalance hands it a share of the group's "
               "partitions, it commits their offsets without doing the group's work, and the records on those "
               "partitions are never handled by the group's own consumer, so their lag grows"
               if kafka else "it becomes one more member of {v}: the messages or the lease that identity holds are "
               "split between two different services, and the other one never gets its share")
    was = f" (was '{c.old}')" if c.old and c.old not in ("unset", "(unset)") else " (unset before)"
    message = (f"{c.target} took another service's identity: its write at {str(c.change.get('at'))[11:16]}, "
               f"{ahead} before the alert, set {c.key}='{c.value}'{was}, the "
               + ("group.id of consumer group" if kafka else "identity") + f" '{c.value}' the alert is about; "
               + meaning.format(v=c.value) + f". Give {c.target.name} its own {c.key}")
    return {"check": IDENTITY_CHECK, "severity": "critical",
            "object": {"kind": c.target.kind, "namespace": c.target.namespace, "name": c.target.name},
            "reason": "SharedConsumerIdentity", "message": message,
            "evidence": [str(c.change.get("summary") or "")[:300]],
            "details": {"key": c.key, "value": c.value, "old": c.old, "changed_at": c.change.get("at")}}
