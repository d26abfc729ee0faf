"""hpa_unreachable against autoscaling software it was not built from (issue #12 outside audit).

The module was built from one blind incident (a Pods metric per pod). These shapes are other software's real
objects and wording:

- KEDA: a ScaledObject's RabbitMQ trigger (`value`, the queue length per replica) becomes the External metric
  `s0-rabbitmq-<queue>` averageValue of the HPA KEDA generates, `keda-hpa-<ScaledObject>`, which carries an
  ownerReference to the ScaledObject (KEDA docs "Scaling Deployments", keda.sh/v1alpha1); the write is the
  ScaledObject's, so the ScaledObject is named;
- prometheus-adapter: an Object metric (an Ingress's request rate, `target.type: Value`) from the custom metrics
  API;
- autoscaling/v2 ContainerResource: a per-container CPU averageUtilization above what the container's limit lets
  it reach.

Negative twins: the KEDA HPA whose pods still have CPU to spare at the target, a KEDA HPA whose ScaledObject and
metrics were written long ago, and an HPA whose metric cannot be read at all (the external metrics APIService
unavailable: the HPA controller's `FailedGetExternalMetric` / `the server is currently unable to handle the
request (get s0-rabbitmq-orders.external.metrics.k8s.io)`), which is not this class.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from agent.triage import hpa_unreachable
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.test_hpa_unreachable import AT, Hub, _deployment, _found, _iso


def _hpa(ns: str, name: str, target: str, metric: dict[str, Any], current: list[dict[str, Any]], replicas: int,
         manager: str = "flux-kustomize", written: timedelta = timedelta(hours=3),
         owner: str = "", conditions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": ns, "managedFields": [
        {"manager": manager, "operation": "Update", "time": _iso(AT - written),
         "fieldsV1": {"f:spec": {"f:metrics": {}}}}]}
    if owner:
        meta["ownerReferences"] = [{"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "name": owner,
                                    "controller": True, "blockOwnerDeletion": True}]
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": meta,
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
                     "minReplicas": replicas, "maxReplicas": 30, "metrics": [metric]},
            "status": {"currentReplicas": replicas, "desiredReplicas": replicas, "currentMetrics": current,
                       "conditions": conditions or [
                           {"type": "ScalingLimited", "status": "True", "reason": "TooFewReplicas",
                            "message": "the desired replica count is less than the minimum replica count"}]}}


KEDA_METRIC = {"type": "External", "external": {
    "metric": {"name": "s0-rabbitmq-orders", "selector": {"matchLabels": {
        "scaledobject.keda.sh/name": "orders-consumer"}}},
    "target": {"type": "AverageValue", "averageValue": "500"}}}


def _keda(now: str = "180", written: timedelta = timedelta(hours=3)) -> dict[str, Any]:
    current = [{"type": "External", "external": {"metric": {"name": "s0-rabbitmq-orders"},
                                                 "current": {"averageValue": now}}}]
    return _hpa("shop", "keda-hpa-orders-consumer", "orders-consumer", KEDA_METRIC, current, 2,
                manager="keda", written=written, owner="orders-consumer")


def _so_write(at: timedelta = timedelta(hours=3)) -> dict[str, Any]:
    return {"at": _iso(AT - at), "type": "custom",
            "object": {"kind": "ScaledObject", "namespace": "shop", "name": "orders-consumer"},
            "summary": "ScaledObject shop/orders-consumer written by argocd-application-controller",
            "diff": ["spec.triggers[0].metadata.value: '50' -> '500'"]}


def _keda_found(cores: list[float], hpa: dict[str, Any], writes: list[dict[str, Any]]
                ) -> list[hpa_unreachable.Unreachable]:
    """The survey's timeline (the ScaledObject's writes) reaching LEAD back, the HPA read, then `read` and
    `found`; `suspects` must name what `found` names."""
    facts = Facts(at=AT, changes={"window_start": _iso(AT - timedelta(days=3)), "changes": writes}, changes_id="E3")
    facts.objects.append((hpa, "E2"))
    hub = Hub(_deployment("shop", "orders-consumer", "1"), cores)
    asyncio.run(hpa_unreachable.read(Subject(namespace="shop"), facts, hub, _iso(AT)))
    found = hpa_unreachable.found(facts)
    assert [r for r, _, _, _ in hpa_unreachable.suspects(facts)] == [u.owner or u.hpa for u in found]
    return found


def test_keda_trigger_above_what_a_consumer_serves_names_the_scaled_object() -> None:
    [u] = _keda_found([0.95, 0.97], _keda(), [_so_write()])
    assert str(u.owner) == "ScaledObject shop/orders-consumer"
    f = hpa_unreachable.finding(u)
    assert f["object"] == {"kind": "ScaledObject", "namespace": "shop", "name": "orders-consumer"}
    head = f["message"][:400]
    assert head.startswith("ScaledObject shop/orders-consumer's trigger target (HPA shop/keda-hpa-orders-consumer's "
                           "External metric s0-rabbitmq-orders averageValue 500")
    assert "written by argocd-application-controller 3 h 0 min before" in head
    assert "above what a pod can serve" in head and "can never scale out" in f["message"]


def test_keda_hpa_whose_operator_wrote_the_metrics_still_names_the_scaled_object() -> None:
    """No ScaledObject write in the timeline: KEDA's own write of the HPA's metrics dates the trigger change."""
    [u] = _keda_found([0.95, 0.97], _keda(), [])
    assert u.written_by == "keda" and hpa_unreachable.finding(u)["object"]["kind"] == "ScaledObject"


def test_keda_consumers_with_cpu_to_spare_are_not_named() -> None:
    assert _keda_found([0.3, 0.32], _keda(), [_so_write()]) == []


def test_keda_trigger_written_long_ago_is_not_named() -> None:
    assert _keda_found([0.95, 0.97], _keda(written=timedelta(days=30)), [_so_write(timedelta(days=30))]) == []


def test_external_metrics_api_unavailable_is_not_this_class() -> None:
    down = [{"type": "ScalingActive", "status": "False", "reason": "FailedGetExternalMetric",
             "message": "the HPA was unable to compute the replica count: unable to get external metric "
                        "shop/s0-rabbitmq-orders/&LabelSelector{MatchLabels:map[string]string{scaledobject.keda.sh/"
                        "name: orders-consumer,},}: unable to fetch metrics from external metrics API: the server is "
                        "currently unable to handle the request (get s0-rabbitmq-orders.external.metrics.k8s.io)"}]
    hpa = _hpa("shop", "keda-hpa-orders-consumer", "orders-consumer", KEDA_METRIC, [], 2, manager="keda",
               owner="orders-consumer", conditions=down)
    assert _keda_found([0.95, 0.97], hpa, [_so_write()]) == []


def test_prometheus_adapter_object_metric_above_what_the_pods_serve_is_named() -> None:
    metric = {"type": "Object", "object": {
        "describedObject": {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "name": "storefront"},
        "metric": {"name": "nginx_ingress_controller_requests_rate"},
        "target": {"type": "Value", "value": "1200"}}}
    current = [{"type": "Object", "object": {
        "describedObject": {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "name": "storefront"},
        "metric": {"name": "nginx_ingress_controller_requests_rate"}, "current": {"value": "400"}}}]
    hpa = _hpa("web", "storefront", "storefront", metric, current, 3)
    [u] = _found(hpa, Hub(_deployment("web", "storefront", "500m", request="250m"), [0.46, 0.48, 0.47]))
    assert u.owner is None and str(u.hpa) == "HorizontalPodAutoscaler web/storefront"
    assert "Object metric nginx_ingress_controller_requests_rate value 1200" in hpa_unreachable.finding(u)["message"]


def test_container_resource_utilization_above_what_the_limit_allows_is_named() -> None:
    metric = {"type": "ContainerResource", "containerResource": {
        "name": "cpu", "container": "renderer", "target": {"type": "Utilization", "averageUtilization": 300}}}
    current = [{"type": "ContainerResource", "containerResource": {
        "name": "cpu", "container": "renderer", "current": {"averageUtilization": 190, "averageValue": "950m"}}}]
    hpa = _hpa("media", "renderer", "renderer", metric, current, 2)
    [u] = _found(hpa, Hub(_deployment("media", "renderer", "1"), [0.95, 0.96]))
    assert "ContainerResource metric cpu averageUtilization 300" in hpa_unreachable.finding(u)["message"][:400]
