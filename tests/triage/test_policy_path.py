"""The network-policy path evaluator and Calico's selector grammar, over policies written here.

Policies are written as their projects document them (Calico crd.projectcalico.org/v1 GlobalNetworkPolicy and
NetworkPolicy, Cilium cilium.io/v2 CiliumNetworkPolicy/CiliumClusterwideNetworkPolicy, Kubernetes
networking.k8s.io/v1 NetworkPolicy, policy.networking.k8s.io AdminNetworkPolicy); each denial has a twin that
is allowed, so a verdict that ignored the rules would fail one of the pair.
"""

from __future__ import annotations

from typing import Any

import pytest

from agent.triage.calico_selector import SelectorError, matches
from agent.triage.policy_path import Endpoint, Port, decide

SHOP = Endpoint("storefront", {"app": "web", "tier": "front"})
KAFKA = Endpoint("streaming", {"app": "kafka"}, names=("kafka.streaming.svc.cluster.local",), service="kafka")
AMQP, KAFKA_PORT = Port(5672, "amqp"), Port(9092, "tcp-kafka")


# ---- Calico selectors ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("selector", "labels", "want"), [
    ("all()", {}, True),
    ("", {"a": "b"}, True),
    ("app == 'web'", {"app": "web"}, True),
    ("app == 'web'", {"app": "api"}, False),
    ("app != 'web'", {}, True),
    ("tier in {'front', 'edge'}", {"tier": "edge"}, True),
    ("tier not in {'front', 'edge'}", {"tier": "edge"}, False),
    ("has(team) && !has(legacy)", {"team": "x"}, True),
    ("has(team) && !has(legacy)", {"team": "x", "legacy": ""}, False),
    ("(app == 'a' || app == 'b') && tier == 'db'", {"app": "b", "tier": "db"}, True),
    ("app == 'a' || app == 'b' && tier == 'db'", {"app": "a"}, True),
    ("!(app == 'a')", {"app": "a"}, False),
    ("kubernetes.io/metadata.name not in {'kube-system', 'calico-system'}",
     {"kubernetes.io/metadata.name": "shop"}, True),
    ("app starts with 'pay'", {"app": "payments"}, True),
    ("app ends with 'ments'", {"app": "pay"}, False),
])
def test_calico_selector_grammar(selector: str, labels: dict[str, str], want: bool) -> None:
    assert matches(selector, labels) is want


def test_a_malformed_selector_is_refused_not_guessed() -> None:
    for bad in ("app == web", "app ==", "has(app", "app ~ 'x'", "(app == 'x'"):
        with pytest.raises(SelectorError):
            matches(bad, {"app": "x"})


# ---- Calico global egress allow-list ---------------------------------------------------------------------------


def gnp(egress: list[dict[str, Any]], order: int = 100, ns: str = "kubernetes.io/metadata.name != 'kube-system'",
        selector: str = "all()") -> dict[str, Any]:
    return {"apiVersion": "crd.projectcalico.org/v1", "kind": "GlobalNetworkPolicy",
            "metadata": {"name": "egress-allowlist"},
            "spec": {"order": order, "selector": selector, "namespaceSelector": ns, "types": ["Egress"],
                     "egress": egress}}


ALLOWLIST = [{"action": "Allow", "protocol": "UDP", "destination": {"ports": [53]}},
             {"action": "Allow", "protocol": "TCP", "destination": {"ports": [443, "8000:8999", 9092]}},
             {"action": "Deny"}]


def test_a_calico_global_allow_list_that_leaves_a_port_out_denies_it_by_its_deny_rule() -> None:
    d = decide([gnp(ALLOWLIST)], SHOP, KAFKA, AMQP)
    assert not d.allowed and d.direction == "Egress" and d.why == "an explicit Deny rule"
    assert d.policy is not None and d.policy["metadata"]["name"] == "egress-allowlist"


def test_the_same_allow_list_lets_a_listed_port_and_a_port_in_a_range_through() -> None:
    assert decide([gnp(ALLOWLIST)], SHOP, KAFKA, KAFKA_PORT).allowed
    assert decide([gnp(ALLOWLIST)], SHOP, KAFKA, Port(8443)).allowed


def test_a_namespace_the_global_policy_does_not_select_is_not_affected() -> None:
    system = Endpoint("kube-system", {"k8s-app": "kube-dns"})
    assert decide([gnp(ALLOWLIST)], system, KAFKA, AMQP).allowed


def test_without_a_deny_rule_calico_s_default_deny_still_drops_what_no_rule_allows() -> None:
    d = decide([gnp(ALLOWLIST[:2])], SHOP, KAFKA, AMQP)
    assert not d.allowed and "default deny" in d.why


def test_a_lower_order_allow_wins_over_the_global_deny_and_pass_hands_over_to_the_profile() -> None:
    allow = gnp([{"action": "Allow", "protocol": "TCP", "destination": {
        "selector": "app == 'kafka'", "namespaceSelector": "kubernetes.io/metadata.name == 'streaming'",
        "ports": ["amqp"]}}], order=10)
    allow["metadata"]["name"] = "allow-amqp"
    assert decide([gnp(ALLOWLIST), allow], SHOP, KAFKA, AMQP).allowed
    allow["spec"]["order"] = 200  # after the allow-list's Deny: too late
    assert not decide([gnp(ALLOWLIST), allow], SHOP, KAFKA, AMQP).allowed
    passing = gnp([{"action": "Pass"}], order=5)
    assert decide([gnp(ALLOWLIST), passing], SHOP, KAFKA, AMQP).allowed


def test_a_calico_namespaced_policy_selects_only_its_own_namespace() -> None:
    npol = {"apiVersion": "crd.projectcalico.org/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "lockdown", "namespace": "storefront"},
            "spec": {"selector": "tier == 'front'", "types": ["Egress"], "egress": [{"action": "Deny"}]}}
    assert not decide([npol], SHOP, KAFKA, AMQP).allowed
    assert decide([npol], Endpoint("other", {"tier": "front"}), KAFKA, AMQP).allowed


# ---- Cilium clusterwide ----------------------------------------------------------------------------------------


def ccnp(egress: list[dict[str, Any]] | None = None, deny: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"endpointSelector": {"matchExpressions": [
        {"key": "k8s:io.kubernetes.pod.namespace", "operator": "NotIn", "values": ["kube-system"]}]}}
    if egress is not None:
        spec["egress"] = egress
    if deny is not None:
        spec["egressDeny"] = deny
    return {"apiVersion": "cilium.io/v2", "kind": "CiliumClusterwideNetworkPolicy",
            "metadata": {"name": "baseline-egress"}, "spec": spec}


def test_a_cilium_clusterwide_policy_allows_only_its_listed_ports() -> None:
    policy = ccnp([{"toEntities": ["cluster"], "toPorts": [{"ports": [{"port": "9092", "protocol": "TCP"}]}]}])
    d = decide([policy], SHOP, KAFKA, AMQP)
    assert not d.allowed and "default deny" in d.why
    assert decide([policy], SHOP, KAFKA, KAFKA_PORT).allowed


def test_cilium_to_endpoints_across_namespaces_needs_the_namespace_label_and_fqdns_match_the_service_name() -> None:
    by_label = ccnp([{"toEndpoints": [{"matchLabels": {"k8s:app": "kafka",
                                                       "k8s:io.kubernetes.pod.namespace": "streaming"}}]}])
    assert decide([by_label], SHOP, KAFKA, AMQP).allowed
    wrong_ns = ccnp([{"toEndpoints": [{"matchLabels": {"app": "kafka", "io.kubernetes.pod.namespace": "other"}}]}])
    assert not decide([wrong_ns], SHOP, KAFKA, AMQP).allowed
    fqdn = ccnp([{"toFQDNs": [{"matchPattern": "*.streaming.svc.cluster.local"}]}])
    assert decide([fqdn], SHOP, KAFKA, AMQP).allowed


def test_a_cilium_deny_rule_wins_over_an_allow() -> None:
    policy = ccnp([{"toEntities": ["all"]}], deny=[{"toPorts": [{"ports": [{"port": "5672"}]}]}])
    d = decide([policy], SHOP, KAFKA, AMQP)
    assert not d.allowed and d.why == "an egressDeny rule"
    assert decide([policy], SHOP, KAFKA, KAFKA_PORT).allowed


# ---- Kubernetes NetworkPolicy in the destination's namespace ---------------------------------------------------


def k8s_ingress(ports: list[dict[str, Any]], peers: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    rule: dict[str, Any] = {"ports": ports}
    if peers is not None:
        rule["from"] = peers
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "kafka-ingress", "namespace": "streaming"},
            "spec": {"podSelector": {"matchLabels": {"app": "kafka"}}, "policyTypes": ["Ingress"],
                     "ingress": [rule]}}


def test_an_ingress_policy_in_the_destination_s_namespace_denies_a_port_it_does_not_list() -> None:
    policy = k8s_ingress([{"port": 9092, "protocol": "TCP"}], [{"namespaceSelector": {}}])
    d = decide([policy], SHOP, KAFKA, AMQP)
    assert not d.allowed and d.direction == "Ingress"
    assert decide([policy], SHOP, KAFKA, KAFKA_PORT).allowed


def test_an_ingress_policy_allows_a_named_port_and_only_the_namespaces_it_selects() -> None:
    policy = k8s_ingress([{"port": "amqp"}], [{"namespaceSelector": {"matchLabels": {
        "kubernetes.io/metadata.name": "storefront"}}}])
    assert decide([policy], SHOP, KAFKA, AMQP).allowed
    assert not decide([policy], Endpoint("batch", {"app": "web"}), KAFKA, AMQP).allowed


def test_an_admin_policy_deny_comes_before_every_namespace_policy_and_pass_defers() -> None:
    anp = {"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy",
           "metadata": {"name": "no-amqp"},
           "spec": {"priority": 10, "subject": {"namespaces": {}},
                    "egress": [{"action": "Deny", "to": [{"namespaces": {}}],
                                "ports": [{"portNumber": {"port": 5672, "protocol": "TCP"}}]}]}}
    d = decide([anp], SHOP, KAFKA, AMQP)
    assert not d.allowed and d.why == "an admin Deny rule"
    assert decide([anp], SHOP, KAFKA, KAFKA_PORT).allowed
    anp["spec"]["egress"][0]["action"] = "Pass"
    assert decide([anp], SHOP, KAFKA, AMQP).allowed
