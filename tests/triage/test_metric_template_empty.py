"""A Flagger MetricTemplate rewritten to a query that returns nothing, its Canary halting on no data since
(agent.triage.metric_template_empty, ranked through agent.triage.gate_baseline's check).

Two shapes: a Prometheus-backed template halting with "no values found for custom metric", and a Datadog-backed
one whose query failure says the response was empty. Twins: no-data halts that began before the write, a Canary
metric that refers to another template, a template not written, and the read path through a recorded hub.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.toolhub import ToolOutcome
from agent.triage import behind, gate_baseline, metric_template_empty
from agent.triage.facts import Facts
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 11, 28, 16, 0, tzinfo=UTC)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _canary(ns: str, name: str, metric: str, template: str) -> dict[str, Any]:
    return {"kind": "Canary", "metadata": {"name": name, "namespace": ns},
            "spec": {"targetRef": {"kind": "Deployment", "name": name},
                     "analysis": {"threshold": 5, "metrics": [
                         {"name": "request-success-rate", "thresholdRange": {"min": 99}},
                         {"name": metric, "templateRef": {"name": template, "namespace": ns},
                          "thresholdRange": {"max": 2}}]}}}


def _facts(ns: str, canary: dict[str, Any], message: str, first_seen: datetime,
           written: datetime | None, template: str) -> Facts:
    changes = [{"at": _iso(written), "type": "update",
                "object": {"kind": "MetricTemplate", "namespace": ns, "name": template},
                "summary": f"MetricTemplate {ns}/{template} written by kubectl: spec.query"}] if written else []
    facts = Facts(at=AT, changes={"changes": changes}, changes_id="E1")
    event = {"kind": "Canary", "namespace": ns, "name": canary["metadata"]["name"], "reason": "Synced",
             "message": message, "first_seen": _iso(first_seen), "last_seen": _iso(AT - timedelta(minutes=2))}
    facts.reads[metric_template_empty.READS_KEY] = {"events": [(event, "E3")], "canaries": [(canary, "E4")]}
    return facts


def test_a_prometheus_template_halting_on_no_values_since_its_write_is_named() -> None:
    canary = _canary("storefront", "cart", "error-percentage", "http-errors")
    facts = _facts("storefront", canary, "Halt advancement no values found for custom metric: error-percentage",
                   AT - timedelta(minutes=30), AT - timedelta(minutes=45), "http-errors")
    [g] = metric_template_empty.found(facts)
    assert (str(g.template), g.metric, g.shape) == ("MetricTemplate storefront/http-errors", "error-percentage",
                                                     "empty")
    [(ref, finding, evidence, _)] = [s for s in behind.suspects(facts) if s[1]["check"] == gate_baseline.CHECK]
    assert str(ref) == "MetricTemplate storefront/http-errors" and evidence == ["E1", "E4", "E3"]
    assert "returns nothing" in finding["message"] and "Canary storefront/cart" in finding["message"]


def test_a_datadog_template_whose_query_answers_an_empty_response_is_named() -> None:
    canary = _canary("media", "transcoder", "p95-ms", "dd-latency")
    facts = _facts("media", canary, "Metric query failed for p95-ms: datadog: empty result for series",
                   AT - timedelta(minutes=10), AT - timedelta(hours=3), "dd-latency")
    assert [g.metric for g in metric_template_empty.found(facts)] == ["p95-ms"]


def test_no_data_before_the_write_another_template_or_no_write_names_nothing() -> None:
    halt = "Halt advancement no values found for custom metric: error-percentage"
    canary = _canary("storefront", "cart", "error-percentage", "http-errors")
    early = _facts("storefront", canary, halt, AT - timedelta(hours=2), AT - timedelta(minutes=45), "http-errors")
    assert metric_template_empty.found(early) == []  # already empty before the write
    other = _facts("storefront", canary, halt, AT - timedelta(minutes=30), AT - timedelta(minutes=45), "http-5xx")
    assert metric_template_empty.found(other) == []  # the written template is not the one the metric uses
    unwritten = _facts("storefront", canary, halt, AT - timedelta(minutes=30), None, "http-errors")
    assert metric_template_empty.found(unwritten) == []


def test_read_keeps_no_data_events_and_the_canary_they_name() -> None:
    canary = _canary("storefront", "cart", "error-percentage", "http-errors")
    events = [{"kind": "Canary", "namespace": "storefront", "name": "cart", "reason": "Synced",
               "message": "Halt advancement no values found for custom metric: error-percentage",
               "first_seen": _iso(AT - timedelta(minutes=30))},
              {"kind": "Canary", "namespace": "storefront", "name": "cart", "reason": "Synced",
               "message": "Advance cart.storefront canary weight 20"}]
    hub = RecordingHub(objects={("Canary", "storefront", "cart"): canary},
                       answers={"k8s_events": ToolOutcome(evidence_id="E9", tool="k8s_events", arguments={}, ok=True,
                                                          text="", data={"events": events})})
    facts = _facts("storefront", canary, "", AT, AT - timedelta(minutes=45), "http-errors")
    del facts.reads[metric_template_empty.READS_KEY]
    asyncio.run(metric_template_empty.read("storefront", facts, hub))
    kept = facts.reads[metric_template_empty.READS_KEY]
    assert len(kept["events"]) == 1 and len(kept["canaries"]) == 1
    assert [g.metric for g in metric_template_empty.found(facts)] == ["error-percentage"]
