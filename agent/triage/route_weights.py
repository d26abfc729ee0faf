"""A routing object that splits traffic, written just before the incident, now sending weight to a failing backend.

Canary and blue/green releases move traffic with weights, not rollouts: Gateway API HTTPRoute/GRPCRoute
`backendRefs[].weight`, Istio VirtualService `http[].route[].weight`, SMI TrafficSplit `backends[].weight`,
Argo Rollouts `status.canary.weights`, Flagger Canary `status.canaryWeight`, and ingress-nginx's
`nginx.ingress.kubernetes.io/canary-weight` on a canary Ingress. A flipped weight sends most users to a
build that fails while every Deployment looks unchanged and healthy. This module reads each such object
written within `LEAD` (the any-kind timeline sees CRDs), splits its backends and their weights (the old
weights from last-applied when kubectl recorded it), and checks each backend that carries weight for its
own failure: its pods' error logs (through the Service's selector) or a 5xx series whose labels name it
(Envoy's `envoy_cluster_upstream_rq_xx`, Istio's `istio_requests_total`, ingress-nginx's
`nginx_ingress_controller_requests`). The finding names the object, the weights old -> new, and the
backend's own failure. Reading only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from agent.triage.facts import Facts, LogEvidence, Ref, parse_time
from agent.triage.kube_reads import get_yaml

CHECK = "change.route_weights"
WEIGHT = 0.93
"""The write that moved traffic, confirmed by the receiving backend's own failure: stronger than the victim's
symptom and than its unchanged Deployments."""
LEAD = timedelta(hours=6)
READS = "route_weights"
ROUTE_KINDS = ("HTTPRoute", "GRPCRoute", "TCPRoute", "TLSRoute", "VirtualService", "TrafficSplit", "Rollout",
               "Canary", "Ingress")
CANARY_WEIGHT = "nginx.ingress.kubernetes.io/canary-weight"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
MAX_ROUTES = 2
MAX_BACKENDS = 3
FIVE_XX = ('sum by (envoy_cluster_name, destination_service_name, service, exported_service) (rate({__name__=~'
           '"envoy_cluster_upstream_rq_xx|envoy_cluster_upstream_rq_xx_total|istio_requests_total|'
           'nginx_ingress_controller_requests",envoy_response_code_class!~"[1-4]",response_code!~"[1-4].*",'
           'status!~"[1-4].*"}[10m])) > 0')
_FAILING = re.compile(r"\b5\d\d\b|error|exception|fail|panic|refused|unavailable", re.I)
_NOT_FOUND = re.compile(r"\b404\b|not[ _-]?found|no (?:such )?route|unknown (?:path|route)", re.I)
"""How a build that lacks the paths the stable one serves answers them (often at warn level, not error): an old
preview or a half-built canary 404s a share of the users while the healthy backend serves the same requests."""
Call = Callable[..., Awaitable[Any]]
Keep = Callable[[Any, Facts], LogEvidence | None]


def backends(obj: dict[str, Any]) -> dict[str, float]:
    """The object's backends (a Service's short name, `host/subset` for Istio) and their weights, by its kind."""
    kind, spec = str(obj.get("kind") or ""), obj.get("spec") or {}
    out: dict[str, float] = {}

    def add(name: Any, weight: Any, default: float = 1.0) -> None:
        if name:
            out[str(name)] = out.get(str(name), 0.0) + float(weight if isinstance(weight, (int, float)) else default)

    if kind in ("HTTPRoute", "GRPCRoute", "TCPRoute", "TLSRoute"):
        for rule in spec.get("rules") or []:
            for ref in (rule or {}).get("backendRefs") or []:
                add((ref or {}).get("name"), (ref or {}).get("weight"))
    elif kind == "VirtualService":
        for route in (spec.get("http") or []) + (spec.get("tcp") or []) + (spec.get("tls") or []):
            dests = (route or {}).get("route") or []
            for d in dests:
                dest = (d or {}).get("destination") or {}
                host = str(dest.get("host") or "").split(".")[0]
                add(host + (f"/{dest['subset']}" if dest.get("subset") else ""), (d or {}).get("weight"),
                    100.0 if len(dests) == 1 else 0.0)
    elif kind == "TrafficSplit":
        for b in spec.get("backends") or []:
            add((b or {}).get("service"), (b or {}).get("weight"))
    elif kind == "Rollout":
        weights = ((obj.get("status") or {}).get("canary") or {}).get("weights") or {}
        for role in ("stable", "canary"):
            w = weights.get(role) or {}
            add(w.get("serviceName") or role, w.get("weight"), 0.0)
    elif kind == "Canary":
        target = str((spec.get("targetRef") or {}).get("name") or "")
        weight = (obj.get("status") or {}).get("canaryWeight")
        if target and isinstance(weight, (int, float)):
            add(f"{target}-canary", weight)
            add(f"{target}-primary", 100 - weight)
    elif kind == "Ingress":
        annotations = (obj.get("metadata") or {}).get("annotations") or {}
        if str(annotations.get("nginx.ingress.kubernetes.io/canary", "")).lower() == "true" \
                and CANARY_WEIGHT in annotations:
            for rule in spec.get("rules") or []:
                for path in ((rule or {}).get("http") or {}).get("paths") or []:
                    add((((path or {}).get("backend") or {}).get("service") or {}).get("name"),
                        float(str(annotations[CANARY_WEIGHT]) or 0))
    return out


def previous(obj: dict[str, Any]) -> dict[str, float] | None:
    """The weights kubectl's last-applied configuration records, when it does and they differ from now."""
    text = ((obj.get("metadata") or {}).get("annotations") or {}).get(LAST_APPLIED)
    try:
        last = json.loads(text) if text else None
    except ValueError:
        return None
    if not isinstance(last, dict):
        return None
    old = backends({**last, "status": obj.get("status")})
    return old if old and old != backends(obj) else None


_LEAF = re.compile(r"^(?P<path>(?:spec|metadata|status)[\w.\[\]/-]*): (?P<old>\S+) -> (?P<new>\S+)$")


def _set(obj: Any, path: str, value: Any) -> bool:
    """Set `spec.http[0].route[1].weight` in a nested object; False when the path is not there."""
    tokens = re.findall(r"[^.\[\]]+|\[\d+\]", path)
    node = obj
    for i, tok in enumerate(tokens):
        last = i == len(tokens) - 1
        key: Any = int(tok[1:-1]) if tok.startswith("[") else tok
        if isinstance(key, int) and not (isinstance(node, list) and key < len(node)):
            return False
        if isinstance(key, str) and not isinstance(node, dict):
            return False
        if last:
            node[key] = value
            return True
        node = node[key] if isinstance(key, int) else node.setdefault(key, {})
    return False


def from_diff(obj: dict[str, Any], diff: list[str]) -> dict[str, float] | None:
    """The weights before a write, rebuilt from the timeline's leaf lines (`...weight: 5 -> 95`) on the object."""
    old = json.loads(json.dumps(obj))
    moved = False
    for line in diff:
        m = _LEAF.match(line)
        if m and "weight" in m["path"].lower():
            try:
                value: Any = json.loads(m["old"])
            except ValueError:
                value = m["old"].strip("'\"")
            moved = _set(old, m["path"], value) or moved
    weights = backends(old) if moved else {}
    return weights if weights and weights != backends(obj) else None


def shares(weights: dict[str, float]) -> dict[str, float]:
    total = sum(weights.values())
    return {k: (100 * v / total if total else 0.0) for k, v in weights.items()}


def _text(weights: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:g}" for k, v in weights.items())


@dataclass
class Shifted:
    """A route written recently whose weighted backend fails on its own."""

    route: Ref
    change: dict[str, Any]
    now: dict[str, float]
    before: dict[str, float] | None
    backend: str
    proof: str
    minutes_before: int
    evidence: list[str] = field(default_factory=list)


def candidates(facts: Facts) -> list[tuple[dict[str, Any], Ref]]:
    """Recent writes to an object of a traffic-splitting kind."""
    out: list[tuple[dict[str, Any], Ref]] = []
    for change in facts.change_list():
        target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if target is None or target.kind not in ROUTE_KINDS or at is None or not timedelta(0) <= facts.at - at <= LEAD:
            continue
        if target.kind == "Ingress" and "canary" not in json.dumps(change).lower():
            continue
        if not any(t.same_object(target) for _, t in out):
            out.append((change, target))
    return out[:MAX_ROUTES]


def _log_failure(facts: Facts, pods: list[str], namespace: str) -> tuple[str, str]:
    for log in facts.logs:
        if log.namespace != namespace or log.pod not in pods:
            continue
        tops = [log.top, *log.more] if log.top else list(log.more)
        for e in tops:
            text = str((e or {}).get("message") or (e or {}).get("line") or (e or {}).get("text") or "")
            if text and _FAILING.search(text):
                return f"{log.namespace}/{log.pod} logs '{text[:160]}'", log.evidence_id
    return "", ""


def _lines(log: LogEvidence) -> list[str]:
    """Every line the survey kept of one pod's logs: its errors, its warnings and its last words."""
    entries = [e for e in [log.top, *log.more, *log.warnings] if isinstance(e, dict)]
    texts = [str(e.get("message") or e.get("line") or e.get("text") or "") for e in entries]
    return [t for t in texts + list(log.last_lines) if t]


def _not_found(facts: Facts, pods: list[str], namespace: str) -> tuple[str, str]:
    """The first line in which these pods answer a request with 404 / not found."""
    for log in facts.logs:
        if log.namespace == namespace and log.pod in pods:
            hit = next((t for t in _lines(log) if _NOT_FOUND.search(t)), "")
            if hit:
                return f"{log.namespace}/{log.pod} answers 404: '{hit[:160]}'", log.evidence_id
    return "", ""


def _missing_paths(facts: Facts, got: dict[str, Any], backend: str, before: dict[str, float] | None,
                   now: dict[str, float]) -> tuple[str, str]:
    """A backend that gained weight answering 404 while every other weighted backend the survey read does not:
    the route sends a share of users to a build without their paths. When another backend 404s too, the 404s
    are the requests' own (a bad link, a scanner) and the weight is not their cause."""
    if before is not None and now.get(backend, 0.0) <= before.get(backend, 0.0):
        return "", ""
    info = (got.get("backends") or {}).get(backend) or {}
    proof, seen = _not_found(facts, info.get("pods") or [], info.get("namespace") or "")
    if not proof:
        return "", ""
    for other, rest in (got.get("backends") or {}).items():
        if other != backend and _not_found(facts, rest.get("pods") or [], rest.get("namespace") or "")[0]:
            return "", ""
    return proof, seen


def found(facts: Facts) -> list[Shifted]:
    """Each recent route write whose weighted backend shows its own failure (logs or 5xx series)."""
    store = facts.reads.get(READS) or {}
    out: list[Shifted] = []
    for change, route in candidates(facts):
        got = store.get(str(route))
        if not got:
            continue
        now, before = got["now"], got.get("before")
        gained = sorted(now, key=lambda b: (now[b] - (before or {}).get(b, 0.0)) if before else now[b], reverse=True)
        for backend in gained:
            if now.get(backend, 0.0) <= 0:
                continue
            info = (got.get("backends") or {}).get(backend) or {}
            proof, seen = _log_failure(facts, info.get("pods") or [], info.get("namespace") or route.namespace)
            if not proof:
                proof = next((s for s in got.get("five_xx") or [] if backend.split("/")[0] in s), "")
                seen = got.get("five_xx_evidence", "") if proof else ""
            if not proof:
                proof, seen = _missing_paths(facts, got, backend, before, now)
            if proof:
                at = parse_time(change.get("at"))
                out.append(Shifted(route, change, now, before, backend, proof,
                                   int((facts.at - at).total_seconds() // 60) if at else 0,
                                   [e for e in (facts.changes_id or "", got.get("evidence", ""), seen) if e]))
                break
    return out


def finding(s: Shifted) -> dict[str, Any]:
    """The route, its weights old -> new, the share the failing backend now gets and its own failure."""
    # ingress-nginx's canary-weight is a share of canary-weight-total (100 by default); the stable Ingress keeps
    # the rest, so the canary's weight alone is its share.
    share = s.now.get(s.backend, 0.0) if s.route.kind == "Ingress" else shares(s.now).get(s.backend, 0.0)
    weights = (f"{_text(s.before)} -> {_text(s.now)}" if s.before else f"now {_text(s.now)} (previous weights not "
               "recorded)")
    message = (f"{s.route} changed its traffic weights {s.minutes_before} min before the incident: {weights}; "
               f"{s.backend} now gets {share:.0f}% of the traffic and fails on its own: {s.proof}. Move the weight "
               f"back to the healthy backend (or roll back {s.backend})")
    return {"check": CHECK, "severity": "critical", "object": s.change.get("object"), "reason": "RouteWeightShifted",
            "message": message, "evidence": [s.proof[:200], weights[:200]],
            "details": {"backend": s.backend, "share": round(share, 1), "weights": s.now, "before": s.before,
                        "change_at": s.change.get("at")}}


async def _backend_pods(call: Call, name: str, namespace: str) -> list[str]:
    got = await get_yaml(call, "Service", name.split("/")[0], namespace, f"survey-route-backend-{name.split('/')[0]}")
    selector = ((got[0].get("spec") or {}).get("selector") or {}) if got else {}
    if not selector:
        return []
    listed = await call("k8s_list", {"kind": "Pod", "namespace": namespace,
                                     "label_selector": ",".join(f"{k}={v}" for k, v in selector.items())},
                        f"survey-route-pods-{name.split('/')[0]}")
    rows = (listed.data or {}).get("rows") or [] if listed is not None and listed.ok and isinstance(
        listed.data, dict) else []
    return [str(r.get("name")) for r in rows if isinstance(r, dict) and r.get("name")]


async def read(facts: Facts, call: Call, keep: Keep, at: str) -> None:
    """Reading only: each recent route's object, its weighted backends' pods and one pod's logs each, and the
    5xx series by upstream."""
    store = facts.reads.setdefault(READS, {})
    pending = candidates(facts)
    for change, route in pending:
        got = await get_yaml(call, route.kind, route.name, route.namespace, f"survey-route-{route.name}")
        if got is None:
            continue
        now = backends(got[0])
        if len(now) < 2 and route.kind not in ("Canary", "Ingress"):
            continue  # one backend: no split
        before = previous(got[0]) or from_diff(got[0], [str(d) for d in change.get("diff") or []])
        entry: dict[str, Any] = {"now": now, "before": before, "evidence": got[1], "backends": {}}
        for backend in [b for b in sorted(now, key=lambda b: -now[b]) if now[b] > 0][:MAX_BACKENDS]:
            pods = await _backend_pods(call, backend, route.namespace)
            entry["backends"][backend] = {"pods": pods, "namespace": route.namespace}
            read_pods = {log.pod for log in facts.logs}
            if pods and not read_pods & set(pods):
                keep(await call("k8s_logs", {"name": pods[0], "namespace": route.namespace, "tail": 300},
                                f"survey-route-logs-{pods[0]}"), facts)
        store[str(route)] = entry
    if store:
        outcome = await call("prom_query", {"query": FIVE_XX, "time": at}, "survey-route-5xx")
        if outcome is not None and outcome.ok and isinstance(outcome.data, dict):
            texts = []
            for s in outcome.data.get("samples") or []:
                labels = (s.get("labels") or {}) if isinstance(s, dict) else {}
                if isinstance(s.get("value"), (int, float)) and s["value"] > 0:
                    texts.append(f"5xx at {s['value']:.3g}/s to {' '.join(str(v) for v in labels.values())}")
            for entry in store.values():
                entry["five_xx"], entry["five_xx_evidence"] = texts, outcome.evidence_id
