"""Masking the variable parts of a log message, so one kind of error is one template.

The same failure is written thousands of times with different request ids, addresses, counters and
durations; masking them (`dial tcp <ip>: connect: connection refused`) makes those lines one
template to count. The list is shared with the Loki server's Drain3 miner
(mcp_servers/loki/templates.py), which applies the same masks before clustering.
"""

from __future__ import annotations

import re

MASKS: list[tuple[str, str]] = [
    (r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?", "time"),
    (r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b", "uuid"),
    (r"\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b", "ip"),
    (r"\b0x[0-9a-fA-F]+\b", "hex"),
    (r"\b[0-9a-fA-F]{12,}\b", "hex"),
    (r"\b\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h)\b", "duration"),
    (r"(?<![A-Za-z])[-+]?\d+(?:\.\d+)?(?![A-Za-z])", "num"),
]
"""(pattern, name) pairs, most specific first. Shared with the Loki template miner."""

_EXTRA: list[tuple[str, str]] = [
    (r"\b\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}\b|\b\d{2}:\d{2}:\d{2}(?:[.,]\d+)?\b", "time"),
    (r"\[[0-9a-fA-F:]*:[0-9a-fA-F:]+\](?::\d+)?", "ip"),
    (r"'[^'\n]{0,200}'|\"[^\"\n]{0,200}\"|`[^`\n]{0,200}`", "quoted"),
]
"""Masks only the log-facts templates apply: other time shapes, IPv6, and quoted values."""

_USERINFO = re.compile(r"(?<=://)[^/\s@\"']+:[^/\s@\"']*@")


def scrub(text: str) -> str:
    """`text` without the user:password part of URLs (`postgres://app:s3cret@db` -> `postgres://<redacted>@db`)."""
    return _USERINFO.sub("<redacted>@", text) if "://" in text else text


_COMPILED = [(re.compile(p), f"<{name}>") for p, name in [MASKS[0], *_EXTRA, *MASKS[1:]]]
MAX_TEMPLATE_CHARS = 300


def template(message: str) -> str:
    """`message` with ids, addresses, times, numbers and quoted values masked, cut to 300 chars."""
    text = scrub(message.strip()[:1000])
    for pattern, token in _COMPILED:
        text = pattern.sub(token, text)
    return text[:MAX_TEMPLATE_CHARS]
