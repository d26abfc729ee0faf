"""VPA updater evictions in shapes other than the first incident's (agent.triage.vpa_evictions).

Outside shapes: a VPA with no `updatePolicy` at all (the API defaults updateMode to Auto) on a Deployment whose
`replicas` is unset (the API defaults it to 1), seen only through the pods' EvictedByVPA events; a VPA in
`InPlaceOrRecreate` mode (the updater falls back to evicting when a resize cannot be done in place) on a
two-replica StatefulSet with no PodDisruptionBudget. Twins: updateMode Off (Goldilocks' recommendation-only
VPAs) and Initial never evict; the same two replicas held by a PodDisruptionBudget; a kubelet's node-pressure
`Evicted` events on the same pods are not the updater's.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import vpa_evictions as v

AT = datetime(2026, 6, 11, 22, 5, tzinfo=UTC)
M = timedelta(minutes=1)


def ts(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def vpa(name: str, kind: str, target: str, policy: dict[str, Any] | None) -> dict[str, Any]:
    spec: dict[str, Any] = {"targetRef": {"apiVersion": "apps/v1", "kind": kind, "name": target},
                            "resourcePolicy": {"containerPolicies": [{"containerName": "*",
                                                                      "controlledResources": ["memory"]}]}}
    if policy is not None:
        spec["updatePolicy"] = policy
    return {"kind": "VerticalPodAutoscaler", "metadata": {"name": name, "namespace": "chat"}, "spec": spec}


def evicted_by_vpa(pod: str, minutes: int) -> dict[str, Any]:
    at = ts(AT - minutes * M)
    return {"kind": "Pod", "namespace": "chat", "name": pod, "reason": "EvictedByVPA", "type": "Normal",
            "source": "vpa-updater", "message": "Pod was evicted by VPA Updater to apply resource recommendation.",
            "first_seen": at, "last_seen": at, "count": 1}


PRESENCE = [evicted_by_vpa(f"presence-5d8f7c6b9-{s}", m) for s, m in (("x2vbn", 70), ("q8wrt", 41), ("z6kpl", 12))]
WRITTEN = AT - 3 * 60 * M


def test_a_vpa_without_update_policy_defaults_to_auto_and_evicts_a_default_single_replica() -> None:
    found = v.judge(vpa("presence", "Deployment", "presence", None), {"kind": "Deployment", "spec": {}}, PRESENCE,
                    WRITTEN, "goldilocks", AT, protected=False)
    assert found is not None and found.mode == "Auto" and found.replicas == 1 and len(found.times) == 3
    head = v.finding(found)["message"][:400]
    assert "VerticalPodAutoscaler chat/presence" in head and "Auto mode" in head and "single replica" in head
    assert "the updater's minReplicas" in head


def test_in_place_or_recreate_on_two_unprotected_replicas_is_the_second_shape() -> None:
    rows = [evicted_by_vpa("roster-1", 50), evicted_by_vpa("roster-0", 20)]
    obj = vpa("roster", "StatefulSet", "roster", {"updateMode": "InPlaceOrRecreate", "minReplicas": 1})
    found = v.judge(obj, {"kind": "StatefulSet", "spec": {"replicas": 2}}, rows, WRITTEN, "", AT, protected=False)
    assert found is not None and found.mode == "InPlaceOrRecreate" and found.replicas == 2
    assert "2 replicas and no PodDisruptionBudget" in v.finding(found)["message"][:400]
    # The same two replicas behind a PodDisruptionBudget: an eviction waits for the other pod.
    assert v.judge(obj, {"kind": "StatefulSet", "spec": {"replicas": 2}}, rows, WRITTEN, "", AT, protected=True) is None


def test_recommendation_only_vpas_never_evict() -> None:
    for mode in ("Off", "Initial"):
        assert v.judge(vpa("presence", "Deployment", "presence", {"updateMode": mode}), {"spec": {"replicas": 1}},
                       PRESENCE, WRITTEN, "goldilocks", AT, protected=False) is None


def test_kubelet_node_pressure_evictions_are_not_the_updaters() -> None:
    kubelet = [dict(r, reason="Evicted", source="kubelet",
                    message="The node was low on resource: memory. Container presence was using 700Mi, request is "
                            "256Mi, has larger consumption of its request.") for r in PRESENCE]
    assert v.judge(vpa("presence", "Deployment", "presence", None), {"spec": {"replicas": 1}}, kubelet, WRITTEN, "",
                   AT, protected=False) is None
