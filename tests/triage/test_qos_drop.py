"""A rollout that left a workload's pods BestEffort, evicted first under node pressure (agent.triage.qos_drop).

Records follow what Kubernetes writes: the change timeline's rollout diff lines (`x memory request 1Gi -> none`),
the workload's pod template (resources per container), and the kubelet's `Evicted` events on its pods ("The node
was low on resource: memory. Threshold quantity: 100Mi, available: 61000Ki. Container x was using 1810000Ki,
request is 0, has larger consumption of its request."). Two shapes (a Deployment under memory pressure after a
chart refactor dropped requests and limits; a StatefulSet that never had limits, under ephemeral-storage
pressure) and twins (limits kept, so requests default to them; pods evicted that still request; evictions only
before the rollout; a rollout days old).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import qos_drop as q

AT = datetime(2026, 11, 20, 15, 10, tzinfo=UTC)
M = timedelta(minutes=1)


def ts(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def rollout(kind: str, ns: str, name: str, at: datetime, diff: list[str], revision: int = 9) -> dict[str, Any]:
    return {"type": "rollout", "object": {"kind": kind, "namespace": ns, "name": name}, "at": ts(at),
            "summary": f"{kind} {ns}/{name} rolled out revision {revision}: {'; '.join(diff)}", "diff": diff}


def workload(kind: str, resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {"kind": kind, "spec": {"template": {"spec": {"containers": [
        {"name": f"c{i}", "image": "example/app:1", "resources": r} for i, r in enumerate(resources)]}}}}


def evicted(ns: str, pod: str, at: datetime, resource: str = "memory", request: str = "0") -> dict[str, Any]:
    return {"kind": "Pod", "namespace": ns, "name": pod, "reason": "Evicted", "type": "Warning", "count": 1,
            "first_seen": ts(at), "last_seen": ts(at), "host": "node-2",
            "message": f"The node was low on resource: {resource}. Threshold quantity: 100Mi, available: 61000Ki. "
                       f"Container app was using 1810000Ki, request is {request}, has larger consumption of its "
                       "request. "}


CHART_REFACTOR = rollout("Deployment", "media", "thumbnailer", AT - 120 * M, [
    "thumbnailer cpu request 500m -> none", "thumbnailer memory request 1536Mi -> none",
    "thumbnailer memory limit 2Gi -> none"])


def test_a_rollout_that_dropped_requests_and_limits_then_evictions_blames_the_workload() -> None:
    rows = [evicted("media", f"thumbnailer-6b7d9c8f5d-x7k2{'pqrs'[i]}", AT - (60 - 10 * i) * M) for i in range(4)]
    b = q.judge(CHART_REFACTOR, workload("Deployment", [{}]), rows, AT)
    assert b is not None and b.workload.name == "thumbnailer" and b.evictions == 4 and b.resource == "memory"
    message = q.finding(b, AT)["message"]
    head = message[:400]
    assert "Deployment media/thumbnailer" in head and "BestEffort QoS" in head and "request is 0" in head
    assert "resources block" in head and "revision 9" in head


def test_a_statefulset_without_requests_under_disk_pressure_is_the_second_shape() -> None:
    change = rollout("StatefulSet", "search", "indexer", AT - 5 * 60 * M, [
        "indexer cpu request 250m -> none", "indexer memory request 1Gi -> none", "indexer image 1.2 -> 1.3"], 4)
    rows = [evicted("search", "indexer-1", AT - 30 * M, resource="ephemeral-storage"),
            evicted("search", "other-0", AT - 20 * M, resource="ephemeral-storage")]
    b = q.judge(change, workload("StatefulSet", [{}, {"requests": {}}]), rows, AT)
    assert b is not None and b.evictions == 1 and b.resource == "ephemeral-storage"
    assert "under node ephemeral-storage pressure" in q.finding(b, AT)["message"]


def test_limits_kept_default_the_requests_so_the_pods_are_not_besteffort() -> None:
    change = rollout("Deployment", "media", "thumbnailer", AT - 120 * M, ["thumbnailer memory request 1Gi -> none"])
    rows = [evicted("media", "thumbnailer-6b7d9c8f5d-x7k2p", AT - 10 * M)]
    assert not q.best_effort(workload("Deployment", [{"limits": {"memory": "1Gi"}}]))
    assert q.judge(change, workload("Deployment", [{"limits": {"memory": "1Gi"}}]), rows, AT) is None
    # One sidecar still requesting makes the whole pod Burstable.
    assert q.judge(change, workload("Deployment", [{}, {"requests": {"cpu": "10m"}}]), rows, AT) is None


def test_evictions_of_pods_that_still_request_or_only_before_the_rollout_are_not_this() -> None:
    requesting = [evicted("media", "thumbnailer-6b7d9c8f5d-x7k2p", AT - 10 * M, request="1536Mi")]
    assert q.judge(CHART_REFACTOR, workload("Deployment", [{}]), requesting, AT) is None
    before = [evicted("media", "thumbnailer-6b7d9c8f5d-x7k2p", AT - 180 * M)]
    assert q.judge(CHART_REFACTOR, workload("Deployment", [{}]), before, AT) is None
    other = [evicted("media", "uploader-6b7d9c8f5d-x7k2p", AT - 10 * M)]
    assert q.judge(CHART_REFACTOR, workload("Deployment", [{}]), other, AT) is None


def test_a_rollout_days_old_is_not_the_cause_of_todays_evictions() -> None:
    old = dict(CHART_REFACTOR, at=ts(AT - timedelta(days=3)))
    rows = [evicted("media", "thumbnailer-6b7d9c8f5d-x7k2p", AT - 10 * M)]
    assert q.judge(old, workload("Deployment", [{}]), rows, AT) is None
