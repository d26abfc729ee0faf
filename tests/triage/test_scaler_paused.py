"""A scaler left paused by annotation while its triggers are active is named; idle or unpaused scalers are not."""

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import scaler_paused
from agent.triage.facts import Facts

AT = datetime(2027, 3, 9, 9, 0, tzinfo=UTC)


def _stamp(hours_before: float) -> str:
    return (AT - timedelta(hours=hours_before)).isoformat().replace("+00:00", "Z")


def _scaler(kind: str, key: str, value: str, *, paused: str = "True", active: str = "True",
            written_hours_before: float = 6.0, pinned: int | None = None) -> dict[str, Any]:
    status: dict[str, Any] = {"conditions": [
        {"type": "Ready", "status": "True", "reason": "ScaledObjectReady"},
        {"type": "Active", "status": active, "reason": "ScalerActive" if active == "True" else "ScalerNotActive",
         "message": "triggers report work" if active == "True" else "no triggers active"},
        {"type": "Paused", "status": paused, "reason": "Paused" if paused == "True" else "Unpaused"}]}
    if pinned is not None:
        status["pausedReplicaCount"] = pinned
    target = {"scaleTargetRef": {"name": "ledger-worker"}} if kind == "ScaledObject" else \
        {"jobTargetRef": {"template": {}}}
    return {"apiVersion": "keda.sh/v1alpha1", "kind": kind,
            "metadata": {"name": "ledger-worker", "namespace": "books", "annotations": {key: value},
                         "managedFields": [
                             {"manager": "helm", "operation": "Update", "time": _stamp(900),
                              "fieldsV1": {"f:spec": {}}},
                             {"manager": "kubectl-patch", "operation": "Update", "time": _stamp(written_hours_before),
                              "fieldsV1": {"f:metadata": {"f:annotations": {f"f:{key}": {}}}}}]},
            "spec": {**target, "minReplicaCount": 3,
                     "triggers": [{"type": "rabbitmq", "metadata": {"queueName": "ledger", "value": "50"}}]},
            "status": status}


def _facts(obj: dict[str, Any]) -> Facts:
    facts = Facts(at=AT)
    facts.objects.append((obj, "ev-1"))
    return facts


def test_a_pinned_scaled_object_with_active_triggers_is_named() -> None:
    obj = _scaler("ScaledObject", "autoscaling.keda.sh/paused-replicas", "0", pinned=0)
    [(ref, finding, evidence, explained)] = scaler_paused.suspects(_facts(obj))
    assert (ref.kind, ref.namespace, ref.name) == ("ScaledObject", "books", "ledger-worker")
    assert str(explained[0]) == "Deployment books/ledger-worker" and evidence == ["ev-1"]
    assert "paused-replicas=0" in finding["message"] and "at 0 replicas" in finding["message"]
    assert "kubectl patch" in finding["message"]


def test_a_scaled_job_paused_true_is_named() -> None:
    obj = _scaler("ScaledJob", "autoscaling.keda.sh/paused", "true", written_hours_before=40)
    [hit] = scaler_paused.found(_facts(obj))
    assert hit.scaler.kind == "ScaledJob" and hit.pinned is None and hit.minutes_before == 40 * 60
    assert "freezes" in scaler_paused.finding(hit)["message"]


def test_twin_paused_but_triggers_idle_names_nothing() -> None:
    obj = _scaler("ScaledObject", "autoscaling.keda.sh/paused-replicas", "1", active="False", pinned=1)
    assert scaler_paused.found(_facts(obj)) == []


def test_twin_annotation_the_scaler_does_not_report_paused_names_nothing() -> None:
    obj = _scaler("ScaledJob", "autoscaling.keda.sh/paused", "false", paused="False")
    assert scaler_paused.found(_facts(obj)) == []
    obj = _scaler("ScaledJob", "autoscaling.keda.sh/paused", "false")  # condition stale, value says running
    assert scaler_paused.found(_facts(obj)) == []


def test_twin_pause_written_after_the_alert_or_long_before_names_nothing() -> None:
    later = _scaler("ScaledObject", "autoscaling.keda.sh/paused-replicas", "2", written_hours_before=-1)
    old = _scaler("ScaledObject", "autoscaling.keda.sh/paused-replicas", "2", written_hours_before=24 * 30)
    assert scaler_paused.found(_facts(later)) == [] and scaler_paused.found(_facts(old)) == []


def _timeline(obj: dict[str, Any], diff: str) -> Facts:
    obj["metadata"].pop("managedFields")
    facts = _facts(obj)
    facts.changes = {"changes": [{"at": _stamp(10), "type": "modified",
                                  "object": {"kind": obj["kind"], "namespace": "books", "name": "ledger-worker"},
                                  "summary": f"{obj['kind']} books/ledger-worker written by kubectl-annotate: {diff}",
                                  "diff": [diff]}]}
    return facts


def test_the_pause_write_is_read_from_the_timeline_when_managed_fields_are_gone() -> None:
    obj = _scaler("ScaledJob", "autoscaling.keda.sh/paused", "true")
    [hit] = scaler_paused.found(_timeline(obj, "metadata.annotations.autoscaling.keda.sh/paused = 'true'"))
    assert hit.minutes_before == 600 and hit.written_by == "kubectl-annotate"


def test_twin_a_timeline_write_of_something_else_dates_no_pause() -> None:
    obj = _scaler("ScaledJob", "autoscaling.keda.sh/paused", "true")
    assert scaler_paused.found(_timeline(obj, "spec.maxReplicaCount: 10 -> 20")) == []
