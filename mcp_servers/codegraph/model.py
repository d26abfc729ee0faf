"""What the indexer extracts from one file, before any cross-file resolution.

Extraction (tree-sitter, per file, in worker processes) and resolution (whole repository, in
memory) are separate passes. Keeping the per-file result as plain tuples makes it cheap to pickle
between processes and to store in SQLite, so an incremental re-index re-parses only the files
that changed and re-resolves calls from the stored facts of the others.

All names are *local* to the file's module: `Cart.add` in module `shop.cart` becomes the global
key `py:shop.cart:Cart.add` once the resolver knows the module. The module name carries its
language family (`py`, `go`, `java`, `js`), because module names of different languages look
alike (`util.py` is Python module `util`, `util/util.go` is Go package `util`) and a call never
crosses languages except through FFI, which is not modelled.
"""

from __future__ import annotations

import marshal
from dataclasses import dataclass, field
from typing import NamedTuple

NAMESPACES = {"python": "py", "go": "go", "java": "java", "typescript": "js", "tsx": "js", "javascript": "js"}
"""Language family of each indexed language: TypeScript and JavaScript import one another, so they
share one module namespace; every other language has its own."""


def module_key(lang: str, module: str) -> str:
    """A language's module name qualified by its family (`py:shop.cart`, `go:internal/db`)."""
    return f"{NAMESPACES.get(lang, lang)}:{module}"


def split_module(qualified: str) -> tuple[str, str]:
    """`py:shop.cart` -> ("py", "shop.cart"): the family and the name as the language writes it."""
    ns, _, raw = qualified.partition(":")
    return ns, raw


def split_key(key: str) -> tuple[str, str]:
    """A symbol key to (qualified module, local name); local names never hold a colon."""
    module, _, local = key.rpartition(":")
    return module, local


class Sym(NamedTuple):
    """A definition: class, function, method, interface, struct..."""

    local: str
    """Dotted name inside the module (`Cart.add`); unique within the file (`@line` added on clashes)."""
    kind: str
    """One of: class, interface, struct, enum, function, method."""
    name: str
    start: int
    """1-based first line."""
    end: int
    signature: str
    doc: str
    parent: str
    """Local name of the enclosing definition, or "" at module level."""
    bases: tuple[str, ...]
    """Base classes / implemented interfaces / embedded structs, as written (type expressions)."""
    returns: str
    """Declared return type as written, or ""."""
    entry: str
    """Entry-point kind when the definition is one: http, cli, test, main; else ""."""


class Imp(NamedTuple):
    """A name bound by an import: `alias` refers to `member` of `module` (member "" = the module)."""

    alias: str
    module: str
    member: str
    line: int


class Call(NamedTuple):
    """A call site: `chain` is the callee as a dotted chain, parts ending in "()" are call results."""

    caller: str
    """Local name of the innermost enclosing definition, "" for module-level code."""
    chain: tuple[str, ...]
    line: int
    argc: int


class VarType(NamedTuple):
    """Evidence for the type of a variable or field inside a scope.

    kind "ann": `expr` is a type expression (annotation, declared type, `new T`, `&T{}`).
    kind "call": `expr` is a dotted callee chain whose call result the variable holds.
    kind "name": the variable was assigned from another variable named `expr`.
    """

    scope: str
    var: str
    kind: str
    expr: str
    origin: str
    """The scope `expr` is evaluated in: for `self.db = db` in `Cart.__init__`, the variable is the
    field `db` of scope `Cart`, and `db` is read in `Cart.__init__`."""


@dataclass(slots=True)
class FileFacts:
    path: str
    lang: str
    module: str
    sha: str
    lines: int
    syms: list[Sym] = field(default_factory=list)
    imports: list[Imp] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    vars: list[VarType] = field(default_factory=list)
    package: str = ""
    """Language package name when it differs from the module key (Java `package`, Go `package`)."""
    default_export: str = ""
    """JS/TS: the local name exported as default."""


def encode(facts: FileFacts) -> bytes:
    """Facts as a compact blob (marshal of plain tuples: several times faster than pickle)."""
    return marshal.dumps((
        facts.path, facts.lang, facts.module, facts.sha, facts.lines,
        [tuple(s) for s in facts.syms], [tuple(i) for i in facts.imports],
        [tuple(c) for c in facts.calls], [tuple(v) for v in facts.vars],
        facts.package, facts.default_export,
    ))


def decode(blob: bytes) -> FileFacts:
    path, lang, module, sha, lines, syms, imports, calls, vars_, package, default = marshal.loads(blob)
    return FileFacts(
        path=path, lang=lang, module=module, sha=sha, lines=lines,
        syms=[Sym._make(s) for s in syms], imports=[Imp._make(i) for i in imports],
        calls=[Call._make(c) for c in calls], vars=[VarType._make(v) for v in vars_],
        package=package, default_export=default,
    )
