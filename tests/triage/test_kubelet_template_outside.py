"""agent.triage.kubelet_template against node templates its round never showed (issue #12).

The class: what launches a node configures its kubelet, and a write there puts the nodes launched after it under
pressure. Beyond Karpenter and Cluster API: a GKE node pool's kubelet config (Config Connector ContainerNodePool
`nodeConfig.kubeletConfig.podPidsLimit`, nodes labelled `cloud.google.com/gke-nodepool` with the pool's
cloud-side `resourceID`), an AKS custom node config (ASO ManagedClustersAgentPool `kubeletConfig`, spelled
`containerLogMaxSizeMB`, nodes labelled `kubernetes.azure.com/agentpool` with its `azureName`), kubeadm's
`kubelet-config` ConfigMap in kube-system (a KubeletConfiguration with eviction thresholds, read by every node
that joins). Twins: a GKE pool setting only `cpuManagerPolicy`, a node of another AKS pool, a ConfigMap named
kubelet-config in an application namespace, an older node under the same pressure.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from agent.triage import kubelet_template
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub, keyed, outcome
from tests.triage.test_kubelet_template import WRITE, _facts, _found, _iso, _node

AT_NODE = WRITE + timedelta(hours=4)


def _in_namespace(facts: Facts, namespace: str) -> None:
    """The template write of `_facts` is cluster-scoped; these templates live in a namespace."""
    assert facts.changes is not None
    facts.changes["changes"][0]["object"]["namespace"] = namespace


def _gke(kubelet: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "ContainerNodePool", "metadata": {"name": "batch-pool-cc", "namespace": "infra"},
            "spec": {"resourceID": "batch-pool", "nodeConfig": {"machineType": "e2-standard-8",
                                                                 "kubeletConfig": kubelet}}}


def _gke_facts(condition: str) -> Facts:
    facts = _facts([("gke-prod-batch-pool-1a2b", condition)], ("ContainerNodePool", "batch-pool-cc"), WRITE)
    _in_namespace(facts, "infra")
    return facts


GKE_NODE = _node("gke-prod-batch-pool-1a2b", AT_NODE, {"cloud.google.com/gke-nodepool": "batch-pool"})


def test_a_gke_node_pool_kubelet_config_raising_pod_pids_explains_pid_pressure() -> None:
    found = _found([_gke({"podPidsLimit": 1000000}), GKE_NODE], _gke_facts("PIDPressure"))
    [x] = found
    assert str(x.template) == "ContainerNodePool infra/batch-pool-cc" and x.settings == [("podPidsLimit", "1000000")]
    message = kubelet_template.finding(x, WRITE + timedelta(hours=20))["message"][:400]
    assert "podPidsLimit 1000000" in message and "PIDPressure" in message and "pids" in message


def test_a_gke_pool_setting_only_the_cpu_manager_is_not_named() -> None:
    assert _found([_gke({"cpuManagerPolicy": "static"}), GKE_NODE], _gke_facts("PIDPressure")) == []


def _aks() -> dict[str, Any]:
    return {"kind": "ManagedClustersAgentPool", "metadata": {"name": "aks-prod-userpool", "namespace": "infra"},
            "spec": {"azureName": "userpool", "kubeletConfig": {"containerLogMaxSizeMB": 2000,
                                                                "containerLogMaxFiles": 10}}}


def _aks_facts() -> Facts:
    facts = _facts([("aks-userpool-12345-vmss000003", "DiskPressure")],
                   ("ManagedClustersAgentPool", "aks-prod-userpool"), WRITE)
    _in_namespace(facts, "infra")
    return facts


def test_an_aks_custom_node_config_raising_log_size_explains_disk_pressure() -> None:
    node = _node("aks-userpool-12345-vmss000003", AT_NODE, {"kubernetes.azure.com/agentpool": "userpool"})
    [x] = _found([_aks(), node], _aks_facts())
    assert x.settings[0] == ("containerLogMaxSizeMB", "2000")
    assert "log rotation no longer caps" in kubelet_template.finding(x, WRITE + timedelta(hours=20))["message"]


def test_a_node_of_another_aks_pool_is_not_named() -> None:
    node = _node("aks-userpool-12345-vmss000003", AT_NODE, {"kubernetes.azure.com/agentpool": "systempool"})
    assert _found([_aks(), node], _aks_facts()) == []


KUBEADM = ("apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\ncgroupDriver: systemd\n"
           "evictionHard:\n  nodefs.available: 1%\n  imagefs.available: 1%\n")


def _kubeadm(namespace: str) -> dict[str, Any]:
    return {"kind": "ConfigMap", "metadata": {"name": "kubelet-config", "namespace": namespace},
            "data": {"kubelet": KUBEADM}}


def _kubeadm_found(namespace: str, nodes: list[dict[str, Any]], pressured: list[str]) -> list[Any]:
    facts = _facts([(n, "DiskPressure") for n in pressured], ("ConfigMap", "kubelet-config"), WRITE)
    _in_namespace(facts, namespace)
    hub = RecordingHub(objects=keyed([_kubeadm(namespace), *nodes]),
                       otherwise=lambda _, eid: outcome(True, {"changes": []}, "", eid))
    asyncio.run(kubelet_template.read(Subject(), facts, hub, _iso(WRITE + timedelta(hours=20))))
    return kubelet_template.found(facts)


def test_kubeadms_kubelet_config_lowering_eviction_thresholds_explains_a_node_joined_after() -> None:
    [x] = _kubeadm_found("kube-system", [_node("worker-7", AT_NODE, {})], ["worker-7"])
    assert str(x.template) == "ConfigMap kube-system/kubelet-config"
    assert x.settings == [("evictionHard", '{"nodefs.available":"1%","imagefs.available":"1%"}')]


def test_a_kubelet_config_of_an_app_namespace_or_with_an_older_node_pressured_too_is_not_named() -> None:
    assert _kubeadm_found("reports", [_node("worker-7", AT_NODE, {})], ["worker-7"]) == []
    older = _node("worker-2", WRITE - timedelta(days=30), {})
    assert _kubeadm_found("kube-system", [_node("worker-7", AT_NODE, {}), older], ["worker-7", "worker-2"]) == []
