"""A rollout strategy written so that a rollout may take every pod down at once.

A Deployment's RollingUpdate keeps at least `replicas - maxUnavailable` pods available and may add
`maxSurge` new ones first (Kubernetes rounds maxUnavailable's percentage down and maxSurge's up). With
maxSurge 0 and maxUnavailable 100% (or a number >= replicas) nothing is kept: the controller scales the
old ReplicaSet to zero before any new pod is ready, and whatever serves the workload (a Service, an
ingress) has no ready endpoint until the new pods pass readiness. A DaemonSet's maxUnavailable does the
same across its nodes. The timeline's managedFields write (`spec.strategy.rollingUpdate.maxUnavailable
written by helm (now '100%')`) shows the value; the subject's topology gives the replica count.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, parse_time
from agent.triage.subject import workload_of_pod

WINDOW = timedelta(hours=2)
"""How long before the incident the strategy was written: the next rollout after it is the outage."""

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


def budgets(facts: Facts) -> list[Budget]:
    """Strategy writes to the subject's workloads, within WINDOW, after which no pod need stay available."""
    subjects = _subjects(facts)
    out: list[Budget] = []
    for change in facts.change_list():
        target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if target is None or at is None or not (facts.at - WINDOW <= at <= facts.at):
            continue
        if target.kind not in ("Deployment", "DaemonSet") or not any(target.same_object(s) for s in subjects):
            continue
        values = {m.group(1): (m.group(2), m.group(3)) for d in change.get("diff") or []
                  if (m := _FIELD.search(str(d)))}
        if "maxUnavailable" not in values or any(b.target.same_object(target) for b in out):
            continue
        manager, unavailable = values["maxUnavailable"]
        surge = values.get("maxSurge", ("", ""))[1]
        replicas = _replicas(facts, target)
        whole = unavailable.endswith("%") and allowed(unavailable, 100, False) >= 100
        if not whole and (replicas is None or replicas - allowed(unavailable, replicas, False) > 0):
            continue
        if surge and target.kind == "Deployment" and replicas and allowed(surge, replicas, True) > 0:
            continue  # surge pods come up first: the new ones may be ready before the old go
        out.append(Budget(target, change, unavailable, surge, replicas, manager,
                          int((facts.at - at).total_seconds() // 60)))
    return out


def finding(b: Budget, check: str) -> dict[str, Any]:
    """The suspect's finding: the values written, by whom and when, and what they let a rollout do."""
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
