"""agent.triage.pod_network_identity against identity objects its round never showed (issue #12).

The class: an object that fixes a pod's network identity when the pod is created, written shortly before; only
the pods created after it fail to connect, the older replicas work. Its round showed an AWS SecurityGroupPolicy;
these shapes are picked by a pod annotation instead: a Multus NetworkAttachmentDefinition in another namespace
(`k8s.v1.cni.cncf.io/networks: net-infra/dmz@eth1`, libpq `could not connect ... Connection timed out`), a
Calico IPPool named by `cni.projectcalico.org/ipv4pools` (.NET 10060), a Cilium CiliumPodIPPool named by
`ipam.cilium.io/ip-pool` as a JSON-less name (Go i/o timeout). Twins: a NAD the failing pods do not name, every
replica naming the pool and failing alike, a pool written after the failing pods were created.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from agent.triage import pod_network_identity
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub
from tests.triage.test_pod_network_identity import AT, GO, NEW1, NEW2, OLD, iso

LIBPQ = ('2026-11-09T13:51:00Z ERROR psycopg2.OperationalError: could not connect to server: Connection timed out '
         '(host "ledger-db.internal" 10.60.2.4, port 5432)')
DOTNET = ("2026-11-09T13:51:00Z fail: System.Net.Sockets.SocketException (10060): A connection attempt failed because "
          "the connected party did not properly respond after a period of time")
NAD_NOTE, POOL_NOTE, CILIUM_NOTE = "k8s.v1.cni.cncf.io/networks", "cni.projectcalico.org/ipv4pools", \
    "ipam.cilium.io/ip-pool"


def pod(name: str, minutes_before: int, notes: dict[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": "ledger", "labels": {"app": "ledger"},
                            "creationTimestamp": iso(AT - timedelta(minutes=minutes_before))}
    if notes:
        meta["annotations"] = notes
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": {"containers": [{"name": "ledger"}]}}


def run(line: str, ref: tuple[str, str, str], obj: dict[str, Any], pods: dict[str, dict[str, Any]],
        written_before: int = 120, old_logs: str = "order accepted") -> Facts:
    kind, namespace, name = ref
    facts = Facts(at=AT, changes_id="C1")
    facts.changes = {"changes": [{"at": iso(AT - timedelta(minutes=written_before)), "type": "other",
                                  "object": {"kind": kind, "namespace": namespace, "name": name},
                                  "summary": f"{kind} {name} written by helm", "diff": ["spec = {...}"],
                                  "related": []}]}
    facts.logs = [LogEvidence(pod=p, namespace="ledger", evidence_id=f"L{i}",
                              top={"example": line, "first_seen": iso(AT - timedelta(minutes=9)), "severity": "error"},
                              hosts=[], error_classes={"connection_timeout"}, previous=False)
                  for i, p in enumerate([NEW1, NEW2])]
    objects: dict[Any, Any] = {ref: obj, **{("Pod", "ledger", n): p for n, p in pods.items()}}
    hub = RecordingHub(objects=objects, lists={("Pod", "ledger"): [{"name": n, "namespace": "ledger"} for n in pods]},
                       logs={OLD: [old_logs]})
    asyncio.run(pod_network_identity.read(Subject(names=["ledger"]), facts, hub, iso(AT)))
    return facts


NAD = {"apiVersion": "k8s.cni.cncf.io/v1", "kind": "NetworkAttachmentDefinition",
       "metadata": {"name": "dmz", "namespace": "net-infra"},
       "spec": {"config": '{"cniVersion":"0.3.1","type":"macvlan","master":"eth1","ipam":{"type":"whereabouts",'
                          '"range":"10.70.0.0/24"}}'}}
POOL = {"apiVersion": "projectcalico.org/v3", "kind": "IPPool", "metadata": {"name": "ledger-pool"},
        "spec": {"cidr": "10.251.0.0/24", "natOutgoing": True}}
CILIUM = {"apiVersion": "cilium.io/v2alpha1", "kind": "CiliumPodIPPool", "metadata": {"name": "restricted"},
          "spec": {"ipv4": {"cidrs": ["10.252.0.0/16"], "maskSize": 27}}}


def test_a_multus_attachment_in_another_namespace_named_by_the_new_pods_is_named() -> None:
    new = {NAD_NOTE: "net-infra/dmz@eth1"}
    pods = {OLD: pod(OLD, 3000, {NAD_NOTE: "net-infra/dmz@eth1"}), NEW1: pod(NEW1, 10, new), NEW2: pod(NEW2, 10, new)}
    facts = run(LIBPQ, ("NetworkAttachmentDefinition", "net-infra", "dmz"), NAD, pods)
    [(ref, finding, _, explains)] = pod_network_identity.suspects(facts)
    assert (ref.kind, ref.name) == ("NetworkAttachmentDefinition", "dmz") and explains[0].name == "ledger"
    head = finding["message"][:400]
    assert "Multus" in head and NAD_NOTE in head and "branch ENI" not in head and OLD in finding["message"]


def test_a_calico_pool_named_by_a_json_annotation_is_named() -> None:
    pods = {OLD: pod(OLD, 3000), NEW1: pod(NEW1, 10, {POOL_NOTE: '["ledger-pool"]'}),
            NEW2: pod(NEW2, 10, {POOL_NOTE: '["ledger-pool"]'})}
    facts = run(DOTNET, ("IPPool", "", "ledger-pool"), POOL, pods)
    [(ref, finding, _, _)] = pod_network_identity.suspects(facts)
    assert ref.name == "ledger-pool" and "pod address pool" in finding["message"][:400]


def test_a_cilium_pod_ip_pool_named_by_plain_name_is_named() -> None:
    pods = {OLD: pod(OLD, 3000), NEW1: pod(NEW1, 10, {CILIUM_NOTE: "restricted"}),
            NEW2: pod(NEW2, 10, {CILIUM_NOTE: "restricted"})}
    facts = run(GO, ("CiliumPodIPPool", "", "restricted"), CILIUM, pods)
    [(ref, _, _, _)] = pod_network_identity.suspects(facts)
    assert ref.name == "restricted"


def test_an_attachment_the_failing_pods_do_not_name_is_not_named() -> None:
    other = {NAD_NOTE: "net-infra/backup@eth2"}
    pods = {OLD: pod(OLD, 3000), NEW1: pod(NEW1, 10, other), NEW2: pod(NEW2, 10, other)}
    facts = run(LIBPQ, ("NetworkAttachmentDefinition", "net-infra", "dmz"), NAD, pods)
    assert pod_network_identity.suspects(facts) == []


def test_every_replica_on_the_pool_failing_alike_shows_no_split() -> None:
    notes = {POOL_NOTE: '["ledger-pool"]'}
    pods = {OLD: pod(OLD, 3000, notes), NEW1: pod(NEW1, 10, notes), NEW2: pod(NEW2, 10, notes)}
    facts = run(DOTNET, ("IPPool", "", "ledger-pool"), POOL, pods, old_logs=DOTNET)
    assert pod_network_identity.suspects(facts) == []


def test_a_pool_written_after_the_failing_pods_were_created_is_not_named() -> None:
    notes = {CILIUM_NOTE: "restricted"}
    pods = {OLD: pod(OLD, 3000), NEW1: pod(NEW1, 10, notes), NEW2: pod(NEW2, 10, notes)}
    facts = run(GO, ("CiliumPodIPPool", "", "restricted"), CILIUM, pods, written_before=5)
    assert pod_network_identity.suspects(facts) == []


def test_annotation_name_forms() -> None:
    assert pod_network_identity.named_in("dmz@eth1, net-infra/sriov", "ledger") == {"ledger/dmz", "net-infra/sriov"}
    assert pod_network_identity.named_in('[{"name":"dmz","namespace":"net-infra","interface":"net1"}]', "ledger") \
        == {"net-infra/dmz"}
