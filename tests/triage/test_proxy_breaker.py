"""agent.triage.proxy_breaker: a proxy's breaker written to count a healthy backend's client errors as failures.

Shapes: a Traefik Middleware whose circuit breaker expression counts ResponseCodeRatio(400, 600, ...), found
through the IngressRoute that uses it, the backend's JSON request lines; an NGINX config (ConfigMap) with max_fails
and `proxy_next_upstream ... http_404`, its upstream server named by cluster host, combined access-log lines.
Twins: an expression that counts only 5xx; a backend that answers 5xx itself (failing: any breaker trips); a 4xx
share under the threshold; callers that see no refusal.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import behind, proxy_breaker
from agent.triage.facts import Facts, LogEvidence, Ref
from agent.triage.proxy_breaker import nginx_backends, nginx_breaker, statuses, traefik_breaker, trips
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 8, 3, 10, 0, tzinfo=UTC)
WROTE = AT - timedelta(minutes=40)
BACKEND_POD = "search-api-7c9d8b6f5-bcdfg"


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _middleware(expression: str) -> dict[str, Any]:
    return {"kind": "Middleware", "metadata": {"name": "search-cb", "namespace": "search"},
            "spec": {"circuitBreaker": {"expression": expression, "fallbackDuration": "10s"}}}


ROUTE = {"kind": "IngressRoute", "metadata": {"name": "search", "namespace": "search"},
         "spec": {"routes": [{"match": "PathPrefix(`/q`)", "middlewares": [{"name": "search-cb"}],
                              "services": [{"name": "search-api", "port": 80}]}]}}


def _json_lines(codes: list[int]) -> list[str]:
    return [f'{{"level":"info","msg":"request","path":"/q/{i}","status":{c}}}' for i, c in enumerate(codes)]


def _facts(kind: str, name: str, caller_line: str) -> Facts:
    change = {"at": _iso(WROTE), "type": "other", "object": {"kind": kind, "namespace": "search", "name": name},
              "summary": f"{kind} search/{name} written by argocd: spec.circuitBreaker.expression",
              "diff": ["spec.circuitBreaker.expression"] if kind == "Middleware" else ["data key nginx.conf set"]}
    log = LogEvidence(pod="web-6f7c8b9d2-qqqqq", namespace="web", evidence_id="E9", top={"message": caller_line},
                      hosts=[], error_classes=set(), previous=False)
    return Facts(at=AT, changes={"changes": [change]}, changes_id="E2", logs=[log])


def _run(facts: Facts, objects: dict[Any, dict[str, Any]], lines: list[str]) -> list[
        tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    hub = RecordingHub(objects=objects, lists={"Pod": [{"name": BACKEND_POD}], "ingressroutes.traefik.io":
                                               [{"name": "search"}]}, logs={BACKEND_POD: lines})
    asyncio.run(proxy_breaker.read(Subject(), facts, hub, _iso(AT)))
    return [s for s in behind.suspects(facts) if s[1]["check"] == proxy_breaker.CHECK]


REFUSED = "upstream request failed status=503 body=\"Service Unavailable\""
NORMAL = [200] * 9 + [404]


def test_a_traefik_breaker_counting_4xx_trips_on_the_backends_404s() -> None:
    objects = {("Middleware", "search", "search-cb"): _middleware("ResponseCodeRatio(400, 600, 0, 600) > 0.05"),
               ("ingressroutes.traefik.io", "search", "search"): ROUTE}
    [(ref, found, evidence, _)] = _run(_facts("Middleware", "search-cb", REFUSED), objects, _json_lines(NORMAL * 4))
    assert ref == Ref("Middleware", "search", "search-cb")
    head = found["message"][:400]
    assert "circuit breaker" in head and "ResponseCodeRatio(400, 600, 0, 600) > 0.05" in head
    assert "404" in head and "10% of its last 40 requests" in head and "no 5xx" in head
    assert "E2" in evidence and "E9" in evidence


def test_an_nginx_passive_check_counting_404_is_named_from_access_lines() -> None:
    conf = {"kind": "ConfigMap", "metadata": {"name": "edge-nginx", "namespace": "search"},
            "data": {"nginx.conf": "upstream api {\n  server search-api.search.svc.cluster.local:80 max_fails=2 "
                                   "fail_timeout=30s;\n}\nserver { location / { proxy_pass http://api;\n"
                                   "  proxy_next_upstream error timeout http_404; } }\n"}}
    assert nginx_backends(conf) == [("search-api", "search")]
    breaker = nginx_breaker(conf)
    assert breaker is not None and breaker.low == 404 and breaker.threshold == 0.0
    lines = [f'10.0.0.{i} - - [03/Aug/2026:09:50:0{i % 10} +0000] "GET /q/{i} HTTP/1.1" {c} 120 "-" "curl"'
             for i, c in enumerate(NORMAL)]
    [(ref, found, _, _)] = _run(_facts("ConfigMap", "edge-nginx", "502 Bad Gateway: no live upstreams"),
                                {("ConfigMap", "search", "edge-nginx"): conf}, lines)
    assert ref == Ref("ConfigMap", "search", "edge-nginx")
    assert "passive health check" in found["message"][:200] and "http_404" in found["message"][:300]


def test_twin_an_expression_that_counts_only_5xx() -> None:
    assert traefik_breaker(_middleware("ResponseCodeRatio(500, 600, 0, 600) > 0.25")) is not None
    objects = {("Middleware", "search", "search-cb"): _middleware("ResponseCodeRatio(500, 600, 0, 600) > 0.25"),
               ("ingressroutes.traefik.io", "search", "search"): ROUTE}
    assert _run(_facts("Middleware", "search-cb", REFUSED), objects, _json_lines(NORMAL * 4)) == []


def test_twin_a_backend_that_fails_itself_or_stays_under_the_threshold() -> None:
    breaker = traefik_breaker(_middleware("ResponseCodeRatio(400, 600, 0, 600) > 0.2"))
    assert breaker is not None
    assert trips(breaker, statuses(_json_lines([200, 404, 500, 404, 404]))) is None  # its own 5xx
    assert trips(breaker, statuses(_json_lines(NORMAL))) is None  # 10% <= 20%
    assert trips(breaker, statuses(_json_lines([200, 404, 404, 200]))) == (0.5, 2)


def test_twin_callers_that_see_no_refusal() -> None:
    objects = {("Middleware", "search", "search-cb"): _middleware("ResponseCodeRatio(400, 600, 0, 600) > 0.05"),
               ("ingressroutes.traefik.io", "search", "search"): ROUTE}
    assert _run(_facts("Middleware", "search-cb", "context deadline exceeded"), objects,
                _json_lines(NORMAL * 4)) == []
