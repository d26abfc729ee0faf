"""Where a container's limit came from: admission set it, the workload's template did not.

A container OOMKilled at a memory limit its Deployment never set looks like a workload that needs
more memory; the fix is elsewhere. Admission plugins rewrite pods on CREATE, after the template:

* the LimitRanger plugin fills the `default` / `defaultRequest` of a namespace's LimitRange into
  containers that set none, and says so in the pod annotation `kubernetes.io/limit-ranger`
  ("LimitRanger plugin set: cpu, memory limit for container app");
* the VerticalPodAutoscaler admission controller writes its recommendation (`vpaUpdates`:
  "Pod resources updated by <vpa>: container 0: cpu request, memory limit");
* policy engines' mutating webhooks leave their own annotations (Kyverno's
  `policies.kyverno.io/last-applied-patches`, Gatekeeper's `gatekeeper.sh/mutations`).

The check compares each live pod's container resources with its owner's pod template. A value the
template does not hold, on a container that suffers from exactly that resource (OOMKilled for a
memory limit), is a finding on the *injector*, naming the value, the container, the workload and
the annotation that proves the source. Without an annotation naming a source, a mutating webhook
that intercepts pod creation in that namespace is named as the likely writer (warning).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from mcp_servers.kubernetes.health import parse_quantity, parse_ts
from mcp_servers.kubernetes.scan.checks.base import clip, iso, meta, name_of, ns_of
from mcp_servers.kubernetes.scan.model import ObjectRef, ScanFinding
from mcp_servers.kubernetes.scan.snapshot import Snapshot

CHECK_IDS = ("limits.injected",)

LIMIT_RANGER = "kubernetes.io/limit-ranger"
VPA_UPDATES = "vpaUpdates"
KYVERNO_PATCHES = "policies.kyverno.io/last-applied-patches"
GATEKEEPER_MUTATIONS = "gatekeeper.sh/mutations"

_VPA_NAME = re.compile(r"updated by ([a-z0-9][a-z0-9.-]*)", re.I)

_INSUFFICIENT = re.compile(r"Insufficient (cpu|memory|ephemeral-storage)\b")
"""The scheduler's words for a request no node can fit (FailedScheduling, PodScheduled=False)."""


def _template_containers(snap: Snapshot, pod: dict[str, Any]) -> tuple[dict[str, dict[str, Any]], ObjectRef] | None:
    """The pod template's containers by name, and the top-level workload, from the pod's controller."""
    refs = meta(pod).get("ownerReferences") or []
    chosen = next((r for r in refs if r.get("controller")), refs[0] if refs else None)
    if not chosen:
        return None
    parent = snap.get(str(chosen.get("kind") or ""), ns_of(pod), str(chosen.get("name") or ""))
    if parent is None:
        return None
    template = ((parent.get("spec") or {}).get("template") or {}).get("spec") or {}
    by_name = {str(c.get("name")): c for c in [*(template.get("containers") or []),
                                                *(template.get("initContainers") or [])]}
    owner = snap.owner_of(pod) or ObjectRef(kind=str(chosen["kind"]), namespace=ns_of(pod), name=str(chosen["name"]))
    return by_name, owner


def _injected(live: dict[str, Any], template: dict[str, Any]) -> dict[str, str]:
    """`{"memory limit": "256Mi", ...}`: the live container's values its template does not set (or sets otherwise)."""
    out = {}
    for section, word in (("limits", "limit"), ("requests", "request")):
        have = (live.get("resources") or {}).get(section) or {}
        want = (template.get("resources") or {}).get(section) or {}
        for resource, value in have.items():
            if resource not in want or parse_quantity(want[resource]) != parse_quantity(value):
                out[f"{resource} {word}"] = str(value)
    return out


def _suffering(snap: Snapshot, pod: dict[str, Any], container: str) -> dict[str, Any] | None:
    """What the container suffers that a value admission gave it explains, with the fields that explain it: killed
    at its memory limit (OOMKilled: `memory limit`), or its pod unschedulable for a resource no node has left
    (Insufficient cpu: `cpu request`); None when neither."""
    for cs in (pod.get("status") or {}).get("containerStatuses") or []:
        if cs.get("name") != container:
            continue
        for state in ((cs.get("state") or {}).get("terminated"), (cs.get("lastState") or {}).get("terminated")):
            if state and state.get("reason") == "OOMKilled":
                return {**state, "restarts": cs.get("restartCount", 0), "fields": {"memory limit"},
                        "what": "the container is OOMKilled at that limit"}
    status = pod.get("status") or {}
    if status.get("phase") != "Pending" or (pod.get("spec") or {}).get("nodeName"):
        return None
    said = " ".join([str(c.get("message") or "") for c in status.get("conditions") or []
                     if c.get("type") == "PodScheduled" and c.get("status") == "False"]
                    + [e.message for e in snap.events_for("Pod", ns_of(pod), name_of(pod))
                       if e.reason == "FailedScheduling"])
    short = sorted(set(_INSUFFICIENT.findall(said)))
    if not short:
        return None
    return {"reason": "FailedScheduling", "restarts": 0, "fields": {f"{r} request" for r in short},
            "what": f"the pod cannot be scheduled: Insufficient {', '.join(short)}"}


def _explains(snap: Snapshot, field: str, value: str, template: dict[str, Any]) -> bool:
    """Whether the injected value can be what hurts: any limit (the kill is at it); a request only when it is
    larger than the template's own, or, where the template sets none, larger than any listed node can allocate
    (a small default on a full cluster is not the cause of its being full)."""
    resource, word = field.split(" ", 1)
    if word == "limit":
        return True
    own = ((template.get("resources") or {}).get("requests") or {}).get(resource)
    if own is not None:
        return parse_quantity(value) > parse_quantity(own)
    sizes = [parse_quantity(((n.get("status") or {}).get("allocatable") or {}).get(resource))
             for n in snap.items("Node")]
    return bool(sizes) and parse_quantity(value) > max(sizes)


def _limit_range(snap: Snapshot, namespace: str, field: str, value: str) -> dict[str, Any] | None:
    """The namespace's LimitRange whose Container default gives `field` this value (the newest if several)."""
    resource, word = field.split(" ", 1)
    key = "default" if word == "limit" else "defaultRequest"
    found = []
    for lr in snap.items("LimitRange"):
        if ns_of(lr) != namespace:
            continue
        for item in (lr.get("spec") or {}).get("limits") or []:
            if item.get("type") not in ("Container", None):
                continue
            given = (item.get(key) or {}).get(resource)
            if given is None and key == "defaultRequest":  # a request defaults to the default limit
                given = (item.get("default") or {}).get(resource)
            if given is not None and parse_quantity(given) == parse_quantity(value):
                found.append(lr)
    return max(found, key=lambda o: str(meta(o).get("creationTimestamp") or ""), default=None)


def _vpa(snap: Snapshot, namespace: str, annotation: str, owner: ObjectRef, resource: str) -> ObjectRef | None:
    """The VPA the annotation names, else one in a mode that writes pods that targets the owner and controls
    `resource`."""
    named = _VPA_NAME.search(annotation)
    if named:
        return ObjectRef(kind="VerticalPodAutoscaler", namespace=namespace, name=named.group(1))
    for vpa in snap.items("VerticalPodAutoscaler"):
        spec = vpa.get("spec") or {}
        target = spec.get("targetRef") or {}
        mode = str((spec.get("updatePolicy") or {}).get("updateMode") or "Auto")
        policies = (spec.get("resourcePolicy") or {}).get("containerPolicies") or [{}]
        controls = any(resource in (p.get("controlledResources") or ["cpu", "memory"]) for p in policies
                       if p.get("mode") != "Off")
        if ns_of(vpa) == namespace and target.get("name") == owner.name and mode != "Off" and controls:
            return ObjectRef(kind="VerticalPodAutoscaler", namespace=namespace, name=name_of(vpa))
    return None


def _webhook(snap: Snapshot, namespace: str, annotations: dict[str, Any]) -> tuple[ObjectRef, str] | None:
    """The mutating webhook that rewrote the pod: named by a policy engine's annotation, or the only
    MutatingWebhookConfiguration intercepting pod CREATE that can reach this namespace."""
    for key in (KYVERNO_PATCHES, GATEKEEPER_MUTATIONS):
        if annotations.get(key):
            said = clip(f"{key}: {annotations[key]}", 180)
            engine = next((w for w in snap.items("MutatingWebhookConfiguration")
                           if key.split("/")[0].split(".")[-2] in name_of(w).lower()), None)
            name = name_of(engine) if engine else key.split("/")[0]
            return ObjectRef(kind="MutatingWebhookConfiguration", name=name), said
    candidates = []
    for config in snap.items("MutatingWebhookConfiguration"):
        for hook in config.get("webhooks") or []:
            rules = hook.get("rules") or []
            if any(("pods" in (r.get("resources") or []) or "*" in (r.get("resources") or []))
                   and ({"CREATE", "*"} & set(r.get("operations") or [])) for r in rules) \
                    and not _excludes(hook, namespace):
                candidates.append((config, hook))
                break
    if len(candidates) != 1:
        return None
    config, hook = candidates[0]
    return (ObjectRef(kind="MutatingWebhookConfiguration", name=name_of(config)),
            f"webhook {hook.get('name')} mutates pods on CREATE")


def _excludes(hook: dict[str, Any], namespace: str) -> bool:
    """Whether a webhook's namespaceSelector plainly leaves `namespace` out (by its metadata.name label)."""
    selector = hook.get("namespaceSelector") or {}
    for expr in selector.get("matchExpressions") or []:
        if expr.get("key") == "kubernetes.io/metadata.name":
            values = set(expr.get("values") or [])
            if (expr.get("operator") == "NotIn" and namespace in values) or \
                    (expr.get("operator") == "In" and namespace not in values):
                return True
    name = (selector.get("matchLabels") or {}).get("kubernetes.io/metadata.name")
    return bool(name) and name != namespace


def _source(snap: Snapshot, pod: dict[str, Any], field: str, value: str, owner: ObjectRef,
            template: dict[str, Any]) -> tuple[ObjectRef, str, str] | None:
    """(the injector, how it gave the value, the annotation or fact that says so); `template` is the container as
    the owner's pod template has it."""
    ns = ns_of(pod)
    annotations = meta(pod).get("annotations") or {}
    resource, word = field.split(" ", 1)
    ranger = str(annotations.get(LIMIT_RANGER) or "")
    if ranger and re.search(rf"\b{re.escape(resource)}\b[^;]*\b{word}", ranger):
        lr = _limit_range(snap, ns, field, value)
        name = name_of(lr) if lr else "(not listed)"
        return (ObjectRef(kind="LimitRange", namespace=ns, name=name),
                f"its default {field} {value}" if word == "limit" else f"its default {field} (defaultRequest) {value}",
                clip(f"{LIMIT_RANGER}: {ranger}", 180))
    vpa = str(annotations.get(VPA_UPDATES) or "")
    if vpa and re.search(rf"\b{re.escape(resource)} {word}", vpa):
        by_vpa = _vpa(snap, ns, vpa, owner, resource)
        if by_vpa is not None:
            return by_vpa, f"its recommendation {field} {value}", clip(f"{VPA_UPDATES}: {vpa}", 180)
    if not ranger and not vpa:  # no annotation kept (a copied pod, an old API server): the value tells the source
        lr = _limit_range(snap, ns, field, value)
        if lr is not None and resource not in ((template.get("resources") or {}).get(word + "s") or {}):
            return (ObjectRef(kind="LimitRange", namespace=ns, name=name_of(lr)), f"its default {field} {value}",
                    f"LimitRange {name_of(lr)} defaults {field} to {value}, the value the pod runs with")
        by_vpa = _vpa(snap, ns, "", owner, resource)
        if by_vpa is not None:
            return (by_vpa, f"its recommendation {field} {value}",
                    f"{by_vpa} targets {owner} and controls {resource}")
    hook = _webhook(snap, ns, annotations)
    if hook is not None:
        return hook[0], f"a mutation setting {field} {value}", hook[1]
    return None


def run(snap: Snapshot, now: datetime) -> list[ScanFinding]:
    grouped: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for pod in snap.items("Pod"):
        if not snap.in_scope(ns_of(pod)):
            continue
        templ = None
        for container in (pod.get("spec") or {}).get("containers") or []:
            cname = str(container.get("name") or "")
            hurt = _suffering(snap, pod, cname)
            if hurt is None:
                continue
            templ = templ or _template_containers(snap, pod)
            if templ is None or cname not in templ[0]:
                break
            injected = _injected(container, templ[0][cname])
            for field in sorted(hurt["fields"]):
                if field not in injected or not _explains(snap, field, injected[field], templ[0][cname]):
                    continue
                source = _source(snap, pod, field, injected[field], templ[1], templ[0][cname])
                if source is None:
                    continue
                by, how, proof = source
                key = (str(by), str(templ[1]), cname, field)
                entry = grouped.setdefault(key, {"injector": by, "owner": templ[1], "container": cname,
                                                 "field": field, "value": injected[field], "how": how, "proof": proof,
                                                 "pods": [], "restarts": 0, "reason": hurt.get("reason"),
                                                 "what": hurt["what"],
                                                 "last": None, "template": templ[0][cname]})
                entry["pods"].append(name_of(pod))
                entry["restarts"] = max(entry["restarts"], int(hurt.get("restarts") or 0))
                finished = parse_ts(hurt.get("finishedAt"))
                if finished and (entry["last"] is None or finished > entry["last"]):
                    entry["last"] = finished
    out = []
    for (_, _, cname, field), e in grouped.items():
        owner: ObjectRef = e["owner"]
        injector: ObjectRef = e["injector"]
        template_says = ((e["template"].get("resources") or {}).get(field.split()[1] + "s") or {}).get(
            field.split()[0])
        set_in_template = f"sets {template_says}" if template_says else "sets none"
        since = None
        obj = snap.get(injector.kind, injector.namespace, injector.name)
        if obj is not None:
            since = meta(obj).get("creationTimestamp")
        message = (f"{injector} gave container {cname} of {owner} {e['how']} at admission; the template "
                   f"{set_in_template}, and {e['what']} ({len(e['pods'])} pods"
                   + (f", {e['restarts']} restarts" if e["restarts"] else "") + f"). Set the {field} in {owner.kind} "
                   f"{owner.name}'s template, or change "
                   f"{injector.kind} {injector.name}")
        out.append(ScanFinding(
            check="limits.injected", severity="critical", object=injector, reason="InjectedLimit",
            message=message,
            details={"workload": str(owner), "container": cname, "field": field, "value": e["value"],
                     "template": template_says or "", "source": injector.kind, "explains": [str(owner)],
                     "last_finished": iso(e["last"]), "created": since},
            evidence=[e["proof"], f"{owner} template: {field} {template_says or 'not set'}; pod: {e['value']}"],
            since=since, last_seen=iso(e["last"]), pods=sorted(e["pods"])[:5], count=len(e["pods"])))
    return out
