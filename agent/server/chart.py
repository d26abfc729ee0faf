"""A PNG chart of the series that moved, with the incident window shaded, for the Slack report.

"Moved" is measured, not guessed: for every series of every range query the investigation ran,
compare its level inside the incident window with its level before it, relative to the series'
own scale. The few series with the largest change are drawn; a flat series is never shown, so the
chart points the reader at what changed. Rendering uses matplotlib's Agg backend (no display).
"""

from __future__ import annotations

import io
import statistics
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from guardrails.timeparse import parse_duration, parse_time


@dataclass(frozen=True)
class Series:
    name: str
    points: list[tuple[float, float]]
    """(unix seconds, value), time-ordered."""
    query: str = ""
    """The PromQL it came from; a `_bytes` metric gets its axis in MiB/GiB."""
    labels: tuple[tuple[str, str], ...] = ()


def series_name(metric: dict[str, str]) -> str:
    """`name{a="1",b="2"}`, leaving out labels that only repeat the scrape target."""
    name = metric.get("__name__", "")
    labels = ",".join(f'{k}="{v}"' for k, v in sorted(metric.items())
                      if k not in ("__name__", "job", "instance", "endpoint", "service"))
    return f"{name}{{{labels}}}" if labels else name or "{}"


def movement(series: Series, window_start: float, window_end: float) -> float:
    """How much the series changed in the window compared with before it, in units of its own scale."""
    before = [v for t, v in series.points if t < window_start]
    during = [v for t, v in series.points if window_start <= t <= window_end]
    if not before or not during:
        return 0.0
    base = statistics.median(before)
    peak_shift = max(abs(v - base) for v in during)
    scale = max(abs(base), statistics.pstdev(before), 1e-9)
    return peak_shift / scale


def moved(series: list[Series], window_start: float, window_end: float, top: int = 4,
          threshold: float = 0.2) -> list[Series]:
    """The `top` series that moved most, ignoring those whose shift is under `threshold` of their scale."""
    scored = [(movement(s, window_start, window_end), s) for s in series]
    scored = [(m, s) for m, s in scored if m >= threshold]
    scored.sort(key=lambda pair: pair[0], reverse=True)
    return [s for _, s in scored[:top]]


def render_png(series: list[Series], window_start: float, window_end: float, title: str) -> bytes:
    """The chart as PNG bytes: one line per series, the incident window shaded."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    fig, ax = plt.subplots(figsize=(8, 3.6), dpi=100)
    try:
        def x(t: float) -> float:
            return float(mdates.date2num(datetime.fromtimestamp(t, UTC)))

        for s, label in zip(series, legend_names(series), strict=True):
            ax.plot([x(t) for t, _ in s.points], [v for _, v in s.points], linewidth=1.4, label=_short(label))
        ax.axvspan(x(window_start), x(window_end), color="tab:red", alpha=0.12, label="incident window")
        ax.set_title(_short(title, 90), fontsize=10)
        if series and all("_bytes" in s.query for s in series):
            ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: _bytes(value)))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz=UTC))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="upper left")
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        plt.close(fig)


def legend_names(series: list[Series]) -> list[str]:
    """Each series by the labels that tell it apart from the others (`pod="checkout-7d9f"`)."""
    keys = {k for s in series for k, _ in s.labels}
    differing = sorted(k for k in keys if len({dict(s.labels).get(k) for s in series}) > 1)
    if not differing:
        return [s.name for s in series]
    return [",".join(f'{k}="{dict(s.labels).get(k, "")}"' for k in differing) for s in series]


def _bytes(value: float) -> str:
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if abs(value) >= size:
            return f"{value / size:.0f} {unit}" if abs(value) >= 10 * size else f"{value / size:.1f} {unit}"
    return f"{value:.0f} B"


def _short(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def fetch_range_series(client: httpx.AsyncClient, base_url: str, arguments: dict[str, Any],
                             now: datetime | None = None) -> list[Series]:
    """Re-run one `prom_query_range` call of the investigation against the Prometheus HTTP API."""
    query = arguments.get("query")
    if not isinstance(query, str) or not query:
        return []
    now = now or datetime.now(UTC)
    start = parse_time(arguments.get("start", "now-1h"), now)
    end = parse_time(arguments.get("end", "now"), now)
    step = parse_duration(arguments.get("step") or max(15.0, (end - start).total_seconds() / 240))
    response = await client.get(base_url.rstrip("/") + "/api/v1/query_range",
                                params={"query": query, "start": start.timestamp(), "end": end.timestamp(),
                                        "step": step})
    response.raise_for_status()
    body = response.json()
    out = []
    for item in (body.get("data") or {}).get("result") or []:
        points = [(float(t), float(v)) for t, v in item.get("values") or [] if v not in ("NaN", "+Inf", "-Inf")]
        if points:
            metric = item.get("metric") or {}
            out.append(Series(series_name(metric), points, query, tuple(sorted(metric.items()))))
    return out
