"""Egress NetworkPolicies judged against a dependency's pods and ports, and the triage that blames them.

Objects are networking.k8s.io/v1 NetworkPolicies, Services and pods as the API server stores them;
the semantics checked are the documented ones: a policy isolates egress when policyTypes lists
Egress; rules add up across policies; a rule's `to` peers (podSelector alone = the policy's
namespace, namespaceSelector on `kubernetes.io/metadata.name`, ipBlock with except) and its ports
(number, named port, endPort range; none = all) must both allow the pod IP and pod port.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agent.incident import from_text
from agent.triage import rank, subject_of
from agent.triage.facts import Facts
from mcp_servers.kubernetes.egress import egress_verdict
from mcp_servers.kubernetes.topology import build_topology
from tests.triage.test_rank import logs

AT = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def pod(name: str, ns: str, app: str, ip: str, port: int = 0, port_name: str = "") -> dict[str, Any]:
    container: dict[str, Any] = {"name": "c", "image": "x:1"}
    if port:
        container["ports"] = [{"containerPort": port, **({"name": port_name} if port_name else {})}]
    return {"kind": "Pod", "metadata": {"name": name, "namespace": ns, "labels": {"app": app}},
            "spec": {"containers": [container], "nodeName": "n1"},
            "status": {"phase": "Running", "podIP": ip, "conditions": [{"type": "Ready", "status": "True"}]}}


def policy(name: str, ns: str, egress: list[dict[str, Any]], selector: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"kind": "NetworkPolicy", "metadata": {"name": name, "namespace": ns},
            "spec": {"podSelector": selector or {}, "policyTypes": ["Egress"], "egress": egress}}


DNS_ONLY = {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
            "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}
HTTPS_OUT = {"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}], "ports": [{"port": 443}]}
SRC = pod("api-1", "shop", "api", "10.244.0.5")
DB = pod("db-0", "data", "db", "10.244.1.9", 5432, "postgres")


def test_a_baseline_allowing_dns_and_https_out_denies_an_in_cluster_database() -> None:
    verdict = egress_verdict([policy("baseline", "shop", [DNS_ONLY, HTTPS_OUT])], SRC, DB, 5432, "postgres")
    assert not verdict.allowed and [p["metadata"]["name"] for p in verdict.policies] == ["baseline"]


def test_rules_add_up_and_every_peer_and_port_form_counts() -> None:
    base = policy("baseline", "shop", [DNS_ONLY])
    cases = [
        ({"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "data"}}}],
          "ports": [{"port": 5432}]}, True),
        ({"to": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "db"}}}],
          "ports": [{"port": "postgres"}]}, True),
        ({"ports": [{"port": 5000, "endPort": 6000}]}, True),  # no `to`: any destination
        ({"to": [{"ipBlock": {"cidr": "10.244.1.0/24"}}]}, True),  # no ports: every port
        ({"to": [{"ipBlock": {"cidr": "10.244.0.0/16", "except": ["10.244.1.0/24"]}}]}, False),
        ({"to": [{"podSelector": {"matchLabels": {"app": "db"}}}]}, False),  # podSelector alone: own namespace
        ({"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "data"}}}],
          "ports": [{"port": 5432, "protocol": "UDP"}]}, False),
    ]
    for rule, allowed in cases:
        verdict = egress_verdict([base, policy("extra", "shop", [rule])], SRC, DB, 5432, "postgres")
        assert verdict.allowed is allowed, rule
    # A policy selecting other pods, or one isolating ingress only, leaves the source unrestricted.
    assert egress_verdict([policy("web-only", "shop", [], {"matchLabels": {"app": "web"}})], SRC, DB, 5432).allowed
    ingress_only = {"kind": "NetworkPolicy", "metadata": {"name": "in", "namespace": "shop"},
                    "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}}
    assert egress_verdict([ingress_only], SRC, DB, 5432).allowed


def objects(policies: list[dict[str, Any]]) -> dict[str, Any]:
    api = {"kind": "Deployment", "metadata": {"name": "api", "namespace": "shop"},
           "spec": {"selector": {"matchLabels": {"app": "api"}}, "template": {
               "metadata": {"labels": {"app": "api"}},
               "spec": {"containers": [{"name": "c", "env": [
                   {"name": "DATABASE_URL", "value": "postgres://db.data.svc.cluster.local:5432/app"}]}]}}}}
    src = {**SRC, "metadata": {**SRC["metadata"], "ownerReferences": [{"kind": "Deployment", "name": "api",
                                                                        "controller": True}]}}
    svc = {"kind": "Service", "metadata": {"name": "db", "namespace": "data"},
           "spec": {"selector": {"app": "db"}, "clusterIP": "10.96.3.3", "ports": [{"port": 5432,
                                                                                     "targetPort": "postgres"}]}}
    return {"Deployment": [api], "Pod": [src, DB], "Service": [svc], "NetworkPolicy": policies}


def test_topology_names_the_blocked_dependency_and_triage_blames_the_policy_not_the_database() -> None:
    topo = build_topology(objects([policy("baseline", "shop", [DNS_ONLY, HTTPS_OUT])]), "api", "shop")
    [block] = topo.egress_blocked
    assert str(block.target) == "Service data/db" and block.ports == ["5432/TCP"]
    assert [p.name for p in block.policies] == ["baseline"]
    line = "failed to connect to `user=app database=app`: 10.96.3.3:5432: dial tcp 10.96.3.3:5432: i/o timeout"
    facts = Facts(at=AT, topologies=[(topo.model_dump(mode="json"), "E3")],
                  logs=[logs("api-1", "shop", "connection_timeout", line, hosts=["10.96.3.3"])])
    [top, *_] = rank(subject_of(from_text("api returns 500s in namespace shop")), facts)
    assert top.check == "netpol.blocks_egress" and str(top.ref) == "NetworkPolicy shop/baseline"
    assert "5432/TCP" in top.cause and "Service data/db" in top.cause
    # The rule the database needs, added: nothing is blocked, and no policy is blamed.
    fixed = {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "data"}}}],
             "ports": [{"port": 5432}]}
    assert build_topology(objects([policy("baseline", "shop", [DNS_ONLY, HTTPS_OUT, fixed])]), "api",
                          "shop").egress_blocked == []


def test_a_denied_dependency_the_logs_never_fail_on_is_not_a_suspect() -> None:
    topo = build_topology(objects([policy("baseline", "shop", [DNS_ONLY, HTTPS_OUT])]), "api", "shop")
    facts = Facts(at=AT, topologies=[(topo.model_dump(mode="json"), "E3")],
                  logs=[logs("api-1", "shop", "missing_config", "DATABASE_URL is not set")])
    assert not [c for c in rank(subject_of(from_text("api returns 500s in namespace shop")), facts)
                if c.check == "netpol.blocks_egress"]
