"""Observability of Vigil itself: OpenTelemetry traces and metrics (docs/observability.md).

`setup_telemetry(config.telemetry)` turns it on for a process; with no endpoint and no setup the
OpenTelemetry API's no-op tracer is used and recording costs next to nothing.
"""

from agent.telemetry.instruments import VigilMetrics, metrics, register_queue_depth
from agent.telemetry.model import InstrumentedModel, instrument_model
from agent.telemetry.setup import (
    Telemetry,
    current,
    ensure_telemetry,
    in_memory_telemetry,
    metrics_exposition,
    setup_telemetry,
    shutdown_telemetry,
    tracer,
)

__all__ = [
    "InstrumentedModel",
    "Telemetry",
    "VigilMetrics",
    "current",
    "ensure_telemetry",
    "in_memory_telemetry",
    "instrument_model",
    "metrics",
    "metrics_exposition",
    "register_queue_depth",
    "setup_telemetry",
    "shutdown_telemetry",
    "tracer",
]
