"""An autoscaler whose recently written target can never be reached: the HPA sits at minReplicas while its pods
saturate.

A HorizontalPodAutoscaler wants `ceil(currentReplicas * current / target)` replicas. A target is only useful
when the pods reach it before they run out of what they have: a Pods or External metric's `averageValue`
(requests per second per pod, queue items per pod) set above what one pod can serve, or a CPU
`averageUtilization` above what the container's CPU limit lets it use (a limit of 1 core on a 500m request caps
utilization at 200%), is never reached. The pods then saturate at their CPU limit while the metric stays below
target, the HPA computes fewer replicas than `minReplicas` (its `ScalingLimited` condition says
`TooFewReplicas`, "the desired replica count is less than the minimum replica count") and holds the minimum
through the peak; latency climbs and nothing errors. Typical after a switch from CPU to a custom metric whose
per-pod target was copied from a bigger pod size, or a load test on other hardware.

So: an HPA the survey read whose metrics were written (timeline or managedFields, by anyone but the HPA
controller) within `LEAD`, that stands at its `minReplicas` with every metric below target, and whose scale
target's pods are busy (`BUSY` of their CPU limit) and, at their CPU per unit of metric now, would need more
than the limit to reach the target (cAdvisor's `container_cpu_usage_seconds_total` against the workload's
`resources.limits.cpu`). The finding says what the target means: a pod saturates before the metric gets there,
so the HPA never scales out. An HPA above its minimum (it scales), pods whose CPU at the target still fits the
limit (the target is merely high), idle pods, no CPU limit to measure against, or a target of long standing,
are not named. `read` fetches the workload and its CPU; `found` is pure.

The same holds for an HPA something else generates: KEDA's `keda-hpa-<name>` carries each ScaledObject trigger's
threshold as an External metric (`s0-rabbitmq-orders` averageValue = the trigger's `value`); the ScaledObject that
owns it is then named, its write (the timeline's, else the operator's write of the HPA's metrics) dated. An HPA
whose metric cannot be read at all (metrics-server or a custom/external metrics APIService unavailable:
`ScalingActive False FailedGetResourceMetric`/`FailedGetExternalMetric`) has no current value and is not this class.
"""

from __future__ import annotations

import math
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage import hpa_limited
from agent.triage.facts import Facts, Ref, minutes_text, parse_time, written_by
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject, workload_of_pod

CHECK = "autoscaler.target_unreachable"
WEIGHT = 0.93
"""Level with an HPA clamped by its own written limit (hpa_limited): the HPA's own status and its pods' CPU show
the written target holds the replicas at the minimum while the pods saturate."""
READS = "hpa_unreachable"
LEAD = timedelta(days=2)
"""How long before the incident the metrics' write still counts as recent."""
BUSY = 0.6
"""Pods must use at least this share of their CPU limit: a target projected out of reach from idle pods is a
guess, not a finding."""
MAX_READS = 3
Call = Callable[..., Awaitable[Any]]


@dataclass
class Unreachable:
    """An HPA at minReplicas under a recently written target while its pods saturate their CPU limit."""

    hpa: Ref
    target: Ref
    metric: str
    """The metric and target in the spec's words (`Pods metric http_requests_per_second averageValue 900`)."""
    current: float
    goal: float
    replicas: int
    min_replicas: int
    cpu_share: float
    """The pods' median CPU use as a share of their limit."""
    need: float
    """The cores a pod would use at the target, at its CPU per unit of metric now."""
    limit: str
    limit_cores: float
    written_by: str
    written_at: datetime
    minutes_before: int
    said: str = ""
    evidence: list[str] = field(default_factory=list)
    owner: Ref | None = None
    """The object that writes the HPA (a KEDA ScaledObject): its trigger holds the target, so it is named."""


def _number(value: Any) -> float | None:
    """A Kubernetes quantity as a float (`500m` -> 0.5, `2` -> 2.0, `1k` -> 1000); None when it is none."""
    text = str(value if value is not None else "").strip()
    scale = {"m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9}
    try:
        return float(text[:-1]) * scale[text[-1]] if text and text[-1] in scale else float(text)
    except ValueError:
        return None


def _body(metric: dict[str, Any]) -> dict[str, Any]:
    kind = str(metric.get("type") or "")
    body = metric.get(kind[:1].lower() + kind[1:]) if kind else None
    return body if isinstance(body, dict) else {}


def _name(metric: dict[str, Any]) -> str:
    body = _body(metric)
    return str((body.get("metric") or {}).get("name") or body.get("name") or metric.get("type") or "metric")


def below_target(spec: dict[str, Any], status: dict[str, Any]) -> list[tuple[str, float, float]]:
    """(the metric in the spec's words, current, target) for each metric, when EVERY metric reads below its
    target (so none asks for more replicas); [] when one is at or above it or a metric has no current value."""
    currents = {_name(m): (_body(m).get("current") or {}) for m in status.get("currentMetrics") or []
                if isinstance(m, dict)}
    out: list[tuple[str, float, float]] = []
    for m in spec.get("metrics") or []:
        if not isinstance(m, dict):
            continue
        name, target = _name(m), (_body(m).get("target") or {})
        for field_name in ("averageUtilization", "averageValue", "value"):
            goal, now = _number(target.get(field_name)), _number((currents.get(name) or {}).get(field_name))
            if goal is not None:
                if now is None or goal <= 0 or now >= goal:
                    return []
                out.append((f"{m.get('type')} metric {name} {field_name} {target.get(field_name)}", now, goal))
                break
    return out


def _at_minimum(spec: dict[str, Any], status: dict[str, Any]) -> bool:
    low = spec.get("minReplicas", 1)
    now = status.get("currentReplicas")
    return isinstance(low, int) and isinstance(now, int) and now <= low


def _cpu_limit(workload: dict[str, Any]) -> tuple[float, str] | None:
    """(cores, as written) of the workload's CPU limit: its first container's that has one."""
    pod = ((workload.get("spec") or {}).get("template") or {}).get("spec") or {}
    for container in pod.get("containers") or []:
        written = ((container.get("resources") or {}).get("limits") or {}).get("cpu") if isinstance(
            container, dict) else None
        cores = _number(written)
        if cores:
            return cores, str(written)
    return None


def _hpas(facts: Facts) -> list[tuple[Ref, dict[str, Any], str]]:
    out: list[tuple[Ref, dict[str, Any], str]] = []
    for obj, evidence in facts.objects:
        if obj.get("kind") != "HorizontalPodAutoscaler":
            continue
        meta = obj.get("metadata") or {}
        ref = Ref("HorizontalPodAutoscaler", str(meta.get("namespace") or ""), str(meta.get("name") or ""))
        if ref.name and not any(r == ref for r, _, _ in out):
            out.append((ref, obj, evidence))
    return out


OWNERS = ("ScaledObject",)
"""Kinds that generate an HPA and own it (KEDA names it `keda-hpa-<ScaledObject>`, sets an ownerReference to the
ScaledObject and turns each trigger's threshold, `value`/`queueLength`/`lagThreshold`, into an External metric
`s<N>-<scaler>-<name>` averageValue): a target written there is written on the owner."""


def owner_of(hpa: Ref, obj: dict[str, Any]) -> Ref | None:
    """The object that generated the HPA (its controller ownerReference of an OWNERS kind), if any."""
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if isinstance(ref, dict) and ref.get("kind") in OWNERS and ref.get("name"):
            return Ref(str(ref["kind"]), hpa.namespace, str(ref["name"]))
    return None


def written(facts: Facts, hpa: Ref, obj: dict[str, Any]) -> tuple[str, datetime, str] | None:
    """(who, when, evidence) of the target's latest write within LEAD: the owner's write in the timeline (a
    ScaledObject's trigger edited), else the HPA's metrics written by anyone but the HPA controller (for an owned
    HPA that is the owner's operator, writing what the owner now says)."""
    owner = owner_of(hpa, obj)
    if owner is not None:
        best: tuple[str, datetime, str] | None = None
        for change, evidence in facts.every_change():
            ref, at = Ref.of(change.get("object")), parse_time(change.get("at"))
            if ref is not None and at is not None and ref.same_object(owner) and \
                    timedelta(0) <= facts.at - at <= LEAD and (best is None or at > best[1]):
                best = (written_by(change) or f"a write of the {owner.kind}", at, evidence)
        if best is not None:
            return best
    return hpa_limited._written(facts, hpa, obj, "metrics")


def _candidates(facts: Facts) -> list[tuple[Ref, dict[str, Any], str, Ref]]:
    """HPAs at their minimum with every metric below target and the metrics written within LEAD."""
    out = []
    for hpa, obj, evidence in _hpas(facts):
        spec, status = obj.get("spec") or {}, obj.get("status") or {}
        if not _at_minimum(spec, status) or not below_target(spec, status):
            continue
        if written(facts, hpa, obj) is None:
            continue
        ref = spec.get("scaleTargetRef") or {}
        out.append((hpa, obj, evidence, Ref(str(ref.get("kind") or "Deployment"), hpa.namespace,
                                            str(ref.get("name") or hpa.name))))
    return out


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, for each candidate HPA: its scale target (for the CPU limit) and its pods' CPU use now."""
    store: dict[str, Any] = facts.reads.setdefault(READS, {})
    stuck = [h for h, obj, _ in _hpas(facts) if _at_minimum(obj.get("spec") or {}, obj.get("status") or {})
             and below_target(obj.get("spec") or {}, obj.get("status") or {})]
    if stuck and not facts.history_reaches(LEAD):  # the metrics' write may be older than the survey's timeline
        got = await call("k8s_changes", {"at": at, "window": f"{int(LEAD.total_seconds() // 3600)}h"},
                         "survey-hpa-unreachable-history")
        if got is not None and got.ok and isinstance(got.data, dict):
            facts.history.append((got.data, got.evidence_id))
    for hpa, _, _, target in _candidates(facts)[:MAX_READS]:
        if str(hpa) in store or not re.fullmatch(r"[a-z0-9.-]+", target.name) \
                or not re.fullmatch(r"[a-z0-9-]+", target.namespace):
            continue
        entry: dict[str, Any] = {"evidence": []}
        store[str(hpa)] = entry
        got = await get_yaml(call, target.kind, target.name, target.namespace, f"survey-hpa-unreachable-{hpa.name}")
        if got is None:
            continue
        limit = _cpu_limit(got[0])
        if limit is None:
            continue
        entry["limit"], entry["limit_text"] = limit
        entry["evidence"].append(got[1])
        query = (f'sum by (pod) (rate(container_cpu_usage_seconds_total{{namespace="{target.namespace}", '
                 f'container!="", container!="POD", pod=~"{target.name.replace(".", "[.]")}-.*"}}[5m]))')
        cpu = await call("prom_query", {"query": query, "time": at}, f"survey-hpa-unreachable-cpu-{hpa.name}")
        if cpu is None or not cpu.ok or not isinstance(cpu.data, dict):
            continue
        entry["cpu"] = [float(s["value"]) for s in cpu.data.get("samples") or []
                        if isinstance(s, dict) and isinstance(s.get("value"), int | float)
                        and workload_of_pod(str((s.get("labels") or {}).get("pod") or "")) == target.name]
        entry["evidence"].append(cpu.evidence_id)


def found(facts: Facts) -> list[Unreachable]:
    """Each candidate HPA whose scale target's pods run at their CPU limit (median pod) while it holds minimum."""
    store: dict[str, Any] = facts.reads.get(READS) or {}
    out: list[Unreachable] = []
    for hpa, obj, evidence, target in _candidates(facts):
        entry = store.get(str(hpa)) or {}
        usage = sorted(entry.get("cpu") or [])
        limit = entry.get("limit")
        if not usage or not isinstance(limit, float) or limit <= 0:
            continue
        share = usage[len(usage) // 2] / limit
        spec, status = obj.get("spec") or {}, obj.get("status") or {}
        metric, now, goal = below_target(spec, status)[0]
        need = usage[len(usage) // 2] * goal / now if now > 0 else 0.0
        if share < BUSY or need <= limit:
            continue  # CPU to spare at the target: it is high, but a pod can reach it before it saturates
        write = written(facts, hpa, obj)
        if write is None:
            continue
        by, at, write_evidence = write
        cond = next((c for c in status.get("conditions") or [] if isinstance(c, dict)
                     and c.get("type") == "ScalingLimited" and c.get("status") == "True"), None)
        said = f"ScalingLimited {cond.get('reason')}: {cond.get('message')}" if cond else ""
        out.append(Unreachable(hpa, target, metric, now, goal, int(status.get("currentReplicas") or 0),
                               int(spec.get("minReplicas", 1)), share, need, str(entry.get("limit_text") or limit),
                               limit, by, at,
                               int((facts.at - at).total_seconds() // 60), said,
                               [e for e in (evidence, write_evidence, *(entry.get("evidence") or [])) if e],
                               owner_of(hpa, obj)))
    return out


def finding(u: Unreachable) -> dict[str, Any]:
    """What the written target means first (never reached before the pods saturate, so the HPA holds
    minReplicas), then the numbers and the write."""
    name = f"{u.hpa.namespace}/{u.hpa.name}"
    wants = max(1, math.ceil(u.replicas * u.current / u.goal)) if u.goal else u.replicas
    held = (f"the HPA computes {wants} replica(s), below minReplicas {u.min_replicas}, and stays at {u.replicas}"
            if wants < u.min_replicas else f"the HPA stays at minReplicas {u.min_replicas}")
    reachable = u.current * u.limit_cores / (u.need * u.current / u.goal) if u.need and u.goal else 0.0
    whose = (f"{u.owner}'s trigger target (HPA {name}'s {u.metric}" if u.owner is not None else
             f"HPA {name}'s target ({u.metric}")
    message = (f"{whose}, written by {u.written_by} {minutes_text(u.minutes_before)} before "
               f"the incident) is above what a pod can serve: {u.target}'s pods already use "
               f"{100 * u.cpu_share:.0f}% of their CPU limit ({u.limit}) at {u.current:g} per pod and would need "
               f"{u.need:.2g} cores at the target, so {held} while latency climbs: it can never scale out. Set a "
               f"target the pods reach before they saturate (below about {reachable:.0f}) or restore the previous "
               f"metric")
    named = u.owner or u.hpa
    return {"check": CHECK, "severity": "critical", "object": {"kind": named.kind, "namespace": named.namespace,
                                                               "name": named.name},
            "reason": "TargetUnreachable", "message": message, "evidence": [e for e in (u.said,) if e],
            "details": {"metric": u.metric, "current": u.current, "target": u.goal, "replicas": u.replicas,
                        "min_replicas": u.min_replicas, "cpu_share_of_limit": round(u.cpu_share, 3),
                        "written_by": u.written_by, "written_at": u.written_at.isoformat()}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the HPA, its finding, evidence ids, the workload it leaves short) for `agent.triage.behind`."""
    return [(u.owner or u.hpa, finding(u), u.evidence, [u.target]) for u in found(facts)]
