"""An HPA whose recently written target a pod cannot reach before its CPU limit (agent.triage.hpa_unreachable).

Written here, not taken from the held-out bundles. Shapes: a Pods metric (requests per second per pod) whose
averageValue was written by a GitOps controller above what a 1-core pod serves; a CPU averageUtilization target
of 250% of the request on pods whose limit is twice the request (utilization can never pass 200%); an External
queue metric per pod on a worker. Negative twins: the same target with pods that would still fit their limit at
the target, idle pods, an HPA above its minimum (it scales), a target written long ago, and no CPU limit.
`read` is driven through a recorded fake of the tool hub.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import hpa_unreachable
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub, outcome

AT = datetime(2026, 10, 14, 16, 5, tzinfo=UTC)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _hpa(ns: str, name: str, metric: dict[str, Any], current: dict[str, Any], replicas: int = 2,
         minimum: int = 2, written: timedelta = timedelta(hours=5), reason: str = "TooFewReplicas") -> dict[str, Any]:
    kind = metric["type"]
    key = kind[0].lower() + kind[1:]
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": name, "namespace": ns, "managedFields": [
                {"manager": "flux-kustomize", "operation": "Apply", "time": _iso(AT - written),
                 "fieldsV1": {"f:spec": {"f:metrics": {}}}}]},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
                     "minReplicas": minimum, "maxReplicas": 20, "metrics": [metric]},
            "status": {"currentReplicas": replicas, "desiredReplicas": replicas,
                       "currentMetrics": [{"type": kind, key: current}],
                       "conditions": [{"type": "ScalingLimited", "status": "True", "reason": reason,
                                       "message": "the desired replica count is less than the minimum replica count"}]}}


def _rps(average: str, now: str, **kw: Any) -> dict[str, Any]:
    return _hpa("auth", "session-api",
                {"type": "Pods", "pods": {"metric": {"name": "grpc_server_handled_per_second"},
                                          "target": {"type": "AverageValue", "averageValue": average}}},
                {"metric": {"name": "grpc_server_handled_per_second"}, "current": {"averageValue": now}}, **kw)


def _cpu(target: int, now: int, **kw: Any) -> dict[str, Any]:
    return _hpa("search", "indexer",
                {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization",
                                                                            "averageUtilization": target}}},
                {"name": "cpu", "current": {"averageUtilization": now}}, **kw)


def _queue(target: str, now: str) -> dict[str, Any]:
    return _hpa("billing", "invoice-worker",
                {"type": "External", "external": {"metric": {"name": "sqs_messages_visible"},
                                                  "target": {"type": "AverageValue", "averageValue": target}}},
                {"metric": {"name": "sqs_messages_visible"}, "current": {"averageValue": now}}, replicas=1,
                minimum=1)


def _deployment(ns: str, name: str, limit: str | None, request: str = "500m") -> dict[str, Any]:
    resources: dict[str, Any] = {"requests": {"cpu": request}}
    if limit:
        resources["limits"] = {"cpu": limit, "memory": "512Mi"}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": ns},
            "spec": {"template": {"spec": {"containers": [{"name": name, "image": f"example/{name}:1",
                                                           "resources": resources}]}}}}


class Hub(RecordingHub):
    """The tool hub: the Deployment as YAML, the pods' CPU (cores) per pod, an empty longer timeline."""

    def __init__(self, deployment: dict[str, Any], cores: list[float]) -> None:
        name = deployment["metadata"]["name"]
        samples = [{"labels": {"pod": f"{name}-7c9d8b6f5-{'bcdfg'[i]}k2px"}, "value": v} for i, v in enumerate(cores)]
        super().__init__(objects={name: deployment}, ids={"k8s_get": "E5"}, missing_is_none=True, answers={
            "prom_query": outcome(True, {"samples": samples}, "", "E6"),
            "k8s_changes": outcome(True, {"window_start": _iso(AT - timedelta(hours=48)), "changes": []}, "", "E7")})

def _found(hpa: dict[str, Any], hub: Hub) -> list[hpa_unreachable.Unreachable]:
    facts = Facts(at=AT)
    facts.objects.append((hpa, "E2"))
    asyncio.run(hpa_unreachable.read(Subject(namespace=hpa["metadata"]["namespace"]), facts, hub, _iso(AT)))
    return hpa_unreachable.found(facts)


def test_pods_metric_above_what_a_pod_serves_is_named_with_its_meaning() -> None:
    found = _found(_rps("1200", "700"), Hub(_deployment("auth", "session-api", "1"), [0.85, 0.9]))
    assert len(found) == 1
    message = hpa_unreachable.finding(found[0])["message"]
    assert message.startswith("HPA auth/session-api's target (Pods metric grpc_server_handled_per_second "
                              "averageValue 1200, written by flux-kustomize 5 h 0 min before")
    assert "above what a pod can serve" in message and "minReplicas 2" in message
    assert "never scale out" in message[:400]


def test_cpu_utilization_above_what_the_limit_allows_is_named() -> None:
    # request 500m, limit 1: a pod can never pass 200% utilization; the target asks for 250%
    found = _found(_cpu(250, 180), Hub(_deployment("search", "indexer", "1"), [0.9, 0.9, 0.88]))
    assert [u.hpa.name for u in found] == ["indexer"]
    assert "Resource metric cpu averageUtilization 250" in hpa_unreachable.finding(found[0])["message"]


def test_external_queue_metric_on_a_worker_is_named() -> None:
    found = _found(_queue("500", "300"), Hub(_deployment("billing", "invoice-worker", "2"), [1.8]))
    assert [u.target.name for u in found] == ["invoice-worker"]


def test_target_a_pod_reaches_within_its_limit_is_not_named() -> None:
    # 0.65 cores at 900 per pod: 1200 per pod needs ~0.87 of the 1-core limit, reachable
    assert _found(_rps("1200", "900"), Hub(_deployment("auth", "session-api", "1"), [0.65, 0.65])) == []


def test_idle_pods_are_not_named() -> None:
    assert _found(_rps("1200", "90"), Hub(_deployment("auth", "session-api", "1"), [0.2, 0.2])) == []


def test_hpa_above_its_minimum_is_not_named() -> None:
    hpa = _rps("1200", "700", replicas=5)
    assert _found(hpa, Hub(_deployment("auth", "session-api", "1"), [0.9, 0.9])) == []


def test_target_written_long_ago_is_not_named() -> None:
    hpa = _rps("1200", "700", written=timedelta(days=20))
    assert _found(hpa, Hub(_deployment("auth", "session-api", "1"), [0.9, 0.9])) == []


def test_no_cpu_limit_names_nothing() -> None:
    assert _found(_rps("1200", "700"), Hub(_deployment("auth", "session-api", None), [0.9, 0.9])) == []


def test_metric_at_or_above_target_is_not_named() -> None:
    # the metric asks for more replicas: the HPA is not stuck by its target
    assert _found(_rps("600", "700"), Hub(_deployment("auth", "session-api", "1"), [0.95, 0.95])) == []
