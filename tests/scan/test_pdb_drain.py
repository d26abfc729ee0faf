"""A drain held by a PodDisruptionBudget, told from cluster state alone (no words about drains needed).

Objects follow what the API server stores: a cordoned node (`spec.unschedulable` and the
`node.kubernetes.io/unschedulable` taint `kubectl drain` sets), a policy/v1 PDB whose status the
disruption controller keeps (`disruptionsAllowed` 0), and the pod it protects still on that node.
"""

from __future__ import annotations

from typing import Any

from agent.incident import from_text
from agent.triage import rank, subject_of
from agent.triage.facts import Facts
from mcp_servers.kubernetes.scan import Snapshot, scan
from tests.scan.objects import NOW, meta, node, pod

LISTED = {"Pod", "Node", "PodDisruptionBudget", "Event"}


def pdb(name: str, ns: str, min_available: int, healthy: int, expected: int) -> dict[str, Any]:
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": meta(name, ns),
            "spec": {"minAvailable": min_available, "selector": {"matchLabels": {"app": name}}},
            "status": {"disruptionsAllowed": max(0, healthy - min_available), "currentHealthy": healthy,
                       "desiredHealthy": min_available, "expectedPods": expected}}


def on(p: dict[str, Any], node_name: str) -> dict[str, Any]:
    p["spec"]["nodeName"] = node_name
    return p


def cluster(*, cordoned: bool) -> list[dict[str, Any]]:
    return [node("node-a", cordoned=cordoned), node("node-b"),
            on(pod("ledger-1", ns="payments", labels={"app": "ledger"}), "node-a"),
            on(pod("ledger-2", ns="payments", labels={"app": "ledger"}), "node-b"),
            on(pod("web-1", ns="shop", labels={"app": "web"}), "node-b"),
            pdb("ledger", "payments", min_available=2, healthy=2, expected=2)]


def findings(objects: list[dict[str, Any]]) -> list[Any]:
    return scan(Snapshot.from_objects(objects, listed=LISTED), NOW, ["policy", "nodes"]).findings


def test_the_budget_holding_a_cordoned_nodes_pod_is_named_as_blocking_the_drain() -> None:
    by_check = {f.check: f for f in findings(cluster(cordoned=True))}
    blocks = by_check["pdb.blocks_drain"]
    assert str(blocks.object) == "PodDisruptionBudget payments/ledger" and blocks.severity == "critical"
    assert blocks.details["cordoned_nodes"] == ["node-a"] and blocks.pods == ["ledger-1"]
    assert "minAvailable 2" in blocks.message and "pdb.no_disruptions" not in by_check
    # Nothing cordoned: the same budget is only a warning that drains would block.
    assert [f.check for f in findings(cluster(cordoned=False))] == ["pdb.no_disruptions"]


def test_a_question_that_never_says_drain_still_blames_the_budget_over_the_node() -> None:
    scanned = scan(Snapshot.from_objects(cluster(cordoned=True), listed=LISTED), NOW, ["policy", "nodes"])
    facts = Facts(at=NOW, scan_id="E1", scan=scanned.model_dump(mode="json"))
    question = from_text("The AMI upgrade has been stuck on node-a for 45 minutes; the node is cordoned but never "
                         "finishes. Why?")
    [top, *rest] = rank(subject_of(question), facts)
    assert top.ref is not None and (top.ref.kind, top.ref.name) == ("PodDisruptionBudget", "ledger")
    assert any(r.ref is not None and r.ref.name == "node-a" for r in rest)
