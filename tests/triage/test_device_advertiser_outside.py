"""Device plugins that stopped advertising, for vendors and device families other than the first incident's
(agent.triage.device_advertiser).

Outside shapes: Intel's GPU plugin (`gpu.intel.com/i915`) given a nodeSelector on a node-feature-discovery label the
Arc nodes lack; the SR-IOV network device plugin (`intel.com/intel_sriov_netdevice`, a DaemonSet named
`kube-sriov-device-plugin-amd64` whose name and image carry no vendor) that lost the toleration for the NIC nodes'
taint; Mellanox's RDMA shared device plugin (`rdma/hca_shared_devices_a`) moved by a required node affinity.
Twins: an NVIDIA plugin written at the same time and excluded from the Intel nodes is not named for an i915
Pending; an SR-IOV plugin named `...-amd64` is not AMD's for an `amd.com/gpu` Pending.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from agent.triage import device_advertiser as d
from tests.triage.test_device_advertiser import node, plugin, run, ts

I915 = "gpu.intel.com/i915"
SRIOV = "intel.com/intel_sriov_netdevice"
RDMA = "rdma/hca_shared_devices_a"


def write(name: str, ns: str, what: str) -> dict[str, Any]:
    return {"at": ts(timedelta(hours=3)), "type": "updated", "object": {"kind": "DaemonSet", "namespace": ns,
                                                                        "name": name},
            "summary": f"DaemonSet {ns}/{name} written by argocd: spec.template.spec.{what}", "diff": [what]}


def test_intels_gpu_plugin_on_a_missing_nfd_label_is_named_and_nvidias_is_not() -> None:
    nodes = [node("arc-1", I915, 1, 0), node("arc-2", I915, 1, 0), node("cpu-1", I915, 0, 0)]
    selector = {"intel.feature.node.kubernetes.io/gpu": "true"}
    sets = [plugin("intel-gpu-plugin", "inteldeviceplugins-system", "intel/intel-gpu-plugin:0.31.0",
                   selector=selector),
            plugin("nvidia-device-plugin", "gpu-operator", "nvcr.io/nvidia/k8s-device-plugin:v0.17.0",
                   selector={"nvidia.com/gpu.present": "true"})]
    got, _ = run(nodes, sets, event=f"0/3 nodes are available: 2 Insufficient {I915}, 1 Insufficient cpu.",
                 changes=[write("intel-gpu-plugin", "inteldeviceplugins-system", "nodeSelector"),
                          write("nvidia-device-plugin", "gpu-operator", "nodeSelector")], namespace="media")
    assert [g["object"]["name"] for g in got] == ["intel-gpu-plugin"]
    head = got[0]["message"][:400]
    assert f"advertises {I915}" in head and "arc-1, arc-2 advertise 0" in head


def test_the_sriov_plugin_that_lost_its_toleration_is_named_though_its_name_carries_no_vendor() -> None:
    taint = [{"key": "sriov", "value": "true", "effect": "NoSchedule"}]
    nodes = [node("nic-1", SRIOV, 8, 0, taints=taint), node("nic-2", SRIOV, 8, 0, taints=taint)]
    sets = [plugin("kube-sriov-device-plugin-amd64", "kube-system",
                   "ghcr.io/k8snetworkplumbingwg/sriov-network-device-plugin:v3.7.0")]
    got, _ = run(nodes, sets, event=f"0/2 nodes are available: 2 Insufficient {SRIOV}.",
                 changes=[write("kube-sriov-device-plugin-amd64", "kube-system", "tolerations")], namespace="upf")
    assert len(got) == 1 and got[0]["object"]["name"] == "kube-sriov-device-plugin-amd64"
    assert "does not tolerate the node's taint sriov=true:NoSchedule" in got[0]["message"][:400]


def test_an_amd64_named_plugin_is_not_amds() -> None:
    sriov = plugin("kube-sriov-device-plugin-amd64", "kube-system",
                   "ghcr.io/k8snetworkplumbingwg/sriov-network-device-plugin:v3.7.0")
    assert not d._names_vendor(sriov, "amd.com/gpu")
    assert d._names_vendor(plugin("amdgpu-dp", "kube-system", "rocm/k8s-device-plugin:1.31"), "amd.com/gpu")


def test_the_rdma_shared_device_plugin_moved_by_a_required_affinity_is_named() -> None:
    nodes = [node("ib-1", RDMA, 63, 0, labels={"network": "infiniband"}),
             node("ib-2", RDMA, 63, 0, labels={"network": "infiniband"})]
    ds = plugin("rdma-shared-dp-ds", "network-operator", "ghcr.io/mellanox/k8s-rdma-shared-dev-plugin:v1.5.2")
    ds["spec"]["template"]["spec"]["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": [{"key": "network", "operator": "In", "values": ["roce"]}]}]}}}
    got, _ = run(nodes, [ds], event=f"0/2 nodes are available: 2 Insufficient {RDMA}.",
                 changes=[write("rdma-shared-dp-ds", "network-operator", "affinity")], namespace="hpc")
    assert len(got) == 1 and got[0]["object"]["name"] == "rdma-shared-dp-ds"
    assert f"advertises {RDMA}" in got[0]["message"][:400]
