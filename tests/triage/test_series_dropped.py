"""A telemetry write whose rule discards the series an alert reads (agent.triage.series_dropped, alert_series).

Written here, not taken from the held-out bundles. Shapes: a prometheus.yml in a ConfigMap whose remote write gained a
`write_relabel_configs` drop of every `http_.*` series while the alert reads `http_requests_total`; an OpenTelemetry
Collector whose config gained a `filter` processor excluding `grpc_server_handled_total`; an Alloy config whose
`prometheus.relabel` keep list no longer admits the alert's queue-depth series. Negative twins: a drop on other series
(`apiserver_.*_bucket`), a keep list that still admits the series, a scrape job's own keep list, a rule the write's
old side already held, and an incident that names no series (nothing read).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from agent.incident import AlertInstance, Incident
from agent.toolhub import ToolOutcome
from agent.triage import alert_series
from agent.triage import series_dropped as sd
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.doubles import outcome

AT = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)


def _write(kind: str, ns: str, name: str, diff: list[str]) -> dict[str, Any]:
    return {"at": (AT - timedelta(minutes=70)).strftime("%Y-%m-%dT%H:%M:%SZ"), "type": "config",
            "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} updated by argocd", "diff": diff}


def _found(obj: dict[str, Any], change: dict[str, Any], series: list[str]) -> tuple[list[sd.Dropped], list[str]]:
    seen: list[str] = []

    async def call(tool: str, args: dict[str, Any], step: str) -> ToolOutcome | None:
        seen.append(tool)
        return outcome(True, {}, yaml.safe_dump(obj), "E2") if tool == "k8s_get" else None

    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="C1")
    asyncio.run(sd.read(Subject(series=series), facts, call, "2026-11-02T14:00:00Z"))
    return sd.found(facts), seen


PROM_YML = {"global": {"scrape_interval": "30s"},
            "remote_write": [{"url": "https://metrics.example.net/api/v1/write",
                              "write_relabel_configs": [{"source_labels": ["__name__"], "regex": "http_.*",
                                                         "action": "drop"}]}]}


def _configmap(text: str) -> dict[str, Any]:
    return {"kind": "ConfigMap", "metadata": {"name": "prom-server", "namespace": "metrics"},
            "data": {"prometheus.yml": text}}


def test_a_remote_write_drop_of_the_alerts_series_is_named() -> None:
    change = _write("ConfigMap", "metrics", "prom-server", ["data key prometheus.yml changed"])
    [d], _ = _found(_configmap(yaml.safe_dump(PROM_YML)), change, ["http_requests_total"])
    message = sd.finding(d)["message"]
    assert d.series == "http_requests_total" and "drop http_.*" in message and "remote write path" in message


def test_a_collector_filter_excluding_the_alerts_metric_is_named() -> None:
    config = {"receivers": {"otlp": {}}, "processors": {"filter/costs": {"metrics": {"exclude": {
        "match_type": "strict", "metric_names": ["grpc_server_handled_total", "rpc_client_duration"]}}}},
        "service": {"pipelines": {"metrics": {"receivers": ["otlp"], "processors": ["filter/costs"]}}}}
    obj = {"kind": "OpenTelemetryCollector", "metadata": {"name": "edge", "namespace": "otel"},
           "spec": {"mode": "deployment", "config": yaml.safe_dump(config)}}
    change = _write("OpenTelemetryCollector", "otel", "edge", ["spec.config changed"])
    [d], _ = _found(obj, change, ["grpc_server_handled_total"])
    assert "collector's pipeline" in sd.finding(d)["message"]


ALLOY = '''prometheus.relabel "trim" {
  forward_to = [prometheus.remote_write.central.receiver]
  rule {
    source_labels = ["__name__"]
    regex         = "up|process_.*"
    action        = "keep"
  }
}
'''


def test_an_alloy_keep_list_that_no_longer_admits_the_series_is_named() -> None:
    obj = {"kind": "ConfigMap", "metadata": {"name": "alloy", "namespace": "agents"}, "data": {"config.alloy": ALLOY}}
    [d], _ = _found(obj, _write("ConfigMap", "agents", "alloy", ["data key config.alloy changed"]),
                    ["queue_depth_messages"])
    assert d.rule.action == "keep" and "does not admit queue_depth_messages" in sd.finding(d)["message"]


def test_a_drop_of_other_series_names_nothing() -> None:
    other = {**PROM_YML, "remote_write": [{"url": "https://x", "write_relabel_configs": [
        {"source_labels": ["__name__"], "regex": "apiserver_.*_bucket", "action": "drop"}]}]}
    change = _write("ConfigMap", "metrics", "prom-server", ["data key prometheus.yml changed"])
    assert _found(_configmap(yaml.safe_dump(other)), change, ["http_server_duration_seconds_bucket"])[0] == []


def test_a_scrape_jobs_keep_list_names_nothing() -> None:
    job = {"scrape_configs": [{"job_name": "node", "metric_relabel_configs": [
        {"source_labels": ["__name__"], "regex": "node_cpu_seconds_total|node_memory_.*", "action": "keep"}]}]}
    change = _write("ConfigMap", "metrics", "prom-server", ["data key prometheus.yml changed"])
    assert _found(_configmap(yaml.safe_dump(job)), change, ["http_requests_total"])[0] == []


def test_a_keep_list_that_still_admits_the_series_names_nothing() -> None:
    obj = {"kind": "ConfigMap", "metadata": {"name": "alloy", "namespace": "agents"}, "data": {"config.alloy": ALLOY}}
    change = _write("ConfigMap", "agents", "alloy", ["data key config.alloy changed"])
    assert _found(obj, change, ["process_cpu_seconds_total"])[0] == []


def test_a_rule_the_old_side_already_held_names_nothing() -> None:
    change = _write("ConfigMap", "metrics", "prom-server",
                    ["prometheus.yml remote_write regex: http_.* (timeout 30s) -> regex: http_.* (timeout 60s)"])
    assert _found(_configmap(yaml.safe_dump(PROM_YML)), change, ["http_requests_total"])[0] == []


def test_an_incident_naming_no_series_reads_nothing() -> None:
    change = _write("ConfigMap", "metrics", "prom-server", ["data key prometheus.yml changed"])
    found, seen = _found(_configmap(yaml.safe_dump(PROM_YML)), change, [])
    assert found == [] and seen == []


def test_alert_series_reads_the_expression_and_quoted_names() -> None:
    url = ("http://rules.example/graph?g0.expr=sum%20by%20%28route%29%20%28rate%28"
           "app_checkout_latency_seconds_count%7Broute%3D%22%2Fpay%22%7D%5B5m%5D%29%29%20%3C%201&g0.tab=1")
    incident = Incident(fingerprint="f", title="Checkout rate low", source="alertmanager",
                        annotations={"description": "kafka_consumergroup_lag{group=\"billing\"} rose; "
                                                    "the ledger_writer team was told"},
                        alerts=[AlertInstance(generator_url=url)])
    assert alert_series.names(incident) == ["app_checkout_latency_seconds_count", "kafka_consumergroup_lag"]


# ---- VictoriaMetrics' own relabel wording (issue #12 audit: the keys were Prometheus' alone) ----------------------


def _vmagent(relabel: list[dict[str, Any]]) -> dict[str, Any]:
    return {"kind": "VMAgent", "metadata": {"name": "shipper", "namespace": "vm"},
            "spec": {"remoteWrite": [{"url": "https://vm.example.org/api/v1/write",
                                      "inlineUrlRelabelConfig": relabel}]}}


def test_a_vmagent_drop_metrics_rule_on_the_remote_write_is_named() -> None:
    obj = _vmagent([{"action": "drop_metrics", "regex": ["kafka_.*_bucket", "grpc_server_handling_seconds_.*"]}])
    change = _write("VMAgent", "vm", "shipper", ["spec.remoteWrite[0].inlineUrlRelabelConfig changed"])
    [d], _ = _found(obj, change, ["grpc_server_handling_seconds_bucket"])
    assert d.rule.action == "drop" and "remote write path" in sd.finding(d)["message"]


def test_a_vmagent_drop_metrics_rule_on_other_series_names_nothing() -> None:
    obj = _vmagent([{"action": "drop_metrics", "regex": "kafka_.*_bucket"}])
    change = _write("VMAgent", "vm", "shipper", ["spec.remoteWrite[0].inlineUrlRelabelConfig changed"])
    assert _found(obj, change, ["grpc_server_handling_seconds_bucket"])[0] == []


def _scrape(relabel: list[dict[str, Any]]) -> dict[str, Any]:
    return {"kind": "VMServiceScrape", "metadata": {"name": "ledger", "namespace": "books"},
            "spec": {"endpoints": [{"port": "http", "metricRelabelConfigs": relabel}]}}


def test_a_drop_by_a_name_only_if_selector_is_named() -> None:
    obj = _scrape([{"action": "drop", "if": '{__name__=~"ledger_postings_.+"}'}])
    change = _write("VMServiceScrape", "books", "ledger", ["spec.endpoints[0].metricRelabelConfigs changed"])
    [d], _ = _found(obj, change, ["ledger_postings_total"])
    assert d.rule.patterns == ("ledger_postings_.+",) and "at scrape" in sd.finding(d)["message"]


def test_a_drop_whose_if_selector_also_matches_a_label_names_nothing() -> None:
    obj = _scrape([{"action": "drop", "if": 'ledger_postings_total{instance="replay-0"}'}])
    change = _write("VMServiceScrape", "books", "ledger", ["spec.endpoints[0].metricRelabelConfigs changed"])
    assert _found(obj, change, ["ledger_postings_total"])[0] == []
