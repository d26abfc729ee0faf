"""An extended resource no node advertises any more because its device plugin runs nowhere
(agent.triage.device_advertiser).

Shapes: an NVIDIA plugin given a nodeSelector on a node-feature-discovery label the GPU nodes lack (the Pending in a
scan finding, the write in the timeline); an AMD plugin whose new revision dropped the toleration for the GPU nodes'
taint (the Pending only in a FailedScheduling event, the write only in the rollout history). Twins: a node still
advertising the resource (a capacity question), a plugin that never targeted the nodes (no change), a plugin
changed recently that still runs there, a Pending on cpu.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import device_advertiser
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub, outcome

AT = datetime(2026, 7, 14, 9, 30, tzinfo=UTC)


def ts(delta: timedelta) -> str:
    return (AT - delta).isoformat().replace("+00:00", "Z")


def node(name: str, resource: str, capacity: int, allocatable: int, *, labels: dict[str, str] | None = None,
         taints: list[dict[str, str]] | None = None) -> dict[str, Any]:
    status: dict[str, Any] = {"capacity": {"cpu": "8"}, "allocatable": {"cpu": "8"}}
    if capacity:
        status["capacity"][resource] = str(capacity)
        status["allocatable"][resource] = str(allocatable)
    return {"kind": "Node", "metadata": {"name": name, "labels": labels or {}},
            "spec": {"taints": taints or []}, "status": status}


def plugin(name: str, ns: str, image: str, *, selector: dict[str, str] | None = None,
           tolerations: list[dict[str, str]] | None = None, desired: int = 0) -> dict[str, Any]:
    return {"kind": "DaemonSet", "metadata": {"name": name, "namespace": ns},
            "spec": {"template": {"spec": {
                "nodeSelector": selector or {}, "tolerations": tolerations or [],
                "containers": [{"name": "plugin", "image": image,
                                "volumeMounts": [{"name": "dp", "mountPath": "/var/lib/kubelet/device-plugins"}]}],
                "volumes": [{"name": "dp", "hostPath": {"path": "/var/lib/kubelet/device-plugins"}}]}}},
            "status": {"desiredNumberScheduled": desired}}


def run(nodes: list[dict[str, Any]], sets: list[dict[str, Any]], *, finding: str = "", event: str = "",
        changes: list[dict[str, Any]] | None = None, revisions: list[dict[str, Any]] | None = None,
        namespace: str = "vision") -> tuple[list[dict[str, Any]], RecordingHub]:
    objects: dict[Any, Any] = {("Node", "", n["metadata"]["name"]): n for n in nodes}
    objects.update({("DaemonSet", d["metadata"]["namespace"], d["metadata"]["name"]): d for d in sets})
    hub = RecordingHub(objects=objects, lists={"DaemonSet": [
        {"name": d["metadata"]["name"], "namespace": d["metadata"]["namespace"]} for d in sets]}, answers={
        "k8s_nodes": lambda call, eid: outcome(True, {"nodes": [{"name": n["metadata"]["name"]} for n in nodes]},
                                               "", eid),
        "k8s_events": lambda call, eid: outcome(True, {"events": [
            {"type": "Warning", "reason": "FailedScheduling", "kind": "Pod", "name": "trainer-7c9-x", "message": event}
        ] if event else []}, "", eid),
        "k8s_changes": lambda call, eid: outcome(True, {"changes": changes or [],
                                                        "window_start": ts(timedelta(days=3))}, "", eid),
        "k8s_rollout_history": lambda call, eid: outcome(True, {"revisions": revisions or []}, "", eid)})
    # Only events name the resource: the scan still shows the pod waiting (its reason is what the events add).
    said = finding or (f"Deployment {namespace}/ocr: 1/1 pods Pending" if event else "")
    pending = {"check": "pod.pending", "severity": "critical", "message": said,
               "object": {"kind": "Deployment", "namespace": namespace, "name": "ocr"}}
    scan = {"findings": [pending]} if said else None
    facts = Facts(at=AT, scan=scan)
    asyncio.run(device_advertiser.read(Subject(namespace=namespace), facts, hub, ts(timedelta(0))))
    return [s[1] for s in device_advertiser.suspects(facts)], hub


GPU = "nvidia.com/gpu"
NFD = {"feature.node.kubernetes.io/pci-10de.present": "true"}
PENDING = f"Deployment vision/ocr: 1/2 pods Pending, FailedScheduling: insufficient {GPU}"
WRITE = [{"at": ts(timedelta(hours=2)), "type": "updated",
          "object": {"kind": "DaemonSet", "namespace": "kube-system", "name": "gpu-plugin"},
          "summary": "DaemonSet kube-system/gpu-plugin written by helm: spec.template.spec.nodeSelector",
          "diff": ["nodeSelector: {} -> feature.node.kubernetes.io/pci-10de.present=true"]}]


def gpu_nodes(allocatable: int = 0) -> list[dict[str, Any]]:
    return [node("cpu-1", GPU, 0, 0), node("gpu-1", GPU, 1, allocatable), node("gpu-2", GPU, 1, allocatable)]


def test_nvidia_plugin_selecting_a_missing_nfd_label_is_named() -> None:
    got, _ = run(gpu_nodes(), [plugin("gpu-plugin", "kube-system", "nvcr.io/nvidia/k8s-device-plugin:v0.17.0",
                                      selector=NFD)], finding=PENDING, changes=WRITE)
    assert len(got) == 1 and got[0]["object"]["name"] == "gpu-plugin"
    head = got[0]["message"][:400]
    assert "the device plugin that advertises nvidia.com/gpu, runs on 0 node(s)" in head
    assert "nodeSelector feature.node.kubernetes.io/pci-10de.present=true" in head
    assert "node-feature-discovery" in head and "gpu-1, gpu-2 advertise 0 nvidia.com/gpu" in head
    assert "Insufficient nvidia.com/gpu" in head and "written by helm" in got[0]["message"]


def test_amd_plugin_that_dropped_the_taint_toleration_from_events_and_history() -> None:
    taint = [{"key": "amd.com/gpu", "value": "true", "effect": "NoSchedule"}]
    nodes = [node("mi-1", "amd.com/gpu", 8, 0, taints=taint), node("mi-2", "amd.com/gpu", 8, 0, taints=taint),
             node("cpu-1", "amd.com/gpu", 0, 0)]
    sets = [plugin("amdgpu-dp", "kube-system", "rocm/k8s-device-plugin:1.31"),
            plugin("fluent-bit", "logging", "fluent/fluent-bit:3.1", desired=3)]
    sets[1]["spec"]["template"]["spec"]["containers"][0]["volumeMounts"] = []
    sets[1]["spec"]["template"]["spec"]["volumes"] = []
    revisions = [{"revision": 7, "created": ts(timedelta(hours=5)), "changes": ["tolerations: amd.com/gpu removed"]}]
    got, _ = run(nodes, sets, event="0/3 nodes are available: 2 Insufficient amd.com/gpu, 1 Insufficient cpu.",
                 revisions=revisions, namespace="training")
    assert len(got) == 1 and got[0]["object"]["name"] == "amdgpu-dp"
    head = got[0]["message"][:400]
    assert "advertises amd.com/gpu" in head and "does not tolerate the node's taint amd.com/gpu=true:NoSchedule" in head
    assert "revision 7" in got[0]["message"]


def test_one_pool_that_lost_its_plugin_is_named_beside_a_pool_that_kept_it() -> None:
    nodes = [node("a100-1", GPU, 8, 8, labels={"pool": "a100"}), node("l4-1", GPU, 1, 0, labels={"pool": "l4"}),
             node("l4-2", GPU, 1, 0, labels={"pool": "l4"})]
    got, _ = run(nodes, [plugin("gpu-plugin", "kube-system", "nvidia/k8s-device-plugin", selector={"pool": "a100"},
                                desired=1)], finding=PENDING, changes=WRITE)
    assert len(got) == 1 and "l4-1, l4-2 advertise 0 nvidia.com/gpu" in got[0]["message"]


def test_every_node_still_advertising_the_resource_is_a_capacity_question() -> None:
    got, _ = run(gpu_nodes(allocatable=1), [plugin("gpu-plugin", "kube-system", "nvidia/k8s-device-plugin",
                                                   selector=NFD)], finding=PENDING, changes=WRITE)
    assert got == []


def test_plugin_that_never_targeted_the_nodes_is_not_named() -> None:
    got, _ = run(gpu_nodes(), [plugin("gpu-plugin", "kube-system", "nvidia/k8s-device-plugin", selector=NFD)],
                 finding=PENDING)
    assert got == []


def test_plugin_changed_but_still_placed_on_the_nodes_is_not_named() -> None:
    got, _ = run(gpu_nodes(), [plugin("gpu-plugin", "kube-system", "nvidia/k8s-device-plugin:v0.17.1", desired=2)],
                 finding=PENDING, changes=WRITE)
    assert got == []


def test_pending_on_cpu_reads_nothing() -> None:
    got, hub = run(gpu_nodes(), [], event="0/3 nodes are available: 3 Insufficient cpu.")
    assert got == [] and "k8s_nodes" not in hub.tools


def test_an_incident_with_no_pod_waiting_reads_no_events() -> None:
    """Nothing in the scan waits for a node: the namespace's warning events are not read (every other incident
    would carry that read, and its evidence, for nothing)."""
    got, hub = run(gpu_nodes(allocatable=0), [plugin("gpu-plugin", "kube-system", "nvidia/k8s-device-plugin")])
    assert got == [] and "k8s_events" not in hub.tools
