"""Turning telemetry on for one process, from the config's `telemetry` section.

Traces go through the OpenTelemetry global tracer provider, because the MCP SDK's own client and
server spans use it too: only then does a tool call's server-side span join the investigation's
trace. The global provider can be set once per process, so Vigil installs it once with a span
processor whose targets can be swapped (a test, then the OTLP exporter, and so on).

Metrics stay off the global provider: Vigil owns its MeterProvider, with a Prometheus reader on a
private registry for `/metrics`, and an OTLP reader when an endpoint is configured.

With no endpoint and no test setup nothing is installed: the API hands out no-op spans.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agent.config import TelemetrySettings
from agent.telemetry import instruments as metrics_module
from guardrails import pipeline as pipeline_module

TRACER_NAME = "vigil"


class _SwappableProcessor(SpanProcessor):
    """Forwards to the processors of the current setup; swapping them needs no new provider."""

    def __init__(self) -> None:
        self._targets: tuple[SpanProcessor, ...] = ()
        self._lock = threading.Lock()

    def replace(self, targets: list[SpanProcessor]) -> None:
        with self._lock:
            old, self._targets = self._targets, tuple(targets)
        for processor in old:
            processor.shutdown()

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        for processor in self._targets:
            processor.on_start(span, parent_context=parent_context)

    def on_end(self, span: ReadableSpan) -> None:
        for processor in self._targets:
            processor.on_end(span)

    def shutdown(self) -> None:
        self.replace([])

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return all(p.force_flush(timeout_millis) for p in self._targets)


_swap: _SwappableProcessor | None = None
_install_lock = threading.Lock()


def _global_processor(resource: Resource) -> _SwappableProcessor:
    """Install Vigil's processor on the global tracer provider, once per process."""
    global _swap
    with _install_lock:
        if _swap is not None:
            return _swap
        _swap = _SwappableProcessor()
        provider = trace.get_tracer_provider()
        if isinstance(provider, TracerProvider):  # the host application installed an SDK provider already
            provider.add_span_processor(_swap)
        else:
            provider = TracerProvider(resource=resource)
            provider.add_span_processor(_swap)
            trace.set_tracer_provider(provider)
        return _swap


@dataclass
class Telemetry:
    """What one setup installed; `shutdown()` flushes and exports what is left."""

    settings: TelemetrySettings
    meter_provider: MeterProvider
    prometheus_registry: Any
    """The private prometheus_client CollectorRegistry that `/metrics` renders."""
    tracing: bool
    """Whether spans are recorded at all (an OTLP endpoint or an in-memory exporter is set)."""
    span_exporter: InMemorySpanExporter | None = None
    """Only for the in-memory (test) setup: every finished span."""
    metric_reader: InMemoryMetricReader | None = None
    """Only for the in-memory (test) setup: collect() returns every metric point."""
    _closed: bool = field(default=False, repr=False)

    def force_flush(self) -> None:
        if _swap is not None:
            _swap.force_flush()
        self.meter_provider.force_flush()

    def shutdown(self) -> None:
        """Flush both signals and stop the exporters; later spans and metric points are dropped."""
        if self._closed:
            return
        self._closed = True
        self.force_flush()
        if _swap is not None and current() is self:
            _swap.replace([])
        self.meter_provider.shutdown()
        if current() is self:
            _set_current(None)


_current: Telemetry | None = None


def current() -> Telemetry | None:
    """The active setup, or None while telemetry is off."""
    return _current


def _set_current(telemetry: Telemetry | None) -> None:
    global _current
    _current = telemetry
    if telemetry is None:
        metrics_module._install(None)
    else:
        metrics_module._install(telemetry.meter_provider.get_meter(metrics_module.METER_NAME))


def _endpoint(base: str, signal: str) -> str:
    """`http://collector:4318` -> `http://collector:4318/v1/traces`; a full signal URL is kept as given."""
    base = base.rstrip("/")
    if base.endswith("/v1/traces") or base.endswith("/v1/metrics"):
        base = base.rsplit("/v1/", 1)[0]
    return f"{base}/v1/{signal}"


def setup_telemetry(settings: TelemetrySettings, *, in_memory: bool = False,
                    metric_export_millis: int = 60_000, export_timeout_s: float = 5.0) -> Telemetry:
    """Install traces and metrics for this process as `settings` say, replacing any earlier setup.

    - `otlp_endpoint` set: spans (batched) and metrics (every `metric_export_millis`) go to
      `<endpoint>/v1/traces` and `<endpoint>/v1/metrics` over OTLP/HTTP protobuf. Headers such as an
      API key come from the standard `OTEL_EXPORTER_OTLP_HEADERS` variable, never from the config.
    - `in_memory`: spans and metrics are kept in memory for tests (`span_exporter`, `metric_reader`).
    - always: metrics are readable in Prometheus format through `metrics_exposition()`.

    `export_timeout_s` bounds each export, retries included, so an unreachable collector delays
    the process's exit by at most about that long and never slows an investigation.
    """
    from opentelemetry.exporter.prometheus import PrometheusMetricReader
    from prometheus_client import CollectorRegistry

    previous = current()
    if previous is not None:
        previous.shutdown()
    resource = Resource.create({"service.name": settings.service_name})
    registry = CollectorRegistry()
    readers: list[MetricReader] = [PrometheusMetricReader(registry=registry)]
    processors: list[SpanProcessor] = []
    span_exporter: InMemorySpanExporter | None = None
    metric_reader: InMemoryMetricReader | None = None
    if settings.otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        span_out = OTLPSpanExporter(endpoint=_endpoint(settings.otlp_endpoint, "traces"), timeout=export_timeout_s)
        processors.append(BatchSpanProcessor(span_out, export_timeout_millis=int(export_timeout_s * 1000)))
        metric_out = OTLPMetricExporter(endpoint=_endpoint(settings.otlp_endpoint, "metrics"), timeout=export_timeout_s)
        readers.append(PeriodicExportingMetricReader(metric_out, export_interval_millis=metric_export_millis,
                                                     export_timeout_millis=export_timeout_s * 1000))
    if in_memory:
        span_exporter = InMemorySpanExporter()
        processors.append(SimpleSpanProcessor(span_exporter))
        metric_reader = InMemoryMetricReader()
        readers.append(metric_reader)
    if processors or _swap is not None:
        _global_processor(resource).replace(processors)
    telemetry = Telemetry(settings, MeterProvider(metric_readers=readers, resource=resource), registry,
                          tracing=bool(processors), span_exporter=span_exporter, metric_reader=metric_reader)
    _set_current(telemetry)
    _observe_guardrails()
    return telemetry


def in_memory_telemetry(settings: TelemetrySettings | None = None) -> Telemetry:
    """A fresh setup that keeps every span and metric point in memory (for tests)."""
    return setup_telemetry(settings or TelemetrySettings(), in_memory=True)


def shutdown_telemetry() -> None:
    """Flush and stop the current setup (call before the process exits so the last spans leave)."""
    telemetry = current()
    if telemetry is not None:
        telemetry.shutdown()


def _observe_guardrails() -> None:
    if metrics_module.verdict_observer not in pipeline_module.VERDICT_OBSERVERS:
        pipeline_module.VERDICT_OBSERVERS.append(metrics_module.verdict_observer)


def metrics_exposition() -> tuple[bytes, str]:
    """Vigil's metrics in Prometheus text format: (body, content type) for the service's `/metrics`.

    Sets up metrics alone (no tracing, no exporter) when nothing was set up yet, so the endpoint
    always answers with the instruments, even before the first investigation.
    """
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    telemetry = current() or setup_telemetry(TelemetrySettings())
    return generate_latest(telemetry.prometheus_registry), CONTENT_TYPE_LATEST


def tracer() -> trace.Tracer:
    """Vigil's tracer: a no-op one until a setup records spans."""
    return trace.get_tracer(TRACER_NAME)
