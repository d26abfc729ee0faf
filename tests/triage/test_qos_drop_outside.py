"""BestEffort evictions in shapes other than the module's first incident (agent.triage.qos_drop).

Outside shapes: an older kubelet's eviction wording ("Container x was using 2Gi, which exceeds its request of 0.")
under nodefs (ephemeral-storage) pressure on a Deployment whose Helm values dropped
`resources:`; PID pressure. Twins: the same old wording for a pod that still requests ("exceeds its request of
512Mi"), a template that keeps only limits (requests default to limits: Burstable/Guaranteed), and a namespace
LimitRange whose `defaultRequest` fills the requests in at admission (Burstable, not BestEffort).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import qos_drop as q

AT = datetime(2026, 10, 2, 4, 40, tzinfo=UTC)
M = timedelta(minutes=1)


def ts(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def rollout(name: str, diff: list[str]) -> dict[str, Any]:
    return {"type": "rollout", "object": {"kind": "Deployment", "namespace": "etl", "name": name},
            "at": ts(AT - 90 * M), "summary": f"Deployment etl/{name} rolled out revision 31", "diff": diff}


def template(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "Deployment", "spec": {"template": {"spec": {
        "initContainers": [{"name": "migrate", "image": "flyway/flyway:10"}],
        "containers": [{"name": f"c{i}", "image": "ghcr.io/acme/loader:4", "resources": r}
                       for i, r in enumerate(resources)]}}}}


def old_kubelet(pod: str, resource: str, request: str, minutes: int) -> dict[str, Any]:
    """A kubelet before the "request is" rewording."""
    return {"kind": "Pod", "namespace": "etl", "name": pod, "reason": "Evicted", "count": 1,
            "first_seen": ts(AT - minutes * M), "last_seen": ts(AT - minutes * M), "node": "ip-10-1-4-7",
            "message": f"The node was low on resource: {resource}. Container loader was using 2285Mi, which exceeds "
                       f"its request of {request}. "}


HELM_DROP = rollout("csv-loader", ["loader cpu request 1 -> none", "loader memory request 2Gi -> none",
                                   "loader ephemeral-storage request 4Gi -> none"])


def test_an_older_kubelets_wording_under_disk_pressure_is_read_as_besteffort() -> None:
    rows = [old_kubelet(f"csv-loader-5f6d7c8b94-{s}", "ephemeral-storage", "0", m)
            for s, m in (("bcdfg", 50), ("hjklm", 30), ("npqrs", 12))]
    b = q.judge(HELM_DROP, template({}), rows, AT)
    assert b is not None and b.evictions == 3 and b.resource == "ephemeral-storage" and b.nodes == ["ip-10-1-4-7"]
    head = q.finding(b, AT)["message"][:400]
    assert "Deployment etl/csv-loader" in head and "BestEffort" in head and "ephemeral-storage pressure" in head


def test_pid_pressure_evictions_count_too() -> None:
    row = old_kubelet("csv-loader-5f6d7c8b94-pqrst", "pids", "0", 5)
    row["message"] = "The node was low on resource: pids. Container loader was using 3100, request is 0, has " \
                     "larger consumption of its request. "
    b = q.judge(HELM_DROP, template({}), [row], AT)
    assert b is not None and b.resource == "pids"


def test_the_old_wording_for_a_pod_that_still_requests_is_not_besteffort() -> None:
    rows = [old_kubelet("csv-loader-5f6d7c8b94-bcdfg", "memory", "512Mi", 20)]
    assert q.evictions(rows, q.Ref("Deployment", "etl", "csv-loader"), AT - 90 * M) == []
    assert q.judge(HELM_DROP, template({}), rows, AT) is None


def test_limits_only_default_the_requests_so_the_pods_are_burstable() -> None:
    rows = [old_kubelet("csv-loader-5f6d7c8b94-bcdfg", "memory", "0", 20)]
    limits_only = template({"limits": {"cpu": "2", "memory": "3Gi"}})
    assert not q.best_effort(limits_only)
    assert q.judge(HELM_DROP, limits_only, rows, AT) is None


def test_a_limitrange_default_request_fills_the_template_in_at_admission() -> None:
    rows = [old_kubelet("csv-loader-5f6d7c8b94-bcdfg", "memory", "0", 20)]
    defaults = {"kind": "LimitRange", "metadata": {"name": "defaults", "namespace": "etl"}, "spec": {"limits": [
        {"type": "Container", "defaultRequest": {"memory": "256Mi"}, "default": {"memory": "512Mi"}}]}}
    pod_max = {"kind": "LimitRange", "spec": {"limits": [{"type": "Pod", "max": {"memory": "8Gi"}}]}}
    assert q.judge(HELM_DROP, template({}), rows, AT, [defaults]) is None
    # A LimitRange that only caps pods defaults nothing: the template is still BestEffort.
    assert q.judge(HELM_DROP, template({}), rows, AT, [pod_max]) is not None
