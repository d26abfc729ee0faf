"""A node short of disk: the pod writing to a hostPath on it is blamed, not the pods the kubelet evicted.

Eviction messages and node conditions are the kubelet's own wording (eviction manager:
"The node was low on resource: ephemeral-storage. ..."; condition DiskPressure,
KubeletHasDiskPressure); pod specs are core/v1 as the API server stores them.
"""

from __future__ import annotations

from typing import Any

from agent.triage import rank, subject_of
from agent.triage.facts import Facts
from mcp_servers.kubernetes.topology import node_disk_writes
from tests.triage.test_rank import AT, alert, finding


def pod_with(volumes: list[dict[str, Any]], mounts: list[dict[str, Any]]) -> dict[str, Any]:
    return {"spec": {"volumes": volumes, "containers": [{"name": "app", "volumeMounts": mounts}]}}


def test_only_writable_workload_host_paths_count() -> None:
    cache = pod_with([{"name": "cache", "hostPath": {"path": "/var/lib/report-cache", "type": "DirectoryOrCreate"}}],
                     [{"name": "cache", "mountPath": "/cache"}])
    assert node_disk_writes(cache) == ["hostPath /var/lib/report-cache at /cache"]
    read_only = pod_with([{"name": "data", "hostPath": {"path": "/data/models"}}],
                         [{"name": "data", "mountPath": "/models", "readOnly": True}])
    agents = pod_with([{"name": "logs", "hostPath": {"path": "/var/log"}},
                       {"name": "containers", "hostPath": {"path": "/var/lib/docker/containers"}},
                       {"name": "proc", "hostPath": {"path": "/proc"}},
                       {"name": "scratch", "emptyDir": {}}],
                      [{"name": "logs", "mountPath": "/var/log"}, {"name": "containers", "mountPath": "/c"},
                       {"name": "proc", "mountPath": "/host/proc"}, {"name": "scratch", "mountPath": "/tmp"}])
    assert node_disk_writes(read_only) == [] and node_disk_writes(agents) == []


def facts_for(reason: str, check: str = "node.pressure", message: str = "Node node-b: DiskPressure") -> Facts:
    facts = Facts(at=AT, scan_id="E1", scan={"findings": [
        finding("pod.evicted", "Pod", "media", "resizer-7c9d8f6b5d-aaaaa",
                "Deployment media/resizer: 1 pods Evicted: The node was low on resource: ephemeral-storage. "
                "Container resizer was using 412Mi, request is 0, has larger consumption of ephemeral-storage.",
                owner={"kind": "Deployment", "namespace": "media", "name": "resizer"},
                pods=["resizer-7c9d8f6b5d-aaaaa"], details={"node": "node-b"}),
        finding(check, "Node", "", "node-b", message)]})
    facts.topologies.append(({"subject": {"kind": "Deployment", "namespace": "media", "name": "resizer"},
                              "neighbours": [{"name": "report-builder-5c8d7f9b6d-bbbbb", "namespace": "reports",
                                              "node": "node-b", "phase": "Running", "ready": True,
                                              "reason": reason}]}, "E3"))
    return facts


def test_the_host_path_writer_on_the_pressured_node_is_blamed() -> None:
    facts = facts_for("writes the node's disk: hostPath /var/lib/report-cache at /cache")
    [top, *_] = rank(subject_of(alert(alertname="KubePodNotReady", namespace="media", deployment="resizer")), facts)
    assert top.check == "node.disk_hog" and top.ref is not None and top.ref.name == "report-builder-5c8d7f9b6d-bbbbb"
    assert "/var/lib/report-cache" in top.cause and "node-b" in top.cause and "E3" in top.evidence


def test_memory_pressure_or_a_pod_without_host_writes_blames_no_disk_writer() -> None:
    memory = facts_for("writes the node's disk: hostPath /var/lib/report-cache at /cache",
                       message="Node node-b: MemoryPressure")
    memory.scan["findings"][0]["message"] = "Deployment media/resizer: 1 pods Evicted: low on resource: memory"
    incident = alert(alertname="KubePodNotReady", namespace="media", deployment="resizer")
    assert all(c.check != "node.disk_hog" for c in rank(subject_of(incident), memory))
    quiet = facts_for("no memory limit: report-builder")
    assert all(c.check != "node.disk_hog" for c in rank(subject_of(incident), quiet))
