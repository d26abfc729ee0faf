"""Pods of one workload failing only on nodes a node template's write made different (agent.triage.node_split).

The rows are the Kubernetes MCP server's own structured answers: k8s_list pods (`ListRow`) and k8s_nodes
(`NodeRow`, built by `answers.node_row` from Node objects in the API's shape, `status.nodeInfo` as the kubelet
reports it: Amazon Linux 2 / 2023 and Ubuntu images, kernels, containerd versions, Karpenter and Cluster API
labels). The change lines are the timeline's formats for a custom resource's write (`spec.amiSelectorTerms =
[...]`, `spec.template.spec.version: 'v1.29.9' -> 'v1.30.5'`). Negative twins: pods failing and running on
nodes that do not differ, a node difference with no template written, a failing pod beside a healthy one on
one node.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import node_split
from agent.triage.facts import Facts
from mcp_servers.kubernetes.answers import node_row

AT = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def _node(name: str, image: str, kernel: str, labels: dict[str, str], runtime: str = "containerd://1.7.22",
          kubelet: str = "v1.30.4-eks-a737599") -> dict[str, Any]:
    obj = {"metadata": {"name": name, "creationTimestamp": "2026-03-01T00:00:00Z", "labels": labels},
           "spec": {}, "status": {"conditions": [{"type": "Ready", "status": "True"}],
                                  "allocatable": {"cpu": "4", "memory": "16Gi", "pods": "58"},
                                  "nodeInfo": {"osImage": image, "kernelVersion": kernel,
                                               "containerRuntimeVersion": runtime, "kubeletVersion": kubelet}}}
    return node_row(obj, (0.0, 0.0, 0)).model_dump()


def _pod(name: str, ns: str, node: str, failing: bool) -> dict[str, Any]:
    return {"name": name, "namespace": ns, "node": node, "status": "CrashLoopBackOff" if failing else "Running",
            "restarts": 40 if failing else 0, "last_termination_reason": "OOMKilled" if failing else None}


def _change(kind: str, name: str, line: str, hours: float, ns: str = "") -> dict[str, Any]:
    return {"at": (AT - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ"), "type": "other",
            "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {name} written by kubectl-client-side-apply: {line}", "diff": [line]}


def _facts(pods: list[dict[str, Any]], nodes: list[dict[str, Any]], changes: list[dict[str, Any]]) -> Facts:
    reads = {"pods": {"rows": pods}, "pods_id": "E23", "nodes": {"nodes": nodes}, "nodes_id": "E11"}
    return Facts(at=AT, changes={"changes": []}, changes_id="E2",
                 history=[({"window_start": "2026-04-28T12:00:00Z", "changes": changes}, "E24")],
                 reads={node_split.READS: reads})


KARPENTER = {"karpenter.sh/nodepool": "default", "karpenter.k8s.aws/ec2nodeclass": "workers"}
AL2 = ("Amazon Linux 2", "5.10.228-219.884.amzn2.x86_64")
AL2023 = ("Amazon Linux 2023.6.20241111", "6.1.115-126.197.amzn2023.x86_64")
NODES = [_node("n1", *AL2023, KARPENTER), _node("n2", *AL2023, KARPENTER), _node("n3", *AL2, KARPENTER),
         _node("n4", *AL2, KARPENTER)]
PODS = [_pod("quote-engine-6d5f8b7c9-x2kfq", "pricing", "n1", True),
        _pod("quote-engine-6d5f8b7c9-m4tzz", "pricing", "n2", True),
        _pod("quote-engine-6d5f8b7c9-p9wqr", "pricing", "n3", False),
        _pod("quote-engine-6d5f8b7c9-h7ndl", "pricing", "n4", False)]
AMI = _change("EC2NodeClass", "workers", 'spec.amiSelectorTerms = [{"alias": "al2023@latest"}]', 18)


def test_an_os_image_move_to_cgroup_v2_is_named_with_what_it_does_to_old_runtimes() -> None:
    [s] = node_split.found(_facts(PODS, NODES, [AMI]))
    f = node_split.finding(s)
    assert s.template.name == "workers" and s.workload.name == "quote-engine" and s.cgroup_v2
    assert "Amazon Linux 2023.6.20241111 where it fails vs Amazon Linux 2 where it runs" in f["message"]
    assert "cgroup v2" in f["message"] and "heap" in f["message"] and "al2023@latest" in f["message"]


def test_a_machine_deployment_version_bump_that_splits_a_crashing_workload() -> None:
    capi = {"cluster.x-k8s.io/deployment-name": "md-0"}
    nodes = [_node("a1", "Ubuntu 22.04.4 LTS", "5.15.0-119-generic", capi, runtime="containerd://2.0.0",
                   kubelet="v1.30.5"),
             _node("a2", "Ubuntu 22.04.4 LTS", "5.15.0-119-generic", capi, runtime="containerd://1.7.13",
                   kubelet="v1.29.9")]
    pods = [_pod("ledger-0", "payments", "a1", True), _pod("ledger-1", "payments", "a2", False)]
    bump = _change("MachineDeployment", "md-0", "spec.template.spec.version: 'v1.29.9' -> 'v1.30.5'", 6, "capi")
    [s] = node_split.found(_facts(pods, nodes, [bump]))
    assert s.template.kind == "MachineDeployment" and s.workload.kind == "StatefulSet" and not s.cgroup_v2
    message = node_split.finding(s)["message"]
    assert "container runtime containerd://2.0.0 where it fails vs containerd://1.7.13" in message
    assert "cgroup" not in message


def test_negative_twins() -> None:
    same = [_node(n["name"], *AL2, KARPENTER) for n in NODES]
    assert node_split.found(_facts(PODS, same, [AMI])) == []  # nothing tells the nodes apart
    assert node_split.found(_facts(PODS, NODES, [])) == []  # nodes differ, but no template was written
    old = _change("EC2NodeClass", "workers", 'spec.amiSelectorTerms = [{"alias": "al2023@latest"}]', 24 * 6)
    assert node_split.found(_facts(PODS, NODES, [old])) == []
    beside = [*PODS, _pod("quote-engine-6d5f8b7c9-b5rjs", "pricing", "n1", False)]
    assert node_split.found(_facts(beside, NODES, [AMI])) == []  # runs on a node where it also fails
