"""mesh_fault: policies of other Envoy-based meshes and gateways (issue #12 audit of agent.triage.mesh_fault).

Envoy Gateway's BackendTrafficPolicy carries `faultInjection` and `circuitBreaker`; Consul's ServiceDefaults carries
`upstreamConfig` `limits` and `passiveHealthCheck`. Both run Envoy, so the callers see Envoy's own marks. Shapes: a
BackendTrafficPolicy aborting half the calls (a client quoting Envoy's `fault filter abort` body); a Consul
ServiceDefaults cutting its upstream limits (a client quoting `reset reason: overflow`). Twins: a
BackendTrafficPolicy that only sets retries, a ServiceDefaults that only sets the protocol.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from agent.triage import mesh_fault
from agent.triage.facts import Facts
from tests.triage.test_mesh_fault import AT, Hub, _facts, _iso


def _run(facts: Facts, hub: Hub) -> list[mesh_fault.Faulted]:
    asyncio.run(mesh_fault.read(facts, hub, _iso(AT)))
    return mesh_fault.found(facts)


def _btp(spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "BackendTrafficPolicy",
            "metadata": {"name": "pricing-policy", "namespace": "catalog"},
            "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": "pricing"}],
                     **spec}}


def test_envoy_gateway_fault_injection_abort_quoted_by_a_client_and_a_retry_only_twin() -> None:
    spec = {"faultInjection": {"abort": {"httpStatus": 503, "percentage": 50}}}
    diff = ["spec.faultInjection = {'abort': {'httpStatus': 503, 'percentage': 50}}"]
    quoted = ["GET http://pricing.catalog/v2/prices/77 failed: 503 Service Unavailable: fault filter abort"]
    [hit] = _run(_facts("BackendTrafficPolicy", "pricing-policy", "catalog", diff, app_lines=quoted),
                 Hub({"pricing-policy": _btp(spec)}))
    assert hit.injector.flag == "FI" and hit.injector.path == "spec.faultInjection.abort"
    assert mesh_fault.finding(hit)["message"].startswith("BackendTrafficPolicy catalog/pricing-policy injects faults")
    retries = _btp({"retry": {"numRetries": 3}})
    assert _run(_facts("BackendTrafficPolicy", "pricing-policy", "catalog", ["spec.retry.numRetries = 3"],
                       app_lines=quoted), Hub({"pricing-policy": retries})) == []


def _defaults(config: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "consul.hashicorp.com/v1alpha1", "kind": "ServiceDefaults",
            "metadata": {"name": "pricing", "namespace": "catalog"}, "spec": config}


def test_consul_service_defaults_upstream_limits_cut_and_a_protocol_only_twin() -> None:
    spec = {"protocol": "http", "upstreamConfig": {"defaults": {"limits": {
        "maxConnections": 1, "maxPendingRequests": 1, "maxConcurrentRequests": 1}}}}
    diff = ["spec.upstreamConfig.defaults.limits.maxPendingRequests: 512 -> 1"]
    body = ["pricing call failed: upstream connect error or disconnect/reset before headers. reset reason: overflow"]
    [hit] = _run(_facts("ServiceDefaults", "pricing", "catalog", diff, app_lines=body),
                 Hub({"pricing": _defaults(spec)}))
    assert hit.injector.flag == "UO" and "maxPendingRequests 1" in mesh_fault.finding(hit)["message"]
    protocol = _defaults({"protocol": "grpc"})
    assert _run(_facts("ServiceDefaults", "pricing", "catalog", ["spec.protocol: http -> grpc"], app_lines=body),
                Hub({"pricing": protocol})) == []


def test_a_write_outside_the_window_is_still_no_candidate() -> None:
    spec = {"faultInjection": {"abort": {"httpStatus": 503, "percentage": 50}}}
    old = _facts("BackendTrafficPolicy", "pricing-policy", "catalog", ["spec.faultInjection = {}"],
                 at=AT - timedelta(days=1), app_lines=["503: fault filter abort"])
    assert _run(old, Hub({"pricing-policy": _btp(spec)})) == []
