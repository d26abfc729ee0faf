"""OTLP/HTTP export to a receiver on loopback.

No collector is installed here, so the test runs a tiny HTTP server that does what a collector's
OTLP/HTTP receiver does: accept protobuf POSTs on /v1/traces and /v1/metrics and decode them with
the opentelemetry-proto message classes. The exporters are the real opentelemetry-exporter-otlp ones.
"""

from __future__ import annotations

import gzip
import os
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from agent.config import TelemetrySettings
from agent.llm.scripted import ScriptedModel
from agent.telemetry import setup_telemetry
from tests.telemetry.conftest import investigate

pytestmark = pytest.mark.anyio


@dataclass
class Received:
    traces: list[ExportTraceServiceRequest] = field(default_factory=list)
    metrics: list[ExportMetricsServiceRequest] = field(default_factory=list)
    content_types: set[str] = field(default_factory=set)
    paths: list[str] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[tuple[str, Received]]:
    received = Received()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # http.server dispatches on this name
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            encoding = self.headers.get("Content-Encoding", "")
            if encoding == "gzip":
                body = gzip.decompress(body)
            elif encoding == "deflate":
                body = zlib.decompress(body)
            received.paths.append(self.path)
            received.content_types.add(self.headers.get("Content-Type", ""))
            if self.path == "/v1/traces":
                received.traces.append(ExportTraceServiceRequest.FromString(body))
            elif self.path == "/v1/metrics":
                received.metrics.append(ExportMetricsServiceRequest.FromString(body))
            else:
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()


def resource_service(request: ExportTraceServiceRequest | ExportMetricsServiceRequest) -> set[str]:
    names = set()
    resources = request.resource_spans if isinstance(request, ExportTraceServiceRequest) else request.resource_metrics
    for resource in resources:
        for attribute in resource.resource.attributes:
            if attribute.key == "service.name":
                names.add(attribute.value.string_value)
    return names


async def test_spans_and_metrics_arrive_at_the_collector(tmp_path, receiver):
    endpoint, received = receiver
    setup = setup_telemetry(TelemetrySettings(otlp_endpoint=endpoint, service_name="vigil-otlp-test"))
    try:
        report, _ = await investigate(tmp_path, ScriptedModel.of('{"summary": "done", "hypotheses": []}'))
    finally:
        setup.shutdown()  # flushes the batch span processor and the periodic metric reader
    assert set(received.paths) == {"/v1/traces", "/v1/metrics"}
    assert received.content_types == {"application/x-protobuf"}

    spans = [span for request in received.traces for rs in request.resource_spans
             for ss in rs.scope_spans for span in ss.spans]
    names = {span.name for span in spans}
    assert {"investigate", "chat scripted", "execute_tool k8s_logs", "tools/call k8s_logs"} <= names
    (root,) = [s for s in spans if s.name == "investigate"]
    assert len({s.trace_id for s in spans if s.trace_id == root.trace_id}) == 1
    in_trace = [s for s in spans if s.trace_id == root.trace_id]
    assert len(in_trace) >= 10  # steps, tools, server spans, guardrails, the model call
    attributes = {a.key: a.value for a in root.attributes}
    assert attributes["vigil.incident.id"].string_value == report.incident_id
    assert all(resource_service(r) == {"vigil-otlp-test"} for r in received.traces)

    metric_names = {m.name for request in received.metrics for rm in request.resource_metrics
                    for sm in rm.scope_metrics for m in sm.metrics}
    assert {"vigil.llm.tokens", "vigil.investigation.duration", "vigil.tool.duration"} <= metric_names


async def test_an_unreachable_collector_does_not_fail_the_investigation(tmp_path):
    """Export problems are the exporter's to log; the investigation never waits on them or fails."""
    setup = setup_telemetry(TelemetrySettings(otlp_endpoint="http://127.0.0.1:9"),  # discard port: refused
                            export_timeout_s=1.0)
    try:
        report, _ = await investigate(tmp_path, ScriptedModel.of('{"summary": "done", "hypotheses": []}'))
    finally:
        started = time.monotonic()
        setup.shutdown()
        shutdown_seconds = time.monotonic() - started
    assert report.complete and report.stats.model_turns == 1
    assert report.stats.seconds < 5
    assert shutdown_seconds < 6  # bounded by the export timeout (spans, then metrics), not the default retries


async def test_the_runtime_exports_what_the_config_asks_for(tmp_path, receiver, monkeypatch):
    """The path every front door takes (investigate_incident): config -> OTLP setup -> spans, ledger, audit."""
    from agent.config import Config
    from agent.runtime import investigate_incident
    from agent.telemetry import current, shutdown_telemetry
    from guardrails.action import Actor
    from guardrails.usage import UsageLedger
    from tests.telemetry.conftest import payments_incident, toy_server

    for name in [n for n in os.environ if n.startswith(("VIGIL", "KUBECONFIG"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no ~/.kube/config: no real cluster server
    endpoint, received = receiver
    config = Config(state_dir=tmp_path / "state",
                    telemetry=TelemetrySettings(otlp_endpoint=endpoint, service_name="vigil-e2e"))
    try:
        report = await investigate_incident(payments_incident(), config,
                                            actor=Actor(name="alice", origin="cli", team="payments"),
                                            model=ScriptedModel.of('{"summary": "done", "hypotheses": []}'),
                                            extra_servers={"toy": toy_server(tmp_path)})
        assert current() is not None and current().settings == config.telemetry  # type: ignore[union-attr]
    finally:
        shutdown_telemetry()
    spans = [span for request in received.traces for rs in request.resource_spans
             for ss in rs.scope_spans for span in ss.spans]
    assert {"investigate", "chat scripted", "guardrail model_call"} <= {s.name for s in spans}
    assert all(resource_service(r) == {"vigil-e2e"} for r in received.traces)
    (row,) = UsageLedger(tmp_path / "state" / "usage.db").spend(days=1)
    assert (row.team, row.model, row.calls) == ("payments", "scripted", 1)
    assert row.input_tokens == report.stats.input_tokens
    audit = (tmp_path / "state" / "audit.jsonl").read_text()
    assert '"tool":"model_call"' in audit.replace(" ", "")
