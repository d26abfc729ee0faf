"""A VerticalPodAutoscaler whose updater evicts a workload too small to lose a pod.

The VPA updater applies a new recommendation by evicting the pod (updateMode `Auto`, the default when
`updatePolicy` is absent, and `Recreate`); `Initial` and `Off` never evict. It leaves workloads with fewer live
replicas than `updatePolicy.minReplicas` alone (the updater's `--min-replicas`, default 2), so a VPA written with
`minReplicas: 1` on a single-replica workload makes it evict that only pod each time the recommendation drifts
out of range: every eviction is an outage for that Service and drops every long-lived connection (websockets,
gRPC streams, consumer sessions). The updater records each eviction twice: an `EvictedByVPA` event on the pod
("Pod was evicted by VPA Updater to apply resource recommendation.") and an `EvictedPod` event on the VPA
("VPA Updater evicted Pod x to apply resource recommendation.").

The VPA is blamed when it evicts (its mode), its evictions are seen after it was written (the change timeline,
else its creationTimestamp, within two days) and none in the hours before, and its target had one replica (or
fewer than two with no PodDisruptionBudget able to hold an eviction). Twins: a VPA in `Initial`/`Off` mode, one
on a three-replica workload, one whose evictions began long before it was last written.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject, workload_of_pod

Call = Callable[..., Awaitable[Any]]

CHECK = "vpa.evicts_single_replica"
WEIGHT = 0.92
"""The VPA that evicts the only pod explains the outages; the workload's restarts and its callers follow."""
LEAD = timedelta(hours=48)
"""How long before the incident the VPA's write may be."""
QUIET = timedelta(hours=6)
"""A VPA already evicting this long before its write was not set off by it."""
VPA_CRD = "verticalpodautoscalers.autoscaling.k8s.io"
"""The CRD that serves VerticalPodAutoscaler (the VPA is an add-on: most clusters do not have it)."""
MAX_VPAS = 6
EVICTING_MODES = ("Auto", "Recreate", "InPlaceOrRecreate")
_POD_EVENT = "EvictedByVPA"
_VPA_EVENT = "EvictedPod"
_EVICTED_NAME = re.compile(r"evicted Pod (?P<pod>[a-z0-9][a-z0-9.-]*)", re.I)


@dataclass
class VpaEvictions:
    """A VPA, its target, the evictions its updater made and why they hurt."""

    vpa: Ref
    target: Ref
    mode: str
    min_replicas: int | None
    replicas: int
    written: datetime
    by: str
    times: list[datetime]
    evidence: list[str] = field(default_factory=list)


def mode(vpa: dict[str, Any]) -> str:
    """The VPA's update mode (`Auto` when unset, as the API defaults it)."""
    return str(((vpa.get("spec") or {}).get("updatePolicy") or {}).get("updateMode") or "Auto")


def target_of(vpa: dict[str, Any]) -> Ref | None:
    ref = (vpa.get("spec") or {}).get("targetRef") or {}
    meta = vpa.get("metadata") or {}
    if not ref.get("name"):
        return None
    return Ref(str(ref.get("kind") or "Deployment"), str(meta.get("namespace") or ""), str(ref["name"]))


def eviction_times(rows: list[dict[str, Any]], vpa: Ref, target: Ref) -> list[datetime]:
    """When the updater evicted the target's pods: EvictedByVPA on its pods, EvictedPod on the VPA (one per pod)."""
    seen: dict[tuple[str, datetime], datetime] = {}  # (pod, minute): a StatefulSet's pod keeps its name
    for r in rows:
        reason, kind, name = str(r.get("reason") or ""), str(r.get("kind") or ""), str(r.get("name") or "")
        at = parse_time(r.get("first_seen")) or parse_time(r.get("last_seen"))
        if at is None or str(r.get("namespace") or target.namespace) != target.namespace:
            continue
        if reason == _POD_EVENT and kind in ("Pod", "") and workload_of_pod(name) == target.name:
            seen.setdefault((name, at.replace(second=0, microsecond=0)), at)
        elif reason == _VPA_EVENT and kind == "VerticalPodAutoscaler" and name == vpa.name:
            m = _EVICTED_NAME.search(str(r.get("message") or ""))
            seen.setdefault((m.group("pod") if m else name, at.replace(second=0, microsecond=0)), at)
    return sorted(seen.values())


def judge(vpa_obj: dict[str, Any], target_obj: dict[str, Any] | None, rows: list[dict[str, Any]],
          written: datetime, by: str, now: datetime, protected: bool) -> VpaEvictions | None:
    """The finding's facts when the VPA evicts, was written before its evictions began, and its target is too
    small to lose a pod."""
    meta = vpa_obj.get("metadata") or {}
    vpa = Ref("VerticalPodAutoscaler", str(meta.get("namespace") or ""), str(meta.get("name") or ""))
    target = target_of(vpa_obj)
    how = mode(vpa_obj)
    if target is None or how not in EVICTING_MODES or not now - LEAD <= written <= now:
        return None
    times = eviction_times(rows, vpa, target)
    if any(written - QUIET <= t < written for t in times):
        return None  # it was evicting before this write
    after = [t for t in times if written <= t <= now + timedelta(minutes=30)]
    if not after:
        return None
    spec = (target_obj or {}).get("spec") or {}
    raw_replicas = spec.get("replicas")
    replicas = int(raw_replicas) if isinstance(raw_replicas, int | str) else 1
    if replicas > 1 and (replicas > 2 or protected):
        return None
    raw = ((vpa_obj.get("spec") or {}).get("updatePolicy") or {}).get("minReplicas")
    return VpaEvictions(vpa, Ref(target.kind, target.namespace, target.name), how,
                        int(raw) if raw is not None else None, replicas, written, by, after)


def finding(v: VpaEvictions) -> dict[str, Any]:
    """The VPA's finding: its mode and minReplicas, the target's replicas, the evictions and their rhythm."""
    gaps = [(b - a).total_seconds() / 60 for a, b in zip(v.times, v.times[1:], strict=False)]
    rhythm = f", every ~{round(sum(gaps) / len(gaps))} min" if gaps else ""
    size = "a single replica" if v.replicas <= 1 else f"{v.replicas} replicas and no PodDisruptionBudget"
    floor = f"minReplicas {v.min_replicas}" if v.min_replicas is not None else "the updater's minReplicas"
    written = f"written {v.written.strftime('%Y-%m-%d %H:%M')}{' by ' + v.by if v.by else ''}"
    message = (f"{v.vpa} ({written}) runs the VPA updater in {v.mode} mode with {floor} on {v.target}, {size}: "
               f"the updater evicts its only pod to apply each new recommendation (EvictedByVPA {len(v.times)} times "
               f"since {v.times[0].strftime('%H:%M')}{rhythm}), and every eviction is an outage that drops all its "
               "connections. Set updateMode Initial or Off, or run 2+ replicas with a PodDisruptionBudget")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": v.vpa.kind, "namespace": v.vpa.namespace, "name": v.vpa.name},
            "reason": "EvictsSingleReplica", "message": message,
            "evidence": [f"{len(v.times)} EvictedByVPA evictions of {v.target.name}", f"updateMode {v.mode}"],
            "details": {"target": str(v.target), "mode": v.mode, "min_replicas": v.min_replicas,
                        "replicas": v.replicas, "evictions": [t.isoformat() for t in v.times[-6:]]},
            "explains": [str(v.target)]}


def _written(facts: Facts, vpa: Ref, obj: dict[str, Any]) -> tuple[datetime | None, str]:
    """When the VPA was last written and by whom: the change timeline's newest write, else its creation."""
    for change in sorted(facts.change_list(), key=lambda c: str(c.get("at") or ""), reverse=True):
        ref = Ref.of(change.get("object"))
        if ref is not None and ref.same_object(vpa):
            summary = str(change.get("summary") or "")
            by = m.group(1) if (m := re.search(r"(?:updated|created|applied) by ([\w.:-]+)", summary)) else ""
            return parse_time(change.get("at")), by
    return parse_time((obj.get("metadata") or {}).get("creationTimestamp")), ""


async def _rows(call: Call, kind: str, ns: str, step: str, key: str) -> tuple[list[dict[str, Any]], str]:
    got = await call("k8s_events" if kind == "Event" else "k8s_list",
                     {"namespace": ns} if kind == "Event" else {"kind": kind, "namespace": ns}, step)
    if got is None or not got.ok or not isinstance(got.data, dict):
        return [], ""
    return [r for r in got.data.get(key) or [] if isinstance(r, dict)], str(got.evidence_id or "")


async def read(subject: Subject, facts: Facts, call: Call) -> None:
    """Reading only: the VPAs of the subject's namespace (every namespace when it names none), their targets, the
    namespace's events and PodDisruptionBudgets; keep the findings in `facts.reads["vpa_evictions"]`."""
    listed = await call("k8s_list", {"kind": "customresourcedefinitions"}, "survey-vpa-crds")  # one read, shared
    crds = (listed.data.get("rows") or []) if listed is not None and listed.ok and isinstance(listed.data, dict) else []
    if not any(isinstance(r, dict) and str(r.get("name") or "") == VPA_CRD for r in crds):
        return  # no VPA is served: listing the kind would only leave a failed call in the report
    vpas, listed_id = await _rows(call, "VerticalPodAutoscaler", subject.namespace, "survey-vpa-list", "rows")
    found: list[VpaEvictions] = []
    events: dict[str, tuple[list[dict[str, Any]], str]] = {}
    for row in vpas[:MAX_VPAS]:
        ns, name = str(row.get("namespace") or subject.namespace), str(row.get("name") or "")
        got = await get_yaml(call, "VerticalPodAutoscaler", name, ns, f"survey-vpa-{name}")
        if got is None or mode(got[0]) not in EVICTING_MODES or (target := target_of(got[0])) is None:
            continue
        if ns not in events:
            events[ns] = await _rows(call, "Event", ns, f"survey-vpa-events-{ns}", "events")
        rows, events_id = events[ns]
        if not rows:
            continue
        target_obj = await get_yaml(call, target.kind, target.name, ns, f"survey-vpa-target-{target.name}")
        pdbs, _ = await _rows(call, "PodDisruptionBudget", ns, f"survey-vpa-pdbs-{ns}", "rows")
        written, by = _written(facts, Ref("VerticalPodAutoscaler", ns, name), got[0])
        if written is None:
            continue
        v = judge(got[0], target_obj[0] if target_obj else None, rows, written, by, facts.at, bool(pdbs))
        if v is not None:
            v.evidence = [e for e in (listed_id, got[1], events_id, target_obj[1] if target_obj else "") if e]
            found.append(v)
    facts.reads["vpa_evictions"] = found


def found(facts: Facts) -> list[VpaEvictions]:
    """The findings the survey read (pure over the facts, for the ranking)."""
    got = facts.reads.get("vpa_evictions")
    return [v for v in got if isinstance(v, VpaEvictions)] if isinstance(got, list) else []
