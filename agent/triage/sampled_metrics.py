"""Span-derived metrics read low because a sampler now runs ahead of the connector that counts the spans.

Request rates and latencies are often computed from traces: the OpenTelemetry Collector's `spanmetrics` connector
(or the older `spanmetrics` processor) and `servicegraph` connector turn every span they see into
`calls`/`duration` series (`traces_span_metrics_calls_total`, `traces_service_graph_request_total`). They count
what reaches them, so a sampler placed before them in the same traces pipeline (`probabilistic_sampler` at 10%, a
`tail_sampling` policy) makes every derived rate read at the sampled fraction: "checkout's request rate fell 90%"
while the ingress controller's and the app's own counters hold. The sampler was meant for the trace store's bill;
the dashboards and alerts fed by the connector are what it silently cut. The layout that keeps both counts spans in
an unsampled pipeline and samples only in the one that exports traces.

The survey (`read`, reading only) runs only when the alert reads a span-derived series (`Subject.series` named as
the connectors name theirs): for each collector object written in the `LEAD` before the incident (an
OpenTelemetryCollector, a ConfigMap holding a collector config, or an Alloy config whose `otelcol.processor`
sampler's traces output reaches an `otelcol.connector.spanmetrics`/`servicegraph`) it reads the config as it is
now and keeps each traces pipeline that runs a sampler (below 100%) and feeds a span-counting connector or
processor after it. A sampler in another pipeline than the connector's, a sampler at 100%, or an alert on a series
the app exports itself is no cause. `found` is pure.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import yaml

from agent.triage.facts import Facts, Ref, minutes_text
from agent.triage.subject import Subject
from agent.triage.written_now import written_now

CHECK = "change.sampled_metrics"
WEIGHT = 0.9
"""A sampler written ahead of the connector that computes the alert's series: above the measured service's own."""
READS = "sampled_metrics"
LEAD = timedelta(hours=12)
MAX_READS = 4
KINDS = ("OpenTelemetryCollector", "ConfigMap", "Collector")
SPAN_SERIES = re.compile(r"span_?metrics|service_?graph|^calls(?:_total)?$|^traces_|^duration_"
                         r"(?:milliseconds|seconds)_(?:bucket|count|sum)$", re.I)
"""Series the span-counting connectors produce (`traces_span_metrics_calls_total`, `calls_total`,
`duration_milliseconds_bucket`, `traces_service_graph_request_total`)."""
COUNTERS = ("spanmetrics", "servicegraph")
SAMPLERS = ("probabilistic_sampler", "tail_sampling")
TOUCHED = re.compile(r"sampl|pipelines|processors|config|data", re.I)
Call = Callable[..., Awaitable[Any]]


@dataclass
class Sampled:
    """A traces pipeline whose sampler runs ahead of a span-counting connector."""

    target: Ref
    pipeline: str
    sampler: str
    percent: float | None
    counter: str
    series: str
    at: str
    minutes_before: int
    evidence: list[str] = field(default_factory=list)


def _type(component: str) -> str:
    """`probabilistic_sampler/checkout` -> `probabilistic_sampler` (a component's type before its name)."""
    return component.split("/", 1)[0]


def _percent(config: dict[str, Any], sampler: str) -> float | None:
    spec = (config.get("processors") or {}).get(sampler)
    value = spec.get("sampling_percentage") if isinstance(spec, dict) else None
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def sampled(config: dict[str, Any]) -> Iterator[tuple[str, str, float | None, str]]:
    """(pipeline, sampler, percent, counter) for each traces pipeline that samples before counting spans: a
    connector among its exporters (it sees the pipeline's output) or a counting processor after the sampler."""
    pipelines = ((config.get("service") or {}).get("pipelines") or {}) if isinstance(config, dict) else {}
    for name, pipe in pipelines.items() if isinstance(pipelines, dict) else []:
        if _type(str(name)) != "traces" or not isinstance(pipe, dict):
            continue
        processors = [str(p) for p in pipe.get("processors") or []]
        exporters = [str(e) for e in pipe.get("exporters") or []]
        for i, proc in enumerate(processors):
            if _type(proc) not in SAMPLERS:
                continue
            percent = _percent(config, proc)
            if percent is not None and percent >= 100:
                continue
            later = [p for p in processors[i + 1:] if _type(p) in COUNTERS]
            counter = next(iter(later + [e for e in exporters if _type(e) in COUNTERS]), "")
            if counter:
                yield str(name), proc, percent, counter


def configs(obj: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The collector configs an object holds: an OpenTelemetryCollector's `spec.config` (a mapping or YAML text),
    a ConfigMap's data values that parse as a collector config."""
    texts: list[Any] = [((obj.get("spec") or {}).get("config"))] if obj.get("kind") != "ConfigMap" else \
        list((obj.get("data") or {}).values())
    for value in texts:
        if isinstance(value, str):
            try:
                value = yaml.safe_load(value)
            except yaml.YAMLError:
                continue
        if isinstance(value, dict) and "service" in value:
            yield value


_BLOCK = re.compile(r"\b(?P<ref>otelcol\.(?:processor|connector|exporter|receiver)\.(?P<type>\w+))"
                    r"\s+\"(?P<label>[^\"]*)\"\s*\{")
_TRACES_OUT = re.compile(r"\btraces\s*=\s*\[(?P<list>[^\]]*)\]")
_TARGET = re.compile(r"\b(otelcol\.(?:processor|connector|exporter)\.\w+\.\w+)\.input\b")
_ALLOY_PERCENT = re.compile(r"\bsampling_percentage\s*=\s*(?P<p>[\d.]+)")


def _alloy_blocks(text: str) -> dict[str, tuple[str, str]]:
    """{`otelcol.processor.probabilistic_sampler.default`: (type, body)} of each Alloy / Grafana Agent flow
    `otelcol.*` component block in a config text (the body up to its matching brace)."""
    out: dict[str, tuple[str, str]] = {}
    for m in _BLOCK.finditer(text):
        depth, end = 1, m.end()
        while end < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[end], 0)
            end += 1
        out[f"{m['ref']}.{m['label']}"] = (m["type"], text[m.end():end - 1])
    return out


def alloy_sampled(text: str) -> Iterator[tuple[str, str, float | None, str]]:
    """(pipeline, sampler, percent, counter) for each Alloy `otelcol.processor` sampler whose traces output reaches
    a span-counting connector (directly or through further processors): the same layout as a collector's traces
    pipeline, written as components wired by their `output { traces = [...] }`."""
    blocks = _alloy_blocks(text)
    for name, (kind, body) in blocks.items():
        if kind not in SAMPLERS or not name.startswith("otelcol.processor."):
            continue
        got = _ALLOY_PERCENT.search(body) if kind == "probabilistic_sampler" else None
        percent = float(got["p"]) if got else None  # a tail_sampling policy's own rate is one policy's, not all
        if percent is not None and percent >= 100:
            continue
        seen, todo = {name}, [name]
        while todo:
            outputs = [t for m in _TRACES_OUT.finditer(blocks[todo.pop()][1]) for t in _TARGET.findall(m["list"])]
            counter = next((t for t in outputs if t in blocks and blocks[t][0] in COUNTERS
                            and t.startswith("otelcol.connector.")), "")
            if counter:
                yield "traces (Alloy components)", name, percent, counter
                break
            todo += [t for t in outputs if t in blocks and t.startswith("otelcol.processor.") and t not in seen]
            seen.update(todo)


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, when the alert reads a span-derived series: recently written collector configs, as now."""
    series = next((s for s in subject.series if SPAN_SERIES.search(s)), "")
    if not series:
        return
    store: list[Sampled] = facts.reads.setdefault(READS, [])
    for w in await written_now(facts, call, KINDS, LEAD, MAX_READS, "survey-sampled-metrics", TOUCHED):
        texts = [str(v) for v in (w.obj.get("data") or {}).values() if "otelcol." in str(v)] \
            if w.target.kind == "ConfigMap" else []
        found_in = [hit for config in configs(w.obj) for hit in sampled(config)] + \
            [hit for text in texts for hit in alloy_sampled(text)]
        for pipeline, sampler, percent, counter in found_in[:1]:
            store.append(Sampled(w.target, pipeline, sampler, percent, counter, series, str(w.change.get("at")),
                                 w.minutes_before, w.evidence))


def found(facts: Facts) -> list[Sampled]:
    """What `read` kept (pure: the reads decide)."""
    return list(facts.reads.get(READS) or [])


def finding(s: Sampled) -> dict[str, Any]:
    """The sampler and the connector it now starves first, then what the derived series reads."""
    rate = f" at {s.percent:g}%" if s.percent is not None else ""
    low = f"about {s.percent:g}% of" if s.percent is not None else "a fraction of"
    message = (f"{s.target} was written {minutes_text(s.minutes_before)} before the alert: its {s.pipeline} pipeline "
               f"runs {s.sampler}{rate} ahead of {s.counter}, which computes span-derived series such as {s.series} "
               f"from the spans it sees. Those series now count only the sampled spans, so rates read {low} the real "
               f"traffic while ingress and the service's own counters hold: the alert is a telemetry artefact. "
               f"Feed {s.counter} from an unsampled pipeline (sample only where traces are exported)")
    return {"check": CHECK, "severity": "warning",
            "object": {"kind": s.target.kind, "namespace": s.target.namespace, "name": s.target.name},
            "reason": "SampledBeforeSpanMetrics", "message": message,
            "evidence": [f"{s.pipeline}: {s.sampler}{rate} -> {s.counter}"],
            "details": {"pipeline": s.pipeline, "sampler": s.sampler, "percent": s.percent, "counter": s.counter}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the collector object, its finding, evidence ids, nothing else) for `agent.triage.behind`."""
    return [(s.target, finding(s), s.evidence, []) for s in found(facts)]
