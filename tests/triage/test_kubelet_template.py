"""A node under pressure because the template that launched it configures its kubelet so: an EC2NodeClass whose
nodeadm userData raises containerLogMaxSize (DiskPressure, ephemeral-storage evictions), a NodePool whose kubelet
block raises evictionHard memory.available (MemoryPressure), an AL2 bootstrap flag raising the image GC threshold;
and the twins (the node predates the write, the template sets only unrelated keys, an older node is under the
same pressure, the node came from another template)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import behind, kubelet_template
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub, keyed, outcome

AT = datetime(2026, 12, 8, 15, 0, tzinfo=UTC)
WRITE = AT - timedelta(hours=20)
NODEADM = ("MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"//\"\n\n--//\n"
           "Content-Type: application/node.eks.aws\n\napiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\n"
           "spec:\n  kubelet:\n    config:\n      maxPods: 40\n%s--//--\n")


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _node(name: str, created: datetime, labels: dict[str, str]) -> dict[str, Any]:
    return {"kind": "Node", "metadata": {"name": name, "creationTimestamp": _iso(created), "labels": labels}}


def _nodeclass(userdata: str) -> dict[str, Any]:
    return {"kind": "EC2NodeClass", "metadata": {"name": "bottle-general"},
            "spec": {"amiFamily": "AL2023", "userData": userdata}}


def _facts(pressure: list[tuple[str, str]], template: tuple[str, str], written: datetime) -> Facts:
    findings: list[dict[str, Any]] = [
        {"check": "node.pressure", "object": {"kind": "Node", "namespace": "", "name": n}, "reason": c,
         "message": f"Node {n}: {c}", "evidence": [f"{c}=True"]} for n, c in pressure]
    findings.append({"check": "pod.evicted", "object": {"kind": "Deployment", "namespace": "ads", "name": "beacon"},
                     "owner": {"kind": "Deployment", "namespace": "ads", "name": "beacon"}, "reason": "Evicted",
                     "message": f"Deployment ads/beacon: 1/3 pods Evicted, node {pressure[0][0]} low on resource"})
    return Facts(at=AT, scan={"findings": findings}, changes={"changes": [
        {"at": _iso(written), "type": "other", "summary": f"{template[0]} {template[1]} written by kubectl-edit",
         "object": {"kind": template[0], "namespace": "", "name": template[1]}}]}, changes_id="E2")


def _found(objects: list[dict[str, Any]], facts: Facts) -> list[kubelet_template.Launched]:
    hub = RecordingHub(objects=keyed(objects), otherwise=lambda _, eid: outcome(True, {"changes": []}, "", eid))
    asyncio.run(kubelet_template.read(Subject(), facts, hub, _iso(AT)))
    return kubelet_template.found(facts)


KARPENTER = {"karpenter.sh/nodepool": "general", "karpenter.k8s.aws/ec2nodeclass": "bottle-general"}


def test_nodeclass_userdata_raising_log_size_explains_disk_pressure() -> None:
    objects = [_nodeclass(NODEADM % "      containerLogMaxSize: 2Gi\n"),
               _node("ip-10-1-9-9", WRITE + timedelta(hours=3), KARPENTER)]
    found = _found(objects, _facts([("ip-10-1-9-9", "DiskPressure")], ("EC2NodeClass", "bottle-general"), WRITE))
    assert [(str(x.template), x.settings) for x in found] == [("EC2NodeClass bottle-general",
                                                              [("containerLogMaxSize", "2Gi")])]
    assert [str(r) for r in found[0].explains] == ["Node ip-10-1-9-9", "Deployment ads/beacon"]
    message = kubelet_template.finding(found[0], AT)["message"]
    assert message.startswith("EC2NodeClass bottle-general sets the kubelet's containerLogMaxSize 2Gi")
    assert "log rotation" in message and "DiskPressure: the kubelet evicts pods for ephemeral-storage" in message
    assert kubelet_template.CHECK in behind.WEIGHTS


def test_nodepool_kubelet_block_explains_memory_pressure() -> None:
    pool = {"kind": "NodePool", "metadata": {"name": "batch"},
            "spec": {"template": {"spec": {"kubelet": {"maxPods": 110, "evictionHard": {"memory.available": "1%"},
                                                       "systemReserved": {"memory": "100Mi"}}}}}}
    objects = [pool, _node("ip-10-1-4-4", WRITE + timedelta(hours=1), {"karpenter.sh/nodepool": "batch"})]
    found = _found(objects, _facts([("ip-10-1-4-4", "MemoryPressure")], ("NodePool", "batch"), WRITE))
    assert [x.settings[0] for x in found] == [("evictionHard", '{"memory.available":"1%"}')]
    assert "evicts pods for memory" in kubelet_template.finding(found[0], AT)["message"]


def test_bootstrap_flag_in_userdata_is_read() -> None:
    userdata = ("#!/bin/bash\n/etc/eks/bootstrap.sh prod --kubelet-extra-args "
                "'--node-labels=tier=web --image-gc-high-threshold=98'\n")
    objects = [_nodeclass(userdata), _node("ip-10-1-2-2", WRITE + timedelta(hours=2), KARPENTER)]
    found = _found(objects, _facts([("ip-10-1-2-2", "DiskPressure")], ("EC2NodeClass", "bottle-general"), WRITE))
    assert [x.settings for x in found] == [[("--image-gc-high-threshold", "98")]]
    assert "image garbage collection" in kubelet_template.finding(found[0], AT)["message"]


def test_node_launched_before_the_write_or_by_another_template_is_not_named() -> None:
    nodeclass = _nodeclass(NODEADM % "      containerLogMaxSize: 2Gi\n")
    facts = _facts([("ip-10-1-9-9", "DiskPressure")], ("EC2NodeClass", "bottle-general"), WRITE)
    assert _found([nodeclass, _node("ip-10-1-9-9", WRITE - timedelta(hours=3), KARPENTER)], facts) == []
    facts = _facts([("ip-10-1-9-9", "DiskPressure")], ("EC2NodeClass", "bottle-general"), WRITE)
    other = {"karpenter.sh/nodepool": "gpu", "karpenter.k8s.aws/ec2nodeclass": "gpu-class"}
    assert _found([nodeclass, _node("ip-10-1-9-9", WRITE + timedelta(hours=3), other)], facts) == []


def test_unrelated_keys_or_an_older_node_under_pressure_is_not_named() -> None:
    facts = _facts([("ip-10-1-9-9", "DiskPressure")], ("EC2NodeClass", "bottle-general"), WRITE)
    only_pods = [_nodeclass(NODEADM % ""), _node("ip-10-1-9-9", WRITE + timedelta(hours=3), KARPENTER)]
    assert _found(only_pods, facts) == []
    facts = _facts([("ip-10-1-9-9", "DiskPressure"), ("ip-10-1-1-1", "DiskPressure")],
                   ("EC2NodeClass", "bottle-general"), WRITE)
    both = [_nodeclass(NODEADM % "      containerLogMaxSize: 2Gi\n"),
            _node("ip-10-1-9-9", WRITE + timedelta(hours=3), KARPENTER),
            _node("ip-10-1-1-1", WRITE - timedelta(days=9), KARPENTER)]
    assert _found(both, facts) == []


def test_evictions_name_the_node_when_its_pressure_has_cleared() -> None:
    objects = [_nodeclass(NODEADM % "      containerLogMaxFiles: 20\n"),
               _node("ip-10-1-9-9", WRITE + timedelta(hours=3), KARPENTER)]
    owner = {"kind": "StatefulSet", "namespace": "ads", "name": "events"}
    facts = Facts(at=AT, scan={"findings": [
        {"check": "pod.evicted", "object": owner, "owner": owner, "reason": "Evicted",
         "message": "StatefulSet ads/events: 1/3 pods Evicted, node ip-10-1-9-9 low on ephemeral-storage"}]},
        changes={"changes": [{"at": _iso(WRITE), "type": "other", "summary": "EC2NodeClass bottle-general written",
                              "object": {"kind": "EC2NodeClass", "namespace": "", "name": "bottle-general"}}]},
        changes_id="E2")
    found = _found(objects, facts)
    assert [(x.node, x.condition, x.settings) for x in found] == [
        ("ip-10-1-9-9", "DiskPressure", [("containerLogMaxFiles", "20")])]
    assert [str(r) for r in found[0].explains] == ["Node ip-10-1-9-9", "StatefulSet ads/events"]
