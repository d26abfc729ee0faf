"""allowlist_miss: an egress allow-list by address, written just before, that holds no range with the public address
the caller now fails to connect to (issue #12, round 43 class: stale vendor ranges in an egress allow-list).

Written here, not taken from the held-out bundles. Shapes: a Kubernetes NetworkPolicy with ipBlocks and a Node
client's `connect ETIMEDOUT <addr>:443`; a CiliumNetworkPolicy with toCIDRSet and Apache HttpClient's `Connect to
host:443 [host/<addr>] failed: Connect timed out`. Twins: the ranges hold the address, failures older than the
write, a private destination, a policy that also allows by FQDN, a write days old.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import allowlist_miss
from agent.triage.facts import Facts, LogEvidence, Ref
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 9, 21, 15, 0, tzinfo=UTC)
NS = "payments"
POD = "payout-worker-6c9d8b7f5-w2x8k"


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def node_lines(address: str, since: datetime) -> list[str]:
    return [f"{_iso(since + timedelta(minutes=m))} error payout push failed: Error: connect ETIMEDOUT {address}:443"
            for m in range(0, 20, 5)]


def java_lines(address: str, since: datetime) -> list[str]:
    return [f"{_iso(since + timedelta(minutes=m))} ERROR [payout-1] c.a.PayoutClient : push failed: "
            f"org.apache.http.conn.ConnectTimeoutException: Connect to hooks.partner.example:443 "
            f"[hooks.partner.example/{address}] failed: Connect timed out" for m in range(0, 20, 5)]


def k8s_policy(*cidrs: str) -> dict[str, Any]:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "payout-egress", "namespace": NS},
            "spec": {"podSelector": {"matchLabels": {"app": "payout-worker"}}, "policyTypes": ["Egress"],
                     "egress": [{"to": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"k8s-app": "dns"}}}]},
                                {"to": [{"ipBlock": {"cidr": c}} for c in cidrs],
                                 "ports": [{"port": 443, "protocol": "TCP"}]}]}}


def cilium_policy(egress: list[dict[str, Any]]) -> dict[str, Any]:
    return {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
            "metadata": {"name": "payout-out", "namespace": NS},
            "spec": {"endpointSelector": {"matchLabels": {"app": "payout-worker"}}, "egress": egress}}


def run(lines: list[str], policy: dict[str, Any], written: datetime) -> tuple[Facts, RecordingHub]:
    name, kind = policy["metadata"]["name"], policy["kind"]
    change = {"at": _iso(written), "type": "updated", "summary": f"{kind} {NS}/{name} written by kubectl-apply",
              "object": {"kind": kind, "namespace": NS, "name": name}, "diff": []}
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="C1")
    facts.logs = [LogEvidence(pod=POD, namespace=NS, evidence_id="L1",
                              top={"example": lines[-1], "error_class": "connection_timeout", "severity": "error"},
                              hosts=[], error_classes={"connection_timeout"}, previous=False)]
    cilium = kind.startswith("Cilium")
    plural = "ciliumnetworkpolicies" if cilium else "networkpolicies"
    crds = [{"name": "ciliumnetworkpolicies.cilium.io"}] if cilium else []
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": POD, "namespace": NS,
                                                           "labels": {"app": "payout-worker"}}}
    hub = RecordingHub(objects={("pods", NS, POD): pod, (plural, NS, name): policy},
                       lists={"customresourcedefinitions": crds, plural: [{"name": name, "namespace": NS}]},
                       logs={POD: lines})
    asyncio.run(allowlist_miss.read(Subject(names=["payout-worker"]), facts, hub, _iso(AT)))
    return facts, hub


WRITE = AT - timedelta(minutes=40)


def test_a_networkpolicy_whose_ipblocks_miss_the_nodes_destination_is_named() -> None:
    facts, _ = run(node_lines("104.18.7.9", WRITE + timedelta(minutes=1)),
                   k8s_policy("145.40.0.0/17", "89.44.0.0/18"), WRITE)
    [(ref, finding, evidence, explains)] = allowlist_miss.suspects(facts)
    assert ref == Ref("NetworkPolicy", NS, "payout-egress") and explains == [Ref("Deployment", NS, "payout-worker")]
    assert finding["details"]["address"] == "104.18.7.9" and evidence
    assert "ipBlock 145.40.0.0/17, 89.44.0.0/18" in finding["message"] and "egress" in finding["message"]


def test_a_cilium_cidr_set_missing_the_java_clients_destination_is_named() -> None:
    policy = cilium_policy([{"toEndpoints": [{"matchLabels": {"k8s:k8s-app": "kube-dns"}}]},
                            {"toCIDRSet": [{"cidr": "35.190.0.0/17"}, {"cidr": "34.120.0.0/16"}]}])
    facts, _ = run(java_lines("3.94.12.40", WRITE), policy, WRITE)
    [(ref, finding, _, _)] = allowlist_miss.suspects(facts)
    assert ref == Ref("CiliumNetworkPolicy", NS, "payout-out")
    assert finding["details"]["host"] == "hooks.partner.example" and "CIDR 35.190.0.0/17" in finding["message"]


def test_twin_ranges_holding_the_address_are_not_named() -> None:
    facts, _ = run(node_lines("104.18.7.9", WRITE), k8s_policy("104.16.0.0/13"), WRITE)
    assert allowlist_miss.suspects(facts) == []


def test_twin_failures_older_than_the_write_are_not_named() -> None:
    facts, _ = run(node_lines("104.18.7.9", WRITE - timedelta(minutes=30)), k8s_policy("145.40.0.0/17"), WRITE)
    assert allowlist_miss.suspects(facts) == []


def test_twin_a_private_destination_is_not_named() -> None:
    facts, _ = run(node_lines("10.40.3.17", WRITE), k8s_policy("145.40.0.0/17"), WRITE)
    assert allowlist_miss.suspects(facts) == []


def test_twin_a_policy_that_also_allows_by_name_is_not_judged() -> None:
    policy = cilium_policy([{"toCIDRSet": [{"cidr": "35.190.0.0/17"}]},
                            {"toFQDNs": [{"matchName": "hooks.partner.example"}]}])
    facts, _ = run(java_lines("3.94.12.40", WRITE), policy, WRITE)
    assert allowlist_miss.suspects(facts) == []


def test_twin_a_write_days_old_reads_nothing() -> None:
    facts, hub = run(node_lines("104.18.7.9", WRITE), k8s_policy("145.40.0.0/17"), AT - timedelta(days=3))
    assert allowlist_miss.suspects(facts) == [] and not hub.calls
