"""agent.triage.egress_source: an egress object moved the selected pods' source IP off a partner's allowlist.

Shapes: a cluster-scoped CiliumEgressGatewayPolicy re-pointed at another gateway/egress IP, a payment provider
answering 403 `ip_not_allowed` naming the new address (Node.js JSON log); an OpenShift EgressIP whose egressIPs
changed, a SaaS API saying the client IP is not whitelisted (Python log). Twins: a 401 invalid API key (the
caller's credentials, not its address); a policy whose selectors pick another namespace; a policy written after
the refusals began; a bare 403 that names no address the object holds.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import egress_source
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 11, 9, 14, 0, tzinfo=UTC)
POD = "billing-6c9d8f7b5-q2w4x"
PSP = ('{"ts":"2026-11-09T13:42:00.000Z","level":"error","msg":"charge failed","status":403,"body":"{\\"error\\":'
       '\\"ip_not_allowed\\",\\"message\\":\\"Requests from 198.51.100.77 are not permitted\\"}"}')
SAAS = ("2026-11-09 13:42:00,114 ERROR sync: 403 Client Error: Forbidden for url: https://api.crm.example.net/v2/"
        "contacts: client IP address is not whitelisted for this tenant")
KEY = ('{"ts":"2026-11-09T13:42:00.000Z","level":"error","msg":"charge failed","status":401,"body":'
       '"{\\"error\\":\\"invalid_api_key\\"}"}')
BARE = '{"ts":"2026-11-09T13:42:00.000Z","level":"error","msg":"charge failed","status":403}'


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def change(kind: str, namespace: str, name: str, minutes_before: int, diff: str) -> dict[str, Any]:
    return {"at": iso(AT - timedelta(minutes=minutes_before)), "type": "other",
            "object": {"kind": kind, "namespace": namespace, "name": name},
            "summary": f"{kind} {name} written by terraform", "diff": [diff], "related": []}


def cilium(namespace: str) -> dict[str, Any]:
    return {"apiVersion": "cilium.io/v2", "kind": "CiliumEgressGatewayPolicy", "metadata": {"name": "billing-out"},
            "spec": {"selectors": [{"podSelector": {"matchLabels": {"io.kubernetes.pod.namespace": namespace}}}],
                     "destinationCIDRs": ["0.0.0.0/0"],
                     "egressGateway": {"nodeSelector": {"matchLabels": {"egress": "pool-2"}},
                                       "egressIP": "198.51.100.77"}}}


EGRESS_IP = {"apiVersion": "k8s.ovn.org/v1", "kind": "EgressIP", "metadata": {"name": "crm-sync"},
             "spec": {"egressIPs": ["203.0.113.40"],
                      "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "billing"}}}}


def pod(labels: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": POD, "namespace": "billing", "labels": labels},
            "spec": {"containers": [{"name": "billing", "image": "billing:3"}]}}


def run(line: str, first: str, changes: list[dict[str, Any]], objects: dict[Any, Any]) -> Facts:
    facts = Facts(at=AT, changes_id="C1")
    facts.changes = {"changes": changes}
    facts.logs = [LogEvidence(pod=POD, namespace="billing", evidence_id="L1",
                              top={"example": line, "first_seen": first, "severity": "error"},
                              hosts=[], error_classes=set(), previous=False)]
    hub = RecordingHub(objects={("Pod", "billing", POD): pod({"app": "billing"}), **objects})
    asyncio.run(egress_source.read(Subject(names=["billing"]), facts, hub, iso(AT)))
    return facts


def test_a_cilium_egress_gateway_moved_to_an_unlisted_ip_is_named_with_the_source_ip() -> None:
    written = change("CiliumEgressGatewayPolicy", "", "billing-out", 30,
                     'spec.egressGateway = {"egressIP": "198.51.100.77"}')
    facts = run(PSP, "2026-11-09T13:42:00.000Z", [written],
                {("CiliumEgressGatewayPolicy", "", "billing-out"): cilium("billing")})
    [(ref, finding, evidence, explains)] = egress_source.suspects(facts)
    assert (ref.kind, ref.name) == ("CiliumEgressGatewayPolicy", "billing-out")
    head = finding["message"][:400]
    assert "egress gateway" in head and "source IP 198.51.100.77" in head and "allowlist" in head
    assert explains[0].name == "billing" and "L1" in evidence


def test_an_egress_ip_whose_address_is_not_whitelisted_is_named_from_the_wording_alone() -> None:
    written = change("EgressIP", "", "crm-sync", 50, "spec.egressIPs = ['203.0.113.40']")
    facts = run(SAAS, "2026-11-09 13:42:00", [written], {("EgressIP", "", "crm-sync"): EGRESS_IP})
    [(ref, finding, _, _)] = egress_source.suspects(facts)
    assert ref.name == "crm-sync" and "203.0.113.40" in finding["message"]


def test_a_refused_api_key_is_not_an_egress_address() -> None:
    written = change("CiliumEgressGatewayPolicy", "", "billing-out", 30, "spec.egressGateway = {}")
    facts = run(KEY, "2026-11-09T13:42:00.000Z", [written],
                {("CiliumEgressGatewayPolicy", "", "billing-out"): cilium("billing")})
    assert egress_source.suspects(facts) == []


def test_a_policy_selecting_another_namespace_is_not_named() -> None:
    written = change("CiliumEgressGatewayPolicy", "", "billing-out", 30, "spec.egressGateway = {}")
    facts = run(PSP, "2026-11-09T13:42:00.000Z", [written],
                {("CiliumEgressGatewayPolicy", "", "billing-out"): cilium("reports")})
    assert egress_source.suspects(facts) == []


def test_a_policy_written_after_the_refusals_began_is_not_named() -> None:
    written = change("CiliumEgressGatewayPolicy", "", "billing-out", 5, "spec.egressGateway = {}")
    facts = run(PSP, "2026-11-09T13:42:00.000Z", [written],
                {("CiliumEgressGatewayPolicy", "", "billing-out"): cilium("billing")})
    assert egress_source.suspects(facts) == []


def test_a_bare_403_naming_no_address_of_the_policy_is_not_named() -> None:
    written = change("CiliumEgressGatewayPolicy", "", "billing-out", 30, "spec.egressGateway = {}")
    facts = run(BARE, "2026-11-09T13:42:00.000Z", [written],
                {("CiliumEgressGatewayPolicy", "", "billing-out"): cilium("billing")})
    assert egress_source.suspects(facts) == []


def test_the_allowlist_line_is_found_behind_an_earlier_bare_refusal() -> None:
    written = change("CiliumEgressGatewayPolicy", "", "billing-out", 30, "spec.egressGateway = {}")
    facts = run(BARE, "2026-11-09T13:42:00.000Z", [written],
                {("CiliumEgressGatewayPolicy", "", "billing-out"): cilium("billing")})
    facts.logs[0].more = [{"example": PSP.replace("198.51.100.77", "192.0.2.1"),
                           "first_seen": "2026-11-09T13:43:00.000Z"}]
    [(ref, finding, _, _)] = egress_source.suspects(facts)
    assert ref.name == "billing-out" and "ip_not_allowed" in finding["message"]


def test_a_cloud_nat_object_elsewhere_counts_when_the_refusal_names_its_address() -> None:
    nat = {"apiVersion": "compute.cnrm.cloud.google.com/v1beta1", "kind": "ComputeRouterNAT",
           "metadata": {"name": "egress-nat", "namespace": "infra"},
           "spec": {"natIpAllocateOption": "MANUAL_ONLY", "natIps": [{"external": "198.51.100.77"}]}}
    written = change("ComputeRouterNAT", "infra", "egress-nat", 30, "spec.natIps = [...]")
    facts = run(BARE.replace('"status":403', '"status":403,"detail":"198.51.100.77 rejected"'),
                "2026-11-09T13:42:00.000Z", [written], {("ComputeRouterNAT", "infra", "egress-nat"): nat})
    [(ref, finding, _, _)] = egress_source.suspects(facts)
    assert ref.name == "egress-nat" and "source IP 198.51.100.77" in finding["message"]
