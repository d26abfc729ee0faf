"""Whether the incident points at a workload: the gate a class passes before it reads a rolled-out workload's logs.

A bundle's change timeline holds every rollout of the window, and most of them are healthy: a release of a
service nobody paged about. A class that asks "did this rollout break its own pods" (its pods now refuse calls to
`::1`, its framework fell back to the CPU) reads a log per rollout, and reading the log of a workload the incident
does not touch is a call made for nothing, one more evidence id in the report, and a chance to name the wrong
object. So such a class reads only a workload that shows a symptom in what the survey already holds:

- the incident names it (the subject's name, its pod's workload) or, when the incident names no namespace (a
  page in words: "product pages render without prices"), one of its words is a part of the workload's name
  (`price` -> price-api), as agent.triage.actor_chain.on_path reads a victim;
- it is in the subject's topology (the subject itself, what it calls, what serves it);
- the scan found it failing: a finding above `info` on the workload or on one of its pods (not ready,
  restarting, crash-looping, unavailable).

Pure over the subject and the facts; nothing is read here.
"""

from __future__ import annotations

import json
import re

from agent.triage.facts import Facts, Ref
from agent.triage.subject import Subject, workload_of_pod

MIN_PART = 3
"""The shortest word of the incident that may name a workload by a part of its name (`api` yes, `db` no)."""


def named(subject: Subject, workload: Ref) -> bool:
    """The incident names the workload: one of its names (or a pod's workload), or, when it names no namespace,
    a word that is a part of the workload's name."""
    if subject.mentions(workload.name):
        return True
    parts = workload.name.lower().split("-")
    return not subject.namespace and any(len(n) >= MIN_PART and n in parts for n in subject.names)


def in_topology(facts: Facts, workload: Ref) -> bool:
    """The workload's name stands, whole, in a topology the survey read (the subject's, or an evicted pod's
    owner's)."""
    pattern = re.compile(rf"(?<![\w-]){re.escape(workload.name)}(?![\w-])")
    return any(pattern.search(json.dumps(data, default=str)) for data, _ in facts.topologies)


def failing(facts: Facts, workload: Ref) -> bool:
    """A scan finding above `info` on the workload, or on a pod of it (by the pod's name shape)."""
    for finding in facts.findings():
        if finding.get("severity") == "info":
            continue
        refs = [r for r in (Ref.of(finding.get("object")), Ref.of(finding.get("owner"))) if r is not None]
        if not any(r.namespace == workload.namespace for r in refs):
            continue
        names = [r.name for r in refs if r.kind != "Pod"]
        pods = [r.name for r in refs if r.kind == "Pod"] + [str(p) for p in finding.get("pods") or []]
        if workload.name in names or any(workload_of_pod(p) == workload.name for p in pods):
            return True
    return False


def symptomatic(subject: Subject, facts: Facts, workload: Ref) -> bool:
    """Whether the incident points at the workload (see the module's docstring): the gate before reading it."""
    return named(subject, workload) or in_topology(facts, workload) or failing(facts, workload)


__all__ = ["failing", "in_topology", "named", "symptomatic"]
