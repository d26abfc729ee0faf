"""pod.topology_spread: a DoNotSchedule spread constraint that no node can satisfy, and why.

Pods carry `topologySpreadConstraints` as the API defines them; the scheduler's wording comes from
the PodTopologySpread filter ("didn't match pod topology spread constraints", with "(missing
required label)" when nodes lack the key), in the FailedScheduling event or the PodScheduled
condition.
"""

from __future__ import annotations

from typing import Any

from mcp_servers.kubernetes.scan import ScanResult, Snapshot, scan
from tests.scan.objects import NOW, event, node, pod

SPREAD = ("0/{n} nodes are available: 1 node(s) were unschedulable, {m} node(s) didn't match pod topology spread "
          "constraints. preemption: 0/{n} nodes are available: 1 Preemption is not helpful for scheduling.")
ZONE = "topology.kubernetes.io/zone"
HOST = "kubernetes.io/hostname"


def zoned(name: str, zone: str, **kwargs: Any) -> dict[str, Any]:
    n = node(name, **kwargs)
    n["metadata"]["labels"] = {ZONE: zone, HOST: name}
    return n


def constraint(key: str = ZONE, skew: int = 1, when: str = "DoNotSchedule", **extra: Any) -> dict[str, Any]:
    return {"maxSkew": skew, "topologyKey": key, "whenUnsatisfiable": when,
            "labelSelector": {"matchLabels": {"app": "api"}}, **extra}


def api_pod(name: str, on: str | None, spread: list[dict[str, Any]], message: str = "",
            labels: dict[str, str] | None = None) -> dict[str, Any]:
    p = pod(name, owner=("ReplicaSet", "api-6d8"), labels=labels or {"app": "api"})
    p["spec"]["topologySpreadConstraints"] = spread
    if on is None:
        del p["spec"]["nodeName"]
        p["status"] = {"phase": "Pending", "conditions": [
            {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": message,
             "lastTransitionTime": "2026-05-01T11:40:00Z"}]}
    else:
        p["spec"]["nodeName"] = on
    return p


def run(objects: list[dict[str, Any]]) -> ScanResult:
    return scan(Snapshot.from_objects(objects), NOW, ["spread"])


def three_zones(c: dict[str, Any], message: str) -> list[dict[str, Any]]:
    return [zoned("a1", "zone-a"), zoned("b1", "zone-b"), zoned("c1", "zone-c", cordoned=True),
            api_pod("api-1", "a1", [c]), api_pod("api-2", "a1", [c]), api_pod("api-3", "b1", [c]),
            api_pod("api-4", "b1", [c]), api_pod("api-5", None, [c], message), api_pod("api-6", None, [c], message)]


def test_a_zone_whose_only_node_is_cordoned_is_named_with_the_constraint_and_the_counts() -> None:
    objs = [*three_zones(constraint(), SPREAD.format(n=3, m=2)),
            event("Pod", "api-5", "FailedScheduling", SPREAD.format(n=3, m=2), type_="Warning", count=7)]
    [f] = run(objs).findings
    assert (f.check, f.severity, str(f.object), f.count) == ("pod.topology_spread", "critical",
                                                             "ReplicaSet shop/api-6d8", 2)
    d = f.details
    assert (d["topology_key"], d["max_skew"], d["when_unsatisfiable"], d["node_taints_policy"]) == (
        ZONE, 1, "DoNotSchedule", "Ignore")
    assert d["pods_per_domain"] == {"zone-a": 2, "zone-b": 2, "zone-c": 0}
    assert d["blocked_domains"] == {"zone-c": ["c1 (cordoned)"]} and d["nodes"] == ["c1"]
    assert "zone zone-c: its only node c1 is cordoned" in f.message
    assert "maxSkew 1" in f.message and "DoNotSchedule" in f.message and "(zone-a 2, zone-b 2)" in f.message
    assert any("FailedScheduling" in e for e in f.evidence) and f.last_seen is not None


def test_hostname_spread_with_notready_and_tainted_nodes_read_from_the_condition_alone() -> None:
    """No event: the PodScheduled condition's message is enough; per-node domains, several reasons."""
    tainted = node("n3")
    tainted["metadata"]["labels"] = {HOST: "n3"}
    tainted["spec"]["taints"] = [{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}]
    down = node("n2", ready=False)
    down["metadata"]["labels"] = {HOST: "n2"}
    up = node("n1")
    up["metadata"]["labels"] = {HOST: "n1"}
    c = constraint(HOST, skew=1)
    message = "0/3 nodes are available: 3 node(s) didn't match pod topology spread constraints."
    [f] = run([up, down, tainted, api_pod("api-1", "n1", [c]), api_pod("api-2", None, [c], message)]).findings
    assert f.details["blocked_domains"] == {"n2": ["n2 (NotReady)"], "n3": ["n3 (tainted dedicated=gpu:NoSchedule)"]}
    assert "hostname n2: its only node n2 is NotReady" in f.message and "(n1 1)" in f.message


def test_nodes_missing_the_key_are_named() -> None:
    bare = node("edge-1")
    message = ("0/2 nodes are available: 1 node(s) didn't match pod topology spread constraints (missing required "
               "label), 1 node(s) didn't match pod topology spread constraints.")
    objs = [zoned("a1", "zone-a"), bare, api_pod("api-1", "a1", [constraint(skew=1)]),
            api_pod("api-2", "a1", [constraint(skew=1)]), api_pod("api-3", None, [constraint(skew=1)], message)]
    [f] = run(objs).findings
    assert f.details["nodes_without_key"] == ["edge-1"] and "lack the topology.kubernetes.io/zone label" in f.message


def test_schedule_anyway_other_reasons_and_scheduled_pods_say_nothing() -> None:
    soft = constraint(when="ScheduleAnyway")
    assert run(three_zones(soft, SPREAD.format(n=3, m=2))).findings == []
    assert run(three_zones(constraint(), "0/3 nodes are available: 3 Insufficient cpu.")).findings == []
    placed = [zoned("a1", "zone-a"), api_pod("api-1", "a1", [constraint()])]
    assert run(placed).findings == []


def test_honor_leaves_the_cordoned_zone_out_and_match_label_keys_narrow_the_count() -> None:
    """nodeTaintsPolicy Honor drops the cordoned zone from the count (so it is not named); matchLabelKeys
    counts only the pod's own revision."""
    c = constraint(skew=1, nodeTaintsPolicy="Honor", matchLabelKeys=["pod-template-hash"])
    new = {"app": "api", "pod-template-hash": "v2"}
    old = {"app": "api", "pod-template-hash": "v1"}
    objs = [zoned("a1", "zone-a"), zoned("b1", "zone-b"), zoned("c1", "zone-c", cordoned=True),
            api_pod("api-1", "a1", [c], labels=new), api_pod("api-2", "a1", [c], labels=new),
            api_pod("api-3", "b1", [c], labels=old), api_pod("api-4", None, [c], SPREAD.format(n=3, m=2), labels=new)]
    [f] = run(objs).findings
    assert f.details["pods_per_domain"] == {"zone-a": 2, "zone-b": 0} and f.details["blocked_domains"] == {}
    assert "nodeTaintsPolicy Honor" in f.message and "(zone-a 2)" in f.message
