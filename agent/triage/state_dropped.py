"""A stateful stream job restarted WITHOUT its state by a config write, so its readers find its output missing.

A stream job keeps state that took hours or days to build: Flink keyed/window state restored from a savepoint or
checkpoint, a Kafka Streams state store rebuilt from its changelog under its `application.id`, a consumer group's
committed offsets. Some writes make the next start drop it: the Flink Kubernetes operator's `job.upgradeMode:
stateless` (an upgrade cancels the job and starts it empty, instead of `savepoint`/`last-state`),
`allowNonRestoredState` (Flink's `execution.savepoint.ignore-unclaimed-state`: a program whose operator uids changed
starts with their state skipped), a Kafka Streams `application.id` or consumer `group.id` renamed (a new group with no
committed offsets, new empty stores), a Spark `checkpointLocation` moved. The job runs fine afterwards: no errors,
only its windows count from zero and its source starts at the latest offset, so the services that read what it
computes find features missing or `not found`. The job's own start says so (Flink `No checkpoint found during
restore`, `starting offset LATEST`; a Kafka consumer's `Found no committed offset for partition`).

This module pairs the write (within LEAD: a setting above set to what starts without state, or renamed) with the
job's own start line after it saying no state was restored (its pods' logs, read here: the pods named after the
written object or its workload). Twins: `upgradeMode: savepoint`, a stateless write whose job still restored from a
savepoint, a write with no such start seen. Reading only; Secrets are never read.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time, written_by
from agent.triage.matching_writes import first_matching
from agent.triage.subject import Subject, workload_of_pod

Call = Callable[..., Awaitable[Any]]

CHECK = "change.state_dropped"
WEIGHT = 0.94
"""Above the job's own rollout (the operator's redeploy) and the readers' missing-data warnings."""
STORE = "state_dropped"
LEAD = timedelta(hours=24)
MAX_JOBS = 2

_SET = re.compile(r"^(?P<path>[\w.\[\]/-]+)(?::\s+(?P<old>\S+)\s+->|\s+=)\s+(?P<new>.+)$")
_ENV = re.compile(r"^(?P<c>\S+) env (?P<key>[A-Za-z_][\w.]*)=(?P<old>'[^']*'|\S+) -> (?:(?P=key)=)?"
                  r"(?P<new>'[^']*'|\S+)$")
STATELESS = (
    (re.compile(r"upgradeMode$", re.I), re.compile(r"^stateless$", re.I),
     "the operator upgrades the job without a savepoint: the new job starts with empty state"),
    (re.compile(r"allowNonRestoredState$|ignore-unclaimed-state$", re.I), re.compile(r"^true$", re.I),
     "the job may start without restoring the state its savepoint holds: the state of every operator whose uid "
     "the new program no longer has is skipped, not refused"),
)
"""(field, value) pairs that start a job without its state, and what that means."""
RENAMED = re.compile(r"application[._]?id|APPLICATION_ID|group[._]?id|GROUP_ID|consumer[._]?group|"
                     r"checkpoint[._]?location|CHECKPOINT_LOCATION", re.I)
"""Settings whose new value is a new identity: no committed offsets, no state stores, no checkpoint under it."""
NO_STATE = re.compile(r"No checkpoint found during restore|starting offset LATEST|with starting offset LATEST|"
                      r"Found no committed offset for partition|from savepoint\s+\(\)|without (?:a )?savepoint|"
                      r"No state to restore|restored 0 records|Restoring state from scratch|"
                      r"Skipping savepoint state for operator", re.I)
"""A job's own words for starting without its state (Flink's `Skipping savepoint state for operator X`: a savepoint
restored with non-restored state allowed dropped the state of an operator the new program does not map; its
`Skipping empty savepoint state` says an operator had none, and is no loss)."""
GREPS = ("restor", "latest", "committed offset", "savepoint")
"""Substrings the logs are searched for (the tool's grep is a plain substring): each NO_STATE line holds one."""


@dataclass(frozen=True)
class Dropper:
    """One written setting that starts the job without its state, and what it means."""

    path: str
    old: str | None
    new: str
    means: str


def droppers(change: dict[str, Any]) -> list[Dropper]:
    """The settings a write set that start its job without state."""
    out: list[Dropper] = []
    for line in (str(d) for d in change.get("diff") or []):
        if m := _ENV.match(line):
            old, new = m["old"].strip("'\""), m["new"].strip("'\"")
            if RENAMED.search(m["key"]) and old != new:
                out.append(Dropper(m["key"], old, new, "the job starts under a new identity: no committed offsets, "
                                                       "no state stores or checkpoints of the old one"))
            continue
        m2 = _SET.match(line)
        if m2 is None:
            continue
        new = m2["new"].strip().strip("'\"")
        old = m2["old"].strip("'\"") if m2["old"] else None
        for path_words, value_words, means in STATELESS:
            if path_words.search(m2["path"]) and value_words.match(new):
                out.append(Dropper(m2["path"], old, new, means))
        if RENAMED.search(m2["path"].rsplit(".", 1)[-1]) and old is not None and old != new:
            out.append(Dropper(m2["path"], old, new, "the job starts under a new identity: no committed offsets, "
                                                     "no state stores or checkpoints of the old one"))
    return out


def _candidates(facts: Facts) -> list[tuple[dict[str, Any], str, Ref, list[Dropper]]]:
    """The recent writes (to any kind: a FlinkDeployment, a Deployment's env) that start a job without its state,
    the first per object."""
    return first_matching(facts, None, LEAD, droppers)


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, for each write that starts a job without state: the job's pods' logs (its start line)."""
    if STORE in facts.reads:
        return
    candidates = _candidates(facts)
    if not candidates:
        return
    store: dict[str, Any] = facts.reads.setdefault(STORE, {"lines": []})
    for _, _, target, _ in candidates[:MAX_JOBS]:
        listed = await call("k8s_list", {"kind": "Pod", "namespace": target.namespace},
                            f"survey-state-dropped-pods-{target.name}")
        if listed is None or not listed.ok or not isinstance(listed.data, dict):
            continue
        pods = [str(r.get("name")) for r in listed.data.get("rows") or [] if isinstance(r, dict)
                and (workload_of_pod(str(r.get("name"))) == target.name
                     or str(r.get("name")).startswith(target.name + "-"))]
        for pod in pods[:1]:
            for word in GREPS:  # the start lines come first: a long run's tail has only its steady lines
                got = await call("k8s_logs", {"name": pod, "namespace": target.namespace, "grep": word},
                                 f"survey-state-dropped-logs-{pod}-{word.replace(' ', '-')}")
                if got is None or not got.ok:
                    continue
                lines = [ln.strip() for ln in (got.full_text or got.text).splitlines() if NO_STATE.search(ln)]
                if lines:
                    store["lines"].append({"ref": [target.kind, target.namespace, target.name], "pod": pod,
                                           "lines": lines[:3], "evidence": got.evidence_id})
                    break


@dataclass
class StateDropped:
    """A write that started a stream job without its state, and the job's own start saying so."""

    target: Ref
    droppers: list[Dropper]
    at: datetime
    by: str
    said: list[str]
    evidence: list[str] = field(default_factory=list)


def found(facts: Facts) -> list[StateDropped]:
    """Each write that starts a job without state whose job's start line says it restored none."""
    seen = (facts.reads.get(STORE) or {}).get("lines") or []
    out: list[StateDropped] = []
    for change, evidence, target, found_droppers in _candidates(facts):
        when = parse_time(change.get("at"))
        said = next((s for s in seen if Ref(*s["ref"]).same_object(target)), None)
        if when is None or said is None:
            continue
        out.append(StateDropped(target, found_droppers, when, written_by(change), list(said["lines"]),
                                [e for e in (evidence, str(said.get("evidence") or "")) if e]))
    return out[:1]


def finding(hit: StateDropped, at: datetime) -> dict[str, Any]:
    """The setting's meaning first (the job restarts without its state), then its own start line."""
    ago = minutes_text(int((at - hit.at).total_seconds() // 60))
    first = hit.droppers[0]
    value = f"{first.old} -> {first.new}" if first.old else f"set to '{first.new}'"
    by = f" by {hit.by}" if hit.by else ""
    message = (f"{hit.target}: {first.path} {value}{by} {ago} before the incident: {first.means} (state not restored "
               f"from the savepoint or checkpoint), so what it builds from history (windows, aggregates, seen-ids of a "
               f"dedup, features) starts from zero and its readers find data missing or repeated. Its start says so: "
               f"'{' | '.join(s[:120] for s in hit.said[:2])}'. Restore the stateful setting (upgradeMode savepoint "
               f"or last-state, the old identity) and restart from the last savepoint")
    return {"check": CHECK, "severity": "critical", "reason": "StreamStateDropped",
            "object": {"kind": hit.target.kind, "namespace": hit.target.namespace, "name": hit.target.name},
            "message": message, "evidence": [f"{first.path} {value}", *hit.said[:2]],
            "details": {"field": first.path, "old": first.old, "new": first.new, "by": hit.by}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The write that dropped the job's state."""
    return [(h.target, finding(h, facts.at), h.evidence, [h.target]) for h in found(facts)]
