"""A node pegged by one replica that a routing change sends most of its workload's requests (issue #12, round 50 class).

Written here, not taken from the held-out bundles. The class: a Service or load-balancing policy written to route
by locality or by a key concentrates a workload's traffic on one replica; with no CPU limit that replica takes the
node's cores, and the node looks like the victim of a hog. The routing write is the cause, not the replica.
Two shapes: a Service annotated `service.kubernetes.io/topology-mode: Auto` whose one endpoint in the busy zone
carries most of the requests; an Istio DestinationRule hashing on a header whose hashing piles a tenant on one pod.
Negative twins: the same routing writes while the node's hog is a different pod (another workload, not the routed
replica), and a routing write whose Service's load is even (nothing concentrated): the hog is still named.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.incident import from_text
from agent.triage import hash_balance, rank, subject_of, topology_routing
from agent.triage import node_cpu_hog as hog
from agent.triage.facts import Facts, Ref

AT = datetime(2026, 9, 20, 14, 0, tzinfo=UTC)
NODE = "aks-general-31415926-vmss000004"
LEDGER = [f"ledger-read-58f7d9c6b4-{s}" for s in ("k2p9q", "w7x4z", "r4t6v", "m8n2b", "c5v2d", "h6j7l")]
SEARCH = [f"tenant-search-7c6b5d8f9-{s}" for s in ("b2s4d", "f6g7h", "j5k6l", "z7x8c")]


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _pod(name: str, ns: str) -> dict[str, Any]:
    """A Deployment's Burstable replica: a CPU request, no CPU limit."""
    return {"metadata": {"name": name, "namespace": ns, "creationTimestamp": "2026-08-01T09:00:00Z",
                         "ownerReferences": [{"kind": "ReplicaSet", "name": name.rsplit("-", 1)[0]}]},
            "spec": {"containers": [{"name": "app", "resources": {"requests": {"cpu": "250m"}}}]}, "status": {}}


def _facts(change: dict[str, Any], usage: list[tuple[str, str, float]], pod: dict[str, Any]) -> Facts:
    facts = Facts(at=AT, changes_id="E2", scan_id="E1", changes={"changes": [change]}, scan={"findings": []})
    facts.reads[hog.STORE] = [{"node": NODE, "usage": sorted(usage, key=lambda u: -u[2]), "cores": 4.0,
                               "busy": 3.95, "pod": pod, "evidence": ["E40", "E41"]}]
    return facts


def _zone_write() -> dict[str, Any]:
    return {"at": _iso(AT - timedelta(minutes=35)), "type": "other",
            "object": {"kind": "Service", "namespace": "books", "name": "ledger-read"},
            "summary": "Service books/ledger-read written by argocd: metadata.annotations",
            "diff": ["metadata.annotations.service.kubernetes.io/topology-mode written by argocd (now 'Auto')"]}


def _zone_store(load: dict[str, float]) -> dict[str, Any]:
    return {"Service books/ledger-read": {"evidence": ["E60"], "ready": {"westeurope-1": 1, "westeurope-2": 5},
                                          "hinted": {"westeurope-1": 1, "westeurope-2": 5}, "pods": LEDGER,
                                          "load": {"requests": load}}}


def _hash_write() -> dict[str, Any]:
    return {"at": _iso(AT - timedelta(minutes=50)), "type": "other",
            "object": {"kind": "DestinationRule", "namespace": "search", "name": "tenant-search"},
            "summary": "DestinationRule search/tenant-search written by kubectl-apply: spec.trafficPolicy",
            "diff": ["spec.trafficPolicy.loadBalancer.consistentHash written by kubectl-apply"]}


def _hash_store() -> dict[str, Any]:
    return {"DestinationRule search/tenant-search": {
        "pin": {"how": "Istio consistentHash", "key": "header x-tenant-id"}, "evidence": ["E70"], "pods": SEARCH,
        "load": {"cpu": {SEARCH[0]: 3.4, SEARCH[1]: 0.2, SEARCH[2]: 0.25, SEARCH[3]: 0.2}}}}


def _top(facts: Facts) -> Any:
    [top, *_] = rank(subject_of(from_text(f"{NODE} is at 100% CPU and its pods answer slowly, why?")), facts)
    return top


def test_zone_local_routing_that_made_the_replica_hot_is_named_not_the_replica() -> None:
    facts = _facts(_zone_write(), [("books", LEDGER[0], 3.6), ("kube-system", "kube-proxy-x9z8", 0.1)],
                   _pod(LEDGER[0], "books"))
    facts.reads[topology_routing.READS] = _zone_store({LEDGER[0]: 610.0, **{p: 55.0 for p in LEDGER[1:]}})
    assert [h.pod.name for h in hog.found(facts)] == [LEDGER[0]]  # the replica does take the node
    assert hog.routed_hot(facts) == {LEDGER[0]: Ref("Service", "books", "ledger-read")}
    assert hog.suspects(facts) == []
    top = _top(facts)
    assert top.ref == Ref("Service", "books", "ledger-read") and "topology-mode" in top.cause


def test_key_hashing_that_piled_a_tenant_on_the_replica_is_named_not_the_replica() -> None:
    facts = _facts(_hash_write(), [("search", SEARCH[0], 3.4), ("search", SEARCH[1], 0.2)], _pod(SEARCH[0], "search"))
    facts.reads[hash_balance.READS] = _hash_store()
    assert hog.routed_hot(facts) == {SEARCH[0]: Ref("DestinationRule", "search", "tenant-search")}
    assert hog.suspects(facts) == []
    assert _top(facts).ref == Ref("DestinationRule", "search", "tenant-search")


def test_twin_a_routing_write_elsewhere_leaves_a_different_hog_named() -> None:
    facts = _facts(_zone_write(), [("reports", "report-builder-6f7d8c9b5-q2w4x", 3.7), ("books", LEDGER[0], 0.3)],
                   _pod("report-builder-6f7d8c9b5-q2w4x", "reports"))
    facts.reads[topology_routing.READS] = _zone_store({LEDGER[0]: 610.0, **{p: 55.0 for p in LEDGER[1:]}})
    [(culprit, _, _, _)] = hog.suspects(facts)
    assert culprit == Ref("Deployment", "reports", "report-builder")
    ranked = rank(subject_of(from_text(f"{NODE} is at 100% CPU, why?")), facts)
    assert culprit in [s.ref for s in ranked]  # the hog keeps its own case (the routing's rank is its own)


def test_twin_routing_written_but_load_even_keeps_the_hog() -> None:
    facts = _facts(_hash_write(), [("search", SEARCH[0], 3.4), ("search", SEARCH[1], 0.2)], _pod(SEARCH[0], "search"))
    store = _hash_store()
    store["DestinationRule search/tenant-search"]["load"] = {"cpu": {p: 0.9 for p in SEARCH}}
    facts.reads[hash_balance.READS] = store
    assert hog.routed_hot(facts) == {}
    [(culprit, _, _, _)] = hog.suspects(facts)
    assert culprit == Ref("Deployment", "search", "tenant-search")
