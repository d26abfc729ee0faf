"""pod.evicted_storage_limit: evictions for a pod's own local-storage limits, in the kubelet's words.

The three messages are the kubelet eviction manager's (emptyDir sizeLimit, a container's
ephemeral-storage limit, the pod's total); a node-pressure eviction is not this check's.
"""

from __future__ import annotations

from typing import Any

from mcp_servers.kubernetes.scan import ScanResult, Snapshot, scan
from tests.scan.objects import NOW, deployment, event, pod, replicaset, ts

EMPTYDIR = 'Usage of EmptyDir volume "scratch" exceeds the limit "2Gi". '
CONTAINER = 'Container renderer exceeded its local ephemeral storage limit "1Gi". '
POD_TOTAL = "Pod ephemeral local storage usage exceeds the total limit of containers 3Gi. "
NODE_PRESSURE = ("The node was low on resource: ephemeral-storage. Threshold quantity: 8387377152, "
                 "available: 6913548Ki. ")


def evicted(name: str, message: str, minutes_ago: float, node: str = "node-1",
            volumes: bool = True, medium: str | None = None) -> dict[str, Any]:
    p = pod(name, owner=("ReplicaSet", "renderer-7f9"))
    p["spec"]["nodeName"] = node
    if volumes:
        empty: dict[str, Any] = {"sizeLimit": "2Gi", **({"medium": medium} if medium else {})}
        p["spec"]["volumes"] = [{"name": "scratch", "emptyDir": empty}]
        p["spec"]["containers"][0]["volumeMounts"] = [{"name": "scratch", "mountPath": "/tmp/render"}]
    p["spec"]["containers"][0]["resources"]["limits"]["ephemeral-storage"] = "3Gi"
    p["status"] = {"phase": "Failed", "reason": "Evicted", "message": message, "startTime": ts(minutes_ago + 10)}
    return p


def workload(replicas: int = 2) -> list[dict[str, Any]]:
    d = deployment("renderer", replicas=replicas, ready=1)
    d["spec"]["template"]["spec"]["volumes"] = [{"name": "scratch", "emptyDir": {"sizeLimit": "2Gi"}}]
    d["spec"]["template"]["spec"]["containers"][0]["volumeMounts"] = [{"name": "scratch", "mountPath": "/tmp/render"}]
    rs = replicaset("renderer-7f9", "renderer")
    rs["spec"]["template"] = d["spec"]["template"]
    return [d, rs, pod("renderer-7f9-live", owner=("ReplicaSet", "renderer-7f9"))]


def run(objects: list[dict[str, Any]]) -> ScanResult:
    return scan(Snapshot.from_objects(objects), NOW, ["ephemeral"])


def test_emptydir_evictions_name_the_volume_its_mount_its_limit_and_the_pace() -> None:
    objs = [*workload(), evicted("renderer-7f9-a", EMPTYDIR, 40), evicted("renderer-7f9-b", EMPTYDIR, 20),
            evicted("renderer-7f9-c", EMPTYDIR, 0, node="node-2")]
    [f] = run(objs).findings
    assert (f.check, str(f.object), f.reason, f.count) == ("pod.evicted_storage_limit", "Deployment shop/renderer",
                                                           "Evicted", 3)
    d = f.details
    assert (d["scope"], d["volume"], d["size_limit"], d["mounted_by"]) == ("emptyDir", "scratch", "2Gi",
                                                                           ["app:/tmp/render"])
    assert d["nodes"] == ["node-1", "node-2"] and d["running_pods"] == 1 and d["every_seconds"] == 1200
    assert "emptyDir volume scratch (mounted at /tmp/render by container app) grew past its sizeLimit 2Gi" in \
        f.message
    assert "one every ~20 min" in f.message and f.severity == "warning"


def test_the_volume_is_read_from_the_owners_template_when_the_pod_lacks_it_and_memory_medium_is_said() -> None:
    objs = [*workload(), evicted("renderer-7f9-a", EMPTYDIR, 5, volumes=False)]
    [f] = run(objs).findings
    assert f.details["mounted_by"] == ["app:/tmp/render"] and f.details["size_limit"] == "2Gi"
    [g] = run([evicted("solo", EMPTYDIR, 5, medium="Memory")]).findings
    assert str(g.object) == "ReplicaSet shop/renderer-7f9" and "medium Memory" in g.message


def test_container_limit_read_from_the_eviction_event_and_the_pod_total_wording() -> None:
    p = evicted("renderer-7f9-a", "Pod The node had condition: [DiskPressure]. ", 5)
    p["status"]["message"] = ""
    objs = [p, event("Pod", "renderer-7f9-a", "Evicted", CONTAINER, first=6, last=5)]
    [f] = run(objs).findings
    assert (f.details["scope"], f.details["container"], f.details["limit"]) == ("container", "renderer", "1Gi")
    assert "container renderer exceeded its ephemeral-storage limit 1Gi" in f.message
    [g] = run([evicted("renderer-7f9-b", POD_TOTAL, 5)]).findings
    assert g.details["scope"] == "pod" and g.details["container_limits"] == {"app": "3Gi"}
    assert "total of its containers' limits 3Gi (app 3Gi)" in g.message and g.severity == "critical"


def test_node_pressure_evictions_and_running_pods_are_not_this_check() -> None:
    assert run([*workload(), evicted("renderer-7f9-a", NODE_PRESSURE, 5)]).findings == []
    assert run(workload()).findings == []
