"""agent.triage.scrape_growth: a scrape config written before a monitoring server's series explode and it OOMs.

Shapes: a ServiceMonitor re-rendered without its metricRelabelings drop rule while Prometheus (StatefulSet) is
OOMKilled, its job (the Service's name) dominating samples per scrape; a PodMonitor (job `namespace/name`) that
added a high-cardinality target while a VictoriaMetrics single-node server crash-loops. Twins: another job
dominates (the write is a bystander); the monitoring server is healthy; the write is older than a day; a lone job
with its drop rule kept and flat head series.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage.facts import Facts
from agent.triage.scrape_growth import CHECK, STORE, found, suspects

AT = datetime(2026, 9, 14, 15, 0, tzinfo=UTC)


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def oom(ns: str, name: str, image: str) -> dict[str, Any]:
    return {"check": "pod.oomkilled", "severity": "critical", "object": {"kind": "StatefulSet", "namespace": ns,
            "name": name}, "reason": "OOMKilled", "message": f"StatefulSet {ns}/{name}: 1/1 pods OOMKilled",
            "details": {"container": name, "images": [image], "limit": "16Gi"}, "evidence": [], "pods": []}


def monitor_write(kind: str, ns: str, name: str, at: datetime, diff: list[str]) -> dict[str, Any]:
    return {"at": iso(at), "type": "other", "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} written by helm (generation 7)", "diff": diff, "related": []}


def job(name: str, ns: str, samples: float) -> dict[str, Any]:
    return {"labels": {"job": name, "namespace": ns}, "first": samples, "max": samples, "last": samples}


def facts_of(findings: list[dict[str, Any]], changes: list[dict[str, Any]], jobs: list[dict[str, Any]],
             head: tuple[float, float] | None = (2.1e6, 7.4e6)) -> Facts:
    facts = Facts(at=AT, scan_id="E1", scan={"findings": findings}, changes={"changes": changes}, changes_id="E2")
    facts.reads[STORE] = {"jobs": jobs, "evidence": ["E9"],
                          "head": [{"labels": {}, "first": head[0], "max": head[1]}] if head else []}
    return facts


SM_DIFF = ['spec.endpoints = [{"interval": "30s", "path": "/metrics", "port": "web"}]']


def test_servicemonitor_that_lost_its_drop_rule_is_named_over_prometheus_oom() -> None:
    facts = facts_of([oom("observability", "prometheus-main", "quay.io/prometheus/prometheus:v2.53.0")],
                     [monitor_write("ServiceMonitor", "search", "query-api", AT - timedelta(hours=2), SM_DIFF)],
                     [job("query-api", "search", 210000), job("node-exporter", "observability", 9000),
                      job("kube-state-metrics", "observability", 12000)])
    hits = suspects(facts)
    assert len(hits) == 1
    ref, finding, _, explains = hits[0]
    assert (ref.kind, ref.name) == ("ServiceMonitor", "query-api") and explains[0].name == "prometheus-main"
    head = finding["message"][:400]
    assert finding["check"] == CHECK and "metricRelabelings" in head and "cardinality" in head
    assert "head series" in head and "7.4M" in head


def test_podmonitor_job_named_namespace_slash_name_on_victoriametrics() -> None:
    crash = {**oom("metrics", "vmsingle-main", "victoriametrics/victoria-metrics:v1.102.0"), "check": "pod.crashloop"}
    diff = ['spec.podMetricsEndpoints = [{"port": "metrics", "metricRelabelings": [{"action": "keep"}]}]']
    facts = facts_of([crash], [monitor_write("PodMonitor", "ads", "bidder", AT - timedelta(minutes=50), diff)],
                     [job("ads/bidder", "ads", 90000), job("ingress", "edge", 20000)])
    hits = found(facts)
    assert [h.monitor.name for h in hits] == ["bidder"] and not hits[0].relabel_gone


def test_twins_another_job_dominates_server_healthy_write_too_old_or_nothing_grew() -> None:
    prom = oom("observability", "prometheus-main", "quay.io/prometheus/prometheus:v2.53.0")
    write = monitor_write("ServiceMonitor", "search", "query-api", AT - timedelta(hours=2), SM_DIFF)
    jobs = [job("query-api", "search", 9000), job("clickstream", "analytics", 300000)]
    assert found(facts_of([prom], [write], jobs)) == []  # clickstream grew, not the written monitor's job
    dominant = [job("query-api", "search", 210000), job("node-exporter", "observability", 9000)]
    assert found(facts_of([], [write], dominant)) == []  # no monitoring server down
    old = monitor_write("ServiceMonitor", "search", "query-api", AT - timedelta(days=3), SM_DIFF)
    assert found(facts_of([prom], [old], dominant)) == []
    kept = monitor_write("ServiceMonitor", "search", "query-api", AT - timedelta(hours=2),
                         ['spec.endpoints = [{"port": "web", "metricRelabelings": [{"action": "drop"}]}]'])
    assert found(facts_of([prom], [kept], [job("query-api", "search", 50000)], head=(2e6, 2.1e6))) == []
