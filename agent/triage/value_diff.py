"""The settings inside a structured config value, and which of them a change changed.

A ConfigMap key, an annotation or an env value often holds a whole file: `flags.yaml`, a JSON
document, `app.toml`, an INI or `.properties` file, `key=value` lines. "data key flags.yaml set"
tells the on-call which file changed, not which setting; the setting is what to revert. This
module reads such a value with the real parser of its format (json, tomllib, PyYAML's safe
loader, configparser), flattens it to leaf paths (`listing.eager_load`, `server.timeouts[0]`)
and compares two versions leaf by leaf. Values past a size limit, or that parse to no mapping,
are not read: a plain scalar stays one setting under its own key. Secrets never come here (the
callers skip them); a leaf whose key names a credential keeps its path but not its value.
"""

from __future__ import annotations

import ast
import configparser
import json
import re
import tomllib
from dataclasses import dataclass
from typing import Any

import yaml

MAX_BYTES = 64 * 1024
"""A value larger than this is not parsed (a bundled certificate or a whole dashboard is no settings file)."""
MAX_LEAVES = 500
"""Leaves kept per value: enough for any settings file, bounded for a generated one."""
MAX_DEPTH = 8
_SECRET_WORDS = re.compile(r"pass(word|wd)?|secret|token|api[_-]?key|private|credential", re.I)
_LINE = re.compile(r"^\s*([A-Za-z_][\w.\-]*)\s*[:=]\s*(.*?)\s*$")
HIDDEN = "(hidden)"
"""What a credential-looking leaf's value reads as."""


@dataclass(frozen=True)
class LeafChange:
    """One setting of a structured value that differs between two versions; None = absent in that version."""

    path: str
    old: str | None
    new: str | None

    def text(self, key: str = "") -> str:
        """`flags.yaml: listing.eager_load false -> true`, `added`/`removed` when one side is absent."""
        where = f"{key}: {self.path}" if key else self.path
        if self.old is None:
            return f"{where} added = {self.new}"
        if self.new is None:
            return f"{where} removed (was {self.old})"
        return f"{where} {self.old} -> {self.new}"


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "null" if value is None else str(value)


def _flatten(value: Any, prefix: str, out: dict[str, str], depth: int) -> None:
    if len(out) >= MAX_LEAVES:
        return
    if isinstance(value, dict) and value and depth < MAX_DEPTH:
        for k, v in value.items():
            _flatten(v, f"{prefix}.{k}" if prefix else str(k), out, depth + 1)
    elif isinstance(value, list) and value and depth < MAX_DEPTH and any(isinstance(v, (dict, list)) for v in value):
        for i, v in enumerate(value):
            _flatten(v, f"{prefix}[{i}]", out, depth + 1)
    elif isinstance(value, list):
        out[prefix] = ", ".join(_scalar(v) for v in value)
    else:
        out[prefix] = _scalar(value)


def _mapping(text: str, name: str) -> dict[str, Any] | None:
    """The value parsed as a mapping by the parser its name or shape points to, else None."""
    lower = name.lower()
    stripped = text.lstrip()
    attempts: list[str] = []
    if lower.endswith(".json") or stripped.startswith("{"):
        attempts.append("json")
    if lower.endswith(".toml"):
        attempts.append("toml")
    if lower.endswith((".ini", ".cfg", ".conf")) or stripped.startswith("["):
        attempts += ["ini", "toml"]
    if lower.endswith((".properties", ".env")):
        attempts.append("lines")
    attempts += ["yaml", "toml", "lines"]
    for kind in dict.fromkeys(attempts):
        parsed = _parse(kind, text)
        if isinstance(parsed, dict) and parsed:
            return parsed
    return None


def _parse(kind: str, text: str) -> Any:
    try:
        if kind == "json":
            return json.loads(text)
        if kind == "toml":
            return tomllib.loads(text)
        if kind == "yaml":
            return yaml.safe_load(text)
        if kind == "ini":
            parser = configparser.ConfigParser(interpolation=None, strict=False)
            parser.read_string(text)
            return {s: dict(parser.items(s, raw=True)) for s in parser.sections()} or None
        pairs = {m.group(1): m.group(2).strip("'\"") for m in map(_LINE.match, text.splitlines()) if m}
        return pairs if len(pairs) >= 2 else None
    except (ValueError, yaml.YAMLError, configparser.Error, tomllib.TOMLDecodeError):
        return None


def _secret(path: str) -> bool:
    return bool(_SECRET_WORDS.search(path.rsplit(".", 1)[-1]))


def leaves(text: str | None, name: str = "", hide: bool = True) -> dict[str, str] | None:
    """The leaf settings of a structured value (`path -> value as text`), or None when it is no structured
    value (a scalar, too large, unparseable). A leaf whose key names a credential reads as HIDDEN (`hide`)."""
    if not text or len(text) > MAX_BYTES:
        return None
    text = text.replace("\\n", "\n") if "\n" not in text and "\\n" in text else text
    parsed = _mapping(text, name)
    if parsed is None:
        return None
    out: dict[str, str] = {}
    _flatten(parsed, "", out, 0)
    if len(out) < 2 and not any(isinstance(v, (dict, list)) for v in parsed.values()):
        return None  # `timeout: 5` is one scalar setting, not a file
    return {k: (HIDDEN if hide and _secret(k) else v) for k, v in out.items()}


def diff(old: str | None, new: str | None, name: str = "") -> list[LeafChange] | None:
    """The leaves that differ between two versions of a value, in path order; None when either side is not a
    structured value (then the caller compares the whole values)."""
    from agent.triage import conn_string  # a URL/DSN compares at host and query-parameter level, never its password

    urls = conn_string.diff(old, new)
    if urls is not None:
        return urls
    before, after = leaves(old, name, hide=False), leaves(new, name, hide=False)
    if before is None or after is None:
        return None

    def shown(path: str, value: str | None) -> str | None:
        return HIDDEN if value is not None and _secret(path) else value

    return [LeafChange(p, shown(p, before.get(p)), shown(p, after.get(p))) for p in sorted(set(before) | set(after))
            if before.get(p) != after.get(p)]


def literal_list(text: str) -> list[str]:
    """A Python-literal list as the change timeline prints args and commands (`['--timeout', '5']`), as strings;
    anything else (not a list, not a literal) is no list."""
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return []
    return [str(v) for v in value] if isinstance(value, list) else []
