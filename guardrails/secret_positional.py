"""Passwords passed by position: a connect or login call, or a connection record, with no key naming them.

Why a module of its own: the keyed detectors read `password=...`; a call such as Perl's
`DBI->connect($dsn, 'user', 'pw')`, PHP's `mysqli_connect('h', 'user', 'pw')` or `new PDO($dsn, 'u', 'pw')`,
Python's `pymysql.connect('h', 'user', 'pw')`, JDBC's `DriverManager.getConnection(url, "u", "pw")`,
`smtp.login('u', 'pw')`, or an Erlang record printed in a crash report (`{conn_opts,"host","user","pw",5432}`)
names nothing: the parameter order is the key. Every one of these puts the password right after the user.

So the rule: after a head that names a connection or a login (`connect`, `getConnection`, `conn_opts`,
`login`, `bind`, `PDO`), read the literal arguments in order; a quoted literal that is a *made* credential
(`made`: three character classes or a high-entropy run, never a word, a number, a path or a URL) and comes
right after a quoted user name is the password. A made-looking literal with no user before it (a DSN, a
host, a format string) is left alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable

Span = tuple[int, int, str]

_ANCHOR = re.compile(r"conn|login|logon|bind|pdo|auth")
"""Run on the lowercased text (positions kept, as the caller makes it): the words a connect or login head
holds (`DBI->connect`, `getConnection`, `conn_opts`, `ftp_login`, `ldap_bind`, `new PDO`, `authenticate`);
the rest of the head is matched after it."""
_HEAD_REST = re.compile(r"\w{0,24}[ \t]*[(,]")
_ARG = re.compile(
    r"""[ \t\r\n]*(?:(?P<q>["'])(?P<v>(?:[^"'\\\r\n]|\\.){1,256})(?P=q)|(?P<o>[^,()\[\]{}"']{0,128}?))"""
    r"""[ \t\r\n]*(?P<sep>,|[)\]}]|$)"""
)
_USER = re.compile(r"[A-Za-z_][\w.\-@]{0,63}")
_ARGS = 8
"""At most this many arguments are read after a head: the user and password come early in every such call."""


def positional_spans(text: str, lowered: str, made: Callable[[str], bool]) -> list[Span]:
    """(start, end, kind) of each password a connect/login call or record passes by position. `lowered` is
    the caller's lowercased `text` with positions kept (redaction.py makes it once for every detector)."""
    out: list[Span] = []
    if "'" not in text and '"' not in text:
        return out
    last = -1
    for anchor in _ANCHOR.finditer(lowered):
        head = _HEAD_REST.match(lowered, anchor.end())
        if head is None or head.end() <= last:
            continue
        pos = last = head.end()
        prev_user = False
        for _ in range(_ARGS):
            arg = _ARG.match(text, pos)
            if arg is None:
                break
            value = arg.group("v")
            if value is not None:
                if prev_user and made(value) and not _USER.fullmatch(value):
                    out.append((arg.start("v"), arg.end("v"), "password_assignment"))
                    break
                prev_user = _USER.fullmatch(value) is not None
            else:
                prev_user = False
            if arg.group("sep") != ",":
                break
            pos = arg.end()
    return out


_SPACED_LINE = re.compile(
    r"(?im)^[ \t]*(?:\S{1,32}>[ \t]*)?(?:connect[ \t]+)?"
    r"(?P<target>(?:[a-z][\w+.\-]{0,15}://|remote:|plocal:)[^\s\"'<>]{1,256})"
    r"[ \t]+(?P<user>[A-Za-z_][\w.\-@]{0,63})[ \t]+(?P<pw>[^\s\"'#][^\s\"']{5,127})[ \t]*\r?$"
)
"""A line of a target, a user and a password separated by blanks, and nothing after: a credentials file keyed by
URL (davfs2 `secrets`: `https://host/path user password`) or a console's connect command (OrientDB
`CONNECT remote:host/db user password`). The target must be a URL or a remote address, so a sentence or a
table row is not read as one."""


def spaced_record_spans(text: str, made: Callable[[str], bool]) -> list[Span]:
    """(start, end, kind) of the password of each target-user-password line (`_SPACED_LINE`)."""
    if "://" not in text and "remote:" not in text and "REMOTE:" not in text and "plocal:" not in text:
        return []
    return [(m.start("pw"), m.end("pw"), "password_assignment") for m in _SPACED_LINE.finditer(text)
            if made(m.group("pw"))]


_SETTER_END = re.compile(r"pass(?:word|wd|phrase)(?=[ \t])")
_SETTER_WORD = re.compile(r"(?:[a-z]{1,16}[-_]){1,3}(?:password|passwd|passphrase)|passwd")
"""A subcommand that sets a password, a hyphen or underscore compound (`reset-admin-password`, `change_password`)
or `passwd`; `ipmitool user set password 2 X` reads only as separate words. Found from its end (`_SETTER_END`,
on the lowercased text), then read back to the blank before it."""
_SETTER_TAIL = re.compile(
    r"(?:[ \t]+(?P<user>[A-Za-z_][\w.\-@]{0,63})){0,2}?[ \t]+(?P<pw>[^\s\"'#$<\-][^\s\"']{5,127})[ \t]*\r?(?=\n|$)")
"""After the subcommand, up to two plain words (the user it is for) and the new password, last on the line."""


def setter_spans(text: str, lowered: str, made: Callable[[str], bool]) -> list[Span]:
    """(start, end, kind) of the new password a password-setting subcommand takes by position: `grafana cli admin
    reset-admin-password X`, `rabbitmqctl change_password alice X`. The subcommand must follow a command word on
    its line, and the password must be made (`made`), never a user name."""
    if "passw" not in lowered and "passphrase" not in lowered:
        return []
    out: list[Span] = []
    for e in _SETTER_END.finditer(lowered):
        start = max(lowered.rfind(" ", max(0, e.start() - 60), e.start()),
                    lowered.rfind("\t", max(0, e.start() - 60), e.start()))
        if start < 0 or not _SETTER_WORD.fullmatch(lowered, start + 1, e.end()):
            continue  # not a whole compound after a blank
        line_start = lowered.rfind("\n", max(0, start - 200), start) + 1
        if not lowered[line_start:start].strip():
            continue  # the line opens with it: no command before it
        m = _SETTER_TAIL.match(text, e.end())
        if m is not None and made(m.group("pw")) and not _USER.fullmatch(m.group("pw")):
            out.append((m.start("pw"), m.end("pw"), "password_assignment"))
    return out


__all__ = ["positional_spans", "setter_spans", "spaced_record_spans"]
