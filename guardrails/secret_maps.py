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

_PLURALS = ("keys", "tokens", "secrets", "passwords", "credentials", "apikeys")


def _plural_label(label: str) -> bool:
    """A block label that names a collection of credentials: its last word is a plural credential word
    (`keys`, `provider_tokens`, `apiKeys`, `client-secrets`), not a word ending in one (`monkeys`)."""
    low = label.lower()
    for word in _PLURALS:
        if low.endswith(word):
            cut = len(label) - len(word)
            return cut == 0 or label[cut - 1] in "_-." or (label[cut].isupper() and label[cut - 1].islower())
    return False
_YAML_OPEN = re.compile(r"(?m)^(?P<ind>[ ]*)(?P<label>[A-Za-z][\w.\-]{0,63}):[ \t]*(?:#[^\n]*)?$")
_BRACE_OPEN = re.compile(r"""(?P<q>["']?)(?P<label>[A-Za-z][\w.\-]{0,63})(?P=q)[ \t]*[:=][ \t]*\{""")
_YAML_ENTRY = re.compile(r"""(?P<ind>[ ]+)["']?[^\s:#'"\-][^\s:'"]{0,127}["']?:[ \t]+(?P<q>["']?)"""
                         r"""(?P<v>[^\s"'#{}\[\],]{8,512})(?P=q)[ \t]*(?:#[^\n]*)?$""")
_BRACE_ENTRY = re.compile(r"""[\s,{]*["']?[A-Za-z0-9][\w.\-]{0,127}["']?[ \t]*(?:=|:)[ \t]*(?P<q>["'])"""
                          r"""(?P<v>[^"'\r\n]{8,512})(?P=q)[ \t]*,?""")
_MAX_ENTRIES = 64


def _yaml_entries(text: str, m: re.Match[str]) -> list[tuple[int, int]]:
    """The direct `name: value` children of a YAML mapping opened by `m`, up to its first shallower line."""
    out: list[tuple[int, int]] = []
    parent = len(m.group("ind"))
    child: int | None = None
    pos = m.end() + 1
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


def _brace_entries(text: str, m: re.Match[str]) -> list[tuple[int, int]]:
    """The `name = "value"` / `"name": "value"` entries of a brace block opened by `m`, stopping at the
    first thing that is not such an entry (a nested block, a closing brace)."""
    out: list[tuple[int, int]] = []
    pos = m.end()
    for _ in range(_MAX_ENTRIES):
        e = _BRACE_ENTRY.match(text, pos)
        if e is None:
            break
        out.append(e.span("v"))
        pos = e.end()
    return out


def credential_map_values(text: str, is_secret: Callable[[str], bool]) -> list[tuple[int, int]]:
    """Spans of the values of maps labelled as credential collections that `is_secret` takes."""
    out: list[tuple[int, int]] = []
    for m in _YAML_OPEN.finditer(text):
        if _plural_label(m.group("label")):
            out += [(s, e) for s, e in _yaml_entries(text, m) if is_secret(text[s:e])]
    for m in _BRACE_OPEN.finditer(text):
        if _plural_label(m.group("label")):
            out += [(s, e) for s, e in _brace_entries(text, m) if is_secret(text[s:e])]
    return out


__all__ = ["credential_map_values"]
