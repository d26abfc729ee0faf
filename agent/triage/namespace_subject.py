"""When a page names only a namespace: which of its workloads fails, and what changed it.

Pages built from business metrics rarely carry a workload label: "Payout submissions failing: 0 accepted in
15 min (payouts)", "Checkout conversion down in shop". The namespace is the only name that exists in the
cluster, and no word of the prose is a workload's name, so every rule keyed on the subject's workload finds
nothing and the report says "no hypothesis" while the namespace's own logs fail on every call. An on-call
engineer does the obvious next thing: look at the namespace's workloads, take the one whose logs fail, and
ask what changed it shortly before.

This module does that, and only that, for the last-resort ranking (rank._without_findings) when nothing else
was found: among the logs read from pods of a namespace the incident names, the workloads whose top error is
error or fatal; the one whose own workload was written in the window before the incident AND before its first
error is the suspect (a rollout that preceded the failures), ties broken by how many errors its logs hold.
A namespace is taken only when the incident names it (a label, `in NAME`, `(NAME)`) and logs of its pods were
read, which proves it exists. Nothing changed: the failing workload is still said, at lower confidence, as the
place to look.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from agent.triage.facts import Facts, LogEvidence, Ref, parse_time
from agent.triage.subject import Subject, workload_of_pod

Call = Callable[..., Awaitable[Any]]
Keep = Callable[[Any, Facts], LogEvidence | None]

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Rollout", "CronJob", "Job")
"""Kinds whose write changes what a workload's pods run."""
MAX_CANDIDATES = 4
MAX_NAMESPACES = 2
MAX_WORKLOADS = 4
"""Reads are bounded: at most MAX_CANDIDATES words tried as namespaces (a listing with no pod is no namespace of
running work), MAX_NAMESPACES with pods read, MAX_WORKLOADS workloads' logs each (written ones first)."""


@dataclass(frozen=True)
class Suspect:
    """A failing workload of the named namespace, its logs, and the write to it that preceded the failures."""

    workload: str
    namespace: str
    log: LogEvidence
    change: dict[str, Any] | None
    target: Ref | None
    minutes_before: int
    """How long before the incident the write was made (0 when there is no write)."""


def _namespaces(subject: Subject) -> list[str]:
    """The namespaces the incident may name, its label first, then words in a namespace position in the order the
    text gives them; numbers are minutes or counts, never a namespace here."""
    return list(dict.fromkeys(n for n in [subject.namespace, *subject.namespace_words] if n and not n.isdigit()))


def needed(subject: Subject, facts: Facts, resolved: bool) -> bool:
    """Whether the survey found nothing of the subject: no object resolved, no topology, no log of its workloads."""
    return not resolved and not facts.topologies and bool(_namespaces(subject)) and not any(
        subject.mentions(workload_of_pod(log.pod)) for log in facts.logs)


async def read(subject: Subject, facts: Facts, call: Call, keep: Keep, window: timedelta) -> None:
    """List the pods of the namespaces the incident names and read one running pod's logs per workload, the
    workloads written within `window` first, then those with pods not ready or restarting."""
    read_pods = {log.pod for log in facts.logs}
    written = {(t.namespace, t.name) for _, _, t in facts.writes_to(WORKLOAD_KINDS, within=window, deletions=False)}
    with_pods = 0
    for namespace in _namespaces(subject)[:MAX_CANDIDATES]:
        if with_pods >= MAX_NAMESPACES:
            break
        listed = await call("k8s_list", {"kind": "Pod", "namespace": namespace}, f"survey-namespace-pods-{namespace}")
        ok = listed is not None and listed.ok and isinstance(listed.data, dict)
        rows = [r for r in (listed.data.get("rows") or []) if isinstance(r, dict)] if ok else []
        with_pods += bool(rows)
        pods: dict[str, dict[str, Any]] = {}
        for row in rows:
            name = str(row.get("name") or "")
            if row.get("status") != "Running" or not name or name in read_pods:
                continue
            workload = workload_of_pod(name)
            troubled = bool(row.get("problem")) or bool(row.get("restarts"))
            if workload not in pods or (troubled and not pods[workload]["troubled"]):
                pods[workload] = {"pod": name, "troubled": troubled}
        ordered = sorted(pods.items(), key=lambda item: ((namespace, item[0]) not in written, not item[1]["troubled"]))
        for workload, chosen in ordered[:MAX_WORKLOADS]:
            keep(await call("k8s_logs", {"name": chosen["pod"], "namespace": namespace, "tail": 300},
                            f"survey-namespace-logs-{workload}"), facts)


def _error_count(log: LogEvidence) -> int:
    return sum(int(e.get("count") or 1) for e in [log.top or {}, *log.more] if e)


def _first_error(log: LogEvidence) -> Any:
    return parse_time((log.top or {}).get("first_seen"))


def _own_write(facts: Facts, namespace: str, workload: str, window: timedelta,
               first_error: Any) -> tuple[dict[str, Any], Ref] | None:
    """The newest write to the workload itself within `window` before the incident, made before its first error."""
    best: tuple[dict[str, Any], Ref] | None = None
    for change, _, target in facts.writes_to(WORKLOAD_KINDS, within=window, deletions=False):
        at = parse_time(change.get("at"))
        if target.namespace != namespace or target.name != workload or at is None:
            continue
        if first_error is not None and at > first_error:
            continue
        if best is None or at > (parse_time(best[0].get("at")) or at):
            best = (change, target)
    return best


def suspect(subject: Subject, facts: Facts, window: timedelta) -> Suspect | None:
    """The failing workload of a namespace the incident names, preferring one a write preceded; None when the
    incident names no namespace whose pods' logs were read, or none of them fails at error level."""
    namespaces = set(_namespaces(subject))
    if not namespaces:
        return None
    failing: dict[tuple[str, str], LogEvidence] = {}
    for log in facts.logs:
        top = log.top or {}
        if log.namespace not in namespaces or top.get("severity") not in ("error", "fatal"):
            continue
        key = (log.namespace, workload_of_pod(log.pod))
        if key not in failing or _error_count(log) > _error_count(failing[key]):
            failing[key] = log
    ranked: list[tuple[tuple[int, int], Suspect]] = []
    for (namespace, workload), log in failing.items():
        write = _own_write(facts, namespace, workload, window, _first_error(log))
        minutes = 0
        if write is not None:
            at = parse_time(write[0].get("at"))
            minutes = int((facts.at - at).total_seconds() // 60) if at else 0
        ranked.append(((1 if write else 0, _error_count(log)),
                       Suspect(workload, namespace, log, write[0] if write else None,
                               write[1] if write else None, minutes)))
    if not ranked:
        return None
    ranked.sort(key=lambda pair: pair[0], reverse=True)
    return ranked[0][1]
