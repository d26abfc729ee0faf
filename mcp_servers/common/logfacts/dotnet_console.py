"""What a .NET console logger record says when its head line says only who logged it.

Microsoft.Extensions.Logging's console logger in its default `simple` format writes a record as a head line
`fail: Some.Category[EventId]` (level abbreviated: trce, dbug, info, warn, fail, crit) and puts the message on the
next, indented line; an exception follows on further indented lines (`System.X.YException: text`, inner causes
as ` ---> System.A.BException: text`, frames as `at ...`). Read by its first line, every such record is the
category's name and nothing else, so all of a service's failures collapse into one meaningless template. The
`systemd` format (`<3>Some.Category[EventId] message exception`) is one line and needs nothing from here.

`body` gives the message, the outer exception and the innermost cause as one line, so the reader classifies what
failed and extracts the hosts and addresses it names like any single-line record.
"""

from __future__ import annotations

import re

_HEAD = re.compile(r"(?:^|\s)(?:trce|dbug|info|warn|fail|crit): [\w.`+<>-]+\[-?\d+\]\s*$")
"""The head line of the simple format: only the level and `Category[EventId]`, the message on the lines after."""
_EXCEPTION = re.compile(r"^(?:---> )?(?:[A-Za-z_]\w*\.)*[A-Za-z_]\w*(?:Exception|Error)"
                        r"(?: \((?:-?\d+|0x[0-9A-Fa-f]+)\))?: .+$")
"""An exception line, with .NET's inner-cause arrow and a SocketException's error number `(110)` or the HRESULT
most data providers print in hex (`SqlException (0x80131904)`, `PostgresException (0x80004005)`): the inner
cause is where a database's own refusal is, so an unread HRESULT would hide it."""
_POINTS_INWARD = re.compile(r"see the inner exception", re.I)
"""The wrapper's stock text (EF Core, ADO.NET, HttpClient): it says nothing but that the cause is inside."""
_FRAME = ("at ", "--- End of")
MAX_BODY_CHARS = 600


def is_head(line: str) -> bool:
    """Whether a line is the simple format's head line (level and category, no message)."""
    return _HEAD.search(line) is not None


def body(lines: list[str]) -> str | None:
    """For a record whose first line is a head line: `message: OuterException: text (inner: Cause: text)`;
    None for any other record (or a head line with nothing after it). A one-line record (most records) is
    answered before the head-line search: its message, if any, is on that line."""
    if len(lines) < 2 or not is_head(lines[0]):
        return None
    message = outer = inner = ""
    for line in lines[1:]:
        text = line.strip()
        if not text or text.startswith(_FRAME):
            continue
        if _EXCEPTION.match(text):
            if not outer:
                outer = text.removeprefix("---> ")
            elif text.startswith("---> "):
                inner = text.removeprefix("---> ")
            continue
        if not message and not outer:
            message = text
    if inner and _POINTS_INWARD.search(outer):
        outer = outer.split(":", 1)[0]  # its text only points at the cause: keep the type, leave room for the cause
    parts = [p for p in (message, outer) if p]
    if not parts:
        return None
    joined = ": ".join(parts) + (f" (inner: {inner})" if inner else "")
    return joined[:MAX_BODY_CHARS]
