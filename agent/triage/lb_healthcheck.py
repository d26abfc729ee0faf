"""A cloud load balancer's Service annotations changed shortly before clients saw timeouts.

A Service of type LoadBalancer is configured through annotations the cloud's controller reads
(`service.beta.kubernetes.io/aws-load-balancer-*`, `service.beta.kubernetes.io/azure-load-balancer-*`,
`cloud.google.com/*`, `networking.gke.io/*`, ...) and through `externalTrafficPolicy`. An edit of the
health check (port, path, protocol) makes the controller re-configure the target group at once:
when the new check probes a port nothing on the nodes serves, every target turns unhealthy, and the
load balancer either drops all traffic or "fails open" and spreads it over every node, including
nodes without a backing pod when the policy is Local, where connections hang. The pods are healthy,
so no scan check fires; the change is the suspect, named with the values it set and, where the
Service object was read, with what the values contradict (`healthCheckNodePort`, the node ports).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from agent.triage import lb_hairpin, lb_tls_floor
from agent.triage.facts import Facts, Ref, parse_time
from agent.triage.kube_reads import get_yaml, list_names

CHECK = "change.load_balancer"
WEIGHT = 0.85

WINDOW = timedelta(hours=2)
"""How recent an annotation edit must be: the controller applies it within seconds, so its effect is prompt."""

LB_KEY = re.compile(
    r"(?:service\.beta\.kubernetes\.io/[\w.-]*load-?balancer[\w.-]*|service\.kubernetes\.io/[\w.-]+|"
    r"cloud\.google\.com/[\w.-]+|networking\.gke\.io/[\w.-]+|[\w.-]*load-?balancer[\w.-]*\.[\w.-]+/[\w.-]+|"
    r"externalTrafficPolicy|healthCheckNodePort|loadBalancerSourceRanges)", re.I)
"""Annotation keys and spec fields a cloud load-balancer controller acts on."""

_HEALTH = re.compile(r"health", re.I)
_PROXY_PROTOCOL = re.compile(r"proxy-?protocol|proxyprotocol", re.I)
"""A cloud annotation that makes the load balancer prepend a PROXY-protocol header (AWS `aws-load-balancer-proxy-
protocol: "*"`, DigitalOcean `do-loadbalancer-enable-proxy-protocol`, Hetzner `uses-proxyprotocol`, OpenStack,
Linode, Scaleway, IBM `enable-features: proxy-protocol`)."""
_OFF = ("", "false", "0", "no", "off", "disabled", "none")
_CONTROLLER_KEYS = ("use-proxy-protocol", "enable-proxy-protocol", "proxy-protocol")
"""Controller ConfigMap keys saying the listener parses the PROXY header (ingress-nginx, NGINX Inc., HAProxy)."""
_TARGET_IP = re.compile(r"target-type$|backend-type$|neg$", re.I)


@dataclass
class LbChange:
    """A change to a load-balanced Service's controller settings, with the values read back from the object."""

    change: dict[str, Any]
    target: Ref
    keys: list[str]
    minutes_before: int
    values: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    evidence_id: str | None = None


def _keys(change: dict[str, Any]) -> list[str]:
    text = " ".join([str(change.get("summary") or ""), *(str(d) for d in change.get("diff") or [])])
    return list(dict.fromkeys(m.group(0) for m in LB_KEY.finditer(text)))


LOCAL_WINDOW = timedelta(hours=24)
"""How old a switch to externalTrafficPolicy Local may be when the Service's pods moved after it: its harm waits for
the next time the pods change nodes."""
_TO_LOCAL = re.compile(r"externalTrafficPolicy\b.*(?:now '?Local|-> '?Local)")
_WORKLOADS = ("Deployment", "DaemonSet", "StatefulSet", "Rollout")


def moved_after(facts: Facts, change: dict[str, Any], target: Ref) -> dict[str, Any] | None:
    """A rollout, after a switch of the Service `target` to externalTrafficPolicy Local and before the alert, of a
    workload in its namespace that the timeline relates to the Service, or whose name is one of the Service's
    selector values when the Service was read (`app: ingress-gw` selects Deployment ingress-gw): its pods changed
    nodes while the load balancer still sent to the old nodes."""
    at = parse_time(change.get("at"))
    if at is None or not _TO_LOCAL.search(" ".join(str(d) for d in change.get("diff") or [])):
        return None
    read = _service(facts, target)
    selector = ((read[0].get("spec") or {}).get("selector") or {}) if read else {}
    names = {str(v) for v in selector.values()} or {target.name}
    for other in facts.change_list():
        ref, when = Ref.of(other.get("object")), parse_time(other.get("at"))
        if ref is None or when is None or ref.kind not in _WORKLOADS or ref.namespace != target.namespace:
            continue
        related = [r for x in other.get("related") or [] if (r := Ref.of(x)) is not None]
        if at < when <= facts.at and (ref.name in names or any(r.same_object(target) for r in related)):
            return other
    return None


def _candidates(facts: Facts) -> list[tuple[dict[str, Any], Ref, list[str]]]:
    out: list[tuple[dict[str, Any], Ref, list[str]]] = []
    for change in facts.change_list():
        at, target = parse_time(change.get("at")), Ref.of(change.get("object"))
        if at is None or target is None or target.kind.lower() != "service":
            continue
        recent = facts.at - WINDOW <= at <= facts.at
        if not recent and not (facts.at - LOCAL_WINDOW <= at <= facts.at and moved_after(facts, change, target)):
            continue
        keys = _keys(change)
        if keys and not any(t.same_object(target) for _, t, _ in out):
            out.append((change, target, keys))
    return out


def _service(facts: Facts, target: Ref) -> tuple[dict[str, Any], str] | None:
    for obj, evidence_id in facts.objects:
        meta = obj.get("metadata") or {}
        if obj.get("kind") == "Service" and meta.get("name") == target.name and \
                (meta.get("namespace") or "") == target.namespace:
            return obj, evidence_id
    return None


async def read_services(facts: Facts, call: Callable[..., Awaitable[Any]]) -> None:
    """Reading only: the Services whose load-balancer settings changed in the window, as YAML."""
    for _, target, keys in _candidates(facts)[:2]:
        got = await get_yaml(call, "Service", target.name, target.namespace, f"survey-lb-service-{target.name}")
        if got is not None and got[0].get("kind") == "Service":
            facts.objects.append(got)
        if any(_PROXY_PROTOCOL.search(k) for k in keys):
            await _read_controller_configs(facts, call, target)


MAX_CONFIG_READS = 3


async def _read_controller_configs(facts: Facts, call: Callable[..., Awaitable[Any]], target: Ref) -> None:
    """Reading only: the ConfigMaps beside a Service whose PROXY-protocol switch changed, the controller's own
    first (named like the Service, or a controller's): whether the listener expects the header is said there."""
    listed = await list_names(call, "ConfigMap", target.namespace, f"survey-lb-configmaps-{target.name}")
    if listed is None:
        return
    stem = target.name.split("-")[0]
    names = sorted(listed[0], key=lambda n: (n != target.name, "controller" not in n, stem not in n, n))
    for name in [n for n in names if n != "kube-root-ca.crt"][:MAX_CONFIG_READS]:
        got = await get_yaml(call, "ConfigMap", name, target.namespace, f"survey-lb-configmap-{name}")
        if got is not None and got[0].get("kind", "ConfigMap") == "ConfigMap":
            facts.objects.append(({"kind": "ConfigMap", **got[0]}, got[1]))


SOURCE_IP_LOST = (
    "kube-proxy SNATs the traffic, so backends see node IPs, not the clients' source IP: IP allowlists "
    "(whitelist-source-range, a WAF, the application's) refuse allowlisted clients with 403 and per-IP rate limits "
    "count all clients as one")
"""What switching a LoadBalancer Service from Local to Cluster does to everything keyed on the client's address."""


def _proxy_protocol(values: dict[str, str], controller_parses: bool | None) -> list[str]:
    """What a PROXY-protocol switch on the load balancer means when the listener behind it was not switched too:
    the two ends of the pair must agree. Turned on, the LB prepends `PROXY TCP4 <src> <dst> ...` to every
    connection; a controller not told to expect it (ingress-nginx `use-proxy-protocol`, Traefik entryPoint
    `proxyProtocol`, Envoy's proxy_protocol listener filter) reads that line as the request and answers 400 Bad
    Request to every request. `controller_parses` is what the controller's ConfigMap says, when it was read:
    True means the pair agrees, so the switch is no contradiction."""
    on = [k for k, v in values.items() if _PROXY_PROTOCOL.search(k) and v.strip().lower() not in _OFF]
    if not on or controller_parses:
        return []
    return ["proxy protocol mismatch: the load balancer now sends a PROXY protocol header but the ingress "
            "controller is not set to parse it (use-proxy-protocol not 'true' in its ConfigMap): it reads "
            "'PROXY TCP4 ...' as the request line and answers 400 Bad Request to every request; set "
            "use-proxy-protocol: 'true' (Traefik entryPoint proxyProtocol) or revert the annotation"]


def controller_parses_proxy(facts: Facts, namespace: str) -> bool | None:
    """Whether a controller ConfigMap read in the Service's namespace enables PROXY-protocol parsing (None: no
    such ConfigMap was read, so nothing is known)."""
    seen: bool | None = None
    for obj, _ in facts.objects:
        meta = obj.get("metadata") or {}
        if obj.get("kind") != "ConfigMap" or (meta.get("namespace") or "") != namespace:
            continue
        for key in _CONTROLLER_KEYS:
            value = (obj.get("data") or {}).get(key)
            if value is not None:
                seen = seen or str(value).strip().lower() == "true"
    return seen


def _contradictions(obj: dict[str, Any], values: dict[str, str], controller_parses: bool | None = None) -> list[str]:
    """What the changed health-check settings (`values`) contradict in the Service itself, in words. With IP
    targets the load balancer reaches the pods directly, so a port of the pods is no contradiction."""
    spec = obj.get("spec") or {}
    local = str(spec.get("externalTrafficPolicy") or "") == "Local"
    hc_node_port = spec.get("healthCheckNodePort")
    node_ports = {int(p["nodePort"]) for p in spec.get("ports") or [] if isinstance(p, dict)
                  and isinstance(p.get("nodePort"), int)}
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    ip_targets = any(_TARGET_IP.search(str(k)) and str(v).lower() in ("ip", "true") for k, v in annotations.items())
    out: list[str] = _proxy_protocol(values, controller_parses)
    for key, value in values.items():
        if not (_HEALTH.search(key) and key.lower().endswith("port")) or not value.isdigit():
            continue
        port = int(value)
        if ip_targets or port in node_ports or port == hc_node_port:
            continue
        where = f"its healthCheckNodePort is {hc_node_port}" if local and hc_node_port else \
            f"its node ports are {', '.join(str(p) for p in sorted(node_ports))}" if node_ports else ""
        out.append(f"every target is unhealthy: the health check probes port {port} on the nodes, which the "
                   f"Service does not serve ({where}{'; externalTrafficPolicy Local' if local else ''})")
    if local and not out and any(_HEALTH.search(k) for k in values):
        out.append("targets turn unhealthy: with externalTrafficPolicy Local only nodes running a backing pod "
                   "pass the health check, and a check elsewhere than the healthCheckNodePort fails everywhere")
    out.extend(lb_hairpin.problems({str(k): str(v) for k, v in annotations.items()}, values))
    out.extend(lb_tls_floor.problems(values))
    return out


def changes(facts: Facts) -> list[LbChange]:
    """Each recent change to a Service's load-balancer settings, with values and contradictions when read."""
    out: list[LbChange] = []
    for change, target, keys in _candidates(facts):
        at = parse_time(change.get("at"))
        minutes = int((facts.at - at).total_seconds() // 60) if at else 0
        found = LbChange(change, target, keys, minutes)
        read = _service(facts, target)
        if read is not None:
            obj, found.evidence_id = read
            if str((obj.get("spec") or {}).get("type") or "") != "LoadBalancer":
                continue  # the annotations of a ClusterIP Service configure no load balancer
            annotations = (obj.get("metadata") or {}).get("annotations") or {}
            found.values = {k: str(v) for k, v in annotations.items() if any(k in key or key.endswith(k)
                                                                             for key in keys)}
            found.problems = _contradictions(obj, found.values, controller_parses_proxy(facts, target.namespace))
            policy = str((obj.get("spec") or {}).get("externalTrafficPolicy") or "")
            if policy and any("externalTrafficPolicy" in k for k in keys):
                found.values = {"externalTrafficPolicy": policy, **found.values}
                if policy == "Cluster":
                    found.problems.insert(0, SOURCE_IP_LOST)
                moved = moved_after(facts, change, target) if policy == "Local" else None
                if moved is not None:
                    found.problems.insert(0, _stale_targets(obj, moved, facts))
        out.append(found)
    out.sort(key=lambda c: not c.problems)
    return out


def _stale_targets(obj: dict[str, Any], moved: dict[str, Any], facts: Facts) -> str:
    """What a switch to Local does when the backing pods then move: said with the workload and when it rolled."""
    port = (obj.get("spec") or {}).get("healthCheckNodePort")
    at = parse_time(moved.get("at"))
    when = f" {int((facts.at - at).total_seconds() // 60)} min before the alert" if at else ""
    ref = Ref.of(moved.get("object"))
    return ("stale targets: with externalTrafficPolicy Local the load balancer sends only to nodes running a ready "
            f"backing pod, which it learns from the healthCheckNodePort{f' {port}' if port else ''} checks with a "
            f"delay, and the pods moved after the switch ({ref} rolled{when}): connections still sent to nodes "
            "that no longer hold a pod are reset or dropped until the checks catch up, at every rollout; set "
            "externalTrafficPolicy Cluster (or use IP targets) or keep pods from moving between nodes")


def finding(found: LbChange) -> dict[str, Any]:
    """The suspect's finding: which load-balancer settings changed, to what, and what that breaks (the first 400
    characters carry the facts: ranking quotes no more)."""
    values = sorted(found.values.items(), key=lambda kv: not ((_HEALTH.search(kv[0]) and kv[0].endswith("port"))
                                                              or _PROXY_PROTOCOL.search(kv[0])))
    set_to = ", ".join(f"{k.rsplit('/', 1)[-1]}={v!r}" for k, v in values[:2]) or \
        ", ".join(k.rsplit("/", 1)[-1] for k in found.keys[:3])
    what = "; ".join(found.problems) if found.problems else (
        "the cloud controller re-configures the load balancer within seconds; targets failing the new health check "
        "are unhealthy and connections through them hang or time out")
    message = (f"{found.target}: load-balancer settings changed {found.minutes_before} min before the alert "
               f"({set_to}): {what}")
    tls = any(lb_tls_floor.floor(k, v) for k, v in found.values.items())
    stale = bool(found.problems) and found.problems[0].startswith("stale targets")
    evidence = [str(found.change.get("summary") or "")[:200],
                "restore the TLS policy the clients negotiate and watch the load balancer's TLS negotiation errors"
                if tls else "set externalTrafficPolicy back to Cluster (or use IP targets) and watch the resets stop "
                "at the next rollout" if stale else "revert the annotation (or point the health check at the traffic "
                "port / healthCheckNodePort) and watch the target group's healthy host count"]
    return {"check": CHECK, "severity": "critical", "object": found.change.get("object"),
            "reason": "LoadBalancerSettingsChanged", "message": message, "evidence": evidence,
            "details": {"keys": found.keys[:6], "values": found.values, "change_at": found.change.get("at")}}
