"""The typed answers (MCP output schemas) of the Prometheus tools, and of Loki's name listings.

The text answers (render.py, the discovery tables in server.py) stay exactly as they were; these
models carry the same facts for programs, built from the very rows the text is rendered from: for
a range query, each series' summary as mcp_servers/common/series.py computes it (first/last,
extremes, trend, the biggest change and when, ratio to the baseline, score and rank, sawtooth,
born or ended inside the window). They are small and flat: runbook rules read them with JMESPath
(docs/runbooks.md, "Expressions"), e.g. `series[?trend=='rising' && rank==`1`].labels.pod`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field

from mcp_servers.common.series import QUIET_SCORE, fmt_time, rank
from mcp_servers.prometheus.render import (
    RangeAnswer,
    Row,
    common_labels,
    edges,
    instant_order,
    label_text,
    names_page,
    shown_rows,
)

MAX_SERIES = 200
"""Most series a range answer carries in its structured content (ranked; the rest are counted)."""


def _num(value: float) -> float | None:
    """JSON has no NaN or Inf: such a value becomes null."""
    return value if math.isfinite(value) else None


def _time(unix: float | None) -> str | None:
    return None if unix is None else fmt_time(unix)


class Change(BaseModel):
    """The biggest level shift of a series: a step to a new level, or a ramp from `at` on."""

    at: str
    shape: str
    """step or ramp."""
    before: float | None
    after: float | None
    score: float


class SeriesFacts(BaseModel):
    """One series of a range query, summarised."""

    labels: dict[str, str]
    """Every label of the series (the metric name under `__name__`)."""
    series: str
    """The series as the text's table names it: labels without the common ones."""
    rank: int
    """1 = the most anomalous."""
    score: float
    """Anomaly score: the larger of the biggest level shift and the deviation from baseline, in spreads."""
    shown: bool
    """In the text's table (the top_k, quiet series beyond the first few only counted)."""
    points: int
    first: float | None
    last: float | None
    min: float | None
    max: float | None
    mean: float | None
    start: str
    """Time of the first point, RFC 3339."""
    end: str
    slope_per_hour: float | None
    trend: str
    """rising, falling or flat."""
    change: Change | None = None
    """The biggest level shift, when it stands out of the noise (score >= 1)."""
    baseline_mean: float | None = None
    ratio_to_baseline: float | None = None
    """mean / baseline mean; null without a baseline or when the baseline mean is 0."""
    sawtooth: bool = False
    """Two or more sharp drops: a container climbing to its limit and killed, or counter resets."""
    drops: int = 0
    born: str | None = None
    """The series starts inside the window (a new pod, a new error code), at this time."""
    ended: str | None = None
    """The series stops inside the window, at this time."""
    new_since_baseline: bool = False
    """Absent from the baseline window."""
    non_finite: int = 0
    sparkline: str = ""


class RangeResult(BaseModel):
    """The structured answer of prom_query_range (and of prom_query on a range vector selector)."""

    query: str
    start: str
    end: str
    step_seconds: float
    series_count: int
    """Series returned (including ones with no finite value)."""
    points: int
    baseline_start: str | None = None
    baseline_end: str | None = None
    baseline_note: str = ""
    common_labels: dict[str, str] = Field(default_factory=dict)
    series: list[SeriesFacts] = Field(default_factory=list)
    """Most anomalous first."""
    left_out: int = 0
    """Ranked series not carried in `series` (over MAX_SERIES)."""


def _series(row: Row, answer: RangeAnswer, common: Mapping[str, str], position: int, shown: bool) -> SeriesFacts:
    s = row.summary
    base = s.baseline if s.baseline is not None and s.baseline.points else None
    change = None
    if s.change is not None and s.change.score >= QUIET_SCORE:
        change = Change(at=fmt_time(s.change.at), shape=s.change.shape, before=_num(s.change.before),
                        after=_num(s.change.after), score=round(s.change.score, 2))
    born, ended = edges(s, answer)
    return SeriesFacts(
        labels=dict(row.metric), series=label_text(row.metric, common), rank=position, score=round(s.score, 2),
        shown=shown, points=s.points, first=_num(s.first), last=_num(s.last), min=_num(s.minimum),
        max=_num(s.maximum), mean=_num(s.mean), start=fmt_time(s.start), end=fmt_time(s.end),
        slope_per_hour=_num(s.slope_per_hour), trend=s.trend, change=change,
        baseline_mean=_num(base.mean) if base else None,
        ratio_to_baseline=_num(s.mean / base.mean) if base and base.mean else None,
        sawtooth=s.drops >= 2, drops=s.drops,
        born=_time(born), ended=_time(ended),
        new_since_baseline=answer.baseline_results is not None and base is None,
        non_finite=s.non_finite, sparkline=s.sparkline)


def range_result(answer: RangeAnswer, rows: list[Row]) -> RangeResult:
    """The typed range answer from `summarise_results(answer)`, ranked as the text ranks them."""
    common = common_labels([r.metric for r in rows]) if rows else {}
    order = rank([r.summary for r in rows])
    shown = set(shown_rows(rows, order, answer.top_k)) if rows else set()
    b0, b1 = answer.baseline_window or (None, None)
    kept = order[:MAX_SERIES]
    return RangeResult(
        query=answer.query, start=fmt_time(answer.start), end=fmt_time(answer.end), step_seconds=answer.step,
        series_count=len(answer.results), points=sum(len(item.get("values", [])) for item in answer.results),
        baseline_start=_time(b0), baseline_end=_time(b1), baseline_note=answer.baseline_note,
        common_labels=dict(common),
        series=[_series(rows[i], answer, common, n, i in shown) for n, i in enumerate(kept, 1)],
        left_out=len(order) - len(kept))


class Sample(BaseModel):
    """One series of an instant vector."""

    labels: dict[str, str]
    series: str
    """As the text's table names it (labels without the common ones)."""
    value: float | None
    """null for NaN or Inf."""
    raw: str
    """The value as Prometheus sent it ("NaN", "+Inf" included)."""


class InstantResult(BaseModel):
    """The structured answer of prom_query."""

    query: str
    time: str
    result_type: Literal["vector", "scalar", "matrix", "empty"]
    series_count: int = 0
    common_labels: dict[str, str] = Field(default_factory=dict)
    samples: list[Sample] = Field(default_factory=list)
    """Largest value first (vectors)."""
    left_out: int = 0
    value: float | None = None
    """The scalar's value (scalar results)."""
    range: RangeResult | None = None
    """A range vector selector (`x[5m]`) evaluated instantly: summarised like a range query."""


def instant_result(query: str, at: float, result: Sequence[Any], range_answer: RangeAnswer | None = None,
                   range_rows: list[Row] | None = None) -> InstantResult:
    """The typed instant answer from the same result `render_instant` prints."""
    when = fmt_time(at)
    if result and not isinstance(result[0], dict):
        try:
            value = _num(float(result[1]))
        except (TypeError, ValueError):
            value = None
        return InstantResult(query=query, time=when, result_type="scalar", value=value)
    items = [r for r in result if isinstance(r, dict)]
    if not items:
        return InstantResult(query=query, time=when, result_type="empty")
    if range_answer is not None and range_rows is not None:
        return InstantResult(query=query, time=when, result_type="matrix", series_count=len(items),
                             range=range_result(range_answer, range_rows))
    common = common_labels([i.get("metric", {}) for i in items])
    ordered = instant_order(items)
    kept = ordered[:MAX_SERIES]
    return InstantResult(query=query, time=when, result_type="vector", series_count=len(items),
                         common_labels=dict(common),
                         samples=[Sample(labels=dict(i.get("metric", {})),
                                         series=label_text(i.get("metric", {}), common),
                                         value=_num(float(i["value"][1])), raw=str(i["value"][1])) for i in kept],
                         left_out=len(ordered) - len(kept))


# ---- discovery -------------------------------------------------------------------------------

class NamesPage(BaseModel):
    """A page of names: label names, label values, metric names (Prometheus and Loki)."""

    what: str
    """e.g. `label names`, `values of pod`."""
    contains: str | None = None
    total: int
    """Names after the `contains` filter."""
    offset: int
    names: list[str] = Field(default_factory=list)
    next_offset: int | None = None
    """Pass as `offset` for the next page; null on the last one."""


def names_result(items: list[str], limit: int, offset: int, contains: str | None, what: str) -> NamesPage:
    """The page `render.page_names` prints for the same arguments, as data."""
    matching, page = names_page(items, limit, offset, contains)
    end = offset + len(page)
    return NamesPage(what=what, contains=contains, total=len(matching), offset=offset, names=page,
                     next_offset=end if page and end < len(matching) else None)


class SeriesPage(BaseModel):
    """The structured answer of prom_series: label sets of the matching series, paged."""

    match: str
    start: str
    end: str
    total: int
    offset: int
    series: list[dict[str, str]] = Field(default_factory=list)
    """Each series' labels, the metric name under `__name__`."""
    next_offset: int | None = None


class MetricMetadata(BaseModel):
    metric: str
    type: str = ""
    unit: str = ""
    help: str = ""


class MetadataPage(BaseModel):
    """The structured answer of prom_metadata."""

    total: int
    offset: int
    metrics: list[MetricMetadata] = Field(default_factory=list)
    next_offset: int | None = None


class Alert(BaseModel):
    """An alert Prometheus evaluates now."""

    name: str
    state: str
    """firing or pending."""
    severity: str = ""
    active_since: str = ""
    labels: dict[str, str] = Field(default_factory=dict)
    """Labels other than alertname and severity."""
    summary: str = ""
    value: str = ""


class AlertsAnswer(BaseModel):
    """The structured answer of prom_alerts: firing first, then by activation time."""

    total: int
    firing: int
    alerts: list[Alert] = Field(default_factory=list)


class Rule(BaseModel):
    group: str
    name: str
    type: str
    """alerting or recording."""
    state: str
    """firing, pending, inactive, or `-` for recording rules."""
    health: str
    last_error: str = ""
    for_seconds: float = 0.0
    query: str = ""


class RulesAnswer(BaseModel):
    """The structured answer of prom_rules: unhealthy and firing first."""

    total: int
    rules: list[Rule] = Field(default_factory=list)


class Target(BaseModel):
    job: str
    instance: str
    health: str
    """up, down or unknown."""
    last_scrape: str
    duration_seconds: float
    last_error: str = ""


class TargetsAnswer(BaseModel):
    """The structured answer of prom_targets: per-job health counts, then targets, down first."""

    total: int
    by_job: dict[str, dict[str, int]] = Field(default_factory=dict)
    """Per job: health -> count."""
    targets: list[Target] = Field(default_factory=list)
