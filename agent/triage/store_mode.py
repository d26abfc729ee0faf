"""A data store's topology, failover timing or durability setting written, read by what its clients' errors mean.

Three ways an HA/topology setting of a data store breaks its clients while every pod of the store stays Ready:

- topology: the store changed mode (Redis/Valkey cluster grown from one shard to several: `clusterSize`,
  `cluster-enabled`, a chart's `architecture`/`mode`, MongoDB sharding). One master used to own all 16384 slots, so
  a client configured standalone (non-cluster) worked; once the slots are rebalanced over several masters, the
  store answers `MOVED <slot> <ip>:<port>` / `ASK` / `CROSSSLOT` that only a cluster-aware client follows (the
  reverse switch answers `cluster support disabled`). The clients must be told of the new mode.
- failover timing: failure detection made far tighter than a real pause lasts (Sentinel's
  `down-after-milliseconds`, Redis `cluster-node-timeout`, MongoDB `electionTimeoutMillis`, Patroni `ttl`): a fork
  for BGSAVE or a GC pause now reads as a dead master, the set fails over again and again (flapping), and clients
  still holding the demoted master get `READONLY` / `not primary` on writes.
- durability: a write must be confirmed by a replica (Patroni `synchronous_mode_strict`, PostgreSQL
  `synchronous_standby_names`, Kafka `min.insync.replicas`, Redis `min-replicas-to-write`, MongoDB `w: majority`)
  and the replica it needs is missing (Pending, not ready): every commit waits for a standby that never answers,
  and the clients time out on COMMIT or hear `NOT_ENOUGH_REPLICAS` / `NOREPLICAS`.

Each class needs both halves: the store object's write in the change history (its diff line names the setting;
a timing must have been cut to a quarter or less of what it was, or of the software's documented default when
the old value is not recorded) and a client error in that class's own words (for durability, also a replica of
the store missing in the scan). A setting written without such errors, or errors with no such write, is not named.
`read` reads nothing (the survey's timeline, logs and scan suffice); `suspects` is pure over the facts.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from agent.triage import timing_tight
from agent.triage.facts import Facts, LogEvidence, Ref, minutes_text, parse_time
from agent.triage.subject import Subject

CHECK = "store.mode_setting"
WEIGHT = 0.95
LEAD = timedelta(hours=24)
"""How long before the incident a store's write still counts (a durability setting bites at the next outage)."""

REDIRECT = re.compile(r"\bMOVED \d+ [\w.\-]+:\d+|\bASK \d+ [\w.\-]+:\d+|CROSSSLOT|cluster support disabled|"
                      r"CLUSTERDOWN|ClusterAllFailedError|MovedError|RedisMovedException|redirect(?:ion)?s? "
                      r"(?:MOVED|to slot)")
"""How a Redis/Valkey client says the store's keyspace is sharded over masters it does not follow (ioredis,
redis-py, Lettuce, Jedis, go-redis), or that a cluster-mode client met a standalone server."""
DEMOTED = re.compile(r"READONLY You can't write against a read only replica|RedisReadOnlyException|"
                     r"\bnot primary\b|NotWritablePrimary|NotPrimary|\bnot master\b|NotMaster|"
                     r"cannot execute \w+ in a read-only transaction|\bleader changed\b|"
                     # Kafka producers after a partition leader moved (NOT_LEADER_OR_FOLLOWER, pre-2.6 name)
                     r"NOT_LEADER_OR_FOLLOWER|NotLeaderOrFollower|NotLeaderForPartition|"
                     r"not the leader for that topic-partition|"
                     # MySQL/MariaDB error 1290 on a demoted source
                     r"running with the --(?:super-)?read-only option", re.I)
"""How a client says its write reached a node that a failover demoted (Redis, MongoDB, PostgreSQL, etcd, Kafka,
MySQL)."""
WAITING = re.compile(r"NOT_ENOUGH_REPLICAS|NotEnoughReplicas|NOREPLICAS|not enough (?:good )?replicas|"
                     r"synchronous replication|synchronous standby|WriteConcernFailed|waiting for replication|"
                     r"wtimeout|(?:timeout|timed out|deadline exceeded)[^\n]{0,80}\bcommit\b|"
                     r"\bcommit\b[^\n]{0,80}(?:timeout|timed out|deadline exceeded)", re.I)
"""How a client (or the store) says a write waits for, or is refused for lack of, replica acknowledgements."""

TOPOLOGY = {"clustersize": "sharded cluster size", "clusterenabled": "cluster mode",
            "clustermode": "cluster mode", "clustermodeenabled": "cluster mode", "architecture": "architecture",
            "shards": "shard count", "shardcount": "shard count", "numshards": "shard count",
            "sharding": "sharding", "shardingenabled": "sharding"}
"""Normal forms (lower case, letters and digits only) of the keys that set a store's topology, and what each is."""
TIMING = {"downaftermilliseconds": ("Sentinel", "down-after-milliseconds", 30000.0),
          "clusternodetimeout": ("Redis Cluster", "cluster-node-timeout", 15000.0),
          "electiontimeoutmillis": ("MongoDB", "electionTimeoutMillis", 10000.0),
          "heartbeattimeoutsecs": ("MongoDB", "heartbeatTimeoutSecs", 10.0),
          "patronittl": ("Patroni", "ttl", 30.0),
          "quorumelectiontimeoutms": ("Kafka KRaft", "controller.quorum.election.timeout.ms", 1000.0),
          "quorumfetchtimeoutms": ("Kafka KRaft", "controller.quorum.fetch.timeout.ms", 2000.0),
          "groupreplicationmemberexpeltimeout": ("MySQL Group Replication", "group_replication_member_expel_timeout",
                                                 5.0)}
"""Failure-detection timings by normal-form key suffix: (software, documented name, documented default). etcd's
and client-go's timings written in a workload's env/flags are timing_tight's (read with the members' churn), as are
Elasticsearch's and ZooKeeper's: `timing_cut` declines every key `timing_tight.owns`."""
DURABILITY = {"synchronousmodestrict": "synchronous_mode_strict", "synchronousstandbynames":
              "synchronous_standby_names", "mininsyncreplicas": "min.insync.replicas",
              "minreplicastowrite": "min-replicas-to-write", "minslavestowrite": "min-replicas-to-write",
              "writeconcern": "writeConcern", "writeconcernw": "writeConcern"}
"""Settings that make a write wait for a replica's acknowledgement, by normal-form key suffix."""
MISSING = ("pod.pending", "workload.unavailable", "pod.crashloop", "pod.not_ready", "workload.degraded")
"""Scan checks that say a store's replica is not there to acknowledge."""

_CHANGED = re.compile(r"([A-Za-z_][\w.\-]*)\s*[=:]\s*'?([^';\s]*)'?\s*->\s*(?:[A-Za-z_][\w.\-]*\s*[=:]\s*)?"
                      r"'?([^';\s]*)'?")
_SET = re.compile(r"([A-Za-z_][\w.\-\[\]]*)\s*=\s*'?([^';\s]+)'?")


@dataclass
class Written:
    """One setting a store's write set: its key as written, the old value when recorded, the new one."""

    key: str
    old: str | None
    new: str


@dataclass
class StoreSetting:
    """A store object whose setting of one class was written, and the client error that class explains."""

    store: Ref
    kind: str
    """topology, timing or durability."""
    setting: Written
    at: str
    minutes: int
    client: str
    said: str
    missing: str
    evidence: list[str]


def normal(key: str) -> str:
    return re.sub(r"[^a-z0-9]", "", key.lower())


def written(diff: list[str], summary: str) -> list[Written]:
    """Every setting a change line writes: `key = new` and `key='old' -> key='new'`, however the differ spells
    them (env, spec paths, ConfigMap keys)."""
    out: list[Written] = []
    for line in [*diff, *([summary] if not diff else [])]:
        changed = list(_CHANGED.finditer(line))
        for m in changed:
            out.append(Written(m.group(1), m.group(2), m.group(3)))
        if not changed:
            out += [Written(m.group(1), None, m.group(2)) for m in _SET.finditer(line)]
    return out


def _number(value: str | None) -> float | None:
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s)?\s*", value or "")
    if m is None:
        return None
    return float(m.group(1)) * (1000.0 if m.group(2) == "s" else 1.0) if m.group(2) else float(m.group(1))


def _match(key: str, table: dict[str, Any]) -> str | None:
    """The table's key that `key` ends with (normal forms), the longest first."""
    n = normal(key)
    return next((k for k in sorted(table, key=len, reverse=True) if n.endswith(k)), None)


def topology_setting(w: Written) -> bool:
    """A key that sets the store's topology, to a value that means more than one shard or a mode switch."""
    key = _match(w.key, TOPOLOGY)
    if key is None or w.new == w.old:
        return False
    count = _number(w.new)
    return count is None or count > 1 or (w.old is not None and _number(w.old) not in (None, count))


def timing_cut(w: Written) -> bool:
    """A failure-detection timing cut to a quarter of what it was (or of its default when the old is unknown);
    never one agent.triage.timing_tight owns (members electing among themselves: etcd, client-go, Elasticsearch,
    ZooKeeper), so a case is claimed by one of the two."""
    if timing_tight.owns(w.key):
        return False
    key = _match(w.key, TIMING) or ("patronittl" if normal(w.key).endswith("ttl") and "patroni" in w.key.lower()
                                     else None)
    new = _number(w.new)
    if key is None or new is None:
        return False
    old = _number(w.old)
    return new * 4 <= (old if old is not None else TIMING[key][2])


def durability_setting(w: Written) -> bool:
    """A setting that makes every write wait for a replica's acknowledgement."""
    key = _match(w.key, DURABILITY)
    value = w.new.strip().strip("'\"").lower()
    if key is None or value in ("", "false", "off", "0", "1", "none", "null", "''"):
        return key is not None and key == "minreplicastowrite" and value == "1"
    return True


def _errors(facts: Facts, pattern: re.Pattern[str]) -> tuple[LogEvidence, str] | None:
    for log in facts.logs:
        for entry in log.entries():
            text = str(entry.get("example") or entry.get("message") or "")
            m = pattern.search(text)
            if m is not None:
                return log, text[m.start():m.start() + 160]
    return None


def _missing_replica(facts: Facts, store: Ref) -> tuple[str, str] | None:
    """A scan finding that a workload of the store (its namespace, named after it) lacks a ready replica."""
    for f in facts.findings():
        ref = Ref.of(f.get("object"))
        if ref is None or f.get("check") not in MISSING or ref.namespace != store.namespace:
            continue
        if ref.name.startswith(store.name) or ref.same_object(store):
            return str(f.get("message") or f"{ref.kind} {ref.namespace}/{ref.name}")[:160], ""
    return None


def found(facts: Facts) -> list[StoreSetting]:
    """Each store write whose class the clients' errors show, newest first, one per store and class."""
    out: list[StoreSetting] = []
    errors = {"topology": _errors(facts, REDIRECT), "timing": _errors(facts, DEMOTED),
              "durability": _errors(facts, WAITING)}
    seen: set[tuple[Ref, str]] = set()
    for change, evidence in sorted(facts.every_change(), key=lambda c: str(c[0].get("at")), reverse=True):
        store, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if store is None or at is None or not timedelta(0) <= facts.at - at <= LEAD:
            continue
        diff = [str(d) for d in change.get("diff") or []]
        for w in written(diff, str(change.get("summary") or "")):
            kind = ("topology" if topology_setting(w) else "timing" if timing_cut(w) else
                    "durability" if durability_setting(w) else None)
            error = errors.get(kind or "")
            if kind is None or error is None or (store, kind) in seen:
                continue
            missing = _missing_replica(facts, store) if kind == "durability" else ("", "")
            if missing is None:
                continue
            seen.add((store, kind))
            log, said = error
            out.append(StoreSetting(store, kind, w, str(change.get("at")), int((facts.at - at).total_seconds() // 60),
                                    f"{log.namespace}/{log.pod}", said, " ".join(x for x in missing if x),
                                    [e for e in (evidence, log.evidence_id) if e]))
    return out


def _value(w: Written) -> str:
    return f"{w.key} {w.old} -> {w.new}" if w.old is not None else f"{w.key} = {w.new}"


def message(s: StoreSetting) -> str:
    """What the write means for the clients, first, then the evidence."""
    obj, when = f"{s.store.kind} {s.store.namespace}/{s.store.name}", minutes_text(s.minutes)
    if s.kind == "topology":
        what = TOPOLOGY[_match(s.setting.key, TOPOLOGY) or "clustersize"]
        return (f"{obj} was switched to sharded cluster mode ({what}: {_value(s.setting)}, {when} before): its "
                f"keyspace's slots were rebalanced over several masters, so a client in standalone (non-cluster) "
                f"mode now gets MOVED redirections for the keys other masters own; clients must be cluster-aware "
                f"(or the store set back): {s.client}'s logs say '{s.said}'")
    if s.kind == "timing":
        software, name, default = TIMING[_match(s.setting.key, TIMING) or "patronittl"]
        return (f"{obj}'s {software} failure detection was made too tight ({name}: {_value(s.setting)}, default "
                f"{default:g}; {when} before): a short pause (a BGSAVE fork, GC, a slow disk) now reads as a dead "
                f"master, so the {software.lower()} fails over again and again (failover flapping), and clients "
                f"still on the demoted master get READONLY / not primary on writes: {s.client}'s logs say "
                f"'{s.said}'")
    return (f"{obj} requires a synchronous standby/replica to acknowledge every write "
            f"({DURABILITY[_match(s.setting.key, DURABILITY) or 'synchronousmodestrict']}: {_value(s.setting)}, "
            f"{when} before) and that replica is missing ({s.missing}): each commit waits for a synchronous standby "
            f"that never confirms, so writes hang or are refused: {s.client}'s logs say '{s.said}'")


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Nothing to read: the timeline, the logs and the scan the survey kept are enough."""
    return None


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The store object whose written setting explains the clients' errors."""
    out: list[tuple[Ref, dict[str, Any], list[str], list[Ref]]] = []
    for s in found(facts):
        finding = {"check": CHECK, "severity": "critical",
                   "object": {"kind": s.store.kind, "namespace": s.store.namespace, "name": s.store.name},
                   "reason": f"StoreSetting{s.kind.capitalize()}", "message": message(s),
                   "evidence": [_value(s.setting), s.said[:160]],
                   "details": {"class": s.kind, "key": s.setting.key, "old": s.setting.old, "new": s.setting.new,
                               "client": s.client, "written": s.at}}
        out.append((s.store, finding, list(dict.fromkeys(s.evidence)), []))
    return out
