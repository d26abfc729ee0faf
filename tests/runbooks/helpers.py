"""Small helpers shared by the runbook tests."""

from __future__ import annotations


def line_with(text: str, needle: str) -> int:
    """1-based line of the first line containing `needle` (so tests do not hard-code numbers)."""
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in text")
