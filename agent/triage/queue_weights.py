"""A job worker's queue list lost its weights, so one busy queue starves the ones after it.

Job runners that serve several queues from one process pick the next job either by weight (Sidekiq's `-q
critical,6 -q default,3`, `:queues: [[critical, 6], [default, 3]]` in sidekiq.yml, Faktory workers' `-q name,N`,
Asynq's `Queues: {critical: 6}`) or in strict order, always from the first non-empty queue. Weighted, every queue
gets a share however busy the others are; strict, a later queue gets nothing while an earlier one holds jobs.
A revision that drops the weights (`critical,6` -> `critical`) changes nothing visible: every worker is healthy
and busy. What shows is the latency of a later queue (mail, notifications, webhooks) climbing while a long batch
fills an earlier one, and the alert names that queue.

So: a write within `LEAD` to a workload's args, env or config that keeps the same queue names but drops every
weight (two or more queues weighted before, none after), when the incident names one of those queues and it is not
the first in the new order (the first queue is the one strict order favours, so its delay is another story). The
finding names the write, the weights lost, the order now strict and the starved queue. Twins: the alert names the
first queue; the weights changed but kept; the workload rolled out with its queue list untouched; the incident
names no queue of the list. Reading only what the survey read: the subject's words are kept at `read`.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time, workloads_touched
from agent.triage.subject import Subject

CHECK = "change.queue_weights"
WEIGHT = 0.93
"""Above the generic 'recent change' line and the queue's latency: the lost weights are what starve the queue."""
STORE = "queue_weights"
LEAD = timedelta(hours=24)
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")
WEIGHTED = re.compile(r"(?<![\w./:-])(?P<name>[A-Za-z_][\w-]*)(?:'?\s*,\s*'?|:\s+|[\"']\s*:\s*)"
                      r"(?P<weight>\d{1,3})(?![\w.:])")
"""`critical,6` (a -q flag), `critical: 6` (a map), `critical', 6` or `[critical, 6]` (a YAML/list pair), a quoted
key (`{"critical":6}`, JSON or a Go/Python map literal: Asynq's `Queues`, Faktory's weighted map); not a
`host:port` (no space after its colon, no quote before it)."""
NAME = re.compile(r"(?<![\w./:-])[A-Za-z_][\w-]*(?![\w./:-])")


@dataclass
class Starved:
    """The write that made a worker's queue order strict, and the queue the incident names behind others."""

    workload: Ref
    at: datetime
    summary: str
    before: list[str]
    after: list[str]
    queue: str
    evidence: list[str] = field(default_factory=list)


def weights_dropped(line: str) -> tuple[list[str], list[str]] | None:
    """(weighted pairs before, queue order after) when one diff line keeps two or more queue names but drops their
    weights (a pair weighted on both sides, `concurrency: 8`, is another setting and only has to be outnumbered)."""
    if " -> " not in line:
        return None
    before, _, after = line.partition(" -> ")
    pairs = {m["name"]: m["weight"] for m in WEIGHTED.finditer(before)}
    kept = {m["name"] for m in WEIGHTED.finditer(after)} & set(pairs)
    words = NAME.findall(after)
    dropped = [n for n in pairs if n not in kept and n in words]
    if len(dropped) < 2 or len(kept) >= len(dropped):
        return None
    order = sorted(dropped, key=words.index)
    return [f"{n},{pairs[n]}" for n in dropped], order


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Nothing from the cluster: the words the incident names (alert labels, series, names) are kept for `found`."""
    del call, at
    words = [*subject.labelled_values, *subject.names, *subject.phrases, *subject.series, subject.backlog_said]
    facts.reads.setdefault(STORE, {"words": sorted({w.lower() for text in words for w in NAME.findall(str(text))})})


def found(facts: Facts) -> list[Starved]:
    """Each recent write that made a worker's queue order strict behind a queue the incident names."""
    named = set((facts.reads.get(STORE) or {}).get("words") or [])
    if not named:
        return []
    for change, evidence, target in facts.writes_to(None, within=LEAD, deletions=False):
        refs = workloads_touched(change, target, WORKLOADS)
        when = parse_time(change.get("at"))
        if not refs or when is None:
            continue
        for line in (str(d) for d in change.get("diff") or []):
            dropped = weights_dropped(line)
            if dropped is None:
                continue
            before, order = dropped
            starved = [q for q in order[1:] if q.lower() in named]
            if starved:
                return [Starved(refs[0], when, str(change.get("summary") or "").split(":")[0], before, order,
                                starved[0], [e for e in (evidence,) if e])]
    return []


def finding(hit: Starved, at: datetime) -> dict[str, Any]:
    """The write and the lost weights first, then the strict order and the queue it starves."""
    ago = minutes_text(int((at - hit.at).total_seconds() // 60))
    ahead = ", ".join(hit.after[:hit.after.index(hit.queue)]) if hit.queue in hit.after else "the queues before it"
    lost = f"{' '.join(hit.before[:6])} -> {' '.join(hit.after[:6])}"
    message = (f"{hit.summary or hit.workload}, {ago} before the incident, dropped the weights of its queue list "
               f"({lost}): without weights the "
               f"worker takes jobs in strict queue order, so while {ahead} hold jobs the {hit.queue} queue is never "
               f"served and its latency grows. Restore the queue weights on {hit.workload.name} (or give "
               f"{hit.queue} its own worker)")
    return {"check": CHECK, "severity": "critical", "reason": "QueueWeightsDropped",
            "object": {"kind": hit.workload.kind, "namespace": hit.workload.namespace, "name": hit.workload.name},
            "message": message, "evidence": [f"{' '.join(hit.before)} -> {' '.join(hit.after)}"],
            "details": {"queue": hit.queue, "order": hit.after, "weights_before": hit.before}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The worker whose queue order became strict behind the queue the incident names."""
    return [(h.workload, finding(h, facts.at), h.evidence, [h.workload]) for h in found(facts)]
