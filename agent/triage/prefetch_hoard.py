"""A consumer's prefetch raised: its workers reserve many messages each and sit on them, unacknowledged.

A queue consumer takes messages ahead of the one it works on: Celery reserves `worker_prefetch_multiplier` x
concurrency messages per worker, a RabbitMQ client gets up to its `basic.qos` prefetch count (Spring's
`listener.simple.prefetch`, pika/amqplib `prefetch_count`), a NATS JetStream consumer up to `max_ack_pending`, an
SQS poller `MaxNumberOfMessages`, a Kafka consumer `max.poll.records`. With late acknowledgement (Celery
`task_acks_late`, manual acks) those reserved messages stay UNACKED until the worker reaches them. Raised on a queue
that also carries long tasks, each worker hoards a batch behind one long task: the broker shows most messages
unacked and few ready, idle workers find nothing to take, and short work waits minutes behind long work. Nothing
errors; the symptom is wait time, a backlog or an age alert.

`read` (reading only) reads each workload or ConfigMap written in the 24 h before whose diff or current text sets a
prefetch-family setting above 1, and asks Prometheus for the broker's held-versus-ready gauges of its namespace
(RabbitMQ `rabbitmq_queue_messages_unacked` / `_ready`, NATS `jetstream_consumer_num_ack_pending` /
`num_pending`, SQS `approximate_number_of_messages_not_visible` / `_visible`) from before the write to now. `found`
names the write when the messages held unacked are many now and, where the series reaches back before the write,
several times what they were then (a series that begins after the write is taken as it is). A prefetch of 1, held
messages already as high before the write, or a backlog of ready messages with few held (too few workers, not
hoarding) name nothing.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.limit_hit import settings_of
from agent.triage.limit_table import key_form
from agent.triage.subject import Subject

CHECK = "change.prefetch_hoard"
WEIGHT = 0.93
"""A written setting whose documented effect the broker's own gauges show: above a setting word (0.85)."""
STORE = "prefetch_hoard"
LEAD = timedelta(hours=24)
MAX_TARGETS = 3
MAX_READS = 6
"""Written objects read back at most (a busy timeline's other writes are not all read)."""
MIN_HELD = 50.0
"""Fewer held messages than this is no hoard, whatever the ratio."""
ROSE = 4.0
"""Held messages must be at least this many times what they were before the write: a hoard the write began."""
BEFORE = timedelta(minutes=30)
WORKLOADS = ("Deployment", "StatefulSet", "Rollout")

Call = Callable[..., Awaitable[Any]]

PREFETCH = re.compile(r"(?:^|_)(?:worker_prefetch_multiplier|celeryd_prefetch_multiplier|prefetch_multiplier|"
                      r"prefetch(?:_count|_size)?|basic_qos|qos|max_ack_pending|max_in_?flight|"
                      r"max_number_of_messages|max_unacked(?:_messages)?|max_poll_records)$")
"""Normal-form keys of how many messages a consumer takes ahead (Celery, AMQP basic.qos, Spring AMQP, JetStream,
NSQ max_in_flight, SQS ReceiveMessage, Kafka)."""
LATE_ACK = re.compile(r"(?:task_)?acks_late\s*[:=]\s*['\"]?(?:true|1|yes)|acknowledge[-_]?mode\s*[:=]\s*['\"]?manual|"
                      r"ack_policy\s*[:=]\s*['\"]?explicit", re.I)
"""Late or manual acknowledgement: a reserved message stays unacked until its task ends."""
_PAIR = re.compile(r"(?m)^\s*([A-Za-z_][\w.\-]*)\s*[:=]\s*['\"]?(\d+)['\"]?\s*$")

FAMILIES: tuple[tuple[str, str, str], ...] = (
    ("RabbitMQ", "rabbitmq_queue_messages_unacked", "rabbitmq_queue_messages_ready"),
    ("RabbitMQ", "rabbitmq_detailed_queue_messages_unacked", "rabbitmq_detailed_queue_messages_ready"),
    ("NATS JetStream", "jetstream_consumer_num_ack_pending", "jetstream_consumer_num_pending"),
    ("SQS", "aws_sqs_approximate_number_of_messages_not_visible_maximum",
     "aws_sqs_approximate_number_of_messages_visible_maximum"),
)
"""(broker, held-by-consumers gauge, ready-for-consumers gauge) of the exporters that publish both."""


def _prefetch_in(text: str) -> tuple[str, int] | None:
    """The first prefetch-family setting above 1 in a config text (`worker_prefetch_multiplier = 32`)."""
    for key, value in _PAIR.findall(text.replace("\\n", "\n")):
        if PREFETCH.search(key_form(key)) and int(value) > 1:
            return key, int(value)
    return None


def _from_change(change: dict[str, Any]) -> tuple[str, int, str | None] | None:
    """(key, new value, old value) of a prefetch setting the write's diff raised above 1."""
    for s in settings_of(change):
        new = (s.new or "").strip("'\"")
        if PREFETCH.search(key_form(s.key)) and new.isdigit() and int(new) > 1:
            old = (s.old or "").strip("'\"") or None
            if old is not None and old.isdigit() and int(old) >= int(new):
                continue  # lowered or unchanged: no new hoard
            return s.key, int(new), old
    return None


def _texts(obj: dict[str, Any]) -> str:
    """A ConfigMap's data, or a workload's env `NAME=value` lines and args."""
    if obj.get("kind", "ConfigMap") == "ConfigMap" and "data" in obj:
        return "\n".join(str(v) for v in (obj.get("data") or {}).values())
    pod = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
    lines: list[str] = []
    for c in pod.get("containers") or []:
        lines += [f"{e.get('name')}={e.get('value')}" for e in c.get("env") or []
                  if isinstance(e, dict) and e.get("value") is not None]
        lines += [str(a).lstrip("-") for a in c.get("args") or []]
    return "\n".join(lines)


async def _range(call: Call, query: str, start: datetime, end: datetime, step: str) -> tuple[dict[str, Any], str]:
    """The first (before the write) and last (now) values of one aggregated series over the window."""
    got = await call("prom_query_range", {"query": query, "start": _iso(start), "end": _iso(end), "step": "60s",
                                          "baseline": "none", "top_k": 1}, step)
    if got is None or not got.ok or not isinstance(got.data, dict):
        return {}, ""
    series = [x for x in got.data.get("series") or [] if isinstance(x, dict)]
    return (series[0], got.evidence_id) if series else ({}, got.evidence_id)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: each recent write that sets a prefetch above 1, and its namespace's held/ready gauges."""
    if STORE in facts.reads:
        return
    store: list[dict[str, Any]] = facts.reads.setdefault(STORE, [])
    looked: list[Ref] = []
    for change, evidence, target in facts.writes_to((*WORKLOADS, "ConfigMap"), within=LEAD, deletions=False):
        if len(store) >= MAX_TARGETS or len(looked) >= MAX_READS or any(t.same_object(target) for t in looked):
            continue
        looked.append(target)
        when = parse_time(change.get("at"))
        if when is None:
            continue
        setting = _from_change(change)
        text = ""
        proofs = [evidence] if evidence else []
        got = await get_yaml(call, target.kind, target.name, target.namespace, f"survey-prefetch-{target.name}")
        if got is not None:
            text = _texts(got[0])
            proofs.append(got[1])
        if setting is None:
            now = _prefetch_in(text)
            if now is None:
                continue
            setting = (now[0], now[1], None)
        entry: dict[str, Any] = {"target": [target.kind, target.namespace, target.name], "change": change,
                                 "key": setting[0], "value": setting[1], "old": setting[2],
                                 "late_ack": (m.group(0) if (m := LATE_ACK.search(text)) else ""),
                                 "evidence": proofs}
        for broker, held, ready in FAMILIES:
            sel = f'{{namespace="{target.namespace}"}}'
            start = when - BEFORE
            got_held, eid = await _range(call, f"max({held}{sel})", start, facts.at,
                                         f"survey-prefetch-held-{target.name}")
            if not isinstance(got_held.get("last"), (int, float)):
                continue
            got_ready, rid = await _range(call, f"max({ready}{sel})", start, facts.at,
                                          f"survey-prefetch-ready-{target.name}")
            began = parse_time(got_held.get("start"))
            seen_before = began is not None and began <= when  # the series reaches back before the write
            entry.update({"broker": broker, "held_metric": held, "held": float(got_held["last"]),
                          "held_before": got_held.get("first") if seen_before else None,
                          "ready": got_ready.get("last")})
            entry["evidence"] += [e for e in (eid, rid) if e]
            break
        store.append(entry)


@dataclass
class Hoard:
    """A write that raised a consumer's prefetch, and the broker holding most messages unacked since."""

    target: Ref
    change: dict[str, Any]
    key: str
    value: int
    old: str | None
    late_ack: str
    broker: str
    held: float
    before: float | None
    ready: float
    evidence: list[str] = field(default_factory=list)


def found(facts: Facts) -> list[Hoard]:
    """Prefetch raises whose broker now holds many messages unacked, several times the ready ones, unlike before."""
    out: list[Hoard] = []
    for e in facts.reads.get(STORE) or []:
        held, before = e.get("held"), e.get("held_before")
        ready = float(e.get("ready") or 0.0)
        if held is None or held < MIN_HELD:
            continue
        if isinstance(before, (int, float)) and before * ROSE > held:
            continue  # as many held before the write: not this write's hoard
        out.append(Hoard(Ref(*e["target"]), e["change"], str(e["key"]), int(e["value"]), e.get("old"),
                         str(e.get("late_ack") or ""), str(e["broker"]), float(held), before, ready,
                         list(e["evidence"])))
    return out[:1]


def finding(hit: Hoard, at: datetime) -> dict[str, Any]:
    """The setting and what it means first (messages reserved and held unacked), then the broker's numbers."""
    when = parse_time(hit.change.get("at"))
    ago = f" {minutes_text(int((at - when).total_seconds() // 60))} before the incident" if when else ""
    was = f" (was {hit.old})" if hit.old else ""
    was_held = f" (was {hit.before:g} before the write)" if hit.before is not None else ""
    late = f" with late acknowledgement ({hit.late_ack})" if hit.late_ack else ""
    message = (f"{hit.target} was written{ago} with the consumer prefetch {hit.key} = {hit.value}{was}{late}: each "
               f"worker now reserves up to {hit.value} messages ahead and holds them unacked while it works through "
               f"long tasks, so {hit.broker} shows {hit.held:g} messages unacked{was_held}, {hit.ready:g} ready: "
               f"short work waits behind long work on busy workers while other workers find nothing to take. Set "
               f"{hit.key} back to 1 (or route long tasks to their own queue)")
    return {"check": CHECK, "severity": "critical", "reason": "PrefetchHoard",
            "object": {"kind": hit.target.kind, "namespace": hit.target.namespace, "name": hit.target.name},
            "message": message, "evidence": [f"{hit.held:g} unacked, {hit.ready:g} ready"],
            "details": {"setting": hit.key, "value": hit.value}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The write that raised the prefetch; it explains the queue's wait."""
    return [(h.target, finding(h, facts.at), h.evidence, []) for h in found(facts)]
