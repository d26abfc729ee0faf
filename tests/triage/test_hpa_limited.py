"""An HPA held back by a limit written shortly before: two shapes (a slow scaleUp policy from the timeline, a
lowered maxReplicas from managedFields) and the negative twins (the same condition under a limit of long
standing, a clamp while the metric is under target)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import behind, hpa_limited
from agent.triage.facts import Facts

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _hpa(name: str, *, reason: str, utilization: int, written_at: datetime, fields: dict[str, Any],
         max_replicas: int = 40, current: int = 6) -> dict[str, Any]:
    return {
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": name, "namespace": "shop", "managedFields": [
            {"manager": "kube-controller-manager", "operation": "Update", "time": _iso(AT), "subresource": "status",
             "fieldsV1": {"f:status": {}}},
            {"manager": "helm", "operation": "Update", "time": _iso(written_at), "fieldsV1": {"f:spec": fields}}]},
        "spec": {"scaleTargetRef": {"kind": "Deployment", "name": name}, "minReplicas": 2,
                 "maxReplicas": max_replicas,
                 "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                     "type": "Utilization", "averageUtilization": 60}}}],
                 "behavior": {"scaleUp": {"selectPolicy": "Min", "policies": [
                     {"type": "Pods", "value": 2, "periodSeconds": 300}]}}},
        "status": {"currentReplicas": current, "desiredReplicas": current, "currentMetrics": [
            {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": utilization}}}],
            "conditions": [{"type": "ScalingLimited", "status": "True", "reason": reason,
                            "message": "the desired replica count is increasing faster than the maximum scale rate"
                            if reason == "ScaleUpLimit" else
                            "the desired replica count is more than the maximum replica count"}]},
    }


def _facts(obj: dict[str, Any], changes: list[dict[str, Any]] | None = None) -> Facts:
    facts = Facts(at=AT, changes={"changes": changes or []}, changes_id="E2")
    facts.objects.append((obj, "E9"))
    return facts


def test_a_slow_scale_up_policy_written_by_gitops_is_named_with_its_meaning() -> None:
    written = AT - timedelta(hours=3)
    change = {"at": _iso(written), "type": "other",
              "object": {"kind": "HorizontalPodAutoscaler", "namespace": "shop", "name": "checkout"},
              "summary": "HorizontalPodAutoscaler shop/checkout written by argocd-controller: "
                         "spec.behavior.scaleUp.policies",
              "diff": ["spec.behavior.scaleUp.policies written by argocd-controller"]}
    facts = _facts(_hpa("checkout", reason="ScaleUpLimit", utilization=180, written_at=AT - timedelta(days=20),
                        fields={"f:minReplicas": {}}), [change])
    [lim] = hpa_limited.found(facts)
    assert (lim.written_by, lim.desired, lim.current) == ("argocd-controller", 18, 6)
    message = hpa_limited.finding(lim)["message"]
    assert message.startswith("HPA shop/checkout is throttled by its own behavior.scaleUp policy "
                              "(2 pods per periodSeconds 300, selectPolicy Min)")
    assert "wants about 18 replicas, it has 6 (30 min at that pace)" in message
    assert "3 h 0 min before" in message
    [(ref, _, evidence, explains)] = [s for s in behind.suspects(facts) if s[1]["check"] == hpa_limited.CHECK]
    assert (ref.kind, ref.name, evidence, [str(e) for e in explains]) == (
        "HorizontalPodAutoscaler", "checkout", ["E9", "E2"], ["Deployment shop/checkout"])


def test_a_lowered_max_replicas_seen_only_in_managed_fields_is_named() -> None:
    facts = _facts(_hpa("search", reason="TooManyReplicas", utilization=150, max_replicas=6,
                        written_at=AT - timedelta(hours=20), fields={"f:maxReplicas": {}}))
    [lim] = hpa_limited.found(facts)
    assert lim.written_by == "helm" and lim.spec_field == "maxReplicas"
    assert "HPA shop/search is capped by its maxReplicas 6, written by helm 20 h 0 min" in \
        hpa_limited.finding(lim)["message"]


def test_the_same_clamp_under_a_limit_of_long_standing_is_not_named() -> None:
    facts = _facts(_hpa("checkout", reason="ScaleUpLimit", utilization=180, written_at=AT - timedelta(days=30),
                        fields={"f:behavior": {"f:scaleUp": {}}}))
    assert hpa_limited.found(facts) == []


def test_a_clamp_while_the_metric_is_under_target_is_not_named() -> None:
    facts = _facts(_hpa("checkout", reason="ScaleUpLimit", utilization=40, written_at=AT - timedelta(hours=2),
                        fields={"f:behavior": {"f:scaleUp": {}}}))
    assert hpa_limited.found(facts) == []


def test_the_controllers_own_status_write_is_not_a_limit_write() -> None:
    obj = _hpa("checkout", reason="ScaleUpLimit", utilization=180, written_at=AT - timedelta(days=30),
               fields={"f:minReplicas": {}})
    obj["metadata"]["managedFields"].append({"manager": "kube-controller-manager", "operation": "Update",
                                             "time": _iso(AT - timedelta(minutes=5)),
                                             "fieldsV1": {"f:spec": {"f:behavior": {"f:scaleUp": {}}}}})
    assert hpa_limited.found(_facts(obj)) == []


def _stabilized(name: str, *, window: int | None, utilization: int, written_at: datetime,
                policies: list[dict[str, Any]]) -> dict[str, Any]:
    """An HPA whose AbleToScale condition says the scale-up stabilization holds it (the controller's wording)."""
    obj = _hpa(name, reason="ScaleUpLimit", utilization=utilization, written_at=written_at,
               fields={"f:behavior": {"f:scaleUp": {}}}, current=4)
    up: dict[str, Any] = {"selectPolicy": "Max", "policies": policies}
    if window is not None:
        up["stabilizationWindowSeconds"] = window
    obj["spec"]["behavior"] = {"scaleUp": up}
    obj["status"]["conditions"] = [
        {"type": "AbleToScale", "status": "True", "reason": "ScaleUpStabilized",
         "message": "recent recommendations were lower than current one, applying the lowest recent recommendation"},
        {"type": "ScalingLimited", "status": "False", "reason": "DesiredWithinRange", "message": "within range"}]
    return obj


def test_a_long_scale_up_window_written_by_helm_is_named_as_the_hold() -> None:
    facts = _facts(_stabilized("pricing", window=600, utilization=150, written_at=AT - timedelta(hours=6),
                               policies=[{"type": "Percent", "value": 50, "periodSeconds": 60}]))
    [lim] = hpa_limited.found(facts)
    assert (lim.reason, lim.spec_field, lim.written_by, lim.desired) == ("ScaleUpStabilized", "behavior.scaleUp",
                                                                        "helm", 10)
    message = hpa_limited.finding(lim)["message"]
    assert message.startswith("HPA shop/pricing is held back by its own behavior.scaleUp "
                              "(50 % per periodSeconds 60, selectPolicy Max, stabilizationWindowSeconds 600)")
    assert "AbleToScale ScaleUpStabilized" in message and "lowest replica count" in message


def test_a_scale_up_window_from_the_timeline_is_named_through_behind() -> None:
    change = {"at": _iso(AT - timedelta(hours=2)), "type": "other",
              "object": {"kind": "HorizontalPodAutoscaler", "namespace": "shop", "name": "ledger"},
              "summary": "HorizontalPodAutoscaler shop/ledger written by flux (kustomize-controller): "
                         "spec.behavior.scaleUp.stabilizationWindowSeconds 0 -> 1200",
              "diff": ["spec.behavior.scaleUp.stabilizationWindowSeconds: 0 -> 1200"]}
    facts = _facts(_stabilized("ledger", window=1200, utilization=95, written_at=AT - timedelta(days=40),
                               policies=[{"type": "Pods", "value": 4, "periodSeconds": 15}]), [change])
    [(ref, body, _, explains)] = [s for s in behind.suspects(facts) if s[1]["check"] == hpa_limited.CHECK]
    assert (ref.name, [str(e) for e in explains]) == ("ledger", ["Deployment shop/ledger"])
    assert "stabilizationWindowSeconds 1200" in body["message"] and body["reason"] == "ScaleUpStabilized"


def test_stabilized_under_the_default_behavior_is_not_named() -> None:
    """No written scale-up window: the controller's momentary stabilization is not a hold someone wrote."""
    facts = _facts(_stabilized("pricing", window=None, utilization=150, written_at=AT - timedelta(hours=6),
                               policies=[{"type": "Pods", "value": 4, "periodSeconds": 15}]))
    assert hpa_limited.found(facts) == []


def test_stabilized_with_a_window_of_long_standing_or_the_metric_under_target_is_not_named() -> None:
    old = _facts(_stabilized("pricing", window=600, utilization=150, written_at=AT - timedelta(days=30),
                             policies=[{"type": "Pods", "value": 1, "periodSeconds": 60}]))
    calm = _facts(_stabilized("pricing", window=600, utilization=40, written_at=AT - timedelta(hours=6),
                              policies=[{"type": "Pods", "value": 1, "periodSeconds": 60}]))
    assert hpa_limited.found(old) == [] and hpa_limited.found(calm) == []


def test_a_momentary_stabilization_beside_a_written_rate_limit_does_not_hide_the_limit() -> None:
    """The controller lists AbleToScale first: ScaleUpStabilized (no written window, so momentary) beside
    ScalingLimited ScaleUpLimit from a slow policy written recently. The limit is the answer; the stabilization
    is neither the answer nor a reason to say nothing. With a written window and both conditions, the rate limit
    (ScalingLimited) is still the one named."""
    obj = _hpa("search", reason="ScaleUpLimit", utilization=170, written_at=AT - timedelta(hours=4),
               fields={"f:behavior": {"f:scaleUp": {}}})
    obj["status"]["conditions"].insert(0, {
        "type": "AbleToScale", "status": "True", "reason": "ScaleUpStabilized",
        "message": "recent recommendations were lower than current one, applying the lowest recent recommendation"})
    [lim] = hpa_limited.found(_facts(obj))
    assert (lim.reason, lim.written_by) == ("ScaleUpLimit", "helm")
    obj["spec"]["behavior"]["scaleUp"]["stabilizationWindowSeconds"] = 300
    [both] = hpa_limited.found(_facts(obj))
    assert both.reason == "ScaleUpLimit"
