"""A VPA whose updater evicts a workload too small to lose a pod (agent.triage.vpa_evictions).

Records as the VPA updater writes them: `EvictedByVPA` on each pod ("Pod was evicted by VPA Updater to apply
resource recommendation.", source vpa-updater) and `EvictedPod` on the VPA ("VPA Updater evicted Pod x to apply
resource recommendation."). Two shapes (a websocket Deployment, one replica, evidence on its pods; a one-replica
StatefulSet in Recreate mode, evidence on the VPA only) and twins (Initial mode; three replicas; evictions that
began before the VPA's write; a VPA written days before).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import vpa_evictions as v

AT = datetime(2026, 12, 3, 16, 22, tzinfo=UTC)
M = timedelta(minutes=1)


def ts(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def vpa(name: str, target_kind: str, target: str, mode: str | None, min_replicas: int | None = 1) -> dict[str, Any]:
    policy: dict[str, Any] = {}
    if mode is not None:
        policy["updateMode"] = mode
    if min_replicas is not None:
        policy["minReplicas"] = min_replicas
    return {"kind": "VerticalPodAutoscaler", "metadata": {"name": name, "namespace": "rt"},
            "spec": {"targetRef": {"apiVersion": "apps/v1", "kind": target_kind, "name": target},
                     **({"updatePolicy": policy} if policy else {})}}


def workload(replicas: int) -> dict[str, Any]:
    return {"kind": "Deployment", "spec": {"replicas": replicas}}


def pod_event(pod: str, at: datetime) -> dict[str, Any]:
    return {"kind": "Pod", "namespace": "rt", "name": pod, "reason": "EvictedByVPA", "type": "Normal",
            "message": "Pod was evicted by VPA Updater to apply resource recommendation.", "source": "vpa-updater",
            "first_seen": ts(at), "last_seen": ts(at), "count": 1}


def vpa_event(name: str, pod: str, at: datetime) -> dict[str, Any]:
    return {"kind": "VerticalPodAutoscaler", "namespace": "rt", "name": name, "reason": "EvictedPod",
            "type": "Normal", "message": f"VPA Updater evicted Pod {pod} to apply resource recommendation.",
            "first_seen": ts(at), "last_seen": ts(at), "count": 1}


WS = [pod_event(f"gateway-7c9f8d6b5d-{s}", AT - m * M) for s, m in (("qwxzp", 131), ("rtkvb", 104), ("hjklm", 79))]


def test_a_vpa_evicting_a_single_replica_deployment_is_named_with_its_mode_and_floor() -> None:
    found = v.judge(vpa("gw-rightsizing", "Deployment", "gateway", "Auto"), workload(1), WS, AT - 6 * 60 * M,
                    "argocd-controller", AT, protected=False)
    assert found is not None and len(found.times) == 3
    head = v.finding(found)["message"][:400]
    assert "VerticalPodAutoscaler rt/gw-rightsizing" in head and "minReplicas 1" in head
    assert "single replica" in head and "EvictedByVPA 3 times" in head and "every ~26 min" in head


def test_a_recreate_vpa_on_a_statefulset_seen_by_its_own_events_is_the_second_shape() -> None:
    rows = [vpa_event("db-vpa", f"db-0-{i}", AT - (90 - 30 * i) * M) for i in range(3)]
    rows = [dict(r, message=f"VPA Updater evicted Pod db-0 to apply resource recommendation. ({i})")
            for i, r in enumerate(rows)]
    found = v.judge(vpa("db-vpa", "StatefulSet", "db", "Recreate", None), {"spec": {"replicas": 1}}, rows,
                    AT - 3 * 60 * M, "", AT, protected=False)
    # One pod name, evicted three times: the VPA's events are told apart by when.
    assert found is not None and found.target.kind == "StatefulSet" and found.mode == "Recreate"
    assert len(found.times) == 3
    assert "the updater's minReplicas" in v.finding(found)["message"]


def test_a_vpa_that_does_not_evict_or_a_workload_with_replicas_to_spare_is_not_blamed() -> None:
    assert v.judge(vpa("gw", "Deployment", "gateway", "Initial"), workload(1), WS, AT - 6 * 60 * M, "", AT,
                   protected=False) is None
    assert v.judge(vpa("gw", "Deployment", "gateway", "Auto"), workload(3), WS, AT - 6 * 60 * M, "", AT,
                   protected=False) is None
    assert v.judge(vpa("gw", "Deployment", "gateway", "Auto"), workload(2), WS, AT - 6 * 60 * M, "", AT,
                   protected=True) is None


def test_evictions_before_the_write_or_a_write_days_old_do_not_blame_it() -> None:
    assert v.judge(vpa("gw", "Deployment", "gateway", "Auto"), workload(1), WS, AT - 100 * M, "", AT,
                   protected=False) is None
    assert v.judge(vpa("gw", "Deployment", "gateway", "Auto"), workload(1), WS, AT - timedelta(days=4), "", AT,
                   protected=False) is None


def test_an_absent_update_policy_is_auto_as_the_api_defaults_it() -> None:
    assert v.mode(vpa("gw", "Deployment", "gateway", None, None)) == "Auto"


def test_a_cluster_without_the_vpa_crd_is_not_asked_for_vpas() -> None:
    """The VPA is an add-on: where its CRD is not served, listing the kind is a refused call in every report (the
    bundled incidents have no VPA); where it is served, the subject's namespace is listed."""
    import asyncio

    from agent.triage.facts import Facts
    from agent.triage.subject import Subject
    from tests.triage.doubles import RecordingHub

    bare = RecordingHub(lists={"customresourcedefinitions": [{"name": "certificates.cert-manager.io"}]})
    asyncio.run(v.read(Subject(namespace="shop"), Facts(at=AT), bare))
    assert [args.get("kind") for tool, args in bare.calls] == ["customresourcedefinitions"]
    served = RecordingHub(lists={"customresourcedefinitions": [{"name": v.VPA_CRD}], "VerticalPodAutoscaler": []})
    asyncio.run(v.read(Subject(namespace="shop"), Facts(at=AT), served))
    assert ("k8s_list", {"kind": "VerticalPodAutoscaler", "namespace": "shop"}) in served.calls
