"""Helpers shared by the extractors: scope lookup by byte offset, text, signatures, docstrings."""

from __future__ import annotations

import codecs
import hashlib
import io
import tokenize
from bisect import bisect_right
from typing import Any

from tree_sitter import Node, Query, QueryCursor
from tree_sitter_language_pack import get_language

_QUERIES: dict[tuple[str, str], Query] = {}


def query(lang: str, source: str) -> Query:
    """Compile a query once per process (compiling costs milliseconds, running it microseconds)."""
    key = (lang, source)
    q = _QUERIES.get(key)
    if q is None:
        q = _QUERIES[key] = Query(get_language(lang), source)  # type: ignore[arg-type]
    return q


_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def as_utf8(lang: str, data: bytes) -> bytes:
    """The file's text as UTF-8 bytes, which is what the grammars read.

    Tree-sitter works on bytes and its grammars expect UTF-8: a Latin-1 `café` would end the
    identifier at the first non-UTF-8 byte. So the source is decoded the way its language does and
    re-encoded: Python honours a BOM and a PEP 263 declaration in the first two lines (the standard
    library's own `tokenize.detect_encoding`, so `# vim: set fileencoding=...` counts exactly when
    Python counts it); other languages honour a BOM and otherwise read UTF-8. Text that still does
    not decode is read as Latin-1, which maps every byte to a character, so no identifier is cut
    short (a legacy non-Latin-1 file may show other letters, never fewer). Line numbers are kept.
    """
    encoding = "utf-8"
    if lang == "python":
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        except (SyntaxError, LookupError):  # unknown codec or a bad declaration: Python would refuse it
            encoding = "utf-8"
    else:
        for bom, name in _BOMS:
            if data.startswith(bom):
                encoding = name
                break
    if encoding == "utf-8":
        try:
            data.decode("utf-8")
            return data  # the common case: already what the grammar reads
        except UnicodeDecodeError:
            pass
    try:
        decoded = data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        decoded = data.decode("latin-1")
    decoded = decoded.removeprefix("\ufeff")
    return decoded.encode("utf-8", "surrogatepass")


def matches(q: Query, node: Node) -> list[tuple[int, dict[str, list[Node]]]]:
    return QueryCursor(q).matches(node)


def sha(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def text(node: Node | None) -> str:
    if node is None:
        return ""
    raw = node.text
    return raw.decode("utf-8", "replace") if raw is not None else ""


def one_line(src: bytes, start: int, end: int, limit: int = 240) -> str:
    """A declaration header squeezed onto one line (signatures spanning lines are common)."""
    raw = src[start:end][: limit * 2].decode("utf-8", "replace")
    out = " ".join(raw.split())
    return out if len(out) <= limit else out[: limit - 1] + "…"


def first_paragraph(doc: str, limit: int = 300) -> str:
    """The first paragraph of a docstring or doc comment, without quotes or comment markers."""
    doc = doc.strip()
    for q in ('"""', "'''", '"', "'"):
        if doc.startswith(q) and doc.endswith(q) and len(doc) >= 2 * len(q):
            doc = doc[len(q): -len(q)]
            break
    if doc.startswith(("r\"", "r'", "b\"", "u\"")):
        doc = doc[1:].strip("\"'")
    lines: list[str] = []
    for line in doc.splitlines():
        line = line.strip().lstrip("/*").rstrip("*/").strip()
        if not line:
            if lines:
                break
            continue
        lines.append(line)
    out = " ".join(lines)
    return out if len(out) <= limit else out[: limit - 1] + "…"


class Scopes:
    """Definitions ordered by position, answering "which definition encloses this byte?".

    Tree-sitter query matches come in document order, so definitions arrive sorted by their start;
    nesting is recovered with a stack, and a lookup is a bisect plus a short walk up the parents.
    """

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.parents: list[int] = []
        self.locals: list[str] = []
        self.kinds: list[str] = []
        self._stack: list[int] = []
        self.used: set[str] = set()

    def add(self, start: int, end: int, name: str, kind: str, line: int,
            owner: str = "") -> tuple[str, str]:
        """Register a definition; returns (local name, parent local name).

        `owner` names the parent when it is not the enclosing definition (a Go method's receiver).
        """
        stack = self._stack
        while stack and self.ends[stack[-1]] <= start:
            stack.pop()
        parent = stack[-1] if stack else -1
        parent_local = owner or (self.locals[parent] if parent >= 0 else "")
        local = f"{parent_local}.{name}" if parent_local else name
        if local in self.used:
            local = f"{local}@{line}"
        self.used.add(local)
        self.starts.append(start)
        self.ends.append(end)
        self.parents.append(parent)
        self.locals.append(local)
        self.kinds.append(kind)
        stack.append(len(self.starts) - 1)
        return local, parent_local

    def index_at(self, pos: int) -> int:
        i = bisect_right(self.starts, pos) - 1
        while i >= 0 and self.ends[i] <= pos:
            i = self.parents[i]
        return i

    def local_at(self, pos: int) -> str:
        i = self.index_at(pos)
        return self.locals[i] if i >= 0 else ""

    def function_at(self, pos: int) -> str:
        """The innermost enclosing function/method (variables live there), "" for module level."""
        i = self.index_at(pos)
        while i >= 0 and self.kinds[i] not in ("function", "method"):
            i = self.parents[i]
        return self.locals[i] if i >= 0 else ""

    def class_at(self, pos: int) -> str:
        """The innermost enclosing class-like definition ("" when none)."""
        i = self.index_at(pos)
        while i >= 0 and self.kinds[i] in ("function", "method"):
            i = self.parents[i]
        return self.locals[i] if i >= 0 else ""


def first(caps: dict[str, list[Node]], name: str) -> Any:
    nodes = caps.get(name)
    return nodes[0] if nodes else None


def preceding_comment(node: Node) -> str:
    """The doc comment written right above a declaration (Go, Java, TS style), "" when none."""
    prev = node.prev_sibling
    parts: list[str] = []
    end_row = node.start_point[0]
    while prev is not None and prev.type in ("comment", "block_comment", "line_comment") \
            and prev.end_point[0] >= end_row - 1:
        parts.insert(0, text(prev))
        end_row = prev.start_point[0]
        prev = prev.prev_sibling
    return first_paragraph("\n".join(p.lstrip("/").lstrip("*") for p in parts)) if parts else ""
