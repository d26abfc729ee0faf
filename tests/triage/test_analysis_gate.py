"""An Argo Rollouts analysis template rewritten before the analysis failed, where the gate changed and the release
did not (agent.triage.analysis_gate, ranked through agent.triage.gate_baseline's check).

Two shapes: an AnalysisTemplate whose error-ratio condition was tightened (the failing run measures what earlier
runs passed), and a ClusterAnalysisTemplate whose Datadog query was pointed at a series that returns nothing.
Twins: a real regression under an unchanged template, a template written after the failure, values far from what
passed before, an earlier run that judged the metric the same way, and a run read through a recorded hub.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import analysis_gate, behind, gate_baseline
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _metric(name: str, condition: str, query: str, provider: str = "prometheus") -> dict[str, Any]:
    return {"name": name, "successCondition": condition, "failureLimit": 2, "provider": {provider: {"query": query}}}


def _template(kind: str, ns: str, name: str, metric: dict[str, Any]) -> dict[str, Any]:
    meta = {"name": name} | ({"namespace": ns} if ns else {})
    return {"kind": kind, "metadata": meta, "spec": {"metrics": [metric]}}


def _run(name: str, ns: str, created: datetime, metric: dict[str, Any], phase: str, values: list[str],
         messages: list[str] | None = None) -> dict[str, Any]:
    measured = [{"phase": phase if phase != "Successful" else "Successful", "value": v,
                 "message": (messages or [""] * len(values))[i]} for i, v in enumerate(values)]
    return {"kind": "AnalysisRun", "metadata": {"name": name, "namespace": ns, "creationTimestamp": _iso(created)},
            "spec": {"metrics": [metric]},
            "status": {"phase": phase, "metricResults": [{"name": metric["name"], "phase": phase,
                                                           "measurements": measured}]}}


def _facts(template: dict[str, Any], runs: list[dict[str, Any]], written: datetime | None) -> Facts:
    meta = template["metadata"]
    changes = [{"at": _iso(written), "type": "update",
                "object": {"kind": template["kind"], "namespace": meta.get("namespace", ""), "name": meta["name"]},
                "summary": f"{template['kind']} {meta['name']} written by argocd-controller"}] if written else []
    facts = Facts(at=AT, changes={"changes": changes}, changes_id="E1")
    facts.reads[analysis_gate.READS_KEY] = {"templates": [(template, "E2")],
                                            "runs": [(r, f"R{i}") for i, r in enumerate(runs)]}
    return facts


OLD = _metric("error-ratio", "result[0] <= 0.05", 'sum(rate(http_errors_total{app="{{args.app}}"}[5m]))')
NEW = _metric("error-ratio", "result[0] <= 0.005", 'sum(rate(http_errors_total{app="{{args.app}}"}[5m]))')
NEW_RUN = _metric("error-ratio", "result[0] <= 0.005", 'sum(rate(http_errors_total{app="orders"}[5m]))')
OLD_RUN = _metric("error-ratio", "result[0] <= 0.05", 'sum(rate(http_errors_total{app="orders"}[5m]))')


def _tightened(values: list[str], written: datetime | None = AT - timedelta(hours=2),
               earlier: dict[str, Any] = OLD_RUN) -> Facts:
    template = _template("AnalysisTemplate", "checkout", "error-ratio", NEW)
    runs = [_run("orders-6f9c-4-1", "checkout", AT - timedelta(hours=5), earlier, "Successful", ["[0.012]", "[0.011]"]),
            _run("orders-7d2b-5-1", "checkout", AT - timedelta(minutes=40), NEW_RUN, "Failed", values)]
    return _facts(template, runs, written)


def test_a_tightened_success_condition_failing_the_values_that_passed_before_is_named() -> None:
    facts = _tightened(["[0.011]", "[0.013]"])
    [g] = analysis_gate.found(facts)
    assert (g.shape, g.metric, g.run) == ("tightened", "error-ratio", "AnalysisRun orders-7d2b-5-1")
    [(ref, finding, evidence, _)] = [s for s in behind.suspects(facts) if s[1]["check"] == gate_baseline.CHECK]
    assert str(ref) == "AnalysisTemplate checkout/error-ratio" and evidence == ["E1", "E2", "R1", "R0"]
    assert "result[0] <= 0.005" in finding["message"] and "0.0115" in finding["message"]
    assert finding["reason"] == "AnalysisGateTightened"


def test_a_cluster_template_whose_query_now_returns_nothing_is_named() -> None:
    old = _metric("p90-latency", "all(result, # < 300)", "avg:trace.http.request.duration.by.service.90p{*}",
                  "datadog")
    new = _metric("p90-latency", "all(result, # < 300)", "avg:trace.http.request.latency.p90{service:{{args.svc}}}",
                  "datadog")
    ran = _metric("p90-latency", "all(result, # < 300)", "avg:trace.http.request.latency.p90{service:search}",
                  "datadog")
    template = _template("ClusterAnalysisTemplate", "", "p90-latency", new)
    runs = [_run("search-5b-2-3", "web", AT - timedelta(days=1), old, "Successful", ["[212.5]"]),
            _run("search-8c-3-3", "web", AT - timedelta(minutes=25), ran, "Error", ["", ""],
                 ["Datadog returned no data for the query", "no data"])]
    [g] = analysis_gate.found(_facts(template, runs, AT - timedelta(minutes=50)))
    assert (g.shape, str(g.template)) == ("empty", "ClusterAnalysisTemplate p90-latency")
    assert "latency.p90" in analysis_gate.finding(g, AT, gate_baseline.CHECK)["message"]


def test_a_real_regression_under_an_unchanged_template_or_far_values_is_not_the_gate() -> None:
    assert analysis_gate.found(_tightened(["[0.011]"], written=None)) == []  # no write in the window
    assert analysis_gate.found(_tightened(["[0.09]", "[0.12]"])) == []  # the new version errs ten times as often


def test_a_template_written_after_the_failure_or_judged_the_same_way_before_is_not_named() -> None:
    assert analysis_gate.found(_tightened(["[0.011]"], written=AT - timedelta(minutes=20))) == []
    # the earlier run already used this condition: the write changed something else of the template
    assert analysis_gate.found(_tightened(["[0.011]"], earlier=NEW_RUN)) == []


def test_values_present_but_no_earlier_run_is_unknown_and_empty_without_a_write_is_nothing() -> None:
    template = _template("AnalysisTemplate", "checkout", "error-ratio", NEW)
    alone = [_run("orders-7d2b-5-1", "checkout", AT - timedelta(minutes=40), NEW_RUN, "Failed", ["[0.011]"])]
    assert analysis_gate.found(_facts(template, alone, AT - timedelta(hours=2))) == []
    empty = [_run("orders-7d2b-5-1", "checkout", AT - timedelta(minutes=40), NEW_RUN, "Error", ["[]"])]
    assert analysis_gate.found(_facts(template, empty, None)) == []
    assert len(analysis_gate.found(_facts(template, empty, AT - timedelta(hours=2)))) == 1


def test_read_takes_the_template_and_runs_on_each_side_of_its_write() -> None:
    template = _template("AnalysisTemplate", "checkout", "error-ratio", NEW)
    before = _run("orders-6f9c-4-1", "checkout", AT - timedelta(hours=5), OLD_RUN, "Successful", ["[0.012]"])
    after = _run("orders-7d2b-5-1", "checkout", AT - timedelta(minutes=40), NEW_RUN, "Failed", ["[0.012]"])
    rows = [{"name": r["metadata"]["name"], "namespace": "checkout", "created": r["metadata"]["creationTimestamp"]}
            for r in (before, after)]
    hub = RecordingHub(objects={("AnalysisTemplate", "checkout", "error-ratio"): template,
                                ("AnalysisRun", "checkout", "orders-6f9c-4-1"): before,
                                ("AnalysisRun", "checkout", "orders-7d2b-5-1"): after},
                       lists={"AnalysisRun": rows})
    facts = _facts(template, [], AT - timedelta(hours=2))
    del facts.reads[analysis_gate.READS_KEY]
    asyncio.run(gate_baseline.read(Subject(namespace="checkout"), facts, hub, _iso(AT)))
    [g] = analysis_gate.found(facts)
    assert g.shape == "tightened" and g.before == [0.012]
