"""Overlapping PodDisruptionBudgets: a pod two budgets select cannot be evicted at all.

The eviction subresource answers 500 "This pod has more than one PodDisruptionBudget, which the eviction
subresource does not support" for such a pod, whatever each budget allows, so every drain (kubectl drain,
Karpenter's termination controller, the cluster autoscaler's scale-down) hangs on it. The objects follow what
the API server stores: budgets with matchLabels / matchExpressions selectors and healthy statuses (both allow a
disruption), a cordoned node, pods with labels.
"""

from __future__ import annotations

from typing import Any

from agent.incident import from_text
from agent.triage import rank, subject_of
from agent.triage.facts import Facts
from mcp_servers.kubernetes.scan import Snapshot, scan
from tests.scan.objects import NOW, meta, node, pod

LISTED = {"Pod", "Node", "PodDisruptionBudget", "Event"}


def budget(name: str, ns: str, selector: dict[str, Any], created: str, **spec: Any) -> dict[str, Any]:
    m = meta(name, ns)
    m["creationTimestamp"] = created
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": m,
            "spec": {**spec, "selector": selector},
            "status": {"disruptionsAllowed": 1, "currentHealthy": 3, "desiredHealthy": 2, "expectedPods": 3}}


def on(p: dict[str, Any], node_name: str) -> dict[str, Any]:
    p["spec"]["nodeName"] = node_name
    return p


def pods(ns: str, labels: dict[str, str]) -> list[dict[str, Any]]:
    return [on(pod(f"{labels['app']}-{i}", ns=ns, labels=labels), f"node-{'abc'[i]}") for i in range(3)]


def findings(objects: list[dict[str, Any]]) -> list[Any]:
    return scan(Snapshot.from_objects(objects, listed=LISTED), NOW, ["policy", "nodes"]).findings


def matchlabels_overlap(cordoned: bool) -> list[dict[str, Any]]:
    """Shape 1: a chart's budget and a hand-applied one with the same matchLabels; node-a drained."""
    return [node("node-a", cordoned=cordoned), node("node-b"), node("node-c"),
            *pods("ledger", {"app": "writer"}),
            budget("writer", "ledger", {"matchLabels": {"app": "writer"}}, "2026-10-01T00:00:00Z", maxUnavailable=1),
            budget("writer-ha", "ledger", {"matchLabels": {"app": "writer"}}, "2026-11-30T17:40:00Z",
                   minAvailable="66%")]


def test_a_newer_budget_selecting_the_same_pods_on_a_cordoned_node_blocks_the_drain() -> None:
    [blocks] = [f for f in findings(matchlabels_overlap(cordoned=True)) if f.check.startswith("pdb.")]
    assert blocks.check == "pdb.blocks_drain" and str(blocks.object) == "PodDisruptionBudget ledger/writer-ha"
    assert blocks.details["cordoned_nodes"] == ["node-a"] and blocks.pods == ["writer-0"]
    assert "more than one PodDisruptionBudget" in blocks.message and "overlapping" in blocks.message
    assert "ledger/writer" in blocks.message


def test_the_same_overlap_with_nothing_cordoned_warns_of_the_next_drain() -> None:
    [warn] = [f for f in findings(matchlabels_overlap(cordoned=False)) if f.check.startswith("pdb.")]
    assert warn.check == "pdb.overlapping" and warn.severity == "warning"
    assert str(warn.object) == "PodDisruptionBudget ledger/writer-ha" and warn.count == 3


def test_a_broader_expression_selector_overlapping_a_narrow_one_is_found() -> None:
    """Shape 2: a namespace-wide budget (matchExpressions Exists) laid over an app's own budget."""
    objects = [node("node-a", cordoned=True), node("node-b"), node("node-c"),
               *pods("queue", {"app": "broker", "tier": "data"}),
               budget("broker", "queue", {"matchLabels": {"app": "broker"}}, "2026-11-30T09:00:00Z", minAvailable=2),
               budget("all-data", "queue", {"matchExpressions": [{"key": "tier", "operator": "Exists"}]},
                      "2026-09-01T00:00:00Z", maxUnavailable=1)]
    [blocks] = [f for f in findings(objects) if f.check.startswith("pdb.")]
    # The app's budget is the newer write: it is the one that made the two overlap.
    assert str(blocks.object) == "PodDisruptionBudget queue/broker" and "queue/all-data" in blocks.message


def test_budgets_with_disjoint_selectors_or_other_namespaces_do_not_overlap() -> None:
    objects = [node("node-a", cordoned=True), node("node-b"), node("node-c"),
               *pods("ledger", {"app": "writer"}), *pods("ledger", {"app": "reader"}),
               *pods("audit", {"app": "writer"}),
               budget("writer", "ledger", {"matchLabels": {"app": "writer"}}, "2026-10-01T00:00:00Z", maxUnavailable=1),
               budget("reader", "ledger", {"matchLabels": {"app": "reader"}}, "2026-11-30T17:40:00Z", maxUnavailable=1),
               budget("writer", "audit", {"matchLabels": {"app": "writer"}}, "2026-11-30T17:40:00Z", maxUnavailable=1)]
    assert not [f for f in findings(objects) if f.check in ("pdb.blocks_drain", "pdb.overlapping")]


def test_a_host_question_about_a_cordoned_node_gets_the_overlapping_budget_first() -> None:
    scanned = scan(Snapshot.from_objects(matchlabels_overlap(cordoned=True), listed=LISTED), NOW, ["policy", "nodes"])
    facts = Facts(at=NOW, scan_id="E1", scan=scanned.model_dump(mode="json"))
    question = from_text("node-a has been cordoned for two hours and is still there, why won't it go away?")
    top = rank(subject_of(question), facts)[0]
    assert top.ref is not None and (top.ref.kind, top.ref.name) == ("PodDisruptionBudget", "writer-ha")
    assert "more than one PodDisruptionBudget" in top.cause[:400]
