"""An autoscaler held back by its own new limits: the HPA did exactly what its recently written spec allows.

A HorizontalPodAutoscaler computes the replicas its metric wants (desired = current * metric / target), then
clamps the step by its `behavior` (autoscaling/v2: `scaleUp.policies` of `Pods` or `Percent` per `periodSeconds`,
combined by `selectPolicy`, after `stabilizationWindowSeconds`) and the result by `maxReplicas`. When it clamps,
it says so in its `ScalingLimited` condition: `ScaleUpLimit` ("the desired replica count is increasing faster
than the maximum scale rate") or `TooManyReplicas` ("the desired replica count is more than the maximum replica
count"). Kubernetes' default scale-up allows 4 pods or 100% every 15 s, so a clamp that lasts through a traffic
ramp means someone wrote a slower policy (one pod per ten minutes) or a lower ceiling. The workload then
saturates while the autoscaler "works": its rescale events keep coming, one small step at a time.

So: an HPA read by the survey whose `ScalingLimited` is True by one of those reasons, whose metric stands above
its target, and whose limiting field (`spec.behavior.scaleUp` for ScaleUpLimit, `spec.maxReplicas` for
TooManyReplicas) was written by someone other than the HPA controller within `LEAD` before the incident (the
change timeline, or the object's managedFields). The finding names the HPA with the policy in its own words and
what it means (how long the wanted replicas take at that rate). The same condition under the default behavior,
or a limit written long ago, is not named: the clamp is then not news, and the capacity story lies elsewhere.

The survey reads the HPAs that scale the subject's workloads when no other module read them (`read`); `found`
is pure over the facts.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage import manager_words
from agent.triage.facts import Facts, Ref, minutes_text, parse_time, written_by
from agent.triage.kube_reads import object_of
from agent.triage.subject import Subject

CHECK = "autoscaler.limited_by_write"
WEIGHT = 0.93
"""Above a bare write to the HPA (related_changes 0.9) and the trigger-target check (0.91): the HPA's own
condition says the written limit is what holds the replicas back now."""
LEAD = timedelta(days=2)
"""How long before the incident a limit's write still counts as recent."""
CONTROLLER = "kube-controller-manager"
"""The HPA controller's field manager: it writes status only; any other manager wrote the spec."""
LIMITS = {"ScaleUpLimit": "behavior.scaleUp", "TooManyReplicas": "maxReplicas",
          "ScaleUpStabilized": "behavior.scaleUp"}
"""The condition reason -> the spec field whose write makes it (kube-controller-manager's wording): ScalingLimited's
ScaleUpLimit / TooManyReplicas, and AbleToScale's ScaleUpStabilized ("recent recommendations were lower than
current one, applying the lowest recent recommendation"), which says the scale-up stabilization window holds the
replicas at the lowest recommendation it remembers. Under the default behavior (no scale-up window) that reason
passes within seconds; with the metric above target and a window written recently it is the write holding it."""
HELD_BY = {"ScalingLimited": ("ScaleUpLimit", "TooManyReplicas"), "AbleToScale": ("ScaleUpStabilized",)}
"""Which condition type carries which of those reasons."""
DEFAULT_SCALE_UP = "4 pods or 100% every 15 s"
MAX_READS = 3


@dataclass
class Limited:
    """An HPA clamped by a limit written shortly before the incident."""

    hpa: Ref
    target: Ref
    reason: str
    spec_field: str
    said: str
    policy: str
    """The limit in the spec's words (`1 pod per periodSeconds 600, selectPolicy Min`, `maxReplicas 6`)."""
    current: int | None
    desired: int | None
    metric: str
    written_by: str
    written_at: datetime
    minutes_before: int
    per_step: tuple[int, int] | None = None
    """(pods, seconds) of the slowest Pods policy, to say how long the wanted replicas take."""
    evidence: list[str] = field(default_factory=list)


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Reading only: the HPAs of the subject's namespace not yet read, when the timeline shows one rescaling."""
    rescaled = {str(r.get("name")) for c in facts.change_list() if "rescaled by HPA" in str(c.get("summary") or "")
                for r in c.get("related") or [] if isinstance(r, dict) and r.get("kind") == "HorizontalPodAutoscaler"
                and (not subject.namespace or r.get("namespace") == subject.namespace)}
    have = {str((o.get("metadata") or {}).get("name")) for o, _ in facts.objects
            if o.get("kind") == "HorizontalPodAutoscaler"}
    namespaces = {str(r.get("namespace")) for c in facts.change_list() for r in c.get("related") or []
                  if isinstance(r, dict) and str(r.get("name")) in rescaled}
    for name in sorted(rescaled - have)[:MAX_READS]:
        for namespace in sorted(namespaces):
            outcome = await call("k8s_get", {"kind": "HorizontalPodAutoscaler", "name": name, "namespace": namespace,
                                             "output": "yaml"}, f"survey-hpa-limited-{name}")
            obj = object_of(outcome)
            if obj is not None:
                facts.objects.append((obj, outcome.evidence_id))
                break


def _number(value: Any) -> float | None:
    text = str(value if value is not None else "").strip()
    try:
        return float(text[:-1]) / 1000 if text.endswith("m") else float(text)
    except ValueError:
        return None


def _metric(spec: dict[str, Any], status: dict[str, Any]) -> tuple[str, float] | None:
    """The first metric above its target: ('cpu 188% of request vs target 70%', 188/70)."""
    targets: dict[str, tuple[str, float]] = {}
    for m in spec.get("metrics") or []:
        if not isinstance(m, dict):
            continue
        body = m.get(str(m.get("type") or "").lower()[:1].lower() + str(m.get("type") or "")[1:]) or {}
        name = str((body.get("metric") or {}).get("name") or body.get("name") or m.get("type") or "metric")
        target = body.get("target") or {}
        if target.get("averageUtilization") is not None:
            targets[name] = ("utilization", float(target["averageUtilization"]))
        elif _number(target.get("averageValue")) is not None:
            targets[name] = ("averageValue", float(_number(target.get("averageValue")) or 0))
        elif _number(target.get("value")) is not None:
            targets[name] = ("value", float(_number(target.get("value")) or 0))
    for m in status.get("currentMetrics") or []:
        if not isinstance(m, dict):
            continue
        body = m.get(str(m.get("type") or "")[:1].lower() + str(m.get("type") or "")[1:]) or {}
        name = str((body.get("metric") or {}).get("name") or body.get("name") or m.get("type") or "metric")
        current = body.get("current") or {}
        if name not in targets:
            continue
        how, target = targets[name]
        now = float(current["averageUtilization"]) if how == "utilization" and \
            current.get("averageUtilization") is not None else _number(current.get(how))
        if now is None or target <= 0 or now <= target:
            continue
        unit = "% of request" if how == "utilization" else ""
        return f"{name} at {now:g}{unit} against a target of {target:g}{unit.split(' ')[0]}", now / target
    return None


def _policy(spec: dict[str, Any], reason: str) -> tuple[str, tuple[int, int] | None]:
    if reason == "TooManyReplicas":
        return f"maxReplicas {spec.get('maxReplicas')}", None
    up = (spec.get("behavior") or {}).get("scaleUp") or {}
    parts, slowest = [], None
    for p in up.get("policies") or []:
        if not isinstance(p, dict):
            continue
        kind, value, period = str(p.get("type")), p.get("value"), p.get("periodSeconds")
        parts.append(f"{value} {'pod' if kind == 'Pods' and value == 1 else 'pods' if kind == 'Pods' else '%'} "
                     f"per periodSeconds {period}")
        if kind == "Pods" and isinstance(value, int) and isinstance(period, int) and value > 0 and \
                (slowest is None or value / period < slowest[0] / slowest[1]):
            slowest = (value, period)
    if up.get("selectPolicy"):
        parts.append(f"selectPolicy {up['selectPolicy']}")
    if up.get("stabilizationWindowSeconds"):
        parts.append(f"stabilizationWindowSeconds {up['stabilizationWindowSeconds']}")
    return ", ".join(parts) or "its scaleUp behavior", slowest


def _window(spec: dict[str, Any]) -> int:
    """The scale-up stabilization window the spec writes, in seconds (0 when it writes none: the default)."""
    value = (((spec.get("behavior") or {}).get("scaleUp") or {}).get("stabilizationWindowSeconds"))
    return value if isinstance(value, int) and value > 0 else 0


def _written(facts: Facts, hpa: Ref, obj: dict[str, Any], spec_field: str) -> tuple[str, datetime, str] | None:
    """(manager, when, evidence id) of the latest write of the limiting field by someone else than the
    controller, within LEAD: the timeline's, else the object's managedFields."""
    leaf = spec_field.split(".")[-1]
    best: tuple[str, datetime, str] | None = None
    for change, evidence in facts.every_change():
        whose, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if whose is None or at is None or not whose.same_object(hpa) or not timedelta(0) <= facts.at - at <= LEAD:
            continue
        lines = [str(change.get("summary") or ""), *(str(d) for d in change.get("diff") or [])]
        if any(spec_field in line or f"spec.{leaf}" in line for line in lines):
            by = written_by(change)
            if CONTROLLER not in by and (best is None or at > best[1]):
                best = (by or "a write", at, evidence)
    if best is not None:
        return best
    parts = spec_field.split(".")
    for entry in (obj.get("metadata") or {}).get("managedFields") or []:
        if not isinstance(entry, dict) or entry.get("manager") == CONTROLLER or entry.get("subresource"):
            continue
        node: Any = (entry.get("fieldsV1") or {}).get("f:spec") or {}
        for part in parts:
            node = node.get(f"f:{part}") if isinstance(node, dict) else None
        at = parse_time(entry.get("time"))
        if node is not None and at is not None and timedelta(0) <= facts.at - at <= LEAD and \
                (best is None or at > best[1]):
            best = (str(entry.get("manager") or "a write"), at, "")
    return best


def _holding(status: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any] | None:
    """The condition that says what holds the HPA: ScalingLimited's limit first (a written rate or ceiling), else
    AbleToScale's ScaleUpStabilized where the spec writes a scale-up window. Without a written window that reason
    is the default's momentary stabilization, which the controller reports beside a real limit (an HPA paced to one
    pod per ten minutes says both), so it must neither be the answer nor hide the limit."""
    held = [c for c in status.get("conditions") or [] if isinstance(c, dict) and c.get("status") == "True"
            and c.get("reason") in HELD_BY.get(str(c.get("type")), ())
            and (c.get("reason") != "ScaleUpStabilized" or _window(spec))]
    return next((c for c in held if c.get("type") == "ScalingLimited"), held[0] if held else None)


def found(facts: Facts) -> list[Limited]:
    """Each HPA read whose ScalingLimited condition says a written limit holds it below what its metric wants."""
    out: list[Limited] = []
    for obj, evidence in facts.objects:
        if obj.get("kind") != "HorizontalPodAutoscaler":
            continue
        meta, spec, status = obj.get("metadata") or {}, obj.get("spec") or {}, obj.get("status") or {}
        hpa = Ref("HorizontalPodAutoscaler", str(meta.get("namespace") or ""), str(meta.get("name") or ""))
        cond = _holding(status, spec)
        metric = _metric(spec, status)
        if cond is None or metric is None or any(o.hpa.same_object(hpa) for o in out):
            continue
        reason = str(cond["reason"])
        written = _written(facts, hpa, obj, LIMITS[reason])
        if written is None:
            continue  # the default behavior, or a limit of long standing: the clamp is not what changed
        policy, slowest = _policy(spec, reason)
        current = status.get("currentReplicas")
        desired = None
        if isinstance(current, int) and current > 0:
            desired = math.ceil(current * metric[1])
            if isinstance(spec.get("maxReplicas"), int) and reason != "TooManyReplicas":
                desired = min(desired, spec["maxReplicas"])
        ref = spec.get("scaleTargetRef") or {}
        target = Ref(str(ref.get("kind") or "Deployment"), hpa.namespace, str(ref.get("name") or hpa.name))
        by, at, write_evidence = written
        out.append(Limited(hpa, target, reason, LIMITS[reason], str(cond.get("message") or ""), policy, current,
                           desired, metric[0], by, at, int((facts.at - at).total_seconds() // 60), slowest,
                           [e for e in (evidence, write_evidence) if e]))
    return out


def _condition(reason: str) -> str:
    return next((kind for kind, reasons in HELD_BY.items() if reason in reasons), "ScalingLimited")


def finding(lim: Limited) -> dict[str, Any]:
    """The HPA, its written limit in the spec's words, what the limit means under this load, and the write."""
    name = f"{lim.hpa.namespace}/{lim.hpa.name}"
    wrote = f"written by {manager_words.spoken(lim.written_by)} {minutes_text(lim.minutes_before)} before the incident"
    wants = f"{lim.metric} wants about {lim.desired} replicas" if lim.desired else lim.metric
    has = f", it has {lim.current}" if lim.current is not None else ""
    if lim.reason == "ScaleUpStabilized":
        message = (f"HPA {name} is held back by its own behavior.scaleUp ({lim.policy}), {wrote}: {wants}{has}; "
                   f"AbleToScale ScaleUpStabilized: for the scale-up stabilizationWindowSeconds it keeps the lowest "
                   f"replica count recommended in that window, so while load ramps up "
                   f"{lim.target} saturates. Kubernetes' default scale-up has no stabilization window "
                   f"({DEFAULT_SCALE_UP}): restore the previous scaleUp behavior")
    elif lim.reason == "ScaleUpLimit":
        pace = ""
        if lim.per_step and lim.desired and lim.current is not None and lim.desired > lim.current:
            steps = math.ceil((lim.desired - lim.current) / lim.per_step[0])
            pace = f" ({minutes_text(steps * lim.per_step[1] // 60)} at that pace)"
        message = (f"HPA {name} is throttled by its own behavior.scaleUp policy ({lim.policy}), {wrote}: "
                   f"{wants}{has}{pace}; ScalingLimited ScaleUpLimit, so {lim.target} saturates. Kubernetes' "
                   f"default scale-up is {DEFAULT_SCALE_UP}: restore the previous scaleUp policies")
    else:
        message = (f"HPA {name} is capped by its {lim.policy}, {wrote}: {wants}{has}; ScalingLimited "
                   f"TooManyReplicas, so {lim.target} saturates: restore the previous maxReplicas")
    return {"check": CHECK, "severity": "critical", "object": {"kind": lim.hpa.kind, "namespace": lim.hpa.namespace,
                                                               "name": lim.hpa.name},
            "reason": lim.reason, "message": message,
            "evidence": [f"{_condition(lim.reason)} {lim.reason}: {lim.said}"],
            "details": {"field": f"spec.{lim.spec_field}", "policy": lim.policy, "current": lim.current,
                        "desired": lim.desired, "written_by": lim.written_by,
                        "written_at": lim.written_at.isoformat()}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the HPA, its finding, evidence ids, the workload it leaves short) for `agent.triage.behind`."""
    return [(lim.hpa, finding(lim), lim.evidence, [lim.target]) for lim in found(facts)]
