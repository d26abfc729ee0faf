"""Reading a container's argument list as settings: the one flag parser the triage classes share.

A rollout diff prints a container's args as a list (`['memcached', '-m', '64', '--conn-limit=512']`); a class
that asks "which setting did this write change" compares the flags of the old and new lists. Three classes had
their own parser and each read a shape the others missed (a JVM `-Xmx2g`, a postgres `-c key=value`, a
negative value such as `--maxmemory-samples -1`); one parser reads them all, so a shape learned once serves
every class.
"""

from __future__ import annotations

import ast
import re

_NUMBER = re.compile(r"-\d+(?:\.\d+)?")
"""`-1`, `-0.5`: a negative value, not a flag."""
_SETTING = re.compile(r"[\w.]+=\S+")
"""The `key=value` after a `-c` (postgres) or `--set`: the setting is the key, not the flag."""
_ATTACHED = ("-Xmx", "-Xms")
"""JVM heap flags carry their value with no separator (`-Xmx2g`)."""
LIST_DIFF = re.compile(r"^(?P<container>\S+) (?P<field>args|command) (?P<old>\[.*\]) -> (?P<new>\[.*\])$")
"""A rollout diff line of a container's argument list: `parca-agent args ['--a=1'] -> ['--a=2']`."""


def _is_flag(token: str) -> bool:
    return token.startswith("-") and len(token) > 1 and not _NUMBER.fullmatch(token)


def flags(tokens: list[str], bare: str = "") -> dict[str, str]:
    """`['-m', '4096', '--max-conns=10', '-XX:MaxRAMPercentage=25.0', '-Xmx1g', '-c', 'max_connections=50',
    '--maxmemory-samples', '-1', '--daemonize']` as {flag or setting: value}: `-Xmx1g` is `-Xmx: 1g`, a
    `-c key=value` is keyed by its setting, a flag with no value (the next token is a flag, or none) is `bare`.
    Tokens that are neither flags nor their values (the program, a subcommand) are skipped."""
    out: dict[str, str] = {}
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.startswith(_ATTACHED):
            out[tok[:4]] = tok[4:]
        elif not _is_flag(tok):
            pass
        elif "=" in tok:
            key, value = tok.split("=", 1)
            out[key] = value
        elif i + 1 < len(tokens) and not _is_flag(tokens[i + 1]):
            value = tokens[i + 1]
            if _SETTING.fullmatch(value):
                key, value = value.split("=", 1)
            else:
                key = tok
            out[key] = value
            i += 1
        else:
            out[tok] = bare
        i += 1
    return out


def diff_flags(line: str, bare: str = "") -> tuple[dict[str, str], dict[str, str]] | None:
    """The flags of a container-args diff line's old and new lists (`api args ['--a=1'] -> ['--a=2']`), each read
    by `flags` with `bare` for a valueless flag; None when the line is not an argument-list diff or its lists do
    not parse. Every class that asks what a rollout did to a container's flags starts from these two."""
    m = LIST_DIFF.match(line.strip())
    if m is None:
        return None
    try:
        old, new = ast.literal_eval(m.group("old")), ast.literal_eval(m.group("new"))
    except (ValueError, SyntaxError):
        return None
    if not isinstance(old, list) or not isinstance(new, list):
        return None
    return flags([str(x) for x in old], bare), flags([str(x) for x in new], bare)
