"""Label and field selectors, read the way the API server reads them.

The replay server must filter exactly like a real API server, or kubectl and the MCP tools would
see a different cluster from the bundle than from a live one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Predicate = Callable[[dict[str, Any]], bool]

# Label keys and values as the API server accepts them: an optional DNS-1123 subdomain prefix and
# `/`, then a name of at most 63 alphanumerics, `-`, `_`, `.` (alphanumeric at both ends).
_NAME = r"[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?"
_PREFIX = r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*"
_KEY = rf"(?:{_PREFIX}/)?{_NAME}"
_VALUE = rf"(?:{_NAME})?"
_SET_OP = re.compile(rf"^\s*({_KEY})\s+(in|notin)\s+\(([^()]*)\)\s*$")
_EQ_OP = re.compile(rf"^\s*({_KEY})\s*(==|!=|=)\s*({_VALUE})\s*$")
_EXISTS = re.compile(rf"^\s*(!?)\s*({_KEY})\s*$")
_FIELD_PATH = r"[A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z][A-Za-z0-9]*)*"
_FIELD = re.compile(rf"^\s*({_FIELD_PATH})\s*(==|!=|=)\s*([A-Za-z0-9._:@+~/{{}}\[\]-]*)\s*$")
MAX_SELECTOR = 4096


class SelectorError(ValueError):
    """A selector that cannot be parsed; the message quotes the bad part."""


def _check_size(text: str, what: str) -> None:
    if len(text) > MAX_SELECTOR or not text.isprintable():
        raise SelectorError(f"the {what} selector is longer than {MAX_SELECTOR} characters or holds control "
                            "characters; it cannot be a selector")


def _split(text: str) -> list[str]:
    """Split on commas outside parentheses."""
    parts, depth, current = [], 0, ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    if current.strip():
        parts.append(current)
    return [p for p in parts if p.strip()]


def label_selector(text: str | None) -> Predicate:
    """A predicate over objects for a label selector such as `app=web,tier in (a,b),!canary`."""
    if not text or not text.strip():
        return lambda obj: True
    _check_size(text, "label")
    checks = [_requirement(part, text) for part in _split(text)]

    def predicate(obj: dict[str, Any]) -> bool:
        labels = (obj.get("metadata") or {}).get("labels") or {}
        return all(check(labels) for check in checks)

    return predicate


def _requirement(part: str, text: str) -> Callable[[dict[str, str]], bool]:
    """One requirement of a label selector as a check over a label map."""
    if m := _SET_OP.match(part):
        key, raw = m.group(1), [v.strip() for v in m.group(3).split(",")]
        if not any(raw) or not all(re.fullmatch(_VALUE, v) and len(v) <= 63 for v in raw):
            raise SelectorError(f"requirement {part.strip()!r} in label selector {text!r} needs a non-empty set of "
                                "label values, e.g. tier in (web,api)")
        values = set(raw)
        wanted = m.group(2) == "in"
        _check_key(key, text)
        return lambda labels: (labels.get(key) in values) == wanted
    if m := _EQ_OP.match(part):
        key, value, equal = m.group(1), m.group(3), m.group(2) != "!="
        _check_key(key, text)
        if len(value) > 63:
            raise SelectorError(f"label value {value[:20]!r}... in selector {text!r} is longer than 63 characters")
        return lambda labels: (labels.get(key) == value) == equal
    if m := _EXISTS.match(part):
        present, key = m.group(1) != "!", m.group(2)
        _check_key(key, text)
        return lambda labels: (key in labels) == present
    raise SelectorError(f"unable to parse requirement {part.strip()!r} in label selector {text!r}; write key=value, "
                        "key!=value, key in (a,b), key notin (a,b), key or !key")


def _check_key(key: str, text: str) -> None:
    prefix, _, name = key.rpartition("/")
    if len(name) > 63 or len(prefix) > 253:
        raise SelectorError(f"label key {key!r} in selector {text!r} is too long (name 63, prefix 253 characters)")


def field_value(obj: dict[str, Any], path: str) -> str:
    """The string form of a dotted field path, "" when absent (as the API server compares)."""
    current: Any = obj
    for key in path.split("."):
        if not isinstance(current, dict):
            return ""
        current = current.get(key)
    if current is None:
        return ""
    if isinstance(current, bool):
        return "true" if current else "false"
    return str(current)


def field_selector(text: str | None) -> Predicate:
    """A predicate for a field selector such as `status.phase!=Running,spec.nodeName=n1`."""
    if not text or not text.strip():
        return lambda obj: True
    _check_size(text, "field")
    checks: list[tuple[str, bool, str]] = []
    for part in _split(text):
        m = _FIELD.match(part)
        if not m:
            raise SelectorError(f"invalid field selector requirement {part.strip()!r}; use field=value or field!=value "
                                "with a dotted field path such as status.phase!=Running")
        checks.append((m.group(1), m.group(2) == "!=", m.group(3)))

    def predicate(obj: dict[str, Any]) -> bool:
        return all((field_value(obj, path) == value) != negate for path, negate, value in checks)

    return predicate
