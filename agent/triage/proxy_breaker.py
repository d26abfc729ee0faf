"""A proxy's circuit breaker (or passive health check) written to count a healthy backend's normal answers as failures.

A reverse proxy can stop sending calls to a backend on its own judgement: Traefik's `circuitBreaker` middleware
trips on an expression (`ResponseCodeRatio(from, to, dividedByFrom, dividedByTo) > ratio`, `NetworkErrorRatio()`,
`LatencyAtQuantileMS(q)`) and then answers 503 `Service Unavailable` itself for the fallback duration; NGINX marks
an upstream server unavailable after `max_fails` attempts its `proxy_next_upstream` counts as unsuccessful and
answers 502 (`no live upstreams`); Kong's passive health check marks a target unhealthy after `httpFailures`
answers with one of its `httpStatuses` and answers 503 (`failure to get a peer from the ring-balancer`).
Written so it counts client errors (a code range from 400, `http_404` among the
next-upstream conditions), the breaker trips on a backend that only answers its usual 404s for unknown ids: the
callers get the proxy's 503/502, the backend logs no 5xx at all. Envoy's own breakers (DestinationRule
`outlierDetection`, `connectionPool`) are agent.triage.mesh_fault's.

This module reads each breaker object written within `LEAD` (a Traefik Middleware's `circuitBreaker`, a ConfigMap
whose nginx.conf sets `max_fails` and a `proxy_next_upstream` with 4xx codes), the backends it fronts (the
IngressRoutes that use the Middleware; the upstream servers' Service hosts), one pod's lines of each backend and
the callers' failing lines. The write is named when the breaker counts 4xx, the backend's own 4xx share reaches
its threshold while it answers no 5xx, and the callers see the proxy's own refusal. `read` reads only; `suspects`
is pure.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time, said_by
from agent.triage.kube_reads import get_yaml, pod_of
from agent.triage.subject import Subject

CHECK = "change.proxy_breaker"
WEIGHT = 0.93
"""A breaker write that counts the backend's normal answers, with the proxy's own refusal on the callers' calls:
stronger than the callers' 503s and a proxy Service the scan cannot place."""
READS = "proxy_breaker"
LEAD = timedelta(hours=6)
MAX_BACKENDS = 3
Call = Callable[..., Awaitable[Any]]

_RATIO = re.compile(r"ResponseCodeRatio\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*\)\s*>=?\s*([\d.]+)")
_MAX_FAILS = re.compile(r"\bmax_fails\s*=\s*(\d+)")
_NEXT_UPSTREAM = re.compile(r"proxy_next_upstream\s+([^;]+);")
_SERVER = re.compile(r"\bserver\s+([a-z0-9-]+)\.([a-z0-9-]+)(?:\.svc[\w.]*)?(?::\d+)?[^;]*;")
_STATUS = re.compile(r"\"status\"\s*:\s*(\d{3})\b|\bstatus=(\d{3})\b|\" (\d{3}) \d+ |\bcode=(\d{3})\b")
"""A request line's status: JSON `"status":404`, logfmt `status=404`, the combined access log `" 404 123 `."""
REFUSAL = re.compile(r"\b503\b|Service Unavailable|no live upstreams|\b502\b.*Bad Gateway|"
                     r"failure to get a peer from the ring-balancer|no healthy upstream", re.I)
"""How a caller (or the proxy) shows the proxy's own refusal (Traefik's and NGINX's codes, Kong's `failure to get a
peer from the ring-balancer`, Envoy's `no healthy upstream`)."""
KONG_KINDS = ("KongUpstreamPolicy", "KongIngress")
"""Kong's upstream settings: `spec.healthchecks` (KongUpstreamPolicy) or `upstream.healthchecks` (KongIngress)."""
KONG_ANNOTATIONS = ("konghq.com/upstream-policy", "konghq.com/override")
"""The Service annotations that attach a Kong upstream setting to the Service it fronts."""


@dataclass(frozen=True)
class Breaker:
    """What a written breaker counts as failure, and when it trips."""

    where: str
    """The field it lives in (`spec.circuitBreaker.expression`, `nginx.conf`)."""
    rule: str
    """The rule as written."""
    low: int
    """The lowest status code it counts as a failure."""
    threshold: float
    """The share of counted answers that trips it (0: any `max_fails` attempts do)."""
    answers: str
    """What the proxy answers while it is open."""
    codes: tuple[int, ...] = ()
    """The exact codes it counts, when it lists them (Kong's `httpStatuses`); empty: every code from `low`."""

    def counts(self, code: int) -> bool:
        """Whether the breaker counts an answer with this status as a failure."""
        return code in self.codes if self.codes else code >= self.low


@dataclass
class Tripped:
    """A breaker write that trips on the backend's normal answers."""

    target: Ref
    breaker: Breaker
    backend: str
    share: float
    counted: int
    total: int
    common: int
    """The counted code the backend answers most."""
    refusal: str
    change: dict[str, Any]
    minutes_before: int
    evidence: list[str] = field(default_factory=list)


def traefik_breaker(obj: dict[str, Any]) -> Breaker | None:
    """A Traefik Middleware's circuit breaker that counts a code range, or None."""
    expression = str(((obj.get("spec") or {}).get("circuitBreaker") or {}).get("expression") or "")
    m = _RATIO.search(expression)
    if m is None:
        return None
    return Breaker("spec.circuitBreaker.expression", expression, int(m.group(1)), float(m.group(5)),
                   "503 Service Unavailable")


def nginx_breaker(obj: dict[str, Any]) -> Breaker | None:
    """An NGINX config (a ConfigMap's data) whose passive health check counts 4xx answers, or None."""
    for text in (str(v) for v in (obj.get("data") or {}).values()):
        fails, nxt = _MAX_FAILS.search(text), _NEXT_UPSTREAM.search(text)
        codes = [int(c) for c in re.findall(r"http_(\d{3})", nxt.group(1))] if nxt else []
        if fails and int(fails.group(1)) > 0 and codes:
            return Breaker("nginx.conf", f"max_fails={fails.group(1)}; proxy_next_upstream {nxt.group(1).strip()}"
                           if nxt else "", min(codes), 0.0, "502 (no live upstreams)")
    return None


def kong_breaker(obj: dict[str, Any]) -> Breaker | None:
    """Kong's passive health check (a KongUpstreamPolicy's `spec.healthchecks`, a KongIngress's
    `upstream.healthchecks`) that marks a target unhealthy after `httpFailures` answers with one of its
    `httpStatuses`, when those list a code below 500; None otherwise. Kong then answers 503 itself."""
    checks = ((obj.get("spec") or {}).get("healthchecks") or (obj.get("upstream") or {}).get("healthchecks") or {})
    unhealthy = ((checks.get("passive") or {}).get("unhealthy") or {}) if isinstance(checks, dict) else {}
    listed = unhealthy.get("httpStatuses") or unhealthy.get("http_statuses") or []
    codes = tuple(sorted({int(c) for c in listed if str(c).isdigit()}))
    failures = unhealthy.get("httpFailures") or unhealthy.get("http_failures") or 0
    if not codes or not str(failures).isdigit() or int(failures) <= 0:
        return None
    return Breaker("healthchecks.passive.unhealthy", f"httpFailures={failures}; httpStatuses={list(codes)}",
                   min(codes), 0.0, "503 (failure to get a peer from the ring-balancer)", codes)


def nginx_backends(obj: dict[str, Any]) -> list[tuple[str, str]]:
    """(Service, namespace) of each upstream server an NGINX config names by its cluster host."""
    return list(dict.fromkeys((m.group(1), m.group(2)) for v in (obj.get("data") or {}).values()
                              for m in _SERVER.finditer(str(v))))


def statuses(lines: list[str]) -> list[int]:
    """The status of each request line."""
    out: list[int] = []
    for line in lines:
        m = _STATUS.search(line)
        if m:
            out.append(int(next(g for g in m.groups() if g)))
    return out


def trips(breaker: Breaker, codes: list[int]) -> tuple[float, int] | None:
    """(share, count) of the backend's answers the breaker counts when they reach its threshold while the backend
    answers no 5xx of its own; None otherwise (a failing backend trips any breaker: not the breaker's doing)."""
    if not codes or breaker.low >= 500 or any(c >= 500 for c in codes):
        return None
    counted = [c for c in codes if breaker.counts(c)]
    share = len(counted) / len(codes)
    return (share, len(counted)) if counted and share > breaker.threshold else None


def candidates(facts: Facts) -> list[tuple[dict[str, Any], Ref]]:
    """Recent writes to a Traefik Middleware or to a ConfigMap (an NGINX config)."""
    out = []
    for change, target in facts.recent_writes(("Middleware", "ConfigMap", *KONG_KINDS), LEAD):
        said = " ".join([str(change.get("summary") or ""), *[str(d) for d in change.get("diff") or []]])
        if target.kind in ("Middleware", *KONG_KINDS) or re.search(r"nginx|upstream|max_fails", said, re.I):
            out.append((change, target))
    return out[:3]


def _refusal(facts: Facts) -> tuple[str, str]:
    for log in facts.logs:
        for line in [said_by(e) for e in log.entries() if e] + list(log.last_lines):
            if REFUSAL.search(line):
                return f"{log.namespace}/{log.pod} logs '{line[:180]}'", log.evidence_id
    return "", ""


def found(facts: Facts) -> list[Tripped]:
    """Each breaker write whose breaker counts the backend's normal answers past its threshold, the callers
    refused by the proxy."""
    store = facts.reads.get(READS) or {}
    refusal, refusal_id = _refusal(facts)
    if not refusal:
        return []
    out: list[Tripped] = []
    for change, target in candidates(facts):
        got = store.get(str(target))
        if not got:
            continue
        for backend, lines, evidence in got["backends"]:
            codes = statuses(lines)
            hit = trips(got["breaker"], codes)
            if hit is None:
                continue
            at = parse_time(change.get("at"))
            counted = [c for c in codes if got["breaker"].counts(c)]
            common = max(set(counted), key=counted.count)
            out.append(Tripped(target, got["breaker"], backend, hit[0], hit[1], len(codes), common, refusal, change,
                               int((facts.at - at).total_seconds() // 60) if at else 0,
                               [e for e in (facts.changes_id or "", got["evidence"], evidence, refusal_id) if e]))
            break
    return out


def finding(t: Tripped) -> dict[str, Any]:
    """What the breaker counts, the backend's share of it, and the proxy's own answer, meaning first."""
    kind = "circuit breaker" if t.breaker.threshold else "passive health check (circuit breaker)"
    counted = "/".join(str(c) for c in t.breaker.codes) if t.breaker.codes else f"from {t.breaker.low} up"
    limit = f" > {t.breaker.threshold:g}" if t.breaker.threshold else ""
    message = (f"{t.target}'s {kind} ({t.breaker.where}: {t.breaker.rule}), written "
               f"{minutes_text(t.minutes_before)} before the incident, counts answers {counted} as "
               f"failures, so the backend {t.backend}'s normal client-error answers ({t.common} and other codes from "
               f"{t.breaker.low}: {t.share:.0%} of its last {t.total} requests{limit}, and no 5xx) trip it; the "
               f"proxy then answers {t.breaker.answers} itself: {t.refusal}. Count only 5xx (from 500) in the breaker's"
               f" expression")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": t.target.kind, "namespace": t.target.namespace, "name": t.target.name},
            "reason": "BreakerCountsClientErrors", "message": message,
            "evidence": [t.breaker.rule[:160], f"{t.backend}: {t.counted}/{t.total} answers >= {t.breaker.low}"],
            "details": {"rule": t.breaker.rule, "low": t.breaker.low, "threshold": t.breaker.threshold,
                        "backend": t.backend, "share": round(t.share, 3), "change_at": t.change.get("at")}}


async def _route_backends(call: Call, target: Ref) -> list[tuple[str, str]]:
    """(Service, namespace) of the routes of the Middleware's namespace that use it (Traefik IngressRoutes)."""
    rows = await call("k8s_list", {"kind": "ingressroutes.traefik.io", "namespace": target.namespace},
                      f"survey-breaker-routes-{target.namespace}")
    names = [str(r.get("name")) for r in (rows.data.get("rows") or [] if rows is not None and rows.ok
                                          and isinstance(rows.data, dict) else []) if isinstance(r, dict)]
    out: list[tuple[str, str]] = []
    for name in names[:5]:
        got = await get_yaml(call, "ingressroutes.traefik.io", name, target.namespace, f"survey-breaker-route-{name}")
        for route in ((got[0].get("spec") or {}).get("routes") or [] if got else []):
            uses = [str(m.get("name")) for m in route.get("middlewares") or [] if isinstance(m, dict)]
            if target.name in uses:
                out += [(str(s.get("name")), str(s.get("namespace") or target.namespace))
                        for s in route.get("services") or [] if isinstance(s, dict) and s.get("name")]
    return list(dict.fromkeys(out))


async def _kong_backends(call: Call, target: Ref) -> list[tuple[str, str]]:
    """(Service, namespace) of the Services of the setting's namespace whose annotation attaches it."""
    rows = await call("k8s_list", {"kind": "Service", "namespace": target.namespace},
                      f"survey-breaker-services-{target.namespace}")
    names = [str(r.get("name")) for r in (rows.data.get("rows") or [] if rows is not None and rows.ok
                                          and isinstance(rows.data, dict) else []) if isinstance(r, dict)]
    out: list[tuple[str, str]] = []
    for name in names[:8]:
        got = await get_yaml(call, "Service", name, target.namespace, f"survey-breaker-service-{name}")
        notes = ((got[0].get("metadata") or {}).get("annotations") or {}) if got else {}
        if any(str(notes.get(a) or "") == target.name for a in KONG_ANNOTATIONS):
            out.append((name, target.namespace))
    return out


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: each written breaker object, the backends it fronts and one pod's lines of each."""
    store = facts.reads.setdefault(READS, {})
    for _, target in candidates(facts):
        got = await get_yaml(call, target.kind, target.name, target.namespace, f"survey-breaker-{target.name}")
        if got is None:
            continue
        breaker = traefik_breaker(got[0]) if target.kind == "Middleware" else \
            kong_breaker(got[0]) if target.kind in KONG_KINDS else nginx_breaker(got[0])
        if breaker is None or breaker.low >= 500:
            continue
        fronts = await _route_backends(call, target) if target.kind == "Middleware" else \
            await _kong_backends(call, target) if target.kind in KONG_KINDS else nginx_backends(got[0])
        backends: list[tuple[str, list[str], str]] = []
        for name, namespace in fronts[:MAX_BACKENDS]:
            pod = await pod_of(call, Ref("Deployment", namespace, name), f"survey-breaker-pods-{name}")
            if not pod:
                continue
            logs = await call("k8s_logs", {"name": pod, "namespace": namespace, "tail": 500},
                              f"survey-breaker-logs-{pod}")
            if logs is not None and logs.ok:
                lines = [ln for ln in str(logs.full_text).splitlines()[1:] if not ln.startswith("repeated ")]
                backends.append((f"{namespace}/{name}", lines, logs.evidence_id))
        store[str(target)] = {"breaker": breaker, "backends": backends, "evidence": got[1]}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The breaker write, explaining the callers' refusals."""
    return [(t.target, finding(t), list(dict.fromkeys(t.evidence)), []) for t in found(facts)]
