"""The typed answer of loki_stats (loki_labels and loki_label_values share Prometheus' NamesPage,
as they share its paging text); loki_query's is in facts.py."""

from __future__ import annotations

from pydantic import BaseModel


class LokiStats(BaseModel):
    """How much a selector covers in a window, as Loki's index reports it: check before a big query."""

    query: str
    start: str
    """RFC 3339."""
    end: str
    streams: int
    chunks: int
    entries: int
    """Log lines."""
    bytes: int
