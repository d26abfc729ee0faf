"""Who serves a failing aggregated API, and which workload fills a node's kernel table, judged over the facts.

The client's words are Kubernetes' own: the HPA controller's ScalingActive=False conditions
("FailedGetPodsMetric ... unable to fetch metrics from custom metrics API: the server could not find the metric
...", "FailedGetExternalMetric ... unable to fetch metrics from external metrics API"). ConfigMaps and changes
are as `k8s_get -o yaml` and `k8s_changes` return them; node-exporter gauges and a range's summary are
`prom_query`/`prom_query_range` structured answers (recorded in the documented shape of
mcp_servers/prometheus/answers.py, no server behind them). Two shapes per class, with negative twins.
"""

from __future__ import annotations

from typing import Any

from agent.triage import api_server_of, node_exhaustion, rank, subject_of
from agent.triage.facts import Facts, Ref
from agent.triage.node_exhaustion import TABLES, Exhausted
from tests.triage.test_rank import AT, alert, finding

ADAPTER_RULES = """rules:
- seriesQuery: '{__name__=~"^container_.*",namespace!="",pod!=""}'
  name: {matches: ^container_(.*)_seconds_total$, as: ""}
  metricsQuery: sum(rate(<<.Series>>{<<.LabelMatchers>>}[5m])) by (<<.GroupBy>>)
"""
HPA_WORDS = ("ScalingActive=False FailedGetPodsMetric: the HPA was unable to compute the replica count: unable to get "
             "metric {metric}: unable to fetch metrics from custom metrics API: the server could not find the metric "
             "{metric} for pods")


def adapter_config(rules: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "custom-metrics-config", "namespace": "observability",
                         "labels": {"helm.sh/chart": "prometheus-adapter-4.10.0"}},
            "data": {"config.yaml": rules}}


def api_facts(metric: str, rules: str, *, words: str = HPA_WORDS, write: bool = True) -> Facts:
    facts = Facts(at=AT)
    facts.scan = {"findings": [finding("hpa.metrics_unavailable", "HorizontalPodAutoscaler", "pricing", "pricer",
                                       "HorizontalPodAutoscaler pricing/pricer: cannot scale",
                                       evidence=[words.format(metric=metric)])]}
    facts.scan_id = "E1"
    [served] = api_server_of.failures(facts)
    served.workload = Ref("Deployment", "observability", "custom-metrics-adapter")
    served.via = "APIService v1beta1.custom.metrics.k8s.io"
    served.configmaps = [adapter_config(rules)]
    if write:
        served.writes = [{"at": "2026-05-01T02:00:00Z", "type": "config",
                          "object": {"kind": "ConfigMap", "namespace": "observability",
                                     "name": "custom-metrics-config"},
                          "summary": "ConfigMap observability/custom-metrics-config updated by helm",
                          "diff": ["data key config.yaml set by helm"]}]
    facts.objects.append(({"kind": api_server_of.RECORD_KIND, "served": served}, ""))
    return facts


def test_the_api_group_and_metric_are_read_from_the_client_s_words() -> None:
    facts = api_facts("orders_per_second", ADAPTER_RULES)
    [served] = api_server_of.servers(facts)
    assert (served.group, served.metric) == ("custom.metrics.k8s.io", "orders_per_second")
    external = Facts(at=AT)
    external.scan = {"findings": [finding("hpa.metrics_unavailable", "HorizontalPodAutoscaler", "jobs", "etl",
                                          "FailedGetExternalMetric: the HPA was unable to compute the replica count: "
                                          "unable to get external metric jobs/s0-redis-etl/&LabelSelector{MatchLabels:"
                                          "map[string]string{scaledobject.keda.sh/name: etl,},}: "
                                          "unable to fetch metrics "
                                          "from external metrics API: rpc error: code = Unavailable")]}
    [ext] = api_server_of.failures(external)
    assert (ext.group, ext.metric) == ("external.metrics.k8s.io", "s0-redis-etl")


def test_the_adapter_config_without_the_metric_s_rule_is_the_suspect_over_the_hpa() -> None:
    facts = api_facts("orders_per_second", ADAPTER_RULES)
    top = rank(subject_of(alert(alertname="PricerLatencyHigh", namespace="pricing", deployment="pricer")), facts)[0]
    assert top.ref is not None and (top.ref.kind, top.ref.name) == ("ConfigMap", "custom-metrics-config"), top.cause
    for words in ("no rule naming orders_per_second", "custom.metrics.k8s.io", "FailedGetPodsMetric", "by helm",
                  "10 h before the alert"):
        assert words in top.cause, (words, top.cause)


def test_a_config_that_serves_the_metric_is_not_blamed_for_lacking_it() -> None:
    rules = ADAPTER_RULES + ("- seriesQuery: 'orders_total{namespace!=\"\"}'\n"
                             "  name: {matches: ^(.*)_total$, as: ${1}_per_second}\n")
    facts = api_facts("orders_per_second", rules, write=False)
    [(ref, found, _, _)] = api_server_of.suspects(facts)
    assert ref == Ref("Deployment", "observability", "custom-metrics-adapter"), found["message"]
    assert "no rule" not in found["message"]


def test_words_of_no_aggregated_api_find_nothing() -> None:
    facts = Facts(at=AT)
    facts.scan = {"findings": [finding("hpa.metrics_unavailable", "HorizontalPodAutoscaler", "web", "web",
                                       "missing request for cpu in container web")]}
    assert api_server_of.failures(facts) == []


# ---- a node's kernel table --------------------------------------------------------------------------------------


def node_facts(diff: list[str], at: str = "2026-05-01T11:20:00Z", table: int = 0) -> tuple[Facts, Exhausted]:
    facts = Facts(at=AT)
    facts.changes = {"changes": [
        {"at": at, "type": "rollout", "object": {"kind": "Deployment", "namespace": "crawl", "name": "fetcher"},
         "summary": "Deployment crawl/fetcher rolled out revision 12", "diff": diff, "revision": 12},
        {"at": "2026-05-01T08:00:00Z", "type": "rollout",
         "object": {"kind": "Deployment", "namespace": "web", "name": "frontend"},
         "summary": "Deployment web/frontend rolled out revision 3", "diff": ["web image a:1 -> a:2"]}]}
    found = Exhausted("worker-7", TABLES[table], 262144, 262144, 91000, onset="2026-05-01T11:31:00Z",
                      pods=[("crawl", "fetcher-6d9f8b7c5d-x2x9q"), ("web", "frontend-7b8c9d6f5g-abcde"),
                            ("kube-system", "kube-proxy-4k2jx")], evidence=["E9"])
    node_exhaustion._blame(found, facts)
    facts.objects.append(({"kind": node_exhaustion.RECORD_KIND, "found": found}, ""))
    return facts, found


def test_keep_alive_turned_off_just_before_the_table_filled_is_named_with_its_meaning() -> None:
    facts, found = node_facts(["fetcher env HTTP_KEEP_ALIVE='true' -> HTTP_KEEP_ALIVE='false'"])
    assert found.culprit == Ref("Deployment", "crawl", "fetcher")
    [(_, f, _, explains)] = node_exhaustion.suspects(facts)
    for words in ("conntrack table", "table full", "keep-alive turned off", "11 min before it filled",
                  "HTTP_KEEP_ALIVE 'true' -> 'false'"):
        assert words in f["message"], (words, f["message"])
    assert explains == [Ref("Node", "", "worker-7")]


def test_more_workers_in_a_config_flag_shape_is_a_churn_change_too() -> None:
    facts, found = node_facts(["fetcher args ['--workers=16'] -> ['--workers=400']"], table=1)
    assert found.culprit == Ref("Deployment", "crawl", "fetcher")
    [(_, f, _, _)] = node_exhaustion.suspects(facts)
    assert "file descriptor table" in f["message"] and "more concurrent connections" in f["message"], f["message"]


def test_a_change_long_before_the_onset_blames_no_workload() -> None:
    facts, found = node_facts(["fetcher env HTTP_KEEP_ALIVE='true' -> HTTP_KEEP_ALIVE='false'"],
                              at="2026-04-30T20:00:00Z")
    assert found.culprit is None
    [(ref, f, _, _)] = node_exhaustion.suspects(facts)
    assert ref == Ref("Node", "", "worker-7") and "is full" in f["message"]


def test_a_node_is_named_by_its_short_name_or_full_name_but_not_by_a_prefix_of_another() -> None:
    nodes = ["ip-10-0-2-21.eu-west-1.compute.internal", "ip-10-0-2-2.eu-west-1.compute.internal"]
    assert node_exhaustion._node_of("ip-10-0-2-21", nodes) == nodes[0]
    assert node_exhaustion._node_of("ip-10-0-2-2.eu-west-1.compute.internal", nodes) == nodes[1]
    assert node_exhaustion._node_of("ip-10-0-2", nodes) == ""


def test_a_table_below_the_ratio_is_not_full() -> None:
    labels = {"node": "worker-7", "instance": "10.0.7.7:9100"}
    samples = [({"__name__": "node_nf_conntrack_entries", **labels}, 1000.0),
               ({"__name__": "node_nf_conntrack_entries_limit", **labels}, 262144.0),
               ({"__name__": "node_nf_conntrack_stat_drop_total", **labels}, 50.0)]
    assert node_exhaustion._full("worker-7", samples, set()) is None
    full = [(lab, 262000.0 if lab["__name__"] == "node_nf_conntrack_entries" else v) for lab, v in samples]
    found = node_exhaustion._full("worker-8", full, {"10.0.7.7"})
    assert found is not None and found.table.name == "conntrack table"

