"""A node overloaded because a rollout's placement rule stacked a workload's replicas on it (agent.triage.node_pileup).

Shapes: a Deployment whose revision added a required podAffinity to a one-pod cache (every replica beside it); a
StatefulSet whose revision removed its topologySpreadConstraints (its pods recreated onto one node); a Deployment
whose nodeSelector was narrowed to a dedicated pool's label and given the pool's toleration. Negative twins: a hot
node with one pod of a workload (its own CPU, no pile); a placement change after which the replicas still spread;
a pile older than the placement change (the recent revision changed only the image); a placement change that
widened (a nodeSelector removed). The reads are shaped as `k8s_list` and `k8s_rollout_history` answer them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.incident import from_text
from agent.triage import node_pileup as pileup
from agent.triage import rank, subject_of
from agent.triage.facts import Facts, Ref

AT = datetime(2026, 10, 7, 14, 0, tzinfo=UTC)
NODES = ["ip-10-2-1-11.us-east-2.compute.internal", "ip-10-2-2-12.us-east-2.compute.internal",
         "ip-10-2-3-13.us-east-2.compute.internal", "ip-10-2-4-14.us-east-2.compute.internal"]
HOT = NODES[2]


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _pod_name(rs: str, i: int) -> str:
    """A Deployment pod's name as the ReplicaSet controller makes it (its suffix alphabet has no vowels)."""
    return f"{rs}-{'bcdfghjklm'[i]}x{'2456789'[i % 7]}k9"


def _deploy_pods(rs: str, nodes: list[str], created: datetime) -> list[dict[str, Any]]:
    return [{"name": _pod_name(rs, i), "node": n, "status": "Running", "created": _iso(created)}
            for i, n in enumerate(nodes)]


def _facts(owner: dict[str, Any], node: str = HOT, cpu: list[tuple[str, str, float]] | None = None) -> Facts:
    facts = Facts(at=AT, changes_id="E2", scan_id="E1", changes={"changes": []}, scan={"findings": []})
    facts.reads[pileup.STORE] = [{"node": node, "nodes": NODES, "owners": [owner], "evidence": ["E30", "E31"]}]
    if cpu is not None:
        facts.reads["node_cpu_hog"] = [{"node": node, "usage": cpu, "cores": 8.0, "busy": 7.9, "evidence": []}]
    return facts


def _owner(kind: str, ns: str, name: str, pods: list[dict[str, Any]], revisions: list[dict[str, Any]],
           spec: dict[str, Any] | None = None,
           targets: dict[str, list[dict[str, Any]]] | None = None) -> dict[str, Any]:
    return {"kind": kind, "namespace": ns, "name": name, "pods": pods, "revisions": revisions, "spec": spec or {},
            "targets": targets or {}, "evidence": ["E33", "E34"]}


AFFINITY_LINES = [
    "pod affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector.matchLabels.app "
    "unset -> 'session-cache'",
    "pod affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey unset -> "
    "'kubernetes.io/hostname'"]
AFFINITY_SPEC = {"affinity": {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
    {"labelSelector": {"matchLabels": {"app": "session-cache"}}, "topologyKey": "kubernetes.io/hostname"}]}}}


def _affinity_owner(pod_nodes: list[str]) -> dict[str, Any]:
    rolled = AT - timedelta(minutes=40)
    return _owner("Deployment", "checkout", "pricing-engine",
                  _deploy_pods("pricing-engine-7f9c6d5b8", pod_nodes, rolled + timedelta(minutes=1)),
                  [{"revision": 6, "name": "pricing-engine-5d8c7b9f4", "created": _iso(AT - timedelta(days=9)),
                    "changes": ["pricing-engine image r/pe:3.1 -> r/pe:3.2"]},
                   {"revision": 7, "name": "pricing-engine-7f9c6d5b8", "created": _iso(rolled),
                    "changes": AFFINITY_LINES}],
                  AFFINITY_SPEC, {"app=session-cache": [{"name": "session-cache-6c9d8f7b5-q2w3e", "node": HOT}]})


def test_required_pod_affinity_to_a_one_pod_cache_names_the_deployment() -> None:
    facts = _facts(_affinity_owner([HOT] * 6),
                   cpu=[("checkout", _pod_name("pricing-engine-7f9c6d5b8", i), 0.9) for i in range(6)])
    [p] = pileup.found(facts)
    assert p.owner == Ref("Deployment", "checkout", "pricing-engine") and (p.on_node, p.total) == (6, 6)
    assert p.revision == 7 and p.cores is not None and abs(p.cores - 5.4) < 1e-6
    [top, *_] = rank(subject_of(from_text(f"{HOT} has a load average of 40, what happened to that node?")), facts)
    assert top.ref == Ref("Deployment", "checkout", "pricing-engine")
    head = top.cause[:400]
    assert "6 of its 6 replicas on the same node" in head and "required podAffinity" in head
    assert "app=session-cache" in head and "matches 1 pod, on node" in head and "5.4 CPU cores" in head


def test_a_statefulset_whose_spread_constraint_was_removed_is_named() -> None:
    changed = AT - timedelta(hours=3)
    lines = ["pod topologySpreadConstraints[0].maxSkew '1' -> unset",
             "pod topologySpreadConstraints[0].topologyKey 'kubernetes.io/hostname' -> unset",
             "pod topologySpreadConstraints[0].whenUnsatisfiable 'DoNotSchedule' -> unset"]
    pods = [{"name": f"ledger-{i}", "node": HOT if i < 4 else NODES[0], "status": "Running",
             "created": _iso(changed + timedelta(minutes=2 + i))} for i in range(5)]
    owner = _owner("StatefulSet", "ledger", "ledger", pods,
                   [{"revision": 1, "name": "ledger-6b7c8d9f5c", "created": _iso(AT - timedelta(days=30)),
                     "changes": []},
                    {"revision": 2, "name": "ledger-5c4b3a2d1e", "created": _iso(changed), "changes": lines}])
    [p] = pileup.found(_facts(owner))
    assert p.owner == Ref("StatefulSet", "ledger", "ledger") and (p.on_node, p.total, p.other_nodes) == (4, 5, 1)
    message = pileup.finding(p, AT)["message"]
    assert "removed the topologySpreadConstraints" in message and "3 h 0 min before (revision 2)" in message
    assert "only 1 on the other 3 nodes" in message


def test_a_narrowed_node_selector_with_a_toleration_is_named() -> None:
    rolled = AT - timedelta(hours=2)
    lines = ["pod nodeSelector.pool unset -> 'reporting'", "pod tolerations[key=dedicated].value unset -> 'reporting'"]
    owner = _owner("Deployment", "bi", "report-builder",
                   _deploy_pods("report-builder-6c5d4f8b7", [HOT] * 5, rolled + timedelta(minutes=3)),
                   [{"revision": 2, "name": "report-builder-6c5d4f8b7", "created": _iso(rolled), "changes": lines}],
                   {"nodeSelector": {"pool": "reporting"}})
    [p] = pileup.found(_facts(owner))
    message = pileup.finding(p, AT)["message"]
    assert "nodeSelector pool=reporting" in message and "toleration" in message and "none on the other" in message


def test_one_pod_of_a_workload_on_a_hot_node_is_no_pile() -> None:
    rolled = AT - timedelta(minutes=30)
    owner = _owner("Deployment", "media", "encoder",
                   _deploy_pods("encoder-6f5d4c8b9", [HOT, NODES[0], NODES[1], NODES[3]], rolled),
                   [{"revision": 3, "name": "encoder-6f5d4c8b9", "created": _iso(rolled),
                     "changes": ["encoder image r/enc:1.4 -> r/enc:1.5"]}])
    assert pileup.found(_facts(owner)) == []


def test_a_placement_change_after_which_the_replicas_still_spread_is_not_named() -> None:
    assert pileup.found(_facts(_affinity_owner([HOT, HOT, NODES[0], NODES[1], NODES[3], NODES[0]]))) == []


def test_a_pile_older_than_the_placement_change_is_not_blamed_on_it() -> None:
    """The pods on the node were made by the old revision (names, creation); the recent one changed the image."""
    rolled = AT - timedelta(minutes=20)
    owner = _owner("Deployment", "bi", "report-builder",
                   _deploy_pods("report-builder-5b4c3d7f6", [HOT] * 5, AT - timedelta(days=12)),
                   [{"revision": 2, "name": "report-builder-5b4c3d7f6", "created": _iso(AT - timedelta(days=12)),
                     "changes": ["pod nodeSelector.pool unset -> 'reporting'"]},
                    {"revision": 3, "name": "report-builder-8d7c6b5f4", "created": _iso(rolled),
                     "changes": ["report-builder image r/rb:2.0 -> r/rb:2.1"]}])
    assert pileup.found(_facts(owner)) == []


def test_only_changes_that_concentrate_count() -> None:
    assert pileup.concentrating(AFFINITY_LINES[0]) == "podAffinity"
    assert pileup.concentrating("pod nodeSelector.pool 'reporting' -> unset") == ""
    assert pileup.concentrating("pod affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]."
                                "topologyKey 'kubernetes.io/hostname' -> unset") == ""
    assert pileup.concentrating("pod topologySpreadConstraints[0].whenUnsatisfiable 'DoNotSchedule' -> "
                                "'ScheduleAnyway'") == "spread-relaxed"
    assert pileup.concentrating("pod affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]."
                                "topologyKey 'kubernetes.io/hostname' -> unset") == "anti-affinity-removed"
    assert pileup.concentrating("pod topologySpreadConstraints[0].maxSkew unset -> '1'") == ""
    assert pileup.concentrating("app image a:1 -> a:2") == ""


def _victim_facts(per_pod_cores: float, pressure: list[str] | None = None) -> Facts:
    """The incident names checkout-api, not a node; one of its pods shares the node the pile is on."""
    owner = _affinity_owner([HOT] * 6)
    facts = Facts(at=AT, changes_id="E2", scan_id="E1", changes={"changes": []}, scan={"findings": []})
    facts.reads[pileup.STORE] = [{
        "node": HOT, "nodes": NODES, "owners": [owner], "allocatable": 3.91, "pressure": pressure or [],
        "victims": [{"kind": "Deployment", "namespace": "shop", "name": "checkout-api"}],
        "usage": [("checkout", _pod_name("pricing-engine-7f9c6d5b8", i), per_pod_cores) for i in range(6)]
        + [("shop", "checkout-api-6d5c4b8f7-bx2k9", 0.2)], "evidence": ["E40"]}]
    return facts


def test_a_subjects_node_strained_by_a_stacked_pile_names_the_pile_and_explains_the_subject() -> None:
    facts = _victim_facts(0.5)
    [(ref, finding, _, explains)] = pileup.suspects(facts)
    assert ref == Ref("Deployment", "checkout", "pricing-engine")
    assert Ref("Deployment", "shop", "checkout-api") in explains and Ref("Node", "", HOT) in explains
    assert "Deployment shop/checkout-api among them" in finding["message"]


def test_a_subjects_node_the_pile_does_not_strain_is_not_blamed_on_it() -> None:
    assert pileup.found(_victim_facts(0.01)) == []
    assert [p.owner.name for p in pileup.found(_victim_facts(0.01, ["MemoryPressure"]))] == ["pricing-engine"]


def test_pending_replicas_of_the_same_rule_do_not_dilute_the_pile() -> None:
    """The node filled up: 4 replicas run beside the target, 4 more wait Pending (no node) under the same rule."""
    owner = _affinity_owner([HOT] * 4)
    owner["pods"] += [{"name": _pod_name("pricing-engine-7f9c6d5b8", 4 + i), "node": None, "status": "Pending",
                       "created": _iso(AT - timedelta(minutes=30))} for i in range(4)]
    [p] = pileup.found(_facts(owner))
    assert (p.on_node, p.total) == (4, 4)


def test_the_timeline_gives_the_diff_when_the_history_lost_the_previous_revision() -> None:
    owner = _affinity_owner([HOT] * 5)
    owner["revisions"] = [{"revision": 7, "name": "pricing-engine-7f9c6d5b8", "created": _iso(AT - timedelta(
        minutes=40)), "changes": []}]
    assert pileup.found(_facts(owner)) == []
    facts = _facts(owner)
    facts.changes = {"changes": [{"at": _iso(AT - timedelta(minutes=40)), "type": "rollout", "revision": 7,
                                  "object": {"kind": "Deployment", "namespace": "checkout", "name": "pricing-engine"},
                                  "summary": "Deployment checkout/pricing-engine rolled out revision 7",
                                  "diff": AFFINITY_LINES}]}
    [p] = pileup.found(facts)
    assert p.revision == 7 and "required podAffinity" in p.constraint


def test_a_subjects_node_whose_memory_the_pile_holds_is_strained() -> None:
    """The replicas idle on CPU but hold 9 GiB of a 15 GiB node: the neighbours are the ones evicted."""
    facts = _victim_facts(0.01)
    [entry] = facts.reads[pileup.STORE]
    entry["memory_allocatable"] = 15.3 * 2**30
    entry["memory"] = [("checkout", _pod_name("pricing-engine-7f9c6d5b8", i), 1.5 * 2**30) for i in range(6)]
    [p] = pileup.found(facts)
    assert "9.0 GiB of memory" in pileup.finding(p, AT)["message"]
    entry["memory"] = [("checkout", _pod_name("pricing-engine-7f9c6d5b8", i), 0.2 * 2**30) for i in range(6)]
    assert pileup.found(facts) == []
