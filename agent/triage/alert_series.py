"""The metric names an alert reads: its expression (the generator URL's `expr`) and the names its text quotes.

An alert on "no data", a rate read low, a dashboard at zero: the question a sound investigator asks first is
whether the series itself still arrives where the alert reads it. That needs the series' name, which an
Alertmanager alert carries in its generator URL (`/graph?g0.expr=absent(sum(rate(x_bucket[5m])))`) and a person's
question or an annotation often quotes (`sum(rabbitmq_queue_messages_ready{...})`, "http_requests_total is 0").
Modules that judge the telemetry path (what drops, samples or moves a series) match their rules against these.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from agent.incident import Incident

_NAME = re.compile(r"(?<![\w:.\"'/-])([a-zA-Z_:][a-zA-Z0-9_:]*_[a-zA-Z0-9_:]+)(?=\s*[{\[)]|\s*(?:[<>=!]|$|\s))")
"""A metric-shaped token: at least one underscore, followed by a selector, a range, a close or a comparison."""
_SUFFIX = re.compile(r"_(?:total|bucket|count|sum|seconds|bytes|ratio|info|created|milliseconds|requests|"
                     r"messages(?:_\w+)?|ready|errors)$")
"""Suffixes metric names carry (Prometheus and OpenMetrics conventions): a quoted name in prose counts with one."""
_PROMQL = frozenset({"sum_over_time", "avg_over_time", "max_over_time", "min_over_time", "count_over_time",
                     "histogram_quantile", "label_replace", "label_join", "quantile_over_time", "last_over_time",
                     "absent_over_time", "present_over_time", "count_values", "stddev_over_time", "group_left",
                     "group_right", "rate_interval", "__rate_interval", "__name__"})
"""PromQL functions and keywords with an underscore: never a series."""


def _expressions(url: str) -> list[str]:
    query = parse_qs(urlsplit(url).query)
    return [v for key, values in query.items() if key.endswith("expr") for v in values]


def in_expression(expr: str) -> list[str]:
    """Metric names an expression selects (`sum(rate(a_total{x="y"}[5m])) / b_total` -> a_total, b_total)."""
    text = re.sub(r"\{[^}]*\}", "{}", expr)  # label matchers' values are not names
    text = re.sub(r"\b(?:by|without|on|ignoring)\s*\([^)]*\)", "", text)  # grouping labels are not names
    out: list[str] = []
    for m in re.finditer(r"(?<![\w:\"'])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:])(?!\s*\()", text):
        name = m.group(1)
        if "_" in name and name not in _PROMQL and name not in out:
            out.append(name)
    return out


def names(incident: Incident) -> list[str]:
    """Each metric name the incident's alerts select (from their expressions first) or its text quotes."""
    out: list[str] = []
    for alert in incident.alerts:
        for expr in _expressions(alert.generator_url):
            out += [n for n in in_expression(expr) if n not in out]
    notes = [incident.annotations, *(a.annotations for a in incident.alerts)]
    prose = "\n".join([incident.title, incident.question, *(v for n in notes for v in n.values())])
    for m in _NAME.finditer(prose):
        name = m.group(1)
        if name not in out and name not in _PROMQL and (_SUFFIX.search(name) or re.match(r"\s*[{\[]",
                                                                                        prose[m.end():])):
            out.append(name)
    return out
