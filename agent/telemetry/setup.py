"""Turning telemetry on for one process, from the config's `telemetry` section.

Traces go through the OpenTelemetry global tracer provider, because the MCP SDK's own client and
server spans use it too: only then does a tool call's server-side span join the investigation's
trace. The global provider can be set only once per process, so Vigil installs a small switching
provider once, and each setup brings its own SDK TracerProvider (resource, processors) behind it.
A host application that installed its own SDK provider first keeps it: Vigil's spans go there.

Metrics stay off the global provider: Vigil owns its MeterProvider, with a Prometheus reader on a
private registry for `/metrics`, and an OTLP reader when an endpoint is configured.

With no endpoint and no test setup nothing is installed: the API hands out no-op spans.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.util.types import Attributes

from agent.config import TelemetrySettings
from agent.telemetry import instruments as metrics_module
from guardrails import pipeline as pipeline_module

TRACER_NAME = "vigil"

_active_provider: TracerProvider | None = None
"""The SDK provider of the current setup; None while tracing is off."""
_NOOP_TRACER = trace.NoOpTracer()


class _SwitchingTracer(trace.Tracer):
    """A tracer that starts each span on the current setup's provider (or as a no-op span).

    Libraries keep the tracer they got once (the MCP SDK does, at import), so the tracer itself
    must follow the setup: each span goes to whichever provider is active when it starts.
    """

    def __init__(self, name: str, version: str | None, schema_url: str | None,
                 attributes: Attributes | None) -> None:
        self._args = (name, version, schema_url, attributes)
        self._cached: tuple[TracerProvider, trace.Tracer] | None = None

    def _target(self) -> trace.Tracer:
        provider = _active_provider
        if provider is None:
            return _NOOP_TRACER
        cached = self._cached
        if cached is None or cached[0] is not provider:
            name, version, schema_url, attributes = self._args
            cached = (provider, provider.get_tracer(name, version, schema_url, attributes))
            self._cached = cached
        return cached[1]

    def start_span(self, *args: Any, **kwargs: Any) -> trace.Span:
        return self._target().start_span(*args, **kwargs)

    def start_as_current_span(self, *args: Any, **kwargs: Any) -> Any:
        return self._target().start_as_current_span(*args, **kwargs)


class _SwitchingTracerProvider(trace.TracerProvider):
    """Installed once as the global provider; hands out tracers that follow the current setup."""

    def get_tracer(self, instrumenting_module_name: str, instrumenting_library_version: str | None = None,
                   schema_url: str | None = None, attributes: Attributes | None = None) -> trace.Tracer:
        return _SwitchingTracer(instrumenting_module_name, instrumenting_library_version, schema_url, attributes)


_install_lock = threading.Lock()


def _owns_global_provider() -> bool:
    """Install the switching provider globally once; False when the host application set its own."""
    with _install_lock:
        provider = trace.get_tracer_provider()
        if isinstance(provider, _SwitchingTracerProvider):
            return True
        if isinstance(provider, trace.ProxyTracerProvider):
            trace.set_tracer_provider(_SwitchingTracerProvider())
            return True
        return False


@dataclass
class Telemetry:
    """What one setup installed; `shutdown()` flushes and exports what is left."""

    settings: TelemetrySettings
    meter_provider: MeterProvider
    prometheus_registry: Any
    """The private prometheus_client CollectorRegistry that `/metrics` renders."""
    tracing: bool
    """Whether spans are recorded at all (an OTLP endpoint or an in-memory exporter is set)."""
    tracer_provider: TracerProvider | None = None
    """This setup's span pipeline; None when it records no spans (or the host application owns tracing)."""
    span_exporter: InMemorySpanExporter | None = None
    """Only for the in-memory (test) setup: every finished span."""
    metric_reader: InMemoryMetricReader | None = None
    """Only for the in-memory (test) setup: collect() returns every metric point."""
    _closed: bool = field(default=False, repr=False)

    def force_flush(self) -> None:
        if self.tracer_provider is not None:
            self.tracer_provider.force_flush()
        self.meter_provider.force_flush()

    def shutdown(self) -> None:
        """Flush both signals and stop the exporters; later spans and metric points are dropped."""
        if self._closed:
            return
        self._closed = True
        if current() is self:
            _set_current(None)
        if self.tracer_provider is not None:
            self.tracer_provider.shutdown()  # flushes what the batch processor still holds
        self.meter_provider.shutdown()


_current: Telemetry | None = None


def current() -> Telemetry | None:
    """The active setup, or None while telemetry is off."""
    return _current


def _set_current(telemetry: Telemetry | None) -> None:
    global _current, _active_provider
    _current = telemetry
    _active_provider = telemetry.tracer_provider if telemetry else None
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
    owns_global = _owns_global_provider()
    tracer_provider: TracerProvider | None = None
    if processors and owns_global:
        tracer_provider = TracerProvider(resource=resource, shutdown_on_exit=False)
        for processor in processors:
            tracer_provider.add_span_processor(processor)
    host_traces = not owns_global and isinstance(trace.get_tracer_provider(), TracerProvider)
    telemetry = Telemetry(settings, MeterProvider(metric_readers=readers, resource=resource, shutdown_on_exit=False),
                          registry, tracing=tracer_provider is not None or host_traces,
                          tracer_provider=tracer_provider, span_exporter=span_exporter, metric_reader=metric_reader)
    _set_current(telemetry)
    _observe_guardrails()
    if not _exit_hook:
        _register_exit_hook()
    return telemetry


def ensure_telemetry(settings: TelemetrySettings) -> Telemetry:
    """The current setup if it was made from these settings, else a new one (front doors call this)."""
    telemetry = current()
    if telemetry is not None and telemetry.settings == settings and telemetry.span_exporter is None:
        return telemetry
    return setup_telemetry(settings)


_exit_hook: list[bool] = []


def _register_exit_hook() -> None:
    """Flush the last spans and metric points when the process exits (a CLI run ends abruptly)."""
    import atexit

    _exit_hook.append(True)
    atexit.register(shutdown_telemetry)


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
    from prometheus_client import generate_latest
    from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

    telemetry = current() or setup_telemetry(TelemetrySettings())
    # The classic 0.0.4 text format: what every Prometheus 2.x scrapes, and what the service's own
    # counters use, so the two bodies can be served one after the other.
    return generate_latest(telemetry.prometheus_registry), CONTENT_TYPE_PLAIN_0_0_4


def tracer() -> trace.Tracer:
    """Vigil's tracer: a no-op one until a setup records spans."""
    return trace.get_tracer(TRACER_NAME)
