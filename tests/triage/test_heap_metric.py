"""An HPA on memory for a runtime whose heap is fixed, pinned at maxReplicas (agent.triage.heap_metric).

Shapes: a Deployment whose JAVA_OPTS say -Xms2g -Xmx2g under a 2560Mi request, its HPA switched to memory
Utilization 75% by Argo CD (the timeline); a StatefulSet of search nodes whose ES_JAVA_OPTS use
InitialRAMPercentage = MaxRAMPercentage, its HPA on an AverageValue written through managedFields. Twins: the same HPA
on CPU, a heap that grows from a small -Xms, a heap well under the target, an HPA below its maximum, metrics written
weeks ago.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import heap_metric as h
from agent.triage.facts import Facts

AT = datetime(2026, 10, 7, 14, 0, tzinfo=UTC)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def hpa(name: str, kind: str, metric: dict[str, Any], current: int, maximum: int = 10,
        managed: datetime | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": "quotes"}
    if managed is not None:
        meta["managedFields"] = [{"manager": "kubectl-patch", "operation": "Update", "time": _iso(managed),
                                  "fieldsV1": {"f:spec": {"f:metrics": {}}}}]
    return {"kind": "HorizontalPodAutoscaler", "metadata": meta,
            "spec": {"scaleTargetRef": {"kind": kind, "name": name}, "minReplicas": 2, "maxReplicas": maximum,
                     "metrics": [metric]},
            "status": {"currentReplicas": current, "desiredReplicas": current}}


def memory(utilization: int | None = None, value: str | None = None) -> dict[str, Any]:
    target = {"type": "Utilization", "averageUtilization": utilization} if utilization else \
        {"type": "AverageValue", "averageValue": value}
    return {"type": "Resource", "resource": {"name": "memory", "target": target}}


def workload(kind: str, env: dict[str, str], request: str, limit: str) -> dict[str, Any]:
    return {"kind": kind, "spec": {"template": {"spec": {"containers": [{
        "name": "app", "env": [{"name": k, "value": v} for k, v in env.items()],
        "resources": {"requests": {"memory": request}, "limits": {"memory": limit}}}]}}}}


def facts(name: str, written: datetime | None) -> Facts:
    changes = []
    if written is not None:
        changes.append({"at": _iso(written), "type": "update", "summary": f"HorizontalPodAutoscaler {name} updated",
                        "object": {"kind": "HorizontalPodAutoscaler", "namespace": "quotes", "name": name},
                        "diff": ["spec.metrics[0].resource.name: cpu -> memory"]})
    return Facts(at=AT, changes={"changes": changes}, changes_id="E2")


JVM = workload("Deployment", {"JAVA_OPTS": "-server -Xms2g -Xmx2g -XX:+UseG1GC"}, "2560Mi", "3Gi")


def test_a_memory_hpa_over_a_fixed_jvm_heap_at_its_maximum_is_named() -> None:
    hit = h.judge(hpa("quote-engine", "Deployment", memory(75), 10), JVM,
                  facts("quote-engine", AT - timedelta(hours=9)))
    assert hit is not None and str(hit.target) == "Deployment quotes/quote-engine"
    message = h.finding(hit, AT)["message"]
    assert "memory utilization" in message and "maxReplicas 10" in message and "fixed heap" in message
    assert "-Xms2g -Xmx2g" in message and "80% of its 2560Mi" in message


def test_a_percentage_heap_under_an_average_value_target_is_named() -> None:
    search = workload("StatefulSet", {"ES_JAVA_OPTS": "-XX:InitialRAMPercentage=50 -XX:MaxRAMPercentage=50"},
                      "8Gi", "8Gi")
    hit = h.judge(hpa("search-data", "StatefulSet", memory(value="4Gi"), 6, 6, managed=AT - timedelta(hours=30)),
                  search, facts("search-data", None))
    assert hit is not None and hit.written_by == "kubectl-patch" and hit.target.kind == "StatefulSet"
    assert "InitialRAMPercentage=50" in h.finding(hit, AT)["message"]


def test_the_same_hpa_on_cpu_is_not_named() -> None:
    cpu = {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization",
                                                                       "averageUtilization": 75}}}
    assert h.judge(hpa("quote-engine", "Deployment", cpu, 10), JVM, facts("quote-engine", AT - timedelta(hours=9))) \
        is None


def test_a_heap_that_grows_from_a_small_start_is_not_named() -> None:
    growing = workload("Deployment", {"JAVA_OPTS": "-Xms256m -Xmx2g"}, "2560Mi", "3Gi")
    assert h.judge(hpa("quote-engine", "Deployment", memory(75), 10), growing,
                   facts("quote-engine", AT - timedelta(hours=9))) is None


def test_a_fixed_heap_well_under_the_target_is_not_named() -> None:
    small = workload("Deployment", {"JAVA_OPTS": "-Xms1g -Xmx1g"}, "2560Mi", "3Gi")
    assert h.judge(hpa("quote-engine", "Deployment", memory(75), 10), small,
                   facts("quote-engine", AT - timedelta(hours=9))) is None


def test_below_its_maximum_or_written_weeks_ago_is_not_named() -> None:
    assert h.judge(hpa("quote-engine", "Deployment", memory(75), 7), JVM,
                   facts("quote-engine", AT - timedelta(hours=9))) is None
    assert h.judge(hpa("quote-engine", "Deployment", memory(75), 10, managed=AT - timedelta(days=20)), JVM,
                   facts("quote-engine", None)) is None


def test_the_check_is_registered_with_its_weight() -> None:
    from agent.triage import behind

    assert h in behind.MODULES and behind.WEIGHTS[h.CHECK] == h.WEIGHT
