"""Label and field selectors, read the way the API server reads them.

The replay server must filter exactly like a real API server, or kubectl and the MCP tools would
see a different cluster from the bundle than from a live one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Predicate = Callable[[dict[str, Any]], bool]

_SET_OP = re.compile(r"^\s*([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")
_EQ_OP = re.compile(r"^\s*([\w./-]+)\s*(==|!=|=)\s*([\w./-]*)\s*$")
_EXISTS = re.compile(r"^\s*(!?)\s*([\w./-]+)\s*$")


class SelectorError(ValueError):
    """A selector that cannot be parsed; the message quotes the bad part."""


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
    checks = [_requirement(part, text) for part in _split(text)]

    def predicate(obj: dict[str, Any]) -> bool:
        labels = (obj.get("metadata") or {}).get("labels") or {}
        return all(check(labels) for check in checks)

    return predicate


def _requirement(part: str, text: str) -> Callable[[dict[str, str]], bool]:
    """One requirement of a label selector as a check over a label map."""
    if m := _SET_OP.match(part):
        key, values = m.group(1), {v.strip() for v in m.group(3).split(",") if v.strip()}
        wanted = m.group(2) == "in"
        return lambda labels: (labels.get(key) in values) == wanted
    if m := _EQ_OP.match(part):
        key, value, equal = m.group(1), m.group(3), m.group(2) != "!="
        return lambda labels: (labels.get(key) == value) == equal
    if m := _EXISTS.match(part):
        present, key = m.group(1) != "!", m.group(2)
        return lambda labels: (key in labels) == present
    raise SelectorError(f"unable to parse requirement {part.strip()!r} in label selector {text!r}")


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
    checks: list[tuple[str, bool, str]] = []
    for part in _split(text):
        m = re.match(r"^\s*([\w.]+)\s*(==|!=|=)\s*(.*?)\s*$", part)
        if not m:
            raise SelectorError(f"invalid field selector requirement {part.strip()!r}; use field=value or field!=value")
        checks.append((m.group(1), m.group(2) == "!=", m.group(3)))

    def predicate(obj: dict[str, Any]) -> bool:
        return all((field_value(obj, path) == value) != negate for path, negate, value in checks)

    return predicate
