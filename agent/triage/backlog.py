"""A broker or datastore refusing writes because a resource watermark tripped, and why it filled.

Brokers and search engines protect themselves before they run out: RabbitMQ raises a memory or
disk alarm ("memory resource limit alarm set on node ...", "Publishers will be blocked until this
alarm clears") and every publishing connection is blocked (`connection.blocked`); OpenSearch and
Elasticsearch put a `read-only-allow-delete` block on the indices of a node past the flood-stage
disk watermark (clients get `cluster_block_exception`, "TOO_MANY_REQUESTS/12/disk usage exceeded
flood-stage watermark"); Redis answers "OOM command not allowed when used memory > 'maxmemory'";
a Kafka broker whose log dir fills answers KAFKA_STORAGE_ERROR. The clients hang or fail, the broker
is healthy by every probe, and neither is what to fix: the question is why it filled.

Two reasons account for most of them, and each leaves a mark in the change history:

- **Nobody consumes.** A consumer Deployment scaled to zero (a maintenance that was never undone,
  a `kubectl scale --replicas=0`) lets the queue grow until the broker's watermark trips hours
  later. The scale change names the workload, and the workload (not the broker) is the culprit.
- **More is kept.** A retention or TTL setting (Curator's `unit_count`, an ILM `min_age`, Kafka's
  `retention.ms`, a `ttl`) raised in a ConfigMap makes the data grow past the volumes sized for
  the old value; the disks fill over days and the flood stage trips long after the edit. The
  ConfigMap that holds the setting and talks to the store is the culprit.

The survey reads what it takes (`read_alarm`, only when a log already says writes are blocked):
the store's own logs when only a client's were read (its pods found by the software's image), the
change history over the last 30 days (a retention edit is days old), and the ConfigMaps edited in
it. `culprits` is pure over the facts.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, LogEvidence, Ref, parse_time
from agent.triage.kube_reads import object_of
from agent.triage.subject import workload_of_pod

CHECK = "change.fills_broker"
WEIGHT = 0.92
"""The change that let a broker fill explains the alarm, the blocked clients and the full volume."""

HISTORY_WINDOW = "30d"
"""How far back the history is read: a retention raised weeks ago fills disks sized for the old value."""

STORES: tuple[tuple[str, str], ...] = (
    ("rabbitmq", "RabbitMQ"), ("opensearch", "OpenSearch"), ("elasticsearch", "Elasticsearch"),
    ("kafka", "Kafka"), ("redpanda", "Redpanda"), ("valkey", "Valkey"), ("redis", "Redis"),
    ("nats", "NATS"), ("pulsar", "Pulsar"), ("activemq", "ActiveMQ"), ("artemis", "ActiveMQ Artemis"),
)
"""Image words of the software that refuses writes at a watermark, and its name."""

BROKER_ALARM = re.compile(
    r"(?P<memory>memory resource limit alarm set|vm_memory_high_watermark set|low on memory|"
    r"OOM command not allowed when used memory|used memory > 'maxmemory')|"
    r"(?P<disk>disk resource limit alarm set|flood[- ]stage (?:disk )?watermark|read-only-allow-delete|"
    r"index read-only / allow delete|FORBIDDEN/12|TOO_MANY_REQUESTS/12|disk usage exceeded|low on disk|"
    r"KAFKA_STORAGE_ERROR|free disk space is insufficient)|"
    r"(?P<blocked>connection\.?[ _]?blocked|ConnectionBlocked|blocked by broker|publishers will be blocked|"
    r"cluster_block_exception)", re.I)
"""The words of a store that stopped accepting writes at a watermark, and of its clients (blocked,
refused with a block)."""

RETENTION = re.compile(
    r"retention|\bttl\b|time[_-]?to[_-]?live|max[_.-]?age|min[_.-]?age|expire|keep[_.-]?(?:days|for)|"
    r"delete_indices|unit_count|retain|purge", re.I)
"""Words of a setting that decides how long data is kept (Curator, ISM/ILM, Kafka, Loki, Redis, cron purges)."""

_SCALED_TO_ZERO = re.compile(r"\bto 0\b|replicas[:= ]+0\b|-> ?0\b", re.I)
_NAME_WORD = re.compile(r"[a-z][a-z0-9]+")
MAX_CONFIG_READS = 4


@dataclass
class Alarm:
    """A store refusing writes: which resource, in whose words, and where the store runs."""

    resource: str
    said: str
    log: LogEvidence
    store: Ref | None = None
    software: str = ""
    clients: list[LogEvidence] = field(default_factory=list)


@dataclass
class Culprit:
    """The change that let the store fill, and the alarm it led to."""

    target: Ref
    why: str
    change: dict[str, Any]
    alarm: Alarm
    minutes: int
    setting: str = ""


def _texts(log: LogEvidence) -> list[str]:
    out = []
    for error in [log.top or {}, *log.more, *log.warnings]:
        out += [str(error.get(k) or "") for k in ("message", "example", "template") if error.get(k)]
    return out + list(log.last_lines)


def _said(log: LogEvidence) -> tuple[str, str] | None:
    """(resource, the line) for the first line of the log that says writes are refused at a watermark."""
    found: tuple[str, str] | None = None
    for text in _texts(log):
        m = BROKER_ALARM.search(text)
        if m is None:
            continue
        resource = "memory" if m.group("memory") else "disk" if m.group("disk") else ""
        if resource:
            return resource, text
        found = found or ("", text)
    return found


def software_of(text: str) -> str:
    low = text.lower()
    return next((name for word, name in STORES if word in low), "")


def alarms(facts: Facts) -> list[Alarm]:
    """Stores refusing writes, from their own logs; clients' blocked errors attached (or alone, unresolved)."""
    stores: list[Alarm] = []
    clients: list[tuple[LogEvidence, str, str]] = []
    for log in facts.logs:
        said = _said(log)
        if said is None:
            continue
        software = software_of(log.pod) or software_of(" ".join(_texts(log)[:1]))
        if said[0] and software and software_of(log.pod):
            workload = workload_of_pod(log.pod)
            stores.append(Alarm(said[0], said[1], log, Ref("", log.namespace, workload), software))
        else:
            clients.append((log, said[0], said[1]))
    for alarm in stores:
        alarm.clients = [c for c, _, _ in clients]
    named = [(log, resource, line) for log, resource, line in clients if resource or software_of(line)]
    if not stores and named:  # a bare "connection blocked" (a firewall's too) counts only with a store's words
        log, resource, line = named[0]
        stores.append(Alarm(resource or "memory", line, log, None, software_of(line), [c for c, _, _ in clients]))
    return stores


def _history(facts: Facts) -> list[dict[str, Any]]:
    seen, out = set(), []
    for change in [*facts.change_list(), *(c for h, _ in facts.history for c in h.get("changes") or [])]:
        if isinstance(change, dict):
            key = (change.get("at"), str(change.get("object")), change.get("summary"))
            if key not in seen:
                seen.add(key)
                out.append(change)
    return out


def _words(name: str) -> set[str]:
    return {w.rstrip("s") for w in _NAME_WORD.findall(name.lower()) if len(w) > 2}


def _scaled_to_zero(facts: Facts, alarm: Alarm, first: datetime) -> list[Culprit]:
    """Workloads scaled to zero before the alarm, never scaled back, near its clients or the store."""
    history = _history(facts)
    out: list[Culprit] = []
    places = {c.namespace for c in alarm.clients} | ({alarm.store.namespace} if alarm.store else set())
    named = set().union(*(_words(" ".join(_texts(c))) for c in alarm.clients)) if alarm.clients else set()
    for change in history:
        target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        text = " ".join([str(change.get("summary") or ""), *(str(d) for d in change.get("diff") or [])])
        if (target is None or at is None or change.get("type") != "scale" or at > first
                or not _SCALED_TO_ZERO.search(text) or target.kind not in ("Deployment", "StatefulSet")):
            continue
        later = [c for c in history if c is not change and c.get("type") in ("scale", "rollout")
                 and (r := Ref.of(c.get("object"))) is not None and r.same_object(target)
                 and (t := parse_time(c.get("at"))) is not None and at < t <= facts.at
                 and not _SCALED_TO_ZERO.search(str(c.get("summary") or ""))]
        if later or not (target.namespace in places or _words(target.name) & named):
            continue
        if any(c.target.same_object(target) for c in out):
            continue
        out.append(Culprit(target, "consumer", change, alarm, int((first - at).total_seconds() // 60),
                           setting=str(change.get("summary") or "")))
    return out


def _config(facts: Facts, ref: Ref) -> dict[str, Any] | None:
    return next((o for o, _ in facts.objects if str(o.get("kind")) == "ConfigMap" and Ref(
        "ConfigMap", str((o.get("metadata") or {}).get("namespace") or ""),
        str((o.get("metadata") or {}).get("name") or "")).same_object(ref)), None)


def retention_line(config: dict[str, Any]) -> str:
    """The first line of a ConfigMap's data that sets how long data is kept ("unit_count: 90"), or ""."""
    for key, value in (config.get("data") or {}).items():
        for line in f"{key}: {value}".splitlines() if "\n" in str(value) else [f"{key}: {value}"]:
            if RETENTION.search(line) and re.search(r"\d", line):
                return line.strip()[:120]
    return ""


def _talks_to(config: dict[str, Any], alarm: Alarm) -> bool:
    """The ConfigMap names the store (its workload's name in the data) or lives beside it."""
    text = " ".join(str(v) for v in (config.get("data") or {}).values()).lower()
    ns = str((config.get("metadata") or {}).get("namespace") or "")
    return alarm.store is not None and (alarm.store.name.lower() in text or (
        bool(alarm.software) and alarm.software.lower() in text and ns == alarm.store.namespace))


def _retention_raised(facts: Facts, alarm: Alarm, first: datetime) -> list[Culprit]:
    out: list[Culprit] = []
    for change in _history(facts):
        target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if target is None or at is None or change.get("type") != "config" or at > first:
            continue
        config = _config(facts, target)
        line = retention_line(config) if config else ""
        if not config or not line or not _talks_to(config, alarm):
            continue
        if not any(c.target.same_object(target) for c in out):
            out.append(Culprit(target, "retention", change, alarm, int((first - at).total_seconds() // 60), line))
    return out


def _first_seen(alarm: Alarm, facts: Facts) -> datetime:
    times = [parse_time((log.top or {}).get("first_seen")) for log in [alarm.log, *alarm.clients]]
    known = [t for t in times if t is not None]
    return min(known) if known else facts.at


def culprits(facts: Facts) -> list[Culprit]:
    """What let each store refusing writes fill: for memory a stopped consumer first, for disk a raised retention."""
    out: list[Culprit] = []
    for alarm in alarms(facts):
        first = _first_seen(alarm, facts) + timedelta(minutes=1)
        found = _scaled_to_zero(facts, alarm, first) + _retention_raised(facts, alarm, first)
        found.sort(key=lambda c: (c.why != ("retention" if alarm.resource == "disk" else "consumer"), c.minutes))
        out += [c for c in found if not any(o.target.same_object(c.target) for o in out)]
    return out


def _ago(minutes: int) -> str:
    return f"{round(minutes / 1440)} days" if minutes >= 2880 else f"{round(minutes / 60)} h" if minutes >= 120 \
        else f"{minutes} min"


def finding(c: Culprit) -> dict[str, Any]:
    """The culprit as a scan-shaped finding naming the store, its alarm in its own words, and the change."""
    a = c.alarm
    store = f"{a.software or 'the store'}" + (f" ({a.store.namespace}/{a.store.name})" if a.store else "")
    alarm = f"{a.software + chr(39) + 's ' if a.software else ''}{a.resource or 'resource'} alarm"
    clients = ", ".join(sorted({f"{log.namespace}/{workload_of_pod(log.pod)}" for log in a.clients}))
    blocked = (f"; its clients are blocked ({clients}: '{_texts(a.clients[0])[0][:120]}')" if a.clients else "")
    if c.why == "consumer":
        cause = (f"{c.target} was scaled to 0 replicas {_ago(c.minutes)} before the alarm and never scaled back "
                 f"({c.setting}): nothing consumes, the queue grows until the broker's watermark trips and its "
                 "publishers are blocked")
        fix = f"scale {c.target} back up (the backlog drains, the alarm clears and publishers are unblocked)"
    else:
        cause = (f"{c.target} raised how long data is kept ({c.setting}), edited {_ago(c.minutes)} before the "
                 "alarm: the retention outgrows volumes sized for the old value, until the disk passes the "
                 "watermark and the store makes its indices read-only")
        fix = (f"restore the retention in {c.target} (or grow the volumes), free space, then remove the "
               "read-only-allow-delete block")
    message = f"{cause}. Now {store} refuses writes: {alarm} ('{a.said[:160]}'){blocked}. Fix: {fix}"
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": c.target.kind, "namespace": c.target.namespace, "name": c.target.name},
            "reason": "ConsumerScaledToZero" if c.why == "consumer" else "RetentionRaised", "message": message,
            "evidence": [a.said[:200], str(c.change.get("summary") or "")[:200]],
            "details": {"store": str(a.store) if a.store else "", "software": a.software, "resource": a.resource,
                        "change_at": c.change.get("at"), "minutes_before": c.minutes, "setting": c.setting}}


def explained(c: Culprit, others: dict[Ref, list[Ref]] | None = None) -> list[Ref]:
    """What the culprit explains: the store, the clients it blocks, and whatever else was found to explain the
    store (its full volume: the retention that filled it comes first)."""
    store = [c.alarm.store] if c.alarm.store else []
    out = [*store, *(Ref("", log.namespace, workload_of_pod(log.pod)) for log in c.alarm.clients)]
    for ref, explains in (others or {}).items():
        if not ref.same_object(c.target) and any(s.same_object(e) for s in store for e in explains):
            out.append(ref)
    return out


Call = Callable[..., Awaitable[Any]]


async def read_alarm(facts: Facts, call: Call, keep: Callable[[Any, Facts], LogEvidence | None], at: str) -> None:
    """Reading only, when a log says writes are refused at a watermark: the store's logs (found by its image)
    when only a client's were read, 30 days of changes, and the ConfigMaps edited in them."""
    if not any(_said(log) for log in facts.logs):
        return
    if all(a.store is None for a in alarms(facts)):
        listed = await call("k8s_list", {"kind": "Pod"}, "survey-alarm-stores")
        rows = (listed.data or {}).get("rows") or [] if listed is not None and listed.ok else []
        read = {log.pod for log in facts.logs}
        stores = [r for r in rows if isinstance(r, dict) and r.get("name") not in read
                  and software_of(" ".join(str(i) for i in r.get("images") or []))][:2]
        for outcome in await asyncio.gather(*(call("k8s_logs", {"name": r["name"], "namespace": r.get("namespace"),
                                                                "tail": 300}, f"survey-alarm-store-{r['name']}")
                                              for r in stores)):
            keep(outcome, facts)
    history = await call("k8s_changes", {"at": at, "window": HISTORY_WINDOW}, "survey-alarm-history")
    if history is None or not history.ok or not isinstance(history.data, dict):
        return
    facts.history.append((history.data, history.evidence_id))
    configs = [r for c in history.data.get("changes") or [] if isinstance(c, dict) and c.get("type") == "config"
               and (r := Ref.of(c.get("object"))) is not None]
    answers = await asyncio.gather(*(call("k8s_get", {"kind": "ConfigMap", "name": r.name, "namespace": r.namespace,
                                                      "output": "yaml"}, f"survey-alarm-config-{r.name}")
                                     for r in configs[:MAX_CONFIG_READS]))
    for outcome in answers:
        obj = object_of(outcome)
        if obj is not None and obj.get("kind") == "ConfigMap":
            facts.objects.append((obj, outcome.evidence_id))
