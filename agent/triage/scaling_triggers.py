"""What decides scaling: the autoscaler trigger that names the alert's queue or metric, and its target's change.

A backlog alert (a queue's oldest message too old, a consumer group's lag, a stream's length) names the
queue in the broker's terms, never the workload that should drain it. What decides how many workers
drain it is an autoscaler: a KEDA ScaledObject or ScaledJob whose trigger's metadata names the queue
(`queueURL: https://sqs.../email-outbound`, `queueName`, `topic`, `consumerGroup`, a Prometheus `query`),
or a HorizontalPodAutoscaler whose External/Object metric names it. The match is by containment (the
alert's `queue_name` is the last segment of the trigger's URL, a word of its query), not only equality.

The trigger's target is per replica (KEDA's `queueLength`, `lagThreshold`, `threshold`, `value`...: the
HPA it creates uses it as an AverageValue), so desired replicas = backlog / target. Raising the target
from 5 to 500 lets the same backlog stay at the minimum replicas: the workers are healthy, few, and the
queue grows. The old value comes from kube-state-metrics' `kube_horizontalpodautoscaler_spec_target_metric`
history; the write from the change timeline.

The survey reads (`read`): the ScaledObjects/ScaledJobs and HPAs, then the target metric's history for a
matching one. `triggers` is pure over the facts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlparse

from agent.triage.facts import Facts, Ref, parse_time
from agent.triage.kube_reads import object_of
from agent.triage.subject import Subject

CHECK = "autoscaler.target_changed"
WEIGHT = 0.91
"""Above a bare write to the same object (related_changes, 0.9): the trigger's target and what it allows say more."""

TARGET_KEYS = ("queueLength", "lagThreshold", "listLength", "streamLength", "pendingEntriesCount",
               "targetPendingMessages", "messageCount", "threshold", "targetValue", "targetQueryValue",
               "desiredReplicas", "value")
"""KEDA trigger metadata keys that hold the per-replica target (activation* keys only switch scaling on)."""
AUTOSCALER_KINDS = ("scaledobjects.keda.sh", "scaledjobs.keda.sh")
HPA_TARGET = "kube_horizontalpodautoscaler_spec_target_metric"
MAX_READS = 8
MIN_VALUE_LENGTH = 4
HISTORY = timedelta(hours=6)
TARGET_HISTORY_KIND = "vigil.dev/ScalingTargetHistory"
VALUES_KIND = "vigil.dev/AlertValues"
"""The pseudo-kind kept in `Facts.objects`: the alert's values the triggers were matched against."""


@dataclass
class Trigger:
    """One autoscaler trigger that names the alert's queue or metric."""

    owner: Ref
    """The ScaledObject, ScaledJob or HorizontalPodAutoscaler."""
    scaler: str
    matched: str
    """The alert's value the trigger names."""
    where: str
    """The trigger's field that names it (`queueURL`...)."""
    target_key: str
    target: str
    hpa: str
    scale_target: str
    min_replicas: int | None = None
    max_replicas: int | None = None
    current_replicas: int | None = None
    current_metric: str = ""
    old_target: str = ""
    written: str = ""
    """Who wrote the object and when, from the change timeline or managedFields."""
    minutes_before: int | None = None
    evidence: list[str] = field(default_factory=list)


def _segments(text: str) -> set[str]:
    """The name-like parts of a trigger's value: a URL's path segments and host, words of a query."""
    out = {text.lower()}
    if "://" in text:
        parsed = urlparse(text)
        out |= {p.lower() for p in parsed.path.split("/") if p} | {parsed.hostname or ""}
    out |= {w.lower() for w in re.split(r"[\s/:,;=\"'{}()\[\]|]+", text) if w}
    return out


def names_value(text: str, value: str) -> bool:
    """Whether a trigger's metadata value names the alert's value: equal, a segment of its URL or a word of it."""
    value = value.lower()
    return len(value) >= MIN_VALUE_LENGTH and value in _segments(text)


def _values(subject: Subject) -> list[str]:
    return [v for v in dict.fromkeys([*subject.labelled_values, *subject.names])
            if len(v) >= MIN_VALUE_LENGTH and v != subject.namespace]


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Reading only, when the alert carries values: the autoscalers (KEDA's when its CRDs exist, and the HPAs),
    then the target history of one whose trigger names a value."""
    values = _values(subject)
    if not values:
        return
    facts.objects.append(({"kind": VALUES_KIND, "values": values}, ""))
    crds = await call("k8s_list", {"kind": "customresourcedefinitions"}, "survey-scaling-crds")
    known = {str(r.get("name")) for r in ((crds.data or {}).get("rows") or [] if crds is not None and crds.ok
                                          and isinstance(crds.data, dict) else []) if isinstance(r, dict)}
    kinds = [k for k in AUTOSCALER_KINDS if k in known] + ["HorizontalPodAutoscaler"]
    reads = 0
    for kind in kinds:
        listed = await call("k8s_list", {"kind": kind}, f"survey-scaling-{kind.split('.')[0].lower()}")
        rows = [r for r in ((listed.data or {}).get("rows") or [] if listed is not None and listed.ok and
                            isinstance(listed.data, dict) else []) if isinstance(r, dict) and r.get("name")]
        words = {w for v in values for w in re.split(r"[-_.:/]", v) if len(w) >= MIN_VALUE_LENGTH}
        rows.sort(key=lambda r: (str(r.get("namespace")) != subject.namespace,  # the likeliest first
                                 not words & set(re.split(r"[-_.]", str(r.get("name"))))))
        for row in rows:
            if reads >= MAX_READS:
                break
            reads += 1
            outcome = await call("k8s_get", {"kind": kind, "name": row["name"], "namespace": row.get("namespace") or "",
                                             "output": "yaml"}, f"survey-scaling-get-{row['name']}")
            obj = object_of(outcome)
            if obj is not None:
                facts.objects.append((obj, outcome.evidence_id))
    found = triggers(facts, values)
    if not found:
        return
    hpa, namespace = found[0].hpa, found[0].owner.namespace
    start = (parse_time(at) or facts.at) - HISTORY
    outcome = await call("prom_query_range", {"query": f'{HPA_TARGET}{{namespace="{namespace}", '
                                                        f'horizontalpodautoscaler="{hpa}"}}',
                                              "start": start.isoformat().replace("+00:00", "Z"), "end": at,
                                              "step": "60s"}, f"survey-scaling-target-{hpa}")
    if outcome is not None and outcome.ok and isinstance(outcome.data, dict):
        facts.objects.append(({"kind": TARGET_HISTORY_KIND, "data": outcome.data}, outcome.evidence_id))


def _autoscalers(facts: Facts) -> list[tuple[dict[str, Any], str]]:
    return [(o, e) for o, e in facts.objects if o.get("kind") in ("ScaledObject", "ScaledJob",
                                                                  "HorizontalPodAutoscaler")]


def _hpa_of(facts: Facts, namespace: str, name: str) -> dict[str, Any]:
    for obj, _ in _autoscalers(facts):
        meta = obj.get("metadata") or {}
        if obj.get("kind") == "HorizontalPodAutoscaler" and meta.get("name") == name and \
                (meta.get("namespace") or namespace) == namespace:
            return obj
    return {}


def _keda(obj: dict[str, Any], evidence_id: str, values: list[str], facts: Facts) -> list[Trigger]:
    meta, spec, status = obj.get("metadata") or {}, obj.get("spec") or {}, obj.get("status") or {}
    owner = Ref(str(obj.get("kind")), str(meta.get("namespace") or ""), str(meta.get("name") or ""))
    out: list[Trigger] = []
    for trigger in spec.get("triggers") or []:
        metadata = trigger.get("metadata") or {} if isinstance(trigger, dict) else {}
        for key, text in metadata.items():
            value = next((v for v in values if names_value(str(text), v)), None)
            if value is None:
                continue
            target_key = next((k for k in TARGET_KEYS if k in metadata), "")
            hpa_name = str(status.get("hpaName") or f"keda-hpa-{owner.name}")
            hpa = _hpa_of(facts, owner.namespace, hpa_name)
            hpa_status = hpa.get("status") or {}
            current = next((str(((m.get("external") or {}).get("current") or {}).get("averageValue") or "")
                            for m in hpa_status.get("currentMetrics") or [] if isinstance(m, dict)), "")
            out.append(Trigger(owner, str(trigger.get("type") or "trigger"), value, str(key), target_key,
                               str(metadata.get(target_key, "")), hpa_name,
                               str((spec.get("scaleTargetRef") or {}).get("name") or ""),
                               spec.get("minReplicaCount"), spec.get("maxReplicaCount"),
                               hpa_status.get("currentReplicas"), current, evidence=[evidence_id]))
            break
    return out


def _hpa(obj: dict[str, Any], evidence_id: str, values: list[str]) -> list[Trigger]:
    """An HPA (not KEDA's own) whose External/Object metric's name or selector names a value."""
    meta, spec, status = obj.get("metadata") or {}, obj.get("spec") or {}, obj.get("status") or {}
    if any(o.get("kind") in ("ScaledObject", "ScaledJob") for o in meta.get("ownerReferences") or []):
        return []
    owner = Ref("HorizontalPodAutoscaler", str(meta.get("namespace") or ""), str(meta.get("name") or ""))
    out: list[Trigger] = []
    for metric in spec.get("metrics") or []:
        body = (metric.get("external") or metric.get("object") or metric.get("pods") or {}) \
            if isinstance(metric, dict) else {}
        text = json.dumps(body.get("metric") or {})
        value = next((v for v in values if names_value(text, v)), None)
        if value is None:
            continue
        target = body.get("target") or {}
        key = next((k for k in ("averageValue", "value", "averageUtilization") if k in target), "")
        out.append(Trigger(owner, str(metric.get("type") or "metric"), value, "metric", key, str(target.get(key, "")),
                           owner.name, str((spec.get("scaleTargetRef") or {}).get("name") or ""),
                           spec.get("minReplicas"), spec.get("maxReplicas"), status.get("currentReplicas"),
                           evidence=[evidence_id]))
    return out


def _number(text: str) -> float | None:
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*", str(text))
    return float(found.group(1)) if found else None


def _old_target(facts: Facts, item: Trigger) -> None:
    """The target before: the first value of the HPA's target series (kube-state-metrics) when it differs from
    today's."""
    now = _number(item.target)
    for obj, evidence_id in facts.objects:
        if obj.get("kind") != TARGET_HISTORY_KIND:
            continue
        for series in (obj.get("data") or {}).get("series") or []:
            labels = series.get("labels") or {} if isinstance(series, dict) else {}
            if str(labels.get("horizontalpodautoscaler")) != item.hpa:
                continue
            first = series.get("first")
            if isinstance(first, (int, float)) and now is not None and float(first) != now:
                item.old_target = f"{float(first):g}"
                item.evidence.append(evidence_id)
                return


def _written(facts: Facts, item: Trigger) -> None:
    for change in facts.change_list():
        target = Ref.of(change.get("object"))
        if target is None or target.name != item.owner.name or target.namespace != item.owner.namespace:
            continue
        when = parse_time(change.get("at"))
        by = re.search(r"\b(?:updated|written|created|applied) by ([\w.:/-]+(?:, [\w.:/-]+)?)",
                       str(change.get("summary") or ""))
        who = by.group(1).rstrip(":") if by else ""
        item.written = f"written by {who}" if who else "written"
        if when is not None:
            item.minutes_before = int((facts.at - when).total_seconds() // 60)
        if facts.changes_id:
            item.evidence.append(facts.changes_id)
        return


def triggers(facts: Facts, values: list[str] | None = None) -> list[Trigger]:
    """Autoscaler triggers naming one of the values (the alert's, kept in the facts by `read`), KEDA's first."""
    if values is None:
        values = [str(v) for o, _ in facts.objects if o.get("kind") == VALUES_KIND
                  for v in o.get("values") or []]
    out: list[Trigger] = []
    for obj, evidence_id in _autoscalers(facts):
        if obj.get("kind") in ("ScaledObject", "ScaledJob"):
            out += _keda(obj, evidence_id, values, facts)
    for obj, evidence_id in _autoscalers(facts):
        if obj.get("kind") == "HorizontalPodAutoscaler":
            out += _hpa(obj, evidence_id, values)
    for item in out:
        _old_target(facts, item)
        _written(facts, item)
    return out


def _backlog(target: float | None, replicas: int | None) -> str:
    if target is None or not replicas:
        return ""
    return f"{target * replicas:g}"


def finding(item: Trigger) -> dict[str, Any]:
    """The autoscaler as a scan-shaped finding: which queue it scales on, the target's change, the replicas it
    keeps and the backlog that allows (the ranking quotes about 400 characters)."""
    workload = item.scale_target or "its target"
    target = f"{item.target_key} {item.old_target} -> {item.target}" if item.old_target else \
        f"{item.target_key} {item.target}"
    when = ""
    if item.written:
        when = f" ({item.written}" + (f", {item.minutes_before} min before the alert)" if item.minutes_before
                                       is not None else ")")
    at_min = item.current_replicas is not None and item.min_replicas is not None and \
        item.current_replicas <= item.min_replicas
    replicas = (f"keeps {workload} at its minimum replicas ({item.current_replicas}, range "
                f"{item.min_replicas}-{item.max_replicas})" if at_min else
                f"runs {workload} at {item.current_replicas} replicas" if item.current_replicas is not None else
                f"scales {workload}")
    now_allows = _backlog(_number(item.target), item.current_replicas or item.min_replicas)
    was_allows = _backlog(_number(item.old_target), item.current_replicas or item.min_replicas)
    allows = (f"; {item.current_replicas or item.min_replicas} replicas now tolerate a backlog of {now_allows}"
              + (f" (was {was_allows})" if was_allows else "") + " before scaling out") if now_allows else ""
    current = f" while the metric stands at {item.current_metric} per replica" if item.current_metric else ""
    message = (f"{item.owner} decides how {workload} scales on {item.matched} ({item.scaler} trigger, "
               f"{item.where}): {target} per replica{when}, so the HPA {replicas}{current}{allows}")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": item.owner.kind, "namespace": item.owner.namespace, "name": item.owner.name},
            "reason": "ScalingTargetChanged" if item.old_target else "ScalingTarget", "message": message,
            "evidence": [f"{item.where} names {item.matched}", f"HPA {item.hpa}"],
            "details": {"hpa": item.hpa, "target": item.target, "old_target": item.old_target,
                        "scale_target": item.scale_target}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """Triggers whose target changed (or that hold the workload at its minimum while the alert fires)."""
    out = []
    for item in triggers(facts):
        at_min = item.current_replicas is not None and item.min_replicas is not None and \
            item.current_replicas <= item.min_replicas
        if not item.old_target and not (item.written and at_min):
            continue  # a trigger that names the queue but changed nothing and scales: no suspect
        explains = [Ref("Deployment", item.owner.namespace, item.scale_target)] if item.scale_target else []
        out.append((item.owner, finding(item), list(dict.fromkeys(item.evidence)), explains))
    return out

