"""Credentials in an HTML table: a row whose first cell names a setting and whose next cell holds its value.

Why a module of its own: the assignment detectors read `key: value` and `key=value`; a web page that lists a
process's settings writes each as a table row instead, the name and the value in cells of their own (PHP's
`phpinfo()` `<td class="e">APP_KEY</td><td class="v">...</td>`, Django's debug page settings table, a Java
server's system-properties page, an admin console's environment view). Only the markup says that the second
cell is the first cell's value, so the rule reads the markup: a header or data cell, then a data cell right
after it. The cell's name may be wrapped as the page prints it (`$_SERVER['APP_KEY']`, `$_ENV["DB_PASS"]`,
`<code>SECRET_KEY</code>`); the name is its last identifier. The caller judges the name and the value as it
judges any key and value (redaction.py).
"""

from __future__ import annotations

import re

_ROW_PAIR = re.compile(
    r"(?i)<t[dh](?:[ \t][^>]{0,120})?>(?P<k>[^<]{1,128}|<(?:code|b|strong|span)>[^<]{1,128}</(?:code|b|strong|span)>)"
    r"</t[dh]>[ \t]*(?:\r?\n[ \t]*)?<td(?:[ \t][^>]{0,120})?>(?:<(?:pre|code|span)(?:[ \t][^>]{0,80})?>){0,2}"
    r"(?P<v>[^<\r\n]{1,1024})(?:</(?:pre|code|span)>){0,2}</td>"
)
_NAME = re.compile(r"[A-Za-z_][\w.\-]{0,127}")
_TAG = re.compile(r"</?\w+>")
_ENTITY_QUOTES = ("&#39;", "&#x27;", "&quot;", "&#34;")


def html_cell_pairs(text: str) -> list[tuple[int, int, str]]:
    """(value start, value end, name) of each name cell followed by a value cell in an HTML table row."""
    if "<t" not in text and "<T" not in text:
        return []
    out: list[tuple[int, int, str]] = []
    for m in _ROW_PAIR.finditer(text):
        label = _TAG.sub("", m.group("k"))
        names = _NAME.findall(label)
        if not names:
            continue
        name = names[-1] if names[-1].upper() not in ("SERVER", "ENV", "GET", "POST") else names[0]
        start, end = m.span("v")
        value = text[start:end]
        stripped = value.strip()
        start += len(value) - len(value.lstrip())
        end = start + len(stripped)
        for q in ("'", '"', *_ENTITY_QUOTES):  # Django's debug page prints a setting's repr: `'value'`
            if len(stripped) > 2 * len(q) and stripped.startswith(q) and stripped.endswith(q):
                start, end = start + len(q), end - len(q)
                break
        if end > start:
            out.append((start, end, name))
    return out


__all__ = ["html_cell_pairs"]
