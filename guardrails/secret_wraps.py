"""Tokens that a terminal, a log viewer or a mail client wrapped onto the next lines.

Why a module of its own: every format in redaction.py matches a token on one line. A console 80 columns wide,
`fold`, a log viewer with hanging indentation or a ticket's quoted reply cuts a long token (a 93-character
GitHub fine-grained PAT, a 164-character OpenAI project key) at the line's width, and the format then redacts
the first piece while the rest, still a working part of the key, stays on the lines below. The cut is
recognisable: the match runs to the very end of a long line, and the next line (after its indentation)
opens with a run of token characters that is itself random. Each further line continues the token only when
the previous continuation filled its line with nothing but the token. A short line is never a wrap, and a
following line that opens with a word, a name or a sentence is never a continuation.
"""

from __future__ import annotations

import re
from collections.abc import Callable

WRAP_MIN_LINE = 60
"""The shortest line taken for a wrapped one: terminals, `fold` and log viewers wrap at 64 to 200 columns."""
_CONTINUATION = re.compile(r"[ \t]{0,16}(?:>[ \t]?){0,4}(?P<t>[A-Za-z0-9_\-+/=]{16,4096})")
"""A continuation line: indentation (hanging, a viewer's) or a mail quote's `> ` marks, then the token's run."""
_CONTINUED_LINE_MIN = 32
"""A continuation line that fills at least this much with the token may itself be wrapped again."""
_MAX_LINES = 16


def wrapped_end(text: str, start: int, end: int, is_random: Callable[[str], bool]) -> int:
    """Where a token matched at [start, end) really ends when it was wrapped over lines; `end` when not.
    `is_random(piece)` judges each continuation piece (redaction.py's randomness tests)."""
    if end - (text.rfind("\n", 0, start) + 1) < WRAP_MIN_LINE:
        return end
    pos = end
    for _ in range(_MAX_LINES):
        if text.startswith("\r\n", pos):
            nxt = pos + 2
        elif text.startswith("\n", pos):
            nxt = pos + 1
        else:
            return pos
        m = _CONTINUATION.match(text, nxt)
        if m is None or not is_random(m.group("t")):
            return pos
        pos = m.end()
        line_end = text.find("\n", pos)
        rest = text[pos : len(text) if line_end < 0 else line_end].rstrip("\r")
        if rest or m.end("t") - m.start("t") < _CONTINUED_LINE_MIN:
            return pos  # the token ends inside this line (`...@github.com/...`), or the piece is short
    return pos


__all__ = ["WRAP_MIN_LINE", "wrapped_end"]
