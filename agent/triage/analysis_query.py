"""Progressive-delivery analysis failing on its own query: the analysis template is the culprit, not the release.

Argo Rollouts measures a canary with an AnalysisTemplate or ClusterAnalysisTemplate (a Prometheus query and a
successCondition), Flagger with a MetricTemplate its Canary's analysis references. Change the query to a metric
the application does not export (a Micrometer name `http_server_requests_seconds_count` for an app exporting
`http_requests_total`, a renamed label) and the query returns an EMPTY result: Argo Rollouts evaluates
`result[0]` on an empty vector and the measurement errors (`reflect: slice index out of range`), the AnalysisRun
ends `Error` after consecutiveErrorLimit, and every canary is aborted and rolled back; Flagger halts advancement
(`no values found for metric`) and fails the canary. The releases look broken and are not: a cluster-scoped
template changes every team's releases at once.

Held together from what the objects say: the template was written (timeline), its query's metric has no series
for the selector the run substitutes (asked of Prometheus), and an analysis that used that template failed
(the AnalysisRun's status, or the Canary's). `read` reads (reading only); `found` is pure over the facts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import Call, get_yaml

CHECK = "change.analysis_query"
WEIGHT = 0.93
"""The template every analysis runs outranks the rollouts it aborted and their own template changes."""
STORE = "analysis_query"
WITHIN = timedelta(hours=24)
"""Templates change rarely; a write a day back still explains every release aborted since."""
TEMPLATE_KINDS = ("AnalysisTemplate", "ClusterAnalysisTemplate", "MetricTemplate")
RUN_KINDS = ("AnalysisRun", "Canary")
MAX_READS = 3

TOKEN = re.compile(r"(?<![\w:.\"'])(?P<name>[A-Za-z_:][\w:]*)\s*(?P<labels>\{[^{}]*\})?|\{[^{}]*\}|\"[^\"]*\"")
"""A name with its `{...}` matchers, or a bare `{...}` / string (skipped, so words inside them are not names)."""
PROMQL_WORDS = frozenset({"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or",
                          "unless", "offset", "inf", "nan", "sum", "avg", "min", "max", "count", "rate", "irate",
                          "increase", "histogram_quantile", "le"})
TEMPLATE_VAR = re.compile(r"\{\{\s*(?:args\.)?([\w.-]+)\s*\}\}")
NO_DATA = re.compile(r"\bno data\b|returned no (?:data|results?|series|values)|no results? (?:returned|found)|"
                     r"no values found|empty (?:result|response|series|vector)|slice index out of range|"
                     r"index out of range|\bNaN\b", re.I)
"""A provider's or the analysis controller's words for a query that answered nothing (Argo Rollouts' error on
`result[0]` of an empty vector, Flagger's halt, a provider's `no data`)."""
EMPTY_VALUES = ("", "[]", "NaN", "nan", "<nil>", "null", "[NaN]")
"""A measurement's stored value when the query answered nothing (Argo Rollouts' status.metricResults[].measurements)."""
FAILED = re.compile(r"\b(?:Error|Failed|Inconclusive)\b|slice index out of range|no values found|empty result|"
                    r"NaN|failed checks threshold|Halt advancement", re.I)
"""An analysis's failure words: Argo Rollouts' phases and its error on an empty vector, Flagger's halt."""


@dataclass
class BadQuery:
    """A written analysis template whose query's metric has no series, and the analysis it failed."""

    template: Ref
    metric: str
    selector: str
    minutes: int
    failed: str
    run: Ref
    owner: Ref | None
    exported: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    result: str = "empty"
    """What the query answers: `empty` (no series) or `NaN` (a ratio over nothing)."""
    provider: str = "prometheus"
    """Who answered: Prometheus (asked here), or another provider whose answer the run itself records."""


def _queries(obj: dict[str, Any]) -> list[tuple[str, str]]:
    """(metric name, query) of a template: Argo's `spec.metrics[].provider.prometheus.query`, Flagger's
    `spec.query` (a MetricTemplate of provider prometheus)."""
    spec = obj.get("spec") or {}
    out = [(str(m.get("name") or ""), str(((m.get("provider") or {}).get("prometheus") or {}).get("query") or ""))
           for m in spec.get("metrics") or [] if isinstance(m, dict)]
    if spec.get("query") and _flagger_provider(obj) in ("", "prometheus"):
        out.append((str((obj.get("metadata") or {}).get("name") or ""), str(spec["query"])))
    return [(n, q) for n, q in out if q]


def _flagger_provider(obj: dict[str, Any]) -> str:
    return str(((obj.get("spec") or {}).get("provider") or {}).get("type") or "").lower()


def other_queries(obj: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(metric name, query, provider) of a template's queries Prometheus cannot answer: Argo Rollouts' Datadog,
    New Relic, Wavefront, Graphite, InfluxDB, SkyWalking providers, CloudWatch's expressions, a Flagger MetricTemplate
    of another provider type. Their emptiness is read from the run's own words and measurements."""
    spec = obj.get("spec") or {}
    out: list[tuple[str, str, str]] = []
    for m in spec.get("metrics") or []:
        for provider, body in ((m.get("provider") or {}) if isinstance(m, dict) else {}).items():
            if provider == "prometheus" or not isinstance(body, dict):
                continue
            queries = [body.get("query"), *((body.get("queries") or {}).values() if isinstance(
                body.get("queries"), dict) else []), *(q.get("expression") for q in body.get("metricDataQueries") or []
                                                      if isinstance(q, dict))]
            out += [(str(m.get("name") or ""), str(q), provider) for q in queries if q]
    if spec.get("query") and _flagger_provider(obj) not in ("", "prometheus"):
        out.append((str((obj.get("metadata") or {}).get("name") or ""), str(spec["query"]), _flagger_provider(obj)))
    return out


def substitute(query: str, args: dict[str, str]) -> str:
    """The query as the run sends it: `{{args.service-name}}` (Argo) and `{{ namespace }}`, `{{ target }}`
    (Flagger) replaced by the run's values; unknown variables left as written."""
    return TEMPLATE_VAR.sub(lambda m: args.get(m.group(1), m.group(0)), query)


def selectors(query: str) -> list[tuple[str, str]]:
    """The metric selectors of a PromQL query: (name, `{matchers}` or ''). Functions (a name before `(`), keywords
    and the labels of `by (...)` / `without (...)` are not selectors."""
    out: list[tuple[str, str]] = []
    for m in TOKEN.finditer(query):
        name = m.group("name")
        if not name or name.lower() in PROMQL_WORDS:
            continue
        rest = query[m.end():].lstrip()
        if rest.startswith("(") and not m.group("labels"):
            continue  # a function call
        if re.search(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*$", query[:m.start()]):
            continue  # a label inside `by (...)`
        if (name, m.group("labels") or "") not in out:
            out.append((name, m.group("labels") or ""))
    return out


def _args(run: dict[str, Any]) -> dict[str, str]:
    spec = run.get("spec") or {}
    out = {str(a.get("name")): str(a.get("value")) for a in spec.get("args") or []
           if isinstance(a, dict) and a.get("value") is not None}
    target = (spec.get("targetRef") or {}).get("name")
    if target:  # Flagger's variables
        out |= {"target": str(target), "namespace": str((run.get("metadata") or {}).get("namespace") or "")}
    return out


def _failure(run: dict[str, Any]) -> str:
    status = run.get("status") or {}
    said = [str(status.get("message") or "")] + [str(c.get("message") or "") for c in status.get("conditions") or []
                                                 if isinstance(c, dict)]
    said += [str(r.get("message") or "") for r in status.get("metricResults") or [] if isinstance(r, dict)]
    phase = str(status.get("phase") or "")
    text = next((s for s in said if s and FAILED.search(s)), "")
    if "Error Message:" in text:  # Argo Rollouts wraps the provider's error: the error itself first
        text = text.split("Error Message:", 1)[1].strip(' "') + " (" + text.split(":", 1)[0] + ")"
    return text if text or phase not in ("Error", "Failed", "Inconclusive") else f"phase {phase}"


def _uses(run: dict[str, Any], template: dict[str, Any]) -> bool:
    """Whether the run measured with this template: the same query (Argo copies it into the run), or a Canary whose
    analysis references the template by name."""
    queries = {q for _, q in _queries(template)} | {q for _, q, _ in other_queries(template)}
    if queries & ({q for _, q in _queries(run)} | {q for _, q, _ in other_queries(run)}):
        return True
    name = str((template.get("metadata") or {}).get("name") or "")
    refs = [(m.get("templateRef") or {}).get("name") for m in ((run.get("spec") or {}).get("analysis") or {}).get(
        "metrics") or [] if isinstance(m, dict)]
    return bool(name) and name in refs


def _store(facts: Facts) -> dict[str, Any]:
    return facts.reads.setdefault(STORE, {"templates": [], "runs": [], "series": {}, "exported": {}, "whole": {}})


async def read(facts: Facts, call: Call, at: str) -> None:
    """Reading only, bounded: the analysis templates written in WITHIN, the newest analysis runs (Argo AnalysisRuns,
    Flagger Canaries) the timeline shows, and for a failed run, whether each selector of the template's query has
    series in Prometheus (with the run's args substituted), and which metric names the selector's labels do have."""
    writes = facts.writes_to(TEMPLATE_KINDS, within=WITHIN, deletions=False)
    if not writes:
        return
    store = _store(facts)
    seen: set[Ref] = set()
    for _, _, ref in writes:
        if ref in seen or len(seen) >= MAX_READS:
            continue
        seen.add(ref)
        got = await get_yaml(call, ref.kind, ref.name, ref.namespace, f"survey-analysis-template-{ref.name}")
        if got is not None:
            store["templates"].append(got)
    runs = sorted(facts.writes_to(RUN_KINDS, within=WITHIN, deletions=False),
                  key=lambda w: str(w[0].get("at") or ""), reverse=True)
    refs = [ref for _, _, ref in runs]
    for ns in sorted({r.namespace for r in seen if r.kind == "MetricTemplate"}):
        # a Flagger Canary is long-lived: its failure is in its status, not in a new object the timeline shows
        listed = await call("k8s_list", {"kind": "Canary", "namespace": ns}, f"survey-analysis-canaries-{ns}")
        if listed is not None and listed.ok and isinstance(listed.data, dict):
            refs += [Ref("Canary", ns, str(r.get("name"))) for r in listed.data.get("rows") or []
                     if isinstance(r, dict) and r.get("name")]
    read_runs: set[Ref] = set()
    for ref in refs:
        if ref in read_runs or len(read_runs) >= MAX_READS:
            continue
        read_runs.add(ref)
        got = await get_yaml(call, ref.kind, ref.name, ref.namespace, f"survey-analysis-run-{ref.name}")
        if got is not None and _failure(got[0]):
            store["runs"].append(got)
    asked: set[str] = set()
    for template, _ in store["templates"]:
        for run, _ in store["runs"]:
            if not _uses(run, template):
                continue
            for _, query in _queries(template):
                whole = substitute(query, _args(run))
                if "{{" not in whole and whole not in store["whole"] and len(store["whole"]) < MAX_READS:
                    got = await call("prom_query", {"query": whole, "time": at},
                                     f"survey-analysis-query-{len(store['whole'])}")
                    if got is not None and got.ok and isinstance(got.data, dict):
                        store["whole"][whole] = (_answer(got.data), got.evidence_id)
                for name, labels in selectors(whole):
                    selector = f"{name}{labels}"
                    if selector in asked or "{{" in selector or len(asked) >= 6:
                        continue
                    asked.add(selector)
                    got = await call("prom_query", {"query": f"count({selector})", "time": at},
                                     f"survey-analysis-series-{len(asked)}")
                    if got is None or not got.ok or not isinstance(got.data, dict):
                        continue
                    store["series"][selector] = (bool(got.data.get("samples")), got.evidence_id)
                    if not got.data.get("samples") and labels.strip("{}").strip():
                        names = await call("prom_query", {"query": f"count by (__name__) ({labels})", "time": at},
                                           f"survey-analysis-exported-{len(asked)}")
                        if names is not None and names.ok and isinstance(names.data, dict):
                            store["exported"][selector] = sorted({
                                str((s.get("labels") or {}).get("__name__")) for s in names.data.get("samples") or []
                                if isinstance(s, dict) and (s.get("labels") or {}).get("__name__")})


def _answer(data: dict[str, Any]) -> str:
    """A query's answer as an analysis reads it: `empty` (no sample), `NaN` (every sample NaN), else `ok`."""
    values = [str(s.get("value")) for s in data.get("samples") or [] if isinstance(s, dict)]
    if not values:
        return "empty"
    return "NaN" if all(v.lower() == "nan" for v in values) else "ok"


def _related(missing: str, names: list[str]) -> list[str]:
    """The exported names closest to the missing one (sharing most of its words), for the fix."""
    words = set(missing.split("_"))
    scored = sorted(names, key=lambda n: -len(words & set(n.split("_"))))
    return [n for n in scored if words & set(n.split("_"))][:3]


def found(facts: Facts) -> list[BadQuery]:
    """Templates written in WITHIN whose query selects no series, used by an analysis that failed."""
    store = facts.reads.get(STORE) or {}
    writes = {ref: change for change, _, ref in facts.writes_to(TEMPLATE_KINDS, within=WITHIN, deletions=False)}
    out: list[BadQuery] = []
    for template, t_evidence in store.get("templates") or []:
        meta = template.get("metadata") or {}
        ref = next((r for r in writes if r.name == meta.get("name")
                    and r.namespace == str(meta.get("namespace") or "")), None)
        at = parse_time(writes[ref].get("at")) if ref else None
        if ref is None or at is None:
            continue
        for run, r_evidence in store.get("runs") or []:
            if not _uses(run, template):
                continue
            empty = [(name, labels) for _, q in _queries(template) for name, labels in selectors(
                substitute(q, _args(run))) if (store.get("series") or {}).get(f"{name}{labels}", (True, ""))[0]
                is False]
            wholes = [(substitute(q, _args(run)), (store.get("whole") or {}).get(substitute(q, _args(run))))
                       for _, q in _queries(template)]
            bad = [(q, got) for q, got in wholes if got and got[0] in ("empty", "NaN")]
            said = None if empty or bad else no_data(run, template)
            if not empty and not bad and said is None:
                continue
            provider = said[0] if said else "prometheus"
            if said:  # another provider: what the run recorded is the answer
                result, name, labels, series_evidence = said[2], "", substitute(said[1], _args(run)), r_evidence
            else:
                result = "empty" if empty else bad[0][1][0]
                name, labels = empty[0] if empty else ("", bad[0][0])
                series_evidence = store["series"][f"{name}{labels}"][1] if empty else bad[0][1][1]
            run_meta = run.get("metadata") or {}
            owner = next((Ref(str(o.get("kind")), str(run_meta.get("namespace") or ""), str(o.get("name")))
                          for o in run_meta.get("ownerReferences") or [] if isinstance(o, dict) and o.get("name")),
                         None)
            if run.get("kind") == "Canary":
                owner = Ref("Canary", str(run_meta.get("namespace") or ""), str(run_meta.get("name") or ""))
            out.append(BadQuery(ref, name, labels, int((facts.at - at).total_seconds() // 60), _failure(run)[:220],
                                Ref(str(run.get("kind") or "AnalysisRun"), str(run_meta.get("namespace") or ""),
                                    str(run_meta.get("name") or "")), owner,
                                _related(name, (store.get("exported") or {}).get(f"{name}{labels}") or []),
                                [e for e in (facts.changes_id, t_evidence, r_evidence, series_evidence) if e], result,
                                provider))
            break
    return out


def no_data(run: dict[str, Any], template: dict[str, Any]) -> tuple[str, str, str] | None:
    """(provider, query, `empty`/`NaN`) when a template's non-Prometheus query answered nothing, as the run records
    it: a measurement whose value is an empty list or NaN, or the run's words for no data. An error of another kind
    (401 from the provider, a timeout) is not the query's emptiness."""
    queries = other_queries(template)
    if not queries:
        return None
    status = run.get("status") or {}
    for result in status.get("metricResults") or []:
        if not isinstance(result, dict):
            continue
        hit = next(((q, p) for n, q, p in queries if n == result.get("name")), None)
        values = [str(m.get("value")) for m in result.get("measurements") or [] if isinstance(m, dict)
                  and m.get("value") is not None]
        words = " ".join([str(result.get("message") or "")] + [str(m.get("message") or "") for m in
                                                              result.get("measurements") or [] if isinstance(m, dict)])
        if hit and (any(v in EMPTY_VALUES[1:] for v in values) or NO_DATA.search(words)):
            nan = any("nan" in v.lower() for v in values) or "NaN" in words
            return hit[1], hit[0], "NaN" if nan else "empty"
    if NO_DATA.search(_failure(run)):
        _, query, provider = queries[0]
        return provider, query, "NaN" if "NaN" in _failure(run) else "empty"
    return None


def finding(b: BadQuery) -> dict[str, Any]:
    """The template as the suspect: its query's empty result first, then the analysis failure and what it aborted."""
    exports = f" Its series carry other names ({', '.join(b.exported)})." if b.exported else ""
    short = b.failed.split(" (", 1)[0][:110]
    aborted = (f"{b.owner} has every canary aborted and rolled back" if b.owner and b.owner.kind != "Canary"
               else f"{b.owner} fails its canary analysis" if b.owner else "the canary analysis fails")
    answer = ("which has no series in Prometheus: an empty result" if b.result == "empty"
              and b.provider == "prometheus" else "which Prometheus answers with NaN (a ratio over no matching samples)"
              if b.provider == "prometheus" else f"which its {b.provider} provider answers with no data: an empty "
              "result" if b.result == "empty" else f"which its {b.provider} provider answers with NaN")
    message = (f"{b.template}, the analysis template, was changed {minutes_text(b.minutes)} before the alert and "
               f"now queries {b.metric}{b.selector[:80]}, {answer}, so each measurement errors or fails "
               f"('{short}', {b.run}) and {aborted}.{exports} The releases are not at "
               "fault: restore the template's query (or give the application a template of its own)")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": b.template.kind, "namespace": b.template.namespace, "name": b.template.name},
            "reason": "AnalysisQueryEmpty", "message": message,
            "evidence": [f"count({b.metric}{b.selector}) returned no series" if b.metric
                         else f"{b.selector[:160]} returned {b.result}", b.failed],
            "details": {"metric": b.metric, "selector": b.selector, "run": str(b.run), "exported": b.exported}}
