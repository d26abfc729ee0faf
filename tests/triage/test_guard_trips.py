"""A protective guard (a breaker's slow-call cutoff, a proxy's overload shed point) written below the service's normal
level: named when the normal level already sat above it and the guard refuses; refused when the cutoff or shed point
is above the level, when the callee itself slowed, or when the level climbed (a leak the guard rightly sheds)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.toolhub import ToolOutcome
from agent.triage import guard_trips as gt
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject

AT = datetime(2026, 8, 3, 9, 30, tzinfo=UTC)
WRITE_MIN = 40
"""The guard's file is written 40 minutes before the incident."""


def _stamp(minutes: float) -> str:
    return (AT - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _configmap(ns: str, name: str, key: str, text: str) -> tuple[dict[str, Any], str]:
    return {"kind": "ConfigMap", "metadata": {"namespace": ns, "name": name}, "data": {key: text}}, "E4"


def _write(ns: str, name: str, key: str, related: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"at": _stamp(WRITE_MIN), "type": "config", "object": {"kind": "ConfigMap", "namespace": ns, "name": name},
            "diff": [f"data key {key} set by helm"], "related": related or []}


def _rollout(ns: str, name: str) -> dict[str, Any]:
    return {"at": _stamp(WRITE_MIN - 0.5), "type": "rollout", "object": {"kind": "Deployment", "namespace": ns,
                                                                          "name": name},
            "diff": [f"{name} annotation checksum/config 'aa11' -> 'bb22'"], "related": []}


def _error_log(pod: str, ns: str, message: str, first_minutes: float) -> LogEvidence:
    entry = {"template": message, "message": message, "first_seen": _stamp(first_minutes), "severity": "error"}
    return LogEvidence(pod=pod, namespace=ns, evidence_id="E9", top=entry, hosts=[], error_classes=set(),
                       previous=False)


class FakeHub:
    """Answers the reads `gt.read` makes: pod lists, logs, series names, and instant values by (query part, time)."""

    def __init__(self, series: list[dict[str, str]], values: dict[str, Any], logs: str = "") -> None:
        self.series, self.values, self.logs = series, values, logs

    async def __call__(self, tool: str, arguments: dict[str, Any], step: str) -> ToolOutcome:
        if tool == "k8s_list":
            ns = arguments.get("namespace")
            pods = [{"name": f"{s['job']}-7c9d8f6b5-x2x9q"} for s in self.series if s.get("namespace") == ns]
            pods += [{"name": "edge-gw-6d5f4c7b8-q7w2e"}, {"name": "quote-api-6d5f4c7b8-q7w2e"}]
            return ToolOutcome("E20", tool, arguments, True, "", data={"rows": pods})
        if tool == "k8s_logs":
            return ToolOutcome("E21", tool, arguments, True, "logs", full_text=f"logs of pod\n{self.logs}")
        if tool == "prom_series":
            return ToolOutcome("E22", tool, arguments, True, "", data={"series": self.series})
        if tool == "prom_query":
            value = self._value(str(arguments["query"]), str(arguments["time"]))
            samples = [] if value is None else [{"labels": {}, "value": value}]
            return ToolOutcome("E23", tool, arguments, True, "", data={"samples": samples})
        return ToolOutcome("E24", tool, arguments, False, "not here")

    def _value(self, query: str, time: str) -> float | None:
        when = "now" if time == _stamp(0) else "before" if time < _stamp(WRITE_MIN) else "mid"
        for part, by_time in self.values.items():
            if part in query:
                return by_time.get(when) if isinstance(by_time, dict) else by_time  # type: ignore[no-any-return]
        return None


def _run(facts: Facts, hub: FakeHub) -> list[gt.Trip]:
    asyncio.run(gt.read(Subject(), facts, hub, _stamp(0)))
    return gt.found(facts)


# ---- a breaker's slow-call cutoff ----------------------------------------------------------------------------

SPRING = """spring.application.name=basket
resilience4j.circuitbreaker.instances.pricing.sliding-window-size=20
resilience4j.circuitbreaker.instances.pricing.slow-call-rate-threshold=60
resilience4j.circuitbreaker.instances.pricing.slow-call-duration-threshold={cutoff}
pricing.url=http://pricing-engine.catalog.svc.cluster.local:8080
"""
SPRING_OPEN = ("org.springframework.cloud.client.circuitbreaker.NoFallbackAvailableException: No fallback "
               "available. Caused by: CircuitBreaker 'pricing' is OPEN and does not permit further calls")
MICROMETER = [{"__name__": "http_server_requests_seconds_max", "namespace": "catalog", "job": "pricing-engine"},
              {"__name__": "http_server_requests_seconds_count", "namespace": "catalog", "job": "pricing-engine"}]


def _spring(cutoff: str, before: float, now: float) -> tuple[Facts, FakeHub]:
    facts = Facts(at=AT, changes={"changes": [_write("shop", "basket-config", "application.properties",
                                                     [{"kind": "Deployment", "namespace": "shop", "name": "basket"}])]},
                  changes_id="E2", logs=[_error_log("basket-5b6c7d8e9-abcde", "shop", SPRING_OPEN, 38)],
                  objects=[_configmap("shop", "basket-config", "application.properties", SPRING.format(cutoff=cutoff))])
    return facts, FakeHub(MICROMETER, {"http_server_requests_seconds_max": {"before": before, "now": now}})


def test_spring_kebab_cutoff_below_the_callees_normal_latency_is_named() -> None:
    facts, hub = _spring("250ms", before=0.42, now=0.41)
    [trip] = _run(facts, hub)
    message = gt.finding(trip)["message"]
    assert trip.target.name == "basket-config" and trip.guard.level == 0.25
    assert "slow-call-duration-threshold=250ms" in message and "OPEN" in message and "catalog/pricing-engine" in message


def test_spring_cutoff_above_the_callees_normal_latency_is_not_the_cause() -> None:
    facts, hub = _spring("2s", before=0.42, now=0.41)
    assert _run(facts, hub) == []


SENTINEL = """sentinel:
  app: quote-gateway
  circuitbreaker:
    rules:
    - resource: quotes
      strategy: SlowRequestRatio
      maxAllowedRtMs: {cutoff}
      threshold: 0.5
upstream:
  quotes: grpc://quote-api.rates.svc.cluster.local:9090
"""
SENTINEL_OPEN = 'level=error msg="quote refused" err="SentinelBlockError: CircuitBreaking, resource: quotes"'
GRPC = [{"__name__": "grpc_server_handling_seconds_sum", "namespace": "rates", "job": "quote-api"},
        {"__name__": "grpc_server_handling_seconds_count", "namespace": "rates", "job": "quote-api"}]


def _sentinel(cutoff: str, before: float, now: float) -> tuple[Facts, FakeHub]:
    facts = Facts(at=AT, changes={"changes": [_write("edge", "quote-gateway-rules", "sentinel.yaml",
                                                     [{"kind": "Deployment", "namespace": "edge",
                                                       "name": "quote-gateway"}])]},
                  changes_id="E2", logs=[_error_log("quote-gateway-6f7a8b9c0-zzzzz", "edge", SENTINEL_OPEN, 35)],
                  objects=[_configmap("edge", "quote-gateway-rules", "sentinel.yaml", SENTINEL.format(cutoff=cutoff))])
    return facts, FakeHub(GRPC, {"grpc_server_handling_seconds_sum": {"before": before, "now": now}})


def test_sentinel_max_allowed_rt_below_the_grpc_callees_mean_is_named() -> None:
    facts, hub = _sentinel("80", before=0.12, now=0.125)
    [trip] = _run(facts, hub)
    assert trip.guard.level == 0.08 and "maxAllowedRtMs=80" in gt.finding(trip)["message"]


def test_a_callee_named_without_its_namespace_is_read_in_the_files_namespace() -> None:
    facts, _ = _sentinel("80", before=0.12, now=0.125)
    text = SENTINEL.format(cutoff="80").replace("quote-api.rates.svc.cluster.local", "quote-api")
    facts.objects = [_configmap("edge", "quote-gateway-rules", "sentinel.yaml", text)]
    series = [{**s, "namespace": "edge"} for s in GRPC]
    hub = FakeHub(series, {"grpc_server_handling_seconds_sum": {"before": 0.12, "now": 0.125}})
    [trip] = _run(facts, hub)
    assert "edge/quote-api" in trip.normal


def test_a_callee_that_itself_slowed_after_the_write_is_not_the_guards_doing() -> None:
    facts, hub = _sentinel("80", before=0.05, now=0.9)  # normal was under the cutoff: the callee slowed
    assert _run(facts, hub) == []
    facts, hub = _sentinel("80", before=0.1, now=0.9)  # over the cutoff before, but ninefold slower since
    assert _run(facts, hub) == []


def test_a_breaker_that_never_refuses_is_not_named() -> None:
    facts, hub = _sentinel("80", before=0.12, now=0.125)
    facts.logs = []
    assert _run(facts, hub) == []


# ---- a proxy's overload shed point ---------------------------------------------------------------------------

CONNECTIONS = json.dumps({"overload_manager": {
    "resource_monitors": [{"name": "envoy.resource_monitors.global_downstream_max_connections",
                           "typed_config": {"max_active_downstream_connections": 5000}}],
    "actions": [{"name": "envoy.overload_actions.reject_incoming_connections",
                 "triggers": [{"name": "envoy.resource_monitors.global_downstream_max_connections",
                               "threshold": {"value": 0.95}}]}]}})
CONN_SERIES = [{"__name__": "envoy_server_total_connections", "namespace": "gateway", "job": "edge-gw"},
               {"__name__": "envoy_overload_envoy_overload_actions_reject_incoming_connections_active",
                "namespace": "gateway", "job": "edge-gw"}]


def _connections(mid: float, now: float) -> tuple[Facts, FakeHub]:
    facts = Facts(at=AT, changes={"changes": [_write("gateway", "edge-gw-bootstrap", "bootstrap.json"),
                                              _rollout("gateway", "edge-gw")]}, changes_id="E2", logs=[],
                  objects=[_configmap("gateway", "edge-gw-bootstrap", "bootstrap.json", CONNECTIONS)])
    return facts, FakeHub(CONN_SERIES, {"envoy_server_total_connections": {"mid": mid, "now": now},
                                        "reject_incoming_connections_active": 1.0})


def test_connection_shed_point_under_a_steady_connection_count_is_named() -> None:
    facts, hub = _connections(mid=4880, now=4910)
    [trip] = _run(facts, hub)
    assert trip.guard.resource == "connections" and trip.guard.level == 4750
    assert "reject_incoming_connections" in gt.finding(trip)["message"]


def test_a_connection_count_that_climbed_into_the_shed_point_is_a_real_overload() -> None:
    facts, hub = _connections(mid=2600, now=4910)
    assert _run(facts, hub) == []


HEAP = """admin: {address: {socket_address: {address: 127.0.0.1, port_value: 9901}}}
overloadManager:
  refreshInterval: 0.5s
  resourceMonitors:
  - name: heap
    typedConfig:
      maxHeapSizeBytes: {maximum}
  actions:
  - name: envoy.overload_actions.stop_accepting_requests
    triggers:
    - name: heap
      threshold: {value: 0.9}
"""
SHED_LINE = ('{"start_time":"%s","method":"GET","path":"/quote","response_code":503,"response_flags":"OM",'
             '"body":"envoy overloaded","upstream_host":"-"}')


def _heap(maximum: int) -> tuple[Facts, FakeHub]:
    facts = Facts(at=AT, changes={"changes": [_write("gateway", "edge-gw-config", "envoy.yaml"),
                                              _rollout("gateway", "edge-gw")]}, changes_id="E2", logs=[],
                  objects=[_configmap("gateway", "edge-gw-config", "envoy.yaml",
                                      HEAP.replace("{maximum}", str(maximum)))])
    series = [{"__name__": "envoy_server_memory_allocated", "namespace": "gateway", "job": "edge-gw"}]
    logs = "\n".join(f"{_stamp(m)} " + SHED_LINE % _stamp(m) for m in (30, 20, 10))
    return facts, FakeHub(series, {"envoy_server_memory_allocated": {"mid": 300e6, "now": 305e6}}, logs)


def test_heap_shed_point_below_the_proxys_working_set_is_named() -> None:
    facts, hub = _heap(335_544_320)  # 320 MiB at 0.9: sheds from 302 MB, the proxy holds 305 MB
    [trip] = _run(facts, hub)
    message = gt.finding(trip)["message"]
    assert trip.guard.resource == "heap" and "stop_accepting_requests" in message and "OM" in message


def test_heap_shed_point_well_above_the_working_set_is_not_the_cause() -> None:
    facts, hub = _heap(1_073_741_824)  # 1 GiB at 0.9: far above 305 MB
    assert _run(facts, hub) == []


def test_a_rate_threshold_is_no_cutoff_and_a_file_without_a_guard_holds_none() -> None:
    assert gt.cutoffs("a.yaml", "resilience4j:\n  circuitbreaker:\n    slowCallRateThreshold: 50\n") == []
    assert gt.guards({"data": {"app.yaml": "timeout: 150ms\nretries: 3\n"}}) == []
