"""Tokens that a terminal, a log viewer or a mail client wrapped onto the next lines.

Why a module of its own: every format in redaction.py matches a token on one line. A console 80 columns wide,
`fold`, a log viewer with hanging indentation or a ticket's quoted reply cuts a long token (a 93-character
GitHub fine-grained PAT, a 164-character OpenAI project key) at the line's width, and the format then redacts
the first piece while the rest, still a working part of the key, stays on the lines below. The cut is
recognisable: the match runs to the very end of a long line, and the next line (after its indentation)
opens with a run of token characters that is itself random. Each further line continues the token only when
the previous continuation filled its line with nothing but the token. A short line wraps only onto a next line
that holds one random run and nothing else (a value pasted from a narrow pane), and a following line that
opens with a word, a name or a sentence is never a continuation. A logger that splits a long message repeats
its prefix on each piece and may mark it (`(cont)`, `[2/2]`); the piece starts after both.
"""

from __future__ import annotations

import re
from collections.abc import Callable

WRAP_MIN_LINE = 60
"""The shortest line taken for a wrapped one: terminals, `fold` and log viewers wrap at 64 to 200 columns."""
_FRAGMENT_MARK = r"(?:[(\[](?:cont(?:inued|\.)?|\d{1,3}/\d{1,3})[)\]][ \t]+|(?:\.\.\.|…)[ \t]*)?"
"""What a logger that splits a long message writes before each further piece: `(cont) `, `[2/2] `, `... `."""
_CONTINUATION = re.compile(r"[ \t]{0,16}(?:>[ \t]?){0,4}" + _FRAGMENT_MARK + r"(?P<t>[A-Za-z0-9_\-+/=.]{16,4096})")
"""A continuation line: indentation (hanging, a viewer's), a mail quote's `> ` marks or a log fragment's mark,
then the token's run (dots included: a JWT cut inside its payload goes on through its signature)."""
_MARKED_CONTINUATION = re.compile(r"[ \t]{0,16}(?P<t>[A-Za-z0-9_\-+/=]{6,4096})(?![^\s'\"`,;])")
"""After a continuation mark the rest of a token may be short (the tail of a 40-character key)."""


def _mixed_piece(piece: str) -> bool:
    """A short tail after a continuation mark: letters and digits mixed, as a key's tail is and a word is not."""
    return any(c.isdigit() for c in piece) and any(c.isalpha() for c in piece)


_CONTINUED_LINE_MIN = 32
"""A continuation line that fills at least this much with the token may itself be wrapped again."""
_MAX_LINES = 16


CONTINUATION_MARKS = ("\u21b5", "\u23ce", "`", "\\")
"""Characters that say "this line goes on below": a log viewer's or pager's wrap sign (`↵`, `⏎`), PowerShell's
backtick and the shell's backslash. A token cut right before one is cut on purpose, whatever the line's width."""
_SHARED_PREFIX_MIN = 16
_NEWLINES = ("\n", "\r\n")


def _shared_prefix(text: str, line_start: int, token_start: int, nxt: int) -> int:
    """How much of the next line repeats the cut line's own prefix (`Dec 05 10:12:44 host app[42]: `): a journal
    or a container log that splits a long message writes each piece under the same prefix. 0 when it does not,
    or when the shared part is short or does not end at a space before the token's line position."""
    limit = min(token_start - line_start, len(text) - nxt)
    n = 0
    while n < limit and text[line_start + n] == text[nxt + n] and text[nxt + n] != "\n":
        n += 1
    while n > 0 and text[nxt + n - 1] not in " \t":
        n -= 1
    return n if n >= _SHARED_PREFIX_MIN else 0


def wrapped_end(text: str, start: int, end: int, is_random: Callable[[str], bool]) -> int:
    """Where a token matched at [start, end) really ends when it was wrapped over lines; `end` when not.
    `is_random(piece)` judges each continuation piece (redaction.py's randomness tests). A continuation
    mark right after the token (`CONTINUATION_MARKS`) makes any line a wrapped one; a next line that repeats
    the cut line's log prefix continues after that prefix."""
    marked = text.startswith(CONTINUATION_MARKS, end) and text.startswith(_NEWLINES, end + 1)
    if not marked and not text.startswith(_NEWLINES, end):
        return end  # the token does not end its line (it stands before an escaped `\n` of a JSON string)
    line_start = text.rfind("\n", 0, start) + 1
    if not marked and end - line_start < WRAP_MIN_LINE:
        return _short_line_end(text, start, end, is_random)
    pos = end + 1 if marked else end
    for _ in range(_MAX_LINES):
        if text.startswith("\r\n", pos):
            nxt = pos + 2
        elif text.startswith("\n", pos):
            nxt = pos + 1
        else:
            return pos
        nxt += _shared_prefix(text, line_start, start, nxt)
        m = (_MARKED_CONTINUATION if marked else _CONTINUATION).match(text, nxt)
        if m is None or not (is_random(m.group("t")) or (marked and _mixed_piece(m.group("t")))):
            return end if marked and pos == end + 1 else pos  # a mark with nothing after it stays outside
        pos = m.end()
        line_end = text.find("\n", pos)
        rest = text[pos : len(text) if line_end < 0 else line_end].rstrip("\r")
        if rest or m.end("t") - m.start("t") < _CONTINUED_LINE_MIN:
            return pos  # the token ends inside this line (`...@github.com/...`), or the piece is short
    return pos


_LONE_PIECE = re.compile(r"[ \t]{0,16}(?P<t>[A-Za-z0-9_\-+/]{12,4096}={0,2})[ \t]*\r?(?=\n|$)")
"""A line that holds one token run and nothing else (not even a `key=`)."""


def _short_line_end(text: str, start: int, end: int, is_random: Callable[[str], bool]) -> int:
    """A short line's token goes on below only when it is random itself and the next line is nothing but one
    random run: a value pasted from a narrow pane or a copied cell (`aws_secret_access_key = 0F/uQ...` then
    `gU7sP...` alone). A name cut by nothing (`--secret=billing-api` above the secret a command printed) or a
    next line with a key, a word or anything after the run is a line of its own."""
    nxt = end + (2 if text.startswith("\r\n", end) else 1)
    m = _LONE_PIECE.match(text, nxt)
    if m is None or not is_random(m.group("t")) or not is_random(text[start:end]):
        return end
    return m.end("t")


__all__ = ["CONTINUATION_MARKS", "WRAP_MIN_LINE", "wrapped_end"]
