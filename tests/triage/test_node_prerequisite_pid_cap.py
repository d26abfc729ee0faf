"""A node template whose setup caps the kubelet's per-pod PID limit under thread-heavy software (issue #12,
round 36). The kernel's default PID and thread limits serve a JVM or a Go server, so a template that sets nothing
takes nothing away; one whose kubelet setting caps the pids cgroup of every pod does. Two shapes: a Karpenter
node class whose AL2023 NodeConfig sets `podPidsLimit` with an Elasticsearch-like JVM's `unable to create native
thread`, an AKS agent pool whose kubelet config sets `podMaxPids` under a Go server's `failed to create new OS
thread`. Twins: the same limit left unlimited (-1), the same failure on an older node too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agent.triage import node_prerequisite as npq
from agent.triage.facts import Facts, Ref

AT = datetime(2026, 11, 3, 12, 0, tzinfo=UTC)
OLD = "2026-10-01T00:00:00Z"
JVM = ["[412.3s][warning][os,thread] Failed to start thread - pthread_create failed (EAGAIN) for attributes",
       "Exception in thread \"main\" java.lang.OutOfMemoryError: unable to create native thread: possibly out of "
       "memory or process/resource limits reached"]
GO = ["runtime: failed to create new OS thread (have 1021 already; errno=11)", "runtime: may need to increase "
      "max user processes (ulimit -u)", "fatal error: newosproc"]


def _pod(name: str, node: str, *, fails: bool, created: str = OLD) -> dict[str, Any]:
    return {"name": name, "namespace": "query", "node": node, "created": created,
            "status": "CrashLoopBackOff" if fails else "Running", "restarts": 7 if fails else 0,
            "last_termination_reason": "Error" if fails else None}


def _node(name: str, label: dict[str, str], created: str = OLD) -> dict[str, Any]:
    return {"kind": "Node", "metadata": {"name": name, "creationTimestamp": created, "labels": label},
            "status": {"nodeInfo": {"architecture": "amd64"}}}


def _facts(kind: str, name: str, label: str, spec: dict[str, Any], lines: list[str],
           old_fails: bool = False) -> Facts:
    change = {"at": "2026-11-03T07:00:00Z", "type": "other", "object": {"kind": kind, "namespace": "", "name": name},
              "diff": ["spec changed"]}
    nodes = {"n-old": _node("n-old", {label: name}), "n-new": _node("n-new", {label: name}, "2026-11-03T08:00:00Z")}
    rows = [_pod("engine-6d8f7c9b5-bbzqk", "n-old", fails=old_fails),
            _pod("engine-6d8f7c9b5-vw4mt", "n-new", fails=True, created="2026-11-03T08:05:00Z")]
    store = {"pods": {"rows": rows}, "pods_id": "E7", "lines": {"engine-6d8f7c9b5-vw4mt": lines},
             "log_ids": {}, "nodes": nodes, "templates": {f"{kind} {name}": {"kind": kind, "spec": spec}},
             "evidence": []}
    return Facts(at=AT, changes={"changes": [change]}, changes_id="E2", reads={npq.READS: store})


NODECONFIG = ("MIME-Version: 1.0\n--b\nContent-Type: application/node.eks.aws\n\napiVersion: node.eks.aws/v1alpha1\n"
              "kind: NodeConfig\nspec:\n  kubelet:\n    config:\n      podPidsLimit: {}\n--b--\n")


def test_a_node_class_capping_pod_pids_is_named_for_the_jvm_that_cannot_start_threads() -> None:
    facts = _facts("EC2NodeClass", "batch", "karpenter.k8s.aws/ec2nodeclass",
                   {"userData": NODECONFIG.replace("{}", "512")}, JVM)
    [fit] = npq.found(facts)
    assert fit.target == Ref("EC2NodeClass", "", "batch") and fit.shape == "template"
    message = npq.finding(fit)["message"]
    assert "launches nodes with a limit" in message and "podPidsLimit: 512" in message
    assert "pthread_create failed" in message


def test_an_agent_pool_s_kubelet_config_is_named_for_the_go_runtime_s_thread_failure() -> None:
    facts = _facts("ManagedClustersAgentPool", "pool2", "kubernetes.azure.com/agentpool",
                   {"kubeletConfig": {"podMaxPids": 1024, "cpuManagerPolicy": "none"}}, GO)
    [fit] = npq.found(facts)
    assert fit.target.name == "pool2" and "podMaxPids" in fit.what


def test_an_unlimited_pod_pid_setting_caps_nothing() -> None:
    facts = _facts("EC2NodeClass", "batch", "karpenter.k8s.aws/ec2nodeclass",
                   {"userData": NODECONFIG.replace("{}", "-1")}, JVM)
    assert npq.found(facts) == []


def test_a_cap_the_older_nodes_fail_under_too_is_not_what_the_template_changed() -> None:
    facts = _facts("EC2NodeClass", "batch", "karpenter.k8s.aws/ec2nodeclass",
                   {"userData": NODECONFIG.replace("{}", "512")}, JVM, old_fails=True)
    assert npq.found(facts) == []
