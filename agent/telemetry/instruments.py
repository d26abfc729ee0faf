"""Vigil's metric instruments, and the Prometheus text for the service's `/metrics`.

The instruments are created against whatever MeterProvider the process set up (see setup.py). Until
then `metrics()` hands out instruments of the OpenTelemetry no-op meter, so recording a number costs
a method call and nothing else when telemetry is off. Callers never hold on to an instrument: they
ask `metrics()` each time, so a later setup (a test, the HTTP service starting) takes effect at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from opentelemetry.metrics import CallbackOptions, Meter, NoOpMeter, Observation

METER_NAME = "vigil"

QueueDepth = Callable[[], int | Mapping[str, int]]
"""What a front-door queue registers: the number of waiting jobs, or a count per queue name."""

_queue_callbacks: list[QueueDepth] = []
_queue_lock = threading.Lock()


def register_queue_depth(callback: QueueDepth) -> Callable[[], None]:
    """Feed the `vigil.queue.depth` gauge from `callback`, read at each collection.

    Returns a function that unregisters it (a queue that closes should call it). A callback that
    raises is skipped for that collection, so a broken queue never breaks `/metrics`.
    """
    with _queue_lock:
        _queue_callbacks.append(callback)

    def unregister() -> None:
        with _queue_lock:
            if callback in _queue_callbacks:
                _queue_callbacks.remove(callback)

    return unregister


def _observe_queues(_: CallbackOptions) -> Iterable[Observation]:
    with _queue_lock:
        callbacks = list(_queue_callbacks)
    observations: list[Observation] = []
    for callback in callbacks:
        try:
            depth = callback()
        except Exception:
            continue
        if isinstance(depth, Mapping):
            observations += [Observation(int(v), {"queue": str(k)}) for k, v in depth.items()]
        else:
            observations.append(Observation(int(depth), {"queue": "default"}))
    return observations


class VigilMetrics:
    """Every instrument Vigil records, with one small method per thing that happens."""

    def __init__(self, meter: Meter) -> None:
        self.tokens = meter.create_counter(
            "vigil.llm.tokens", unit="{token}", description="Model tokens by model, provider, team and token type")
        self.cost = meter.create_counter(
            "vigil.llm.cost", unit="usd", description="Model spend in US dollars by model, provider and team")
        self.investigation_duration = meter.create_histogram(
            "vigil.investigation.duration", unit="s", description="Wall time of one investigation")
        self.tool_duration = meter.create_histogram(
            "vigil.tool.duration", unit="s", description="Latency of one tool call, guardrails included")
        self.tool_errors = meter.create_counter(
            "vigil.tool.errors", unit="{call}", description="Tool calls that failed or were refused")
        self.guardrail_denials = meter.create_counter(
            "vigil.guardrail.denials", unit="{decision}", description="Actions refused, by layer, rule and tool")
        self.approvals = meter.create_counter(
            "vigil.approvals", unit="{request}", description="Approval requests decided, by outcome and channel")
        self.queue_depth = meter.create_observable_gauge(
            "vigil.queue.depth", callbacks=[_observe_queues], unit="{job}",
            description="Jobs waiting in the front-door queue")

    def record_llm_usage(self, *, provider: str, model: str, team: str, input_tokens: int, output_tokens: int,
                         usd: float) -> None:
        labels = {"gen_ai.provider.name": provider, "gen_ai.request.model": model, "vigil.team": team}
        self.tokens.add(input_tokens, {**labels, "gen_ai.token.type": "input"})
        self.tokens.add(output_tokens, {**labels, "gen_ai.token.type": "output"})
        self.cost.add(usd, labels)

    def record_investigation(self, seconds: float, *, team: str, runbook: str | None, complete: bool) -> None:
        self.investigation_duration.record(
            seconds, {"vigil.team": team, "vigil.runbook.id": runbook or "none", "vigil.complete": complete})

    def record_tool(self, seconds: float, *, tool: str, server: str, outcome: str) -> None:
        """`outcome` is ok, error or denied; anything but ok also counts as a tool error."""
        labels = {"gen_ai.tool.name": tool, "vigil.tool.server": server}
        self.tool_duration.record(seconds, {**labels, "vigil.outcome": outcome})
        if outcome != "ok":
            self.tool_errors.add(1, {**labels, "error.type": outcome})

    def record_denial(self, *, layer: str, rule: str | None, tool: str, where: str) -> None:
        self.guardrail_denials.add(1, {"vigil.guardrail.layer": layer, "vigil.guardrail.rule": rule or "none",
                                       "gen_ai.tool.name": tool, "vigil.guardrail.where": where})

    def record_approval(self, *, outcome: str, channel: str) -> None:
        self.approvals.add(1, {"vigil.approval.outcome": outcome, "vigil.approval.channel": channel})


_NOOP = VigilMetrics(NoOpMeter(METER_NAME))
_current: VigilMetrics = _NOOP


def metrics() -> VigilMetrics:
    """The instruments of the current setup (no-op ones when telemetry was never set up)."""
    return _current


def _install(meter: Meter | None) -> None:
    """Called by setup: build the instruments on `meter`, or go back to the no-op ones."""
    global _current
    _current = VigilMetrics(meter) if meter is not None else _NOOP


def verdict_observer(where: str, verdict: Any) -> None:
    """Count a guardrail verdict: a denial by layer and rule, and any approval decision by outcome."""
    current = metrics()
    tool = verdict.action.tool
    for decision in verdict.decisions:
        if decision.layer == "approval" and "channel" in decision.details:
            refused = "refused" if decision.details.get("approver") else "no_answer"
            outcome = "approved" if decision.allowed else refused
            current.record_approval(outcome=outcome, channel=str(decision.details.get("channel") or "unknown"))
    denial = verdict.denial
    if denial is not None:
        current.record_denial(layer=denial.layer, rule=denial.rule, tool=tool, where=where)
