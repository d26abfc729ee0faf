"""scrape_growth: a scrape config that is a file, not an operator's object (issue #12 audit).

Prometheus without the operator (the prometheus-community chart's server ConfigMap) and vmagent read
`scrape_configs:` from a file; the write is to a ConfigMap whose diff names the job (`job_name`). Shapes: a
Prometheus server ConfigMap whose `orders-api` job lost its `metric_relabel_configs` while the server is
OOMKilled and that job dominates samples per scrape; a vmagent ConfigMap adding a job whose target floods.
Twins: a scrape-file write whose job is small (another job dominates), and a ConfigMap write that names no scrape
job (an unrelated ConfigMap).
"""

from __future__ import annotations

from datetime import timedelta

from agent.triage.scrape_growth import found, suspects
from tests.triage.test_scrape_growth import AT, facts_of, job, monitor_write, oom

OLD = ("data.prometheus.yml 'scrape_configs:\\n- job_name: orders-api\\n  metric_relabel_configs:\\n  - action: drop\\n"
       "    regex: http_request_duration_seconds_bucket' -> 'scrape_configs:\\n- job_name: orders-api\\n"
       "  static_configs:\\n  - targets: [orders-api.shop:8080]'")


def test_prometheus_server_configmap_job_lost_its_metric_relabel_configs() -> None:
    facts = facts_of([oom("monitoring", "prometheus-server", "quay.io/prometheus/prometheus:v2.53.0")],
                     [monitor_write("ConfigMap", "monitoring", "prometheus-server", AT - timedelta(hours=3), [OLD])],
                     [job("orders-api", "shop", 320000), job("kubernetes-nodes", "", 15000)])
    [(ref, finding, _, explains)] = suspects(facts)
    assert (ref.kind, ref.name) == ("ConfigMap", "prometheus-server") and explains[0].name == "prometheus-server"
    assert "metric_relabel_configs drop rule" in finding["message"][:300]


def test_vmagent_configmap_adding_a_flooding_job() -> None:
    diff = ["data.scrape.yml 'scrape_configs:\\n- job_name: node' -> 'scrape_configs:\\n- job_name: node\\n"
            "- job_name: clickstream-exporter\\n  static_configs:\\n  - targets: [clicks:9100]'"]
    facts = facts_of([oom("monitoring", "vmagent", "victoriametrics/vmagent:v1.102.0")],
                     [monitor_write("ConfigMap", "monitoring", "vmagent-config", AT - timedelta(hours=1), diff)],
                     [job("clickstream-exporter", "", 500000), job("node", "", 20000)])
    [hit] = found(facts)
    assert hit.job == "clickstream-exporter" and hit.monitor.name == "vmagent-config"


def test_scrape_file_twins_small_job_and_unrelated_configmap() -> None:
    small = facts_of([oom("monitoring", "prometheus-server", "quay.io/prometheus/prometheus:v2.53.0")],
                     [monitor_write("ConfigMap", "monitoring", "prometheus-server", AT - timedelta(hours=3), [OLD])],
                     [job("orders-api", "shop", 15000), job("payments-api", "shop", 400000)])
    assert found(small) == []
    unrelated = facts_of([oom("monitoring", "prometheus-server", "quay.io/prometheus/prometheus:v2.53.0")],
                         [monitor_write("ConfigMap", "shop", "orders-api", AT - timedelta(hours=3),
                                        ["data.LOG_LEVEL 'info' -> 'debug'"])],
                         [job("orders-api", "shop", 320000), job("kubernetes-nodes", "", 15000)])
    assert found(unrelated) == []
