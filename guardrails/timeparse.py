"""Parsing the times and durations that tools accept, in one place.

PromQL and LogQL tools take `start`, `end` and `step`; the scoping layer must read them exactly as
the tools will, or a query could slip past a cost ceiling by being spelled differently. So both use
these two functions.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


def parse_duration(value: str | int | float) -> float:
    """Seconds in `value`: a number of seconds, or a Prometheus duration such as `1h30m` or `15s`."""
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError(f"duration {value!r} is negative")
        return float(value)
    text = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"cannot read duration {value!r}; write seconds (300) or a duration like 5m, 1h30m")
    return sum(float(n) * _UNIT_SECONDS[u] for n, u in parts)


def parse_time(value: str | int | float | datetime, now: datetime | None = None) -> datetime:
    """A timezone-aware time from RFC 3339, unix seconds, `now`, or `now-1h` style relative time."""
    now = now or datetime.now(UTC)
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(float(value), UTC)
    text = value.strip()
    if text == "now":
        return now
    relative = re.fullmatch(r"now\s*-\s*(\S+)", text)
    if relative:
        return now - timedelta(seconds=parse_duration(relative.group(1)))
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return datetime.fromtimestamp(float(text), UTC)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(
            f"cannot read time {value!r}; write RFC 3339 (2026-05-01T12:00:00Z), unix seconds, or now-1h"
        ) from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
