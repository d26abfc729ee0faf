"""Values of a mapping whose own name says that every entry is a credential.

Why a module of its own: the generic assignment rules judge a value by the key right before it. In a map
of credentials the entry's key is a name chosen by the user (a provider, an API key id, an account):
`provider_tokens = { cloudflare = "..." }` (HCL), `keys:` / `  APIk3y1d: <secret>` (LiveKit's key/secret
pairs, any `id: secret` table), `"api_keys": {"ci": "..."}` (JSON). The label of the enclosing block is
what says credential, so the entries are found under it and each value is judged by its shape (random,
as a key's is). Lists under such a label (`keys:` then `- kty: RSA`, a JWKS) are not entries and are
left to the list rules; nested blocks are not entered.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_PLURALS = ("apikeys", "keys", "tokens", "secrets", "passwords", "credentials")
"""Tried in this order, the first that ends the label deciding: `apikeys` before `keys`, which it ends in."""


def _plural_label(label: str) -> bool:
    """A block label that names a collection of credentials: its last word is a plural credential word
    (`keys`, `provider_tokens`, `apiKeys`, `client-secrets`), not a word ending in one (`monkeys`)."""
    low = label.lower()
    for word in _PLURALS:
        if low.endswith(word):
            cut = len(label) - len(word)
            return cut == 0 or label[cut - 1] in "_-." or (label[cut].isupper() and label[cut - 1].islower())
    return False
_OPENER = re.compile(
    r"(?m)(?:keys|tokens|secrets|passwords|credentials)(?P<q>[\"']?)[ \t]*"
    r"(?::[ \t]*(?:(?P<brace>\{)|(?:#[^\n]*)?$)|=[ \t]*(?P<eqbrace>\{))"
)
"""A plural credential word that ends a key opening a block: a YAML mapping (`keys:` at the end of its line)
or a brace block (`provider_tokens = {`, `"apiKeys": {`). Anchored on the word, so a text without one costs
a single scan of the lowercased text; the key's first characters are found by walking back from it."""
_LABEL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
_YAML_ENTRY = re.compile(r"""(?P<ind>[ ]+)["']?[^\s:#'"\-][^\s:'"]{0,127}["']?:[ \t]+(?P<q>["']?)"""
                         r"""(?P<v>[^\s"'#{}\[\],]{8,512})(?P=q)[ \t]*(?:#[^\n]*)?$""")
_BRACE_ENTRY = re.compile(r"""[\s,{]*["']?[A-Za-z0-9][\w.\-]{0,127}["']?[ \t]*(?:=|:)[ \t]*(?P<q>["'])"""
                          r"""(?P<v>[^"'\r\n]{8,512})(?P=q)[ \t]*,?""")
_MAX_ENTRIES = 64


def _yaml_entries(text: str, parent: int, opened: int) -> list[tuple[int, int]]:
    """The direct `name: value` children of a YAML mapping whose key line (indented `parent`) ends at `opened`,
    up to its first line that is not deeper."""
    out: list[tuple[int, int]] = []
    child: int | None = None
    pos = opened + 1
    for _ in range(_MAX_ENTRIES):
        if pos >= len(text):
            break
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end
        line = text[pos:end].rstrip("\r")
        stripped = line.lstrip(" ")
        if not stripped or stripped.startswith("#"):
            pos = end + 1
            continue
        indent = len(line) - len(stripped)
        if indent <= parent or stripped.startswith("- "):
            break  # the mapping ends, or it is a list (a JWKS, a list of key objects): not entries
        child = indent if child is None else child
        if indent == child:
            e = _YAML_ENTRY.fullmatch(line)
            if e is not None:
                out.append((pos + e.start("v"), pos + e.end("v")))
        pos = end + 1
    return out


def _brace_entries(text: str, pos: int) -> list[tuple[int, int]]:
    """The `name = "value"` / `"name": "value"` entries of a brace block opened right before `pos`, stopping at
    the first thing that is not such an entry (a nested block, a closing brace)."""
    out: list[tuple[int, int]] = []
    for _ in range(_MAX_ENTRIES):
        e = _BRACE_ENTRY.match(text, pos)
        if e is None:
            break
        out.append(e.span("v"))
        pos = e.end()
    return out


def _label_start(text: str, end: int) -> int:
    """Where the key that ends at `end` starts: the run of key characters before it (64 at most)."""
    start = end
    while start > 0 and text[start - 1] in _LABEL_CHARS and end - start < 64:
        start -= 1
    return start


def credential_map_values(text: str, lowered: str, is_secret: Callable[[str], bool]) -> list[tuple[int, int]]:
    """Spans of the values of maps labelled as credential collections that `is_secret` takes (`lowered`: the
    text lowercased, same positions)."""
    out: list[tuple[int, int]] = []
    for m in _OPENER.finditer(lowered):
        word_end = m.start("q")
        start = _label_start(text, word_end)
        if not _plural_label(text[start:word_end]):
            continue
        if m.group("brace") is not None or m.group("eqbrace") is not None:
            spans = _brace_entries(text, m.end())
        else:
            line_start = text.rfind("\n", 0, start) + 1
            quote = text[start - 1 : start] if start > line_start else ""
            lead = text[line_start : start - len(quote)]
            if lead.strip(" ") or m.group("q") != quote:
                continue  # not a key at the start of its line (`- keys:` is a list item's key, not a mapping)
            spans = _yaml_entries(text, len(lead), m.end())
        out += [(s, e) for s, e in spans if is_secret(text[s:e])]
    return out


__all__ = ["credential_map_values"]
