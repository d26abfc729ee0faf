"""Passwords in account-list files: one account a line, the name then the password, and no key word at all.

Why a module of its own: every other keyed detector needs a word (`password`, `secret`) before the value;
these files have none, their format is the key. Two layouts cover the common ones:

- `name:password` alone on a line (a name of two characters or more: one-letter tags are record fields,
  APKINDEX's `C:` checksum): rsync's `secrets file`, a plain-text htpasswd or Jetty/ActiveMQ
  `users.properties`-like list, `chpasswd` input, an `.netrc`-free basic-auth list;
- `"name" "password"` alone on a line: pgbouncer's `auth_file` (userlist.txt), ppp `chap-secrets` with
  quotes, any list of quoted pairs.

What makes it safe without a key: the line is nothing but the pair (a diff's `+`/`-` aside), the name is a
plain account name, and the password is *made* (`made`, the caller's judgement: three character classes or a
high-entropy run, never a word, a digest, a number, a URL or a path). Stored verifiers (`md5<hex>`,
`SCRAM-SHA-256$...`, crypt `$6$...`) are not taken by this rule: whether a verifier is itself a secret is
the hash formats' call, not this one's.
"""

from __future__ import annotations

import re
from collections.abc import Callable

Span = tuple[int, int, str]

_COLON_LINE = re.compile(r"(?m)^[+\-]?(?P<u>[A-Za-z_][\w.\-@]{1,63}):(?P<v>[^\s:]{8,128})[ \t]*\r?$")
_QUOTED_PAIR = re.compile(r"""(?m)^[+\-]?[ \t]*"(?P<u>[^"\s]{1,64})"[ \t]+"(?P<v>[^"\r\n]{8,256})"[ \t]*\r?$""")
_VERIFIER = re.compile(r"(?i)md5[0-9a-f]{32}|scram-sha-\d+\$|\$\w{1,8}\$|\{(?:ssha|sha|md5|crypt)\}")
_PADDED_BASE64 = re.compile(r"[A-Za-z0-9+/]{6,}={1,2}")
"""Padded base64 (`Q1vmmz...8=`, a package index's checksum field `C:`): encoded bytes, a digest, not a password."""


def account_line_spans(text: str, made: Callable[[str], bool]) -> list[Span]:
    """(start, end, kind) of the password of each account-list line in `text`."""
    out: list[Span] = []
    if ":" in text:
        for m in _COLON_LINE.finditer(text):
            value = m.group("v")
            if not _VERIFIER.match(value) and not _PADDED_BASE64.fullmatch(value) and made(value):
                out.append((m.start("v"), m.end("v"), "password_assignment"))
    if '" "' in text or '"\t"' in text:
        for m in _QUOTED_PAIR.finditer(text):
            value = m.group("v")
            if " " not in value and not _VERIFIER.match(value) and made(value):
                out.append((m.start("v"), m.end("v"), "password_assignment"))
    return out


__all__ = ["account_line_spans"]
