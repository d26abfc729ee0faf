"""node.pod_ips_exhausted: sandbox failures because the CNI has no address left, grouped by node.

The messages are the kubelet's `FailedCreatePodSandBox` wrapping of each CNI plugin's own error
(AWS VPC CNI, Calico IPAM, the host-local IPAM flannel and bridge use, Cilium), in both event APIs.
"""

from __future__ import annotations

import copy
from typing import Any

from mcp_servers.kubernetes.scan import ScanResult, Snapshot, scan
from tests.scan.objects import NOW, event, new_event, node, pod

SANDBOX = 'Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox "{sid}": '
AWS = 'plugin type="aws-cni" name="aws-cni" failed (add): add cmd: failed to assign an IP address to container'
CALICO = ('plugin type="calico" failed (add): failed to request IPv4 addresses: error=[no more free affinity '
          'blocks, cannot allocate IP]')
HOST_LOCAL = ('plugin type="flannel" failed (add): failed to delegate add: failed to allocate for range 0: '
              'no IP addresses available in range set: 10.244.3.1-10.244.3.254')
CILIUM = 'plugin type="cilium-cni" failed (add): unable to allocate IP via local cilium agent: range is full'


def sized_node(name: str, pods: int, instance: str = "m6i.xlarge") -> dict[str, Any]:
    n = node(name)
    n["metadata"]["labels"] = {"node.kubernetes.io/instance-type": instance, "kubernetes.io/hostname": name}
    n["status"]["allocatable"] = {"pods": str(pods), "cpu": "3910m"}
    n["status"]["capacity"] = {"pods": str(pods), "cpu": "4"}
    return n


def running(name: str, on: str, ip: str | None = "10.0.4.10", host_network: bool = False) -> dict[str, Any]:
    p = pod(name, owner=("ReplicaSet", "other-1"))
    p["spec"]["nodeName"] = on
    if host_network:
        p["spec"]["hostNetwork"] = True
    if ip:
        p["status"]["podIP"] = ip
    return p


def stuck(name: str, on: str) -> dict[str, Any]:
    """A pod bound to a node, its sandbox never created: ContainerCreating, no IP."""
    p = pod(name, owner=("ReplicaSet", "indexer-5c9"))
    p["spec"]["nodeName"] = on
    p["status"] = {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "True"}],
                   "containerStatuses": [{"name": "app", "ready": False, "restartCount": 0,
                                          "state": {"waiting": {"reason": "ContainerCreating"}}}]}
    return p


def sandbox_event(pod_name: str, cni: str, n: int = 0) -> dict[str, Any]:
    return event("Pod", pod_name, "FailedCreatePodSandBox", SANDBOX.format(sid=f"{n:064x}") + cni, count=40)


def run(objects: list[dict[str, Any]]) -> ScanResult:
    return scan(Snapshot.from_objects(objects), NOW, ["podnet"])


def test_failures_on_one_node_name_the_node_its_pod_count_and_its_max_pods_against_its_peers() -> None:
    objs = [sized_node("ip-a", 58), sized_node("ip-b", 58), sized_node("ip-c", 110),
            *[running(f"web-{i}", "ip-c") for i in range(5)], running("kube-proxy-c", "ip-c", ip=None,
                                                                     host_network=True),
            running("web-a", "ip-a"), stuck("indexer-1", "ip-c"), stuck("indexer-2", "ip-c"),
            sandbox_event("indexer-1", AWS, 1), sandbox_event("indexer-2", AWS, 2)]
    [f] = run(objs).findings
    assert (f.check, f.severity, str(f.object), f.owner) == ("node.pod_ips_exhausted", "critical", "Node ip-c", None)
    d = f.details
    assert d["cni"] == "aws-cni" and "failed to assign an IP address to container" in d["cni_error"]
    assert (d["pods_on_node"], d["pods_with_ip"], d["host_network_pods"], d["allocatable_pods"]) == (8, 5, 1, 110)
    assert d["same_type_allocatable_pods"] == [58] and d["other_nodes_failing"] == []
    assert d["workloads"] == ["ReplicaSet shop/indexer-5c9"] and f.count == 2
    assert "110 allocatable pods (the kubelet's max-pods)" in f.message and "other m6i.xlarge nodes allow 58" in \
        f.message
    assert "sandbox" not in d["cni_error"]  # the sandbox id is noise; the plugin's words are what matter


def test_calico_wording_in_the_new_event_api_with_the_pod_gone_reads_the_node_from_the_event() -> None:
    ev = new_event("Pod", "indexer-9", "FailedCreatePodSandBox", SANDBOX.format(sid="ab" * 32) + CALICO)
    ev["deprecatedSource"] = {"component": "kubelet", "host": "node-7"}
    [f] = run([node("node-7"), ev]).findings
    assert str(f.object) == "Node node-7" and f.details["cni"] == "calico"
    assert "no more free affinity blocks" in f.message and f.details["workloads"] == ["Pod shop/indexer-9"]


def test_the_same_failure_on_several_nodes_points_at_the_pool() -> None:
    objs = [node("n1"), node("n2"), stuck("indexer-1", "n1"), stuck("indexer-2", "n2"),
            sandbox_event("indexer-1", HOST_LOCAL, 1), sandbox_event("indexer-2", CILIUM, 2)]
    findings = run(objs).findings
    assert sorted(str(f.object) for f in findings) == ["Node n1", "Node n2"]
    by_node = {f.object.name: f for f in findings}
    assert by_node["n1"].details["other_nodes_failing"] == ["n2"] and "address pool itself" in by_node["n1"].message
    assert "no IP addresses available in range set" in by_node["n1"].message and "range is full" in \
        by_node["n2"].message


def test_other_sandbox_failures_and_pods_that_got_their_address_since_say_nothing() -> None:
    other = 'plugin type="calico" failed (add): stat /var/lib/calico/nodename: no such file or directory'
    assert run([node("n1"), stuck("indexer-1", "n1"), sandbox_event("indexer-1", other)]).findings == []
    recovered = copy.deepcopy(running("indexer-1", "n1"))
    assert run([node("n1"), recovered, sandbox_event("indexer-1", AWS)]).findings == []
