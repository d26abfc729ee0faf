"""A rate limiter written to fail closed, then its counter store failing (agent.triage.limiter_fail_closed).

Shapes in other products' words: an APISIX `limit-count` plugin set to `allow_degradation: false` whose gateway logs
"failed to limit count: timeout" (found by grepping the gateway pods), and an Envoy global rate limit filter set to
`failure_mode_deny: false -> true` whose proxy's log already in the survey says the rate limit service call failed.
Twins: the same switch with no store failure anywhere, store failures under a fail-open write, and a fail-closed
switch on an object that is no limiter (a webhook, a breaker).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from agent.incident import from_text
from agent.triage import limiter_fail_closed as lfc
from agent.triage import subject_of
from agent.triage.facts import Facts, LogEvidence

AT = datetime(2026, 7, 14, 18, 30, tzinfo=UTC)


def _write(kind: str, ns: str, name: str, *lines: str) -> dict[str, Any]:
    return {"at": (AT - timedelta(minutes=40)).strftime("%Y-%m-%dT%H:%M:%SZ"), "type": "other",
            "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} written by kubectl-edit: {'; '.join(lines)}", "diff": list(lines)}


def _log(pod: str, ns: str, message: str) -> LogEvidence:
    return LogEvidence(pod=pod, namespace=ns, evidence_id="E9", top={"template": message, "message": message},
                       hosts=[], error_classes=set(), previous=False)


def _facts(changes: list[dict[str, Any]], logs: list[LogEvidence]) -> Facts:
    return Facts(at=AT, changes={"changes": changes}, changes_id="E2", logs=logs)


APISIX_LINE = ('2026/07/14 18:20:11 [error] 48#48: *9121 [lua] limit-count.lua:331: phase_func(): failed to limit '
               'count: timeout, client: 10.2.3.4, server: _, request: "GET /api/search HTTP/1.1"')


def _caller(ns: str, pods: list[str], text: str) -> Any:
    async def call(tool: str, args: dict[str, Any], step: str) -> Any:
        if tool == "k8s_list" and args.get("namespace") == ns:
            return SimpleNamespace(ok=True, evidence_id="E30", data={"rows": [{"name": p} for p in pods]})
        if tool == "k8s_logs" and args.get("namespace") == ns:
            return SimpleNamespace(ok=True, evidence_id="E31", full_text=text, data={})
        return None
    return call


def _run(facts: Facts, call: Any) -> list[lfc.Closed]:
    asyncio.run(lfc.read(subject_of(from_text("search errors")), facts, call, AT.isoformat()))
    return lfc.found(facts)


def test_an_apisix_limiter_set_to_refuse_when_redis_fails_is_named_from_the_gateway_logs() -> None:
    write = _write("ApisixPluginConfig", "edge", "search-limit-count", "spec.plugins[0].name = 'limit-count'",
                   "spec.plugins[0].config.policy = 'redis-cluster'",
                   "spec.plugins[0].config.allow_degradation = false")
    facts = _facts([write], [_log("search-api-6b7c8d9f5b-x4z2k", "search", "GET /api/search 200")])
    [closed] = _run(facts, _caller("edge", ["apisix-gateway-7d8f9c5b6d-k2m4n", "apisix-etcd-0"],
                                   APISIX_LINE + "\n" + APISIX_LINE))
    f = lfc.finding(closed)
    assert str(closed.target) == "ApisixPluginConfig edge/search-limit-count"
    assert "allow_degradation = false" in f["message"] and "failed to limit count: timeout" in f["message"]
    assert "(2 such lines)" in f["message"] and "E31" in closed.evidence


def test_an_envoy_filter_switched_to_deny_on_failure_is_named_from_a_log_the_survey_read() -> None:
    write = _write("EnvoyFilter", "mesh", "global-ratelimit", "spec.configPatches[0].patch.value.typed_config."
                   "failure_mode_deny: false -> true")
    envoy = _log("ingress-proxy-5f6d7c8b9d-p2q4r", "mesh",
                 "ratelimit: rate limit service call failed: upstream connect error or disconnect/reset before headers")
    [closed] = _run(_facts([write], [envoy]), _caller("none", [], ""))
    assert str(closed.target) == "EnvoyFilter mesh/global-ratelimit" and "mesh/ingress-proxy" in closed.where


def test_a_cluster_wide_limiter_is_read_where_the_store_its_diff_names_runs() -> None:
    write = _write("ClusterRateLimitPolicy", "", "all-routes", "spec.failOpen = false",
                   "spec.store.address = 'counters.gw.svc.cluster.local:6379'")
    facts = _facts([write], [_log("search-api-6b7c8d9f5b-x4z2k", "search", "GET /api/search 200")])
    [closed] = _run(facts, _caller("gw", ["edge-proxy-6c7d8f9b5d-w2x4z"],
                                   "rate limiter: could not reach counters.gw.svc.cluster.local:6379: i/o timeout"))
    assert str(closed.target) == "ClusterRateLimitPolicy all-routes" and closed.where.startswith("gw/edge-proxy")


def test_a_fail_closed_limiter_whose_store_answers_is_not_named() -> None:
    write = _write("ApisixPluginConfig", "edge", "search-limit-count",
                   "spec.plugins[0].config.allow_degradation = false")
    facts = _facts([write], [_log("search-api-6b7c8d9f5b-x4z2k", "search", "GET /api/search 200")])
    assert _run(facts, _caller("edge", ["apisix-gateway-7d8f9c5b6d-k2m4n"], "GET /api/search 200")) == []


def test_store_failures_under_a_fail_open_write_or_a_non_limiter_switch_are_not_named() -> None:
    opened = _write("ApisixPluginConfig", "edge", "search-limit-count",
                    "spec.plugins[0].config.allow_degradation = true")
    breaker = _write("DestinationRule", "edge", "search-breaker", "spec.trafficPolicy.failClosed = true")
    for write in (opened, breaker):
        facts = _facts([write], [_log("apisix-gateway-7d8f9c5b6d-k2m4n", "edge", APISIX_LINE)])
        assert _run(facts, _caller("edge", [], "")) == [], write
