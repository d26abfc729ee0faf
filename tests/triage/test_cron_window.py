"""A scheduled pre-scale whose window opens after the load it was for (agent.triage.cron_window).

Shapes: a ScaledObject whose cron trigger reads 08:00 in America/New_York, written by Flux the day before (the
timeline), at an incident at 07:25 New York time while its HPA rescales the Deployment on CPU; a StatefulSet's
ScaledObject whose weekday start reads 05:45 Asia/Tokyo, written through managedFields only. Twins: the window open
at the incident, a trigger written weeks ago, a window that opens hours later, a target nobody rescaled.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import cron_window as c
from agent.triage.facts import Facts

AT = datetime(2026, 1, 14, 12, 25, tzinfo=UTC)  # a Wednesday: 07:25 in New York (EST), 21:25 in Tokyo


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def scaled_object(name: str, target_kind: str, cron: dict[str, str], managed: datetime | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": "fares"}
    if managed is not None:
        meta["managedFields"] = [{"manager": "kustomize-controller", "operation": "Apply", "time": _iso(managed),
                                  "fieldsV1": {"f:spec": {"f:triggers": {}}}}]
    return {"kind": "ScaledObject", "metadata": meta,
            "spec": {"scaleTargetRef": {"kind": target_kind, "name": name},
                     "triggers": [{"type": "cron", "metadata": {"desiredReplicas": "18", **cron}},
                                  {"type": "memory", "metricType": "Utilization", "metadata": {"value": "75"}}]}}


def facts(name: str, kind: str, written: datetime | None, rescaled: datetime | None) -> Facts:
    changes = []
    if written is not None:
        changes.append({"at": _iso(written), "type": "update", "summary": f"ScaledObject {name} updated by flux",
                        "object": {"kind": "ScaledObject", "namespace": "fares", "name": name},
                        "diff": ["spec.triggers[0].metadata.timezone: America/Chicago -> America/New_York"]})
    if rescaled is not None:
        changes.append({"at": _iso(rescaled), "type": "scale", "object": {"kind": kind, "namespace": "fares",
                                                                           "name": name},
                        "summary": f"{kind} fares/{name} rescaled by HPA keda-hpa-{name}: New size: 6; reason: "
                                   "memory resource utilization (percentage of request) above target"})
    return Facts(at=AT, changes={"changes": changes}, changes_id="E2")


NY = {"timezone": "America/New_York", "start": "0 8 * * *", "end": "0 11 * * *"}


def test_a_window_opening_after_the_load_is_named_with_its_timezone() -> None:
    late = c.judge(scaled_object("fare-quote", "Deployment", NY),
                   facts("fare-quote", "Deployment", AT - timedelta(hours=20), AT - timedelta(minutes=12)))
    assert late is not None and str(late.target) == "Deployment fares/fare-quote"
    message = c.finding(late, AT)["message"]
    assert "timezone America/New_York" in message and "cron trigger" in message and "35 min later" in message


def test_a_weekday_window_written_through_managed_fields_is_named() -> None:
    tokyo = {"timezone": "Asia/Tokyo", "start": "45 21 * * 1-5", "end": "0 23 * * 1-5"}
    late = c.judge(scaled_object("seat-cache", "StatefulSet", tokyo, managed=AT - timedelta(days=3)),
                   facts("seat-cache", "StatefulSet", None, AT - timedelta(minutes=40)))
    assert late is not None and late.written_by == "kustomize-controller" and late.target.kind == "StatefulSet"
    assert "opens at 21:45 Asia/Tokyo" in c.finding(late, AT)["message"]


def test_a_window_open_at_the_incident_is_not_named() -> None:
    early = {"timezone": "America/New_York", "start": "0 6 * * *", "end": "0 11 * * *"}
    assert c.judge(scaled_object("fare-quote", "Deployment", early),
                   facts("fare-quote", "Deployment", AT - timedelta(hours=20), AT - timedelta(minutes=12))) is None


def test_a_trigger_written_weeks_ago_is_not_named() -> None:
    assert c.judge(scaled_object("fare-quote", "Deployment", NY, managed=AT - timedelta(days=30)),
                   facts("fare-quote", "Deployment", None, AT - timedelta(minutes=12))) is None


def test_a_window_opening_hours_later_is_not_named() -> None:
    evening = {"timezone": "America/New_York", "start": "0 17 * * *", "end": "0 20 * * *"}
    assert c.judge(scaled_object("fare-quote", "Deployment", evening),
                   facts("fare-quote", "Deployment", AT - timedelta(hours=20), AT - timedelta(minutes=12))) is None


def test_a_target_nobody_rescaled_is_not_named() -> None:
    assert c.judge(scaled_object("fare-quote", "Deployment", NY),
                   facts("fare-quote", "Deployment", AT - timedelta(hours=20), None)) is None


def test_the_check_is_registered_with_its_weight() -> None:
    from agent.triage import behind

    assert c in behind.MODULES and behind.WEIGHTS[c.CHECK] == c.WEIGHT
