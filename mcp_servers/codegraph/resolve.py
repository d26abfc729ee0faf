"""Call resolution: from a callee chain such as `self.repo.save` to the definition it runs.

The resolver evaluates a chain the way the language would, one part at a time, with what the code
itself declares: imports and their aliases, `self`/`this`, annotated and typed parameters, fields
typed in a class body or assigned a constructor call, local variables assigned a constructor or a
function with a declared return type, package-qualified names, and inheritance. A method name is
looked up in the class the receiver is known to have, so two `save` methods in two classes are
never confused. When any step is unknown the call stays unresolved (kept with its text) rather
than being matched by name: a wrong edge costs an on-call engineer more than a missing one.

It works over `FileFacts` fetched on demand (`Project.facts`), so the same code resolves a whole
repository in memory and a single re-indexed file against facts stored in SQLite.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from mcp_servers.codegraph.model import FileFacts, Sym, module_key, split_key, split_module

CLASS_KINDS = frozenset({"class", "interface", "struct", "enum"})
FUNC_KINDS = frozenset({"function", "method"})
SELF_NAMES = {"python": ("self", "cls"), "java": ("this",), "typescript": ("this",), "tsx": ("this",),
              "javascript": ("this",), "go": ()}
CONSTRUCTORS = {"python": "__init__", "typescript": "constructor", "tsx": "constructor", "javascript": "constructor"}
PACKAGE_SCOPED = frozenset({"go", "java"})
"""Languages whose top-level names are shared by every file of the package."""

_GENERIC = re.compile(r"<.*>|\[.*\]")


@dataclass(frozen=True, slots=True)
class Value:
    """What a chain prefix evaluates to: a module, a class (the type itself), an instance, a function."""

    kind: str  # module | class | instance | func
    key: str  # module name, or symbol key "module:local"


@dataclass
class FileIndex:
    """Per-file lookup tables derived from its facts (built once per file per resolution run)."""

    facts: FileFacts
    syms: dict[str, Sym]
    children: dict[str, dict[str, list[Sym]]]
    imports: dict[str, list[tuple[str, str]]]
    star: list[str]
    vars: dict[tuple[str, str], list[tuple[str, str, str]]]
    field_types: dict[str, dict[str, list[tuple[str, str]]]] = field(default_factory=dict)


def build_index(facts: FileFacts) -> FileIndex:
    syms = {s.local: s for s in facts.syms}
    children: dict[str, dict[str, list[Sym]]] = {}
    for s in facts.syms:
        children.setdefault(s.parent, {}).setdefault(s.name, []).append(s)
    imports: dict[str, list[tuple[str, str]]] = {}
    star: list[str] = []
    for imp in facts.imports:
        if imp.alias == "*":
            star.append(imp.module)
        else:
            imports.setdefault(imp.alias, []).append((imp.module, imp.member))
    var_map: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
    for v in facts.vars:
        var_map.setdefault((v.scope, v.var), []).append((v.kind, v.expr, v.origin))
    return FileIndex(facts, syms, children, imports, star, var_map)


class Project:
    """The repository as the resolver sees it: module names, files per module, facts per file."""

    def __init__(self, modules: dict[str, list[str]], load: Callable[[str], FileFacts | None],
                 go_module: str = "", subclasses: Callable[[str], list[str]] | None = None) -> None:
        self.modules = modules
        self.subclasses_source = subclasses
        """Direct subclasses of a class when not computed from all facts (an incremental run asks
        the stored inheritance edges instead of loading every file)."""
        self._load = load
        self._index: dict[str, FileIndex | None] = {}
        self.go_module = go_module
        self._suffix: dict[str, list[str]] | None = None

    def index(self, path: str) -> FileIndex | None:
        if path not in self._index:
            facts = self._load(path)
            self._index[path] = build_index(facts) if facts is not None else None
        return self._index[path]

    def module_files(self, module: str) -> list[FileIndex]:
        out = []
        for path in self.modules.get(module, ()):
            fi = self.index(path)
            if fi is not None:
                out.append(fi)
        return out

    def find_module(self, name: str, ns: str) -> str | None:
        """An import name to a module of this repository in one language family (`ns`): exact,
        else a unique suffix match. Returns the qualified module (`py:requests.models`).

        The suffix rule lets `import requests.models` find `src/requests/models.py`, and a Go import
        path `example.com/shop/internal/db` find the directory `internal/db`.
        """
        exact = f"{ns}:{name}"
        if exact in self.modules:
            return exact
        if self._suffix is None:
            self._suffix = {}
            for mod in self.modules:
                fam, raw = split_module(mod)
                parts = re.split(r"[./]", raw)
                for i in range(1, len(parts)):
                    self._suffix.setdefault(fam + ":" + ".".join(parts[i:]), []).append(mod)
        norm = ns + ":" + ".".join(re.split(r"[./]", name))
        hits = self._suffix.get(norm, [])
        if len(hits) == 1:
            return hits[0]
        return None


class Resolver:
    """Resolves the calls of one file against the project; results are symbol keys."""

    def __init__(self, project: Project) -> None:
        self.p = project
        self._depth = 0
        self._subclasses: dict[str, list[str]] | None = None
        self._memo: dict[tuple[str, ...], Value | None] = {}
        self._busy: set[tuple[str, ...]] = set()
        self._mro: dict[str, list[str]] = {}
        self._symbols: dict[str, tuple[FileIndex, Sym] | None] = {}
        self._tainted = False
        """Set when a result was cut short (a cycle, or the depth limit); such a result is not
        memoised, so the answer for a name never depends on the order names were asked in."""
        """Variable, type and module-member results; an entry is set to None while being computed,
        which both breaks cycles (`s = s.strip()`) and keeps evaluation linear."""

    # ---- entry points -------------------------------------------------------------------------
    def resolve_file(self, path: str) -> tuple[list[tuple[str, str, int]], list[tuple[str, str, int]]]:
        """(resolved edges (caller key, callee key, line), unresolved (caller key, callee text, line))."""
        fi = self.p.index(path)
        if fi is None:
            return [], []
        mod = fi.facts.module
        resolved: list[tuple[str, str, int]] = []
        unresolved: list[tuple[str, str, int]] = []
        for call in fi.facts.calls:
            caller = f"{mod}:{call.caller}" if call.caller else path
            targets = self.resolve_call(fi, call.caller, call.chain, call.argc)
            if targets:
                for t in targets:
                    resolved.append((caller, t, call.line))
            else:
                unresolved.append((caller, ".".join(call.chain), call.line))
        return resolved, unresolved

    def resolve_bases(self, path: str) -> list[tuple[str, str]]:
        """Inheritance edges (class key, base key) of one file."""
        fi = self.p.index(path)
        if fi is None:
            return []
        out = []
        for s in fi.facts.syms:
            for base in s.bases:
                v = self.eval_type(fi, s.parent, base)
                if v is not None and v.kind in ("class", "instance"):
                    out.append((f"{fi.facts.module}:{s.local}", v.key))
        return out

    def resolve_imports(self, path: str) -> list[str]:
        """Modules of this repository that a file imports."""
        fi = self.p.index(path)
        if fi is None:
            return []
        out = []
        for imp in fi.facts.imports:
            mod = self.import_module(fi, imp.module)
            if mod is not None and mod != fi.facts.module:
                out.append(mod)
        return sorted(set(out))

    def resolve_call(self, fi: FileIndex, scope: str, chain: tuple[str, ...], argc: int) -> list[str]:
        value = self.eval_chain(fi, scope, chain)
        if value is None:
            return []
        return self.call_targets(value, argc)

    def _memoised(self, key: tuple[str, ...], compute: Callable[[], Value | None]) -> Value | None:
        if key in self._memo:
            return self._memo[key]
        if key in self._busy:
            self._tainted = True
            return None
        outer_taint = self._tainted
        self._tainted = False
        self._busy.add(key)
        try:
            result = compute()
        finally:
            self._busy.discard(key)
        if not self._tainted:
            self._memo[key] = result
        self._tainted = self._tainted or outer_taint
        return result

    # ---- evaluation ---------------------------------------------------------------------------
    def call_targets(self, value: Value, argc: int = -1) -> list[str]:
        if value.kind == "func":
            return self._overload(value.key, argc)
        if value.kind == "class":
            lang = self._lang_of_key(value.key)
            ctor_name = CONSTRUCTORS.get(lang, "")
            if lang == "java":
                ctor_name = value.key.rsplit(".", 1)[-1].split(":")[-1]
            if ctor_name:
                found = self.member(value, ctor_name, own_only=lang == "java")
                if found is not None and found.kind == "func":
                    return self._overload(found.key, argc)
            return [value.key]
        return []

    def eval_chain(self, fi: FileIndex, scope: str, chain: tuple[str, ...]) -> Value | None:
        if not chain:
            return None
        self._depth += 1
        try:
            if self._depth > 12:
                self._tainted = True
                return None
            head = chain[0]
            called = head.endswith("()")
            name = head[:-2] if called else head
            value = self.lookup_name(fi, scope, name)
            if value is None:
                return None
            if called:
                value = self.call_result(value)
            for part in chain[1:]:
                if value is None:
                    return None
                called = part.endswith("()")
                name = part[:-2] if called else part
                value = self.member(value, name)
                if called and value is not None:
                    value = self.call_result(value)
            return value
        finally:
            self._depth -= 1

    def _overload(self, key: str, argc: int) -> list[str]:
        """Java overloads share a name: keep the ones whose parameter count matches the call."""
        found = self.symbol(key)
        if found is None or argc < 0 or found[0].facts.lang != "java":
            return [key]
        fi, sym = found
        siblings = fi.children.get(sym.parent, {}).get(sym.name, [])
        if len(siblings) < 2:
            return [key]
        same = [f"{fi.facts.module}:{s.local}" for s in siblings if _arity(s.signature) in (argc, -1)]
        return same or [key]

    def call_result(self, value: Value) -> Value | None:
        if value.kind == "super":
            return value
        if value.kind == "class":
            return Value("instance", value.key)
        if value.kind == "func":
            found = self.symbol(value.key)
            if found is None:
                return None
            fi, sym = found
            if sym.returns:
                return self.eval_type(fi, sym.parent, sym.returns)
            return None
        return None

    def lookup_name(self, fi: FileIndex, scope: str, name: str) -> Value | None:
        """A bare name at a point in the file: locals, enclosing scopes, module, imports, package."""
        lang = fi.facts.lang
        mod = fi.facts.module
        if name in SELF_NAMES.get(lang, ()):
            cls = self._enclosing_class(fi, scope)
            if cls is None:
                return None
            kind = "class" if name == "cls" else "instance"
            return Value(kind, f"{mod}:{cls}")
        if name == "super" and lang == "python":
            cls = self._enclosing_class(fi, scope)
            return Value("super", f"{mod}:{cls}") if cls else None
        # Walk scopes outwards: variables and nested definitions.
        s = scope
        while True:
            sym = fi.syms.get(s) if s else None
            if sym is None or sym.kind in FUNC_KINDS or not s:
                ev = fi.vars.get((s, name))
                if ev:
                    v = self._eval_var(fi, s, name, ev)
                    if v is not None:
                        return v
            if sym is None or sym.kind in FUNC_KINDS or (lang == "java" and sym.kind in CLASS_KINDS) or not s:
                kids = fi.children.get(s, {}).get(name)
                if kids and (s == "" or lang != "python" or sym is None or sym.kind in FUNC_KINDS):
                    return self._sym_value(mod, kids[0])
            if lang == "java" and sym is not None and sym.kind in CLASS_KINDS:
                v = self.member(Value("class", f"{mod}:{s}"), name)
                if v is not None:
                    return v
            if not s:
                break
            s = sym.parent if sym is not None else ""
        # Imports.
        for module, member in fi.imports.get(name, ()):
            v = self._import_value(fi, module, member)
            if v is not None:
                return v
        # Same package (Go, Java): other files' top-level names.
        if lang in PACKAGE_SCOPED:
            for other in self.p.module_files(mod):
                if other is fi:
                    continue
                kids = other.children.get("", {}).get(name)
                if kids:
                    return self._sym_value(mod, kids[0])
        for module in fi.star:
            target = self.import_module(fi, module)
            if target is not None:
                v = self.module_member(target, name)
                if v is not None:
                    return v
        return None

    def _eval_var(self, fi: FileIndex, scope: str, name: str, evidence: list[tuple[str, str, str]]) -> Value | None:
        return self._memoised(("var", fi.facts.path, scope, name),
                              lambda: self._eval_var_uncached(fi, scope, name, evidence))

    def _eval_var_uncached(self, fi: FileIndex, scope: str, name: str,
                           evidence: list[tuple[str, str, str]]) -> Value | None:
        for kind, expr, origin in evidence:
            v: Value | None = None
            if kind == "ann":
                v = self.eval_type(fi, origin, expr)
            elif kind == "call":
                target = self.eval_chain(fi, origin, tuple(expr.split(".")))
                v = self.call_result(target) if target is not None else None
            elif kind == "name" and (expr != name or origin != scope):
                v = self.eval_chain(fi, origin, tuple(expr.split(".")))
            if v is not None and v.kind != "module":
                return v
        return None

    def eval_type(self, fi: FileIndex, scope: str, expr: str) -> Value | None:
        """A type expression as written to the class it names (an instance of it)."""
        return self._memoised(("type", fi.facts.path, scope, expr), lambda: self._eval_type(fi, scope, expr))

    def _eval_type(self, fi: FileIndex, scope: str, expr: str) -> Value | None:
        for name in _type_names(expr):
            v = self.eval_chain(fi, scope, tuple(name.split(".")))
            if v is not None and v.kind == "class":
                return Value("instance", v.key)
        return None

    def _sym_value(self, mod: str, sym: Sym) -> Value:
        return Value("class" if sym.kind in CLASS_KINDS else "func", f"{mod}:{sym.local}")

    def _enclosing_class(self, fi: FileIndex, scope: str) -> str | None:
        s = scope
        while s:
            sym = fi.syms.get(s)
            if sym is None:
                return None
            if sym.kind in CLASS_KINDS:
                return s
            s = sym.parent
        return None

    # ---- modules and imports ------------------------------------------------------------------
    def import_module(self, fi: FileIndex, spec: str) -> str | None:
        lang = fi.facts.lang
        ns, raw = split_module(fi.facts.module)
        if lang == "python" and spec.startswith("."):
            # The file's module name already starts at the top of its package on disk (the indexer
            # walks up while __init__.py exists), so `from .. import x` means the same whatever
            # directory was indexed.
            dots = len(spec) - len(spec.lstrip("."))
            base = raw.split(".") if raw else []
            is_pkg = fi.facts.path.endswith("__init__.py")
            keep = len(base) - dots + (1 if is_pkg else 0)
            if keep < 0:
                return None
            rest = spec[dots:]
            full = ".".join([*base[:keep], *([rest] if rest else [])])
            return self.p.find_module(full, ns) if full else None
        if lang in ("typescript", "tsx", "javascript"):
            if not spec.startswith("."):
                exact = module_key(lang, spec)
                return exact if "/" in spec and exact in self.p.modules else None
            folder = posixpath.dirname(fi.facts.path)
            target = posixpath.normpath(posixpath.join(folder, spec))
            for cand in (target, re.sub(r"\.(ts|tsx|js|jsx|mjs|cjs)$", "", target), f"{target}/index"):
                if module_key(lang, cand) in self.p.modules:
                    return module_key(lang, cand)
            return None
        if lang == "go":
            gm = self.p.go_module
            if gm and (spec == gm or spec.startswith(gm + "/")):
                rel = spec[len(gm) + 1:] if spec != gm else "."
                return module_key(lang, rel) if module_key(lang, rel) in self.p.modules else None
            return self.p.find_module(spec, ns) if "." in spec.split("/")[0] or "/" in spec else None
        return self.p.find_module(spec, ns)

    def _import_value(self, fi: FileIndex, module: str, member: str) -> Value | None:
        lang = fi.facts.lang
        if lang == "python" and not member:
            target = self.import_module(fi, module)
            return Value("module", target) if target is not None else None
        if lang == "python":
            # `from pkg import name`: a submodule or a name defined (or re-exported) by pkg.
            target = self.import_module(fi, module)
            if target is None:
                return None
            v = self.module_member(target, member)
            if v is not None:
                return v
            return None
        target = self.import_module(fi, module)
        if target is None:
            return None
        if not member:
            return Value("module", target)
        value: Value | None = Value("module", target)
        for part in member.split("."):
            value = self.member(value, part) if value is not None else None
        return value

    def module_member(self, module: str, name: str) -> Value | None:
        return self._memoised(("member", module, name), lambda: self._module_member(module, name))

    def _module_member(self, module: str, name: str) -> Value | None:
        files = self.p.module_files(module)
        for fi in files:
            if name == "default" and fi.facts.default_export:
                name = fi.facts.default_export
            kids = fi.children.get("", {}).get(name)
            if kids:
                return self._sym_value(module, kids[0])
        ns, raw = split_module(module)
        sub = f"{module}.{name}" if raw else f"{ns}:{name}"
        if files and files[0].facts.lang == "python" and sub in self.p.modules:
            return Value("module", sub)
        for fi in files:
            if fi.facts.lang != "python":
                continue
            # Re-exports: `from .models import Request` in a package's __init__.py.
            for mod_spec, member in fi.imports.get(name, ()):
                self._depth += 1
                try:
                    if self._depth >= 12:
                        self._tainted = True
                    else:
                        v = self._import_value(fi, mod_spec, member)
                        if v is not None:
                            return v
                finally:
                    self._depth -= 1
            # Module-level aliases: `get = _get_impl`.
            ev = fi.vars.get(("", name))
            if ev:
                for kind, expr, _origin in ev:
                    if kind == "name":
                        v = self.eval_chain(fi, "", tuple(expr.split(".")))
                        if v is not None and v.kind in ("func", "class"):
                            return v
        return None

    # ---- classes ------------------------------------------------------------------------------
    def symbol(self, key: str) -> tuple[FileIndex, Sym] | None:
        if key in self._symbols:
            return self._symbols[key]
        found = self._find_symbol(key)
        self._symbols[key] = found
        return found

    def _find_symbol(self, key: str) -> tuple[FileIndex, Sym] | None:
        module, local = split_key(key)
        for fi in self.p.module_files(module):
            sym = fi.syms.get(local)
            if sym is not None:
                return fi, sym
        return None

    def _lang_of_key(self, key: str) -> str:
        found = self.symbol(key)
        return found[0].facts.lang if found else ""

    def mro(self, key: str) -> list[str]:
        """The class and its ancestors, depth first, each once."""
        cached = self._mro.get(key)
        if cached is not None:
            return cached
        if ("mro", key) in self._busy:
            self._tainted = True
            return [key]
        outer_taint = self._tainted
        self._tainted = False
        self._busy.add(("mro", key))
        out: list[str] = []
        todo = [key]
        try:
            while todo and len(out) < 50:
                k = todo.pop(0)
                if k in out:
                    continue
                out.append(k)
                found = self.symbol(k)
                if found is None:
                    continue
                fi, sym = found
                for base in sym.bases:
                    v = self.eval_type(fi, sym.parent, base)
                    if v is not None and v.key not in out:
                        todo.append(v.key)
        finally:
            self._busy.discard(("mro", key))
        if not self._tainted:
            self._mro[key] = out
        self._tainted = self._tainted or outer_taint
        return out

    def subclasses_of(self, key: str) -> list[str]:
        """Direct subclasses of a class (all bases of the project are resolved once per run)."""
        if self.p.subclasses_source is not None:
            return self.p.subclasses_source(key)
        if self._subclasses is None:
            subs: dict[str, list[str]] = {}
            for paths in self.p.modules.values():
                for path in paths:
                    for cls, base in self.resolve_bases(path):
                        subs.setdefault(base, []).append(cls)
            self._subclasses = subs
        return self._subclasses.get(key, [])

    def _implemented_below(self, key: str, name: str) -> Value | None:
        """A mixin or abstract base calling `self.m()` it does not define: when exactly one class
        below it defines `m`, that is the only method the call can reach; otherwise stay unresolved."""
        found: list[Value] = []
        todo = list(self.subclasses_of(key))
        seen: set[str] = set()
        while todo and len(seen) < 200:
            sub = todo.pop()
            if sub in seen:
                continue
            seen.add(sub)
            hit = self.member(Value("class", sub), name, own_only=True)
            if hit is not None and hit.kind == "func":
                if hit not in found:
                    found.append(hit)
                continue
            todo.extend(self.subclasses_of(sub))
        return found[0] if len(found) == 1 else None

    def member(self, value: Value, name: str, own_only: bool = False) -> Value | None:
        if value.kind == "module":
            return self.module_member(value.key, name)
        if value.kind not in ("class", "instance", "super"):
            return None
        return self._memoised(("attr", value.kind, value.key, name, "1" if own_only else ""),
                              lambda: self._class_member(value, name, own_only))

    def _class_member(self, value: Value, name: str, own_only: bool) -> Value | None:
        found = self._member(value, name, own_only)
        if found is None and value.kind == "instance" and not own_only:
            found = self._implemented_below(value.key, name)
        return found

    def _member(self, value: Value, name: str, own_only: bool) -> Value | None:
        chain = self.mro(value.key)
        if value.kind == "super":
            chain = chain[1:]
        if own_only:
            chain = chain[:1]
        for cls_key in chain:
            found = self.symbol(cls_key)
            if found is None:
                continue
            fi, sym = found
            kids = fi.children.get(sym.local, {}).get(name)
            if not kids and fi.facts.lang == "go":
                # Go methods may live in any file of the package.
                for other in self.p.module_files(fi.facts.module):
                    kids = other.children.get(sym.local, {}).get(name)
                    if kids:
                        break
            if kids:
                return self._sym_value(fi.facts.module, kids[0])
            ev = fi.vars.get((sym.local, name))
            if ev:
                v = self._eval_var(fi, sym.local, name, ev)
                if v is not None:
                    return v if v.kind != "class" else Value("instance", v.key)
        return None


def _type_names(expr: str) -> Iterable[str]:
    """Candidate class names in a type expression: `Optional["a.B"]` -> a.B; `*db.Store` -> db.Store."""
    expr = expr.strip().strip("\"'")
    for prefix in ("*", "&", "[]", "...", "?"):
        while expr.startswith(prefix):
            expr = expr[len(prefix):]
    if expr.startswith(("Optional[", "typing.Optional[", "Annotated[", "typing.Annotated[", "Final[", "ClassVar[")):
        inner = expr[expr.index("[") + 1: expr.rindex("]") if "]" in expr else len(expr)]
        yield from _type_names(inner.split(",")[0])
        return
    if "|" in expr:
        parts = [p.strip() for p in expr.split("|") if p.strip() not in ("None", "null", "undefined")]
        if len(parts) == 1:
            yield from _type_names(parts[0])
        return
    expr = _GENERIC.sub("", expr).strip().strip("\"'")
    if re.fullmatch(r"[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*", expr):
        yield expr


def _arity(signature: str) -> int:
    """Parameter count of a Java signature; -1 for varargs (it matches any count)."""
    start = signature.find("(")
    end = signature.rfind(")")
    if start < 0 or end < start:
        return -1
    params = signature[start + 1:end]
    if "..." in params:
        return -1
    if not params.strip():
        return 0
    depth = 0
    count = 1
    for ch in params:
        if ch == "<":
            depth += 1
        elif ch == ">":
            depth -= 1
        elif ch == "," and depth == 0:
            count += 1
    return count
