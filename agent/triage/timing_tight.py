"""A failure-detection timing written far tighter than the latency it must cover, and the leadership churn it
causes.

Consensus and leader-election software decides that a peer is gone when it has not heard from it for a set
time: etcd's `election-timeout` (default 1000 ms) over its `heartbeat-interval` (default 100 ms; etcd's tuning
guide: the heartbeat near the peers' round trip, the election timeout at least ten times it), client-go's leader
election (`--leader-elect-lease-duration` 15 s, `--leader-elect-renew-deadline` 10 s, `--leader-elect-retry-period`
2 s) used by controllers and operators. Set such a timing below what the peers' real latency plus an fsync or GC
stall takes (a 50 ms election timeout across zones, a 2 s lease through an API server at its p99) and nothing is
down, yet followers keep starting elections, the leader changes every few minutes (`etcd_server_leader_changes_
seen_total` climbing; controllers logging `failed to renew lease` and restarting), and writes in flight fail with
`leader changed`. The software's own warning (`leader failed to send out heartbeat on time`) then reads like a slow
disk, which is what the alert's runbook suggests.

The same holds outside consensus stores proper: Elasticsearch/OpenSearch drop the master (or a node) when
`cluster.fault_detection.leader_check.timeout` / `follower_check.timeout` (10 s) run out (`master node changed ...
becoming candidate: onLeaderFailure`, `followers check retry count exceeded`); ZooKeeper scales every quorum timeout
by `tickTime` (2000 ms; `New election. My id = N`); ingress-nginx spells its lease `--election-ttl` (30 s). Families
without a leader-change counter of their own are read by their members' words. A data store's failover timing seen
through its clients' demoted-primary errors (Sentinel, Redis Cluster, MongoDB, Patroni, Kafka KRaft, MySQL Group
Replication) belongs to agent.triage.store_mode; `owns` keeps the two key sets disjoint.

So: a workload whose containers (env, `--flags` or `-E` settings) set such a timing at a fifth of the software's
documented default or less, whose spec was written within `LEAD` (the change timeline, else the object's
managedFields: its template written by a manager), and whose members churn now: the family's leader-change counter
rose `CHURN` times or more in the last hour (and not at that pace before the write, when that hour is measured), or
its logs the survey read say the family's churn words. A timing at its default (a slow disk or network is then the
story), a tight timing of long standing, or one without churn, is not named. `read` reads the workloads and the
counter; `found` is pure.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time, said_by
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.timing_tight"
WEIGHT = 0.93
"""A written timing whose churn the members' own counter or words show: above the members' warning lines (which
read as a slow disk) and a bare write."""
READS = "timing_tight"
LEAD = timedelta(hours=48)
"""How long before the incident the timing may have been written."""
TIGHT = 5.0
"""A timing at most the default divided by this is far tighter than what the software was tuned for."""
CHURN = 3.0
"""Leader changes in the last hour that make churn (a healthy cluster changes leader a few times a month)."""
WORKLOADS = ("StatefulSet", "Deployment", "DaemonSet")
MAX_READS = 3
Call = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class Timing:
    """One failure-detection timing: its spellings (env names, flags), default in ms, and bare-number unit."""

    name: str
    keys: tuple[str, ...]
    default_ms: float
    bare_unit_ms: float
    """What a bare number means (etcd: milliseconds; client-go flags take Go durations, seconds when bare)."""


@dataclass(frozen=True)
class Margin:
    """Two timings of one family where the inner must stay well below the outer: client-go's renew deadline
    below its lease duration. The gap is the room the leader leaves for one slow lease write and for clock
    skew between the replicas before it gives the lease up; written near the outer, a write through a busy
    API server overruns it even though neither timing is below its default."""

    outer: str
    inner: str
    means: str


@dataclass(frozen=True)
class Family:
    """One software's timings, churn counter and churn words."""

    software: str
    image: re.Pattern[str]
    timings: tuple[Timing, ...]
    counter: str
    words: re.Pattern[str]
    means: str
    margins: tuple[Margin, ...] = ()


FAMILIES: tuple[Family, ...] = (
    Family("etcd", re.compile(r"etcd", re.I),
           (Timing("heartbeat interval", ("ETCD_HEARTBEAT_INTERVAL", "--heartbeat-interval"), 100, 1),
            Timing("election timeout", ("ETCD_ELECTION_TIMEOUT", "--election-timeout"), 1000, 1)),
           "etcd_server_leader_changes_seen_total",
           re.compile(r"starting a new election|elected leader|lost leader|leader changed|"
                      r"failed to send out heartbeat on time", re.I),
           "followers give up on the leader before its heartbeats cross the members' latency and fsync stalls, so "
           "they keep starting elections and writes in flight fail with 'leader changed'"),
    Family("client-go leader election", re.compile(r"."),
           (Timing("lease duration", ("--leader-elect-lease-duration", "--leader-election-lease-duration",
                                      "LEADER_ELECTION_LEASE_DURATION"), 15000, 1000),
            Timing("renew deadline", ("--leader-elect-renew-deadline", "--leader-election-renew-deadline",
                                      "LEADER_ELECTION_RENEW_DEADLINE"), 10000, 1000)),
           "leader_election_master_status",
           re.compile(r"failed to renew lease|leaderelection lost|stopped leading|lost lease|"
                      r"leader election lost", re.I),
           "the leader cannot renew its lease through the API server within that time, so it loses leadership, "
           "restarts and the replicas keep handing the lease around",
           (Margin("lease duration", "renew deadline",
                   "a lease write that takes seconds on a busy API server (or clock drift between replicas) "
                   "overruns that margin, the renewal times out, leadership is lost and the manager exits; "
                   "client-go's defaults: lease 15 s, renew deadline 10 s, retry period 2 s"),)),
    # ingress-nginx's own spelling of the same client-go lease (`--election-ttl`, default 30s, controller >= 1.9)
    Family("ingress-nginx leader election", re.compile(r"ingress-nginx|nginx-ingress", re.I),
           (Timing("election TTL", ("--election-ttl",), 30000, 1000),),
           "",
           re.compile(r"failed to renew lease|new leader elected|stopped leading|leaderelection lost", re.I),
           "the elected controller cannot renew its lease within that time, so leadership moves between the "
           "replicas and the status/lease writes race"),
    # Elasticsearch/OpenSearch master fault detection (docs: cluster-fault-detection, discovery settings): set as an
    # env var with the setting's dotted name, as ES_SETTING_* (ES 8 images: `_` for `.`, `__` for `_`), or `-E`.
    Family("Elasticsearch", re.compile(r"elasticsearch|opensearch", re.I),
           (Timing("leader check timeout", ("cluster.fault_detection.leader_check.timeout",
                                            "ES_SETTING_CLUSTER_FAULT__DETECTION_LEADER__CHECK_TIMEOUT"), 10000, 1),
            Timing("follower check timeout",
                   ("cluster.fault_detection.follower_check.timeout",
                    "ES_SETTING_CLUSTER_FAULT__DETECTION_FOLLOWER__CHECK_TIMEOUT"), 10000, 1)),
           "",
           re.compile(r"master node changed|becoming candidate|onLeaderFailure|followers check retry count exceeded|"
                      r"master not discovered or elected yet|leader check", re.I),
           "a node that misses the master's checks for that long is dropped (or drops the master), so a GC pause or "
           "a busy transport thread triggers a new master election and shards reallocate"),
    # ZooKeeper (zoo.cfg `tickTime`, the official image's ZOO_TICK_TIME; initLimit/syncLimit count ticks, so the
    # tick scales every quorum timeout): FastLeaderElection logs `New election. My id = N`.
    Family("ZooKeeper", re.compile(r"zookeeper", re.I),
           (Timing("tick time", ("ZOO_TICK_TIME", "tickTime", "ZOOKEEPER_TICK_TIME"), 2000, 1),),
           "",
           re.compile(r"New election\. My id|Exception when following the leader|Peer state changed: looking|"
                      r"Unexpected exception causing shutdown while sock still open|"
                      r"Expiring session 0x[0-9a-f]+, timeout of \d+ ?ms exceeded|"
                      r"session (?:has |was )?(?:been )?expired|SessionExpired|KeeperErrorCode = Session expired",
                      re.I),
           "the server caps every client's session timeout at maxSessionTimeout (20 ticks; minSessionTimeout 2) "
           "whatever the client asks, so a client pause longer than the cap expires its session (brokers "
           "re-register and partitions shrink their ISR, locks and leaders held by sessions drop), and followers "
           "that do not sync within syncLimit ticks drop out and the ensemble re-elects its leader"),
)
"""Who owns a failure-detection timing: these families when the members elect among themselves and churn (the
timing read from the workload's spec, the churn from the members). A data store's failover read through its
clients' demoted-primary errors (Sentinel, Redis Cluster, MongoDB, Patroni, Kafka KRaft, MySQL Group Replication)
is agent.triage.store_mode's; `owns` keeps the two disjoint."""


def _normal(key: str) -> str:
    return re.sub(r"[^a-z0-9]", "", key.lower())


def owns(key: str) -> bool:
    """Whether a setting's key (any spelling: env, flag, dotted) is one of these families' timings."""
    n = _normal(key)
    return bool(n) and any(n.endswith(_normal(k)) for f in FAMILIES for t in f.timings for k in t.keys)


def duration_ms(text: str, bare_unit_ms: float) -> float | None:
    """`50` (in the bare unit), `500ms`, `2s`, `1m30s` -> milliseconds; None when it is not a duration."""
    text = text.strip().strip("'\"")
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text) * bare_unit_ms
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h)", text)
    if not parts or "".join(a + b for a, b in parts) != text:
        return None
    scale = {"ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3600000.0}
    return sum(float(a) * scale[b] for a, b in parts)


def settings(workload: dict[str, Any]) -> dict[str, str]:
    """Every env value and `--flag=value` / `--flag value` of the workload's containers, by name."""
    pod = ((workload.get("spec") or {}).get("template") or {}).get("spec") or {}
    out: dict[str, str] = {}
    for container in [*(pod.get("containers") or []), *(pod.get("initContainers") or [])]:
        if not isinstance(container, dict):
            continue
        for env in container.get("env") or []:
            if isinstance(env, dict) and env.get("value") is not None:
                out[str(env.get("name"))] = str(env["value"])
        words = [str(w) for w in [*(container.get("command") or []), *(container.get("args") or [])]]
        for i, word in enumerate(words):
            if word.startswith("-E") and "=" in word and len(word) > 3:  # Elasticsearch/OpenSearch `-Ekey=value`
                key, value = word[2:].split("=", 1)
                out[key] = value
            elif word.startswith("--") and "=" in word:
                key, value = word.split("=", 1)
                out[key] = value
            elif word.startswith("--") and i + 1 < len(words) and not words[i + 1].startswith("-"):
                out[word] = words[i + 1]
    return out


def _images(workload: dict[str, Any]) -> str:
    pod = ((workload.get("spec") or {}).get("template") or {}).get("spec") or {}
    return " ".join(str(c.get("image") or "") for c in pod.get("containers") or [] if isinstance(c, dict))


@dataclass
class Tight:
    """A workload whose failure-detection timing is far below its default, written recently, churning now."""

    target: Ref
    family: Family
    found: list[tuple[Timing, str, str, float]]
    """(timing, key as written, value as written, ms) for each tight timing."""
    written_by: str
    written_at: datetime | None
    """None when no write is in view (a reader without revisions or managedFields): the churn then carries it."""
    minutes_before: int | None
    churn: str
    evidence: list[str] = field(default_factory=list)
    margin: str = ""
    """When no timing is below its default: the inner timing written too close to the outer (see Margin)."""


def tight(family: Family, workload: dict[str, Any]) -> list[tuple[Timing, str, str, float]]:
    """The family's timings this workload sets at a TIGHT-th of their default or less."""
    if not family.image.search(_images(workload)):
        return []
    values = settings(workload)
    out = []
    for timing in family.timings:
        for key in timing.keys:
            if key in values:
                ms = duration_ms(values[key], timing.bare_unit_ms)
                if ms is not None and 0 < ms <= timing.default_ms / TIGHT:
                    out.append((timing, key, values[key], ms))
                break
    return out


def margin(family: Family, workload: dict[str, Any]) -> str:
    """The family's inner timing written within a TIGHT-th of its outer one (each read from the spec, else
    its default; at least one of them written), said with both values; "" when none is."""
    if not family.margins or not family.image.search(_images(workload)):
        return ""
    values = settings(workload)
    by_name = {t.name: t for t in family.timings}

    def value(name: str) -> tuple[float, str] | None:
        timing = by_name[name]
        key = next((k for k in timing.keys if k in values), "")
        if not key:
            return timing.default_ms, f"{name} {timing.default_ms / 1000:g}s (its default)"
        ms = duration_ms(values[key], timing.bare_unit_ms)
        return (ms, f"{name} {key}={values[key]}") if ms is not None else None

    for pair in family.margins:
        outer, inner = value(pair.outer), value(pair.inner)
        if outer is None or inner is None or ("(its default)" in outer[1] and "(its default)" in inner[1]):
            continue
        if 0 < inner[0] < outer[0] and outer[0] - inner[0] <= outer[0] / TIGHT:
            return (f"{inner[1]} leaves {(outer[0] - inner[0]) / 1000:g} s of its {outer[1]}: {pair.means}")
    return ""


def _hit(family: Family, workload: dict[str, Any]) -> bool:
    return bool(tight(family, workload) or margin(family, workload))


def _written(facts: Facts, target: Ref, workload: dict[str, Any]) -> tuple[str, datetime, str] | None:
    """(who, when, evidence) of the latest write of the workload's spec within LEAD: the timeline's, else the
    managedFields entry that wrote its pod template."""
    best: tuple[str, datetime, str] | None = None
    for change, evidence in facts.every_change():
        ref, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if ref is not None and at is not None and ref.same_object(target) and timedelta(0) <= facts.at - at <= LEAD \
                and (best is None or at > best[1]):
            best = ("a rollout", at, evidence)
    if best is not None:
        return best
    for entry in (workload.get("metadata") or {}).get("managedFields") or []:
        if not isinstance(entry, dict) or entry.get("subresource"):
            continue
        spec = (entry.get("fieldsV1") or {}).get("f:spec") or {}
        at = parse_time(entry.get("time"))
        if "f:template" in spec and at is not None and timedelta(0) <= facts.at - at <= LEAD and \
                (best is None or at > best[1]):
            best = (str(entry.get("manager") or "a write"), at, "")
    return best


def _long_standing(workload: dict[str, Any], now: datetime) -> bool:
    """Whether the object's managedFields show its pod template last written before LEAD (a reader that keeps
    managedFields): the tight timing is then not news."""
    times = [parse_time(e.get("time")) for e in (workload.get("metadata") or {}).get("managedFields") or []
             if isinstance(e, dict) and not e.get("subresource")
             and "f:template" in ((e.get("fieldsV1") or {}).get("f:spec") or {})]
    return bool(times) and all(t is not None and t < now - LEAD for t in times)


def _targets(subject: Subject, facts: Facts) -> list[Ref]:
    """Workloads to read: those the timeline shows written, then those of the pods the incident and logs name."""
    out: list[Ref] = []
    for _, _, ref in facts.writes_to(WORKLOADS):
        if ref not in out:
            out.append(ref)
    pods = [(subject.namespace, p) for p in subject.pods] + [(log.namespace, log.pod) for log in facts.logs]
    for ns, pod in pods:
        name = workload_of_pod(pod)
        if ns and name != pod:
            kind = "StatefulSet" if re.fullmatch(r".+-\d+", pod) else "Deployment"
            ref = Ref(kind, ns, name)
            if ref not in out:
                out.append(ref)
    return out


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: the candidate workloads, and for one with a tight timing its churn counter now and an hour
    before its write."""
    store: dict[str, Any] = facts.reads.setdefault(READS, {})
    for target in _targets(subject, facts)[:MAX_READS * 2]:
        if str(target) in store or not re.fullmatch(r"[a-z0-9.-]+", target.name) \
                or not re.fullmatch(r"[a-z0-9-]+", target.namespace):
            continue
        got = await get_yaml(call, target.kind, target.name, target.namespace, f"survey-timing-{target.name}")
        if got is None:
            continue
        family = next((f for f in FAMILIES if _hit(f, got[0])), None)
        if family is None:
            continue
        entry: dict[str, Any] = {"object": got[0], "evidence": [got[1]], "now": None, "before": None}
        store[str(target)] = entry
        written = _written(facts, target, got[0])
        if not family.counter:  # no leader-change counter of its own: the members' words carry the churn
            continue
        pods = target.name.replace(".", "[.]")
        query = f'sum(increase({family.counter}{{namespace="{target.namespace}",pod=~"{pods}-.*"}}[1h]))'
        moments = [("now", at)]
        if written is not None:
            moments.append(("before", (written[1] - timedelta(minutes=5)).isoformat().replace("+00:00", "Z")))
        for key, moment in moments:
            outcome = await call("prom_query", {"query": query, "time": moment}, f"survey-timing-churn-{key}")
            if outcome is None or not outcome.ok or not isinstance(outcome.data, dict):
                continue
            values = [float(s["value"]) for s in outcome.data.get("samples") or []
                      if isinstance(s, dict) and isinstance(s.get("value"), int | float)]
            if values:
                entry[key] = max(values)
                entry["evidence"].append(outcome.evidence_id)


def _said(facts: Facts, target: Ref, family: Family) -> tuple[str, str]:
    """The members' churn words, else a client's in the same namespace whose line names the software itself
    (a broker's `[ZooKeeperClient] Session expired`): session and lease loss shows on the clients' side too.
    Lines below error level count (a session tracker logs its expiries as INFO). Returns (the line, whose:
    "members" or "clients")."""
    clients = ""
    for log in facts.logs:
        if log.namespace != target.namespace:
            continue
        own = workload_of_pod(log.pod) == target.name
        for line in [*(said_by(e) for e in log.entries()), *log.last_lines]:
            if not family.words.search(line):
                continue
            if own:
                return line, "members"
            if not clients and family.image.pattern != "." and family.image.search(line):
                clients = line
    return clients, "clients"


def found(facts: Facts) -> list[Tight]:
    """Workloads read with a tight timing, written within LEAD, whose members churn now (not before the write)."""
    store: dict[str, Any] = facts.reads.get(READS) or {}
    out: list[Tight] = []
    for key, entry in store.items():
        obj = entry.get("object") or {}
        meta = obj.get("metadata") or {}
        kind = next((k for k in WORKLOADS if key.startswith(k + " ")), "")
        target = Ref(kind, str(meta.get("namespace") or ""), str(meta.get("name") or ""))
        family = next((f for f in FAMILIES if _hit(f, obj)), None)
        written = _written(facts, target, obj)
        if family is None or (written is None and _long_standing(obj, facts.at)):
            continue
        now, before = entry.get("now"), entry.get("before")
        said, whose = _said(facts, target, family)
        if isinstance(now, float) and now >= CHURN:
            if isinstance(before, float) and before >= now / 2:
                continue  # it churned at that pace before the write: not what the write did
            churn = f"{now:.0f} leader changes in the last hour" + (f" (was {before:.0f})" if isinstance(
                before, float) else "")
        elif said and written is not None:
            hit = family.words.search(said)
            start = max(0, hit.start() - 70) if hit else 0  # the churn words in view, not the line's prefix
            churn = f"its {whose} log '{'...' if start else ''}{said[start:start + 140]}'"
        else:
            continue  # no churn, or only words where no write is in view: too little to blame the setting
        by, at, evidence = written if written is not None else ("", None, "")
        out.append(Tight(target, family, tight(family, obj), by, at,
                         int((facts.at - at).total_seconds() // 60) if at is not None else None, churn,
                         [e for e in (*entry.get("evidence", []), evidence) if e], margin(family, obj)))
    return out


def finding(t: Tight) -> dict[str, Any]:
    """What the timing means first (below the latency it must cover, so leadership churns), then the values
    against the defaults, the churn and the write."""
    values = ", ".join(f"{timing.name} {key}={value} (default {timing.default_ms:g} ms)"
                       for timing, key, value, _ in t.found)
    when = (f", written by {t.written_by} {minutes_text(t.minutes_before)} before the incident"
            if t.minutes_before is not None else "")
    if not t.found and t.margin:
        message = (f"{t.target} sets its {t.family.software} timings too close together: {t.margin}{when}; "
                   f"{t.churn}. Restore the {t.family.software} defaults (renew deadline well below the lease)")
    else:
        message = (f"{t.target} sets its {t.family.software} {' and '.join(x[0].name for x in t.found)} far "
                   f"below the latency it must cover ({values}){when}: {t.churn}, as {t.family.means}. Restore the "
                   f"{t.family.software} defaults (or values above the members' round trip and fsync time)")
    return {"check": CHECK, "severity": "critical", "object": {"kind": t.target.kind, "namespace": t.target.namespace,
                                                               "name": t.target.name},
            "reason": "TimingTooTight", "message": message, "evidence": [values or t.margin],
            "details": {"software": t.family.software, "churn": t.churn,
                        "written_at": t.written_at.isoformat() if t.written_at else None}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the workload, its finding, evidence ids, nothing else) for `agent.triage.behind`."""
    return [(t.target, finding(t), t.evidence, []) for t in found(facts)]
