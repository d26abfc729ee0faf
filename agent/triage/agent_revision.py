"""A node agent's new revision on some nodes only: what it changed, and how its pods compare with the old ones.

A DaemonSet rolls a new template out node by node: with `updateStrategy: OnDelete` only the pods someone deletes
(or whose node is replaced) get it, and a RollingUpdate with a small `maxUnavailable` or a paused rollout leaves the
fleet split for a while. When the new template makes the agent costlier (a profiler's sampling frequency raised, a
collector's scrape interval cut, its CPU limit dropped), only the nodes already running it suffer: "everything on
node X is slow, the other nodes are fine". The comparison that shows it is the agent's own pods side by side: the
one on the named node is the newest revision (`status.updatedNumberScheduled` < `desiredNumberScheduled`, the pod
created after the rollout, its siblings older) and uses many times the CPU its siblings on the old revision use.

This module reads that comparison for a DaemonSet whose pod a node check singled out, and says what the
rollout changed in the agent's own flags (`--profiling-cpu-sampling-frequency=19` -> `997`) and limits, parsed from
the change timeline's diff lines.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage import arg_flags
from agent.triage.facts import Facts, Ref, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import workload_of_pod

Call = Callable[..., Awaitable[Any]]

ROLLOUT_LEAD = timedelta(hours=24)
"""The longest time from the agent's rollout to the incident for the rollout to be its change."""
_LIMIT_DIFF = re.compile(r"(?i)\b(?:cpu|memory)\b[^\n]{0,40}\blimit|limits?\b[^\n]{0,40}\bcpu")
"""A rollout diff line about a resource limit (`parca-agent cpu limit 200m -> none`)."""


def moved_args(line: str) -> list[str]:
    """The flags a container-args diff line changed, as `--flag old -> new` (`(unset)` for an added or removed
    flag); [] when the line is not an argument-list diff or its lists do not parse."""
    sides = arg_flags.diff_flags(line, "(set)")
    if sides is None:
        return []
    before, after = sides
    out = []
    for key in dict.fromkeys([*before, *after]):
        if before.get(key) != after.get(key):
            out.append(f"{key} {before.get(key, '(unset)')} -> {after.get(key, '(unset)')}")
    return out


def rollout_of(facts: Facts, workload: Ref) -> tuple[dict[str, Any], str] | None:
    """The workload's latest rollout in the timelines read, within ROLLOUT_LEAD before the incident."""
    best: tuple[dict[str, Any], str] | None = None
    for change, evidence in facts.every_change():
        ref, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if ref is None or at is None or change.get("type") != "rollout" or not ref.same_object(workload):
            continue
        if not facts.at - ROLLOUT_LEAD <= at <= facts.at:
            continue
        if best is None or str(change.get("at")) > str(best[0].get("at")):
            best = (change, evidence)
    return best


def what_changed(change: dict[str, Any]) -> list[str]:
    """The rollout's own settings: flags moved, limit lines; the image line only when nothing else moved."""
    diff = [str(d) for d in change.get("diff") or []]
    moved = [m for d in diff for m in moved_args(d)]
    limits = [d[:120] for d in diff if _LIMIT_DIFF.search(d) and not arg_flags.LIST_DIFF.match(d)]
    return moved + limits or [d[:140] for d in diff[:2]]


@dataclass
class Split:
    """A DaemonSet's fleet split between revisions, seen from the pod on one node."""

    daemonset: Ref
    node: str
    pod: str
    strategy: str
    updated: int | None
    desired: int | None
    pod_created: datetime | None
    older_siblings: int
    sibling_cores: list[float] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)


async def read(call: Call, daemonset: Ref, node: str, pod: str, at: str) -> dict[str, Any]:
    """Reading only: the DaemonSet, its pods' creation times, and its pods' CPU on every node."""
    out: dict[str, Any] = {"daemonset": daemonset, "node": node, "pod": pod, "evidence": []}
    got = await get_yaml(call, "DaemonSet", daemonset.name, daemonset.namespace, f"survey-agent-rev-{daemonset.name}")
    if got is not None:
        out["object"], _ = got
        out["evidence"].append(got[1])
    listed = await call("k8s_list", {"kind": "Pod", "namespace": daemonset.namespace},
                        f"survey-agent-rev-pods-{daemonset.name}")
    if listed is not None and listed.ok and isinstance(listed.data, dict):
        out["pods"] = [{"name": str(r.get("name")), "node": r.get("node"), "created": r.get("created")}
                       for r in listed.data.get("rows") or []
                       if isinstance(r, dict) and workload_of_pod(str(r.get("name"))) == daemonset.name]
    if re.fullmatch(r"[a-z0-9-]+", daemonset.namespace) and re.fullmatch(r"[a-z0-9.-]+", daemonset.name):
        cpu = await call("prom_query", {"query": f'sum by (node, pod) (rate(container_cpu_usage_seconds_total{{'
                                                 f'namespace="{daemonset.namespace}", container!="", '
                                                 f'container!="POD", pod=~"{daemonset.name}-[a-z0-9]{{5}}"}}[5m]))',
                                        "time": at}, f"survey-agent-rev-cpu-{daemonset.name}")
        if cpu is not None and cpu.ok and isinstance(cpu.data, dict):
            out["cpu"] = [(str((s.get("labels") or {}).get("pod")), float(s["value"]))
                          for s in cpu.data.get("samples") or []
                          if isinstance(s, dict) and isinstance(s.get("value"), int | float)]
            out["evidence"].append(cpu.evidence_id)
    return out


def split(entry: dict[str, Any]) -> Split | None:
    """The split the reads show: the DaemonSet's rollout not finished (fewer pods updated than desired) or the
    pod on the node newer than all its siblings; None when the fleet is on one revision as far as can be told."""
    got = entry.get("object")
    obj: dict[str, Any] = got if isinstance(got, dict) else {}
    status, spec = obj.get("status") or {}, obj.get("spec") or {}
    updated, desired = status.get("updatedNumberScheduled"), status.get("desiredNumberScheduled")
    pods = [p for p in entry.get("pods") or [] if isinstance(p, dict)]
    mine = next((p for p in pods if p.get("name") == entry.get("pod")), None)
    created = parse_time((mine or {}).get("created"))
    others = [parse_time(p.get("created")) for p in pods if p is not mine]
    older = sum(1 for t in others if t is not None and created is not None and t < created)
    partial = isinstance(updated, int) and isinstance(desired, int) and 0 < updated < desired
    if not partial and not (others and older == len(others)):
        return None
    siblings = [v for name, v in entry.get("cpu") or [] if name != entry.get("pod")]
    strategy = str((spec.get("updateStrategy") or {}).get("type") or "RollingUpdate")
    return Split(entry["daemonset"], str(entry.get("node")), str(entry.get("pod")), strategy,
                 updated if isinstance(updated, int) else None, desired if isinstance(desired, int) else None,
                 created, older, sorted(siblings), [e for e in entry.get("evidence") or [] if e])


def split_text(s: Split, cores_used: float) -> str:
    """`only 1 of 4 agent pods run it (updateStrategy OnDelete), ...; its pods on the old revision use 0.03 cores`."""
    parts = []
    newest = s.older_siblings > 0
    if s.updated is not None and s.desired is not None:
        parts.append(f"only {s.updated} of its {s.desired} pods run the new revision (updateStrategy {s.strategy})"
                     + (f", the one on {s.node} among them (created after its siblings)" if newest else ""))
    elif newest:
        parts.append(f"its pod on {s.node} is newer than its {s.older_siblings} siblings (updateStrategy {s.strategy})")
    if s.sibling_cores:
        top = max(s.sibling_cores)
        parts.append(f"{s.pod} uses {cores_used:.1f} cores while the agent's pods on the other nodes use at most "
                     f"{top:.2f}")
    return "; ".join(parts)
