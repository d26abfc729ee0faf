"""A load balancer's PROXY-protocol switch against the listener behind it (agent.triage.lb_healthcheck).

The pair must agree: an annotation that makes the cloud LB prepend a PROXY header while the ingress
controller's ConfigMap does not say `use-proxy-protocol: "true"` turns every request into a 400. Shapes: AWS
NLB (`aws-load-balancer-proxy-protocol: "*"`) and DigitalOcean (`do-loadbalancer-enable-proxy-protocol`).
Twins: the controller's ConfigMap already expects the header, the annotation switches it off.
"""

from __future__ import annotations

from typing import Any

from agent.triage import lb_healthcheck, rank, subject_of
from agent.triage.facts import Facts
from tests.triage.test_node_path_causes import _lb_facts, _service
from tests.triage.test_rank import alert

AWS_PP = "service.beta.kubernetes.io/aws-load-balancer-proxy-protocol"
DO_PP = "service.beta.kubernetes.io/do-loadbalancer-enable-proxy-protocol"
PORTS = {"ports": [{"name": "http", "port": 80, "targetPort": 80, "nodePort": 31080}]}


def _controller_config(use_proxy: str) -> tuple[dict[str, Any], str]:
    return ({"kind": "ConfigMap", "metadata": {"name": "edge-controller", "namespace": "gateway"},
             "data": {"use-proxy-protocol": use_proxy, "use-forwarded-headers": "true"}}, "E9")


def _facts(key: str, value: str, config: str | None = None) -> Facts:
    facts = _lb_facts([key], service=_service({key: value}, PORTS))
    if config is not None:
        facts.objects.append(_controller_config(config))
    return facts


def test_aws_proxy_protocol_without_the_controller_expecting_it_is_a_400_for_every_request() -> None:
    facts = _facts(AWS_PP, "*", config="false")
    [found] = lb_healthcheck.changes(facts)
    assert found.problems and "proxy protocol mismatch" in found.problems[0]
    [top, *_] = rank(subject_of(alert(alertname="IngressHigh4xx", namespace="gateway", service="edge")), facts)
    assert top.check == lb_healthcheck.CHECK and top.ref is not None and top.ref.name == "edge"
    head = top.cause[:400]
    assert "400" in head and "use-proxy-protocol" in head and "aws-load-balancer-proxy-protocol='*'" in head


def test_digitalocean_switch_with_the_controller_config_unread_still_names_the_mismatch() -> None:
    [found] = lb_healthcheck.changes(_facts(DO_PP, "true"))
    assert found.values == {DO_PP: "true"} and "400 Bad Request" in lb_healthcheck.finding(found)["message"]


def test_a_controller_already_parsing_the_header_or_a_switch_off_is_no_mismatch() -> None:
    [agreed] = lb_healthcheck.changes(_facts(AWS_PP, "*", config="true"))
    assert agreed.problems == []
    assert "proxy protocol mismatch" not in lb_healthcheck.finding(agreed)["message"]
    [off] = lb_healthcheck.changes(_facts(DO_PP, "false"))
    assert off.problems == []


def test_controller_parses_proxy_reads_only_the_services_namespace() -> None:
    facts = _facts(AWS_PP, "*")
    assert lb_healthcheck.controller_parses_proxy(facts, "gateway") is None
    facts.objects.append(_controller_config("true"))
    assert lb_healthcheck.controller_parses_proxy(facts, "gateway") is True
    assert lb_healthcheck.controller_parses_proxy(facts, "other") is None
