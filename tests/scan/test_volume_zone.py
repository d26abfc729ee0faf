"""A Pending pod whose bound volume is pinned (PV node affinity) to nodes that cannot take it.

Objects as the API server stores them: a PersistentVolume with `spec.nodeAffinity.required`
(the CSI driver's own zone key, or a hostname for a local PV), its bound claim, nodes labelled
with the well-known zone label, one cordoned or NotReady, and the scheduler's FailedScheduling
event. The positive and its healthy twin differ only in the node's state.
"""

from __future__ import annotations

from typing import Any

from agent.incident import from_text
from agent.triage import rank, runbook_for, subject_of
from agent.triage.facts import Facts
from mcp_servers.kubernetes.scan import Snapshot, scan
from tests.scan.objects import NOW, event, meta, node, pod

LISTED = {"Pod", "Node", "PersistentVolume", "PersistentVolumeClaim", "Event", "StatefulSet"}
CONFLICT = ("0/3 nodes are available: 1 node(s) were unschedulable, 2 node(s) had volume node affinity conflict. "
            "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.")


def zoned(n: dict[str, Any], zone: str) -> dict[str, Any]:
    n["metadata"]["labels"] = {"topology.kubernetes.io/zone": zone, "kubernetes.io/hostname": n["metadata"]["name"]}
    return n


def pv(name: str, claim: str, ns: str, key: str, value: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": name, "uid": f"uid-{name}"},
            "spec": {"claimRef": {"namespace": ns, "name": claim}, "storageClassName": "zonal",
                     "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [
                         {"key": key, "operator": "In", "values": [value]}]}]}}},
            "status": {"phase": "Bound"}}


def pvc(name: str, ns: str, volume: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": meta(name, ns),
            "spec": {"volumeName": volume, "storageClassName": "zonal"}, "status": {"phase": "Bound"}}


def pending(name: str, ns: str, claim: str) -> dict[str, Any]:
    p = pod(name, ns=ns, owner=("StatefulSet", "orders-db"), labels={"app": "orders-db"})
    p["spec"].pop("nodeName")
    p["spec"]["volumes"] = [{"name": "data", "persistentVolumeClaim": {"claimName": claim}}]
    p["status"] = {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False",
                                                       "reason": "Unschedulable", "message": CONFLICT}]}
    return p


def statefulset(ns: str) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": meta("orders-db", ns),
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "orders-db"}}},
            "status": {"replicas": 3, "readyReplicas": 2}}


def cluster(*, zone_c: dict[str, Any], key: str = "topology.ebs.csi.aws.com/zone") -> list[dict[str, Any]]:
    return [zoned(node("node-a"), "zone-a"), zoned(node("node-b"), "zone-b"), zoned(zone_c, "zone-c"),
            pv("pvc-0c", "data-orders-db-2", "db", key, "zone-c"), pvc("data-orders-db-2", "db", "pvc-0c"),
            pending("orders-db-2", "db", "data-orders-db-2"), statefulset("db"),
            event("Pod", "orders-db-2", "FailedScheduling", CONFLICT, ns="db")]


def findings(objects: list[dict[str, Any]]) -> list[Any]:
    return [f for f in scan(Snapshot.from_objects(objects, listed=LISTED), NOW, ["volumes"]).findings]


def test_a_cordoned_only_node_of_the_volumes_zone_is_named_with_the_zone_and_the_pod() -> None:
    [found] = findings(cluster(zone_c=node("node-c", cordoned=True)))
    assert found.check == "pv.node_affinity_unschedulable" and str(found.object) == "Node node-c"
    assert "cordoned" in found.message and "zone-c" in found.message and "pvc-0c" in found.message
    assert found.details["matching_nodes"] == {"node-c": "cordoned (spec.unschedulable)"}
    assert found.details["workload"] == "StatefulSet db/orders-db" and found.pods == ["orders-db-2"]
    assert any("volume node affinity conflict" in e for e in found.evidence)


def test_a_notready_node_counts_and_a_healthy_twin_is_quiet() -> None:
    [found] = findings(cluster(zone_c=node("node-c", ready=False)))
    assert found.details["matching_nodes"]["node-c"].startswith("NotReady")
    assert findings(cluster(zone_c=node("node-c"))) == []  # a schedulable node in the zone: not the volume


def test_no_node_in_the_zone_at_all_names_the_volume() -> None:
    objects = [o for o in cluster(zone_c=node("node-c")) if o["metadata"].get("name") != "node-c"]
    [found] = findings(objects)
    assert str(found.object) == "PersistentVolume pvc-0c" and "no node in the cluster matches" in found.message


def test_a_local_volume_pinned_by_hostname_to_a_gone_node() -> None:
    objects = cluster(zone_c=node("node-c"), key="kubernetes.io/hostname")
    for o in objects:
        if o["kind"] == "PersistentVolume":
            o["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"][0]["matchExpressions"][0]["values"] = ["node-x"]
    [found] = findings(objects)
    assert str(found.object) == "PersistentVolume pvc-0c" and "kubernetes.io/hostname In node-x" in found.message


def test_a_tainted_zone_node_the_pod_tolerates_is_usable() -> None:
    tainted = node("node-c")
    tainted["spec"]["taints"] = [{"key": "dedicated", "value": "db", "effect": "NoSchedule"}]
    objects = cluster(zone_c=tainted)
    assert findings(objects)[0].details["matching_nodes"]["node-c"].startswith("tainted dedicated")
    for o in objects:
        if o["kind"] == "Pod":
            o["spec"]["tolerations"] = [{"key": "dedicated", "operator": "Equal", "value": "db",
                                         "effect": "NoSchedule"}]
    assert findings(objects) == []


def test_triage_blames_the_node_over_the_statefulset_for_a_replicas_question() -> None:
    objects = cluster(zone_c=node("node-c", cordoned=True))
    scanned = scan(Snapshot.from_objects(objects, listed=LISTED), NOW)
    facts = Facts(at=NOW, scan_id="E1", scan=scanned.model_dump(mode="json"))
    question = from_text("Why does db/orders-db have only 2 of 3 replicas ready?")
    [top, *_] = rank(subject_of(question), facts)
    assert top.check == "pv.node_affinity_unschedulable" and str(top.ref) == "Node node-c"
    assert "StatefulSet db/orders-db" in [str(v) for v in top.victims]
    assert runbook_for(top) == "pod-pending"
