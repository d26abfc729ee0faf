"""The typed answer of loki_query: what was read, and the log facts of the lines.

The text answer (templates table, busiest streams, examples) stays as it is for readers; this
model carries the same window's facts for programs: error kinds with class, exception and the
values they name, stack traces, upstream hosts, each error kind marked new when a baseline window
was read.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

from mcp_servers.common.logfacts import LogFacts, extract


class LokiQueryAnswer(BaseModel):
    """The structured answer of loki_query."""

    query: str
    start: str
    """Window start, RFC 3339."""
    end: str
    result_type: Literal["streams", "matrix"]
    lines: int = 0
    """Log lines Loki returned (log queries)."""
    streams: int = 0
    truncated: bool = False
    """Loki stopped at `limit`: counts are lower bounds."""
    baseline_lines: int | None = None
    """Lines read from the baseline window; None when no baseline was read."""
    series: int = 0
    """Series returned (metric queries)."""
    facts: LogFacts | None = None
    """The log facts of the returned lines (log queries only)."""


def stream_answer(query: str, start: datetime, end: datetime, lines: Sequence[str], streams: int, limit: int,
                  baseline: Sequence[str] | None) -> LokiQueryAnswer:
    """The answer of a log query: `lines` in time order, `baseline` the lines before the window (or None)."""
    return LokiQueryAnswer(query=query, start=start.isoformat(), end=end.isoformat(), result_type="streams",
                           lines=len(lines), streams=streams, truncated=len(lines) >= limit,
                           baseline_lines=None if baseline is None else len(baseline),
                           facts=extract(lines, baseline=baseline))


def matrix_answer(query: str, start: datetime, end: datetime, results: Sequence[Any]) -> LokiQueryAnswer:
    """The answer of a metric query: how many series came back (the text summarises each)."""
    return LokiQueryAnswer(query=query, start=start.isoformat(), end=end.isoformat(), result_type="matrix",
                           series=len(results))
