"""agent.triage.alert_rule: a rule written twitchy (no for:, a short window) pages on blips of a healthy service.

Shapes: a PrometheusRule whose error-ratio alert lost its `for:` and has a 1m window, flapping (8 changes of its
ALERTS signal) while the ratio over 15m is below the threshold; a Prometheus rules file in a ConfigMap whose alert
has `for: 0s` and a 30s window, with kubectl's last-applied annotation holding the old `for: 10m` over 5m.
Twins: the same rule while the condition holds over 15m too (the service is failing); a rule that waits
(`for: 10m`, 5m window); an alert that fired once and stayed firing (2 changes).
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from agent.triage import alert_rule as ar
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.doubles import Call, RecordingHub, outcome

AT = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)
EXPR_1M = ('sum(rate(http_requests_total{service="cart",code=~"5.."}[1m])) / '
           'sum(rate(http_requests_total{service="cart"}[1m])) > 0.02')


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def write(kind: str, name: str, ns: str = "shop") -> dict[str, Any]:
    return {"at": iso(AT - timedelta(hours=3)), "type": "other",
            "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} written by kubectl-edit: alert rules", "diff": []}


def prom(changes: float, sustained: bool) -> Any:
    def answer(call: Call, eid: str) -> Any:
        query = str(call.args.get("query"))
        if query.startswith("changes("):
            return outcome(True, {"samples": [{"value": changes}]}, evidence_id=eid)
        if "max_over_time(ALERTS" in query:
            return outcome(True, {"samples": [{"value": 1}]}, evidence_id=eid)
        if "[15m]" in query:
            return outcome(True, {"samples": [{"value": 0.05}] if sustained else []}, evidence_id=eid)
        return outcome(True, {"samples": []}, evidence_id=eid)
    return answer


def rule_object(rule: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "PrometheusRule", "metadata": {"name": "cart-alerts", "namespace": "shop"},
            "spec": {"groups": [{"name": "cart", "rules": [rule]}]}}


def run(objects: dict[Any, Any], changes: list[dict[str, Any]], flaps: float, sustained: bool) -> Facts:
    hub = RecordingHub(objects=objects, answers={"prom_query": prom(flaps, sustained)})
    facts = Facts(at=AT, changes={"changes": changes}, changes_id="C1")
    asyncio.run(ar.read(Subject(namespace="shop", names=["cart"]), facts, hub, iso(AT)))
    return facts


def test_prometheusrule_without_for_flapping_on_a_healthy_service() -> None:
    obj = rule_object({"alert": "CartErrorRatioHigh", "expr": EXPR_1M})
    facts = run({("PrometheusRule", "shop", "cart-alerts"): obj}, [write("PrometheusRule", "cart-alerts")], 8, False)
    hits = ar.suspects(facts)
    assert len(hits) == 1
    ref, finding, _, _ = hits[0]
    assert (ref.kind, ref.name) == ("PrometheusRule", "cart-alerts")
    head = finding["message"][:400]
    assert "flapping" in head and "rate window" in head and "no for:" in head and "4 firing episodes" in head


def test_rules_file_in_a_configmap_names_what_it_had_before() -> None:
    rule = {"alert": "QueueLagHigh", "expr": "max(rate(consumer_lag_total[30s])) > 100", "for": "0s"}
    old = {"data": {"rules.yaml": yaml.safe_dump({"groups": [{"name": "q", "rules": [
        {**rule, "expr": "max(rate(consumer_lag_total[5m])) > 100", "for": "10m"}]}]})}}
    cm = {"kind": "ConfigMap", "metadata": {"name": "prometheus-rules", "namespace": "monitoring", "annotations": {
        "kubectl.kubernetes.io/last-applied-configuration": json.dumps(old)}},
        "data": {"rules.yaml": yaml.safe_dump({"groups": [{"name": "q", "rules": [rule]}]})}}
    facts = run({("ConfigMap", "monitoring", "prometheus-rules"): cm},
                [write("ConfigMap", "prometheus-rules", "monitoring")], 6, False)
    hits = ar.found(facts)
    assert len(hits) == 1 and hits[0].alert == "QueueLagHigh"
    message = ar.finding(hits[0], AT)["message"]
    assert "for: 0s" in message and "30s rate window" in message and "for: 10m" in message


def test_condition_holding_over_the_long_window_is_the_service() -> None:
    obj = rule_object({"alert": "CartErrorRatioHigh", "expr": EXPR_1M})
    facts = run({("PrometheusRule", "shop", "cart-alerts"): obj}, [write("PrometheusRule", "cart-alerts")], 8, True)
    assert ar.found(facts) == []


def test_rule_that_waits_is_not_blamed() -> None:
    obj = rule_object({"alert": "CartErrorRatioHigh", "expr": EXPR_1M.replace("[1m]", "[5m]"), "for": "10m"})
    facts = run({("PrometheusRule", "shop", "cart-alerts"): obj}, [write("PrometheusRule", "cart-alerts")], 8, False)
    assert ar.found(facts) == []


def test_alert_that_fired_once_is_not_flapping() -> None:
    obj = rule_object({"alert": "CartErrorRatioHigh", "expr": EXPR_1M})
    facts = run({("PrometheusRule", "shop", "cart-alerts"): obj}, [write("PrometheusRule", "cart-alerts")], 1, False)
    assert ar.found(facts) == []


def test_durations_and_ranges() -> None:
    assert ar.duration("1h30m") == timedelta(minutes=90)
    assert ar.duration("abc") is None
    assert ar.shortest_range("rate(x[5m]) / rate(y[90s])") == timedelta(seconds=90)
    assert ar.twitchy({"expr": "rate(x[5m]) > 1", "for": "10m"}) == []
