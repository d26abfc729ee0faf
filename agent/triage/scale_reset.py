"""A scale written by a deploy tool that cut the capacity an autoscaler had chosen.

When a HorizontalPodAutoscaler scales a Deployment, it writes the scale subresource under the field manager
kube-controller-manager. A manifest that still carries `spec.replicas` makes every apply or GitOps sync (Argo
CD, Flux, Helm, kubectl) write that number back: the change timeline shows the write (`spec.replicas written
by argocd-controller (now 3)`) and the Deployment controller's own events right after it show the capacity it
took away (`Scaled down replica set web-5d8f to 3 from 22`), then the HPA's way back (`Scaled up replica set
web-5d8f to 22 from 3`) once its next sync sees the load. The write is the cause of the latency or errors that
the lost replicas explain, and reverting it means removing `spec.replicas` from the manifest (or having the
GitOps tool ignore it), not scaling by hand.

Read from the timeline only: the write's manager and value (`agent.triage.field_meaning`, meaning `replicas`),
and the scale events of the same object within `FOLLOW` after it; reading only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from agent.triage import field_meaning
from agent.triage.facts import Facts, Ref, parse_time

CHECK = "change.scale_reset"
WEIGHT = 0.93
"""Above the bare field meaning (0.92): the controller's own events show the capacity the write took away."""
LEAD = timedelta(hours=6)
FOLLOW = timedelta(minutes=15)
"""How soon after the write the Deployment controller's scale-down must follow to be its effect."""

_SCALED = re.compile(r"Scaled (?P<way>down|up) replica set (?P<rs>\S+) to (?P<to>\d+)(?: from (?P<from>\d+))?")


@dataclass(frozen=True)
class Reset:
    """A replicas write by a non-autoscaler and the scale-down (and autoscaler's scale-up) it caused."""

    target: Ref
    change: dict[str, Any]
    reading: field_meaning.Read
    before: int
    after: int
    back_up: int | None
    """The replica count the autoscaler went back to afterwards, when the events show it."""
    said: str
    minutes_before: int


def _scalings(change: dict[str, Any]) -> list[re.Match[str]]:
    lines = [str(change.get("summary") or ""), *(str(d) for d in change.get("diff") or [])]
    return [m for line in lines for m in _SCALED.finditer(line)]


def _count(value: str | None) -> int | None:
    text = str(value or "").strip("'\" ")
    return int(text) if text.isdigit() else None


def _autoscaled(facts: Facts, target: Ref) -> bool:
    """An HPA is known to scale the workload: its rescale in the timeline (the timeline resolves the HPA's
    scaleTargetRef), or an HPA object the survey read whose scaleTargetRef names it."""
    for change in facts.change_list():
        whose = Ref.of(change.get("object"))
        if whose is not None and whose.same_object(target) and "rescaled by HPA" in str(change.get("summary") or ""):
            return True
    for obj, _ in facts.objects:
        ref = (obj.get("spec") or {}).get("scaleTargetRef") or {} if obj.get("kind") == "HorizontalPodAutoscaler" \
            else {}
        namespace = str((obj.get("metadata") or {}).get("namespace") or "")
        if ref.get("name") == target.name and namespace == target.namespace:
            return True
    return False


def found(facts: Facts) -> list[Reset]:
    """Each replicas write by a deploy tool, within 6 h of the incident, followed by a scale-down of the same
    workload to the written count from a larger one, when an autoscaler is seen on it (its scale-up back, its
    rescale, or an HPA object targeting it)."""
    out: list[Reset] = []
    changes = facts.change_list()
    for change in changes:
        target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if target is None or at is None or not timedelta(0) <= facts.at - at <= LEAD:
            continue
        reading = next((r for r in field_meaning.reads(change) if r.meaning.field == "replicas"), None)
        written = _count(reading.new) if reading is not None else None
        if reading is None or written is None:
            continue
        downs: list[re.Match[str]] = []
        ups: list[re.Match[str]] = []
        for other in changes:
            when, whose = parse_time(other.get("at")), Ref.of(other.get("object"))
            if other is change or when is None or whose is None or not target.same_object(whose) \
                    or not timedelta(0) <= when - at <= FOLLOW:
                continue
            for m in _scalings(other):
                (downs if m.group("way") == "down" else ups).append(m)
        down = next((m for m in downs if int(m.group("to")) == int(written) and m.group("from")
                     and int(m.group("from")) > written), None)
        if down is None:
            continue
        up = next((int(m.group("to")) for m in ups if m.group("rs") == down.group("rs")
                   and int(m.group("to")) > written), None)
        if any(r.target.same_object(target) for r in out) or (up is None and not _autoscaled(facts, target)):
            continue  # a plain scale-down (someone scaled to 0) is judged by the modules that read capacity
        out.append(Reset(target, change, reading, int(down.group("from")), int(written), up, down.group(0),
                         int((facts.at - at).total_seconds() // 60)))
    return out


def finding(r: Reset) -> dict[str, Any]:
    """The write, the capacity it took, the autoscaler's way back, and the fix in the manifest."""
    tool = field_meaning.product(r.reading.by)
    back = (f"; the HorizontalPodAutoscaler scaled it back to {r.back_up}: the HPA and {r.reading.by} fight over "
            "spec.replicas, every sync resets the HPA's scale" if r.back_up else
            "; an HPA scales it, and every sync resets the scale the HPA chose")
    message = (f"{r.target}: {tool} wrote spec.replicas = {r.after} {r.minutes_before} min before the incident, "
               f"cutting it from {r.before} to {r.after} replicas{back}. Remove spec.replicas from the manifest")
    return {"check": CHECK, "severity": "critical", "object": r.change.get("object"), "reason": "ScaleReset",
            "message": message, "evidence": [r.said, r.reading.line[:200]],
            "details": {"field": "spec.replicas", "manager": r.reading.by, "before": r.before, "after": r.after,
                        "back_up": r.back_up, "change_at": r.change.get("at")}}
