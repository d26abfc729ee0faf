"""A telemetry write whose relabel or filter rule drops the very series the alert reads: "no data" by config.

Between an app's `/metrics` and the store an alert reads, several rules can discard a series by name: a scrape's
`metricRelabelings` / `metric_relabel_configs`, a remote write's `writeRelabelConfigs` / `write_relabel_configs`
(Prometheus CR, prometheus.yml, VMAgent's `inlineUrlRelabelConfig`, VictoriaMetrics' `drop_metrics`/`keep_metrics` and
`if:` series selectors), an Alloy/Grafana Agent `prometheus.relabel`
rule block, an OpenTelemetry Collector `filter` processor (`exclude.metric_names`, an OTTL `name == "..."` or
`IsMatch(name, "...")` condition). A cost-cutting write that drops "all histogram buckets" (`regex: .+_bucket`) or
a too-broad `keep` list makes the alert's series absent at the store: the SLO rule reads "no data", a rate reads
zero, while the service and the local Prometheus are fine. The alert and the measured service are where it shows;
the rule is what to undo.

The survey (`read`, reading only) runs only when the alert names series (`Subject.series`, from its expression or
text): for each object of a telemetry kind written in the `LEAD` before the incident whose write touched its
relabelling or config, it reads the object as it is now and keeps each rule that discards one of those series by
name (a drop whose anchored regex matches it, a keep that does not, an exclude list holding it). A rule the write's
old side already had, a rule on another series, or a keep that still admits it is no cause. `found` is pure.
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

CHECK = "change.series_dropped"
WEIGHT = 0.9
"""A write whose rule discards the exact series the alert reads: above the measured service's own suspects."""
READS = "series_dropped"
LEAD = timedelta(hours=12)
MAX_READS = 6
KINDS = ("Prometheus", "PrometheusAgent", "ServiceMonitor", "PodMonitor", "ScrapeConfig", "Probe", "VMAgent",
         "VMServiceScrape", "VMPodScrape", "VMNodeScrape", "VMStaticScrape", "ConfigMap", "OpenTelemetryCollector",
         "GrafanaAgent", "MetricsInstance", "Alloy")
TOUCHED = re.compile(r"relabel|remote_?write|endpoints|scrape|metric|filter|processor|pipeline|data|config", re.I)
"""A write's summary or diff that touched where such rules live (a ConfigMap's data, a CR's remoteWrite)."""
Call = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class Rule:
    """One rule that may discard series by name: `drop` (regex matches: gone), `keep` (regex fails: gone) or
    `exclude` (a list of names or patterns: gone when one matches)."""

    action: str
    patterns: tuple[str, ...]
    where: str


@dataclass
class Dropped:
    """A written object whose rule discards a series the alert reads."""

    target: Ref
    rule: Rule
    series: str
    at: str
    minutes_before: int
    evidence: list[str] = field(default_factory=list)


def _full(pattern: str, name: str) -> bool:
    try:
        return re.fullmatch(pattern, name) is not None
    except re.error:
        return False


def discards(rule: Rule, name: str) -> bool:
    """Whether `rule` discards the series `name` (relabel regexes are anchored at both ends). A `keep` counts only
    on a write path, where it filters everything sent: a scrape job's keep list trims that job's own series, and
    the alert's series may come from any other job."""
    if rule.action == "keep":
        return "write" in rule.where.lower() and not any(_full(p, name) for p in rule.patterns)
    return any(_full(p, name) or p == name for p in rule.patterns)


_NAME_ONLY = re.compile(r"""^\s*(?:(?P<bare>[a-zA-Z_:][\w:]*)\s*(?:\{\s*\})?|"""
                        r"""\{\s*__name__\s*(?P<op>=~|=)\s*(?P<q>["'])(?P<value>(?:(?!(?P=q)).)+)(?P=q)\s*\})\s*$""")
"""A series selector that picks series by name alone: `http_requests_total`, `{__name__=~"http_.*"}`. One that
also matches other labels (`http_requests_total{job="edge"}`) discards only some series of that name: not read."""


def _selected(selector: Any) -> str | None:
    """The anchored name pattern of a VictoriaMetrics `if:` selector that picks series by name alone, else None."""
    m = _NAME_ONLY.match(str(selector)) if isinstance(selector, str) else None
    if m is None:
        return None
    if m.group("bare"):
        return re.escape(m.group("bare"))
    return m.group("value") if m.group("op") == "=~" else re.escape(m.group("value"))


def _relabel(node: dict[str, Any], where: str) -> Rule | None:
    """A relabel rule that drops or keeps series by name: Prometheus' `source_labels: [__name__]` with `drop`/`keep`,
    VictoriaMetrics' `drop_metrics`/`keep_metrics` (a regex over the name, no source labels) and its `if:` series
    selector on `drop`/`keep` when that selector names series by name alone."""
    action = str(node.get("action") or "replace").lower()
    if action in ("drop_metrics", "keep_metrics"):
        regex = node.get("regex")
        patterns = [str(r) for r in (regex if isinstance(regex, list) else [regex]) if isinstance(r, str) and r]
        return Rule(action.split("_")[0], ("|".join(patterns),), where) if patterns else None
    if action not in ("drop", "keep"):
        return None
    sources = node.get("sourceLabels", node.get("source_labels"))
    if sources is None and "if" in node and "regex" not in node:
        pattern = _selected(node.get("if"))
        return Rule(action, (pattern,), where) if pattern else None
    if not isinstance(sources, list) or [str(s) for s in sources] != ["__name__"]:
        return None
    regex = node.get("regex")
    return Rule(action, (str(regex),), where) if isinstance(regex, str) and regex else None


def _otel_filter(node: dict[str, Any], where: str) -> Iterator[Rule]:
    """An OpenTelemetry Collector filter processor's metric rules (`exclude`/`include` name lists, OTTL)."""
    got = node.get("metrics")
    metrics: dict[str, Any] = got if isinstance(got, dict) else {}
    for side, action in (("exclude", "drop"), ("include", "keep")):
        part = metrics.get(side)
        spec: dict[str, Any] = part if isinstance(part, dict) else {}
        names = [str(n) for n in spec.get("metric_names") or [] if isinstance(n, str)]
        if names:
            strict = str(spec.get("match_type") or "strict") == "strict"
            yield Rule(action, tuple(re.escape(n) if strict else f".*(?:{n}).*" for n in names), f"{where}.{side}")
    conditions = [str(c) for c in metrics.get("metric") or [] if isinstance(c, str)]
    patterns = [re.escape(m.group(1)) for c in conditions for m in re.finditer(r'\bname\s*==\s*"([^"]+)"', c)]
    patterns += [f".*(?:{m.group(1)}).*" for c in conditions
                 for m in re.finditer(r'IsMatch\(\s*name\s*,\s*"([^"]+)"', c)]
    if patterns:
        yield Rule("drop", tuple(patterns), f"{where}.metric")


_ALLOY_RULE = re.compile(r"rule\s*\{(?P<body>[^{}]*)\}", re.S)


def _alloy(text: str, where: str) -> Iterator[Rule]:
    """Alloy / Grafana Agent flow `rule { source_labels = ["__name__"] regex = "..." action = "drop" }` blocks."""
    if "prometheus.remote_write" in text:
        where = f"{where}.remote_write"  # the relabel component forwards to the remote write
    for m in _ALLOY_RULE.finditer(text):
        body = m.group("body")
        sources = re.search(r"source_labels\s*=\s*\[\s*\"__name__\"\s*\]", body)
        regex = re.search(r"regex\s*=\s*\"((?:[^\"\\]|\\.)*)\"", body)
        action = re.search(r"action\s*=\s*\"(drop|keep)\"", body)
        if sources and regex and action:
            yield Rule(action.group(1), (regex.group(1).replace("\\\\", "\\"),), where)


def rules(node: Any, where: str = "") -> Iterator[Rule]:
    """Every name-discarding rule in an object: relabel rules, filter processors, config text held as a string."""
    if isinstance(node, dict):
        if "action" in node and (rule := _relabel(node, where)) is not None:
            yield rule
        for key, value in node.items():
            path = f"{where}.{key}" if where else str(key)
            if str(key).startswith("filter") and isinstance(value, dict) and "metrics" in value:
                yield from _otel_filter(value, path)
            else:
                yield from rules(value, path)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from rules(value, f"{where}[{i}]")
    elif isinstance(node, str) and "\n" in node:
        if "rule" in node and "source_labels" in node and "{" in node:
            yield from _alloy(node, where)
            return
        try:
            parsed = yaml.safe_load(node)
        except yaml.YAMLError:
            return
        if isinstance(parsed, (dict, list)):
            yield from rules(parsed, where)


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, when the alert names series: the telemetry objects written recently, as they are now."""
    if not subject.series:
        return
    store: list[Dropped] = facts.reads.setdefault(READS, [])
    for w in await written_now(facts, call, KINDS, LEAD, MAX_READS, "survey-series-dropped", TOUCHED):
        old = w.old_text()
        where = "data" if w.target.kind == "ConfigMap" else "spec"
        for rule in rules(w.obj.get(where), where):
            if any(p in old for p in rule.patterns):
                continue  # the write's old side already held this rule
            name = next((s for s in subject.series if discards(rule, s)), "")
            if name and not any(d.target.same_object(w.target) and d.series == name for d in store):
                store.append(Dropped(w.target, rule, name, str(w.change.get("at")), w.minutes_before, w.evidence))


def found(facts: Facts) -> list[Dropped]:
    """What `read` kept (pure: the reads decide)."""
    return list(facts.reads.get(READS) or [])


def _stage(where: str) -> str:
    low = where.lower()
    if "write" in low:
        return ("on the remote write path: the series is still scraped and stored locally, but never reaches the "
                "remote store the alert or SLO rule reads")
    if "filter" in low or "processor" in low:
        return "in the collector's pipeline: the series is discarded before any exporter sends it on"
    return "at scrape: the series is discarded before it is stored"


def finding(d: Dropped) -> dict[str, Any]:
    """The rule and the series it discards first, then where in the path it acts."""
    rule = f"{d.rule.action} {' | '.join(d.rule.patterns)[:160]} at {d.rule.where}"
    how = "matches" if d.rule.action != "keep" else "does not admit"
    message = (f"{d.target} was written {minutes_text(d.minutes_before)} before the alert and now holds a rule that "
               f"discards the series the alert reads: {rule} {how} {d.series}, {_stage(d.rule.where)}. The alert's "
               f"'no data' or low value is that rule, not the measured service (compare the local or ingress-side "
               f"series). Narrow or remove the rule (write relabel configs / metric relabelings / filter)")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": d.target.kind, "namespace": d.target.namespace, "name": d.target.name},
            "reason": "SeriesDropped", "message": message, "evidence": [rule[:200]],
            "details": {"series": d.series, "rule": rule, "at": d.at}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the written object, its finding, evidence ids, nothing else) for `agent.triage.behind`."""
    return [(d.target, finding(d), d.evidence, []) for d in found(facts)]
