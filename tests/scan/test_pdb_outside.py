"""PodDisruptionBudgets holding drains in shapes other than the first incident's (scan checks pdb.blocks_drain,
pdb.no_disruptions, pdb.overlapping).

Outside shapes: an operator's `maxUnavailable: 0` budget (Strimzi, Elasticsearch operators write these) holding a
pod on a node Karpenter is disrupting (Karpenter cordons by its `karpenter.sh/disrupted` taint, not by
`spec.unschedulable`); a `minAvailable: "100%"` budget holding a node cluster-autoscaler is scaling down
(`ToBeDeletedByClusterAutoscaler`); overlapping budgets on a Karpenter-disrupted node. Twins: a budget with
`unhealthyPodEvictionPolicy: AlwaysAllow` whose pod on the draining node is not Ready (the eviction API lets it go:
no drain is held), a node only marked as a scale-down candidate (`DeletionCandidateOfClusterAutoscaler`,
PreferNoSchedule: nothing is evicted yet).
"""

from __future__ import annotations

import copy
from typing import Any

from mcp_servers.kubernetes.scan import Snapshot, scan
from tests.scan.objects import NOW, meta, node, pod

LISTED = {"Pod", "Node", "PodDisruptionBudget", "Event"}
KARPENTER = {"key": "karpenter.sh/disrupted", "effect": "NoSchedule"}
AUTOSCALER = {"key": "ToBeDeletedByClusterAutoscaler", "value": "1733400000", "effect": "NoSchedule"}
CANDIDATE = {"key": "DeletionCandidateOfClusterAutoscaler", "value": "1733400000", "effect": "PreferNoSchedule"}


def tainted(name: str, taint: dict[str, str]) -> dict[str, Any]:
    n = node(name)
    n["spec"] = {"taints": [taint]}
    return n


def budget(name: str, ns: str, app: str, healthy: int, expected: int, desired: int, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": meta(name, ns),
            "spec": {**spec, "selector": {"matchLabels": {"app": app}}},
            "status": {"disruptionsAllowed": max(0, healthy - desired), "currentHealthy": healthy,
                       "desiredHealthy": desired, "expectedPods": expected}}


def placed(name: str, ns: str, app: str, node_name: str, *, ready: bool = True) -> dict[str, Any]:
    p = pod(name, ns=ns, labels={"app": app})
    p["spec"]["nodeName"] = node_name
    if not ready:
        p = copy.deepcopy(p)
        for cond in p["status"]["conditions"]:
            if cond["type"] == "Ready":
                cond["status"] = "False"
    return p


def checks(objects: list[dict[str, Any]]) -> dict[str, Any]:
    return {f.check: f for f in scan(Snapshot.from_objects(objects, listed=LISTED), NOW, ["policy"]).findings}


def kafka(taint: dict[str, str], *, ready: bool = True, **spec: Any) -> list[dict[str, Any]]:
    return [tainted("ip-10-0-1-5", taint), node("ip-10-0-2-6"),
            placed("events-kafka-0", "streaming", "events-kafka", "ip-10-0-1-5", ready=ready),
            placed("events-kafka-1", "streaming", "events-kafka", "ip-10-0-2-6"),
            budget("events-kafka", "streaming", "events-kafka", 2 if ready else 1, 2, 2, **spec)]


def test_max_unavailable_zero_holds_a_node_karpenter_is_disrupting() -> None:
    found = checks(kafka(KARPENTER, maxUnavailable=0))
    blocks = found["pdb.blocks_drain"]
    assert str(blocks.object) == "PodDisruptionBudget streaming/events-kafka" and blocks.pods == ["events-kafka-0"]
    assert "maxUnavailable 0" in blocks.message and "by configuration" in blocks.message
    assert blocks.details["cordoned_nodes"] == ["ip-10-0-1-5"]


def test_min_available_100_percent_holds_a_cluster_autoscaler_scale_down() -> None:
    found = checks(kafka(AUTOSCALER, minAvailable="100%"))
    assert "minAvailable 100%" in found["pdb.blocks_drain"].message


def test_a_scale_down_candidate_is_not_being_drained() -> None:
    found = checks(kafka(CANDIDATE, maxUnavailable=0))
    assert "pdb.blocks_drain" not in found and "pdb.no_disruptions" in found


def test_always_allow_lets_a_not_ready_pod_go_so_no_drain_is_held() -> None:
    found = checks(kafka(KARPENTER, ready=False, maxUnavailable=0, unhealthyPodEvictionPolicy="AlwaysAllow"))
    assert "pdb.blocks_drain" not in found and "pdb.no_disruptions" in found
    # Under the default IfHealthyBudget the unready pod stays while the budget is short of healthy pods.
    assert "pdb.blocks_drain" in checks(kafka(KARPENTER, ready=False, maxUnavailable=0))
    # AlwaysAllow does not free a Ready pod.
    assert "pdb.blocks_drain" in checks(kafka(KARPENTER, maxUnavailable=0, unhealthyPodEvictionPolicy="AlwaysAllow"))


def test_overlapping_budgets_hold_a_karpenter_disrupted_node() -> None:
    objects = kafka(KARPENTER, maxUnavailable=1)
    objects[-1]["status"] |= {"disruptionsAllowed": 1, "desiredHealthy": 1}
    second = budget("kafka-all", "streaming", "events-kafka", 2, 2, 1, minAvailable=1)
    second["status"]["disruptionsAllowed"] = 1
    second["metadata"]["creationTimestamp"] = "2099-01-01T00:00:00Z"
    found = checks([*objects, second])
    assert found["pdb.blocks_drain"].reason == "OverlappingBudgets"
    assert str(found["pdb.blocks_drain"].object) == "PodDisruptionBudget streaming/kafka-all"
