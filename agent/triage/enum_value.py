"""A producer-side change that starts emitting an enum value its consumer's schema does not know.

Services that exchange records (events on a topic, messages on a queue, JSON over HTTP) share enumerations: a
status, a type, a reason. When the producing side gains a value (a feature flag switched on enables a new state,
a release adds one), every consumer built against the old set rejects those records in its decoder's words:
Jackson's `Cannot deserialize value of type X from String "V": not one of the values accepted for Enum class`,
Java's `No enum constant x.Y.V`, Python's `ValueError: 'V' is not a valid Status`, Rust serde's `unknown variant
`V`, expected one of`, protobuf JsonFormat's `Invalid enum value: V for enum type`, Go protojson's `invalid value
for enum type: "V"`, kotlinx.serialization's `does not contain element with name 'V'`, pydantic's `Input should be
'A' or 'B' ... input_value='V'`. The consumer then lags, dead-letters or 500s; nothing of its own changed, and the
generic pieces blame the consumer (its errors) or a bystander rollout. (`produced_format` links a producer to
its consumer by the store location both name; this module links them by the value itself.)

This module pairs, reading only:

1. a consumer's log (the survey's failing logs) rejecting value V;
2. a producer: a workload other than the consumer whose own log lines carry V (it emits it), first after a
   producer-side write and never before it;
3. that write, within LEAD before the consumer's first rejection: a flag object switching a flag on in the
   producer's namespace (`flag_heap.writes`), or the producer's own rollout.

The finding names the write's object (the flag object, or the producer's workload). Twins stay out: a value the
producer already emitted before the write, a producer that never emits the rejected value, a write in another
namespace, a rejection that names no value.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage import flag_heap
from agent.triage.facts import Facts, LogEvidence, Ref, minutes_text, parse_time
from agent.triage.kube_reads import has_run, rows_of
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.enum_value"
WEIGHT = 0.93
"""A write whose producer emits a value its consumer rejects since: the consumer's errors and a bare 'written
before' change are weaker."""
READS = "enum_value"
LEAD = timedelta(hours=24)
SLACK = timedelta(minutes=2)
MAX_NAMESPACES = 2
MAX_PODS = 4
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "Rollout")
Call = Callable[..., Awaitable[Any]]

REJECTS = [
    re.compile(r"from String \\?\"(?P<v>[\w.-]+)\\?\": not one of the values accepted for Enum"),
    re.compile(r"No enum constant [\w$]+(?:\.[\w$]+)*\.(?P<v>\w+)"),
    re.compile(r"['\"](?P<v>[\w.-]+)['\"] is not a valid [A-Z]\w*"),
    re.compile(r"unknown variant `(?P<v>[^`]+)`, expected"),
    re.compile(r"Invalid enum value: (?P<v>[\w.-]+) for enum type"),
    re.compile(r"invalid value for enum (?:type|field)[^\"]{0,80}\\?\"(?P<v>[\w.-]+)\\?\""),
    re.compile(r"does not contain element with name '(?P<v>[\w.-]+)'"),
    re.compile(r"Input should be '[^']*'(?:, '[^']*')*,? or '[^']*'.{0,120}?input_value='(?P<v>[\w.-]+)'"),
]
"""How decoders say a value is not a member of the enumeration they were built with; the value is group `v`."""


@dataclass
class Hit:
    """The write, the producer emitting the value since, and the consumer rejecting it."""

    target: Ref
    what: str
    producer: Ref
    consumer: Ref
    value: str
    said: str
    minutes_before: int
    evidence: list[str] = field(default_factory=list)


def _store(facts: Facts) -> dict[str, Any]:
    return facts.reads.setdefault(READS, {})  # type: ignore[no-any-return]


def rejected(text: str) -> str:
    """The value a decoder line says is not in its enumeration, or ''."""
    for pattern in REJECTS:
        m = pattern.search(text)
        if m:
            return m["v"]
    return ""


def _texts(log: LogEvidence) -> list[str]:
    return [" ".join(str(e.get(k) or "") for k in ("exception", "message", "example"))
            for e in [log.top or {}, *log.more] if e] + list(log.last_lines)


def rejections(facts: Facts) -> list[tuple[LogEvidence, str, str]]:
    """(consumer log, rejected value, its line) for each failing log that rejects an enum value."""
    out = []
    for log in facts.logs:
        for text in _texts(log):
            value = rejected(text)
            if value:
                out.append((log, value, " ".join(text.split())[:200]))
                break
    return out


def candidates(facts: Facts) -> list[tuple[Ref, str, datetime, str]]:
    """(object, what it did, when, evidence) for each producer-side write: a flag switched on, a workload rollout."""
    out = [(target, f"switched flag {key} on ({line[:120]})", at, evidence)
           for target, key, line, at, evidence in flag_heap.writes(facts)]
    for change, evidence, target in facts.writes_to(WORKLOAD_KINDS, within=LEAD, deletions=False):
        at = parse_time(change.get("at"))
        said = " ".join([str(change.get("summary") or ""), *[str(d) for d in change.get("diff") or []]])
        if at is not None and re.search(r"image|template|rolled out|revision", said):
            out.append((target, f"rolled out ({said[:120]})", at, evidence))
    return out


_COUNT = re.compile(r"(\d+) lines?, (\d+) containing")
"""The log answer's header: how many lines it read and how many carry the grep word."""


def _count(text: str) -> int | None:
    m = _COUNT.search(text.splitlines()[0] if text else "")
    return int(m.group(2)) if m else None


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, bounded: for a rejected value and a producer-side write, the pods of the write's namespace
    (one per workload, the consumer's left out): how many of their lines carry the value in all, and how many
    from the write on (all of them from the write on: the write started it)."""
    found = rejections(facts)
    writes = candidates(facts)
    if not found or not writes:
        return
    store = _store(facts).setdefault("emitters", {})
    consumers = {(log.namespace, workload_of_pod(log.pod)) for log, _, _ in found}
    values = list(dict.fromkeys(v for _, v, _ in found))[:2]
    namespaces = list(dict.fromkeys(t.namespace for t, _, _, _ in writes))[:MAX_NAMESPACES]
    for namespace in namespaces:
        times = sorted({w - SLACK for t, _, w, _ in writes if t.namespace == namespace})[:2]
        listed = await call("k8s_list", {"kind": "Pod", "namespace": namespace}, f"survey-enum-pods-{namespace}")
        pods: dict[str, str] = {}
        for row in rows_of(listed):
            pod = str(row.get("name") or "")
            name = workload_of_pod(pod)
            if pod and name and (namespace, name) not in consumers and name not in pods and has_run(row):
                pods[name] = pod
        for name, pod in list(pods.items())[:MAX_PODS]:
            for value in values:
                args = {"name": pod, "namespace": namespace, "grep": value, "tail": 10000}
                got = await call("k8s_logs", args, f"survey-enum-log-{pod}")
                total = _count(str(got.full_text)) if got is not None and got.ok else None
                if not total:
                    continue
                after: dict[str, int] = {}
                for since in times:
                    later = await call("k8s_logs", {**args, "since_time": _iso(since)},
                                       f"survey-enum-log-{pod}-since")
                    n = _count(str(later.full_text)) if later is not None and later.ok else None
                    if n is not None:
                        after[_iso(since)] = n
                line = next((ln.strip() for ln in str(got.full_text).splitlines()[1:]
                             if value in ln and not ln.startswith(("[", "repeated "))), "")
                store[f"{namespace}/{name}/{value}"] = (total, after, line, got.evidence_id)


def found(facts: Facts) -> list[Hit]:
    """Each producer-side write after which a producer emits a value its consumer rejects, and not before."""
    emitters: dict[str, tuple[int, dict[str, int], str, str]] = _store(facts).get("emitters") or {}
    out: list[Hit] = []
    for log, value, said in rejections(facts):
        consumer = Ref("Deployment", log.namespace, workload_of_pod(log.pod))
        for target, what, at, evidence in candidates(facts):
            for key, (total, after, _, read_id) in emitters.items():
                namespace, name, emitted = key.split("/", 2)
                if emitted != value or namespace != target.namespace or name == consumer.name:
                    continue
                if target.kind in WORKLOAD_KINDS and target.name != name:
                    continue  # a rollout names only its own workload as the producer
                if after.get(_iso(at - SLACK)) != total:
                    continue  # the producer emitted the value before the write too: not the write's doing
                if any(h.value == value for h in out):
                    continue
                out.append(Hit(target, what, Ref("Deployment", namespace, name), consumer, value, said,
                               int((facts.at - at).total_seconds() // 60),
                               [e for e in (evidence, read_id, log.evidence_id) if e]))
    return out


def finding(h: Hit) -> dict[str, Any]:
    """The write, the value its producer emits since, and the consumer's rejection; meaning first."""
    message = (f"{h.target} {h.what} {minutes_text(h.minutes_before)} before the incident; since then "
               f"{h.producer} emits the enum value {h.value}, which its consumer {h.consumer} was not built with "
               f"and rejects: '{h.said[:160]}'. The records fail to decode (lag, dead letters, errors); revert the "
               f"write or ship a consumer that knows {h.value}, rather than treating the consumer as broken")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": h.target.kind, "namespace": h.target.namespace, "name": h.target.name},
            "reason": "EnumValueUnknownToConsumer", "message": message, "evidence": [h.said[:200]],
            "details": {"value": h.value, "producer": str(h.producer), "consumer": str(h.consumer)}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The write behind the rejected value, explaining the consumer's failures and the producer's new output."""
    return [(h.target, finding(h), list(dict.fromkeys(h.evidence)), [h.consumer, h.producer]) for h in found(facts)]


__all__ = ["CHECK", "WEIGHT", "Hit", "finding", "found", "read", "rejected", "suspects"]
