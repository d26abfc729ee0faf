"""A load-balancing policy written to pin requests by a key, now piling one key's load onto one pod.

Consistent hashing and sticky sessions send every request that carries the same key to the same endpoint:
Envoy Gateway's BackendTrafficPolicy `spec.loadBalancer.type: ConsistentHash` (on a header, a cookie or the
source IP), Istio's DestinationRule `trafficPolicy.loadBalancer.consistentHash` (`httpHeaderName`,
`httpCookie`, `useSourceIp`, `httpQueryParameterName`), ingress-nginx's `upstream-hash-by` and
`affinity: cookie` annotations, Contour's HTTPProxy `loadBalancerPolicy.strategy: RequestHash|Cookie`, Gateway
API's `sessionPersistence`, Traefik's `sticky` and a Service's `sessionAffinity: ClientIP`. That is right for
caches keyed by the same value and wrong when the keys are few or one is big (a large tenant, a NAT gateway's
single IP): that key's pod runs at its CPU limit while its siblings idle, and only the requests of that key are
slow (p99 up, p50 flat, no error anywhere). The write alone is no cause; this module confirms it with what
the hashing left behind: the per-pod load (CPU, request rate) of the workloads the policy balances, skewed
when one pod carries `topology_routing.SKEW` times its even share. Reading only.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from agent.triage import topology_routing
from agent.triage.facts import Facts, Ref, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import workload_of_pod

CHECK = "change.hash_balance"
WEIGHT = 0.9
"""A policy write confirmed by the skew it makes: as strong as zone-local routing confirmed the same way."""
LEAD = timedelta(hours=6)
READS = "hash_balance"
KINDS = ("BackendTrafficPolicy", "DestinationRule", "Ingress", "Service", "HTTPProxy", "HTTPRoute", "GRPCRoute",
         "TraefikService", "IngressRoute")
MAX_POLICIES = 3
NGINX = "nginx.ingress.kubernetes.io/"
Call = Callable[..., Awaitable[Any]]


@dataclass
class Pin:
    """How a policy pins requests: the hashing it set and the key it hashes on."""

    how: str
    key: str

    def text(self) -> str:
        return f"{self.how} on {self.key}" if self.key else self.how


def _key_of_envoy(hashing: dict[str, Any]) -> str:
    """Envoy Gateway's consistentHash block: `type: Header|Cookie|SourceIP` with `header.name`/`cookie.name`."""
    kind = str(hashing.get("type") or "SourceIP")
    name = ((hashing.get("header") or {}).get("name") or (hashing.get("cookie") or {}).get("name")
            or next((h.get("name") for h in hashing.get("headers") or [] if isinstance(h, dict)), None))
    return f"{kind.lower()} {name}" if name else ("the client source IP" if kind == "SourceIP" else kind)


def _key_of_istio(hashing: dict[str, Any]) -> str:
    """Istio's consistentHash: one of httpHeaderName, httpCookie.name, useSourceIp, httpQueryParameterName."""
    if hashing.get("httpHeaderName"):
        return f"header {hashing['httpHeaderName']}"
    if (hashing.get("httpCookie") or {}).get("name"):
        return f"cookie {hashing['httpCookie']['name']}"
    if hashing.get("httpQueryParameterName"):
        return f"query parameter {hashing['httpQueryParameterName']}"
    return "the client source IP" if hashing.get("useSourceIp") else "a request key"


def _walk(node: Any, key: str) -> list[dict[str, Any]]:
    """Every dict value under `key` anywhere in `node` (port-level and subset policies sit deeper)."""
    out: list[dict[str, Any]] = []
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key and isinstance(v, dict):
                out.append(v)
            out += _walk(v, key)
    elif isinstance(node, list):
        for v in node:
            out += _walk(v, key)
    return out


_HAPROXY_BALANCE = ("haproxy.org/load-balance", "haproxy-ingress.github.io/balance-algorithm",
                    "ingress.kubernetes.io/balance-algorithm")
"""HAProxy's `balance` algorithm as its ingress controllers take it (HAProxy Technologies', jcmoraisjr's)."""
_HAPROXY_PINS = re.compile(r"^\s*(source|hdr\(([^)]*)\)|uri|url_param\s+(\S+)|rdp-cookie(?:\((\w+)\))?|hash\s+(.+))",
                           re.I)
"""HAProxy algorithms that send every request of one key to one server (not roundrobin/leastconn/random/first)."""
_HAPROXY_COOKIE = ("haproxy.org/cookie-persistence", "haproxy-ingress.github.io/affinity")
_STICKINESS = ("alb.ingress.kubernetes.io/target-group-attributes",
               "service.beta.kubernetes.io/aws-load-balancer-target-group-attributes")
"""AWS Load Balancer Controller's target group attributes (ALB on an Ingress, NLB on a Service): `stickiness.enabled=
true` pins a client (its `stickiness.type`: lb_cookie, app_cookie, source_ip) to one target, a pod in IP mode."""


def _annotated(annotations: dict[str, Any]) -> Pin | None:
    """Key pinning set by an annotation another controller reads on an Ingress or Service: HAProxy's balance
    algorithm or cookie persistence, AWS target group stickiness."""
    for name in _HAPROXY_BALANCE:
        m = _HAPROXY_PINS.match(str(annotations.get(name) or ""))
        if m:
            key = (f"header {m.group(2)}" if m.group(2) else f"query parameter {m.group(3)}" if m.group(3)
                   else "the client source IP" if m.group(1).lower() == "source" else m.group(1))
            return Pin(f"balance {m.group(1).strip()}", key)
    for name in _HAPROXY_COOKIE:
        value = str(annotations.get(name) or "")
        if value and value.lower() not in ("false", "none"):
            return Pin("sticky session (cookie persistence)", f"cookie {value if value != 'cookie' else 'generated'}")
    for name in _STICKINESS:
        attributes = dict(p.split("=", 1) for p in re.split(r"\s*,\s*", str(annotations.get(name) or "")) if "=" in p)
        if attributes.get("stickiness.enabled", "").lower() == "true":
            kind = attributes.get("stickiness.type", "lb_cookie")
            return Pin(f"target group stickiness ({kind})", "the client source IP" if kind == "source_ip"
                       else f"cookie {attributes.get('stickiness.app_cookie.cookie_name') or 'AWSALB'}")
    return None


def pinning(obj: dict[str, Any]) -> Pin | None:
    """The key-pinning load balancing an object sets, by its kind's documented fields; None when it balances
    freely (round robin, least request, random) or sets nothing."""
    kind, spec = str(obj.get("kind") or ""), obj.get("spec") or {}
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    if kind == "BackendTrafficPolicy":
        lb = spec.get("loadBalancer") or {}
        if str(lb.get("type") or "") == "ConsistentHash":
            return Pin("ConsistentHash", _key_of_envoy(lb.get("consistentHash") or {}))
    elif kind == "DestinationRule":
        for lb in _walk(spec, "loadBalancer"):
            if isinstance(lb.get("consistentHash"), dict):
                return Pin("consistentHash", _key_of_istio(lb["consistentHash"]))
    elif kind == "Ingress":
        if annotations.get(NGINX + "upstream-hash-by"):
            return Pin("upstream-hash-by", str(annotations[NGINX + "upstream-hash-by"]))
        if str(annotations.get(NGINX + "affinity") or "").lower() == "cookie":
            return Pin("sticky session (affinity: cookie)",
                       f"cookie {annotations.get(NGINX + 'session-cookie-name') or 'INGRESSCOOKIE'}")
        return _annotated(annotations)
    elif kind == "Service":
        if str(spec.get("sessionAffinity") or "") == "ClientIP":
            return Pin("sessionAffinity ClientIP", "the client source IP")
        return _annotated(annotations)
    elif kind == "HTTPProxy":
        for policy in _walk(spec, "loadBalancerPolicy"):
            strategy = str(policy.get("strategy") or "")
            if strategy in ("RequestHash", "Cookie"):
                keys = [str((p.get("headerHashOptions") or {}).get("headerName") or (p.get(
                    "queryParameterHashOptions") or {}).get("parameterName") or "") for p in
                    policy.get("requestHashPolicies") or [] if isinstance(p, dict)]
                return Pin(strategy, next((f"header {k}" for k in keys if k), "a request key" if strategy ==
                                          "RequestHash" else "cookie X-Contour-Session-Affinity"))
    elif kind in ("HTTPRoute", "GRPCRoute"):
        for persistence in _walk(spec, "sessionPersistence"):
            return Pin("sessionPersistence", f"{str(persistence.get('type') or 'Cookie').lower()} "
                       f"{persistence.get('sessionName') or ''}".strip())
    elif kind in ("TraefikService", "IngressRoute"):
        for sticky in _walk(spec, "sticky"):
            cookie: dict[str, Any] = sticky["cookie"] if isinstance(sticky.get("cookie"), dict) else {}
            return Pin("sticky session", f"cookie {cookie.get('name') or 'generated'}")
    return None


def _host_service(host: str, namespace: str) -> tuple[str, str]:
    """An Istio host (`svc`, `svc.ns`, `svc.ns.svc.cluster.local`) as (Service, namespace)."""
    parts = host.split(".")
    return parts[0], parts[1] if len(parts) > 1 and parts[1] != "svc" else namespace


def backend_names(obj: dict[str, Any]) -> tuple[list[str], str, list[tuple[str, str]]]:
    """The Services an object balances directly, the namespace they live in, and the routes (kind, name) it
    targets whose backends are the ones balanced (Envoy Gateway attaches its policy to a route or a Gateway)."""
    kind, spec = str(obj.get("kind") or ""), obj.get("spec") or {}
    namespace = str((obj.get("metadata") or {}).get("namespace") or "")
    if kind == "Service":
        return [str((obj.get("metadata") or {}).get("name") or "")], namespace, []
    if kind == "DestinationRule" and spec.get("host"):
        name, ns = _host_service(str(spec["host"]), namespace)
        return [name], ns, []
    if kind == "BackendTrafficPolicy":
        refs = list(spec.get("targetRefs") or []) + ([spec["targetRef"]] if spec.get("targetRef") else [])
        return [], namespace, [(str(r.get("kind")), str(r.get("name"))) for r in refs
                               if isinstance(r, dict) and str(r.get("kind")) in ("HTTPRoute", "GRPCRoute")]
    names = {str(v.get("name")) for key in ("service", "services", "backendRefs") for v in _walk_list(spec, key)
             if v.get("name")}
    return sorted(names), namespace, []


def _walk_list(node: Any, key: str) -> list[dict[str, Any]]:
    """Every dict under `key` (itself a dict, or each dict of a list) anywhere in `node`."""
    out: list[dict[str, Any]] = []
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key:
                out += [v] if isinstance(v, dict) else [x for x in v if isinstance(x, dict)] if isinstance(
                    v, list) else []
            out += _walk_list(v, key)
    elif isinstance(node, list):
        for v in node:
            out += _walk_list(v, key)
    return out


@dataclass
class Pinned:
    """A key-pinning policy written shortly before the incident, and the pod its hashing overloaded."""

    policy: Ref
    change: dict[str, Any]
    pin: Pin
    workload: str
    pod: str
    load: str
    minutes_before: int
    evidence: list[str] = field(default_factory=list)


def candidates(facts: Facts) -> list[tuple[dict[str, Any], Ref]]:
    """Recent writes to an object of a kind that can set key-pinning load balancing."""
    return facts.recent_writes(KINDS, LEAD)[:MAX_POLICIES]


def _groups(values: dict[str, float], pods: set[str]) -> dict[str, dict[str, float]]:
    """Per-pod values split by workload (a Deployment's replicas compared with each other, never with a
    neighbour), limited to the balanced Services' pods when those are known."""
    out: dict[str, dict[str, float]] = {}
    for pod, value in values.items():
        if not pods or pod in pods:
            out.setdefault(workload_of_pod(pod), {})[pod] = value
    return out


def hot_pod(loads: dict[str, dict[str, float]], pods: set[str]) -> tuple[str, str, str] | None:
    """(workload, pod, sentence) for the replica carrying `SKEW` times its even share of a load, else None."""
    for name, values in loads.items():
        for workload, mine in sorted(_groups(values, pods).items()):
            hit = topology_routing.skew(mine, set())
            if hit and hit[1] >= topology_routing.SKEW:
                total = sum(mine.values())
                rest = sorted(v for p, v in mine.items() if p != hit[0])
                return workload, hit[0], (f"{hit[0]} carries {100 * mine[hit[0]] / total:.0f}% of {workload}'s "
                                          f"{name} across {len(mine)} pods ({hit[1]:.1f}x its even share; the "
                                          f"others {', '.join(f'{v:.3g}' for v in rest[:4])})")
    return None


def found(facts: Facts) -> list[Pinned]:
    """Each recent key-pinning policy whose balanced workload has one hot replica while its siblings idle."""
    out: list[Pinned] = []
    store = facts.reads.get(READS) or {}
    for change, policy in candidates(facts):
        got = store.get(str(policy))
        if not got or not got.get("pin"):
            continue
        hit = hot_pod(got.get("load") or {}, set(got.get("pods") or []))
        if hit is None:
            continue
        at = parse_time(change.get("at"))
        out.append(Pinned(policy, change, Pin(**got["pin"]), hit[0], hit[1], hit[2],
                          int((facts.at - at).total_seconds() // 60) if at else 0,
                          [e for e in [facts.changes_id or "", *got.get("evidence", [])] if e]))
    return out


def finding(p: Pinned) -> dict[str, Any]:
    """What the policy now does (the hashing and its key), the one pod it overloaded, and the fix."""
    message = (f"{p.policy} set load balancing to {p.pin.text()} {p.minutes_before} min before the incident: "
               f"every request with the same {p.pin.key or 'key'} now goes to one pod, so a big key's traffic "
               f"piles onto one pod of {p.workload} while its siblings idle: {p.load}. Requests of that key are "
               "slow (p99 up, p50 normal) with no error elsewhere. Revert to LeastRequest / round robin (or "
               "hash on a finer key)")
    return {"check": CHECK, "severity": "critical", "object": p.change.get("object"), "reason": "HashPinnedLoad",
            "message": message, "evidence": [p.load[:200], p.pin.text()[:200]],
            "details": {"how": p.pin.how, "key": p.pin.key, "pod": p.pod, "workload": p.workload,
                        "change_at": p.change.get("at")}}


_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")


async def _service_pods(call: Call, names: list[str], namespace: str) -> list[str]:
    """The pods behind each Service (through its selector); none when a Service has no selector."""
    pods: list[str] = []
    for name in names[:3]:
        if not _NAME.match(name):
            continue
        got = await get_yaml(call, "Service", name, namespace, f"survey-hash-backend-{name}")
        selector = ((got[0].get("spec") or {}).get("selector") or {}) if got else {}
        if not selector:
            continue
        listed = await call("k8s_list", {"kind": "Pod", "namespace": namespace,
                                         "label_selector": ",".join(f"{k}={v}" for k, v in selector.items())},
                            f"survey-hash-pods-{name}")
        rows = (listed.data or {}).get("rows") or [] if listed is not None and listed.ok and isinstance(
            listed.data, dict) else []
        pods += [str(r.get("name")) for r in rows if isinstance(r, dict) and r.get("name")]
    return pods


async def read(facts: Facts, call: Call, at: str) -> None:
    """Reading only: each recent policy object; when it pins by a key, the pods it balances and their
    namespace's per-pod CPU and request rates at `at`."""
    store = facts.reads.setdefault(READS, {})
    for _, policy in candidates(facts):
        got = await get_yaml(call, policy.kind, policy.name, policy.namespace, f"survey-hash-{policy.name}")
        pin = pinning(got[0]) if got else None
        if got is None or pin is None:
            continue
        entry: dict[str, Any] = {"pin": {"how": pin.how, "key": pin.key}, "evidence": [got[1]]}
        names, namespace, routes = backend_names(got[0])
        for kind, name in routes[:2]:
            route = await get_yaml(call, kind, name, namespace, f"survey-hash-route-{name}")
            if route is not None:
                names += backend_names(route[0])[0]
                entry["evidence"].append(route[1])
        entry["pods"] = await _service_pods(call, names, namespace)
        entry["load"] = await topology_routing.per_pod_load(call, topology_routing.LOAD_QUERIES, namespace, at,
                                                            "survey-hash-load-{name}-" + policy.name,
                                                            entry["evidence"])
        store[str(policy)] = entry
