"""Reading the stream selector of a LogQL query, to refuse the ones that would scan everything.

Loki's cost is decided by how many streams the selector matches: `{job=~".+"}` reads every chunk
in the window. The cost guard wants at least one matcher that actually selects: an equality with
a value, or a regex that is not a match-all. This parser reads just enough LogQL for that: the
first `{...}` (for metric queries, the one inside e.g. `count_over_time(...)`), quoted strings
with escapes and backticks, and the four matcher operators.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MATCH_ALL = {"", ".*", ".+", ".*?", ".+?", "(.*)", "(.+)", "^.*$", "^.+$"}
_MATCHER = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*')


@dataclass(frozen=True)
class Matcher:
    name: str
    op: str
    value: str

    @property
    def selective(self) -> bool:
        """Does this matcher narrow the streams (rather than exclude a few or match all)?"""
        if self.op == "=":
            return self.value != ""
        if self.op == "=~":
            return self.value not in _MATCH_ALL
        return False

    def __str__(self) -> str:
        return f'{self.name}{self.op}"{self.value}"'


class SelectorError(ValueError):
    """The query has no readable stream selector; the message says what to write."""


def stream_selector(query: str) -> list[Matcher]:
    """The matchers of the first stream selector in `query`."""
    start = _first_brace(query)
    if start < 0:
        raise SelectorError('the query has no stream selector; start it with one such as {namespace="shop", '
                            'app="checkout"}')
    matchers: list[Matcher] = []
    i = start + 1
    while True:
        while i < len(query) and query[i] in " \t\n,":
            i += 1
        if i < len(query) and query[i] == "}":
            return matchers
        m = _MATCHER.match(query, i)
        if not m:
            raise SelectorError(f"cannot read the stream selector at character {i + 1}: {query[i:i + 30]!r}; "
                                'write matchers like name="value", name=~"regex"')
        value, i = _string(query, m.end())
        matchers.append(Matcher(m.group(1), m.group(2), value))


def unselective_reason(query: str) -> str | None:
    """Why the selector would scan every stream, or None when it is selective enough."""
    matchers = stream_selector(query)
    if any(m.selective for m in matchers):
        return None
    shown = "{" + ", ".join(str(m) for m in matchers) + "}"
    return (f"the stream selector {shown} matches every stream, which makes Loki read every chunk in the window; "
            'add an equality matcher such as {namespace="shop", app="checkout"} (loki_labels and '
            "loki_label_values list what exists)")


def _first_brace(query: str) -> int:
    """Index of the first `{` outside a string literal, or -1."""
    i = 0
    while i < len(query):
        ch = query[i]
        if ch in "\"`":
            _, i = _string(query, i)
            continue
        if ch == "{":
            return i
        i += 1
    return -1


def _string(query: str, i: int) -> tuple[str, int]:
    """A quoted LogQL string starting at `i` ("..." with escapes, or `...` raw); returns (value, next index)."""
    if i >= len(query) or query[i] not in "\"`":
        raise SelectorError(f"expected a quoted value at character {i + 1}; quote label values with \"...\"")
    quote = query[i]
    out = []
    j = i + 1
    while j < len(query):
        ch = query[j]
        if quote == '"' and ch == "\\" and j + 1 < len(query):
            out.append(query[j + 1])
            j += 2
            continue
        if ch == quote:
            return "".join(out), j + 1
        out.append(ch)
        j += 1
    raise SelectorError(f"unterminated string starting at character {i + 1}")
