"""agent.triage.scrape_window: a scrape interval raised to half a consumer's rate() window empties the metric.

Shapes: a ServiceMonitor in the HPA's namespace whose endpoint interval is now 2m, the prometheus-adapter rules
(found by listing ConfigMaps: no adapter workload was found) computing the HPA's `jobs_done_per_second` with
`rate([2m])`; a PodMonitor elsewhere with `namespaceSelector: any` whose timeline diff says `interval: 15s -> 1m`,
the adapter's rule using `[1m]`. Twins: an interval of 30s under a 2m range (four samples); an interval that
already left one sample per window before the write (`2m -> 3m`); a ServiceMonitor in another namespace that does
not select the HPA's.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import scrape_window as sw
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def adapter(window: str) -> dict[str, Any]:
    rules = ("rules:\n- seriesQuery: 'jobs_done_total{namespace!=\"\",pod!=\"\"}'\n"
             "  name: {matches: \"^(.*)_total$\", as: \"${1}_per_second\"}\n"
             f"  metricsQuery: 'sum(rate(<<.Series>>{{<<.LabelMatchers>>}}[{window}])) by (<<.GroupBy>>)'\n")
    return {"kind": "ConfigMap", "metadata": {"name": "custom-metrics-adapter", "namespace": "observability"},
            "data": {"config.yaml": rules}}


def hpa() -> dict[str, Any]:
    return {"kind": "HorizontalPodAutoscaler", "metadata": {"name": "worker", "namespace": "jobs"},
            "status": {"conditions": [{"type": "ScalingActive", "status": "False", "reason": "FailedGetPodsMetric",
                                       "message": "the HPA was unable to compute the replica count: unable to get "
                                                  "metric jobs_done_per_second: unable to fetch metrics from custom "
                                                  "metrics API: the server could not find the metric "
                                                  "jobs_done_per_second for pods",
                                       "lastTransitionTime": iso(AT - timedelta(minutes=50))}]}}


def monitor(kind: str, ns: str, interval: str, selector: dict[str, Any] | None = None) -> dict[str, Any]:
    key = "podMetricsEndpoints" if kind == "PodMonitor" else "endpoints"
    spec: dict[str, Any] = {key: [{"port": "metrics", "interval": interval}], "selector": {"matchLabels": {}}}
    if selector is not None:
        spec["namespaceSelector"] = selector
    return {"kind": kind, "metadata": {"name": "worker-metrics", "namespace": ns}, "spec": spec}


def run(obj: dict[str, Any], window: str, diff: list[str] | None = None) -> Facts:
    meta = obj["metadata"]
    change = {"at": iso(AT - timedelta(hours=1)), "type": "other",
              "object": {"kind": obj["kind"], "namespace": meta["namespace"], "name": meta["name"]},
              "summary": f"{obj['kind']} {meta['namespace']}/{meta['name']} written by argocd-controller: endpoints",
              "diff": diff or []}
    hub = RecordingHub(objects={(obj["kind"], meta["namespace"], meta["name"]): obj,
                                ("ConfigMap", "observability", "custom-metrics-adapter"): adapter(window)},
                       lists={("ConfigMap", ""): [{"name": "custom-metrics-adapter", "namespace": "observability"},
                                                  {"name": "kube-root-ca.crt", "namespace": "jobs"}]})
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="C1")
    facts.objects.append((hpa(), "E0"))
    asyncio.run(sw.read(Subject(namespace="jobs", names=["worker"]), facts, hub, iso(AT)))
    return facts


def test_servicemonitor_interval_reaching_the_adapters_window() -> None:
    hits = sw.suspects(run(monitor("ServiceMonitor", "jobs", "2m"), "2m"))
    assert len(hits) == 1
    ref, finding, _, explained = hits[0]
    assert (ref.kind, ref.name) == ("ServiceMonitor", "worker-metrics")
    head = finding["message"][:400]
    assert "scrape interval is now 2m" in head and "rate()" in head and "jobs_done_per_second" in head
    assert "FailedGetPodsMetric" in finding["message"]
    assert explained and explained[0].kind == "HorizontalPodAutoscaler"


def test_podmonitor_any_namespace_with_the_old_interval_in_the_diff() -> None:
    facts = run(monitor("PodMonitor", "platform", "1m", {"any": True}), "1m", ["interval: '15s' -> '1m'"])
    hits = sw.found(facts)
    assert len(hits) == 1 and hits[0].was == 15 and hits[0].interval == 60
    assert "(was 15s)" in sw.finding(hits[0], AT)["message"]


def test_interval_well_under_the_window_is_not_blamed() -> None:
    assert sw.found(run(monitor("ServiceMonitor", "jobs", "30s"), "2m")) == []


def test_window_already_too_short_before_the_write_is_not_blamed() -> None:
    assert sw.found(run(monitor("ServiceMonitor", "jobs", "3m"), "2m", ["interval: 2m -> 3m"])) == []


def test_monitor_of_another_namespace_is_not_blamed() -> None:
    assert sw.found(run(monitor("ServiceMonitor", "platform", "2m"), "2m")) == []


def test_intervals_read_from_a_prometheus_config() -> None:
    cm = {"kind": "ConfigMap", "data": {"prometheus.yml": "global:\n  scrape_interval: 1m\nscrape_configs:\n"
                                                          "- job_name: a\n  scrape_interval: 2m\n"}}
    assert sorted(sw.intervals(cm)) == [60, 120]
    assert sw.seconds("1m30s") == 90 and sw.seconds("x") is None
