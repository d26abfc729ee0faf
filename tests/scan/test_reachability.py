"""netpol.denies_client: a NetworkPolicy that isolates a Service's pods and admits none of its clients.

NetworkPolicy semantics as networking.k8s.io/v1 defines them (isolation by any policy selecting the
pod with policyType Ingress, rules adding up, `from` peers by podSelector within the policy's
namespace, namespaceSelector, both, or ipBlock, ports with endPort); clients read from their pod
spec's env values. Each problem once, every admitted or undecidable client silent.
"""

from __future__ import annotations

import copy
from typing import Any

from mcp_servers.kubernetes.scan import ScanResult, Snapshot, scan
from tests.scan.objects import NOW, meta, pod, service

LISTED = {"Pod", "Service", "NetworkPolicy"}


def run(objects: list[dict[str, Any]]) -> ScanResult:
    return scan(Snapshot.from_objects(objects, listed=LISTED), NOW, ["reachability"])


def client(name: str, url: str, labels: dict[str, str], ns: str = "shop") -> dict[str, Any]:
    p = pod(name, ns=ns, labels=labels, owner=("ReplicaSet", f"{name}-rs"))
    p["spec"]["containers"][0]["env"] = [{"name": "CATALOG_URL", "value": url}]
    return p


def policy(peers: list[dict[str, Any]], ports: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    rule: dict[str, Any] = {"from": peers}
    if ports is not None:
        rule["ports"] = ports
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta("catalog-ingress"),
            "spec": {"podSelector": {"matchLabels": {"app": "catalog"}}, "policyTypes": ["Ingress"],
                     "ingress": [rule]}}


def backend() -> list[dict[str, Any]]:
    b = pod("catalog-1", labels={"app": "catalog"}, ports=[{"name": "http", "containerPort": 8080}])
    return [b, service("catalog", selector={"app": "catalog"}, target_port=8080)]


ONLY_STOREFRONT = [{"podSelector": {"matchLabels": {"app": "storefront"}}}]


def test_a_client_no_rule_admits_is_named_with_the_rules_it_misses() -> None:
    objs = [*backend(), policy(ONLY_STOREFRONT, [{"protocol": "TCP", "port": 8080}]),
            client("reco", "http://catalog:80", {"app": "reco"})]
    [f] = run(objs).findings
    assert (f.check, str(f.object), f.reason) == ("netpol.denies_client", "NetworkPolicy shop/catalog-ingress",
                                                  "IngressNotAdmitted")
    assert f.details["service"] == "catalog" and f.details["port"] == 80 and f.pods == ["reco"]
    assert "env CATALOG_URL=http://catalog:80" in f.details["reference"]
    assert "admit only from podSelector app=storefront on TCP 8080" in f.message


def test_admitted_and_undecidable_clients_are_silent() -> None:
    base = [*backend(), client("reco", "http://catalog:80", {"app": "reco"})]
    assert run(base).findings == []  # no policy isolates the backend
    for peers in ([*ONLY_STOREFRONT, {"podSelector": {"matchLabels": {"app": "reco"}}}],  # admitted by label
                  [{"ipBlock": {"cidr": "10.0.0.0/8"}}],  # pod IPs vs CIDR: not decided
                  [{"namespaceSelector": {"matchLabels": {"team": "web"}}}],  # namespace labels not read
                  []):  # a rule with no `from` admits everyone
        assert run([*base, policy(peers)]).findings == [], peers
    # The rule admits the caller but only on another port: denied; on the named port: admitted.
    assert [f.check for f in run([*base, policy([*ONLY_STOREFRONT, {"podSelector": {}}],
                                                [{"port": 9090}])]).findings] == ["netpol.denies_client"]
    assert run([*base, policy([{"podSelector": {}}], [{"port": "http"}])]).findings == []


def test_clients_in_other_namespaces_need_a_qualified_name_and_a_namespace_peer() -> None:
    remote = client("reco", "http://catalog.shop.svc.cluster.local:80", {"app": "reco"}, ns="ml")
    bare = client("other", "http://catalog:80", {"app": "reco"}, ns="ml")  # its own namespace's catalog
    [f] = run([*backend(), policy(ONLY_STOREFRONT), remote, bare]).findings
    assert f.pods == ["reco"] and f.details["client"] == "ReplicaSet ml/reco-rs"
    by_name = [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ml"}}}]
    assert run([*backend(), policy(by_name), remote]).findings == []


def test_a_word_equal_to_the_service_name_is_not_an_address() -> None:
    p = client("reco", "catalog", {"app": "reco"})
    q = copy.deepcopy(p)
    q["spec"]["containers"][0]["env"][0]["value"] = "catalog:8080"
    assert run([*backend(), policy(ONLY_STOREFRONT), p]).findings == []
    assert len(run([*backend(), policy(ONLY_STOREFRONT), q]).findings) == 1
