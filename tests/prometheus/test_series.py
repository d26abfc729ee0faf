"""Series summarisation: the facts a model gets instead of raw points must be the right facts."""

from __future__ import annotations

import math
import random

import pytest

from mcp_servers.common.series import (
    QUIET_SCORE,
    auto_step,
    change_point,
    count_drops,
    fmt_number,
    rank,
    sparkline,
    summarise,
)


def _noise(n: int, level: float, sigma: float, seed: int = 1, t0: float = 0.0, step: float = 30.0):
    rng = random.Random(seed)
    return [(t0 + i * step, level + rng.gauss(0, sigma)) for i in range(n)]


def test_step_change_is_found_at_the_step_with_both_levels() -> None:
    points = [(i * 30.0, 10.0 + (0.1 if i % 2 else -0.1)) for i in range(100)]
    points += [(i * 30.0, 50.0 + (0.1 if i % 2 else -0.1)) for i in range(100, 160)]
    cp = change_point(points)
    assert cp is not None
    assert cp.at == 100 * 30.0
    assert cp.shape == "step"
    assert cp.before == pytest.approx(10.0, abs=0.05)
    assert cp.after == pytest.approx(50.0, abs=0.2)
    assert cp.score > 10


def test_ramp_onset_is_where_the_climb_began_not_half_way_up() -> None:
    flat = _noise(120, 300.0, 1.0)
    ramp = [(i * 30.0, 300.0 + (i - 120) * 2.0 + random.Random(i).gauss(0, 1.0)) for i in range(120, 240)]
    cp = change_point(flat + ramp)
    assert cp is not None
    assert cp.shape == "ramp"
    assert abs(cp.at - 120 * 30.0) <= 3 * 30.0
    assert cp.after == pytest.approx(300 + 119 * 2.0, rel=0.02)


def test_noise_is_quiet_and_constant_has_no_change_point() -> None:
    summary = summarise(_noise(240, 1000.0, 5.0))
    assert summary.score < QUIET_SCORE
    assert summary.trend == "flat"
    assert summary.change_text() == "-"
    assert change_point([(float(i), 7.0) for i in range(50)]) is None


def test_summary_statistics_trend_and_non_finite_samples() -> None:
    points = [(float(i), float(i)) for i in range(10)] + [(10.0, math.nan), (11.0, math.inf)]
    s = summarise(points)
    assert (s.first, s.last, s.minimum, s.maximum, s.points) == (0.0, 9.0, 0.0, 9.0, 10)
    assert s.mean == pytest.approx(4.5)
    assert s.non_finite == 2
    assert s.trend == "rising"
    assert s.slope_per_hour == pytest.approx(3600.0)
    with pytest.raises(ValueError, match="no finite samples"):
        summarise([(0.0, math.nan)])


def test_baseline_comparison_scores_a_shifted_window_and_not_a_normal_one() -> None:
    baseline = _noise(120, 100.0, 2.0, seed=3)
    normal = summarise(_noise(120, 100.0, 2.0, seed=4, t0=3600), baseline)
    doubled = summarise(_noise(120, 200.0, 2.0, seed=5, t0=3600), baseline)
    assert normal.baseline is not None and normal.baseline.points == 120
    assert normal.score < QUIET_SCORE
    assert doubled.score > 10
    assert doubled.baseline_text().startswith("x2")
    assert rank([normal, doubled]) == [1, 0]


def test_sparkline_follows_the_shape() -> None:
    assert sparkline([1, 2, 3, 4, 5, 6, 7, 8], 8) == "▁▂▃▄▅▆▇█"
    assert sparkline([5.0] * 30, 10) == "▁" * 10
    line = sparkline([0.0] * 50 + [10.0] * 50, 10)
    assert line == "▁" * 5 + "█" * 5
    assert sparkline([], 5) == ""


def test_auto_step_rounds_and_respects_the_minimum() -> None:
    assert auto_step(3600, 240) == 15.0
    assert auto_step(7 * 86400, 240) == 3600.0
    assert auto_step(60, 240, min_step=15) == 15.0
    assert 86400 * 365 / auto_step(86400 * 365, 240) <= 240


def test_numbers_are_short() -> None:
    assert fmt_number(556_000_000) == "556M"
    assert fmt_number(0.0501) == "0.0501"
    assert fmt_number(0) == "0"
    assert fmt_number(1234) == "1.23k"
    assert fmt_number(math.nan) == "nan"


def test_sawtooth_is_counted_and_ranked_but_noise_is_not() -> None:
    teeth: list[tuple[float, float]] = []
    for i in range(240):
        teeth.append((i * 60.0, 200.0 + (i % 40) * 8.0 + random.Random(i).gauss(0, 1)))
    saw = summarise(teeth)
    assert saw.drops == 5
    assert saw.score >= 3.5
    noisy = summarise(_noise(240, 1000.0, 5.0, seed=9))
    assert noisy.drops == 0
    assert count_drops([5.0, 5.0, 5.0]) == 0
