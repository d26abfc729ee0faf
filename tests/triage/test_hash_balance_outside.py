"""hash_balance against pinning settings it was not built from (issue #12: build for the class).

Shapes: a Service whose AWS NLB target group stickiness was turned on (`service.beta.kubernetes.io/aws-load-
balancer-target-group-attributes: stickiness.enabled=true,stickiness.type=source_ip`), confirmed end to end by one
pod at its CPU limit; HAProxy's balance algorithm on an Ingress (`haproxy.org/load-balance: hdr(X-Tenant)`,
jcmoraisjr's `haproxy-ingress.github.io/balance-algorithm: source`), HAProxy cookie persistence and ALB
`stickiness.enabled=true` read as pinning. Twins: stickiness written false with the same skew; HAProxy's
roundrobin/leastconn.
"""

from __future__ import annotations

from typing import Any

from agent.triage import hash_balance
from tests.triage.test_hash_balance import API, Hub, _facts, _run

NLB = "service.beta.kubernetes.io/aws-load-balancer-target-group-attributes"


def _nlb(attributes: str) -> Hub:
    svc = {"kind": "Service", "metadata": {"name": "catalog-api", "namespace": "catalog",
                                           "annotations": {NLB: attributes}},
           "spec": {"type": "LoadBalancer", "selector": {"app": "catalog-api"}}}
    cpu = {API[0]: 0.97, API[1]: 0.1, API[2]: 0.12, API[3]: 0.11}
    return Hub({("Service", "catalog-api"): svc}, {"app=catalog-api": API}, {"cpu": cpu}, "catalog")


def test_nlb_source_ip_stickiness_on_a_service_with_one_pod_at_its_limit() -> None:
    facts = _facts("Service", "catalog", "catalog-api")
    _run(facts, _nlb("stickiness.enabled=true,stickiness.type=source_ip,deregistration_delay.timeout_seconds=30"))
    [hit] = hash_balance.found(facts)
    assert hit.pod == API[0]
    message = hash_balance.finding(hit)["message"]
    assert message.startswith("Service catalog/catalog-api set load balancing to target group stickiness "
                              "(source_ip) on the client source IP")


def test_nlb_stickiness_written_false_is_not_the_policy() -> None:
    facts = _facts("Service", "catalog", "catalog-api")
    _run(facts, _nlb("stickiness.enabled=false,stickiness.type=source_ip"))
    assert hash_balance.found(facts) == []


def _ingress(annotations: dict[str, str]) -> dict[str, Any]:
    return {"kind": "Ingress", "metadata": {"name": "web", "namespace": "shop", "annotations": annotations},
            "spec": {"rules": [{"http": {"paths": [{"backend": {"service": {"name": "web"}}}]}}]}}


def test_other_controllers_pinning_annotations() -> None:
    got = [hash_balance.pinning(_ingress(a)) for a in (
        {"haproxy.org/load-balance": "hdr(X-Tenant)"},
        {"haproxy-ingress.github.io/balance-algorithm": "source"},
        {"haproxy.org/cookie-persistence": "SRVID"},
        {"alb.ingress.kubernetes.io/target-group-attributes": "stickiness.enabled=true,"
                                                              "stickiness.lb_cookie.duration_seconds=3600"})]
    assert [p.text() if p else None for p in got] == [
        "balance hdr(X-Tenant) on header X-Tenant", "balance source on the client source IP",
        "sticky session (cookie persistence) on cookie SRVID", "target group stickiness (lb_cookie) on cookie AWSALB"]


def test_haproxy_free_balancing_is_no_pinning() -> None:
    for value in ("roundrobin", "leastconn", "random(2)"):
        assert hash_balance.pinning(_ingress({"haproxy.org/load-balance": value})) is None
