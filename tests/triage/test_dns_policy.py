"""agent.triage.dns_policy: a name-aware egress policy whose rules no longer allow the host a workload calls.

Shapes: a CiliumNetworkPolicy whose DNS rule was narrowed to `matchPattern: *.cluster.local` (Go: `lookup <host>
on ...: server misbehaving`); a CiliumClusterwideNetworkPolicy with an exact `matchName` list that misses the
partner (Node: `queryA EREFUSED <host>`); a Calico GlobalNetworkPolicy whose `destination.domains` miss the host
(Python: a connect timeout). Twins: a rule `*` (every name) and a `**.` rule matching the host at depth; a policy
whose endpointSelector picks other pods; a policy written after the failures began.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import dns_policy
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 11, 9, 14, 0, tzinfo=UTC)
POD = "quotes-6c9d8f7b5-q2w4x"
GO = ('2026/11/09 13:31:10 rates: Get "https://api.freight.example.io/v1/rates": dial tcp: lookup '
      'api.freight.example.io on 10.96.0.10:53: server misbehaving')
NODE = "2026-11-09T13:31:10.000Z Error: queryA EREFUSED hooks.partner.example.org"
PY = ("2026-11-09 13:31:10,114 ERROR requests.exceptions.ConnectTimeout: HTTPSConnectionPool(host='api.mail."
      "example.net', port=443): Max retries exceeded (Caused by ConnectTimeoutError('Connection to api.mail."
      "example.net timed out. (connect timeout=10)'))")


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def change(kind: str, namespace: str, name: str, minutes_before: int) -> dict[str, Any]:
    return {"at": iso(AT - timedelta(minutes=minutes_before)), "type": "other",
            "object": {"kind": kind, "namespace": namespace, "name": name},
            "summary": f"{kind} {name} written by argocd-controller", "diff": ["spec.egress = [...]"], "related": []}


def cilium(pattern: str, selector: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
            "metadata": {"name": "lockdown", "namespace": "shipping"},
            "spec": {"endpointSelector": selector or {},
                     "egress": [{"toEndpoints": [{"matchLabels": {"k8s-app": "kube-dns"}}],
                                 "toPorts": [{"ports": [{"port": "53", "protocol": "ANY"}],
                                              "rules": {"dns": [{"matchPattern": pattern}]}}]}]}}


CLUSTERWIDE = {"apiVersion": "cilium.io/v2", "kind": "CiliumClusterwideNetworkPolicy",
               "metadata": {"name": "partners-only"},
               "spec": {"endpointSelector": {"matchLabels": {"k8s:io.kubernetes.pod.namespace": "shipping"}},
                        "egress": [{"toPorts": [{"ports": [{"port": "53"}], "rules": {"dns": [
                            {"matchName": "api.partner.example.org"}, {"matchPattern": "*.cluster.local"}]}}]}]}}
CALICO = {"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy", "metadata": {"name": "egress-domains"},
          "spec": {"selector": "app == 'quotes'", "types": ["Egress"],
                   "egress": [{"action": "Allow", "destination": {"domains": ["*.stripe.com", "api.github.com"]}}]}}


def run(line: str, first: str, written: dict[str, Any], obj: dict[str, Any]) -> Facts:
    facts = Facts(at=AT, changes_id="C1")
    facts.changes = {"changes": [written]}
    facts.logs = [LogEvidence(pod=POD, namespace="shipping", evidence_id="L1",
                              top={"example": line, "first_seen": first, "severity": "error"},
                              hosts=[], error_classes={"dns_failure"}, previous=False)]
    ref = written["object"]
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": POD, "namespace": "shipping", "labels": {"app": "quotes"}}}
    hub = RecordingHub(objects={("Pod", "shipping", POD): pod, (ref["kind"], ref["namespace"], ref["name"]): obj})
    asyncio.run(dns_policy.read(Subject(names=["quotes"]), facts, hub, iso(AT)))
    return facts


def test_a_dns_rule_narrowed_to_cluster_names_is_named_with_refused_and_the_pattern() -> None:
    facts = run(GO, "2026/11/09 13:31:10", change("CiliumNetworkPolicy", "shipping", "lockdown", 40),
                cilium("*.cluster.local"))
    [(ref, finding, evidence, explains)] = dns_policy.suspects(facts)
    assert (ref.kind, ref.name) == ("CiliumNetworkPolicy", "lockdown")
    head = finding["message"][:400]
    assert "DNS proxy" in head and "REFUSED" in head and "matchPattern *.cluster.local" in head
    assert "api.freight.example.io" in head and explains[0].name == "quotes" and "L1" in evidence


def test_a_clusterwide_match_name_list_missing_the_partner_is_named() -> None:
    facts = run(NODE, "2026-11-09T13:31:10.000Z", change("CiliumClusterwideNetworkPolicy", "", "partners-only", 45),
                CLUSTERWIDE)
    [(ref, finding, _, _)] = dns_policy.suspects(facts)
    assert ref.name == "partners-only" and "hooks.partner.example.org" in finding["message"]


def test_calico_domains_missing_the_host_are_named_for_a_connect_timeout() -> None:
    facts = run(PY, "2026-11-09 13:31:10", change("GlobalNetworkPolicy", "", "egress-domains", 60), CALICO)
    [(ref, finding, _, _)] = dns_policy.suspects(facts)
    assert ref.name == "egress-domains" and "api.mail.example.net" in finding["message"]
    assert "toFQDNs / domains" in finding["message"]


def test_rules_that_still_allow_the_host_are_not_named() -> None:
    for pattern in ("*", "**.example.io"):
        facts = run(GO, "2026/11/09 13:31:10", change("CiliumNetworkPolicy", "shipping", "lockdown", 40),
                    cilium(pattern))
        assert dns_policy.suspects(facts) == [], pattern


def test_a_policy_selecting_other_pods_is_not_named() -> None:
    facts = run(GO, "2026/11/09 13:31:10", change("CiliumNetworkPolicy", "shipping", "lockdown", 40),
                cilium("*.cluster.local", {"matchLabels": {"app": "label-printer"}}))
    assert dns_policy.suspects(facts) == []


def test_a_policy_written_after_the_failures_began_is_not_named() -> None:
    facts = run(GO, "2026/11/09 13:31:10", change("CiliumNetworkPolicy", "shipping", "lockdown", 10),
                cilium("*.cluster.local"))
    assert dns_policy.suspects(facts) == []


def test_cilium_pattern_semantics() -> None:
    assert dns_policy.allows("*.example.io", "api.example.io")
    assert not dns_policy.allows("*.example.io", "a.b.example.io")
    assert dns_policy.allows("**.example.io", "a.b.example.io")
    assert not dns_policy.allows("*.cluster.local", "api.freight.example.io")
