"""A worker release changed durable-workflow code so that histories recorded by the old code no longer replay.

Durable workflow engines (Temporal, Cadence, Azure Durable Functions / the Durable Task Framework, and their kin)
rebuild a running workflow's state by replaying its recorded history through the current workflow code. The code
must issue the same commands in the same order for every event already recorded; a release that inserts, removes
or reorders an activity, timer or child workflow without a version guard (Temporal's `GetVersion` / `patched`,
Cadence's `GetVersion`, a new workflow type or orchestrator name) is nondeterministic against every workflow
started under the previous release. New workflows run; in-flight ones stop on their next workflow task, and the
worker says why in its engine's words: Temporal Go's `[TMPRL1100] nondeterministic workflow: history event is ...,
replay command is ...`, the Java SDK's `NonDeterministicException`, the Python/.NET/Core SDKs' `Nondeterminism
error` (`WorkflowNondeterminismException`), the TypeScript SDK's `DeterminismViolationError`, Durable Functions'
`NonDeterministicOrchestrationException` / `Non-Deterministic workflow detected`. These are often printed at WARN
(the engine retries the task), so the pods look healthy and only the rollout stands out, without its meaning.

So: a workload whose own pods log such replay-divergence words, and whose template (image, args, env) was written
within `LEAD` before the incident, is named with that write and the line; the finding says what in the change
breaks the workflows (new code not deterministic against recorded histories) and what repairs it. Twins: the same
words with no recent write of that workload (a long-standing bug, or a worker the triage cannot date), a release of
that workload whose workers fail in other words (activity timeouts, connection errors), a release of another
workload (the engine's own UI) while the worker diverges. Pure over the facts the survey read: no reads.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, LogEvidence, Ref, minutes_text, parse_time
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.replay_divergence"
WEIGHT = 0.93
"""Above the worker's own warnings and the generic 'recent change' line: the release is what to roll back or guard."""
LEAD = timedelta(hours=24)
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "Rollout")
"""Kinds whose template runs the workers; an Argo Rollout's canary or blue-green release is a release too."""

DIVERGENCE = re.compile(
    r"non-?determinis(?:tic|m)\w*|DeterminismViolation\w*|NonDeterministic\w*|Nondeterminism\w*", re.I)
"""The engine's word for replay divergence (any SDK's spelling)."""
REPLAY_CONTEXT = re.compile(r"workflow|orchestrat|replay|history event|TMPRL\d+|activit", re.I)
"""The same line must speak of a workflow, an orchestration or a replay: a `non-deterministic` test or hash is not
a durable workflow's history diverging."""


@dataclass
class Divergence:
    """A workload's release and the replay-divergence line its workers print since."""

    workload: Ref
    at: datetime
    summary: str
    diff: list[str]
    said: str
    evidence: list[str] = field(default_factory=list)


def divergence_line(log: LogEvidence) -> str | None:
    """The line in which a worker says a workflow's replay diverged from its recorded history; None without one."""
    texts = [str(e.get(k) or "") for e in log.entries() for k in ("example", "message", "exception", "template")]
    for text in [*texts, *log.last_lines]:
        if DIVERGENCE.search(text) and REPLAY_CONTEXT.search(text):
            return text
    return None


def excerpt(line: str, width: int = 130) -> str:
    """The divergence words and what follows them (the history event against the replayed command), not the
    timestamp and task ids before them."""
    found = DIVERGENCE.search(line)
    start = max(0, found.start() - 12) if found else 0
    return " ".join(line[start:start + width].split())


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Nothing to read: the worker's logs and the change timeline are the survey's."""
    del subject, facts, call, at


def found(facts: Facts) -> list[Divergence]:
    """Each workload whose pods log replay divergence and whose template was written within LEAD before."""
    out: list[Divergence] = []
    seen: set[Ref] = set()
    writes = facts.writes_to(WORKLOADS, within=LEAD, deletions=False)
    for log in facts.logs:
        said = divergence_line(log) if log.pod else None
        if said is None:
            continue
        name = workload_of_pod(log.pod)
        mine = [(c, e, t) for c, e, t in writes if (t.namespace, t.name) == (log.namespace, name)]
        if not mine:
            continue
        change, evidence, target = max(mine, key=lambda w: str(w[0].get("at")))
        when = parse_time(change.get("at"))
        if when is None or target in seen:
            continue
        seen.add(target)
        out.append(Divergence(target, when, str(change.get("summary") or "").split(":")[0],
                              [str(d) for d in change.get("diff") or []][:2], said,
                              [e for e in (evidence, log.evidence_id) if e]))
    return out[:1]


def finding(hit: Divergence, at: datetime) -> dict[str, Any]:
    """The release first, then what it broke (replay of workflows the old code started) and the worker's line."""
    ago = minutes_text(int((at - hit.at).total_seconds() // 60))
    message = (f"{hit.summary or hit.workload}, {ago} before the incident, made its workflow code nondeterministic "
               f"against the recorded histories of workflows the previous release started: its workers fail to "
               f"replay them ('{excerpt(hit.said)}'), so in-flight workflows stop while new ones run. Guard "
               f"the change with a version marker (GetVersion / patched) or a new workflow type, or roll it back")
    return {"check": CHECK, "severity": "critical", "reason": "WorkflowReplayNondeterministic",
            "object": {"kind": hit.workload.kind, "namespace": hit.workload.namespace, "name": hit.workload.name},
            "message": message, "evidence": [*hit.diff, hit.said[:200]],
            "details": {"release": hit.summary, "said": hit.said[:300]}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The workload whose release its own workers cannot replay old workflows under."""
    return [(h.workload, finding(h, facts.at), h.evidence, [h.workload]) for h in found(facts)]
