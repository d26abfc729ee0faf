"""A consumer paused upstream of a store that fills: the store keeps what nobody reads any more.

A source that tracks its readers holds data until each of them has read it: PostgreSQL keeps every WAL
segment a logical replication slot has not confirmed (a Debezium connector, a logical subscriber), a
broker keeps the messages of a queue nobody drains, a stream keeps the entries a consumer group has not
acknowledged. When the reader is paused, stopped or suspended (a `kubectl patch` of a Strimzi
KafkaConnector's `spec.state: paused`, a Flink or Spark job `suspended`, a KEDA ScaledObject `paused`,
a subscription `enabled: false`), nothing errors: hours later the source's volume fills or its backlog
alarm fires, and the page names the store. The store is the victim; the write that paused its reader is
what to undo.

This module reads, only when the incident is about a volume filling or a backlog (`Subject.claims`, the
"pvc" or "backlog" problem words): the change history of the last days when the survey has not read it
(a pause is often a day old before the disk fills), and the YAML of each paused object (at most
`MAX_READS`), to see whether its spec names the store: the workload behind the alerted claim
(`data-orders-db-0` -> `orders-db`), its Service host, or an alert label value. `found` is pure over the
facts: a pause that names the store, written before the alert within `LEAD`, is the suspect.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject

CHECK = "change.paused_consumer"
WEIGHT = 0.9
"""A paused reader that names the filling store explains the fill: above the store's own symptom (the full
volume, the backlog), level with the other changes that say what to undo."""
READS = "paused_consumer"
HISTORY_WINDOW = "72h"
LEAD = timedelta(hours=72)
"""How long before the alert a pause may have been written and still be what fills the store (a slot keeps
WAL for as long as the reader stays paused; disks sized for days fill in hours to days)."""
MAX_READS = 3

PAUSED = re.compile(
    r"(?P<path>[\w.\[\]/-]*(?:state|status|desiredstate|paused|suspend(?:ed)?|stopped|enabled|active|running))"
    r"(?::\s*\S+\s*->| =| written by \S+ \(now)\s*'?(?P<value>paused|suspended|stopped|stop|pause|false|true)\b'?",
    re.I)
"""A diff line of the timeline that switched an object's reading off: `spec.state = 'paused'`,
`spec.suspend: false -> true`, `spec.enabled: true -> false`, `spec.desiredState = 'suspended'`."""

_OFF_WHEN_TRUE = re.compile(r"paused|suspend|stopped", re.I)
"""Fields that stop the object when set true (a `false` there resumes it)."""
_OFF_WHEN_FALSE = re.compile(r"enabled|active|running", re.I)
"""Fields that stop the object when set false."""
_WORKLOAD_KINDS = frozenset({"deployment", "statefulset", "daemonset", "replicaset", "job", "cronjob", "pod"})
"""Built-in kinds judged elsewhere (a workload scaled to zero: agent.triage.backlog; a CronJob suspended: the scan)."""

EFFECT: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"postgres|pg_|patroni|cnpg|debezium|wal", re.I),
     "PostgreSQL keeps every WAL segment its logical replication slot has not confirmed, so pg_wal grows until "
     "the volume fills"),
    (re.compile(r"kafka|redpanda", re.I), "the topic's consumer group falls behind and its lag grows"),
    (re.compile(r"rabbit|amqp", re.I), "its queue is no longer drained and grows until the broker's watermark"),
    (re.compile(r"redis|valkey|stream", re.I), "the stream keeps every entry the group has not acknowledged"),
)
"""What the source does with unread data, by the words of the store or the reader (else a general sentence)."""

Call = Callable[..., Awaitable[Any]]


@dataclass
class Paused:
    """A reader switched off, the store it names, and when."""

    target: Ref
    change: dict[str, Any]
    line: str
    store: str
    named_as: str
    minutes_before: int
    effect: str
    evidence: list[str] = field(default_factory=list)


def wanted(subject: Subject) -> bool:
    """Whether the incident is a store filling or falling behind (what a paused reader causes)."""
    return bool(subject.claims) or bool({"pvc", "backlog"} & subject.problems)


def store_names(subject: Subject) -> list[str]:
    """Names a reader's spec would use for the store: the workload behind each alerted claim (a StatefulSet's
    claims are `<template>-<statefulset>-<ordinal>`), then the alert's own label values."""
    out: list[str] = []
    for claim in subject.claims:
        parts = claim.split("-")
        if len(parts) >= 3 and parts[-1].isdigit():
            out.append("-".join(parts[1:-1]))  # data-orders-db-0 -> orders-db
        out.append(claim)
    out += [v for v in subject.labelled_values if len(v) >= 5 and v not in out]
    return [n for n in dict.fromkeys(out) if len(n) >= 4]


def paused_line(change: dict[str, Any]) -> str:
    """The diff line that switched the object off, or ""."""
    for line in (str(d) for d in change.get("diff") or []):
        m = PAUSED.search(line)
        if m is None:
            continue
        path, value = m["path"].rsplit(".", 1)[-1], m["value"].lower()
        if value in ("paused", "suspended", "stopped", "stop", "pause"):
            return line
        if value == "true" and _OFF_WHEN_TRUE.search(path):
            return line
        if value == "false" and _OFF_WHEN_FALSE.search(path) and not _OFF_WHEN_TRUE.search(path):
            return line
    return ""




def candidates(facts: Facts) -> list[tuple[dict[str, Any], Ref, str, str]]:
    """Every recent write that switched a non-workload object off: (change, object, its line, evidence id)."""
    out = []
    for change, evidence in facts.every_change():
        target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if target is None or at is None or target.kind.lower() in _WORKLOAD_KINDS:
            continue
        if not timedelta(0) <= facts.at - at <= LEAD:
            continue
        line = paused_line(change)
        if line:
            out.append((change, target, line, evidence))
    return out


def _word(name: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w-]){re.escape(name)}(?![\w-])", re.I)


def _effect(*texts: str) -> str:
    joined = " ".join(texts)
    return next((said for words, said in EFFECT if words.search(joined)),
                "the source keeps what its reader has not consumed, and it grows until the store fills")


def found(facts: Facts) -> list[Paused]:
    """Each paused reader whose spec names the store the incident is about."""
    store = facts.reads.get(READS) or {}
    names: list[str] = list(store.get("names") or [])
    specs: dict[str, tuple[str, str]] = store.get("specs") or {}
    out: list[Paused] = []
    for change, target, line, evidence in candidates(facts):
        spec, spec_evidence = specs.get(str(target), ("", ""))
        named = next((n for n in names if _word(n).search(spec)), "")
        if not named:
            continue
        at = parse_time(change.get("at"))
        minutes = int((facts.at - at).total_seconds() // 60) if at else 0
        out.append(Paused(target, change, line, names[0] if names else named, named, minutes,
                          _effect(target.kind, spec, named, " ".join(names), str(store.get("said") or "")),
                          [e for e in (evidence, spec_evidence) if e]))
    return out


def finding(p: Paused) -> dict[str, Any]:
    """The suspect: the object paused, by whom and when, the store its spec names, and what the store does."""
    who = str(p.change.get("summary") or "")
    by = re.search(r"written by (\S+)", who)
    message = (f"{p.target} was paused {minutes_text(p.minutes_before)} before the alert ({p.line.strip()}"
               + (f", by {by[1]}" if by else "") + f"); it reads from {p.named_as} (its spec names it), and while "
               f"it is paused {p.effect}. Nothing errors: the store fills or falls behind until the page. Resume "
               "it (or, if it is retired, release what it still holds at the source: its replication slot, its "
               "consumer group), then watch the store's usage or lag fall")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": p.target.kind, "namespace": p.target.namespace, "name": p.target.name},
            "reason": "ReaderPaused", "message": message, "evidence": [p.line.strip()[:200]],
            "details": {"change_at": p.change.get("at"), "store": p.store, "named_as": p.named_as}}


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: the last days' changes (when the survey read none that long), then each paused object's spec."""
    if not wanted(subject):
        return
    store = facts.reads.setdefault(READS, {})
    store["names"] = store_names(subject)
    store["said"] = " ".join(sorted(subject.labelled_values))  # the exporter's words (kafka, rabbitmq, pg_...)
    if not store["names"]:
        return
    if not facts.history_reaches(LEAD):
        got = await call("k8s_changes", {"at": at, "window": HISTORY_WINDOW}, "survey-paused-history")
        if got is not None and got.ok and isinstance(got.data, dict):
            facts.history.append(({**got.data, "window": HISTORY_WINDOW}, got.evidence_id))
    specs: dict[str, tuple[str, str]] = {}
    for _, target, _, _ in candidates(facts)[:MAX_READS]:
        got = await get_yaml(call, target.kind, target.name, target.namespace, f"survey-paused-{target.name}")
        if got is not None:
            obj, evidence = got
            specs[str(target)] = (json.dumps(obj.get("spec") or {}, sort_keys=True), evidence)
    store["specs"] = specs
