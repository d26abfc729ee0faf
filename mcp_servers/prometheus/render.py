"""Rendering PromQL results as compact, anomaly-first text for a model.

Kept apart from the server so the benchmarks and the agent's runbook engine can render a result
the same way the MCP tool does, without going through MCP.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from mcp_servers.common.compact import DEFAULT_BUDGET_TOKENS, estimate_tokens, fit_text, render_table
from mcp_servers.common.series import (
    QUIET_SCORE,
    Point,
    SeriesSummary,
    fmt_duration,
    fmt_number,
    fmt_time,
    rank,
    summarise,
)

LabelSet = frozenset[tuple[str, str]]

EDGE_SCORE = 1.5
"""Score floor for a series that starts or stops inside the window: above quiet, below real shifts."""

NEW_SERIES_SCORE = 3.0
"""Score floor for a series present in the window but absent from the baseline (a new pod, a new
error code): more telling than a series that merely starts late inside the window."""

MIN_ROWS = 3
"""Always show at least this many series, even quiet ones, so the model sees what normal looks like."""


def label_key(metric: Mapping[str, str]) -> LabelSet:
    return frozenset(metric.items())


def common_labels(metrics: Sequence[Mapping[str, str]]) -> dict[str, str]:
    """Labels with the same value on every series; shown once instead of on every row.

    With one series only its metric name is taken out: its other labels are what identifies it."""
    if not metrics:
        return {}
    if len(metrics) == 1:
        name = metrics[0].get("__name__")
        return {"__name__": name} if name else {}
    first = dict(metrics[0])
    return {k: v for k, v in first.items() if all(m.get(k) == v for m in metrics[1:])}


def label_text(metric: Mapping[str, str], common: Mapping[str, str] | None = None) -> str:
    """`name{a="1", b="2"}` without the common labels; `{}` when nothing distinguishes the series."""
    common = common or {}
    name = metric.get("__name__", "") if "__name__" not in common else ""
    pairs = [f'{k}="{v}"' for k, v in sorted(metric.items()) if k != "__name__" and k not in common]
    inner = ", ".join(pairs)
    if name and not inner:
        return name
    return f"{name}{{{inner}}}"


def common_text(common: Mapping[str, str]) -> str:
    """`metric name, a="1", b="2"` for the labels every series shares."""
    parts = [common["__name__"]] if "__name__" in common else []
    parts += [f'{k}="{v}"' for k, v in sorted(common.items()) if k != "__name__"]
    return ", ".join(parts)


def to_points(values: Sequence[Sequence[Any]]) -> list[Point]:
    """Prometheus `[[ts, "v"], ...]` to floats; "NaN" and "+Inf" become float nan/inf."""
    return [(float(ts), float(v)) for ts, v in values]


@dataclass
class RangeAnswer:
    """Everything `render_range` needs; built by the tool from one or two range queries."""

    query: str
    start: float
    end: float
    step: float
    results: list[dict[str, Any]]
    baseline_results: list[dict[str, Any]] | None = None
    baseline_window: tuple[float, float] | None = None
    baseline_note: str = ""
    top_k: int = 10
    raw_points: bool = False
    budget_tokens: int = DEFAULT_BUDGET_TOKENS
    notes: list[str] = field(default_factory=list)


@dataclass
class Row:
    """One summarised series."""

    metric: dict[str, str]
    summary: SeriesSummary
    note: str
    points: list[Point]


def summarise_results(answer: RangeAnswer) -> list[Row]:
    """One Row per series that has finite data, in input order."""
    baseline_by_key: dict[LabelSet, list[Point]] = {}
    for item in answer.baseline_results or []:
        baseline_by_key[label_key(item.get("metric", {}))] = to_points(item.get("values", []))
    out = []
    for item in answer.results:
        metric = dict(item.get("metric", {}))
        points = to_points(item.get("values", []))
        if not any(math.isfinite(v) for _, v in points):
            continue
        base = baseline_by_key.get(label_key(metric))
        summary = summarise(points, base)
        note = _edges(summary, answer)
        if note:
            # a series born or ended inside the window (a pod replaced, a target gone) is news
            summary = _with_score(summary, max(summary.score, EDGE_SCORE))
        if answer.baseline_results is not None and not base:
            note = "; ".join(filter(None, [note, "new since baseline"]))
            summary = _with_score(summary, max(summary.score, NEW_SERIES_SCORE))
        out.append(Row(metric, summary, note, points))
    return out


def shown_rows(rows: Sequence[Row], order: Sequence[int], top_k: int) -> list[int]:
    """Which ranked rows a range answer shows: the top_k most anomalous, but quiet series beyond the
    first few are only counted: a table of noise costs tokens and says nothing."""
    return [i for n, i in enumerate(order[: max(1, top_k)]) if n < MIN_ROWS or rows[i].summary.score >= QUIET_SCORE]


def render_range(answer: RangeAnswer, rows: list[Row] | None = None) -> str:
    """The range-query answer: header, top-k table by anomaly, a count of the rest, optional raw points.

    `rows` are `summarise_results(answer)` when the caller has them already (the typed answer is
    built from the same rows)."""
    rows = summarise_results(answer) if rows is None else rows
    total_points = sum(len(item.get("values", [])) for item in answer.results)
    head = [
        f"range query `{answer.query}` from {fmt_time(answer.start)} to {fmt_time(answer.end)} "
        f"step {fmt_duration(answer.step)}: {len(answer.results)} series, {total_points} points."
    ]
    if answer.baseline_window:
        b0, b1 = answer.baseline_window
        note = f" ({answer.baseline_note})" if answer.baseline_note else ""
        head.append(f"Baseline: {fmt_time(b0)} to {fmt_time(b1)}{note}.")
    elif answer.baseline_note:
        head.append(f"Baseline: {answer.baseline_note}.")
    head.extend(answer.notes)
    if not rows:
        head.append("No data in this window: check the metric name and labels with prom_series, or the time "
                    "window (data older than the window or after it is not shown).")
        return "\n".join(head)
    common = common_labels([r.metric for r in rows])
    if common:
        head.append("Common labels: " + common_text(common) + ".")
    order = rank([r.summary for r in rows])
    shown = shown_rows(rows, order, answer.top_k)
    columns = ["#", "series", "first->last", "min", "max", "mean", "trend", "biggest change", "vs baseline",
               "shape", "score"]
    table_rows = []
    for n, i in enumerate(shown, 1):
        metric, s, note = rows[i].metric, rows[i].summary, rows[i].note
        trend = s.trend + (f"; sawtooth, {s.drops} sharp drops" if s.drops >= 2 else "")
        trend += (f"; {note}" if note else "") + (f"; {s.non_finite} NaN/Inf" if s.non_finite else "")
        table_rows.append([
            n, label_text(metric, common), f"{fmt_number(s.first)}->{fmt_number(s.last)}", fmt_number(s.minimum),
            fmt_number(s.maximum), fmt_number(s.mean), trend, s.change_text(), s.baseline_text(), s.sparkline,
            f"{s.score:.1f}",
        ])
    rest = len(order) - len(shown)
    head.append(
        f"Top {len(shown)} of {len(rows)} series by anomaly score (the larger of the biggest level shift and the "
        "deviation from baseline, in units of the series' spread):"
    )
    header_text = "\n".join(head)
    raw_reserve = answer.budget_tokens // 3 if answer.raw_points else 0
    table_budget = max(200, answer.budget_tokens - estimate_tokens(header_text) - raw_reserve)
    hint = f"ask top_k={min(len(rows), answer.top_k * 2)} or add label matchers to see others"
    table = render_table(columns, table_rows, budget_tokens=table_budget, more_hint=hint, max_cell=100)
    parts = [header_text, table]
    if rest > 0:
        low = max(rows[i].summary.score for i in order[len(shown):])
        quiet = sum(1 for i in order[len(shown):] if rows[i].summary.score < QUIET_SCORE)
        what = f"{quiet} of them quiet (score < {QUIET_SCORE:g})" if quiet else "none of them quiet"
        parts.append(f"{rest} more series not shown (lower scores, highest {low:.1f}; {what}); {hint}.")
    if answer.raw_points:
        parts.append(_raw_points([rows[i] for i in shown], common, raw_reserve))
    return "\n".join(parts)


def _raw_points(rows: Sequence[Row], common: Mapping[str, str], budget: int) -> str:
    """Raw points were asked for: `HH:MM:SS=value` per point for the shown series, cut at the budget.

    The date is given once per series (its first point); a model rarely needs more precision than
    3 significant digits to reason, so values use the same short format as the table."""
    lines = ["Raw points (time UTC=value):"]
    for row in rows:
        if not row.points:
            continue
        day = fmt_time(row.points[0][0])[:10]
        lines.append(f"{label_text(row.metric, common)} from {day}:")
        pairs = [f"{fmt_time(t)[11:19]}={fmt_number(v)}" for t, v in row.points]
        lines.extend("  " + " ".join(pairs[i : i + 8]) for i in range(0, len(pairs), 8))
    return fit_text("\n".join(lines), budget, "ask a narrower window or a larger step for fewer points")


def edges(summary: SeriesSummary, answer: RangeAnswer) -> tuple[float | None, float | None]:
    """When a series starts late or stops early inside the window (None: it does not): a pod born
    or dead inside the window is news."""
    gap = 2 * answer.step
    return (summary.start if summary.start - answer.start > gap else None,
            summary.end if answer.end - summary.end > gap else None)


def _edges(summary: SeriesSummary, answer: RangeAnswer) -> str:
    born, ended = edges(summary, answer)
    notes = []
    if born is not None:
        notes.append(f"starts {fmt_time(born)}")
    if ended is not None:
        notes.append(f"stops {fmt_time(ended)}")
    return "; ".join(notes)


def _with_score(summary: SeriesSummary, score: float) -> SeriesSummary:
    return replace(summary, score=score)


def instant_range(query: str, at: float, items: Sequence[dict[str, Any]], budget_tokens: int) -> RangeAnswer:
    """A range vector selector evaluated instantly (`x[5m]`): summarised like a range query."""
    return RangeAnswer(query=query, start=min(float(v[0][0]) for v in (i["values"] for i in items) if v),
                       end=at, step=60.0, results=list(items), budget_tokens=budget_tokens)


def instant_order(items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Instant vector samples largest value first (NaN last)."""

    def sort_key(item: dict[str, Any]) -> float:
        value = float(item["value"][1])
        return -value if math.isfinite(value) else float("inf")

    return sorted(items, key=sort_key)


def render_instant(query: str, at: float, result: Sequence[Any], budget_tokens: int) -> str:
    """An instant query: a vector as a table sorted by value (largest first), a scalar as one line."""
    if result and not isinstance(result[0], dict):
        # scalar or string: [ts, "value"]
        return f"instant query `{query}` at {fmt_time(at)}: {result[1]} (scalar)"
    items = [r for r in result if isinstance(r, dict)]
    if not items:
        return (f"instant query `{query}` at {fmt_time(at)}: empty result. Data older than 5 minutes before "
                "this time is not seen by an instant query: pass `time` inside the incident, or use prom_query_range.")
    if "values" in items[0]:
        return render_range(instant_range(query, at, items, budget_tokens))
    metrics = [i.get("metric", {}) for i in items]
    common = common_labels(metrics)
    ordered = instant_order(items)
    rows = [[label_text(i.get("metric", {}), common), fmt_number(float(i["value"][1]))] for i in ordered]
    title = f"instant query `{query}` at {fmt_time(at)}: {len(items)} series, largest value first."
    if common:
        title += "\nCommon labels: " + common_text(common) + "."
    return render_table(["series", "value"], rows, budget_tokens=budget_tokens, title=title, max_cell=200,
                        more_hint="add label matchers, or wrap in topk(10, ...) / sum by (...)")


def names_page(items: list[str], limit: int, offset: int, contains: str | None) -> tuple[list[str], list[str]]:
    """All names kept by `contains` (case-insensitive), sorted, and the page asked for."""
    if contains:
        items = [i for i in items if contains.lower() in i.lower()]
    items = sorted(items)
    return items, items[offset : offset + limit]


def page_names(items: list[str], limit: int, offset: int, contains: str | None, what: str, call: str) -> str:
    """A page of names (labels, values), with the total and the exact call for the next page."""
    items, page = names_page(items, limit, offset, contains)
    head = f"{len(items)} {what}" + (f" containing {contains!r}" if contains else "")
    if not page:
        return head + (f"; offset {offset} is past the end" if items else "") + "."
    lines = [f"{head}; showing {offset + 1}-{offset + len(page)}:", ", ".join(page)]
    if offset + len(page) < len(items):
        lines.append(f"More: call {call} with offset={offset + len(page)}.")
    return "\n".join(lines)
