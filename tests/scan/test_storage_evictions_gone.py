"""pod.evicted_storage_limit when the evicted pods are gone and only the kubelet's `Evicted` events are left.

A controller replaces an evicted pod and the pod object is often deleted soon after; the event outlives it. Two
shapes in the kubelet's words (a container's limit, the pod's total), owners found by the pod name's controller;
twins: a node-pressure eviction event (not the pod's own limit), and an event whose pod is still there (counted
once, from the pod).
"""

from __future__ import annotations

from mcp_servers.kubernetes.scan import ScanResult, Snapshot, scan
from tests.scan.objects import NOW, deployment, event, pod, replicaset

CONTAINER = 'Container crawler exceeded its local ephemeral storage limit "2Gi". '
POD_TOTAL = "Pod ephemeral local storage usage exceeds the total limit of containers 6Gi. "
NODE_PRESSURE = "The node was low on resource: ephemeral-storage. Threshold quantity: 8387377152, available: 1Gi. "


def _workload() -> list[dict]:
    d = deployment("crawler", replicas=2, ready=2)
    d["spec"]["template"]["spec"]["containers"][0]["resources"] = {"limits": {"ephemeral-storage": "6Gi"}}
    rs = replicaset("crawler-5d8c7", "crawler")
    rs["spec"]["template"] = d["spec"]["template"]
    return [d, rs, pod("crawler-5d8c7-live", owner=("ReplicaSet", "crawler-5d8c7"))]


def run(objects: list[dict]) -> ScanResult:
    return scan(Snapshot.from_objects(objects), NOW, ["ephemeral"])


def test_evictions_of_deleted_pods_are_read_from_their_events_and_name_the_deployment() -> None:
    objs = [*_workload(), event("Pod", "crawler-5d8c7-a1b2c", "Evicted", POD_TOTAL, first=50, last=50),
            event("Pod", "crawler-5d8c7-d3e4f", "Evicted", POD_TOTAL, first=10, last=10)]
    [f] = run(objs).findings
    assert (f.check, str(f.object), f.count) == ("pod.evicted_storage_limit", "Deployment shop/crawler", 2)
    assert f.details["container_limits"] == {"app": "6Gi"} and f.details["running_pods"] == 1
    assert f.since is not None and "total of its containers' limits 6Gi" in f.message


def test_a_deleted_statefulset_pods_container_limit_eviction() -> None:
    sts = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "indexer", "namespace": "shop"},
           "spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "crawler"}]}}}, "status": {}}
    [f] = run([sts, event("Pod", "indexer-0", "Evicted", CONTAINER, first=5, last=5)]).findings
    assert str(f.object) == "StatefulSet shop/indexer" and f.details["container"] == "crawler"


def test_a_node_pressure_event_or_a_pod_still_there_is_not_a_second_finding() -> None:
    assert run([*_workload(), event("Pod", "crawler-5d8c7-a1b2c", "Evicted", NODE_PRESSURE)]).findings == []
    live = pod("crawler-5d8c7-x9", owner=("ReplicaSet", "crawler-5d8c7"))
    live["status"] = {"phase": "Failed", "reason": "Evicted", "message": POD_TOTAL}
    [f] = run([*_workload(), live, event("Pod", "crawler-5d8c7-x9", "Evicted", POD_TOTAL)]).findings
    assert f.count == 1
