"""agent.triage.snat_agent: a node agent's SNAT turned off cluster-wide; pods on a node without a NAT route time out.

Shapes: the aws-node DaemonSet's rollout setting `AWS_VPC_K8S_CNI_EXTERNALSNAT=true`, the question naming the node
(its labels set it apart: node group `edge`, subnet tier `public`); Cilium's ConfigMap written to
`enable-ipv4-masquerade: "false"`, no node named, the node taken from a pod the survey saw failing outbound. Twins:
the same env set to `false` (SNAT on), an unrelated env write (log level), a named node whose pods do not fail.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import snat_agent as sa
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub, outcome

AT = datetime(2026, 11, 30, 15, 40, tzinfo=UTC)
EDGE = "ip-10-8-4-23.us-west-2.compute.internal"
NODES = {EDGE: {"pool": "edge", "tier": "public"},
         "ip-10-8-1-20.us-west-2.compute.internal": {"pool": "general", "tier": "private"},
         "ip-10-8-2-21.us-west-2.compute.internal": {"pool": "general", "tier": "private"}}
TIMEOUT = "requests.exceptions.ConnectTimeout: HTTPSConnectionPool(host='api.stripe.com', port=443): connect timeout=5"


def node(name: str, labels: dict[str, str]) -> dict[str, Any]:
    return {"kind": "Node", "metadata": {"name": name, "labels": {
        "kubernetes.io/hostname": name, "eks.amazonaws.com/nodegroup": labels["pool"],
        "net.corp/subnet-tier": labels["tier"], "kubernetes.io/os": "linux"}}}


def aws_node(snat: str, loglevel: str = "DEBUG") -> dict[str, Any]:
    return {"kind": "DaemonSet", "metadata": {"name": "aws-node", "namespace": "kube-system"},
            "spec": {"template": {"spec": {"containers": [{"name": "aws-node", "env": [
                {"name": "AWS_VPC_K8S_CNI_LOGLEVEL", "value": loglevel},
                {"name": "AWS_VPC_K8S_CNI_EXTERNALSNAT", "value": snat}]}]}}}}


def rollout(kind: str, ns: str, name: str, diff: str) -> dict[str, Any]:
    return {"at": (AT - timedelta(minutes=45)).isoformat().replace("+00:00", "Z"), "type": "rollout",
            "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} rolled out revision 2: {diff}", "diff": [diff]}


def case(obj: dict[str, Any], change: dict[str, Any], subject: Subject, pod_log: str,
         logs: list[LogEvidence] | None = None) -> tuple[Facts, RecordingHub]:
    meta = obj["metadata"]
    pods = [{"name": "rates-7c9d8f7b5d-x2k4q", "namespace": "shop"},
            {"name": "web-6c9d8f7b5d-b2k4q", "namespace": "web"},
            {"name": "aws-node-x7k2p", "namespace": "kube-system"}]
    objects: dict[Any, Any] = {("Node", "", n): node(n, labels) for n, labels in NODES.items()}
    objects[(obj["kind"], meta["namespace"], meta["name"])] = obj
    objects[("Pod", "shop", "rates-7c9d8f7b5d-x2k4q")] = {"kind": "Pod", "spec": {"nodeName": EDGE}}
    hub = RecordingHub(objects=objects, lists={"Pod": pods},
                       logs={"rates-7c9d8f7b5d-x2k4q": [pod_log], "web-6c9d8f7b5d-b2k4q": ["GET / 200"]},
                       answers={"k8s_nodes": outcome(True, {"nodes": [{"name": n} for n in NODES]})})
    facts = Facts(at=AT, scan={"findings": []}, changes={"changes": [change]}, changes_id="C1", logs=logs or [])
    asyncio.run(sa.read(subject, facts, hub, AT.isoformat()))
    return facts, hub


EXTERNAL = rollout("DaemonSet", "kube-system", "aws-node",
                   "aws-node env AWS_VPC_K8S_CNI_EXTERNALSNAT='false' -> AWS_VPC_K8S_CNI_EXTERNALSNAT='true'")


def test_aws_externalsnat_on_the_named_edge_node_names_the_daemonset() -> None:
    facts, _ = case(aws_node("true"), EXTERNAL, Subject(nodes=[EDGE]), TIMEOUT)
    [(ref, finding, _, explains)] = sa.suspects(facts)
    assert (ref.kind, ref.name) == ("DaemonSet", "aws-node") and explains[0].name == "rates"
    head = finding["message"][:400]
    assert "AWS_VPC_K8S_CNI_EXTERNALSNAT=true" in head and "SNAT" in head
    assert "net.corp/subnet-tier=public" in head and "eks.amazonaws.com/nodegroup=edge" in head


def test_cilium_masquerade_off_node_from_a_failing_pod() -> None:
    cm = {"kind": "ConfigMap", "metadata": {"name": "cilium-config", "namespace": "kube-system"},
          "data": {"enable-ipv4-masquerade": "false", "tunnel-protocol": "vxlan"}}
    write = {"at": (AT - timedelta(hours=2)).isoformat().replace("+00:00", "Z"), "type": "config",
             "object": {"kind": "ConfigMap", "namespace": "kube-system", "name": "cilium-config"},
             "summary": "ConfigMap kube-system/cilium-config written by helm: data key enable-ipv4-masquerade set",
             "diff": ["data key enable-ipv4-masquerade set"]}
    victim = LogEvidence(pod="rates-7c9d8f7b5d-x2k4q", namespace="shop", evidence_id="E7",
                         top={"template": "quote failed", "example": TIMEOUT}, hosts=["api.stripe.com"],
                         error_classes={"connection_timeout"}, previous=False)
    facts, _ = case(cm, write, Subject(), TIMEOUT, logs=[victim])
    [hit] = sa.found(facts)
    assert hit.target.name == "cilium-config" and hit.key == "enable-ipv4-masquerade" and hit.node == EDGE


def test_snat_turned_on_is_not_named() -> None:
    change = rollout("DaemonSet", "kube-system", "aws-node",
                     "aws-node env AWS_VPC_K8S_CNI_EXTERNALSNAT='true' -> AWS_VPC_K8S_CNI_EXTERNALSNAT='false'")
    facts, _ = case(aws_node("false"), change, Subject(nodes=[EDGE]), TIMEOUT)
    assert sa.found(facts) == []


def test_unrelated_env_write_is_not_named() -> None:
    change = rollout("DaemonSet", "kube-system", "aws-node",
                     "aws-node env AWS_VPC_K8S_CNI_LOGLEVEL='INFO' -> AWS_VPC_K8S_CNI_LOGLEVEL='DEBUG'")
    facts, _ = case(aws_node("true"), change, Subject(nodes=[EDGE]), TIMEOUT)
    assert sa.found(facts) == []


def test_named_node_whose_pods_do_not_fail_is_not_blamed() -> None:
    facts, _ = case(aws_node("true"), EXTERNAL, Subject(nodes=[EDGE]), "GET /rates 200 12ms")
    assert sa.found(facts) == []
