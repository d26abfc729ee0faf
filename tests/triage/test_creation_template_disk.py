"""A node template's root disk made smaller: pods on the nodes it launched since are evicted for node disk
(agent.triage.creation_template, the `disk` shape).

Two shapes of the class in other providers' words, each with negative twins that look alike but where the smaller
disk is not what the evictions differ by:

- an Azure AKSNodeClass whose `osDiskSizeGB` was cut: a batch StatefulSet's pod on a node made since was evicted
  ("low on resource: ephemeral-storage"); older nodes have six times the disk;
- a Cluster API MachineDeployment whose `rootVolume.size` was cut: a Deployment's pod was turned away with
  "The node had condition: [DiskPressure]".
Twins: the new nodes' disks are as large as the old ones'; the eviction was for memory; the write touched another
field; the evicted workload has no pod on the small nodes; the eviction came before the write.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agent.triage import creation_template as ct
from agent.triage.facts import Facts, Ref

AT = datetime(2026, 11, 3, 15, 0, tzinfo=UTC)
WRITE = "2026-11-03T09:00:00Z"


def _facts(kind: str, label: str, line: str, new_size: str, old_size: str, event: dict[str, Any],
           pod: dict[str, Any]) -> Facts:
    """Two older nodes and one the template launched after its write; the pods and one kubelet event."""
    nodes = [{"metadata": {"name": f"old-{i}", "creationTimestamp": "2026-10-01T00:00:00Z", "labels": {}},
              "status": {"capacity": {"ephemeral-storage": old_size}}} for i in range(2)]
    nodes.append({"metadata": {"name": "fresh-1", "creationTimestamp": "2026-11-03T11:30:00Z",
                               "labels": {label: "workers"}},
                  "status": {"capacity": {"ephemeral-storage": new_size}}})
    change = {"at": WRITE, "type": "other", "object": {"kind": kind, "name": "workers"},
              "summary": f"{kind} workers written by kubectl: {line}", "diff": [line]}
    store = {"templates": {f"{kind} workers": {"kind": kind, "metadata": {"name": "workers"}}}, "nodes": nodes,
             "node_events": [], "pod_events": [event], "pod_rows": [pod], "evidence": ["E40"]}
    return Facts(at=AT, changes={"changes": [change]}, changes_id="E2", reads={ct.READS: store})


def _aks(new_size: str = "30Gi", message: str = "The node was low on resource: ephemeral-storage. Container "
         "renderer was using 21Gi, request is 0.", line: str = "spec.osDiskSizeGB = 30",
         node: str = "fresh-1", seen: str = "2026-11-03T13:10:00Z") -> Facts:
    event = {"reason": "Evicted", "kind": "Pod", "name": "frame-renderer-2", "namespace": "media",
             "message": message, "last_seen": seen}
    pod = {"name": "frame-renderer-0", "namespace": "media", "node": node, "status": "Running"}
    return _facts("AKSNodeClass", "karpenter.azure.com/aksnodeclass", line, new_size, "187Gi", event, pod)


def _capi(new_size: str = "41152812Ki", message: str = "The node had condition: [DiskPressure].") -> Facts:
    event = {"reason": "Evicted", "kind": "Pod", "name": "etl-runner-7c9d5b-xk2lp", "namespace": "data",
             "message": message, "first_seen": "2026-11-03T14:20:00Z"}
    pod = {"name": "etl-runner-7c9d5b-q8w4n", "namespace": "data", "node": "fresh-1", "status": "Running"}
    return _facts("MachineDeployment", "cluster.x-k8s.io/deployment-name",
                  "spec.template.spec.rootVolume.size = 40", new_size, "205520896Ki", event, pod)


def test_an_aks_node_class_with_a_smaller_os_disk_explains_a_statefulset_evicted_on_a_node_made_since() -> None:
    [fit] = ct.found(_aks())
    assert fit.shape == "disk" and fit.template == Ref("AKSNodeClass", "", "workers")
    assert fit.explains == [Ref("StatefulSet", "media", "frame-renderer")]
    message = ct.finding(fit)["message"]
    assert "osDiskSizeGB" in message and "ephemeral-storage" in message and "30Gi" in message \
        and "187Gi" in message


def test_a_capi_machine_deployment_with_a_smaller_root_volume_explains_disk_pressure_evictions() -> None:
    [fit] = ct.found(_capi())
    assert fit.shape == "disk" and fit.explains == [Ref("Deployment", "data", "etl-runner")]
    assert "rootVolume" in fit.written and "196Gi" in ct.finding(fit)["message"]


def test_new_nodes_with_disks_as_large_as_the_old_ones_are_no_smaller_disk() -> None:
    assert ct.found(_aks(new_size="187Gi")) == []
    assert ct.found(_capi(new_size="205520896Ki")) == []


def test_an_eviction_for_memory_or_over_the_pods_own_limit_is_not_the_nodes_disk() -> None:
    assert ct.found(_aks(message="The node was low on resource: memory. Container renderer was using 9Gi.")) == []
    assert ct.found(_capi(message="Pod ephemeral local storage usage exceeds the total limit of containers 2Gi.")) \
        == []


def test_a_write_to_another_field_or_an_eviction_elsewhere_or_before_is_not_the_template() -> None:
    assert ct.found(_aks(line="spec.kubelet.maxPods = 58")) == []
    assert ct.found(_aks(node="old-0")) == []
    assert ct.found(_aks(seen="2026-11-03T08:00:00Z")) == []
