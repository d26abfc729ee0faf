"""agent.triage.ntp_blocked: a host-scoped egress policy written without NTP while a node's clock lost its sync.

Written here, not taken from the held-out bundles. Shapes: a Calico GlobalNetworkPolicy applied on forward to an
edge pool, allowing TCP 443/8443 and DNS then denying, the incident's words naming a node whose gauges say
unsynchronised; a CiliumClusterwideNetworkPolicy with a nodeSelector whose egress allow-list holds only TCP 443,
the incident's pods running on a node 70 s off. Twins: the same Calico policy admitting UDP 123; a namespaced
pod-level NetworkPolicy without NTP; the named node's clock synchronised; a skewed node the incident does not name.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.toolhub import ToolOutcome
from agent.triage import behind, ntp_blocked
from agent.triage.facts import Facts, LogEvidence, Ref
from agent.triage.subject import Subject
from tests.triage.doubles import Call, RecordingHub, outcome

AT = datetime(2026, 7, 3, 11, 0, tzinfo=UTC)
NODE = "worker-3.c.shop-prod.internal"


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def calico(extra_allow: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy", "metadata": {"name": "edge-lockdown"},
            "spec": {"selector": "pool == 'edge'", "applyOnForward": True, "types": ["Egress"],
                     "egress": [{"action": "Allow", "protocol": "TCP", "destination": {"ports": [443, 8443]}},
                                {"action": "Allow", "protocol": "UDP", "destination": {"ports": [53]}},
                                *(extra_allow or []), {"action": "Deny"}]}}


CILIUM = {"apiVersion": "cilium.io/v2", "kind": "CiliumClusterwideNetworkPolicy", "metadata": {"name": "hosts-out"},
          "spec": {"nodeSelector": {"matchLabels": {"role": "worker"}},
                   "egress": [{"toEntities": ["world"], "toPorts": [{"ports": [{"port": "443", "protocol": "TCP"}]}]}]}}
K8S = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
       "metadata": {"name": "web-out", "namespace": "web"},
       "spec": {"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Egress"],
                "egress": [{"ports": [{"protocol": "TCP", "port": 443}]}]}}


def change(policy: dict[str, Any], hours_before: float = 10) -> dict[str, Any]:
    meta = policy["metadata"]
    return {"at": iso(AT - timedelta(hours=hours_before)), "type": "other",
            "object": {"kind": policy["kind"], "namespace": meta.get("namespace", ""), "name": meta["name"]},
            "summary": f"{policy['kind']} {meta['name']} written by calicoctl", "diff": ["spec.egress = [...]"]}


class Hub(RecordingHub):
    def __init__(self, policy: dict[str, Any], samples: list[dict[str, Any]]) -> None:
        super().__init__(objects={(policy["kind"], policy["metadata"]["name"]): policy}, lists={}, logs={})
        self.samples = samples

    def answer(self, call: Call, eid: str) -> ToolOutcome | None:
        if call.tool == "prom_query":
            return outcome(True, {"samples": self.samples}, "", "M1")
        return super().answer(call, eid)


def gauge(node: str, name: str, value: float) -> dict[str, Any]:
    return {"labels": {"__name__": name, "node": node}, "value": value}


UNSYNCED = [gauge(NODE, "node_timex_sync_status", 0), gauge(NODE, "node_timex_offset_seconds", 12.5)]


def run(policy: dict[str, Any], samples: list[dict[str, Any]], subject: Subject,
        topologies: list[Any] | None = None, logs: list[LogEvidence] | None = None,
        ) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    facts = Facts(at=AT, changes_id="C1", changes={"changes": [change(policy)]})
    facts.topologies, facts.logs = topologies or [], logs or []
    asyncio.run(ntp_blocked.read(subject, facts, Hub(policy, samples), iso(AT)))
    return ntp_blocked.suspects(facts)


def test_a_calico_host_policy_without_ntp_is_named_for_the_named_unsynchronised_node() -> None:
    [(ref, finding, evidence, explains)] = run(calico(), UNSYNCED, Subject(names=[NODE]))
    assert ref == Ref("GlobalNetworkPolicy", "", "edge-lockdown")
    message = finding["message"]
    assert "UDP 123" in message and "TCP 443" in message and "unsynchronised" in message and NODE in message
    assert explains == [Ref("Node", "", NODE)] and "C1" in evidence and "M1" in evidence


def test_a_cilium_clusterwide_allow_list_is_named_for_the_node_running_the_incident_pods() -> None:
    topology = [({"subject": {"kind": "Deployment", "namespace": "pay", "name": "otp"},
                  "pods": [{"name": "otp-6d8f9c7b5-x2k4q", "node": "gke-pool-b-7f3a"}]}, "T1")]
    samples = [gauge("gke-pool-b-7f3a", "node_timex_offset_seconds", -70.0)]
    jwt = LogEvidence(pod="otp-6d8f9c7b5-x2k4q", namespace="pay", evidence_id="L1", hosts=[], error_classes=set(),
                      top={"message": "token rejected: token used before issued", "severity": "error"},
                      previous=False)
    [(ref, finding, _, _)] = run(CILIUM, samples, Subject(names=["otp"]), topology, [jwt])
    assert ref == Ref("CiliumClusterwideNetworkPolicy", "", "hosts-out")
    assert "70 s behind" in finding["message"]


def test_a_policy_admitting_ntp_is_not_named() -> None:
    ntp = [{"action": "Allow", "protocol": "UDP", "destination": {"ports": [123]}}]
    assert run(calico(ntp), UNSYNCED, Subject(names=[NODE])) == []


def test_a_pod_level_namespaced_policy_is_not_named() -> None:
    assert run(K8S, UNSYNCED, Subject(names=[NODE])) == []


def test_a_synchronised_named_node_leaves_the_policy_unnamed() -> None:
    fine = [gauge(NODE, "node_timex_sync_status", 1), gauge(NODE, "node_timex_offset_seconds", 0.0004)]
    assert run(calico(), fine, Subject(names=[NODE])) == []


def test_a_skewed_node_the_incident_does_not_name_is_not_enough() -> None:
    other = [gauge("worker-9.c.shop-prod.internal", "node_timex_sync_status", 0)]
    assert run(calico(), other, Subject(names=[NODE])) == []


def test_it_is_registered_behind_the_symptoms() -> None:
    assert ntp_blocked in behind.MODULES and behind.WEIGHTS[ntp_blocked.CHECK] == ntp_blocked.WEIGHT
