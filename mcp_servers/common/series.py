"""Turning a time series into the few facts an investigator needs, and ranking series by oddness.

A range query over fifty series returns tens of thousands of numbers; a model reading them spends
its context on noise and still has to eyeball the shape. What it needs instead, per series: where
it started and ended, its extremes, whether it trends, the single biggest level shift and when it
happened, how it compares with the same metric before the incident, and a glanceable sparkline.
With a score per series, the tool can show the most anomalous few and count the rest.

Everything here is pure Python over lists of (unix seconds, value) pairs, so the Prometheus and
Loki servers (and the benchmarks) share one implementation.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

Point = tuple[float, float]

SPARK_CHARS = "▁▂▃▄▅▆▇█"
"""Eight block heights, lowest to highest."""

_RELATIVE_FLOOR = 0.05
"""Changes smaller than 5% of the level are never called large, however quiet the series is.
Without this floor a perfectly flat series that moves from 1.000 to 1.001 would score as the
most anomalous thing in the answer."""


SAWTOOTH_SCORE_CAP = 6.0
"""The most a sawtooth alone scores; a real level shift or baseline deviation can still outrank it."""

QUIET_SCORE = 1.0
"""Below this score a series has no shift beyond its noise (or 5% of its level): call it quiet."""


@dataclass(frozen=True)
class ChangePoint:
    """The split of the series that best separates two levels (largest drop in squared error)."""

    at: float
    """Unix seconds of the first point after the shift."""
    before: float
    """Mean level before `at`."""
    after: float
    """The level reached: the new mean for a step, the end of the climb for a ramp."""
    score: float
    """|after - before| in units of the within-segment spread (a scale-free size)."""
    shape: str = "step"
    """`step` (a jump to a new level) or `ramp` (a steady climb or fall from `at` on)."""


@dataclass(frozen=True)
class Baseline:
    """The same series over a window before the one asked about."""

    mean: float
    stdev: float
    points: int
    minimum: float = 0.0
    maximum: float = 0.0

    def excursion(self, low: float, high: float) -> float:
        """How far a window's extremes go beyond the baseline's own range, in baseline spreads.

        Noise alone reaches 2-3 spreads from the mean, so comparing a window's peak with the mean
        would flag every noisy series; comparing it with the baseline's own peak does not."""
        beyond = max(0.0, high - self.maximum, self.minimum - low)
        return beyond / _scale(self.stdev, self.mean)

    def deviation(self, value: float) -> float:
        """How far `value` is from the baseline, in baseline spreads (floored, see _RELATIVE_FLOOR)."""
        return abs(value - self.mean) / _scale(self.stdev, self.mean, value)


@dataclass(frozen=True)
class SeriesSummary:
    """The facts about one series that a model can reason with."""

    points: int
    first: float
    last: float
    minimum: float
    maximum: float
    mean: float
    start: float
    end: float
    slope_per_hour: float
    """Least-squares slope, in value units per hour."""
    trend: str
    """`rising`, `falling` or `flat`: whether the fitted line moves by more than 10% of the level."""
    change: ChangePoint | None
    baseline: Baseline | None
    sparkline: str
    non_finite: int
    """NaN/Inf samples that were left out of the statistics (e.g. a 0/0 ratio)."""
    score: float
    """Anomaly score used for ranking: the larger of the change-point and baseline deviations."""
    drops: int = 0
    """Sharp falls of more than half the series' range between two samples: the teeth of a sawtooth
    (a container climbing to its memory limit and being killed), or counter resets."""

    def baseline_text(self) -> str:
        """`x3.2 vs baseline 120` style comparison, or `-` when there is no baseline."""
        if self.baseline is None or self.baseline.points == 0:
            return "-"
        base = self.baseline.mean
        if base == 0:
            return "0 vs 0" if self.mean == 0 else f"{fmt_number(self.mean)} vs 0"
        ratio = self.mean / base
        text = f"{ratio:.0f}" if abs(ratio) >= 100 else f"{ratio:.2g}"
        return f"x{text} vs {fmt_number(base)}"

    def change_text(self) -> str:
        if self.change is None or self.change.score < QUIET_SCORE:
            return "-"
        c = self.change
        return f"{c.shape} {fmt_number(c.before)}->{fmt_number(c.after)} from {fmt_time(c.at)}"


def summarise(points: Sequence[Point], baseline: Sequence[Point] | None = None, spark_width: int = 16) -> SeriesSummary:
    """Summarise one series. `points` must be in time order (Prometheus returns them so)."""
    finite = [(t, v) for t, v in points if math.isfinite(v)]
    non_finite = len(points) - len(finite)
    if not finite:
        raise ValueError("series has no finite samples")
    values = [v for _, v in finite]
    times = [t for t, _ in finite]
    mean = math.fsum(values) / len(values)
    slope = _slope(times, values)
    fitted_move = slope * (times[-1] - times[0])
    level = max(abs(mean), (max(values) - min(values)) / 2, 1e-12)
    trend = "flat"
    if abs(fitted_move) > 0.1 * level:
        trend = "rising" if fitted_move > 0 else "falling"
    change = change_point(finite)
    base = _baseline(baseline) if baseline else None
    score = change.score if change else 0.0
    drops = count_drops(values)
    if drops >= 2:
        # A repeating climb-and-fall is what a one-change model misses; rank it above noise, growing
        # with the number of teeth (1 drop could be one restart: the change point covers that).
        score = max(score, min(SAWTOOTH_SCORE_CAP, 1.5 + 0.5 * drops))
    if base is not None and base.points:
        recent = values[-max(3, len(values) // 10):]
        recent_level = math.fsum(recent) / len(recent)
        score = max(score, base.deviation(mean), base.deviation(recent_level),
                    base.excursion(min(values), max(values)))
    return SeriesSummary(
        points=len(finite),
        first=values[0],
        last=values[-1],
        minimum=min(values),
        maximum=max(values),
        mean=mean,
        start=times[0],
        end=times[-1],
        slope_per_hour=slope * 3600,
        trend=trend,
        change=change,
        baseline=base,
        sparkline=sparkline(values, spark_width),
        non_finite=non_finite,
        score=score,
        drops=drops,
    )


def count_drops(values: Sequence[float]) -> int:
    """Falls between consecutive samples that are both large (over half the series' range and 5% of
    its level) and abrupt (over six times the typical sample-to-sample move).

    The second condition is what tells a sawtooth from noise: white noise also has falls of half
    its range now and then, but they are only a few times its typical move, while the tooth of a
    sawtooth is many times the slow climb that precedes it."""
    if len(values) < 3:
        return 0
    moves = sorted(abs(b - a) for a, b in itertools.pairwise(values))
    typical = moves[len(moves) // 2]
    level = abs(math.fsum(values) / len(values))
    threshold = max(0.5 * (max(values) - min(values)), 6 * typical, _RELATIVE_FLOOR * level)
    if threshold <= 0:
        return 0
    return sum(1 for a, b in itertools.pairwise(values) if a - b > threshold)


def change_point(points: Sequence[Point], min_segment: int | None = None) -> ChangePoint | None:
    """Where the series left its old level: the best fit of "flat, then a straight line".

    For every split k the left part is fitted by its mean and the right part by a least-squares
    line; the split with the smallest total squared error wins. One model covers both shapes an
    incident produces: a step (the line comes out flat at the new level) and a ramp such as a
    memory leak (the split lands where the climb began, not half-way up it, which is where a
    two-level fit would put it). Prefix sums make it one O(n) pass.

    Returns None for series too short to split, or where no split explains anything (constant).
    """
    n = len(points)
    seg = min_segment if min_segment is not None else max(3, n // 20)
    if n < 2 * seg:
        return None
    offset = math.fsum(v for _, v in points) / n
    ys = [v - offset for _, v in points]  # centred, so squared sums do not lose precision
    s_y, s_yy, s_x, s_xx, s_xy = [0.0], [0.0], [0.0], [0.0], [0.0]
    for i, y in enumerate(ys):
        s_y.append(s_y[-1] + y)
        s_yy.append(s_yy[-1] + y * y)
        s_x.append(s_x[-1] + i)
        s_xx.append(s_xx[-1] + i * i)
        s_xy.append(s_xy[-1] + i * y)
    total = s_yy[n] - s_y[n] ** 2 / n
    best: tuple[float, int, float, float] | None = None  # (sse, k, slope, intercept)
    for k in range(seg, n - seg + 1):
        left = s_yy[k] - s_y[k] ** 2 / k
        m = n - k
        sy, syy = s_y[n] - s_y[k], s_yy[n] - s_yy[k]
        sx, sxx, sxy = s_x[n] - s_x[k], s_xx[n] - s_xx[k], s_xy[n] - s_xy[k]
        cxx = sxx - sx * sx / m
        cxy = sxy - sx * sy / m
        slope = cxy / cxx if cxx > 0 else 0.0
        right = (syy - sy * sy / m) - slope * cxy
        sse = left + max(right, 0.0)
        if best is None or sse < best[0]:
            best = (sse, k, slope, (sy - slope * sx) / m)
    if best is None or best[0] >= total - 1e-12 * max(1.0, abs(total)):
        return None
    sse, k, slope, intercept = best
    before = s_y[k] / k + offset
    after = intercept + slope * (n - 1) + offset
    pooled = math.sqrt(max(sse, 0.0) / max(n - 3, 1))
    climb = abs(slope) * (n - 1 - k)
    shape = "ramp" if climb > 0.5 * max(abs(after - before), 1e-12) else "step"
    score = abs(after - before) / _scale(pooled, before, after)
    return ChangePoint(at=points[k][0], before=before, after=after, score=score, shape=shape)


def sparkline(values: Sequence[float], width: int = 16) -> str:
    """A `width`-character block sparkline of the mean of each bucket, scaled min..max."""
    if not values:
        return ""
    width = max(1, min(width, len(values)))
    buckets: list[float] = []
    for i in range(width):
        lo = i * len(values) // width
        hi = max(lo + 1, (i + 1) * len(values) // width)
        chunk = values[lo:hi]
        buckets.append(math.fsum(chunk) / len(chunk))
    low, high = min(buckets), max(buckets)
    if high - low <= 1e-12 * max(1.0, abs(high)):
        return SPARK_CHARS[0] * width
    top = len(SPARK_CHARS) - 1
    return "".join(SPARK_CHARS[round((b - low) / (high - low) * top)] for b in buckets)


def rank(summaries: Sequence[SeriesSummary]) -> list[int]:
    """Indices of `summaries`, most anomalous first (ties keep the input order)."""
    return sorted(range(len(summaries)), key=lambda i: -summaries[i].score)


def auto_step(window_seconds: float, target_points: int = 240, min_step: float = 1.0) -> float:
    """A round step giving about `target_points` points over the window, never below `min_step`."""
    raw = max(window_seconds / max(target_points, 1), min_step)
    for nice in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400):
        if nice >= raw:
            return float(nice)
    return float(math.ceil(raw / 86400) * 86400)


def fmt_number(value: float) -> str:
    """Short, readable numbers: 3 significant digits, k/M/G suffixes for large magnitudes."""
    if not math.isfinite(value):
        return str(value)
    magnitude = abs(value)
    if magnitude < 1e-12:
        return "0"
    for suffix, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if magnitude >= size:
            return f"{value / size:.3g}{suffix}"
    if magnitude == 0:
        return "0"
    if magnitude < 0.001:
        return f"{value:.2e}"
    return f"{value:.3g}"


def fmt_time(unix: float) -> str:
    """`2026-05-01T12:34:56Z`: RFC 3339 in UTC, seconds resolution, what tools accept back."""
    return datetime.fromtimestamp(unix, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def fmt_duration(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def _baseline(points: Sequence[Point]) -> Baseline:
    values = [v for _, v in points if math.isfinite(v)]
    if not values:
        return Baseline(mean=0.0, stdev=0.0, points=0)
    mean = math.fsum(values) / len(values)
    var = math.fsum((v - mean) ** 2 for v in values) / max(len(values) - 1, 1)
    return Baseline(mean=mean, stdev=math.sqrt(var), points=len(values), minimum=min(values), maximum=max(values))


def _slope(times: Sequence[float], values: Sequence[float]) -> float:
    n = len(values)
    if n < 2:
        return 0.0
    t0 = times[0]
    xs = [t - t0 for t in times]
    mx = math.fsum(xs) / n
    my = math.fsum(values) / n
    sxx = math.fsum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return 0.0
    return math.fsum((x - mx) * (y - my) for x, y in zip(xs, values, strict=True)) / sxx


def _scale(spread: float, *levels: float) -> float:
    """The unit a difference is measured in: the spread, but never below 5% of the level."""
    floor = _RELATIVE_FLOOR * max((abs(level) for level in levels), default=0.0)
    return max(spread, floor, 1e-9)
