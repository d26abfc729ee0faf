"""When a CronJob's schedule fires: the five-field cron syntax the cronjob controller accepts.

The controller (robfig/cron, standard parser) takes `minute hour day-of-month month day-of-week`
with `*`, `?`, lists, ranges, steps, month and weekday names, the `@hourly`/`@daily`/... macros and
`@every <duration>`, optionally prefixed with `TZ=`/`CRON_TZ=`. The scan needs only two answers:
the times it fired between two moments (how many runs a blocked CronJob skipped) and its usual
interval (how old a run may be before it overlaps the next). A schedule this module cannot read
answers None, and the check that asked says nothing rather than guess.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MACROS = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
          "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"}
_NAMES = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10,
          "nov": 11, "dec": 12, "sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}
_BOUNDS = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))
MAX_FIRES = 10_000
"""Fire times enumerated at most: past that, "how many runs were skipped" needs no exact answer."""


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule: the allowed values of each field, or a fixed period (`@every`)."""

    fields: tuple[frozenset[int], ...] = ()
    dom_star: bool = True
    dow_star: bool = True
    every: timedelta | None = None
    tz: ZoneInfo | None = None

    def matches(self, t: datetime) -> bool:
        """Whether the schedule fires at minute `t` (in the schedule's zone)."""
        return self._skip(t) == 0

    def _day_ok(self, local: datetime) -> bool:
        _, _, dom, month, dow = self.fields
        if local.month not in month:
            return False
        day_ok, week_ok = local.day in dom, (local.isoweekday() % 7) in dow
        if self.dom_star or self.dow_star:  # cron: both restricted means either may match
            return day_ok and week_ok
        return day_ok or week_ok

    def _skip(self, t: datetime) -> int:
        """Minutes from `t` to the next minute that may fire: 0 when `t` fires; to the next hour or day
        when the hour or the day cannot (so a month is walked in a few hundred steps, not 44,640)."""
        minute, hour = self.fields[0], self.fields[1]
        local = t.astimezone(self.tz) if self.tz else t.astimezone(UTC)
        if not self._day_ok(local):
            return (24 - local.hour) * 60 - local.minute
        if local.hour not in hour:
            return 60 - local.minute
        if local.minute in minute:
            return 0
        later = [m for m in minute if m > local.minute]
        return (min(later) if later else 60) - local.minute

    def fires(self, start: datetime, end: datetime, limit: int = MAX_FIRES) -> list[datetime]:
        """Fire times in (start, end], the first `limit` of them."""
        if self.every is not None:
            step, t = self.every, start + self.every
            out: list[datetime] = []
            while t <= end and len(out) < limit:
                out.append(t)
                t += step
            return out
        t = start.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
        out = []
        while t <= end and len(out) < limit:
            skip = self._skip(t)
            if skip == 0:
                out.append(t)
            t += timedelta(minutes=max(skip, 1))
        return out

    def interval(self, around: datetime) -> timedelta | None:
        """The usual gap between runs: the shortest gap among the next fire times after `around` (up to 64,
        over at most two years, so a yearly schedule has two)."""
        if self.every is not None:
            return self.every
        times = self.fires(around, around + timedelta(days=800), limit=64)
        gaps = [b - a for a, b in itertools.pairwise(times)]
        return min(gaps) if gaps else None


def _field(text: str, low: int, high: int) -> frozenset[int] | None:
    out: set[int] = set()
    for part in text.split(","):
        body, _, step_text = part.partition("/")
        step = int(step_text) if step_text.isdigit() and int(step_text) > 0 else (None if step_text else 1)
        if step is None:
            return None
        if body in ("*", "?"):
            first, last = low, high
        else:
            ends = body.split("-")
            values = [_NAMES.get(e.lower(), int(e) if e.isdigit() else -1) for e in ends]
            if len(values) not in (1, 2) or any(v < 0 for v in values):
                return None
            first, last = values[0], values[-1] if len(values) == 2 else (high if step_text else values[0])
        if high == 6 and last == 7:  # Sunday written as 7
            out.add(0)
            last = 6
            if first == 7:
                continue
        if not (low <= first <= high and low <= last <= high) or first > last:
            return None
        out.update(range(first, last + 1, step))
    return frozenset(out)


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s)")


def _every(text: str) -> timedelta | None:
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    seconds = sum(float(n) * units[u] for n, u in parts)
    return timedelta(seconds=seconds) if seconds >= 1 else None


def parse(spec: str, time_zone: str | None = None) -> Schedule | None:
    """A CronJob's `spec.schedule` (and `spec.timeZone`) as a `Schedule`; None when unreadable."""
    text = " ".join(str(spec or "").split())
    zone_name = time_zone
    match = re.match(r"(?:CRON_)?TZ=(\S+)\s+(.*)", text)
    if match:
        zone_name, text = match.group(1), match.group(2)
    tz = None
    if zone_name:
        try:
            tz = ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError):
            return None
    if text.startswith("@every "):
        period = _every(text.split(" ", 1)[1])
        return Schedule(every=period, tz=tz) if period else None
    text = MACROS.get(text.lower(), text)
    parts = text.split(" ")
    if len(parts) != 5:
        return None
    fields = [_field(p, lo, hi) for p, (lo, hi) in zip(parts, _BOUNDS, strict=True)]
    if any(f is None for f in fields):
        return None
    return Schedule(fields=tuple(f for f in fields if f is not None), dom_star=parts[2] in ("*", "?"),
                    dow_star=parts[4] in ("*", "?"), tz=tz)
