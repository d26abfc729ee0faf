"""A device resource the nodes now offer under another name after a write to how the device is split or named
(agent.triage.resource_renamed, issue #12 round 36).

Shapes: an NVIDIA device plugin ConfigMap whose time-slicing gained `renameByDefault: true` (nodes offer
`nvidia.com/gpu.shared`), the pods' Pending in a scan finding; an AMD GPU operator's DeviceConfig switching its
partition profile (nodes offer `amd.com/gpu-cpx`), the Pending only in a FailedScheduling event. Twins: a plugin
that advertises nothing at all (device_advertiser's case, not a rename), a node that still offers the requested
name (the pods wait for capacity), a write to the device object that names no split or name (a version bump).
The renamed nodes also keep device_advertiser from blaming the plugin's placement.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from agent.triage import device_advertiser, resource_renamed
from agent.triage.facts import Facts, Ref
from tests.triage.test_device_advertiser import AT, node, ts

GPU = "nvidia.com/gpu"


def _offering(name: str, resource: str, count: int, requested: str, still: int = 0) -> dict[str, Any]:
    """A GPU node that offers `count` of `resource` and `still` of the requested name."""
    n = node(name, requested, still, still)
    n["status"]["capacity"][resource] = str(count)
    n["status"]["allocatable"][resource] = str(count)
    n["status"]["allocatable"].setdefault(requested, "0")
    return n


def _renamed(nodes: list[dict[str, Any]], change: dict[str, Any], *, finding: str = "",
             event: str = "") -> list[resource_renamed.Renamed]:
    """What resource_renamed finds over the nodes and events device_advertiser keeps, and a one-write timeline."""
    scan = {"findings": [{"check": "pod.pending", "severity": "critical", "message": finding,
                          "object": {"kind": "Deployment", "namespace": "vision", "name": "ocr"}}]} if finding else None
    store = {"nodes": nodes, "evidence": ["E5"],
             "events": [{"reason": "FailedScheduling", "message": event}] if event else []}
    facts = Facts(at=AT, scan=scan, changes={"changes": [change]}, changes_id="E2",
                  reads={device_advertiser.STORE: store})
    return resource_renamed.found(facts)


SHARED = {"at": ts(timedelta(hours=3)), "type": "config",
          "object": {"kind": "ConfigMap", "namespace": "gpu", "name": "plugin-config"},
          "summary": "ConfigMap gpu/plugin-config written by kubectl-apply",
          "diff": ["data key config.yaml: sharing.timeSlicing.renameByDefault false -> true"]}
PENDING = f"Deployment vision/ocr: 1/2 pods Pending, FailedScheduling: insufficient {GPU}"


def test_a_time_slicing_rename_is_named_over_the_plugin_that_still_runs() -> None:
    nodes = [_offering("g1", "nvidia.com/gpu.shared", 4, GPU), _offering("g2", "nvidia.com/gpu.shared", 4, GPU)]
    [r] = _renamed(nodes, SHARED, finding=PENDING)
    assert r.target == Ref("ConfigMap", "gpu", "plugin-config") and r.offered == {"nvidia.com/gpu.shared": 8}
    message = resource_renamed.finding(r)["message"]
    assert "renameByDefault" in message and "offer 0 nvidia.com/gpu" in message
    # the plugin's placement is not blamed: it runs there and advertises the other name
    assert device_advertiser._lost(nodes, GPU) == []


def test_an_amd_partition_profile_switch_is_named_from_a_scheduling_event() -> None:
    change = {"at": ts(timedelta(hours=1)), "type": "other",
              "object": {"kind": "DeviceConfig", "namespace": "kube-amd-gpu", "name": "default"},
              "summary": "DeviceConfig kube-amd-gpu/default written by argocd: spec.devicePlugin.computePartition",
              "diff": ["spec.computePartition = 'CPX'"]}
    nodes = [_offering("m1", "amd.com/gpu-cpx", 64, "amd.com/gpu")]
    [r] = _renamed(nodes, change, event="0/3 nodes are available: 1 Insufficient amd.com/gpu, 2 node(s) didn't "
                                        "match Pod's node affinity/selector.")
    assert r.resource == "amd.com/gpu" and r.target.kind == "DeviceConfig"


def test_nodes_that_offer_nothing_of_the_vendor_are_not_a_rename() -> None:
    nodes = [node("g1", GPU, 1, 0, labels={"nvidia.com/gpu.present": "true"})]
    assert _renamed(nodes, SHARED, finding=PENDING) == []


def test_a_node_still_offering_the_requested_name_means_the_pods_wait_for_capacity() -> None:
    nodes = [_offering("g1", "nvidia.com/gpu.shared", 4, GPU), _offering("g2", "nvidia.com/mig-1g.10gb", 7, GPU, 1)]
    assert _renamed(nodes, SHARED, finding=PENDING) == []


def test_a_write_that_names_no_split_or_name_is_not_the_cause() -> None:
    bump = {**SHARED, "diff": ["data key config.yaml: flags.failOnInitError true -> false"],
            "summary": "ConfigMap gpu/plugin-config written by kubectl-apply"}
    nodes = [_offering("g1", "nvidia.com/gpu.shared", 4, GPU)]
    assert _renamed(nodes, bump, finding=PENDING) == []
