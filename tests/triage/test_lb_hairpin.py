"""Client IP preservation switched on for an internal load balancer (agent.triage.lb_hairpin via lb_healthcheck).

Shapes: an AWS NLB (`aws-load-balancer-scheme: internal`, preservation inside `target-group-attributes`) and an
OCI network load balancer (`is-preserve-source: "true"` with `.../internal: "true"`). Twins: the same switch on an
internet-facing load balancer, preservation switched off, and an internal load balancer whose change touched
another attribute: none of them is named a hairpin.
"""

from __future__ import annotations

from agent.triage import lb_hairpin, lb_healthcheck
from tests.triage.test_node_path_causes import _lb_facts, _service

AWS_ATTRS = "service.beta.kubernetes.io/aws-load-balancer-target-group-attributes"
AWS_SCHEME = "service.beta.kubernetes.io/aws-load-balancer-scheme"
OCI = "oci-network-load-balancer.oraclecloud.com"
PORTS = {"ports": [{"name": "grpc", "port": 9090, "targetPort": 9090, "nodePort": 31090}]}


def _problems(changed: str, annotations: dict[str, str]) -> list[str]:
    [found] = lb_healthcheck.changes(_lb_facts([changed], service=_service(annotations, PORTS)))
    return found.problems


def test_aws_internal_nlb_preserving_client_ip_is_named_a_same_node_hairpin() -> None:
    problems = _problems(AWS_ATTRS, {AWS_SCHEME: "internal", "service.beta.kubernetes.io/aws-load-balancer-type":
                                     "external", AWS_ATTRS: "stickiness.enabled=false,preserve_client_ip.enabled=true"})
    assert len(problems) == 1 and "hairpin" in problems[0] and "same node" in problems[0]
    assert "preserve_client_ip.enabled=true" in problems[0]


def test_oci_internal_nlb_preserving_the_source_is_named_too_and_leads_the_finding() -> None:
    key = f"{OCI}/is-preserve-source"
    facts = _lb_facts([key], service=_service({key: "true", f"{OCI}/internal": "true"}, PORTS))
    [found] = lb_healthcheck.changes(facts)
    message = lb_healthcheck.finding(found)["message"]
    assert "is-preserve-source=true" in message and "hairpin" in message[:400]


def test_twins_internet_facing_switched_off_or_another_attribute_are_no_hairpin() -> None:
    assert _problems(AWS_ATTRS, {AWS_SCHEME: "internet-facing", AWS_ATTRS: "preserve_client_ip.enabled=true"}) == []
    assert _problems(AWS_ATTRS, {AWS_SCHEME: "internal", AWS_ATTRS: "preserve_client_ip.enabled=false"}) == []
    assert _problems(AWS_ATTRS, {AWS_SCHEME: "internal", AWS_ATTRS: "deregistration_delay.timeout_seconds=30"}) == []
    key = f"{OCI}/is-preserve-source"
    assert _problems(key, {key: "false", f"{OCI}/internal": "true"}) == []


def test_internal_reads_each_clouds_words() -> None:
    assert lb_hairpin.internal({"service.beta.kubernetes.io/azure-load-balancer-internal": "true"})
    assert lb_hairpin.internal({"service.beta.kubernetes.io/aws-load-balancer-internal": "0.0.0.0/0"})
    assert lb_hairpin.internal({"networking.gke.io/load-balancer-type": "Internal"})
    assert not lb_hairpin.internal({"service.beta.kubernetes.io/azure-load-balancer-internal": "false"})
    assert not lb_hairpin.internal({AWS_SCHEME: "internet-facing"})
