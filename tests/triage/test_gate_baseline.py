"""A Canary latency gate written below what the stable version already measured: Flagger's built-in duration
check (ms) and a custom latency metric (seconds), each with its twin (a baseline inside the gate: the release
regressed; no baseline series; a Canary not written)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import behind, gate_baseline
from agent.triage.facts import Facts

AT = datetime(2026, 7, 9, 18, 0, tzinfo=UTC)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _canary(name: str, metric: str, maximum: float) -> dict[str, Any]:
    return {"kind": "Canary", "metadata": {"name": name, "namespace": "shop"},
            "spec": {"targetRef": {"kind": "Deployment", "name": name},
                     "analysis": {"threshold": 3, "metrics": [
                         {"name": "request-success-rate", "thresholdRange": {"min": 99}},
                         {"name": metric, "thresholdRange": {"max": maximum}}]}}}


def _facts(name: str, metric: str, maximum: float, halt: str, series: dict[str, Any] | None,
           written: bool = True) -> Facts:
    changes = [{"at": _iso(AT - timedelta(minutes=70)), "type": "other",
                "object": {"kind": "Canary", "namespace": "shop", "name": name},
                "summary": f"Canary shop/{name} written", "diff": ["spec.analysis.metrics = [...]"]}] if written else []
    facts = Facts(at=AT, changes={"changes": changes}, changes_id="E2")
    event = {"kind": "Canary", "namespace": "shop", "name": name, "reason": "Synced", "message": halt,
             "first_seen": _iso(AT - timedelta(minutes=30)), "last_seen": _iso(AT - timedelta(minutes=12))}
    facts.reads[gate_baseline.READS_KEY] = {
        "events": [(event, "E10")], "canaries": [(_canary(name, metric, maximum), "E11")],
        "baseline": {f"Canary shop/{name}": ([series] if series else [], "E12")}}
    return facts


def test_a_builtin_duration_gate_below_the_stable_p99_is_named_with_its_setting() -> None:
    series = {"labels": {"__name__": "envoy_upstream_latency_p99_milliseconds", "service": "basket-primary"},
              "value": "610"}
    facts = _facts("basket", "request-duration", 400, "Halt basket.shop advancement request duration 633ms > 400ms",
                   series)
    [g] = gate_baseline.found(facts)
    assert (g.metric, g.threshold, g.baseline) == ("request-duration", 400, 610)
    [(ref, finding, evidence, _)] = [s for s in behind.suspects(facts) if s[1]["check"] == gate_baseline.CHECK]
    assert str(ref) == "Canary shop/basket" and evidence == ["E2", "E11", "E10", "E12"]
    assert "request-duration (thresholdRange max 400)" in finding["message"] and "610 ms" in finding["message"]


def test_a_custom_latency_metric_gate_in_seconds_below_the_baseline_is_named() -> None:
    series = {"labels": {"__name__": "http_server_duration_seconds_p95", "app": "search"}, "value": "0.71"}
    facts = _facts("search", "p95-latency", 0.5, "Halt search.shop advancement p95-latency 0.74 > 0.5", series)
    [g] = gate_baseline.found(facts)
    assert (g.metric, round(g.baseline)) == ("p95-latency", 710)


def test_a_baseline_inside_the_gate_is_a_regressed_release_not_the_gate() -> None:
    series = {"labels": {"__name__": "envoy_upstream_latency_p99_milliseconds", "service": "basket-primary"},
              "value": "180"}
    facts = _facts("basket", "request-duration", 400, "Halt basket.shop advancement request duration 633ms > 400ms",
                   series)
    assert gate_baseline.found(facts) == []


def test_no_baseline_series_or_no_write_names_nothing() -> None:
    halt = "Halt basket.shop advancement request duration 633ms > 400ms"
    assert gate_baseline.found(_facts("basket", "request-duration", 400, halt, None)) == []
    other = {"labels": {"__name__": "envoy_upstream_latency_p99_milliseconds", "service": "payments"}, "value": "900"}
    assert gate_baseline.found(_facts("basket", "request-duration", 400, halt, other)) == []
    series = {"labels": {"__name__": "envoy_upstream_latency_p99_milliseconds", "service": "basket"}, "value": "610"}
    assert gate_baseline.found(_facts("basket", "request-duration", 400, halt, series, written=False)) == []


def test_a_halt_on_a_threshold_the_canary_does_not_hold_names_nothing() -> None:
    series = {"labels": {"__name__": "envoy_upstream_latency_p99_milliseconds", "service": "basket"}, "value": "610"}
    facts = _facts("basket", "request-duration", 500, "Halt basket.shop advancement request duration 633ms > 400ms",
                   series)
    assert gate_baseline.found(facts) == []
