"""A VerticalPodAutoscaler that scales its pods' LIMITS down with their requests (controlledValues RequestsAndLimits).

The VPA admission controller rewrites a pod's resources when the pod is admitted (updateMode Auto, Recreate,
InPlaceOrRecreate and Initial; only Off leaves them). For each resource a container policy controls
(`controlledResources`, cpu and memory when unset) it sets the request to the recommendation and, under
`controlledValues: RequestsAndLimits` (the default when the field is absent), the limit too, keeping the
template's limit/request ratio. A chart that drops `controlledValues: RequestsOnly`, or a VPA newly written
without it, therefore turns a quiet period's small recommendation into a small LIMIT: a template that says
request 1 / limit 2 CPU runs with 120m / 240m after the night, and the morning's load is throttled in most CFS
periods (CPU) or killed at the lowered ceiling (memory). The pods say so: their live limits sit well below the
template's, and the admission controller's `vpaUpdates` annotation names the limits it set.

So: a VPA written (timeline, else managedFields or creation) within `LEAD` before the incident, in a mode that
writes pods, controlling a resource with limits (RequestsAndLimits, explicit or by default), whose target's
newest pods run with that limit below `LOWERED` times the template's. Twins: `controlledValues: RequestsOnly`
(the limits stay the template's), a VPA written long ago, pods whose limits are the template's, a VPA in Off mode.
`read` reads the VPAs of the subject's namespace, their targets and the targets' newest pods; `found` is pure.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage import manager_words
from agent.triage.facts import Facts, Ref, minutes_text, parse_time, written_by
from agent.triage.kube_reads import get_yaml, pods_at_ends, rows_of
from agent.triage.subject import Subject

Call = Callable[..., Awaitable[Any]]

CHECK = "vpa.limits_scaled_down"
WEIGHT = 0.93
"""Above a bare write to the VPA (related_changes 0.9): the pods' own lowered limits say what the write did."""
LEAD = timedelta(hours=48)
"""How long before the incident the VPA's write may be."""
LOWERED = 0.5
"""A live limit at most this fraction of the template's is the VPA's doing, not a rounding."""
VPA_CRD = "verticalpodautoscalers.autoscaling.k8s.io"
MAX_VPAS = 4
WRITING_MODES = ("Auto", "Recreate", "InPlaceOrRecreate", "Initial")
"""Update modes in which the admission controller writes pod resources (Off only recommends)."""
DEFAULT_RESOURCES = ("cpu", "memory")
SYMPTOM = {"cpu": "throttled in most CFS periods once load returns", "memory": "OOMKilled at the lowered ceiling"}


@dataclass
class ScaledLimit:
    """A VPA whose default RequestsAndLimits left its target's pods with a lowered limit."""

    vpa: Ref
    target: Ref
    container: str
    resource: str
    controlled_values: str
    """As written (`RequestsAndLimits`), or "" when absent (the default applies)."""
    live_limit: str
    template_limit: str
    live_request: str
    template_request: str
    written_by: str
    written_at: datetime
    minutes_before: int
    annotation: str = ""
    evidence: list[str] = field(default_factory=list)


def quantity(value: Any) -> float | None:
    """A Kubernetes quantity as a number (cpu cores, memory bytes): `240m`, `2`, `760Mi`, `1Gi`, `1e3`."""
    text = str(value if value is not None else "").strip()
    units = {"m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "Ki": 2.0 ** 10, "Mi": 2.0 ** 20, "Gi": 2.0 ** 30,
             "Ti": 2.0 ** 40}
    for suffix in sorted(units, key=len, reverse=True):
        if text.endswith(suffix):
            try:
                return float(text[:-len(suffix)]) * units[suffix]
            except ValueError:
                return None
    try:
        return float(text)
    except ValueError:
        return None


def _policy_for(vpa: dict[str, Any], container: str) -> dict[str, Any] | None:
    """The container policy that governs `container` (its own, else `*`); {} when none is written."""
    policies = [p for p in (((vpa.get("spec") or {}).get("resourcePolicy") or {}).get("containerPolicies") or [])
                if isinstance(p, dict)]
    own = next((p for p in policies if p.get("containerName") == container), None)
    return own if own is not None else next((p for p in policies if p.get("containerName") == "*"), {})


def _containers(obj: dict[str, Any]) -> dict[str, dict[str, Any]]:
    spec = obj.get("spec") or {}
    spec = ((spec.get("template") or {}).get("spec") or {}) if "template" in spec else spec
    return {str(c.get("name")): (c.get("resources") or {}) for c in spec.get("containers") or [] if isinstance(c, dict)}


def _written(facts: Facts, vpa: Ref, obj: dict[str, Any]) -> tuple[str, datetime, str] | None:
    """(manager, when, evidence) of the VPA's newest spec write: the timelines', else managedFields', else creation."""
    best: tuple[str, datetime, str] | None = None
    for change, evidence, target in facts.writes_to(("VerticalPodAutoscaler",)):
        at = parse_time(change.get("at"))
        if target.same_object(vpa) and at is not None and (best is None or at > best[1]):
            best = (written_by(change) or "a write", at, evidence)
    if best is not None:
        return best
    meta = obj.get("metadata") or {}
    for entry in meta.get("managedFields") or []:
        at = parse_time(entry.get("time")) if isinstance(entry, dict) else None
        if at is not None and not entry.get("subresource") and "f:spec" in (entry.get("fieldsV1") or {}) and \
                (best is None or at > best[1]):
            best = (str(entry.get("manager") or "a write"), at, "")
    created = parse_time(meta.get("creationTimestamp"))
    return best if best is not None or created is None else ("its creation", created, "")


def judge(vpa_obj: dict[str, Any], target_obj: dict[str, Any], pods: list[dict[str, Any]],
          written: tuple[str, datetime, str], now: datetime) -> ScaledLimit | None:
    """The lowered limit the VPA's RequestsAndLimits left on the target's newest pods, when it is one."""
    meta = vpa_obj.get("metadata") or {}
    spec = vpa_obj.get("spec") or {}
    mode = str((spec.get("updatePolicy") or {}).get("updateMode") or "Auto")
    by, at, _ = written
    if mode not in WRITING_MODES or not timedelta(0) <= now - at <= LEAD:
        return None
    ref = spec.get("targetRef") or {}
    vpa = Ref("VerticalPodAutoscaler", str(meta.get("namespace") or ""), str(meta.get("name") or ""))
    target = Ref(str(ref.get("kind") or "Deployment"), vpa.namespace, str(ref.get("name") or ""))
    template = _containers(target_obj)
    for container, resources in template.items():
        policy = _policy_for(vpa_obj, container)
        if policy is None or policy.get("mode") == "Off":
            continue
        values = str(policy.get("controlledValues") or "")
        if values == "RequestsOnly":
            continue
        for resource in policy.get("controlledResources") or DEFAULT_RESOURCES:
            t_limit = (resources.get("limits") or {}).get(resource)
            t_value = quantity(t_limit)
            if not t_value:
                continue
            for pod in pods:
                live = _containers(pod).get(container) or {}
                l_limit = (live.get("limits") or {}).get(resource)
                l_value = quantity(l_limit)
                if l_value is None or l_value > LOWERED * t_value:
                    continue
                note = str(((pod.get("metadata") or {}).get("annotations") or {}).get("vpaUpdates") or "")
                return ScaledLimit(vpa, target, container, str(resource), values, str(l_limit), str(t_limit),
                                   str((live.get("requests") or {}).get(resource) or "?"),
                                   str((resources.get("requests") or {}).get(resource) or "?"), by, at,
                                   int((now - at).total_seconds() // 60), note)
    return None


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: the VPAs of the subject's namespace, each one's target and the target's newest pods."""
    facts.reads.setdefault("vpa_limits", [])
    if not subject.namespace:
        return
    listed = await call("k8s_list", {"kind": "customresourcedefinitions"}, "survey-vpa-crds")
    if not any(str(r.get("name") or "") == VPA_CRD for r in rows_of(listed)):
        return
    vpas = await call("k8s_list", {"kind": "VerticalPodAutoscaler", "namespace": subject.namespace},
                      "survey-vpa-list")
    out: list[ScaledLimit] = []
    for row in rows_of(vpas)[:MAX_VPAS]:
        name = str(row.get("name") or "")
        got = await get_yaml(call, "VerticalPodAutoscaler", name, subject.namespace, f"survey-vpa-{name}")
        if got is None:
            continue
        ref = (got[0].get("spec") or {}).get("targetRef") or {}
        if not ref.get("name"):
            continue
        target = Ref(str(ref.get("kind") or "Deployment"), subject.namespace, str(ref["name"]))
        written = _written(facts, Ref("VerticalPodAutoscaler", subject.namespace, name), got[0])
        if written is None or not timedelta(0) <= facts.at - written[1] <= LEAD:
            continue
        target_obj = await get_yaml(call, target.kind, target.name, target.namespace, f"survey-vpa-target-{name}")
        if target_obj is None:
            continue
        pods = await pods_at_ends(call, target, 0, 2, "survey-vpa-limits")
        found_one = judge(got[0], target_obj[0], [p for p, _ in pods], written, facts.at)
        if found_one is not None:
            found_one.evidence = [e for e in (got[1], target_obj[1], *(e for _, e in pods), written[2]) if e]
            out.append(found_one)
    facts.reads["vpa_limits"] = out


def found(facts: Facts) -> list[ScaledLimit]:
    got = facts.reads.get("vpa_limits")
    return [s for s in got if isinstance(s, ScaledLimit)] if isinstance(got, list) else []


def finding(s: ScaledLimit) -> dict[str, Any]:
    """The VPA, its controlledValues in the spec's words, the live limit against the template's and what that does,
    then the fix, then the admission controller's own note: a reader (or a merged hypothesis cut to length) gets the
    effect before the quoted annotation."""
    values = (f"controlledValues {s.controlled_values}" if s.controlled_values else
              "no controlledValues, so the default RequestsAndLimits applies")
    wrote = f"written by {manager_words.spoken(s.written_by)} {minutes_text(s.minutes_before)} before the incident"
    said = f" (pod annotation vpaUpdates: {s.annotation[:160]})" if s.annotation else ""
    message = (f"VerticalPodAutoscaler {s.vpa.namespace}/{s.vpa.name} ({wrote}) has {values}: {s.target}'s pods "
               f"run container {s.container} with a {s.resource} limit of {s.live_limit} (template {s.template_limit}),"
               f" request {s.live_request} (template {s.template_request}), and are {SYMPTOM.get(s.resource, '')}: "
               f"the VPA scales {s.resource} limits with its requests, keeping the template's ratio. Set "
               f"controlledValues: RequestsOnly (or a minAllowed that keeps the limit){said}")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": s.vpa.kind, "namespace": s.vpa.namespace, "name": s.vpa.name},
            "reason": "LimitsScaledDown", "message": message,
            "evidence": [f"{s.resource} limit {s.live_limit} against template {s.template_limit}"],
            "details": {"target": str(s.target), "container": s.container, "resource": s.resource,
                        "controlled_values": s.controlled_values or "RequestsAndLimits (default)",
                        "live_limit": s.live_limit, "template_limit": s.template_limit,
                        "written_by": s.written_by, "written_at": s.written_at.isoformat()},
            "explains": [str(s.target)]}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the VPA, its finding, evidence ids, the workload whose pods it capped) for `agent.triage.behind`."""
    return [(s.vpa, finding(s), s.evidence, [s.target]) for s in found(facts)]
