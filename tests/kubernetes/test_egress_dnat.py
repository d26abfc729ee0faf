"""An egress rule that allows a dependency by an ipBlock of its Service's virtual IP, which never matches after
DNAT: the topology says so and the blamed policy's finding names the ipBlock, the ClusterIP and the DNAT.

Twins: an ipBlock that also holds the pod IPs allows the calls (nothing is blocked); a denial by a rule of
another shape (an external range, another port) is blamed without the DNAT words.
"""

from __future__ import annotations

from typing import Any

from agent.incident import from_text
from agent.triage import rank, subject_of
from agent.triage.facts import Facts
from mcp_servers.kubernetes.egress_dnat import virtual_ip_rule
from mcp_servers.kubernetes.topology import build_topology
from tests.kubernetes.test_egress_policy import AT, DNS_ONLY, pod, policy
from tests.triage.test_rank import logs


def cluster(rule: dict[str, Any], cluster_ips: list[str], backend_ip: str) -> dict[str, Any]:
    """A Python worker (reports/renderer) calling a Java search Service (search/opensearch-api) by its DNS name."""
    caller = pod("renderer-1", "reports", "renderer", "10.42.0.7")
    caller["metadata"]["ownerReferences"] = [{"kind": "Deployment", "name": "renderer", "controller": True}]
    deploy = {"kind": "Deployment", "metadata": {"name": "renderer", "namespace": "reports"},
              "spec": {"selector": {"matchLabels": {"app": "renderer"}}, "template": {
                  "metadata": {"labels": {"app": "renderer"}},
                  "spec": {"containers": [{"name": "c", "env": [
                      {"name": "SEARCH_URL", "value": "http://opensearch-api.search.svc:9200"}]}]}}}}
    backend = pod("opensearch-api-0", "search", "opensearch-api", backend_ip, 9200, "http")
    backend["status"]["containerStatuses"] = [{"name": "c", "ready": True, "restartCount": 0,
                                               "state": {"running": {}}}]
    svc = {"kind": "Service", "metadata": {"name": "opensearch-api", "namespace": "search"},
           "spec": {"selector": {"app": "opensearch-api"}, "clusterIP": cluster_ips[0], "clusterIPs": cluster_ips,
                    "ports": [{"port": 9200, "targetPort": "http"}]}}
    return {"Deployment": [deploy], "Pod": [caller, backend], "Service": [svc],
            "NetworkPolicy": [policy("renderer-out", "reports", [DNS_ONLY, rule])]}


def blamed(objs: dict[str, Any]) -> str:
    topo = build_topology(objs, "renderer", "reports")
    line = "requests.exceptions.ConnectTimeout: HTTPConnectionPool(host='opensearch-api.search.svc', port=9200)"
    facts = Facts(at=AT, topologies=[(topo.model_dump(mode="json"), "E3")],
                  logs=[logs("renderer-1", "reports", "connection_timeout", line, hosts=["opensearch-api.search.svc"])])
    [top, *_] = rank(subject_of(from_text("renderer times out in namespace reports")), facts)
    assert top.check == "netpol.blocks_egress" and str(top.ref) == "NetworkPolicy reports/renderer-out"
    return top.cause


def test_an_ipblock_of_the_service_cidr_is_named_with_the_dnat_that_defeats_it() -> None:
    rule = {"to": [{"ipBlock": {"cidr": "10.96.0.0/12"}}], "ports": [{"protocol": "TCP", "port": 9200}]}
    cause = blamed(cluster(rule, ["10.100.4.20"], "10.42.3.9"))
    assert "ipBlock 10.96.0.0/12" in cause and "ClusterIP 10.100.4.20" in cause and "DNAT" in cause
    assert "10.42.3.9" in cause


def test_a_dual_stack_service_whose_ipv6_cluster_ip_the_rule_holds_is_named_too() -> None:
    """The second shape: IPv6 Service range, no ports on the rule, the pod IPv4 outside it."""
    rule = {"to": [{"ipBlock": {"cidr": "fd00:10:96::/112"}}]}
    cause = blamed(cluster(rule, ["10.100.4.20", "fd00:10:96::4a1"], "10.42.3.9"))
    assert "ipBlock fd00:10:96::/112" in cause and "fd00:10:96::4a1" in cause and "DNAT" in cause


def test_twin_an_ipblock_that_also_holds_the_pods_allows_the_calls() -> None:
    rule = {"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}], "ports": [{"port": 9200}]}
    assert build_topology(cluster(rule, ["10.100.4.20"], "10.42.3.9"), "renderer", "reports").egress_blocked == []


def test_twin_a_denial_by_another_rule_shape_is_blamed_without_the_dnat_words() -> None:
    # An external range that does not hold the ClusterIP, and the Service range on another port.
    for rule in ({"to": [{"ipBlock": {"cidr": "203.0.113.0/24"}}], "ports": [{"port": 9200}]},
                 {"to": [{"ipBlock": {"cidr": "10.96.0.0/12"}}], "ports": [{"port": 5432}]}):
        cause = blamed(cluster(rule, ["10.100.4.20"], "10.42.3.9"))
        assert "DNAT" not in cause and "none of its rules allows" in cause, rule


def test_an_except_that_carves_out_the_cluster_ip_is_no_such_rule() -> None:
    svc = {"spec": {"clusterIP": "10.100.4.20", "ports": [{"port": 9200}]}}
    backend = {"status": {"podIP": "10.42.3.9"}}
    carved = policy("p", "reports", [{"to": [{"ipBlock": {"cidr": "10.96.0.0/12", "except": ["10.100.0.0/16"]}}]}])
    assert virtual_ip_rule([carved], svc, backend, 9200) == ""
    headless = {"spec": {"clusterIP": "None", "ports": [{"port": 9200}]}}
    plain = policy("p", "reports", [{"to": [{"ipBlock": {"cidr": "10.96.0.0/12"}}]}])
    assert virtual_ip_rule([plain], headless, backend, 9200) == ""
    assert "10.96.0.0/12" in virtual_ip_rule([plain], svc, backend, 9200)
