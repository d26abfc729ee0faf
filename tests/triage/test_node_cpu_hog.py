"""A node the incident names whose CPU one pod without a CPU limit takes (agent.triage.node_cpu_hog).

Two shapes: a bare BestEffort pod made by `kubectl run` (no owner, `run=<name>` label) pegging an 8-core node,
and a Deployment's Burstable pod (a CPU request, no CPU limit) doing the same on a differently named node (the
Deployment is named). Negative twins: the busiest pod has a CPU limit (the kernel caps it); the node's use is
spread over several pods (none stands out); the busiest pod takes a small share of a large node.
The reads are shaped as `prom_query` and `k8s_get` answer them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agent.incident import from_text
from agent.triage import node_cpu_hog as hog
from agent.triage import rank, subject_of
from agent.triage.facts import Facts, Ref

AT = datetime(2026, 9, 14, 10, 0, tzinfo=UTC)


def _pod(name: str, ns: str, resources: dict[str, Any], owner: str | None = None,
         labels: dict[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": ns, "creationTimestamp": "2026-09-14T08:50:00Z",
                            "labels": labels or {}}
    if owner:
        meta["ownerReferences"] = [{"kind": "ReplicaSet", "name": owner, "controller": True}]
    return {"metadata": meta, "spec": {"containers": [{"name": "main", "resources": resources}]}, "status": {}}


def _facts(node: str, usage: list[tuple[str, str, float]], pod: dict[str, Any], cores: float = 8.0,
           busy: float = 7.8) -> Facts:
    facts = Facts(at=AT, changes_id="E2", scan_id="E1", changes={"changes": []}, scan={"findings": [
        {"check": "pod.crashloop", "severity": "critical",
         "object": {"kind": "Deployment", "namespace": "kube-system", "name": "coredns"},
         "reason": "Error", "message": "Deployment kube-system/coredns: 1/2 pods Error; killed after Liveness probe "
                                      "failed: context deadline exceeded"}]})
    facts.reads[hog.STORE] = [{"node": node, "usage": sorted(usage, key=lambda u: -u[2]), "cores": cores,
                               "busy": busy, "pod": pod, "evidence": ["E40", "E41", "E42", "E43"]}]
    return facts


def test_a_bare_best_effort_kubectl_run_pod_is_named() -> None:
    node = "ip-10-1-4-7.us-east-2.compute.internal"
    facts = _facts(node, [("batch", "backfill-once", 7.2), ("web", "front-6d8f7c9b5d-x2k4p", 0.3)],
                   _pod("backfill-once", "batch", {}, labels={"run": "backfill-once"}))
    [h] = hog.found(facts)
    assert h.culprit == Ref("Pod", "batch", "backfill-once") and h.qos == "BestEffort" and h.creator == "kubectl run"
    [top, *_] = rank(subject_of(from_text(f"what is wrong with {node}? pods on it keep restarting")), facts)
    assert top.ref == Ref("Pod", "batch", "backfill-once")
    assert "BestEffort with no CPU requests or limits" in top.cause and "kubectl run" in top.cause
    assert "7.2 CPU cores of node" in top.cause and "E41" in top.evidence


def test_a_deployment_pod_with_a_request_but_no_cpu_limit_names_the_deployment() -> None:
    facts = _facts("gke-pool-b-9f2c", [("media", "transcoder-7b9c8d6f5c-q8w2z", 5.5), ("shop", "cart-0", 0.4)],
                   _pod("transcoder-7b9c8d6f5c-q8w2z", "media", {"requests": {"cpu": "500m"},
                                                                   "limits": {"memory": "2Gi"}},
                        owner="transcoder-7b9c8d6f5c"), cores=6.0, busy=5.9)
    [h] = hog.found(facts)
    assert h.culprit == Ref("Deployment", "media", "transcoder") and h.qos == "Burstable" and h.creator == ""
    assert "no CPU limit" in hog.finding(h, AT)["message"]


def test_a_cpu_limited_pod_is_not_the_hog() -> None:
    facts = _facts("node-3", [("batch", "backfill-once", 7.2)],
                   _pod("backfill-once", "batch", {"requests": {"cpu": "8"}, "limits": {"cpu": "8"}}))
    assert hog.found(facts) == []


def test_spread_use_has_no_hog() -> None:
    facts = _facts("node-3", [("a", "one", 3.0), ("b", "two", 2.5), ("c", "three", 2.0)], _pod("one", "a", {}))
    assert hog.found(facts) == []


def test_a_small_share_of_a_big_node_is_not_a_hog() -> None:
    facts = _facts("node-3", [("a", "one", 3.0), ("b", "two", 0.1)], _pod("one", "a", {}), cores=64.0, busy=5.0)
    assert hog.found(facts) == []
