"""Calico's label selector expressions, evaluated against a set of labels.

Calico policies select endpoints with a small expression language instead of Kubernetes' matchLabels
(`selector: app == 'shop' && tier != 'db'`, `namespaceSelector: kubernetes.io/metadata.name not in {'a','b'}`).
This is a written-here evaluator of the subset Calico documents for selectors:

    all()  global()            every endpoint (global(): every non-namespaced one, read as all here)
    k == 'v'   k != 'v'        equal / not equal (a missing label is not equal)
    k in {'a','b'}  k not in {...}
    has(k)   !has(k)           the label is present / absent
    k contains 'v'  k starts with 'v'  k ends with 'v'
    !e   e && e   e || e   ( e )

An empty selector means all(). A selector this module cannot parse raises `SelectorError`: a caller treats
such a policy as unknown rather than guessing whether it applies.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

Labels = Mapping[str, str]
Matcher = Callable[[Labels], bool]


class SelectorError(ValueError):
    """A selector outside the supported grammar (or malformed)."""


_TOKEN = re.compile(r"""\s*(?:(?P<str>'[^']*'|"[^"]*")|(?P<op>==|!=|&&|\|\||[!(){},])|"""
                    r"""(?P<word>[A-Za-z0-9_./\-]+))""")


def _tokens(text: str) -> list[str]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise SelectorError(f"unexpected text at {pos}: {text[pos:pos + 20]!r}")
        out.append(m.group(0).strip())
        pos = m.end()
    return out


class _Parser:
    """Recursive descent: or -> and -> not -> primary, as Calico binds them (! tightest, || loosest)."""

    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.i = 0

    def peek(self, ahead: int = 0) -> str:
        j = self.i + ahead
        return self.toks[j] if j < len(self.toks) else ""

    def take(self, want: str | None = None) -> str:
        tok = self.peek()
        if not tok or (want is not None and tok != want):
            raise SelectorError(f"expected {want or 'a token'}, got {tok or 'the end'}")
        self.i += 1
        return tok

    def parse(self) -> Matcher:
        if not self.toks:
            return lambda labels: True
        m = self.or_()
        if self.peek():
            raise SelectorError(f"unexpected {self.peek()!r}")
        return m

    def or_(self) -> Matcher:
        parts = [self.and_()]
        while self.peek() == "||":
            self.take()
            parts.append(self.and_())
        return parts[0] if len(parts) == 1 else (lambda labels: any(p(labels) for p in parts))

    def and_(self) -> Matcher:
        parts = [self.not_()]
        while self.peek() == "&&":
            self.take()
            parts.append(self.not_())
        return parts[0] if len(parts) == 1 else (lambda labels: all(p(labels) for p in parts))

    def not_(self) -> Matcher:
        if self.peek() == "!":
            self.take()
            inner = self.not_()
            return lambda labels: not inner(labels)
        return self.primary()

    def value(self) -> str:
        tok = self.take()
        if tok[:1] not in ("'", '"'):
            raise SelectorError(f"expected a quoted value, got {tok!r}")
        return tok[1:-1]

    def values(self) -> set[str]:
        self.take("{")
        out: set[str] = set()
        while self.peek() != "}":
            out.add(self.value())
            if self.peek() == ",":
                self.take()
        self.take("}")
        return out

    def primary(self) -> Matcher:
        tok = self.take()
        if tok == "(":
            inner = self.or_()
            self.take(")")
            return inner
        if tok in ("all", "global") and self.peek() == "(":
            self.take("(")
            self.take(")")
            return lambda labels: True
        if tok == "has" and self.peek() == "(":
            self.take("(")
            key = self.take()
            self.take(")")
            return lambda labels: key in labels
        key, op = tok, self.take()
        if op in ("==", "!="):
            want = self.value()
            return (lambda labels: labels.get(key) == want) if op == "==" else \
                (lambda labels: labels.get(key) != want)
        if op == "in":
            wanted = self.values()
            return lambda labels: labels.get(key) in wanted
        if op == "not" and self.peek() == "in":
            self.take()
            unwanted = self.values()
            return lambda labels: labels.get(key) not in unwanted
        if op == "contains":
            part = self.value()
            return lambda labels: part in labels.get(key, "\0")
        if op in ("starts", "ends") and self.peek() == "with":
            self.take()
            part = self.value()
            if op == "starts":
                return lambda labels: key in labels and labels[key].startswith(part)
            return lambda labels: key in labels and labels[key].endswith(part)
        raise SelectorError(f"unsupported operator {op!r}")


def compile_selector(text: str | None) -> Matcher:
    """A matcher for a Calico selector (empty or None selects everything); SelectorError when unparseable."""
    return _Parser(str(text or "")).parse()


def matches(text: str | None, labels: Labels) -> bool:
    """Whether a Calico selector selects an endpoint with these labels."""
    return compile_selector(text)(labels)
