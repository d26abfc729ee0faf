"""agent.triage.guard_trips, widened to the other kinds a guard is written in (issue #12 audit): a breaker cutoff in
a workload's env (Spring relaxed binding of resilience4j), and an overload shed point in an Envoy Gateway
EnvoyProxy's bootstrap (`spec.bootstrap.value`), not only in a ConfigMap.

Written here. Shapes: a checkout Deployment rolled out with `RESILIENCE4J_CIRCUITBREAKER_INSTANCES_TAX_
SLOWCALLDURATIONTHRESHOLD=150ms` while its tax callee answers in 300 ms, the breaker refusing calls from the
rollout on; an EnvoyProxy whose merged bootstrap stops accepting requests
at 90% of a 256 MiB heap while the proxy holds 248 MB. Twins: the env cutoff above the callee's normal answer time;
the EnvoyProxy heap maximum far above the working set; a rollout whose diff names no guard is not read.
"""

from __future__ import annotations

from typing import Any

from agent.triage import guard_trips as gt
from agent.triage.facts import Facts
from tests.triage.test_guard_trips import AT as AT_
from tests.triage.test_guard_trips import WRITE_MIN, FakeHub, _error_log, _rollout, _run, _stamp

TAX_SERIES = [{"__name__": "http_server_requests_seconds_max", "namespace": "billing", "job": "tax-rates"}]
REFUSED = ("io.github.resilience4j.circuitbreaker.CallNotPermittedException: CircuitBreaker 'tax' is OPEN and "
           "does not permit further calls")


def _checkout(cutoff: str) -> dict[str, Any]:
    env = [{"name": "TAX_BASE_URL", "value": "http://tax-rates.billing.svc:8080"},
           {"name": "RESILIENCE4J_CIRCUITBREAKER_INSTANCES_TAX_SLOWCALLDURATIONTHRESHOLD", "value": cutoff},
           {"name": "RESILIENCE4J_CIRCUITBREAKER_INSTANCES_TAX_SLOWCALLRATETHRESHOLD", "value": "50"}]
    return {"kind": "Deployment", "metadata": {"namespace": "store", "name": "checkout"},
            "spec": {"template": {"spec": {"containers": [{"name": "app", "env": env}]}}}}


def _env_facts(cutoff: str, diff: str = "") -> Facts:
    change = {"at": _stamp(WRITE_MIN), "type": "rollout",
              "object": {"kind": "Deployment", "namespace": "store", "name": "checkout"},
              "summary": "Deployment store/checkout rolled out by argocd",
              "diff": [diff or f"app env RESILIENCE4J_CIRCUITBREAKER_INSTANCES_TAX_SLOWCALLDURATIONTHRESHOLD "
                               f"'2s' -> '{cutoff}'"]}
    return Facts(at=AT_, changes={"changes": [change]}, changes_id="E2",
                 logs=[_error_log("checkout-7d8c9b6f5-q2w4e", "store", REFUSED, 37)],
                 objects=[(_checkout(cutoff), "E4")])


def test_a_breaker_cutoff_in_a_workloads_env_below_the_callees_normal_answer_is_named() -> None:
    [trip] = _run(_env_facts("150ms"), FakeHub(TAX_SERIES, {"http_server_requests_seconds_max": {
        "before": 0.3, "now": 0.31}}))
    assert (trip.target.kind, trip.target.name, trip.guard.level) == ("Deployment", "checkout", 0.15)
    assert "billing/tax-rates" in gt.finding(trip)["message"]


def test_twin_an_env_cutoff_above_the_callees_normal_answer_is_not_named() -> None:
    assert _run(_env_facts("800ms"), FakeHub(TAX_SERIES, {"http_server_requests_seconds_max": {
        "before": 0.3, "now": 0.31}})) == []


def test_twin_a_rollout_whose_diff_names_no_guard_is_not_read() -> None:
    facts = _env_facts("150ms", diff="app image r.example/checkout:4.1 -> r.example/checkout:4.2")
    hub = FakeHub(TAX_SERIES, {"http_server_requests_seconds_max": {"before": 0.3, "now": 0.31}})
    assert _run(facts, hub) == []


BOOTSTRAP = """overload_manager:
  refresh_interval: 0.25s
  resource_monitors:
  - name: envoy.resource_monitors.fixed_heap
    typed_config:
      "@type": type.googleapis.com/envoy.extensions.resource_monitors.fixed_heap.v3.FixedHeapConfig
      max_heap_size_bytes: {maximum}
  actions:
  - name: envoy.overload_actions.stop_accepting_requests
    triggers:
    - name: envoy.resource_monitors.fixed_heap
      threshold: {{value: 0.9}}
"""
SHED = '[{at}] "GET /cart HTTP/1.1" 503 OM 0 15 0 - "-" "curl/8.5" "-" "-" "-" envoy overloaded'


def _envoy_proxy(maximum: int) -> tuple[Facts, FakeHub]:
    proxy = {"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "EnvoyProxy",
             "metadata": {"namespace": "envoy-gateway-system", "name": "edge-proxy-config"},
             "spec": {"bootstrap": {"type": "Merge", "value": BOOTSTRAP.format(maximum=maximum)}}}
    change = {"at": _stamp(WRITE_MIN), "type": "other",
              "object": {"kind": "EnvoyProxy", "namespace": "envoy-gateway-system", "name": "edge-proxy-config"},
              "summary": "EnvoyProxy envoy-gateway-system/edge-proxy-config patched by kubectl", "diff": []}
    facts = Facts(at=AT_, changes={"changes": [change, _rollout("envoy-gateway-system", "envoy-edge")]},
                  changes_id="E2", logs=[], objects=[(proxy, "E4")])
    series = [{"__name__": "envoy_server_memory_heap_size", "namespace": "envoy-gateway-system",
               "job": "envoy-edge"}]
    logs = "\n".join(f"{_stamp(m)} " + SHED.format(at=_stamp(m)) for m in (30, 20, 10))
    return facts, FakeHub(series, {"envoy_server_memory_heap_size": {"mid": 246e6, "now": 248e6}}, logs)


def test_an_envoyproxy_bootstrap_shed_point_below_the_proxys_heap_is_named() -> None:
    [trip] = _run(*_envoy_proxy(268_435_456))  # 256 MiB at 0.9: sheds from 242 MB, the proxy holds 248 MB
    assert (trip.target.kind, trip.guard.resource) == ("EnvoyProxy", "heap")
    assert "stop_accepting_requests" in gt.finding(trip)["message"]


def test_twin_an_envoyproxy_heap_maximum_far_above_the_working_set_is_not_named() -> None:
    assert _run(*_envoy_proxy(2_147_483_648)) == []
