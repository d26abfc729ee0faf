"""agent.triage.proxy_breaker against a proxy other than the round's (Traefik, NGINX): Kong's passive health check.

Shapes: a KongUpstreamPolicy whose `healthchecks.passive.unhealthy.httpStatuses` lists 404 (attached to the
backend's Service by `konghq.com/upstream-policy`), the backend answering its usual 404s in JSON lines, the caller
seeing Kong's own `failure to get a peer from the ring-balancer`; the same in a KongIngress's `upstream` (logfmt
backend lines); Envoy's `no healthy upstream` as the proxy's refusal. Twins: statuses that list only 5xx; a policy
no Service attaches; a listed code the backend never answers (409 listed, it answers 404).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import behind, proxy_breaker
from agent.triage.facts import Facts, LogEvidence, Ref
from agent.triage.proxy_breaker import REFUSAL, kong_breaker
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 9, 14, 18, 0, tzinfo=UTC)
WROTE = AT - timedelta(minutes=30)
BACKEND_POD = "catalog-5d6c7b8f9-r2t4w"
KONG_REFUSAL = 'upstream answered 503 {"message":"failure to get a peer from the ring-balancer"}'
NORMAL = [200] * 8 + [404, 404]


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _policy(statuses: list[int]) -> dict[str, Any]:
    return {"kind": "KongUpstreamPolicy", "metadata": {"name": "catalog-health", "namespace": "shop"},
            "spec": {"healthchecks": {"passive": {"healthy": {"successes": 5},
                                                  "unhealthy": {"httpFailures": 3, "httpStatuses": statuses}}}}}


def _service(annotations: dict[str, str]) -> dict[str, Any]:
    return {"kind": "Service", "metadata": {"name": "catalog", "namespace": "shop", "annotations": annotations},
            "spec": {"ports": [{"port": 80}]}}


def _run(kind: str, name: str, objects: dict[Any, dict[str, Any]], lines: list[str],
         caller_line: str = KONG_REFUSAL) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    change = {"at": _iso(WROTE), "type": "other", "object": {"kind": kind, "namespace": "shop", "name": name},
              "summary": f"{kind} shop/{name} written by argocd: healthchecks", "diff": ["healthchecks"]}
    log = LogEvidence(pod="storefront-6f7c8b9d2-qqqqq", namespace="web", evidence_id="E9",
                      top={"message": caller_line}, hosts=[], error_classes=set(), previous=False)
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="E2", logs=[log])
    hub = RecordingHub(objects=objects, lists={"Pod": [{"name": BACKEND_POD}], "Service": [{"name": "catalog"}]},
                       logs={BACKEND_POD: lines})
    asyncio.run(proxy_breaker.read(Subject(), facts, hub, _iso(AT)))
    return [s for s in behind.suspects(facts) if s[1]["check"] == proxy_breaker.CHECK]


def _json(codes: list[int]) -> list[str]:
    return [f'{{"level":"info","route":"/items/{i}","status":{c}}}' for i, c in enumerate(codes)]


def test_a_kong_upstream_policy_counting_404_trips_on_the_backends_normal_404s() -> None:
    objects = {("KongUpstreamPolicy", "shop", "catalog-health"): _policy([404, 500, 503]),
               ("Service", "shop", "catalog"): _service({"konghq.com/upstream-policy": "catalog-health"})}
    [(ref, found, evidence, _)] = _run("KongUpstreamPolicy", "catalog-health", objects, _json(NORMAL * 3))
    assert ref == Ref("KongUpstreamPolicy", "shop", "catalog-health")
    head = found["message"][:400]
    assert "passive health check" in head and "httpStatuses=[404, 500, 503]" in head and "counts answers 404/500/503" \
        in head and "20% of its last 30 requests" in head and "no 5xx" in head
    assert "ring-balancer" in found["message"] and "E9" in evidence


def test_a_kong_ingress_upstream_counting_429_and_404_from_logfmt_lines() -> None:
    ingress = {"kind": "KongIngress", "metadata": {"name": "catalog-upstream", "namespace": "shop"},
               "upstream": {"healthchecks": {"passive": {"unhealthy": {"http_failures": 2,
                                                                      "http_statuses": [404, 429, 503]}}}}}
    objects = {("KongIngress", "shop", "catalog-upstream"): ingress,
               ("Service", "shop", "catalog"): _service({"konghq.com/override": "catalog-upstream"})}
    lines = [f"level=info msg=served path=/items/{i} status={c}" for i, c in enumerate(NORMAL * 2)]
    [(ref, _, _, _)] = _run("KongIngress", "catalog-upstream", objects, lines)
    assert ref == Ref("KongIngress", "shop", "catalog-upstream")


def test_envoys_no_healthy_upstream_is_a_proxy_refusal() -> None:
    assert REFUSAL.search("GET /items/7 -> 503 no healthy upstream")
    assert not REFUSAL.search("GET /items/7 -> 404 item not found")


def test_twin_statuses_that_list_only_server_errors() -> None:
    breaker = kong_breaker(_policy([500, 502, 503]))
    assert breaker is not None and breaker.low == 500
    objects = {("KongUpstreamPolicy", "shop", "catalog-health"): _policy([500, 502, 503]),
               ("Service", "shop", "catalog"): _service({"konghq.com/upstream-policy": "catalog-health"})}
    assert _run("KongUpstreamPolicy", "catalog-health", objects, _json(NORMAL * 3)) == []


def test_twin_a_policy_no_service_attaches() -> None:
    objects = {("KongUpstreamPolicy", "shop", "catalog-health"): _policy([404, 500]),
               ("Service", "shop", "catalog"): _service({"konghq.com/upstream-policy": "search-health"})}
    assert _run("KongUpstreamPolicy", "catalog-health", objects, _json(NORMAL * 3)) == []


def test_twin_a_listed_client_code_the_backend_never_answers() -> None:
    objects = {("KongUpstreamPolicy", "shop", "catalog-health"): _policy([409, 503]),
               ("Service", "shop", "catalog"): _service({"konghq.com/upstream-policy": "catalog-health"})}
    assert _run("KongUpstreamPolicy", "catalog-health", objects, _json(NORMAL * 3)) == []
