"""A node autoscaler's priority ranking written to put first a group the cloud does not grow: a GPU pool out of
zone stock ranked above the default pool (names readable, read through the hub), a spot group whose masked name
the autoscaler chose first after the write (an inline tier); and the twins (failures only in a lower tier, failures
that began before the write, a masked failure under a catch-all top tier, no Pending pods)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import behind
from agent.triage import expander_preference as ep
from agent.triage.facts import Facts, Ref
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub, keyed

AT = datetime(2026, 10, 14, 9, 0, tzinfo=UTC)
WRITTEN = AT - timedelta(hours=16)
RANKING = Ref("ConfigMap", "autoscaling", "cluster-autoscaler-priority-expander")
GPU_FIRST = "100:\n  - .*gpu-a100-pool.*\n10:\n  - .*\n"


def _map(priorities: str) -> dict[str, Any]:
    return {"kind": "ConfigMap", "metadata": {"name": RANKING.name, "namespace": RANKING.namespace},
            "data": {"priorities": priorities}}


def _facts(pending: bool = True) -> Facts:
    owner = {"kind": "Deployment", "namespace": "ml", "name": "trainer"}
    findings = [{"check": "pod.pending", "object": owner, "owner": owner, "reason": "FailedScheduling",
                 "message": "Deployment ml/trainer: 2/4 pods Pending, FailedScheduling: insufficient nvidia.com/gpu",
                 "evidence": ["0/6 nodes are available: 6 Insufficient nvidia.com/gpu."]}] if pending else []
    change = {"at": WRITTEN.isoformat().replace("+00:00", "Z"), "type": "config",
              "object": {"kind": "ConfigMap", "namespace": RANKING.namespace, "name": RANKING.name},
              "summary": "ConfigMap written by argocd", "diff": ["data key priorities set by argocd"]}
    return Facts(at=AT, scan={"findings": findings}, changes={"changes": [change]}, changes_id="E2")


def _klog(t: datetime, level: str, text: str) -> str:
    return f"{level}{t:%m%d %H:%M:%S}.000000       1 {text}"


GKE_LINES = [
    _klog(AT - timedelta(hours=2), "I", "orchestrator.go:185] Best option to resize: gke-prod-gpu-a100-pool-7c1e"),
    _klog(AT - timedelta(hours=2) + timedelta(minutes=1), "W", "scale_up.go:1022] Failed to increase node group "
          "gke-prod-gpu-a100-pool-7c1e size: GCE out of resources, ZONE_RESOURCE_POOL_EXHAUSTED in us-central1-b"),
    _klog(AT - timedelta(hours=1, minutes=45), "W", "clusterstate.go:272] Scale-up timed out for node group "
          "gke-prod-gpu-a100-pool-7c1e after 15m0s"),
    _klog(AT - timedelta(hours=1, minutes=44), "I", "orchestrator.go:185] Best option to resize: "
          "gke-prod-default-pool-41aa"),
]


def test_gpu_pool_ranked_first_that_cannot_grow_is_named_through_the_hub() -> None:
    facts = _facts()
    pods = [{"name": "cluster-autoscaler-6c9d7f8b5-x2k4p", "namespace": RANKING.namespace, "status": "Running"}]
    hub = RecordingHub(objects=keyed([_map(GPU_FIRST)]), lists={("pods", RANKING.namespace): pods},
                       logs={"cluster-autoscaler-6c9d7f8b5-x2k4p": GKE_LINES})
    asyncio.run(ep.read(Subject(), facts, hub, AT.isoformat()))
    [found] = ep.found(facts)
    assert (found.ranking, found.group, found.fallback) == (RANKING, "gke-prod-gpu-a100-pool-7c1e",
                                                             "gke-prod-default-pool-41aa")
    message = ep.finding(found)["message"]
    assert "ZONE_RESOURCE_POOL_EXHAUSTED" in message and "max-node-provision-time" in message
    assert found.pending == [Ref("Deployment", "ml", "trainer")]


def _found(priorities: str, lines: list[str], pending: bool = True) -> list[ep.Preferred]:
    facts = _facts(pending)
    facts.reads[ep.RECORD] = {"maps": {str(RANKING): _map(priorities)}, "lines": {"a/b": lines},
                              "evidence": {str(RANKING): "E9"}}
    return ep.found(facts)


MASKED = [
    _klog(AT - timedelta(hours=3), "I", "orchestrator.go:185] Best option to resize: [REDACTED:token]"),
    _klog(AT - timedelta(hours=3) + timedelta(minutes=2), "W", "azure_scale_set.go:210] Instance group "
          "[REDACTED:token] cannot provision any more nodes: OverconstrainedAllocationRequest for Spot priority"),
]


def test_masked_group_chosen_first_after_the_write_is_the_top_tier() -> None:
    [found] = _found("40: [aks-spotd8s]\n5: [aks-system]\n", MASKED)
    message = ep.finding(found)["message"]
    assert found.group == "" and "chose first after the write" in message and "Spot priority" in message
    assert "max-node-provision-time" not in message  # no timeout was logged: only the refusal and a backoff


def test_failures_only_in_a_lower_tier_do_not_name_the_ranking() -> None:
    lines = [line.replace("gpu-a100-pool", "default-pool") for line in GKE_LINES[:2]]
    assert _found(GPU_FIRST, lines) == []


def test_failures_before_the_write_do_not_name_the_ranking() -> None:
    old = [line.replace(f"{(AT - timedelta(hours=2)):%m%d}", f"{(WRITTEN - timedelta(days=1)):%m%d}")
           for line in GKE_LINES[:2]]
    assert _found(GPU_FIRST, old) == []


def test_masked_failure_under_a_catch_all_top_tier_is_not_named() -> None:
    assert _found("40:\n  - .*\n", MASKED) == []


def test_no_pending_pods_no_finding() -> None:
    assert _found(GPU_FIRST, GKE_LINES, pending=False) == []


def test_registered_with_the_behind_links() -> None:
    assert ep in behind.MODULES and behind.WEIGHTS[ep.CHECK] == ep.WEIGHT
