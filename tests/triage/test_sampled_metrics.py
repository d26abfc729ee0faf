"""A sampler ahead of the connector that counts spans: derived rates read low (agent.triage.sampled_metrics).

Written here, not taken from the held-out bundles. Shapes: a collector ConfigMap whose traces pipeline gained a
`tail_sampling` processor while its exporters include the `servicegraph` connector, with an alert on
`traces_service_graph_request_total`; an OpenTelemetryCollector whose config (a mapping) runs
`probabilistic_sampler/cost` at 25% ahead of the older `spanmetrics` processor, with an alert on
`calls_total`. Negative twins: the sampler in the exporting pipeline only while the connector is fed from an
unsampled one, a sampler at 100%, and an alert on a series the app exports itself (nothing read).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from agent.toolhub import ToolOutcome
from agent.triage import sampled_metrics as sm
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.doubles import outcome

AT = datetime(2026, 11, 9, 8, 0, tzinfo=UTC)


def _run(obj: dict[str, Any], series: list[str]) -> tuple[list[sm.Sampled], list[str]]:
    meta = obj["metadata"]
    change = {"at": (AT - timedelta(minutes=50)).strftime("%Y-%m-%dT%H:%M:%SZ"), "type": "config",
              "object": {"kind": obj["kind"], "namespace": meta["namespace"], "name": meta["name"]},
              "summary": f"{obj['kind']} {meta['namespace']}/{meta['name']} written by flux", "diff": ["config set"]}
    seen: list[str] = []

    async def call(tool: str, args: dict[str, Any], step: str) -> ToolOutcome | None:
        seen.append(tool)
        return outcome(True, {}, yaml.safe_dump(obj), "E2") if tool == "k8s_get" else None

    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="C1")
    asyncio.run(sm.read(Subject(series=series), facts, call, "2026-11-09T08:00:00Z"))
    return sm.found(facts), seen


def _tail(pipelines: dict[str, Any]) -> dict[str, Any]:
    config = {"receivers": {"otlp": {}}, "connectors": {"servicegraph": {}},
              "processors": {"tail_sampling": {"policies": [{"name": "errors", "type": "status_code"}]}, "batch": {}},
              "exporters": {"otlp/jaeger": {}, "prometheus": {}}, "service": {"pipelines": pipelines}}
    return {"kind": "ConfigMap", "metadata": {"name": "trace-collector", "namespace": "tracing"},
            "data": {"collector.yaml": yaml.safe_dump(config)}}


def test_tail_sampling_ahead_of_the_service_graph_connector_is_named() -> None:
    obj = _tail({"traces": {"receivers": ["otlp"], "processors": ["tail_sampling", "batch"],
                            "exporters": ["otlp/jaeger", "servicegraph"]},
                 "metrics": {"receivers": ["servicegraph"], "exporters": ["prometheus"]}})
    [s], _ = _run(obj, ["traces_service_graph_request_total"])
    assert s.sampler == "tail_sampling" and s.counter == "servicegraph" and s.percent is None
    assert "a fraction of the real traffic" in sm.finding(s)["message"]


def _otel(percent: int) -> dict[str, Any]:
    config = {"processors": {"probabilistic_sampler/cost": {"sampling_percentage": percent}, "spanmetrics": {}},
              "service": {"pipelines": {"traces/main": {"receivers": ["otlp"],
                                                        "processors": ["probabilistic_sampler/cost", "spanmetrics"],
                                                        "exporters": ["otlp"]}}}}
    return {"kind": "OpenTelemetryCollector", "metadata": {"name": "agent", "namespace": "otel"},
            "spec": {"mode": "daemonset", "config": config}}


def test_a_probabilistic_sampler_ahead_of_the_spanmetrics_processor_is_named() -> None:
    [s], _ = _run(_otel(25), ["calls_total"])
    message = sm.finding(s)["message"]
    assert "probabilistic_sampler/cost at 25%" in message and "about 25% of the real traffic" in message


def test_sampling_only_the_exported_traces_names_nothing() -> None:
    obj = _tail({"traces/count": {"receivers": ["otlp"], "exporters": ["servicegraph", "forward"]},
                 "traces/export": {"receivers": ["forward"], "processors": ["tail_sampling"],
                                   "exporters": ["otlp/jaeger"]},
                 "metrics": {"receivers": ["servicegraph"], "exporters": ["prometheus"]}})
    assert _run(obj, ["traces_service_graph_request_total"])[0] == []


def test_a_sampler_at_full_rate_names_nothing() -> None:
    assert _run(_otel(100), ["calls_total"])[0] == []


def test_an_alert_on_the_apps_own_counter_reads_nothing() -> None:
    found, seen = _run(_otel(25), ["http_server_request_duration_seconds_count", "rpc_server_calls_total"])
    assert found == [] and seen == []


# ---- Grafana Alloy's component wiring (issue #12 audit: only a collector's YAML service.pipelines was read) -------

ALLOY = '''otelcol.receiver.otlp "apps" {
  grpc { }
  output { traces = [otelcol.processor.SAMPLER.cost.input] }
}
otelcol.processor.SAMPLER "cost" {
  sampling_percentage = PERCENT
  output { traces = [otelcol.processor.batch.default.input] }
}
otelcol.processor.batch "default" {
  output { traces = [otelcol.connector.COUNTER.red.input, otelcol.exporter.otlp.tempo.input] }
}
otelcol.connector.COUNTER "red" {
  output { metrics = [otelcol.exporter.prometheus.mimir.input] }
}
otelcol.connector.spanmetrics "unsampled" {
  output { metrics = [otelcol.exporter.prometheus.mimir.input] }
}
otelcol.exporter.otlp "tempo" {
  client { endpoint = "tempo-distributor:4317" }
}
'''


def _alloy(sampler: str = "probabilistic_sampler", percent: str = "10", counter: str = "spanmetrics",
           text: str = ALLOY) -> dict[str, Any]:
    config = text.replace("SAMPLER", sampler).replace("PERCENT", percent).replace("COUNTER", counter)
    return {"kind": "ConfigMap", "metadata": {"name": "alloy", "namespace": "observability"},
            "data": {"config.alloy": config}}


def test_an_alloy_sampler_wired_through_a_batch_into_spanmetrics_is_named() -> None:
    [s], _ = _run(_alloy(), ["traces_spanmetrics_calls_total"])
    assert s.percent == 10 and s.counter == "otelcol.connector.spanmetrics.red"
    assert "about 10% of" in sm.finding(s)["message"]


def test_an_alloy_tail_sampler_ahead_of_the_service_graph_is_named() -> None:
    [s], _ = _run(_alloy(sampler="tail_sampling", counter="servicegraph"), ["traces_service_graph_request_total"])
    assert s.sampler == "otelcol.processor.tail_sampling.cost" and s.percent is None


def test_an_alloy_sampler_at_full_rate_names_nothing() -> None:
    assert _run(_alloy(percent="100"), ["traces_spanmetrics_calls_total"])[0] == []


def test_an_alloy_sampler_feeding_only_the_exporter_names_nothing() -> None:
    exported = ALLOY.replace("otelcol.connector.COUNTER.red.input, ", "").replace(
        "output { traces = [otelcol.processor.SAMPLER.cost.input] }",
        "output { traces = [otelcol.processor.SAMPLER.cost.input, otelcol.connector.spanmetrics.unsampled.input] }")
    assert _run(_alloy(text=exported), ["traces_spanmetrics_calls_total"])[0] == []
