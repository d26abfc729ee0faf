"""A consumer moved off the queue its producers still write to: a NAME split between the two sides of a queue.

Work handed over through a broker meets only where both sides name the same place: a Temporal task queue, a Kafka
topic, a NATS subject, a RabbitMQ queue or routing key, an SQS queue URL, a Redis list/stream in one database of one
server (BullMQ, Sidekiq, RQ, Celery on Redis). When a write changes that name on the CONSUMER's side only (a worker
release renames `TEMPORAL_TASK_QUEUE`, a Secret's `REDIS_URL` gets another database index "to separate cache from
queues"), both sides stay healthy and log no error: the workers poll an empty place, the producers keep adding work
where nobody polls any more (no pollers, no consumers), the backlog grows and callers that wait on the work time out.
The cause is the consumer's write, whatever the software; reverting it (or moving the producers too) is the fix.

Two shapes, both read from the same relation (one side's name written, the other side's not):

- the name in the write's diff: a workload (or the ConfigMap it reads) changed a queue-address setting (task queue,
  queue, topic, subject, stream, routing key, exchange, queue URL, vhost, database index) from old to new, and another
  workload of its namespace still holds the OLD value in its env or args (the producers were not moved with it);
- the name in a connection written without values (a Secret's `REDIS_URL`, `BROKER_URL`, `AMQP_URL`): the workload
  that reads that key restarted on the write, while another workload reads the same setting name from a different
  object nobody wrote. The consumer's own connection line after the restart (`db=1`, a vhost) is quoted when it says
  where it went. Values of Secrets are never read: only key names, who reads them, and the pods' own log lines.

`read` (reading only, bounded) lists the namespace's workloads and reads a few of them back, and one pod's log of a
restarted reader; `found` is pure. A write renaming a name that no other workload holds (all sides moved together),
a producer already on the new name, or a connection Secret whose reader never restarted name nothing.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml, list_names, pod_of
from agent.triage.limit_hit import Setting, settings_of
from agent.triage.limit_table import key_form
from agent.triage.subject import Subject

CHECK = "change.queue_split"
WEIGHT = 0.94
"""Above a write the errors merely name by a setting word (setting_words 0.85) or an identifier (0.86): the
relation read here (the other side still on the old name) is what the write means, not a shared word."""
STORE = "queue_split"
LEAD = timedelta(hours=6)
RESTART = timedelta(minutes=30)
"""A reader restarted this long after a connection write took it (Reloader, a checksum annotation, a hand restart)."""
MAX_WORKLOADS = 8
MAX_CANDIDATES = 3
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "Rollout")

Call = Callable[..., Awaitable[Any]]

ADDRESS = re.compile(r"(?:^|_)(?P<noun>task_?queue|queue(?:_name|_url)?|topics?(?:_name)?|subjects?|"
                     r"stream(?:_name|_key)?|routing_key|binding_key|exchange(?:_name)?|tube|channel|vhost|"
                     r"virtual_host|redis_db|db_index|database_index)$")
"""Normal-form keys naming the place work is handed over at (Temporal `taskQueue`, a queue, a Kafka topic, a NATS
subject, a Redis stream key, an AMQP routing key/exchange/vhost, a beanstalkd tube, a Redis database index)."""
CONNECTION = re.compile(r"(?:^|_)(?:url|uri|dsn|broker(?:_url|s)?|bootstrap_servers|connection(?:_string|_url)?|"
                        r"addr(?:ess)?|endpoint|host)$")
"""Normal-form keys of a connection to a broker or queue store; the place (db index, vhost, queue) rides inside."""
QUEUE_STORE = re.compile(r"redis|valkey|amqp|rabbit|broker|kafka|nats|sqs|pulsar|queue|celery|bull|sidekiq|"
                         r"resque|beanstalk|jobs?(?:_|$)|worker|task", re.I)
"""A connection key that names a broker or job store (`REDIS_URL`, `CELERY_BROKER_URL`, `AMQP_URL`): a `DATABASE_URL`
rewritten (a password rotated inside it) moves no queue."""
CREDENTIAL = re.compile(r"pass|secret|token|key$|cert|auth|user", re.I)
"""Keys of credentials: a rotation of those moves nobody's queue."""
NOUNS = {"task_queue": "task queue", "taskqueue": "task queue", "queue": "queue", "queue_name": "queue",
         "queue_url": "queue URL", "topic": "topic", "topics": "topic", "topic_name": "topic", "subject": "subject",
         "subjects": "subject", "stream": "stream", "stream_name": "stream", "stream_key": "stream",
         "routing_key": "routing key", "binding_key": "routing key", "exchange": "exchange", "exchange_name":
         "exchange", "tube": "tube", "channel": "channel", "vhost": "vhost", "virtual_host": "vhost",
         "redis_db": "database index", "db_index": "database index", "database_index": "database index"}
PLACE = re.compile(r"(?:\"|\b)(?P<key>db|database|vhost|virtual_host|queue|task_?queue)\"?\s*[=:]\s*\"?"
                   r"(?P<value>[\w./-]+)", re.I)
"""A connection line's own words for where it went: `db=1`, `"db":1`, `vhost: /jobs`, `queue=thumbnails`."""
CONNECT_LINE = re.compile(r"connect|ready|started|listening|polling|subscribed|consuming", re.I)


def _noun(key: str) -> str:
    m = ADDRESS.search(key_form(key))
    return NOUNS.get(m.group("noun"), "queue") if m else "queue"


def _renames(change: dict[str, Any]) -> list[Setting]:
    """The queue-address settings a write renamed (old and new both known, different, neither a number range)."""
    return [s for s in settings_of(change) if ADDRESS.search(key_form(s.key)) and s.old and s.new
            and s.old.strip("'\"") != s.new.strip("'\"")]


def _connection_keys(change: dict[str, Any]) -> list[str]:
    """Data keys of a Secret/ConfigMap write that hold a connection (not a credential)."""
    keys = re.findall(r"data key ([\w.-]+)", " ".join(str(d) for d in change.get("diff") or []))
    keys += [s.key for s in settings_of(change)]
    return list(dict.fromkeys(k for k in keys if CONNECTION.search(key_form(k)) and QUEUE_STORE.search(k)
                              and not CREDENTIAL.search(
        key_form(k).replace("url", "").replace("uri", ""))))


def _holds(text: str, value: str) -> bool:
    """Whether a setting value holds `value` as a whole token (`payments` in `payments`, `sqs/.../payments`)."""
    return bool(re.search(rf"(?:^|[\s/:=,'\"@]){re.escape(value)}(?:$|[\s/,'\"?&])", text))


def _spec_values(workload: dict[str, Any]) -> list[tuple[str, str]]:
    """(name, literal value) of a workload's env entries and args, in every container."""
    pod = ((workload.get("spec") or {}).get("template") or {}).get("spec") or {}
    out: list[tuple[str, str]] = []
    for c in [*(pod.get("containers") or []), *(pod.get("initContainers") or [])]:
        out += [(str(e.get("name")), str(e.get("value"))) for e in c.get("env") or []
                if isinstance(e, dict) and e.get("value") is not None]
        out += [("args", str(a)) for a in [*(c.get("args") or []), *(c.get("command") or [])]]
    return out


def _refs(workload: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(env name, kind, object name, key) of each env value a workload reads from a Secret or ConfigMap."""
    pod = ((workload.get("spec") or {}).get("template") or {}).get("spec") or {}
    out: list[tuple[str, str, str, str]] = []
    for c in [*(pod.get("containers") or []), *(pod.get("initContainers") or [])]:
        for e in c.get("env") or []:
            src = (e.get("valueFrom") or {}) if isinstance(e, dict) else {}
            for kind, field_ in (("Secret", "secretKeyRef"), ("ConfigMap", "configMapKeyRef")):
                ref = src.get(field_) or {}
                if ref.get("name"):
                    out.append((str(e.get("name")), kind, str(ref["name"]), str(ref.get("key") or e.get("name"))))
        for f in c.get("envFrom") or []:
            for kind, field_ in (("Secret", "secretRef"), ("ConfigMap", "configMapRef")):
                ref = (f.get(field_) or {}) if isinstance(f, dict) else {}
                if ref.get("name"):
                    out.append(("*", kind, str(ref["name"]), "*"))
    return out


def _candidates(facts: Facts) -> list[tuple[dict[str, Any], str, Ref, str]]:
    """Recent writes worth reading around: (change, evidence, target, shape) newest first."""
    out: list[tuple[dict[str, Any], str, Ref, str]] = []
    writes = facts.writes_to((*WORKLOADS, "ConfigMap", "Secret"), within=LEAD, deletions=False)
    for change, evidence, target in sorted(writes, key=lambda w: str(w[0].get("at") or ""), reverse=True):
        if any(t.same_object(target) for _, _, t, _ in out):
            continue
        if _renames(change):
            out.append((change, evidence, target, "rename"))
        elif target.kind in ("Secret", "ConfigMap") and _connection_keys(change):
            out.append((change, evidence, target, "connection"))
    return out[:MAX_CANDIDATES]


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: the namespace's workloads around each recent rename or connection write, and a restarted
    reader's log lines that say where it connected."""
    if STORE in facts.reads:
        return
    candidates = _candidates(facts)
    if not candidates:
        return
    store: dict[str, Any] = facts.reads.setdefault(STORE, {"workloads": {}, "lines": {}, "evidence": {}})
    for namespace in dict.fromkeys(t.namespace for _, _, t, _ in candidates):
        read_count = 0
        for kind in ("Deployment", "StatefulSet"):
            listed = await list_names(call, kind, namespace, f"survey-queue-split-{kind.lower()}-{namespace}")
            for name in sorted(listed[0]) if listed else []:
                if read_count >= MAX_WORKLOADS:
                    break
                got = await get_yaml(call, kind, name, namespace, f"survey-queue-split-{name}")
                read_count += 1
                if got is not None:
                    store["workloads"][f"{kind}/{namespace}/{name}"] = got[0]
                    store["evidence"][f"{kind}/{namespace}/{name}"] = got[1]
    for _change, _, target, shape in candidates:
        if shape != "connection":
            continue
        for key, obj in list(store["workloads"].items()):
            if not any(k == target.kind and n == target.name for _, k, n, _ in _refs(obj)):
                continue
            kind, namespace, name = key.split("/", 2)
            pod = await pod_of(call, Ref(kind, namespace, name), f"survey-queue-split-pods-{name}")
            if not pod:
                continue
            logs = await call("k8s_logs", {"name": pod, "namespace": namespace, "tail": 200},
                              f"survey-queue-split-logs-{name}")
            text = str(getattr(logs, "full_text", "") or "") if logs is not None and logs.ok else ""
            line = next((ln for ln in text.splitlines() if CONNECT_LINE.search(ln) and PLACE.search(ln)), "")
            if line:
                store["lines"][key] = line[:300]
                store["evidence"][f"log/{key}"] = logs.evidence_id


@dataclass
class Split:
    """A write that moved one side of a queue hand-over while the other side still names the old place."""

    culprit: Ref
    change: dict[str, Any]
    setting: str
    noun: str
    old: str
    new: str
    other: Ref
    other_says: str
    consumer: Ref | None = None
    place_line: str = ""
    evidence: list[str] = field(default_factory=list)


def _ref(key: str) -> Ref:
    kind, namespace, name = key.split("/", 2)
    return Ref(kind, namespace, name)


def _written(facts: Facts, ref: Ref) -> bool:
    return any(t.same_object(ref) for _, _, t in facts.writes_to((ref.kind,), within=LEAD, deletions=False))


def _restarted_after(facts: Facts, ref: Ref, when: datetime) -> bool:
    for change, _, target in facts.writes_to((ref.kind,), deletions=False):
        at = parse_time(change.get("at"))
        if target.same_object(ref) and at is not None and timedelta(0) <= at - when <= RESTART:
            return True
    return False


def found(facts: Facts) -> list[Split]:
    """Each recent write that moved a consumer's queue name away from where another workload still hands work."""
    seen = facts.reads.get(STORE) or {}
    workloads: dict[str, dict[str, Any]] = seen.get("workloads") or {}
    proofs: dict[str, str] = seen.get("evidence") or {}
    out: list[Split] = []
    for change, evidence, target, shape in _candidates(facts):
        when = parse_time(change.get("at"))
        if when is None:
            continue
        if shape == "rename":
            for s in _renames(change):
                old, new = s.old.strip("'\"") if s.old else "", s.new.strip("'\"") if s.new else ""
                for key, obj in workloads.items():
                    other = _ref(key)
                    if other.same_object(target) or other.namespace != target.namespace:
                        continue
                    values = _spec_values(obj)
                    short = len(old) < 3 or old.isdigit()  # `0`, `1`: held by chance unless under a queue setting
                    held = next(((n, v) for n, v in values if _holds(v, old)
                                 and (not short or ADDRESS.search(key_form(n)))), None)
                    if held is None or any(_holds(v, new) for _, v in values):
                        continue
                    said = f"{held[0]}={held[1]}" if held[0] != "args" else held[1]
                    out.append(Split(target, change, s.key, _noun(s.key), old, new, other, said,
                                     evidence=[e for e in (evidence, proofs.get(key)) if e]))
                    break
                if out and out[-1].change is change:
                    break
            continue
        for setting in _connection_keys(change):
            readers = [k for k, o in workloads.items() if any(
                kind == target.kind and name == target.name and (ref_key in (setting, "*"))
                for _, kind, name, ref_key in _refs(o))]
            consumer = next((k for k in readers if _restarted_after(facts, _ref(k), when)), None)
            if consumer is None:
                continue  # nobody restarted on the write: the running pods still hold the old connection
            for key, obj in workloads.items():
                if key in readers:
                    continue
                other_refs = [(kind, name) for env, kind, name, ref_key in _refs(obj)
                              if setting in (env, ref_key) and name != target.name]
                if not other_refs or _written(facts, Ref(other_refs[0][0], target.namespace, other_refs[0][1])):
                    continue
                line = str((seen.get("lines") or {}).get(consumer) or "")
                out.append(Split(target, change, setting, "connection", "", "", _ref(key),
                                 f"{setting} from {other_refs[0][0]} {other_refs[0][1]}", _ref(consumer), line,
                                 [e for e in (evidence, proofs.get(consumer), proofs.get(f"log/{consumer}"))
                                  if e]))
                break
            if out and out[-1].change is change:
                break
    return out[:1]


def _place(line: str) -> str:
    """`database index 1` from a `db=1` connection line, `vhost /jobs` from a vhost one."""
    m = PLACE.search(line)
    if not m:
        return ""
    key = m.group("key").lower()
    word = "database index" if key in ("db", "database") and m.group("value").isdigit() else key.replace("_", " ")
    return f"{word} {m.group('value')}"


def finding(hit: Split, at: datetime) -> dict[str, Any]:
    """What the write means first (the two sides of the queue now name different places), then the evidence."""
    when = parse_time(hit.change.get("at"))
    ago = f" {minutes_text(int((at - when).total_seconds() // 60))} before the incident" if when else ""
    if hit.noun != "connection":
        message = (f"{hit.culprit} moved its consumers to another {hit.noun}: {hit.setting} '{hit.old}' -> "
                   f"'{hit.new}'{ago}, while {hit.other} still hands its work to the old {hit.noun} "
                   f"({hit.other_says}). The old {hit.noun} '{hit.old}' now has no pollers (no consumer reads it): "
                   f"its backlog grows and the callers waiting on the work time out. Point both sides at one "
                   f"{hit.noun}: revert {hit.setting} or move the producers with it")
    else:
        place = _place(hit.place_line)
        went = f" and now connects to {place}" if place else ""
        message = (f"{hit.culprit} had its {hit.setting} rewritten{ago}; {hit.consumer} restarted on it{went}, while "
                   f"{hit.other} still reads {hit.other_says}, not written: the consumers and the producers of one "
                   f"queue now address different places ({place or 'another database index, vhost or queue'} "
                   f"on the consumers' side), "
                   f"so the workers poll an empty queue with no errors while the producers' jobs wait and none "
                   f"complete. Revert {hit.setting} in {hit.culprit} (or move the producers with it)")
    return {"check": CHECK, "severity": "critical", "reason": "QueueNameSplit",
            "object": {"kind": hit.culprit.kind, "namespace": hit.culprit.namespace, "name": hit.culprit.name},
            "message": message, "evidence": [hit.place_line] if hit.place_line else [],
            "details": {"setting": hit.setting, "other": str(hit.other)}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The write that split the queue; it explains the other side (the callers' timeouts) and the consumer."""
    return [(h.culprit, finding(h, facts.at), h.evidence,
             [r for r in (h.other, h.consumer) if r is not None and not r.same_object(h.culprit)])
            for h in found(facts)]
