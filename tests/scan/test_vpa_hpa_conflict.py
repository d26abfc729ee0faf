"""vpa.hpa_conflict: a VPA in an evicting mode and an HPA scaling one workload on the same resource.

Shapes: autoscaling/v2 HPAs (Resource and ContainerResource metrics) and autoscaling/v1's
targetCPUUtilizationPercentage; VPAs with and without a resourcePolicy. The event wording is the VPA
updater's ("Pod was evicted by VPA Updater to apply resource recommendation.") and the HPA
controller's ("New size: 9; reason: cpu resource utilization (percentage of request) above target").
The healthy twins: a VPA in Off/Initial mode, one restricted to memory, an HPA on an External metric.
"""

from __future__ import annotations

from typing import Any

from mcp_servers.kubernetes.scan import ScanResult, Snapshot, scan
from tests.scan.objects import NOW, deployment, event, meta, replicaset

EVICTED = "Pod was evicted by VPA Updater to apply resource recommendation."


def vpa(mode: str | None = "Auto", resources: list[str] | None = None, name: str = "api-vpa") -> dict[str, Any]:
    spec: dict[str, Any] = {"targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "api"}}
    if mode is not None:
        spec["updatePolicy"] = {"updateMode": mode}
    if resources is not None:
        spec["resourcePolicy"] = {"containerPolicies": [{"containerName": "*", "controlledResources": resources}]}
    return {"apiVersion": "autoscaling.k8s.io/v1", "kind": "VerticalPodAutoscaler", "metadata": meta(name),
            "spec": spec}


def hpa_v2(metric: dict[str, Any] | None = None) -> dict[str, Any]:
    metric = metric or {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization",
                                                                                    "averageUtilization": 70}}}
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": meta("api"),
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "api"},
                     "minReplicas": 2, "maxReplicas": 10, "metrics": [metric]}}


def hpa_v1() -> dict[str, Any]:
    return {"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler", "metadata": meta("api-hpa"),
            "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "api"}, "minReplicas": 2, "maxReplicas": 8,
                     "targetCPUUtilizationPercentage": 60}}


def churn(hpa_name: str = "api") -> list[dict[str, Any]]:
    out = [deployment("api", replicas=4), replicaset("api-5f6", "api")]
    out += [event("Pod", f"api-5f6-{c}", "EvictedByVPA", EVICTED, type_="Normal", first=40 - 9 * i, last=40 - 9 * i)
            for i, c in enumerate("abcd")]
    up, down = "cpu resource utilization (percentage of request) above target", "All metrics below target"
    out += [event("HorizontalPodAutoscaler", hpa_name, "SuccessfulRescale",
                  f"New size: {n}; reason: {up if n > 4 else down}",
                  type_="Normal", first=35 - 10 * i, last=35 - 10 * i) for i, n in enumerate((8, 3, 9))]
    return out


def run(objects: list[dict[str, Any]]) -> ScanResult:
    return scan(Snapshot.from_objects(objects), NOW, ["vpaconflict"])


def test_an_auto_vpa_and_a_cpu_hpa_evicting_and_rescaling_in_a_loop() -> None:
    [f] = run([vpa(), hpa_v2(), *churn()]).findings
    assert (f.check, str(f.object), f.severity, f.reason) == ("vpa.hpa_conflict", "VerticalPodAutoscaler shop/api-vpa",
                                                              "critical", "EvictedByVPA")
    d = f.details
    assert (d["hpa"], d["workload"], d["resources"], d["evictions"], d["rescales"]) == (
        "HorizontalPodAutoscaler shop/api", "Deployment shop/api", ["cpu"], 4, 3)
    assert d["sizes"] == ["8", "3", "9"] and set(d["explains"]) == {"Deployment shop/api",
                                                                   "HorizontalPodAutoscaler shop/api"}
    assert "evicted 4 pods" in f.message and "rescaled 3 times (8 -> 3 -> 9)" in f.message
    assert "updateMode to Off or Initial" in f.message


def test_a_v1_hpa_and_a_recreate_vpa_on_memory_and_cpu_without_churn_yet_is_a_warning() -> None:
    [f] = run([vpa("Recreate", ["cpu", "memory"]), hpa_v1(), deployment("api")]).findings
    assert f.severity == "warning" and f.details["resources"] == ["cpu"] and f.reason == "ConflictingAutoscalers"
    [g] = run([vpa(None), hpa_v2({"type": "ContainerResource", "containerResource": {
        "name": "memory", "container": "app", "target": {"type": "Utilization", "averageUtilization": 80}}}),
        *churn()]).findings  # no updatePolicy: the VPA's default mode is Auto
    assert g.details["resources"] == ["memory"] and g.severity == "critical"


def test_no_conflict_when_the_vpa_only_recommends_or_the_resources_or_targets_differ() -> None:
    assert run([vpa("Off"), hpa_v2(), *churn()]).findings == []
    assert run([vpa("Initial"), hpa_v2(), *churn()]).findings == []
    assert run([vpa("Auto", ["memory"]), hpa_v2(), *churn()]).findings == []
    external = {"type": "External", "external": {"metric": {"name": "queue_depth"},
                                                 "target": {"type": "AverageValue", "averageValue": "30"}}}
    assert run([vpa(), hpa_v2(external), *churn()]).findings == []
    other = vpa()
    other["spec"]["targetRef"]["name"] = "worker"
    assert run([other, hpa_v2(), *churn()]).findings == []
