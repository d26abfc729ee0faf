"""Which secret formats cannot match a text without a long run of token characters, read from their patterns.

Why: a structured tool answer is redacted string by string (`redaction.redact_data`), and most of its
strings are short names (a code graph's symbol keys and file paths, Kubernetes labels). Eight formats
have no hint word to wait for (Discord and Telegram bot tokens, NKEY seeds, base64 credentials...), so
every such string ran all of their patterns, a third of its redaction. Each of those patterns needs a
run of at least 16 characters of `[A-Za-z0-9+/=_-]` somewhere (a token body); one search for such a
run tells, for a string without one, that none of them can match.

The gate is derived, never listed: a format is gated only when every one of its patterns has, among
the items every match must contain (its top-level sequence, through plain groups), a repeat of at
least `RUN` characters of one class inside `RUN_CLASS`, with no IGNORECASE anywhere on the way (under
it `[a-z]` also matches U+017F and U+212A, outside the class). A format written otherwise is simply
not gated and runs as before, so a new format can only make the gate cover less, never wrongly more.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from re import _constants as sre  # type: ignore[attr-defined]  # the parser's opcodes (stdlib, 3.11+)
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

RUN = 16
"""The run length every gated pattern needs."""
RUN_CLASS = frozenset(map(ord, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_-"))
"""The characters such a run is made of (code points)."""
RUN_RE = re.compile(rf"[A-Za-z0-9+/=_\-]{{{RUN}}}")
"""Finds the first `RUN` characters of `RUN_CLASS` in a row: no match, no gated format can match."""

_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)


def _class_inside(item: Any) -> bool:
    """One parsed character item (LITERAL or IN) that matches only characters of `RUN_CLASS`."""
    op, av = item
    if op is sre.LITERAL:
        return av in RUN_CLASS
    if op is not sre.IN:
        return False
    for sub_op, sub_av in av:
        if sub_op is sre.LITERAL:
            if sub_av not in RUN_CLASS:
                return False
        elif sub_op is sre.RANGE:
            lo, hi = sub_av
            if not all(c in RUN_CLASS for c in range(lo, hi + 1)):
                return False
        else:  # NEGATE, CATEGORY (\w, \d: Unicode), anything else: not provably inside
            return False
    return True


def _needs_run(items: Iterable[Any]) -> bool:
    """Some item every match of this sequence contains is a run of `RUN` or more `RUN_CLASS` characters."""
    for op, av in items:
        if op in _REPEATS:
            low, _high, body = av
            if low >= RUN and len(body.data) == 1 and _class_inside(body.data[0]):
                return True
        elif op is sre.SUBPATTERN:
            _group, add_flags, del_flags, body = av
            if add_flags == 0 and del_flags == 0 and _needs_run(body.data):
                return True
        elif op is sre.ATOMIC_GROUP and _needs_run(av.data):
            return True
    return False


def pattern_needs_run(pattern: re.Pattern[str]) -> bool:
    """No match of `pattern` without `RUN_RE` matching inside it (so inside the text it is found in)."""
    if pattern.flags & re.IGNORECASE:
        return False
    parsed = sre_parse.parse(pattern.pattern, pattern.flags)
    if parsed.state.flags & re.IGNORECASE:  # a global inline (?i) at the start
        return False
    return _needs_run(parsed.data)


def gated(patterns: Iterable[re.Pattern[str]]) -> bool:
    """A format with these patterns cannot match a text in which `RUN_RE` finds nothing."""
    patterns = tuple(patterns)
    return bool(patterns) and all(pattern_needs_run(p) for p in patterns)


__all__ = ["RUN", "RUN_CLASS", "RUN_RE", "gated", "pattern_needs_run"]
