"""analysis_query against providers and wordings it was not built from (issue #12: build for the class).

Round 27 gave one shape (an Argo Rollouts ClusterAnalysisTemplate's Prometheus query naming a metric the app does
not export). The class: a written analysis template whose query answers nothing, failing every release measured
with it. Prometheus can be asked; other providers cannot, so what they answered is read from the run itself.
Shapes here: an Argo Rollouts AnalysisTemplate with a Datadog query whose measurements stored an empty list and
errored on `result[0]`; a New Relic NRQL query whose measurements stored null; a Flagger MetricTemplate of provider
type datadog whose Canary halted with `no values found`. Twins: a Datadog run that errored on a 401 (credentials,
not the query), a run whose query answered a real value that failed the condition (the release's own failure),
and a Flagger template of another provider type, which is never asked of Prometheus.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agent.triage import rank, subject_of
from agent.triage.analysis_query import STORE, _queries, finding, found, other_queries
from agent.triage.facts import Facts, Ref
from tests.triage.test_rank import alert

AT = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
DD_QUERY = ("sum:trace.http.request.errors{service:{{args.service-name}}}.as_count() / "
            "sum:trace.http.request.hits{service:{{args.service-name}}}.as_count()")
NRQL = ("SELECT percentage(count(*), WHERE httpResponseCode LIKE '5%') FROM Transaction WHERE "
        "appName = '{{args.service-name}}' SINCE 5 minutes ago")
EMPTY_ERROR = ('Metric "error-rate" assessed Error due to consecutiveErrors (5) > consecutiveErrorLimit (4): '
               '"Error Message: reflect: slice index out of range"')


def _template(provider: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "AnalysisTemplate",
            "metadata": {"name": "error-rate", "namespace": "payments"},
            "spec": {"args": [{"name": "service-name"}], "metrics": [
                {"name": "error-rate", "successCondition": "result[0] <= 0.01", "provider": provider}]}}


def _run(provider: dict[str, Any], value: str, message: str, phase: str = "Error") -> dict[str, Any]:
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "AnalysisRun",
            "metadata": {"name": "checkout-6f7d8-9-2", "namespace": "payments",
                         "ownerReferences": [{"kind": "Rollout", "name": "checkout", "controller": True}]},
            "spec": {"args": [{"name": "service-name", "value": "checkout"}],
                     "metrics": [{"name": "error-rate", "provider": provider}]},
            "status": {"phase": phase, "message": message, "metricResults": [
                {"name": "error-rate", "phase": phase, "message": message, "measurements": [
                    {"phase": phase, "value": value, "message": message if phase == "Error" else ""}]}]}}


def _facts(template: dict[str, Any], run: dict[str, Any]) -> Facts:
    kind, ns, name = template["kind"], template["metadata"]["namespace"], template["metadata"]["name"]
    facts = Facts(at=AT, scan={"findings": []}, scan_id="E1", changes={"changes": [
        {"at": "2026-09-01T09:00:00Z", "type": "other", "object": {"kind": kind, "namespace": ns, "name": name},
         "summary": f"{kind} {ns}/{name} written by argocd-controller (generation 3): spec.metrics", "diff": []}]},
        changes_id="E2")
    facts.reads[STORE] = {"templates": [(template, "E4")], "runs": [(run, "E5")], "series": {}, "exported": {},
                          "whole": {}}
    return facts


def test_a_datadog_query_that_answers_an_empty_list_is_the_templates() -> None:
    provider = {"datadog": {"apiVersion": "v2", "interval": "5m", "query": DD_QUERY}}
    facts = _facts(_template(provider), _run(provider, "[]", EMPTY_ERROR))
    [bad] = found(facts)
    assert bad.provider == "datadog" and bad.result == "empty" and "service:checkout" in bad.selector
    top = rank(subject_of(alert(alertname="RolloutAborted", namespace="payments", rollout="checkout")), facts)[0]
    assert top.ref == Ref("AnalysisTemplate", "payments", "error-rate")
    head = top.cause[:400]
    assert "datadog provider answers with no data: an empty result" in head and "slice index out of range" in head
    assert "Rollout payments/checkout has every canary aborted" in finding(bad)["message"]


def test_a_new_relic_nrql_query_whose_measurements_are_null() -> None:
    provider = {"newRelic": {"profile": "default", "query": NRQL}}
    [bad] = found(_facts(_template(provider), _run(provider, "null", "Metric \"error-rate\" assessed Error")))
    assert bad.provider == "newRelic" and "appName = 'checkout'" in bad.selector


def test_a_flagger_datadog_metric_template_read_from_the_canarys_halt() -> None:
    template = {"apiVersion": "flagger.app/v1beta1", "kind": "MetricTemplate",
                "metadata": {"name": "error-rate", "namespace": "payments"},
                "spec": {"provider": {"type": "datadog", "address": "https://api.datadoghq.eu"},
                         "query": "100 - (sum:istio.mesh.request.count{destination_workload:{{ target }},"
                                  "response_code:5*}.as_count())"}}
    canary = {"apiVersion": "flagger.app/v1beta1", "kind": "Canary",
              "metadata": {"name": "checkout", "namespace": "payments"},
              "spec": {"targetRef": {"kind": "Deployment", "name": "checkout"}, "analysis": {"metrics": [
                  {"name": "error-rate", "templateRef": {"name": "error-rate"}}]}},
              "status": {"phase": "Failed", "conditions": [{"type": "Promoted", "status": "False", "message":
                         "Halt advancement no values found for custom metric: error-rate"}]}}
    assert _queries(template) == [], "a Datadog query is never sent to Prometheus"
    [bad] = found(_facts(template, canary))
    assert bad.provider == "datadog" and bad.owner == Ref("Canary", "payments", "checkout")
    assert "destination_workload:checkout" in bad.selector


def test_twin_a_provider_refusing_credentials_is_not_an_empty_query() -> None:
    provider = {"datadog": {"query": DD_QUERY}}
    run = _run(provider, "", 'Metric "error-rate" assessed Error: "Error Message: received non 2xx response code: '
               '403 {\\"errors\\": [\\"Forbidden\\"]}"')
    assert found(_facts(_template(provider), run)) == []


def test_twin_a_real_value_failing_the_condition_is_the_releases_own() -> None:
    provider = {"datadog": {"query": DD_QUERY}}
    run = _run(provider, "0.074", 'Metric "error-rate" assessed Failed due to failed (3) > failureLimit (2)',
               phase="Failed")
    assert found(_facts(_template(provider), run)) == []
    assert other_queries(_template({"prometheus": {"query": "sum(up)"}})) == []
