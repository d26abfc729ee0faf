"""An analysis template rewritten shortly before a rollout's analysis failed, where the gate changed, not the release.

Argo Rollouts judges each canary step with an AnalysisRun made from an AnalysisTemplate (or a cluster-wide
ClusterAnalysisTemplate): each metric's provider query is measured, and its `successCondition` /
`failureCondition` decides. The run keeps what it measured in `status.metricResults[].measurements[]` (value,
phase, message), and a failed run aborts the rollout (`RolloutAborted`, `AnalysisRunFailed`). When the template is
written with a tighter condition, or with a query that returns nothing (a renamed series, a wrong label), every
release fails its analysis although the new version is no worse than the old one.

The evidence any instance leaves, read here: a template written in the window (its managedFields / timeline time);
an AnalysisRun created after that write that failed (Failed, Error or Inconclusive) on a metric of the template,
with the template's current condition and query (the run ran the new gate); and either
- measurements that returned nothing (an empty value, or the provider's words for no data), or
- an earlier run, created before the write, whose same metric passed under a different condition or query with
  about the values that now fail: the service measures the same, the verdict changed with the gate.
Not named: a template not written in the window; a run created before the write; a failing metric whose values
differ from what passed before (the release regressed); no earlier run to compare and values present (unknown
beats a guess); an earlier run that judged the metric with the same condition and query (the write changed
something else).

`read` only reads; `found` is pure over what was read.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml, rows_of

KINDS = ("AnalysisTemplate", "ClusterAnalysisTemplate")
WITHIN = timedelta(hours=24)
MAX_TEMPLATES = 2
RUNS_EACH_SIDE = 2
"""Runs read on each side of the template's write: the newest failures after it, the newest runs before it."""
READS_KEY = "analysis_gate"
FAILED = {"failed", "error", "inconclusive"}
SAME = 0.15
"""How close (relative) the failing values must be to what passed before to call them the same measure."""
NO_DATA = re.compile(r"no (?:values?|data|results?|series)|empty (?:result|response|vector)|returned no"
                     r"|index out of range|out of bounds|not found|nan\b", re.IGNORECASE)
"""The words several providers use when a query matched nothing (Prometheus empty vector, Datadog no data,
an expression indexing an empty result)."""
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
PLACEHOLDER = re.compile(r"\\\{\\\{.*?\\\}\\\}")

Call = Callable[..., Awaitable[Any]]


@dataclass
class ChangedGate:
    """A template whose rewritten gate failed a run that measured what passed before (or measured nothing)."""

    template: Ref
    metric: str
    shape: str
    """`empty`: the query returns nothing; `tightened`: the same values now fail."""
    run: str
    values: list[float]
    before: list[float]
    condition: str
    written_at: datetime
    evidence: list[str] = field(default_factory=list)


def _meta(obj: dict[str, Any]) -> dict[str, Any]:
    return obj.get("metadata") or {}


def _metrics(obj: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A template's or run's metrics by name (both keep them in `spec.metrics`)."""
    return {str(m.get("name")): m for m in (obj.get("spec") or {}).get("metrics") or []
            if isinstance(m, dict) and m.get("name")}


def _query(metric: dict[str, Any]) -> str:
    """The provider's query text, whatever the provider (prometheus.query, datadog.query, web.url, ...)."""
    provider = metric.get("provider") or {}
    for body in provider.values() if isinstance(provider, dict) else []:
        if isinstance(body, dict):
            text = body.get("query") or body.get("url") or body.get("jsonPath")
            if text:
                return " ".join(str(text).split())
    return ""


def _gate(metric: dict[str, Any]) -> tuple[str, str, str]:
    return (" ".join(str(metric.get("successCondition") or "").split()),
            " ".join(str(metric.get("failureCondition") or "").split()), _query(metric))


def _runs_as_template(run_metric: dict[str, Any], template_metric: dict[str, Any]) -> bool:
    """The run judged this metric with the template's current gate (a run may hold `{{args.x}}` resolved)."""
    ran, now = _gate(run_metric), _gate(template_metric)
    if ran[:2] != now[:2]:
        return False
    pattern = PLACEHOLDER.sub(".*?", re.escape(now[2]))
    return re.fullmatch(pattern, ran[2]) is not None


def _results(run: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(r.get("name")): r for r in (run.get("status") or {}).get("metricResults") or []
            if isinstance(r, dict) and r.get("name")}


def _values(result: dict[str, Any]) -> tuple[list[float], int]:
    """(the numbers measured, how many measurements returned nothing) of one metric's result."""
    numbers: list[float] = []
    empty = 0
    for m in result.get("measurements") or []:
        if not isinstance(m, dict):
            continue
        value = str(m.get("value") or "").strip()
        found = [float(x) for x in NUMBER.findall(value)]
        if found:
            numbers += found
        elif value in ("", "[]", "{}", "null", "<nil>", "[NaN]", "NaN") or NO_DATA.search(str(m.get("message") or "")):
            empty += 1
    return numbers, empty


def _phase(obj: dict[str, Any]) -> str:
    return str(obj.get("phase") or "").lower()


def _created(obj: dict[str, Any]) -> datetime | None:
    return parse_time(_meta(obj).get("creationTimestamp"))


async def read(namespace: str, facts: Facts, call: Call) -> None:
    """Reading only: the templates written in WITHIN, and the AnalysisRuns of their namespace (the incident's for a
    cluster-wide template) on each side of the write."""
    refs: list[tuple[Ref, datetime]] = []
    for change, _, ref in facts.writes_to(KINDS, within=WITHIN, deletions=False):
        at = parse_time(change.get("at"))
        if at is not None and all(not ref.same_object(r) for r, _ in refs):
            refs.append((ref, at))
    if not refs:
        return
    kept: dict[str, Any] = facts.reads.setdefault(READS_KEY, {"templates": [], "runs": []})
    listed: set[str] = set()
    for ref, at in refs[:MAX_TEMPLATES]:
        got = await get_yaml(call, ref.kind, ref.name, ref.namespace, f"survey-analysis-template-{ref.name}")
        if got is None:
            continue
        kept["templates"].append(got)
        where = ref.namespace or namespace
        if not where or where in listed:
            continue
        listed.add(where)
        rows = sorted(rows_of(await call("k8s_list", {"kind": "AnalysisRun", "namespace": where},
                                         f"survey-analysis-runs-{where}")), key=lambda r: str(r.get("created") or ""))
        after = [r for r in rows if (parse_time(r.get("created")) or at) > at][-RUNS_EACH_SIDE:]
        before = [r for r in rows if (parse_time(r.get("created")) or at) < at][-RUNS_EACH_SIDE:]
        for row in before + after:
            name = str(row.get("name"))
            run = await get_yaml(call, "AnalysisRun", name, where, f"survey-analysis-run-{name}")
            if run is not None:
                _meta(run[0]).setdefault("creationTimestamp", row.get("created"))
                kept["runs"].append(run)


def _same(now: list[float], before: list[float]) -> bool:
    a, b = median(now), median(before)
    return abs(a - b) <= SAME * max(abs(a), abs(b), 1e-9)


def found(facts: Facts) -> list[ChangedGate]:
    """Templates written in WITHIN whose new gate failed a later run on the measure that passed before, or on a
    query that returned nothing."""
    kept = facts.reads.get(READS_KEY) or {}
    writes: list[tuple[Ref, datetime]] = [(r, t) for c, _, r in facts.writes_to(KINDS, within=WITHIN, deletions=False)
                                          if (t := parse_time(c.get("at"))) is not None]
    runs: list[tuple[dict[str, Any], str]] = kept.get("runs") or []
    out: list[ChangedGate] = []
    for template, t_evidence in kept.get("templates") or []:
        meta = _meta(template)
        ref = Ref(str(template.get("kind") or ""), str(meta.get("namespace") or ""), str(meta.get("name") or ""))
        written_at = max((t for r, t in writes if r.same_object(ref)), default=None)
        if written_at is None:
            continue
        hit = _judge(facts, ref, template, written_at, runs)
        if hit is not None:
            hit.evidence = [e for e in (facts.changes_id, t_evidence, *hit.evidence) if e]
            out.append(hit)
    return out


def _judge(facts: Facts, ref: Ref, template: dict[str, Any], written_at: datetime,
           runs: list[tuple[dict[str, Any], str]]) -> ChangedGate | None:
    """The first run after the write that failed on one of the template's metrics for the gate's sake."""
    mine = [(r, e) for r, e in runs if not ref.namespace or _meta(r).get("namespace", ref.namespace) == ref.namespace]
    earlier = [(r, e) for r, e in mine if (_created(r) or written_at) < written_at]
    for run, r_evidence in mine:
        created = _created(run)
        if created is None or not written_at < created <= facts.at or _phase(run.get("status") or {}) not in FAILED:
            continue
        for name, t_metric in _metrics(template).items():
            result = _results(run).get(name)
            r_metric = _metrics(run).get(name)
            if result is None or r_metric is None or _phase(result) not in FAILED:
                continue
            if not _runs_as_template(r_metric, t_metric):
                continue
            values, empty = _values(result)
            prior = [(p, e) for p, e in earlier if name in _results(p) and name in _metrics(p)]
            if any(_gate(_metrics(p)[name]) == _gate(r_metric) for p, _ in prior):
                continue  # judged the same way before the write: the write changed something else
            condition = _gate(t_metric)[0] or _gate(t_metric)[1]
            if empty and not values:
                return ChangedGate(ref, name, "empty", f"AnalysisRun {_meta(run).get('name')}", [], [],
                                   _gate(t_metric)[2],
                                   written_at, [r_evidence])
            passed = [(p, e) for p, e in prior if _phase(_results(p)[name]) == "successful"]
            before = [v for p, _ in passed for v in _values(_results(p)[name])[0]]
            if values and before and _same(values, before):
                return ChangedGate(ref, name, "tightened", f"AnalysisRun {_meta(run).get('name')}", values, before,
                                   condition,
                                   written_at, [r_evidence, passed[-1][1]])
    return None


def finding(g: ChangedGate, at: datetime, check: str) -> dict[str, Any]:
    """The template, the metric whose gate changed, and why the release is not at fault."""
    ago = minutes_text(int((at - g.written_at).total_seconds() // 60))
    if g.shape == "empty":
        why = (f"its query for {g.metric} returns nothing ('{g.condition[:160]}'), so every measurement of "
               f"{g.run} fails or errors and the rollout is aborted. The release is not at fault: "
               f"point the query back at a series the service emits")
        reason = "AnalysisQueryEmpty"
    else:
        now = f"{median(g.values):g}"
        was = f"{median(g.before):g}"
        why = (f"{g.metric} now fails its condition '{g.condition[:160]}' in {g.run} at about {now}, "
               f"while runs before the write passed the same metric at about {was}: the service measures the same "
               f"and the gate was tightened, so every release is aborted. The release is not at fault: set the "
               f"condition back to what the service normally measures")
        reason = "AnalysisGateTightened"
    message = f"{g.template} was written {ago} before the incident and {why}"
    return {"check": check, "severity": "critical",
            "object": {"kind": g.template.kind, "namespace": g.template.namespace, "name": g.template.name},
            "reason": reason, "message": message, "evidence": [],
            "details": {"metric": g.metric, "shape": g.shape, "run": g.run, "values": g.values, "before": g.before}}
