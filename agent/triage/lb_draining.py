"""A load balancer's connection draining switched off or cut to nothing: every rollout behind it now fails requests.

A cloud load balancer that sends traffic straight to pods (an AWS ALB or NLB in IP mode, an Azure Application
Gateway, a Classic ELB) keeps a target that is being removed for a draining period: requests already in flight
finish, and the few routed to it while the controller deregisters it still get an answer. Set that period to 0
(`deregistration_delay.timeout_seconds=0` in the target-group attributes of an ALB Ingress or an NLB Service,
`aws-load-balancer-connection-draining-enabled: "false"` on a Classic ELB Service, Application Gateway's
`connection-draining: "false"` or a zero `connection-draining-timeout`, GKE's BackendConfig or GCPBackendPolicy
`connectionDraining.drainingTimeoutSec: 0`, Alibaba Cloud's `alibaba-cloud-loadbalancer-connection-drain: "off"`)
and the balancer drops a target the moment it leaves: each pod a rollout stops cuts its in-flight requests, and the
balancer answers 502 (or resets) in short bursts at every deploy, while the pods themselves log only successes. The
deploys look guilty; the write that disabled draining, often hours earlier, is the cause.

Evidence any instance leaves: a write (in the timelines read) to an Ingress or Service whose annotations set such a
draining value (the change line's value or the object as read), or to a GKE policy object whose spec does (it
fronts the Services whose `backend-config` annotation names it, or its targetRef), and a rollout, after that write
and shortly before the alert, of a workload the written object sends traffic to (an Ingress's backend Services, the
Service itself; a rollout counts when its timeline line relates it to that Service or the workload carries its
name). Not named: a draining period of more than FLOOR seconds, a write with no rollout behind it since, a rollout
of a workload the object does not front. `read` gets the written object when its annotations were not read; `found`
is pure.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time, written_by
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject

Call = Callable[..., Awaitable[Any]]

CHECK = "change.lb_draining_disabled"
WEIGHT = 0.92
"""Above the rollouts that show it: they stop pods the balancer no longer drains."""
STORE = "lb_draining"
LEAD = timedelta(hours=24)
"""How long before the alert the draining write may be: it shows only at the next rollout, which may be hours on."""
ROLLING = timedelta(hours=2)
"""How long before the alert a rollout behind the balancer may have started and still be the moment it showed."""
FLOOR = 5.0
"""Seconds of draining at or below which in-flight requests cannot finish (AWS's default is 300)."""
MAX_READS = 3
POLICIES = ("BackendConfig", "GCPBackendPolicy")
"""GKE's draining lives in a policy object, not an annotation: a BackendConfig a Service names in its
`cloud.google.com/backend-config` annotation, or a Gateway GCPBackendPolicy whose targetRef is the Service, both
with `connectionDraining.drainingTimeoutSec`."""
KINDS = ("Ingress", "Service", *POLICIES)

_ATTRIBUTE = re.compile(r"deregistration_delay\.timeout_seconds\s*=\s*(\d+)", re.I)
"""An AWS target group's draining period inside a target-group-attributes annotation (ALB Ingress, NLB Service)."""
SWITCHES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"aws-load-balancer-connection-draining-enabled$", re.I), "the Classic ELB's connection draining"),
    (re.compile(r"appgw\.ingress\.kubernetes\.io/connection-draining$", re.I),
     "Application Gateway's connection draining"),
    (re.compile(r"alibaba-cloud-loadbalancer-connection-drain$", re.I), "the Alibaba Cloud SLB's connection drain"),
)
"""Annotations that switch draining on or off, by key, and what they switch."""
TIMEOUTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"aws-load-balancer-connection-draining-timeout$", re.I), "the Classic ELB's draining timeout"),
    (re.compile(r"appgw\.ingress\.kubernetes\.io/connection-draining-timeout$", re.I),
     "Application Gateway's draining timeout"),
    (re.compile(r"target-group-attributes$", re.I), "the target group's deregistration_delay.timeout_seconds"),
    (re.compile(r"alibaba-cloud-loadbalancer-connection-drain-timeout$", re.I),
     "the Alibaba Cloud SLB's connection drain timeout"),
    (re.compile(r"(?:^|\.)drainingTimeoutSec$"), "the GKE backend service's connection draining timeout"),
)
"""Annotations that set a draining period in seconds, by key, and what they set."""
_KEY_IN_DIFF = re.compile(r"target-group-attributes|connection-drain|drainingTimeoutSec", re.I)
_BACKEND_CONFIG = re.compile(r"(?:^|/)backend-config$")


@dataclass
class Cut:
    """A balancer-facing object written to drain nothing, and the rollout behind it that then showed it."""

    target: Ref
    change: dict[str, Any]
    setting: str
    key: str
    value: str
    rollout: Ref
    rollout_at: datetime
    evidence: list[str] = field(default_factory=list)


def drained(annotations: dict[str, Any]) -> tuple[str, str, str] | None:
    """(key, value, what it sets) of an annotation that leaves no draining (off, or FLOOR seconds or less)."""
    for key, raw in annotations.items():
        value = str(raw).strip().strip('"')
        if any(p.search(key) for p, _ in SWITCHES) and value.lower() in ("false", "off"):
            return key, value, next(w for p, w in SWITCHES if p.search(key))
        for pattern, what in TIMEOUTS:
            if not pattern.search(key):
                continue
            m = _ATTRIBUTE.search(value) if "target-group-attributes" in key.lower() else \
                re.fullmatch(r"(\d+)", value)
            if m is not None and float(m.group(1)) <= FLOOR:
                return key, value, what
    return None


def _written(facts: Facts) -> list[tuple[dict[str, Any], Ref]]:
    """Writes within LEAD (the timeline's, then any longer history read) to an Ingress or Service that touched a
    draining annotation: the first listed per object, however many other writes to it came after."""
    out: list[tuple[dict[str, Any], Ref]] = []
    for change, _, target in facts.writes_to(KINDS, within=LEAD, deletions=False):
        if any(t.same_object(target) for _, t in out):
            continue
        if any(_KEY_IN_DIFF.search(str(d)) for d in change.get("diff") or [change.get("summary")]):
            out.append((change, target))
    return out


def _annotations(facts: Facts, change: dict[str, Any], target: Ref) -> dict[str, Any]:
    """The object's annotations as read (for a GKE policy: its draining timeout), else the ones the change lines
    quote with their values."""
    obj = facts.object_named(target.kind, target.namespace, target.name)
    if obj is not None and target.kind in POLICIES:
        spec = obj.get("spec") or {}
        draining = (spec.get("connectionDraining") or ((spec.get("default") or {}).get("connectionDraining")) or {})
        return {"connectionDraining.drainingTimeoutSec": draining["drainingTimeoutSec"]} \
            if "drainingTimeoutSec" in draining else {}
    if obj is not None:
        return dict((obj.get("metadata") or {}).get("annotations") or {})
    out: dict[str, Any] = {}
    for line in change.get("diff") or []:
        m = re.search(r"(?:metadata\.annotations\.|spec\.)(\S+) written by .*?\(now '?(.*?)'?\)$", str(line))
        if m:
            out[m.group(1)] = m.group(2)
    return out


def _names_config(service: dict[str, Any], name: str) -> bool:
    """A Service whose backend-config annotation (`{"default": name}` or per port) names the BackendConfig."""
    annotations = (service.get("metadata") or {}).get("annotations") or {}
    return any(_BACKEND_CONFIG.search(str(k)) and re.search(rf"\"{re.escape(name)}\"", str(v))
               for k, v in annotations.items())


def _fronted(facts: Facts, target: Ref) -> set[str]:
    """Names of the Services the written object sends traffic to (an Ingress's backends; a Service itself; the
    Services that name a BackendConfig or that a GCPBackendPolicy targets)."""
    if target.kind == "Service":
        return {target.name}
    spec = (facts.object_named(target.kind, target.namespace, target.name) or {}).get("spec") or {}
    if target.kind == "GCPBackendPolicy":
        ref = spec.get("targetRef") or {}
        return {str(ref["name"])} if ref.get("kind") == "Service" and ref.get("name") else set()
    if target.kind == "BackendConfig":
        return {str((o.get("metadata") or {}).get("name")) for o, _ in facts.objects
                if str(o.get("kind") or "Service") == "Service"
                and (o.get("metadata") or {}).get("namespace") == target.namespace and _names_config(o, target.name)}
    backends = [spec.get("defaultBackend") or {}]
    backends += [p.get("backend") or {} for r in spec.get("rules") or [] if isinstance(r, dict)
                 for p in (r.get("http") or {}).get("paths") or [] if isinstance(p, dict)]
    return {str((b.get("service") or {}).get("name")) for b in backends if (b.get("service") or {}).get("name")}


def _candidates(facts: Facts, namespace: str) -> list[str]:
    """Services a recent rollout of `namespace` relates to (or is named like): the ones whose backend-config
    annotation is worth reading when a BackendConfig was written."""
    names: list[str] = []
    for change in facts.change_list():
        ref, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if change.get("type") != "rollout" or ref is None or at is None or ref.namespace != namespace \
                or not timedelta(0) <= facts.at - at <= ROLLING:
            continue
        names += [r.name for r in (Ref.of(x) for x in change.get("related") or []) if r is not None
                  and r.kind == "Service" and r.namespace == namespace] or [ref.name]
    return list(dict.fromkeys(names))


def _rollout_behind(facts: Facts, target: Ref, services: set[str], since: datetime) -> tuple[Ref, datetime] | None:
    """The newest rollout, after the write and within ROLLING before the alert, of a workload behind `services`."""
    best: tuple[Ref, datetime] | None = None
    for change in facts.change_list():
        ref, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if change.get("type") != "rollout" or ref is None or at is None or ref.namespace != target.namespace:
            continue
        if not (since <= at and timedelta(0) <= facts.at - at <= ROLLING):
            continue
        related = {r.name for r in (Ref.of(x) for x in change.get("related") or []) if r is not None
                   and r.kind == "Service" and r.namespace == target.namespace}
        if (ref.name in services or related & services) and (best is None or at > best[1]):
            best = (ref, at)
    return best


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, when the timeline holds a draining write: each written object not read yet (its annotations,
    its backends)."""
    if STORE in facts.reads:
        return
    facts.reads[STORE] = True
    for _, target in _written(facts)[:MAX_READS]:
        if facts.object_named(target.kind, target.namespace, target.name) is None:
            got = await get_yaml(call, target.kind, target.name, target.namespace, "survey-lb-draining")
            if got is not None:
                facts.objects.append(got)
        if target.kind != "BackendConfig":
            continue
        for name in _candidates(facts, target.namespace)[:MAX_READS]:
            if facts.object_named("Service", target.namespace, name) is None:
                got = await get_yaml(call, "Service", name, target.namespace, f"survey-lb-draining-svc-{name}")
                if got is not None:
                    facts.objects.append(got)


def found(facts: Facts) -> list[Cut]:
    """Draining writes with a rollout behind the written object since (pure over what was read)."""
    out: list[Cut] = []
    for change, target in _written(facts):
        at = parse_time(change.get("at"))
        hit = drained(_annotations(facts, change, target))
        if at is None or hit is None:
            continue
        rolled = _rollout_behind(facts, target, _fronted(facts, target), at)
        if rolled is None:
            continue
        key, value, what = hit
        evidence = [e for obj, e in facts.objects if (obj.get("metadata") or {}).get("name") == target.name
                    and (obj.get("metadata") or {}).get("namespace") == target.namespace]
        out.append(Cut(target, change, what, key, value, rolled[0], rolled[1],
                       [e for e in (facts.changes_id, *evidence) if e]))
    return out


def finding(cut: Cut, now: datetime) -> dict[str, Any]:
    """The written object's finding: the setting, who wrote it when, and the rollout that then lost requests."""
    written = parse_time(cut.change.get("at")) or now
    manager = written_by(cut.change) or "its writer"
    message = (f"{cut.target} was written by {manager} {minutes_text(int((now - written).total_seconds() // 60))} "
               f"before the alert: {cut.key} = '{cut.value}' leaves {cut.setting} at nothing, so the load balancer "
               "stops draining a target: it drops a pod the moment it is deregistered, and requests in flight (or "
               "routed to it before the controller removes it) get 502 or a reset at every rollout. "
               f"{cut.rollout} behind it rolled out {minutes_text(int((now - cut.rollout_at).total_seconds() // 60))}"
               " before the alert. Restore a draining period longer than the slowest request (AWS's default "
               "deregistration_delay is 300 s) and keep a preStop delay on the pods")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": cut.target.kind, "namespace": cut.target.namespace, "name": cut.target.name},
            "reason": "LoadBalancerDrainingDisabled", "message": message,
            "evidence": [str(d) for d in (cut.change.get("diff") or [])[:2]],
            "details": {"change_at": cut.change.get("at"), "key": cut.key, "value": cut.value,
                        "rollout": str(cut.rollout)}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the written object, its finding, evidence ids, the rollout that showed it) for `agent.triage.behind`."""
    return [(c.target, finding(c, facts.at), c.evidence, [c.rollout]) for c in found(facts)]
