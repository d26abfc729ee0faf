"""An HPA scaling on memory for a runtime whose heap is fixed: the metric cannot fall, so it sits at maxReplicas.

A JVM started with `-Xms` equal to `-Xmx` (or with `-XX:+AlwaysPreTouch`, or `InitialRAMPercentage` equal to
`MaxRAMPercentage`) commits its whole heap at start and never gives it back: its container's memory stays near
the heap size whatever the load. An HPA on that container's memory (`Resource` memory, `Utilization` of the request
or an `AverageValue`) whose target lies at or below what the heap alone holds sees every replica "above target"
forever: it climbs to `maxReplicas` and stays there, and the replicas it holds take schedulable memory from every
other workload of the node group (their new pods wait on `Insufficient memory`). The same happens to any image that
passes the flags through its own variable (JAVA_TOOL_OPTIONS, JAVA_OPTS, JDK_JAVA_OPTIONS, ES_JAVA_OPTS,
KAFKA_HEAP_OPTS, CATALINA_OPTS) or its args.

So: an HPA read (the survey's, or one the timeline shows rescaling) whose metrics were written within `LEAD`, with a
memory metric, at its maxReplicas, whose target's container holds a fixed heap of at least `NEAR` of the metric's
target; only when the incident is about that workload or about pods waiting on memory. Twins: the same HPA on CPU,
a heap that grows from a small -Xms, a heap well under the target, an HPA below its maximum, metrics written weeks ago.
`read` reads the HPAs and their targets; `found` is pure.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage import manager_words
from agent.triage.facts import Facts, Ref, minutes_text, parse_time, written_by
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject
from agent.triage.vpa_limits import quantity

Call = Callable[..., Awaitable[Any]]

CHECK = "autoscaler.fixed_heap_metric"
WEIGHT = 0.93
"""Above the capacity its replicas hold (node_shared 0.89) and a bare write to the HPA (related_changes 0.9)."""
LEAD = timedelta(hours=48)
NEAR = 0.9
"""The heap alone is at least this share of the memory target: utilization cannot fall below it."""
CONTROLLER = "kube-controller-manager"
MAX_READS = 3
READS = "heap_metric"
_RESCALED = re.compile(r"rescaled by HPA ([a-z0-9][a-z0-9.-]*)")
_XMS = re.compile(r"-Xms(\d+[kKmMgG]?)\b")
_XMX = re.compile(r"-Xmx(\d+[kKmMgG]?)\b")
_INITIAL = re.compile(r"-XX:InitialRAMPercentage=([\d.]+)")
_MAX_PCT = re.compile(r"-XX:MaxRAMPercentage=([\d.]+)")


@dataclass
class FixedHeapMetric:
    """An HPA on memory whose target's fixed heap keeps it above target, pinned at its maximum."""

    hpa: Ref
    target: Ref
    container: str
    flags: str
    heap_bytes: float
    request: str
    metric_target: str
    floor: str
    """What the heap alone makes of the metric (`75% of the request`)."""
    current: int
    maximum: int
    current_metric: str
    written_by: str
    written_at: datetime
    evidence: list[str] = field(default_factory=list)


def _bytes(java: str) -> float | None:
    """A JVM size (`3g`, `512m`, `1048576`) in bytes."""
    unit = {"k": 2.0 ** 10, "m": 2.0 ** 20, "g": 2.0 ** 30}.get(java[-1:].lower(), 1.0)
    digits = java[:-1] if java[-1:].isalpha() else java
    return float(digits) * unit if digits.isdigit() else None


def fixed_heap(container: dict[str, Any]) -> tuple[float, str] | None:
    """(heap bytes, the flags in their own words) when the container's JVM holds a fixed heap from the start."""
    texts = [str(e.get("value") or "") for e in container.get("env") or [] if isinstance(e, dict)]
    texts += [str(a) for a in [*(container.get("command") or []), *(container.get("args") or [])]]
    limit = quantity(((container.get("resources") or {}).get("limits") or {}).get("memory"))
    for text in texts:
        xms, xmx = _XMS.search(text), _XMX.search(text)
        size = _bytes(xms.group(1)) if xms else None
        if size and (("-XX:+AlwaysPreTouch" in text) or (xmx and _bytes(xmx.group(1)) == size)):
            return size, " ".join(w for w in text.split() if w.startswith(("-Xms", "-Xmx", "-XX:+AlwaysPreTouch")))
        initial, most = _INITIAL.search(text), _MAX_PCT.search(text)
        if initial and most and initial.group(1) == most.group(1) and limit:
            return limit * float(initial.group(1)) / 100, f"{initial.group(0)} {most.group(0)}"
    return None


def _memory_metric(spec: dict[str, Any], status: dict[str, Any]) -> tuple[str, float, str] | None:
    """('Utilization' | 'AverageValue', target number, current in words) of the HPA's memory Resource metric."""
    for m in spec.get("metrics") or []:
        res = (m or {}).get("resource") or (m or {}).get("containerResource") or {}
        if str(res.get("name")) != "memory":
            continue
        target = res.get("target") or {}
        current = next((((c or {}).get("resource") or (c or {}).get("containerResource") or {}).get("current") or {}
                        for c in status.get("currentMetrics") or []
                        if str((((c or {}).get("resource") or (c or {}).get("containerResource") or {})
                                .get("name"))) == "memory"), {})
        if target.get("averageUtilization") is not None:
            now = current.get("averageUtilization")
            return "Utilization", float(target["averageUtilization"]), f"{now}%" if now is not None else "?"
        value = quantity(target.get("averageValue"))
        if value:
            return "AverageValue", value, str(current.get("averageValue") or "?")
    return None


def _written(facts: Facts, hpa: Ref, obj: dict[str, Any]) -> tuple[str, datetime, str] | None:
    """(manager, when, evidence) of the newest write of the HPA's metrics within LEAD (or its creation)."""
    best: tuple[str, datetime, str] | None = None
    for change, evidence, target in facts.writes_to(("HorizontalPodAutoscaler",), within=LEAD, deletions=False):
        at = parse_time(change.get("at"))
        lines = " ".join([str(change.get("summary") or ""), *(str(d) for d in change.get("diff") or [])])
        if target.same_object(hpa) and at is not None and ("metrics" in lines or change.get("type") == "created") \
                and CONTROLLER not in written_by(change) and (best is None or at > best[1]):
            best = (written_by(change) or "a write", at, evidence)
    meta = obj.get("metadata") or {}
    for entry in meta.get("managedFields") or []:
        at = parse_time(entry.get("time")) if isinstance(entry, dict) else None
        spec = ((entry.get("fieldsV1") or {}).get("f:spec") or {}) if isinstance(entry, dict) else {}
        if at is not None and not entry.get("subresource") and entry.get("manager") != CONTROLLER and \
                "f:metrics" in spec and timedelta(0) <= facts.at - at <= LEAD and (best is None or at > best[1]):
            best = (str(entry.get("manager") or "a write"), at, "")
    created = parse_time(meta.get("creationTimestamp"))
    if best is None and created is not None and timedelta(0) <= facts.at - created <= LEAD:
        best = ("its creation", created, "")
    return best


def _containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    spec = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
    return [c for c in spec.get("containers") or [] if isinstance(c, dict)]


def judge(hpa_obj: dict[str, Any], target_obj: dict[str, Any], facts: Facts) -> FixedHeapMetric | None:
    """The finding's facts for one HPA and its target, when the class holds."""
    meta, spec, status = hpa_obj.get("metadata") or {}, hpa_obj.get("spec") or {}, hpa_obj.get("status") or {}
    hpa = Ref("HorizontalPodAutoscaler", str(meta.get("namespace") or ""), str(meta.get("name") or ""))
    metric = _memory_metric(spec, status)
    current, maximum = status.get("currentReplicas"), spec.get("maxReplicas")
    if metric is None or not isinstance(current, int) or not isinstance(maximum, int) or current < maximum:
        return None
    written = _written(facts, hpa, hpa_obj)
    if written is None:
        return None
    how, goal, now = metric
    ref = spec.get("scaleTargetRef") or {}
    target = Ref(str(ref.get("kind") or "Deployment"), hpa.namespace, str(ref.get("name") or ""))
    for container in _containers(target_obj):
        held = fixed_heap(container)
        request = ((container.get("resources") or {}).get("requests") or {}).get("memory")
        if held is None:
            continue
        heap, flags = held
        if how == "Utilization":
            size = quantity(request)
            if not size:
                continue
            share = 100 * heap / size
            if share < NEAR * goal:
                continue
            floor, said = f"{share:.0f}% of its {request} memory request", f"{goal:g}% of request"
        else:
            if heap < NEAR * goal:
                continue
            floor, said = f"{heap / 2 ** 20:.0f}Mi per pod", f"an average of {goal / 2 ** 20:.0f}Mi"
        return FixedHeapMetric(hpa, target, str(container.get("name")), flags, heap, str(request or "?"), said,
                               floor, current, maximum, now, written[0], written[1],
                               [e for e in (written[2],) if e])
    return None


def _relevant(subject: Subject, facts: Facts, hpa: Ref, target: Ref) -> bool:
    """The incident is about the scaled workload, or about pods waiting for memory the replicas hold."""
    if target.name in subject.names or hpa.name in subject.names:
        return True
    return any("insufficient memory" in str(f).lower() for f in facts.findings())


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: the HPAs read or rescaling in the timeline, and the targets of those on memory."""
    facts.reads[READS] = []
    named: dict[tuple[str, str], dict[str, Any] | None] = {}
    for obj, _ in facts.objects:
        if obj.get("kind") == "HorizontalPodAutoscaler":
            meta = obj.get("metadata") or {}
            named[(str(meta.get("namespace") or ""), str(meta.get("name") or ""))] = obj
    for change in facts.change_list():
        m = _RESCALED.search(str(change.get("summary") or ""))
        ref = Ref.of(change.get("object"))
        if m and ref is not None:
            named.setdefault((ref.namespace, m.group(1)), None)
    out: list[FixedHeapMetric] = []
    for (ns, name), known_hpa in list(named.items())[:MAX_READS * 2]:
        got = (known_hpa, "") if known_hpa is not None else \
            await get_yaml(call, "HorizontalPodAutoscaler", name, ns, f"survey-heap-metric-hpa-{name}")
        if got is None:
            continue
        obj, evidence = got
        spec = obj.get("spec") or {}
        if _memory_metric(spec, obj.get("status") or {}) is None:
            continue
        scaled = spec.get("scaleTargetRef") or {}
        target = Ref(str(scaled.get("kind") or "Deployment"), ns, str(scaled.get("name") or ""))
        if not target.name or not _relevant(subject, facts, Ref("HorizontalPodAutoscaler", ns, name), target):
            continue
        known = facts.object_named(target.kind, ns, target.name)
        got_target = (known, "") if known is not None else \
            await get_yaml(call, target.kind, target.name, ns, f"survey-heap-metric-target-{target.name}")
        if got_target is None:
            continue
        hit = judge(obj, got_target[0], facts)
        if hit is not None:
            hit.evidence = [e for e in (evidence, got_target[1], *hit.evidence) if e]
            out.append(hit)
    facts.reads[READS] = out


def found(facts: Facts) -> list[FixedHeapMetric]:
    got = facts.reads.get(READS)
    return [h for h in got if isinstance(h, FixedHeapMetric)] if isinstance(got, list) else []


def finding(h: FixedHeapMetric, at: datetime) -> dict[str, Any]:
    """The HPA, its memory target, the heap that keeps the metric above it, and the maximum it sits at."""
    ago = minutes_text(int((at - h.written_at).total_seconds() // 60))
    message = (f"HorizontalPodAutoscaler {h.hpa.namespace}/{h.hpa.name} scales on memory utilization (target "
               f"{h.metric_target}) and sits at maxReplicas {h.maximum} ({h.current} replicas, memory now "
               f"{h.current_metric}): {h.target}'s container {h.container} runs a fixed heap ({h.flags}), the heap "
               f"alone is {h.floor}, so the metric stays above target whatever the load. Its metrics were written by "
               f"{manager_words.spoken(h.written_by)} {ago} before the incident; the replicas it holds take "
               "schedulable memory other workloads wait for. Scale on CPU or a load metric, or size the heap under "
               "the target")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": h.hpa.kind, "namespace": h.hpa.namespace, "name": h.hpa.name},
            "reason": "FixedHeapMemoryMetric", "message": message,
            "evidence": [f"fixed heap {h.flags}; memory target {h.metric_target}; at maxReplicas {h.maximum}"],
            "details": {"target": str(h.target), "container": h.container, "flags": h.flags, "floor": h.floor,
                        "max_replicas": h.maximum, "written_by": h.written_by,
                        "written_at": h.written_at.isoformat()},
            "explains": [str(h.target)]}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the HPA, its finding, evidence ids, the workload it holds at maximum) for `agent.triage.behind`."""
    return [(h.hpa, finding(h, facts.at), h.evidence, [h.target]) for h in found(facts)]
