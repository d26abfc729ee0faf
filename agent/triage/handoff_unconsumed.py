"""A flag or config write that routes work to a queue nobody consumes: the consumer is scaled to 0 or not deployed.

A producer often carries both paths for one piece of work: doing it inline, or handing it to a queue (topic,
stream, task queue) for a worker to do later, chosen by a feature flag or a config key (`async_capture: true`,
`USE_EVENT_BUS=on`, an OpenFeature flag's variant). When the switch is flipped before the consumer side is
launched (its Deployment still at 0 replicas, or never deployed), the producer stays healthy and logs success
for every hand-off ("enqueued to ...", "published to topic ...", "queued job ... on ..."), the queue fills, and
the work itself never happens: payments stay uncaptured, mails unsent, exports pending. Nothing errors; the page
is a business metric or a backlog. The cause is the write that flipped the path, not the producer nor the broker.

Evidence, read generically:
- a write within `LEAD` to an object holding flags or config (a ConfigMap, an OpenFeature FeatureFlag, a flag
  source object), the newest first;
- a workload of its namespace whose log, from the write on, hands work to a named destination (`HANDOFF`: the
  verbs and nouns of queues, topics, streams, task queues), with no line naming that destination before the write
  in the same pod's log (read twice with the destination as grep: the whole tail and the tail since the write);
- nothing consuming that destination: a broker's consumer gauge for it at 0 (RabbitMQ's `rabbitmq_queue_consumers`
  and its detailed variant, ActiveMQ Artemis' `artemis_consumer_count`, any `*_consumers`/`*_consumer_count`
  series labelled with it), and/or a workload of the namespace named by a distinctive word of the destination
  (`orders.fulfilment-jobs` -> `fulfilment-worker`) whose desired replicas are 0 and which no KEDA ScaledObject
  scales. A destination whose consumer gauge is above 0, a zero-replica workload that an autoscaler wakes, or a
  hand-off the producer already made before the write names nothing.

The finding names the written object, the flag key whose words the hand-off line shares (when one does), the
destination, and the missing consumer. `read` only reads (bounded); `found` is pure over what it kept.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import yaml

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml, rows_of
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.handoff_unconsumed"
WEIGHT = 0.94
"""The write that began the hand-offs, with the consumer missing, explains the work not done: above the producer's
own lines and the rollouts nearby."""
STORE = "handoff_unconsumed"
LEAD = timedelta(hours=6)
CARRIERS = ("ConfigMap", "FeatureFlag", "FeatureFlagConfiguration", "FeatureFlagSource")
"""Objects that hold flags or config a producer reads (Secrets are never read here)."""
MAX_WRITES = 2
MAX_PRODUCERS = 4
MAX_CONSUMERS = 4
LOG_TAIL = 5000

Call = Callable[..., Awaitable[Any]]

_DEST = r"['\"\[(]?(?P<dest>[A-Za-z][\w.:/-]*[A-Za-z0-9])"
_NOUN = r"(?:queue|topic|stream|subject|exchange|tube|channel|task[ _-]?queue|routing[ _-]?key)"
HANDOFF = tuple(re.compile(p, re.I) for p in (
    # "enqueued to payments.capture", "queued on 'mailers'", "enqueued job 42 into the queue reports"
    # and Rails ActiveJob's "Enqueued ReceiptJob (Job ID: 1f2) to Sidekiq(receipts)": the adapter, then the queue
    rf"\b(?:en)?queued\b[^\n]{{0,80}}?\b(?:to|on|onto|into|in)\s+(?:the\s+)?(?:{_NOUN}\s+)?(?:[A-Z]\w*\()?{_DEST}",
    # "published event to topic orders.v2", "sent message to queue jobs", "pushed job onto stream x"
    rf"\b(?:publish(?:ed|ing)?|produc(?:ed|ing)|sent|sending|push(?:ed|ing)|dispatch(?:ed|ing)|emit(?:ted|ting)|"
    rf"submit(?:ted|ting)|schedul(?:ed|ing)|forward(?:ed|ing))\b[^\n]{{0,80}}?\b(?:to|on|onto|into)\s+(?:the\s+)?"
    rf"{_NOUN}\s*[:=]?\s*{_DEST}",
    # "publish ok topic=orders.v2", "job enqueued queue=thumbnails"
    rf"\b(?:enqueue|publish|produce|send|push|dispatch|emit|submit)\w*\b[^\n]{{0,80}}?\b{_NOUN}\s*[=:]\s*{_DEST}"))
"""A producer's own line saying it handed work to a named destination, in the words of job libraries, brokers'
clients and hand-written services."""
GENERIC = frozenset({"queue", "queues", "topic", "topics", "stream", "streams", "subject", "exchange", "jobs", "job",
                     "tasks", "task", "requests", "request", "events", "event", "messages", "message", "commands",
                     "command", "work", "worker", "workers", "default", "main", "incoming", "outgoing", "inbound",
                     "outbound", "high", "low", "priority", "prod", "production", "staging", "async", "sync",
                     "consumer", "consumers", "service", "svc", "local", "cluster", "amqp", "kafka", "redis", "nats"})
"""Words of a destination name that name no particular work (`-requests`, `jobs.`, `.v2` is dropped as short)."""
CONSUMERS = r'(?i).*(?:queue_consumers|consumer_count|_consumers)'
BOOLEAN_ON = re.compile(r"^(?:true|on|yes|enabled?|1)$", re.I)
REPEATED = re.compile(r"repeated \d+x: ")
"""The log tool's line for a template it collapsed (its numbers masked): a real line is quoted when one is kept."""
HEADER = re.compile(r": (?P<total>\d+) lines(?:, (?P<hits>\d+) containing)?")
"""The log tool's header: how many lines the read covered and how many hold the grep text."""


def handoff(line: str) -> str:
    """The destination a producer's line hands work to ("" when it names none)."""
    for pattern in HANDOFF:
        m = pattern.search(line)
        if m:
            return m.group("dest").rstrip(".:/-")
    return ""


def words(text: str) -> set[str]:
    """Lower-case words of a name or line, split at punctuation and camelCase."""
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)
    return {w.lower() for w in re.split(r"[^A-Za-z0-9]+", text) if w}


def distinctive(dest: str) -> set[str]:
    """The words of a destination that name its work (`payments.capture-requests` -> payments, capture)."""
    return {w for w in words(dest) if len(w) >= 4 and w not in GENERIC and not w.isdigit()}


def consumer_candidates(dest: str, workloads: dict[str, int], producer: str) -> list[tuple[str, int]]:
    """(workload, desired replicas) of the namespace's workloads a distinctive word of the destination names, the
    producer left out: the destination's consumer by the team's naming."""
    want = distinctive(dest)
    return [(name, replicas) for name, replicas in sorted(workloads.items())
            if name != producer and want & words(name)]


def flag_keys(content: str) -> list[tuple[str, str]]:
    """(key, value) of each scalar setting in a flag or config document: a YAML/JSON map (nested maps flattened
    to dotted paths, so a flagd flag's name rides in `flags.<name>.state`), else `key=value` / `key: value` lines."""
    out: list[tuple[str, str]] = []
    try:
        doc = yaml.safe_load(content)
    except yaml.YAMLError:
        doc = None

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                key = f"{path}.{k}" if path else str(k)
                if isinstance(v, (dict, list)):
                    walk(v, key)
                else:
                    out.append((key, str(v).lower() if isinstance(v, bool) else str(v)))
        elif isinstance(node, list):
            for v in node:
                walk(v, path)

    if isinstance(doc, (dict, list)):
        walk(doc, "")
        return out
    for line in content.splitlines():
        m = re.match(r"\s*([\w.-]+)\s*[=:]\s*(\S+)", line)
        if m:
            out.append((m.group(1), m.group(2)))
    return out


def flag_for(data: dict[str, str], line: str, dest: str) -> str:
    """The setting of a written object whose words the hand-off line or its destination share (`async_capture:
    true` for "Capture ... enqueued"), preferring one switched on; "" when none shares a word."""
    said = {w for w in words(line) | words(dest) if len(w) >= 4 and w not in GENERIC}
    best: tuple[int, str] | None = None
    for key, value in data.items():
        for k, v in [(key, value), *flag_keys(value)]:
            shared = {w for w in words(k) if len(w) >= 4} & said
            if not shared:
                continue
            score = len(shared) * 2 + (1 if BOOLEAN_ON.match(v.strip("'\"")) else 0)
            if best is None or score > best[0]:
                best = (score, f"{k}: {v}" if k != key else f"{k}")
    return best[1] if best else ""


def counts(text: str) -> tuple[int, int] | None:
    """(lines read, lines holding the grep text) from a log answer's header."""
    m = HEADER.search(text.splitlines()[0] if text else "")
    return (int(m.group("total")), int(m.group("hits") or 0)) if m else None


def started_with_write(whole: tuple[int, int] | None, since: tuple[int, int] | None) -> bool:
    """Whether a pod's hand-offs to the destination all come after the write: lines hold it since the write, the
    read reaches back before the write (more lines in all than since), and no earlier line holds it."""
    if whole is None or since is None:
        return False
    return since[1] > 0 and whole[0] > since[0] and whole[1] == since[1]


@dataclass
class Unconsumed:
    """A write after which a producer hands work to a destination nothing consumes."""

    written: Ref
    change: dict[str, Any]
    producer: str
    namespace: str
    dest: str
    line: str
    flag: str = ""
    consumer: str = ""
    replicas: int | None = None
    consumers_now: float | None = None
    evidence: list[str] = field(default_factory=list)


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


async def _consumer_gauge(call: Call, dest: str, at: str) -> tuple[float | None, str]:
    """The broker's consumer count for the destination now (None: no such series), with the read's evidence id."""
    quoted = dest.replace("\\", "\\\\").replace('"', '\\"')
    query = " or ".join(f'{{__name__=~"{CONSUMERS}",{label}="{quoted}"}}' for label in ("queue", "topic", "stream",
                                                                                        "name"))
    got = await call("prom_query", {"query": f"max({query})", "time": at}, f"survey-handoff-consumers-{dest}")
    if got is None or not got.ok or not isinstance(got.data, dict):
        return None, ""
    values = [float(s["value"]) for s in got.data.get("samples") or []
              if isinstance(s, dict) and isinstance(s.get("value"), (int, float))]
    return (max(values) if values else None), got.evidence_id


async def _scaled(call: Call, namespace: str) -> set[str]:
    """The workloads a KEDA ScaledObject of the namespace scales (they wake from 0 on their own); none where the
    cluster serves no ScaledObject kind."""
    crds = await call("k8s_list", {"kind": "customresourcedefinitions"}, "survey-handoff-crds")
    if not any(str(r.get("name") or "").startswith("scaledobjects.") for r in rows_of(crds)):
        return set()
    listed = await call("k8s_list", {"kind": "scaledobjects", "namespace": namespace},
                        f"survey-handoff-scaledobjects-{namespace}")
    out: set[str] = set()
    for row in rows_of(listed):
        got = await get_yaml(call, "scaledobjects", str(row.get("name")), namespace,
                             f"survey-handoff-scaledobject-{row.get('name')}")
        target = ((got[0].get("spec") or {}).get("scaleTargetRef") or {}) if got else {}
        if target.get("name"):
            out.add(str(target["name"]))
    return out


async def _replicas(call: Call, namespace: str) -> tuple[dict[str, int], list[str]]:
    """Desired replicas of the namespace's Deployments and StatefulSets (by name), with the reads' evidence ids."""
    out: dict[str, int] = {}
    evidence: list[str] = []
    for kind in ("Deployment", "StatefulSet"):
        listed = await call("k8s_list", {"kind": kind, "namespace": namespace},
                            f"survey-handoff-{kind.lower()}s-{namespace}")
        for row in rows_of(listed):
            ready = str(row.get("ready") or "")
            desired = ready.split("/", 1)[1] if "/" in ready else ""
            if desired.isdigit():
                out[str(row.get("name"))] = int(desired)
        if listed is not None and listed.ok:
            evidence.append(listed.evidence_id)
    return out, evidence


def _pods(rows: list[dict[str, Any]], first: list[str]) -> list[str]:
    """One running pod per workload, the named ones (the write's readers, the incident's own) first."""
    by: dict[str, str] = {}
    for row in rows:
        name = str(row.get("name") or "")
        if str(row.get("status") or "Running") == "Running":
            by.setdefault(workload_of_pod(name), name)
    order = [w for w in first if w in by] + sorted(w for w in by if w not in first)
    return [by[w] for w in order[:MAX_PRODUCERS]]


async def _producer(call: Call, namespace: str, pod: str, when: datetime) -> tuple[str, str, list[str]] | None:
    """(destination, line, evidence) when the pod hands work to a destination from the write on, not before."""
    recent = await call("k8s_logs", {"name": pod, "namespace": namespace, "since_time": _iso(when), "tail": 400},
                        f"survey-handoff-logs-{pod}")
    text = str(getattr(recent, "full_text", "") or "") if recent is not None and recent.ok else ""
    hits = [(d, ln.strip()) for ln in text.splitlines()[1:] if (d := handoff(ln))]
    if not hits:
        return None
    dest, line = next((h for h in reversed(hits) if not REPEATED.match(h[1])), hits[0])
    whole = await call("k8s_logs", {"name": pod, "namespace": namespace, "tail": LOG_TAIL, "grep": dest},
                       f"survey-handoff-all-{pod}")
    since = await call("k8s_logs", {"name": pod, "namespace": namespace, "tail": LOG_TAIL, "grep": dest,
                                    "since_time": _iso(when)}, f"survey-handoff-since-{pod}")
    if not started_with_write(counts(str(getattr(whole, "full_text", "") or "") if whole and whole.ok else ""),
                              counts(str(getattr(since, "full_text", "") or "") if since and since.ok else "")):
        return None
    return dest, line[:300], [recent.evidence_id, whole.evidence_id, since.evidence_id]


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, bounded: around each recent flag/config write, its namespace's producers' hand-off lines, the
    destination's consumer gauge, the namespace's workloads' replicas and the autoscaled ones."""
    if STORE in facts.reads:
        return
    store: list[Unconsumed] = facts.reads.setdefault(STORE, [])
    writes = sorted(facts.writes_to(CARRIERS, within=LEAD, deletions=False),
                    key=lambda w: str(w[0].get("at") or ""), reverse=True)
    seen: set[Ref] = set()
    for change, evidence, target in writes:
        when = parse_time(change.get("at"))
        if when is None or target in seen or not target.namespace or len(seen) >= MAX_WRITES:
            continue
        seen.add(target)
        related = [r.name for r in (Ref.of(x) for x in change.get("related") or []) if r is not None]
        listed = await call("k8s_list", {"kind": "Pod", "namespace": target.namespace},
                            f"survey-handoff-pods-{target.namespace}")
        for pod in _pods(rows_of(listed), [*related, *subject.names]):
            got = await _producer(call, target.namespace, pod, when)
            if got is None:
                continue
            dest, line, ids = got
            hit = Unconsumed(target, change, workload_of_pod(pod), target.namespace, dest, line,
                             evidence=[e for e in (evidence, *ids) if e])
            hit.consumers_now, gauge_id = await _consumer_gauge(call, dest, at)
            if hit.consumers_now is not None and hit.consumers_now > 0:
                break  # something consumes it: the hand-off is served
            replicas, ids2 = await _replicas(call, target.namespace)
            woken = await _scaled(call, target.namespace)
            idle = [(n, r) for n, r in consumer_candidates(dest, replicas, hit.producer)[:MAX_CONSUMERS]
                    if r == 0 and n not in woken]
            if idle:
                hit.consumer, hit.replicas = idle[0]
            elif hit.consumers_now is None or consumer_candidates(dest, replicas, hit.producer):
                break  # no gauge and no idle consumer by name, or a named consumer running: nothing to say
            got_obj = await get_yaml(call, target.kind, target.name, target.namespace,
                                     f"survey-handoff-object-{target.name}")
            if got_obj is not None:
                data = {str(k): str(v) for k, v in ((got_obj[0].get("data") or got_obj[0].get("spec") or {})
                                                     .items())}
                hit.flag = flag_for(data, line, dest)
                hit.evidence.append(got_obj[1])
            hit.evidence += [e for e in (gauge_id, *ids2) if e]
            store.append(hit)
            break


def found(facts: Facts) -> list[Unconsumed]:
    """What `read` kept: each write after which work goes to a destination nothing consumes."""
    return list(facts.reads.get(STORE) or [])


_WHO = re.compile(r" (?:written|updated|edited|applied|patched) by ([\w.@-]+)")


def finding(hit: Unconsumed, at: datetime) -> dict[str, Any]:
    """The write and the missing consumer first (what a reader acts on), then the hand-off line that shows it."""
    when = parse_time(hit.change.get("at"))
    ago = f" {minutes_text(int((at - when).total_seconds() // 60))} before the incident" if when else ""
    who = _WHO.search(str(hit.change.get("summary") or ""))
    by = f" by {who.group(1)}" if who else ""
    flag = f" (flag {hit.flag})" if hit.flag else ""
    gauge = (f"; the broker counts {hit.consumers_now:g} consumers on it" if hit.consumers_now is not None else "")
    if hit.consumer:
        missing = f"its consumer Deployment {hit.namespace}/{hit.consumer} is scaled to {hit.replicas} replicas"
    else:
        missing = f"no consumer of it is deployed in {hit.namespace}"
    message = (f"{hit.written}{flag} was written{by}{ago}, and since then {hit.producer} hands its work to "
               f"{hit.dest}, which nothing consumes: {missing}{gauge}. The work piles up unprocessed while every pod "
               f"stays healthy ({hit.producer}: '{hit.line[:160]}', no such line before the write). Switch the flag "
               f"back, or launch the consumer first")
    return {"check": CHECK, "severity": "critical", "reason": "FlagRoutesToUnconsumedQueue",
            "object": {"kind": hit.written.kind, "namespace": hit.written.namespace, "name": hit.written.name},
            "message": message, "evidence": [hit.line],
            "details": {"destination": hit.dest, "producer": hit.producer, "consumer": hit.consumer,
                        "replicas": hit.replicas, "flag": hit.flag, "consumers_now": hit.consumers_now}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The write; it explains the producer (whose work is not done) and the idle consumer."""
    out = []
    for hit in found(facts):
        explains = [Ref("Deployment", hit.namespace, hit.producer)]
        if hit.consumer:
            explains.append(Ref("Deployment", hit.namespace, hit.consumer))
        out.append((hit.written, finding(hit, facts.at), list(dict.fromkeys(hit.evidence)), explains))
    return out
