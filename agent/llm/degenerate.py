"""Degenerate generations: a model caught in a loop, or running on until the token limit.

Small models at low temperature fall into loops: the same line (`"prom_query (ok)",`) or the same
few words again and again until max_tokens. Such text is not an answer, and feeding it back to the
model on the next turn only costs context. This module finds the loop by its shape, not its words
(any period of 1-64 words repeated many times in a row, or one line making up much of the output,
or an output cut at the token limit while counting on or with very few distinct words), and cuts the text where the
loop starts, so what came before (often a usable start of an answer) is kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MIN_REPEATS = 6
"""A run of the same chunk this many times in a row is a loop (a list of six similar items is not
the same chunk six times: list items differ in their content)."""
MIN_LOOP_WORDS = 24
"""...provided the run covers at least this many words, so `no no no no no no` is not a loop."""
MAX_PERIOD = 64
LINE_REPEATS = 8
"""One non-trivial line this many times, anywhere in the output, is a loop too."""
COUNTING_PERIOD, COUNTING_REPEATS = 4, 24
"""Counting on ("E1", "E2", ...): a chunk of at most 4 words, numbered on 24+ times in a row. A real
list (one line per pod, a table of evidence) has longer items and far fewer of them."""
RUNAWAY_DIVERSITY = 0.15
"""An output cut at the token limit with fewer distinct words than this share is a runaway."""

_WORD = re.compile(r"\S+")
_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class Degeneration:
    """What was wrong with one output and the part worth keeping."""

    kind: str
    """`repetition` (a chunk repeated in a row), `repeated_line`, `counting` (cut at the limit while
    numbering the same chunk on and on) or `runaway` (cut at the limit, low diversity)."""
    detail: str
    kept: str
    """The text before the loop began (with one copy of the repeated chunk), stripped."""


def _repeated_run(words: list[tuple[int, str]], max_period: int = MAX_PERIOD,
                  min_repeats: int = MIN_REPEATS) -> tuple[int, int, int] | None:
    """(start index, period, repeats) of the first run of a chunk repeated `min_repeats` times in a row."""
    tokens = [w for _, w in words]
    n = len(tokens)
    for period in range(1, min(max_period, n // min_repeats) + 1):
        run = 0
        for i in range(period, n):
            run = run + 1 if tokens[i] == tokens[i - period] else 0
            repeats = run // period + 1
            if repeats >= min_repeats and run + period >= MIN_LOOP_WORDS:
                start = i - run - period + 1
                return start, period, repeats
    return None


def detect(text: str, *, hit_token_limit: bool = False) -> Degeneration | None:
    """The degeneration in `text`, or None for a normal output."""
    words = [(m.start(), m.group()) for m in _WORD.finditer(text)]
    found = _repeated_run(words)
    if found is not None:
        start, period, _ = found
        end = words[start + period][0] if start + period < len(words) else len(text)
        chunk = " ".join(w for _, w in words[start:start + period])
        return Degeneration("repetition", f"'{chunk[:60]}' repeated in a row", text[:end].strip())
    lines = [line.strip() for line in text.splitlines()]
    counts: dict[str, int] = {}
    for index, line in enumerate(lines):
        if len(line) < 4:
            continue
        counts[line] = counts.get(line, 0) + 1
        if counts[line] >= LINE_REPEATS:
            first = lines.index(line)
            kept_lines = [ln for i, ln in enumerate(lines[:index]) if ln != line or i == first]
            return Degeneration("repeated_line", f"the line '{line[:60]}' {LINE_REPEATS}+ times",
                                "\n".join(kept_lines).strip())
    if hit_token_limit:
        # Cut at the limit while counting on ("E1", "E2", ... "E89"): the same chunk but for its numbers.
        counted = _repeated_run([(at, _DIGITS.sub("#", w)) for at, w in words], COUNTING_PERIOD, COUNTING_REPEATS)
        if counted is not None:
            start, period, repeats = counted
            chunk = " ".join(w for _, w in words[start:start + period])
            return Degeneration("counting", f"'{chunk[:60]}' counted on {repeats} times until the token limit",
                                text[:words[start][0]].strip())
    if hit_token_limit and len(words) >= 100:
        distinct = len({w.lower() for _, w in words}) / len(words)
        if distinct < RUNAWAY_DIVERSITY:
            return Degeneration("runaway", f"cut at the token limit with {distinct:.0%} distinct words", "")
    return None
