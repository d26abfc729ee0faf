"""agent.triage.pool_nat: a node-scoped pod network config with outgoing NAT off, its nodes' pods cut from outside.

Shapes: a Calico IPPool (`natOutgoing: false`, `nodeSelector: pool == 'batch'`) and a question naming the node,
its pod (Python ConnectTimeout, address from the pool's CIDR) read by the module itself; a CiliumNodeConfig
turning `enable-ipv4-masquerade` off for `matchLabels` nodes, no node named, the node found from the failing pod
the survey read (Go `i/o timeout`). Twins: a pool selecting every node (no difference of that node); a pool
selecting another node; a pool with NAT on whose CIDR the failing pod's address is not in.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import pool_nat
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub, outcome

AT = datetime(2026, 11, 9, 14, 0, tzinfo=UTC)
NODES = ["worker-1.internal", "worker-2.internal", "worker-3.internal"]
POD = "mailer-6c9d8f7b5-q2w4x"
PY = ("2026-11-09 13:10:00,114 ERROR send: requests.exceptions.ConnectTimeout: HTTPSConnectionPool(host='api.mail."
      "example.net', port=443): Max retries exceeded (Caused by ConnectTimeoutError('Connection to api.mail.example."
      "net timed out. (connect timeout=10)'))")
GO = "2026/11/09 13:10:00 push: Post \"https://hooks.example.org/v1\": dial tcp 203.0.113.9:443: i/o timeout"


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def node(name: str, labels: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": labels}}


def ippool(selector: str, nat: bool) -> dict[str, Any]:
    return {"apiVersion": "crd.projectcalico.org/v1", "kind": "IPPool", "metadata": {"name": "pool-x"},
            "spec": {"cidr": "10.250.0.0/16", "natOutgoing": nat, "nodeSelector": selector}}


NODECONFIG = {"apiVersion": "cilium.io/v2", "kind": "CiliumNodeConfig",
              "metadata": {"name": "edge-nodes", "namespace": "kube-system"},
              "spec": {"nodeSelector": {"matchLabels": {"role": "edge"}},
                       "defaults": {"enable-ipv4-masquerade": "false"}}}


def run(written: dict[str, Any], obj: dict[str, Any], subject: Subject, survey_logs: bool, pod_ip: str,
        labels: dict[str, dict[str, str]], line: str = PY) -> Facts:
    facts = Facts(at=AT, changes_id="C1")
    ref = written["object"]
    facts.changes = {"changes": [written]}
    if survey_logs:
        facts.logs = [LogEvidence(pod=POD, namespace="mail", evidence_id="L1",
                                  top={"example": line, "first_seen": iso(AT - timedelta(minutes=50)),
                                       "severity": "error"}, hosts=[], error_classes={"connection_timeout"},
                                  previous=False)]
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": POD, "namespace": "mail"},
           "spec": {"nodeName": NODES[2]}, "status": {"podIP": pod_ip}}
    objects: dict[Any, Any] = {(ref["kind"], ref["namespace"], ref["name"]): obj, ("Pod", "mail", POD): pod}
    objects.update({("Node", "", n): node(n, labels.get(n, {})) for n in NODES})
    hub = RecordingHub(objects=objects, lists={"Pod": [{"name": POD, "namespace": "mail"}]}, logs={POD: [line]},
                       answers={"k8s_nodes": outcome(True, {"nodes": [{"name": n} for n in NODES]})})
    asyncio.run(pool_nat.read(subject, facts, hub, iso(AT)))
    return facts


def change(kind: str, namespace: str, name: str) -> dict[str, Any]:
    return {"at": iso(AT - timedelta(minutes=90)), "type": "other",
            "object": {"kind": kind, "namespace": namespace, "name": name},
            "summary": f"{kind} {name} written by kubectl", "diff": ["spec.natOutgoing = false"], "related": []}


ASKED = Subject(names=[NODES[2], "outside"], hosts=[NODES[2]])


def test_an_ippool_without_outgoing_nat_selecting_the_named_node_is_named() -> None:
    facts = run(change("IPPool", "", "pool-x"), ippool("pool == 'batch'", False), ASKED, False, "10.250.3.14",
                {NODES[2]: {"pool": "batch"}})
    [(ref, finding, evidence, explains)] = pool_nat.suspects(facts)
    assert (ref.kind, ref.name) == ("IPPool", "pool-x")
    head = finding["message"][:400]
    assert "natOutgoing: false" in head and "SNAT" in head and NODES[2] in head and "10.250.0.0/16" in head
    assert explains[0].name == "mailer" and len(evidence) == 3


def test_a_cilium_node_config_turning_masquerade_off_is_named_from_a_failing_pod() -> None:
    facts = run(change("CiliumNodeConfig", "kube-system", "edge-nodes"), NODECONFIG, Subject(names=["mailer"]), True,
                "10.0.3.14", {NODES[2]: {"role": "edge"}}, line=GO)
    [(ref, finding, _, _)] = pool_nat.suspects(facts)
    assert ref.name == "edge-nodes" and "enable-ipv4-masquerade: false" in finding["message"]


def test_a_pool_selecting_every_node_is_no_difference_of_that_node() -> None:
    facts = run(change("IPPool", "", "pool-x"), ippool("all()", False), ASKED, False, "10.250.3.14", {})
    assert pool_nat.suspects(facts) == []


def test_a_pool_selecting_another_node_is_not_named() -> None:
    facts = run(change("IPPool", "", "pool-x"), ippool("pool == 'batch'", False), ASKED, False, "10.250.3.14",
                {NODES[0]: {"pool": "batch"}})
    assert pool_nat.suspects(facts) == []


def test_a_pool_with_nat_on_whose_cidr_the_pod_is_not_in_is_not_named() -> None:
    facts = run(change("IPPool", "", "pool-x"), ippool("pool == 'batch'", True), ASKED, False, "10.244.3.14",
                {NODES[2]: {"pool": "batch"}})
    assert pool_nat.suspects(facts) == []
