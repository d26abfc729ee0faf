"""A load-balancing policy set to hash or stick by a key, confirmed by one hot replica (issue #12, round 21 class).

Written here, not taken from the held-out bundles: two shapes (Envoy Gateway's BackendTrafficPolicy reached
through its HTTPRoute, with CPU skew; Istio's DestinationRule on a header in another namespace, with request-rate
skew), the other software's fields read by `pinning`, and negative twins (a free-balancing policy with the same
skew, an even spread under hashing, a hot pod of a workload the policy does not balance, a write too old).
Objects are as `k8s_get -o yaml` returns them, samples in `prom_query`'s answer shape, through a recorded fake of
the tool hub.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.toolhub import ToolOutcome
from agent.triage import hash_balance
from agent.triage.facts import Facts
from tests.triage.doubles import Call, RecordingHub, outcome

AT = datetime(2026, 6, 3, 10, 0, tzinfo=UTC)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


class Hub(RecordingHub):
    """The tool hub as the survey calls it: objects by (kind, name), pods by label selector, per-pod samples of the
    namespace."""

    def __init__(self, objects: dict[tuple[str, str], dict[str, Any]], pods: dict[str, list[str]],
                 samples: dict[str, dict[str, float]], namespace: str) -> None:
        super().__init__(objects=objects)
        self.pods, self.samples, self.namespace = pods, samples, namespace

    def answer(self, call: Call, eid: str) -> ToolOutcome | None:
        if call.tool == "k8s_list":
            rows = [{"name": p} for p in self.pods.get(call.args.get("label_selector", ""), [])]
            return outcome(True, {"rows": rows}, "", eid)
        if call.tool == "prom_query":
            name = "cpu" if "container_cpu" in call.args["query"] else "requests"
            found = [{"labels": {"pod": p}, "value": v} for p, v in self.samples.get(name, {}).items()
                     if f'namespace="{self.namespace}"' in call.args["query"]]
            return outcome(True, {"samples": found}, "", eid)
        return super().answer(call, eid)


def _facts(kind: str, ns: str, name: str, ago: timedelta = timedelta(minutes=40)) -> Facts:
    change = {"at": _iso(AT - ago), "type": "other", "object": {"kind": kind, "namespace": ns, "name": name},
              "summary": f"{kind} {ns}/{name} written", "diff": ["spec.loadBalancer written by kubectl"]}
    return Facts(at=AT, changes={"changes": [change]}, changes_id="E2")


def _run(facts: Facts, hub: Hub) -> None:
    asyncio.run(hash_balance.read(facts, hub, _iso(AT)))


API = [f"catalog-api-6d9f7c8b5-{s}" for s in ("x2k4p", "q8w7r", "z6v5t", "m9n2b")]
WORKER = ["catalog-worker-5c8d7b6f4-w4x5z", "catalog-worker-5c8d7b6f4-h7j8k"]


def _envoy(lb: dict[str, Any]) -> Hub:
    policy = {"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "BackendTrafficPolicy",
              "metadata": {"name": "catalog-lb", "namespace": "catalog"},
              "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute",
                                       "name": "catalog"}], "loadBalancer": lb}}
    route = {"kind": "HTTPRoute", "metadata": {"name": "catalog", "namespace": "catalog"},
             "spec": {"rules": [{"backendRefs": [{"name": "catalog-api", "port": 8080}]}]}}
    svc = {"kind": "Service", "metadata": {"name": "catalog-api", "namespace": "catalog"},
           "spec": {"selector": {"app": "catalog-api"}}}
    cpu = {API[0]: 0.98, API[1]: 0.12, API[2]: 0.11, API[3]: 0.13, WORKER[0]: 0.9, WORKER[1]: 0.1}
    return Hub({("BackendTrafficPolicy", "catalog-lb"): policy, ("HTTPRoute", "catalog"): route,
                ("Service", "catalog-api"): svc}, {"app=catalog-api": API}, {"cpu": cpu}, "catalog")


HASH = {"type": "ConsistentHash", "consistentHash": {"type": "Header", "header": {"name": "x-org-id"}}}


def test_envoy_gateway_header_hash_with_one_replica_at_its_cpu_limit() -> None:
    facts = _facts("BackendTrafficPolicy", "catalog", "catalog-lb")
    _run(facts, _envoy(HASH))
    [hit] = hash_balance.found(facts)
    assert hit.pod == API[0] and hit.workload == "catalog-api"
    message = hash_balance.finding(hit)["message"]
    assert message.startswith("BackendTrafficPolicy catalog/catalog-lb set load balancing to ConsistentHash on "
                              "header x-org-id 40 min before")
    assert "one pod" in message[:250] and API[0] in message[:400]


def test_free_balancing_with_the_same_skew_is_not_the_policy() -> None:
    facts = _facts("BackendTrafficPolicy", "catalog", "catalog-lb")
    _run(facts, _envoy({"type": "LeastRequest"}))
    assert hash_balance.found(facts) == []


def test_hot_pod_of_a_workload_the_policy_does_not_balance_is_not_the_policy() -> None:
    facts = _facts("BackendTrafficPolicy", "catalog", "catalog-lb")
    hub = _envoy(HASH)
    hub.samples["cpu"] = {API[0]: 0.2, API[1]: 0.21, API[2]: 0.19, API[3]: 0.2, WORKER[0]: 0.95, WORKER[1]: 0.05}
    _run(facts, hub)
    assert hash_balance.found(facts) == []


def test_a_write_older_than_the_lead_is_not_the_policy() -> None:
    facts = _facts("BackendTrafficPolicy", "catalog", "catalog-lb", ago=timedelta(hours=9))
    _run(facts, _envoy(HASH))
    assert hash_balance.found(facts) == []


PRICING = [f"pricing-7f6d5c4b9-{s}" for s in ("p2q4r", "s5t6v", "w7x8z")]


def _istio(spread: dict[str, float]) -> Hub:
    rule = {"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule",
            "metadata": {"name": "pricing-affinity", "namespace": "mesh-config"},
            "spec": {"host": "pricing.shop.svc.cluster.local",
                     "trafficPolicy": {"portLevelSettings": [{"port": {"number": 9090}, "loadBalancer": {
                         "consistentHash": {"httpHeaderName": "x-session"}}}]}}}
    svc = {"kind": "Service", "metadata": {"name": "pricing", "namespace": "shop"},
           "spec": {"selector": {"app": "pricing"}}}
    return Hub({("DestinationRule", "pricing-affinity"): rule, ("Service", "pricing"): svc},
               {"app=pricing": PRICING}, {"requests": spread}, "shop")


def test_istio_port_level_header_hash_with_request_skew_in_the_hosts_namespace() -> None:
    facts = _facts("DestinationRule", "mesh-config", "pricing-affinity", ago=timedelta(minutes=75))
    _run(facts, _istio({PRICING[0]: 410.0, PRICING[1]: 22.0, PRICING[2]: 25.0}))
    [hit] = hash_balance.found(facts)
    assert (hit.pin.how, hit.pin.key, hit.pod) == ("consistentHash", "header x-session", PRICING[0])
    assert "requests" in hit.load


def test_hashing_with_an_even_spread_is_not_the_policy() -> None:
    facts = _facts("DestinationRule", "mesh-config", "pricing-affinity")
    _run(facts, _istio({PRICING[0]: 140.0, PRICING[1]: 122.0, PRICING[2]: 131.0}))
    assert hash_balance.found(facts) == []


def _obj(kind: str, spec: dict[str, Any], annotations: dict[str, str] | None = None) -> dict[str, Any]:
    return {"kind": kind, "metadata": {"name": "x", "namespace": "n", "annotations": annotations or {}},
            "spec": spec}


def test_other_softwares_pinning_fields() -> None:
    nginx = "nginx.ingress.kubernetes.io/"
    assert hash_balance.pinning(_obj("Ingress", {}, {nginx + "upstream-hash-by": "$remote_addr"})) == \
        hash_balance.Pin("upstream-hash-by", "$remote_addr")
    assert hash_balance.pinning(_obj("Ingress", {}, {nginx + "affinity": "cookie"})) is not None
    assert hash_balance.pinning(_obj("Ingress", {}, {nginx + "rewrite-target": "/"})) is None
    assert hash_balance.pinning(_obj("Service", {"sessionAffinity": "ClientIP"})) == \
        hash_balance.Pin("sessionAffinity ClientIP", "the client source IP")
    assert hash_balance.pinning(_obj("Service", {"sessionAffinity": "None"})) is None
    contour = {"routes": [{"services": [{"name": "web", "port": 80}], "loadBalancerPolicy": {
        "strategy": "RequestHash", "requestHashPolicies": [{"headerHashOptions": {"headerName": "X-Tenant"}}]}}]}
    assert hash_balance.pinning(_obj("HTTPProxy", contour)) == hash_balance.Pin("RequestHash", "header X-Tenant")
    assert hash_balance.pinning(_obj("HTTPProxy", {"routes": [{"loadBalancerPolicy": {"strategy": "Random"}}]})) \
        is None
    assert hash_balance.backend_names(_obj("HTTPProxy", contour))[0] == ["web"]
    assert hash_balance.pinning(_obj("DestinationRule", {"trafficPolicy": {"loadBalancer": {"simple":
                                                                                            "ROUND_ROBIN"}}})) is None
