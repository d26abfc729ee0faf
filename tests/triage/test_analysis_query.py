"""agent.triage.analysis_query: a canary analysis failing on its template's query names the template.

Shapes: an Argo Rollouts ClusterAnalysisTemplate whose Prometheus query now names a metric the app does not
export (the AnalysisRun errors with `reflect: slice index out of range`, its Rollout aborts), read end to end
through `read` with a hub double answering k8s_get and prom_query as the servers do; a Flagger MetricTemplate
whose query selects no series for the Canary's target (the Canary fails with `no values found`). Twins: the
query's metric has series (the failure is the release's own), and a failing run that used another template.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import yaml

from agent.toolhub import ToolOutcome
from agent.triage import rank, subject_of
from agent.triage.analysis_query import STORE, found, read, selectors, substitute
from agent.triage.facts import Facts, Ref
from tests.triage.doubles import outcome
from tests.triage.test_rank import alert

AT = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
QUERY = ('sum(rate(http_server_requests_seconds_count{app="{{args.app}}",code!~"5.."}[5m])) / '
         'sum(rate(http_server_requests_seconds_count{app="{{args.app}}"}[5m]))')
TEMPLATE = {"apiVersion": "argoproj.io/v1alpha1", "kind": "ClusterAnalysisTemplate",
            "metadata": {"name": "error-ratio"},
            "spec": {"metrics": [{"name": "error-ratio", "successCondition": "result[0] >= 0.99",
                                  "provider": {"prometheus": {"query": QUERY}}}]}}
ERROR = ('Metric "error-ratio" assessed Error due to consecutiveErrors (5) > consecutiveErrorLimit (4): '
         '"Error Message: reflect: slice index out of range"')


def _run(query: str = QUERY) -> dict[str, Any]:
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "AnalysisRun",
            "metadata": {"name": "orders-7c9-12-2", "namespace": "shop",
                         "ownerReferences": [{"kind": "Rollout", "name": "orders", "controller": True}]},
            "spec": {"args": [{"name": "app", "value": "orders"}],
                     "metrics": [{"name": "error-ratio", "provider": {"prometheus": {"query": query}}}]},
            "status": {"phase": "Error", "message": ERROR}}


def _changes() -> dict[str, Any]:
    return {"changes": [
        {"at": "2026-09-01T11:50:00Z", "type": "created", "object": {"kind": "AnalysisRun", "namespace": "shop",
                                                                      "name": "orders-7c9-12-2"},
         "summary": "AnalysisRun shop/orders-7c9-12-2 created", "diff": []},
        {"at": "2026-09-01T08:00:00Z", "type": "other",
         "object": {"kind": "ClusterAnalysisTemplate", "namespace": "", "name": "error-ratio"},
         "summary": "ClusterAnalysisTemplate error-ratio written by argocd-controller (generation 4): spec.metrics",
         "diff": ["spec.metrics = [...]"]}]}


def _read(series: bool, run: dict[str, Any], whole: str = "") -> tuple[Facts, list[str]]:
    facts = Facts(at=AT, scan={"findings": []}, scan_id="E1", changes=_changes(), changes_id="E2")
    asked: list[str] = []

    async def call(tool: str, args: dict[str, Any], step: str) -> ToolOutcome:
        if tool == "k8s_get":
            obj = TEMPLATE if args["kind"] == "ClusterAnalysisTemplate" else run
            return outcome(True, full_text=yaml.safe_dump(obj), evidence_id=f"E{len(asked) + 3}")
        asked.append(args["query"])
        if whole and not args["query"].startswith("count"):
            return outcome(True, {"samples": [{"labels": {}, "value": whole}]}, evidence_id="E10")
        if args["query"].startswith("count by (__name__)"):
            return outcome(True, {"samples": [{"labels": {"__name__": "http_requests_total"}, "value": 3}]})
        return outcome(True, {"samples": [{"labels": {}, "value": 4}] if series else []}, evidence_id="E9")

    asyncio.run(read(facts, call, "2026-09-01T12:00:00Z"))
    return facts, asked


def test_an_argo_template_whose_query_selects_nothing_is_the_culprit() -> None:
    facts, asked = _read(False, _run())
    assert 'count(http_server_requests_seconds_count{app="orders",code!~"5.."})' in asked
    top = rank(subject_of(alert(alertname="RolloutAborted", namespace="shop", rollout="orders")), facts)[0]
    assert top.ref == Ref("ClusterAnalysisTemplate", "", "error-ratio")
    head = top.cause[:400]
    assert "empty result" in head and "http_server_requests_seconds_count" in head
    assert "slice index out of range" in head and "Rollout shop/orders" in top.cause
    [bad] = found(facts)
    assert bad.exported == ["http_requests_total"], "the names the app does export are offered"


def test_twin_the_metric_has_series_so_the_template_is_not_blamed() -> None:
    facts, _ = _read(True, _run())
    assert not found(facts)


def test_a_query_answering_nan_is_the_templates_too() -> None:
    facts, asked = _read(True, _run(), whole="NaN")
    assert substitute(QUERY, {"app": "orders"}) in asked
    [bad] = found(facts)
    assert bad.result == "NaN" and bad.template.name == "error-ratio"
    facts, _ = _read(True, _run(), whole="0.97")
    assert not found(facts), "a real value below the condition is the release's own failure"


def test_twin_a_failed_run_of_another_template_is_not_this_ones() -> None:
    facts, asked = _read(False, _run(query="sum(rate(grpc_server_handled_total[5m]))"))
    assert not asked and not found(facts)


def test_a_flagger_metric_template_whose_query_selects_nothing() -> None:
    template = {"apiVersion": "flagger.app/v1beta1", "kind": "MetricTemplate",
                "metadata": {"name": "not-found-percentage", "namespace": "web"},
                "spec": {"provider": {"type": "prometheus"}, "query": 'sum(rate(istio_requests_total{'
                         'destination_workload="{{ target }}",response_code="404"}[1m]))'}}
    canary = {"apiVersion": "flagger.app/v1beta1", "kind": "Canary",
              "metadata": {"name": "frontend", "namespace": "web"},
              "spec": {"targetRef": {"kind": "Deployment", "name": "frontend"},
                       "analysis": {"metrics": [{"name": "404s", "templateRef": {"name": "not-found-percentage"}}]}},
              "status": {"phase": "Failed", "conditions": [
                  {"type": "Promoted", "status": "False", "message": "Canary analysis failed, Deployment scaled to "
                   "zero. Halt advancement no values found for custom metric: 404s"}]}}
    facts = Facts(at=AT, changes={"changes": [
        {"at": "2026-09-01T10:00:00Z", "type": "other", "object": {"kind": "MetricTemplate", "namespace": "web",
                                                                    "name": "not-found-percentage"},
         "summary": "MetricTemplate web/not-found-percentage written by kubectl: spec.query", "diff": []}]},
        changes_id="E2")
    selector = '{destination_workload="frontend",response_code="404"}'
    facts.reads[STORE] = {"templates": [(template, "E4")], "runs": [(canary, "E5")],
                          "series": {f"istio_requests_total{selector}": (False, "E6")}, "exported": {}}
    [bad] = found(facts)
    assert bad.template == Ref("MetricTemplate", "web", "not-found-percentage") and bad.owner == Ref(
        "Canary", "web", "frontend") and "no values found" in bad.failed


def test_read_lists_the_canaries_of_a_written_metric_template() -> None:
    template = {"kind": "MetricTemplate", "metadata": {"name": "latency", "namespace": "web"},
                "spec": {"query": 'histogram_quantile(0.99, sum by (le) (rate(req_seconds_bucket{app="{{ target }}"}'
                                  '[1m])))'}}
    canary = {"kind": "Canary", "metadata": {"name": "frontend", "namespace": "web"},
              "spec": {"targetRef": {"name": "frontend"},
                       "analysis": {"metrics": [{"templateRef": {"name": "latency"}}]}},
              "status": {"phase": "Failed", "message": "Halt advancement no values found for custom metric: latency"}}
    facts = Facts(at=AT, changes={"changes": [
        {"at": "2026-09-01T10:00:00Z", "type": "other", "object": {"kind": "MetricTemplate", "namespace": "web",
                                                                    "name": "latency"}, "summary": "", "diff": []}]})
    asked: list[tuple[str, str]] = []

    async def call(tool: str, args: dict[str, Any], step: str) -> ToolOutcome:
        asked.append((tool, str(args.get("query") or args.get("kind"))))
        if tool == "k8s_list":
            return outcome(True, {"rows": [{"name": "frontend"}]})
        if tool == "k8s_get":
            return outcome(True, full_text=yaml.safe_dump(template if args["kind"] == "MetricTemplate" else canary))
        return outcome(True, {"samples": []}, evidence_id="E9")

    asyncio.run(read(facts, call, "2026-09-01T12:00:00Z"))
    assert ("prom_query", 'count(req_seconds_bucket{app="frontend"})') in asked
    [bad] = found(facts)
    assert bad.owner == Ref("Canary", "web", "frontend") and bad.metric == "req_seconds_bucket"


def test_selectors_leave_functions_keywords_and_grouping_labels_out() -> None:
    assert selectors('histogram_quantile(0.99, sum by (le, pod) (rate(req_seconds_bucket{job="a"}[5m])))') == [
        ("req_seconds_bucket", '{job="a"}')]
    assert substitute('x{a="{{args.svc}}",b="{{ namespace }}"}', {"svc": "s", "namespace": "n"}) == 'x{a="s",b="n"}'
