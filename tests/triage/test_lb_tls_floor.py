"""A load balancer's TLS policy raised to a protocol floor (agent.triage.lb_tls_floor via lb_healthcheck).

Shapes of our own: an AWS classic/NLB policy `ELBSecurityPolicy-TLS13-1-3-2021-06` on a Service (TLS 1.3 only),
Alibaba Cloud's `tls-cipher-policy: tls_cipher_policy_1_2_strict` (1.2 and up), a `min-tls-version` key of another
controller. Twins: a policy whose name admits TLS 1.0 (`ELBSecurityPolicy-2016-08`), a floor of 1.1, and a
non-policy key whose value looks like a version (the backend protocol): no handshake sentence.
"""

from __future__ import annotations

from agent.triage import lb_healthcheck, lb_tls_floor
from tests.triage.test_node_path_causes import _lb_facts, _service

AWS = "service.beta.kubernetes.io/aws-load-balancer-ssl-negotiation-policy"
ALI = "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-tls-cipher-policy"
PORTS = {"ports": [{"name": "https", "port": 443, "targetPort": 8443, "nodePort": 30443}]}


def _problems(changed: str, annotations: dict[str, str]) -> list[str]:
    [found] = lb_healthcheck.changes(_lb_facts([changed], service=_service(annotations, PORTS)))
    return found.problems


def test_an_aws_tls13_only_policy_cuts_older_clients_at_the_handshake_and_leads_the_finding() -> None:
    facts = _lb_facts([AWS], service=_service({AWS: "ELBSecurityPolicy-TLS13-1-3-2021-06"}, PORTS))
    [found] = lb_healthcheck.changes(facts)
    finding = lb_healthcheck.finding(found)
    assert "admits TLS 1.3 only" in finding["message"][:400] and "handshake" in finding["message"][:400]
    assert "at most TLS 1.2" in finding["message"]
    assert "TLS negotiation errors" in finding["evidence"][1]


def test_alibaba_strict_and_a_min_version_key_state_a_tls_12_floor() -> None:
    problems = _problems(ALI, {ALI: "tls_cipher_policy_1_2_strict"})
    assert len(problems) == 1 and "admits TLS 1.2 and later only" in problems[0] and "at most TLS 1.1" in problems[0]
    assert lb_tls_floor.floor("example.com/listener-min-tls-version", "TLSv1.2") == "1.2"
    assert lb_tls_floor.floor("alb.ingress.kubernetes.io/ssl-policy", "ELBSecurityPolicy-TLS-1-2-Ext-2018-06") == "1.2"


def test_twins_a_policy_admitting_tls10_a_11_floor_and_a_non_policy_key_say_nothing() -> None:
    assert _problems(AWS, {AWS: "ELBSecurityPolicy-2016-08"}) == []
    assert _problems(AWS, {AWS: "ELBSecurityPolicy-TLS-1-1-2017-01"}) == []
    key = "service.beta.kubernetes.io/aws-load-balancer-backend-protocol"
    assert lb_tls_floor.floor(key, "TLSv1.3") == "" and lb_tls_floor.problems({key: "tls1.3"}) == []
