"""A rollout strategy written so that a rollout may take every pod down at once.

A Deployment's RollingUpdate keeps at least `replicas - maxUnavailable` pods available and may add
`maxSurge` new ones first (Kubernetes rounds maxUnavailable's percentage down and maxSurge's up). With
maxSurge 0 and maxUnavailable 100% (or a number >= replicas) nothing is kept: the controller scales the
old ReplicaSet to zero before any new pod is ready, and whatever serves the workload (a Service, an
ingress) has no ready endpoint until the new pods pass readiness. A DaemonSet's maxUnavailable does the
same across its nodes. The timeline's managedFields write (`spec.strategy.rollingUpdate.maxUnavailable
written by helm (now '100%')`) shows the value; the subject's topology gives the replica count.

The milder shape of the same class: no surge and a maxUnavailable that takes half the pods or more (maxSurge 0,
maxUnavailable 50%) keeps some pods serving, but during the rollout they carry twice their share and throttle or
queue, so the callers time out or get 5xx until the new pods are ready. That write is named only when the same
workload rolled out after it and shortly before the alert (the rollout is when capacity was halved), the
Deployment as read gives its replicas and strategy (the timeline may list the fields without their values), and
the workload need not be the subject: the caller that pages is often another team's service. Not named: a surge
that brings new pods up first, a maxUnavailable that keeps more than half, a rollout long over by the alert.
"""

from __future__ import annotations

import math
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, parse_time, written_by
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import workload_of_pod

WINDOW = timedelta(hours=2)
"""How long before the incident the strategy was written: the next rollout after it is the outage."""
MAX_READS = 3
ROLLING = timedelta(minutes=30)
"""How long before the alert a rollout under a halving strategy may have started and still be the moment."""

_FIELD = re.compile(r"spec\.(?:strategy|updateStrategy)\.rollingUpdate\.(maxUnavailable|maxSurge) written by "
                    r"(\S+) \(now '?([^')]+)'?\)")


def allowed(value: str, replicas: int, round_up: bool) -> int:
    """A maxUnavailable (round_up False) or maxSurge (True) value as a pod count for `replicas`."""
    value = value.strip()
    if value.endswith("%"):
        share = float(value[:-1] or 0) * replicas / 100
        return math.ceil(share) if round_up else math.floor(share)
    return int(value) if value.isdigit() else 0


@dataclass
class Budget:
    """A strategy write that lets a rollout leave no pod available."""

    target: Ref
    change: dict[str, Any]
    max_unavailable: str
    max_surge: str
    replicas: int | None
    manager: str
    minutes_before: int
    halved: bool = False
    """Some pods stay (half or fewer of them): the rollout cut capacity instead of taking the workload down."""


def _replicas(facts: Facts, target: Ref) -> int | None:
    """The workload's pods as the subject's topology lists them (None when the topology is not the workload's)."""
    for data, _ in facts.topologies:
        pods = [p for p in data.get("pods") or [] if isinstance(p, dict) and workload_of_pod(str(p.get("name"))) ==
                target.name]
        if pods:
            return len(pods)
    return None


def _subjects(facts: Facts) -> list[Ref]:
    out = []
    for data, _ in facts.topologies[:1]:
        for r in [data.get("subject"), *(data.get("workloads") or [])]:
            ref = Ref.of(r)
            if ref is not None:
                out.append(ref)
    return out


def _as_read(facts: Facts, target: Ref) -> tuple[dict[str, str], int | None]:
    """The workload's rolling-update values and replica count from the object the survey read ({} and None when
    it was not read)."""
    obj = facts.object_named(target.kind, target.namespace, target.name) or {}
    spec = obj.get("spec") or {}
    rolling = (spec.get("strategy") or spec.get("updateStrategy") or {}).get("rollingUpdate") or {}
    values = {k: str(rolling[k]) for k in ("maxUnavailable", "maxSurge") if rolling.get(k) is not None}
    replicas = spec.get("replicas")
    return values, replicas if isinstance(replicas, int) and not isinstance(replicas, bool) else None


def _rolled_soon(facts: Facts, target: Ref, written: Any) -> bool:
    """Whether the workload rolled out at or after the strategy write and within ROLLING before the alert."""
    for change in facts.change_list():
        at, rolled = parse_time(change.get("at")), Ref.of(change.get("object"))
        if change.get("type") == "rollout" and at is not None and rolled is not None and target.same_object(rolled) \
                and written <= at and timedelta(0) <= facts.at - at <= ROLLING:
            return True
    return False


def _candidates(facts: Facts) -> list[tuple[Ref, Any]]:
    """Deployments whose maxUnavailable was written within WINDOW and that rolled out under it soon before the
    alert: the only ones whose object is worth reading."""
    out: list[tuple[Ref, Any]] = []
    for change in facts.change_list():
        target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if target is None or at is None or target.kind != "Deployment" or not facts.at - WINDOW <= at <= facts.at:
            continue
        if any(".rollingUpdate.maxUnavailable" in str(d) for d in change.get("diff") or []) \
                and _rolled_soon(facts, target, at) and not any(t.same_object(target) for t, _ in out):
            out.append((target, at))
    return out


async def read(facts: Facts, call: Callable[..., Awaitable[Any]]) -> None:
    """Reading only: each candidate Deployment as it is now (its replicas, its strategy's values), into
    facts.objects unless the survey read it already."""
    for target, _ in _candidates(facts)[:MAX_READS]:
        if facts.object_named(target.kind, target.namespace, target.name) is None:
            got = await get_yaml(call, target.kind, target.name, target.namespace, "survey-rollout-budget")
            if got is not None:
                facts.objects.append(got)


def budgets(facts: Facts) -> list[Budget]:
    """Strategy writes, within WINDOW, after which no pod need stay available (to the subject's workloads), or
    after which a rollout that came soon before the alert kept half the pods or fewer and surged none."""
    subjects = _subjects(facts)
    out: list[Budget] = []
    for change in facts.change_list():
        target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if target is None or at is None or not (facts.at - WINDOW <= at <= facts.at):
            continue
        if target.kind not in ("Deployment", "DaemonSet") or any(b.target.same_object(target) for b in out):
            continue
        diff = [str(d) for d in change.get("diff") or []]
        values = {m.group(1): (m.group(2), m.group(3)) for d in diff if (m := _FIELD.search(d))}
        subject = any(target.same_object(s) for s in subjects)
        if subject and "maxUnavailable" in values:
            manager, unavailable = values["maxUnavailable"]
            surge = values.get("maxSurge", ("", ""))[1]
            replicas = _replicas(facts, target)
            whole = unavailable.endswith("%") and allowed(unavailable, 100, False) >= 100
            surged = bool(surge and target.kind == "Deployment" and replicas and allowed(surge, replicas, True) > 0)
            if (whole or (replicas is not None and replicas - allowed(unavailable, replicas, False) <= 0)) \
                    and not surged:  # surge pods come up first: the new ones may be ready before the old go
                out.append(Budget(target, change, unavailable, surge, replicas, manager,
                                  int((facts.at - at).total_seconds() // 60)))
                continue
        halved = _halved(facts, target, change, diff, values, at)
        if halved is not None:
            out.append(halved)
    return out


def _halved(facts: Facts, target: Ref, change: dict[str, Any], diff: list[str],
            values: dict[str, tuple[str, str]], at: Any) -> Budget | None:
    """The milder shape: no surge, half the pods or more let go, and a rollout under it soon before the alert."""
    if target.kind != "Deployment" or not any(".rollingUpdate.maxUnavailable" in d for d in diff):
        return None
    read, replicas = _as_read(facts, target)
    unavailable = values.get("maxUnavailable", ("", read.get("maxUnavailable", "")))[1]
    surge = values.get("maxSurge", ("", read.get("maxSurge", "")))[1]
    if not unavailable or not surge or replicas is None or replicas < 2:
        return None  # the default surge (25%) brings pods up first; an unknown count proves nothing
    kept = replicas - allowed(unavailable, replicas, False)
    if allowed(surge, replicas, True) > 0 or not 0 < kept * 2 <= replicas or not _rolled_soon(facts, target, at):
        return None
    manager = values.get("maxUnavailable", (written_by(change) or "its writer", ""))[0]
    return Budget(target, change, unavailable, surge, replicas, manager, int((facts.at - at).total_seconds() // 60),
                  halved=True)


def finding(b: Budget, check: str) -> dict[str, Any]:
    """The suspect's finding: the values written, by whom and when, and what they let a rollout do."""
    if b.halved:
        return _halved_finding(b, check)
    pods = f"all {b.replicas} pods" if b.replicas else "every pod"
    surge = f"maxSurge '{b.max_surge}', " if b.max_surge else ""
    message = (f"{b.target}'s rollout strategy was written by {b.manager} {b.minutes_before} min before the alert "
               f"({surge}maxUnavailable '{b.max_unavailable}'): Kubernetes then keeps no pod available during a "
               f"rollout, so it takes {pods} down before any new one is ready and the Service has no ready "
               "endpoint until the new pods pass readiness. Set maxUnavailable to 0 (or 25%) with maxSurge of at "
               "least 1")
    return {"check": check, "severity": "critical",
            "object": {"kind": b.target.kind, "namespace": b.target.namespace, "name": b.target.name},
            "reason": "RolloutLeavesNoPodAvailable", "message": message,
            "evidence": [str(d) for d in (b.change.get("diff") or [])[:2]],
            "details": {"change_at": b.change.get("at"), "max_unavailable": b.max_unavailable,
                        "max_surge": b.max_surge, "replicas": b.replicas}}


def _halved_finding(b: Budget, check: str) -> dict[str, Any]:
    replicas = b.replicas or 0
    down = allowed(b.max_unavailable, replicas, False)
    message = (f"{b.target}'s rolling update strategy was written by {b.manager} {b.minutes_before} min before the "
               f"alert (maxSurge '{b.max_surge}', maxUnavailable '{b.max_unavailable}') and it rolled out under it "
               f"just before: with no surge the rollout takes {down} of {replicas} pods down at once before any new "
               f"one is ready, so the {replicas - down} left carry the whole load (CPU throttling, queueing) and "
               "its callers time out or get errors until the new pods are ready. Set maxSurge to at least 1 (or "
               "25%) and maxUnavailable to 0 or 25%")
    return {"check": check, "severity": "critical",
            "object": {"kind": b.target.kind, "namespace": b.target.namespace, "name": b.target.name},
            "reason": "RolloutHalvesCapacity", "message": message,
            "evidence": [str(d) for d in (b.change.get("diff") or [])[:2]],
            "details": {"change_at": b.change.get("at"), "max_unavailable": b.max_unavailable,
                        "max_surge": b.max_surge, "replicas": b.replicas}}
