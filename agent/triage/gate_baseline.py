"""A canary analysis gate written tighter than what the stable version already measures: every release fails.

(This module reads Flagger's Canary; the same class in Argo Rollouts' AnalysisTemplate / AnalysisRun shape is read
by agent.triage.analysis_gate, a Flagger MetricTemplate whose query returns nothing by
agent.triage.metric_template_empty; both are ranked from here under the same check.)

Flagger's Canary gates each step on metrics with a `thresholdRange` (`max` for a latency or error rate, `min` for
a success rate). Write a `max` below what the service's stable version already shows (a p99 latency gate of 250 ms
on a service whose p99 has always been about 420 ms) and every check of every release fails: the controller halts
advancement (`Halt <canary> advancement request duration 418ms > 250ms`, or for a custom metric `... advancement
error-rate 2.10 > 1`), rolls back after `threshold` failed checks, and the release looks broken when it is not.

What tells this from a release that really regressed is the baseline: the same measure read BEFORE the analysis
began (only the stable version served then) already crosses the gate. So, for a Canary whose spec was written
shortly before the incident, the controller's own halt words give the metric, the measured value and the threshold
(which must be one the Canary's spec holds), and Prometheus, asked at a moment before the first halt, gives the
stable version's value of a latency / duration series labelled with the Canary's target. The gate is named when
that baseline is already past the threshold. Not named: a baseline inside the gate (the release regressed), no
baseline to read (unknown beats a guess), a Canary whose spec was not written in the window, a halt whose threshold
the Canary's spec does not hold.

The survey calls `read` (reading only); `found` is pure over what was read.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage import analysis_gate, metric_template_empty
from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject

CHECK = "change.gate_below_baseline"
WEIGHT = 0.93
"""Above a bare write to the Canary and the rollback it caused: the gate's own halts and the baseline agree."""
KINDS = ("Canary",)
WITHIN = timedelta(hours=24)
BEFORE = timedelta(minutes=5)
"""How long before the first halt the baseline is read (only the stable version served then)."""
MAX_OBJECTS = 2
READS_KEY = "gate_baseline"
HALT = re.compile(r"(?P<what>[A-Za-z][\w .-]*?)\s+(?P<measured>\d+(?:\.\d+)?)\s*(?P<unit>ms|s|%)?\s*"
                  r"(?P<op>[<>])\s*(?P<threshold>\d+(?:\.\d+)?)\s*(?:ms|s|%)?(?:\s|$|[,;)])")
"""A measured value against its threshold in a controller's halt words: `request duration 418ms > 250ms`,
`request success rate 97.10% < 99%`, `error-rate 2.10 > 1`."""
HALTING = re.compile(r"\bhalt|\bfailed check|\bbelow threshold|\babove threshold", re.IGNORECASE)
LATENCY = re.compile(r"duration|latency|response_time", re.IGNORECASE)
SKIP_SERIES = re.compile(r"_(?:bucket|count|sum|total)$")


@dataclass
class TightGate:
    """A Canary whose gate the stable version already crosses."""

    canary: Ref
    metric: str
    threshold: float
    op: str
    measured: list[float]
    baseline: float
    series: str
    halt: str
    written_at: datetime
    evidence: list[str] = field(default_factory=list)


def _metrics(canary: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in ((canary.get("spec") or {}).get("analysis") or {}).get("metrics") or [] if isinstance(m, dict)]


def _halts(facts: Facts, canary: Ref) -> list[tuple[str, datetime | None, str]]:
    """(message, when, evidence id) of the controller's halts on this Canary."""
    kept = (facts.reads.get(READS_KEY) or {}).get("events") or []
    return [(str(r.get("message") or ""), parse_time(r.get("first_seen") or r.get("last_seen")), e) for r, e in kept
            if str(r.get("kind")) == canary.kind and str(r.get("name")) == canary.name
            and str(r.get("namespace") or canary.namespace) == canary.namespace
            and HALTING.search(str(r.get("message") or "")) and HALT.search(str(r.get("message") or ""))]


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Reading only: the Canaries written in WITHIN, their namespace's events, and for one that halted, the
    latency / duration series labelled with its target at a moment before the first halt; then the same class in
    Argo Rollouts' shape (agent.triage.analysis_gate: templates and the AnalysisRuns on each side of their write)."""
    await analysis_gate.read(subject.namespace, facts, call)
    await metric_template_empty.read(subject.namespace, facts, call)
    refs: list[Ref] = []
    for _, _, ref in facts.writes_to(KINDS, within=WITHIN, deletions=False):
        if all(not ref.same_object(r) for r in refs):
            refs.append(ref)
    if not refs:
        return
    kept: dict[str, Any] = facts.reads.setdefault(READS_KEY, {"events": [], "canaries": [], "baseline": {}})
    for namespace in dict.fromkeys(r.namespace for r in refs[:MAX_OBJECTS]):
        got = await call("k8s_events", {"namespace": namespace}, f"survey-gate-events-{namespace}")
        if got is not None and got.ok and isinstance(got.data, dict):
            kept["events"] += [(r, got.evidence_id) for r in got.data.get("events") or [] if isinstance(r, dict)]
    for ref in refs[:MAX_OBJECTS]:
        halts = [h for h in _halts(facts, ref) if h[1] is not None]
        obj = await get_yaml(call, ref.kind, ref.name, ref.namespace, f"survey-gate-{ref.name}") if halts else None
        if obj is None:
            continue
        kept["canaries"].append(obj)
        first = min(h[1] for h in halts if h[1] is not None)
        moment = (first - BEFORE).isoformat().replace("+00:00", "Z")
        got = await call("prom_query", {"query": '{__name__=~".*(duration|latency|response_time).*"}',
                                        "time": moment}, f"survey-gate-baseline-{ref.name}")
        if got is not None and got.ok and isinstance(got.data, dict):
            kept["baseline"][str(ref)] = (got.data.get("samples") or [], got.evidence_id)


def _ms(name: str, value: float) -> float:
    """A latency value in milliseconds from its series name's unit (seconds unless it says milliseconds)."""
    return value if re.search(r"milli|_ms\b|_ms_", name) else value * 1000


def _threshold_ms(value: float, unit: str | None) -> float:
    """A latency gate in milliseconds: Flagger's built-in duration check says `ms`; a custom metric's threshold is
    in its query's unit, seconds when it is that small (no latency gate is set below 20 ms)."""
    if unit == "ms":
        return value
    return value * 1000 if unit == "s" or value < 20 else value


def _baseline(samples: list[dict[str, Any]], targets: set[str]) -> tuple[float, str] | None:
    """The highest latency (ms) among the series labelled with one of the targets' names (quantile or gauge
    series only: buckets, counts and sums are not a latency)."""
    best: tuple[float, str] | None = None
    for s in samples:
        labels = s.get("labels") or {} if isinstance(s, dict) else {}
        name = str(labels.get("__name__") or "")
        if not name or SKIP_SERIES.search(name) or not targets & {str(v) for v in labels.values()}:
            continue
        try:
            value = _ms(name, float(s.get("value")))  # type: ignore[union-attr, arg-type]
        except (TypeError, ValueError):
            continue
        if best is None or value > best[0]:
            best = (value, name)
    return best


def found(facts: Facts) -> list[TightGate]:
    """Canaries written in WITHIN whose latency gate (`max`, in ms) the stable version's value before the analysis
    began already crosses, with the controller's halts naming that very threshold."""
    kept = facts.reads.get(READS_KEY) or {}
    writes = {ref: change for change, _, ref in facts.writes_to(KINDS, within=WITHIN, deletions=False)}
    out: list[TightGate] = []
    for canary, c_evidence in kept.get("canaries") or []:
        meta = canary.get("metadata") or {}
        ref = Ref(str(canary.get("kind") or "Canary"), str(meta.get("namespace") or ""), str(meta.get("name") or ""))
        write = next((c for r, c in writes.items() if r.same_object(ref)), None)
        written_at = parse_time(write.get("at")) if write else None
        samples, b_evidence = (kept.get("baseline") or {}).get(str(ref), ([], ""))
        if written_at is None or not samples:
            continue
        spec = canary.get("spec") or {}
        targets = {str(n) for n in ((spec.get("targetRef") or {}).get("name"), (spec.get("ingressRef") or {}).get(
            "name"), meta.get("name")) if n}
        targets |= {f"{t}-primary" for t in targets}
        base = _baseline(samples, targets)
        if base is None:
            continue
        halts = _halts(facts, ref)
        measured = [float(h.group("measured")) for h in (HALT.search(t) for t, _, _ in halts) if h]
        for message, when, h_evidence in halts:
            m = HALT.search(message)
            if m is None or m.group("op") != ">" or (when is not None and when > facts.at):
                continue
            threshold = float(m.group("threshold"))
            metric = next((str(x.get("name")) for x in _metrics(canary)
                           if (x.get("thresholdRange") or {}).get("max") is not None
                           and float((x.get("thresholdRange") or {})["max"]) == threshold), None)
            if metric is None or not (LATENCY.search(metric) or LATENCY.search(m.group("what"))):
                continue
            if base[0] <= _threshold_ms(threshold, m.group("unit")):
                continue
            out.append(TightGate(ref, metric, threshold, ">", measured, base[0], base[1], message.strip()[:200],
                                 written_at, [e for e in (facts.changes_id, c_evidence, h_evidence, b_evidence) if e]))
            break
    return out


def finding(g: TightGate, at: datetime) -> dict[str, Any]:
    """The Canary's gate, its threshold, and the stable version's value that already crosses it."""
    ago = minutes_text(int((at - g.written_at).total_seconds() // 60))
    low, high = min(g.measured, default=g.baseline), max(g.measured, default=g.baseline)
    seen = f"{low:g}" if low == high else f"{low:g}-{high:g}"
    message = (f"{g.canary}'s analysis gate {g.metric} (thresholdRange max {g.threshold:g}), written {ago} before "
               f"the incident, is below what the stable version already measures: {g.series} was {g.baseline:.0f} ms "
               f"before the analysis began, and every check halts ('{g.halt}'; measured {seen} against the "
               f"threshold {g.threshold:g}), so the failed-checks threshold is reached and every release is rolled "
               f"back. The release is not at fault: set the {g.metric} threshold above the normal value")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": g.canary.kind, "namespace": g.canary.namespace, "name": g.canary.name},
            "reason": "GateBelowBaseline", "message": message, "evidence": [g.halt],
            "details": {"metric": g.metric, "threshold": g.threshold, "baseline_ms": g.baseline, "series": g.series}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the Canary or analysis template, its finding, evidence ids, nothing else explained) for the ranking."""
    out: list[tuple[Ref, dict[str, Any], list[str], list[Ref]]] = [
        (g.canary, finding(g, facts.at), g.evidence, []) for g in found(facts)]
    return out + [(a.template, analysis_gate.finding(a, facts.at, CHECK), a.evidence, [])
                  for a in analysis_gate.found(facts) + metric_template_empty.found(facts)]
