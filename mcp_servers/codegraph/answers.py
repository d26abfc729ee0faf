"""The answers behind the codegraph tools, as compact text within a token budget.

Shared by the MCP server and the CLI so both say the same thing. Each function takes the warm
`CodeGraph` and plain arguments, and raises `LookupError` with a message a model can act on when a
symbol cannot be found or is ambiguous.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from mcp_servers.codegraph import gitinfo, sourcemap
from mcp_servers.codegraph.graph import ENTRY_LABELS, CodeGraph, SymbolRow
from mcp_servers.codegraph.model import NAMESPACES, split_module
from mcp_servers.codegraph.stacktrace import Frame, detect_and_parse, name_parts
from mcp_servers.common.compact import DEFAULT_BUDGET_TOKENS, estimate_tokens, fit_text, render_table


def resolve_one(g: CodeGraph, symbol: str) -> str:
    """One symbol key for a reference, or LookupError listing the candidates."""
    keys = g.find(symbol)
    if not keys:
        hits = g.search(symbol, limit=5)
        hint = f" Close matches: {', '.join(hits)}." if hits else ""
        raise LookupError(f"no symbol matches {symbol!r}.{hint} Try search_symbols, or a key such as "
                          "'py:package.module:Class.method', 'Class.method' or 'path/to/file.py:42'.")
    if len(keys) > 1:
        shown = ", ".join(keys[:12])
        more = f" (and {len(keys) - 12} more)" if len(keys) > 12 else ""
        raise LookupError(f"{symbol!r} is ambiguous: {shown}{more}. Pass one of these keys.")
    return keys[0]


def _where(g: CodeGraph, key: str) -> str:
    sym = g.symbols.get(key)
    return sym.location if sym else key


def _entry(g: CodeGraph, key: str) -> str:
    kind = g.entry_kind(key)
    return ENTRY_LABELS.get(kind, kind)


def symbol_answer(g: CodeGraph, symbol: str, budget_tokens: int = DEFAULT_BUDGET_TOKENS) -> str:
    key = resolve_one(g, symbol)
    s = g.symbols[key]
    callers = g.callers(key)
    callees = g.callees(key)
    lines = [f"{s.kind} {key}", f"at {s.path}:{s.start}-{s.end}", f"signature: {s.signature}"]
    if s.doc:
        lines.append(f"doc: {s.doc}")
    if s.entry:
        lines.append(f"entry point: {_entry(g, key)}")
    if s.parent and s.parent in g.symbols:
        lines.append(f"member of: {s.parent}")
    if g.bases.get(key):
        lines.append("inherits: " + ", ".join(g.bases[key]))
    if g.subclasses.get(key):
        lines.append("subclassed by: " + ", ".join(sorted(g.subclasses[key])[:10]))
    lines.append(f"callers: {len(callers)}  callees: {len(callees)} resolved, "
                 f"{len(g.unresolved_from(key))} unresolved")
    members = g.members(key)
    if members:
        rows = [(m.kind, m.name, m.start, m.signature) for m in members]
        lines.append(render_table(["kind", "name", "line", "signature"], rows,
                                  budget_tokens=max(200, budget_tokens - estimate_tokens("\n".join(lines))),
                                  title="members:", more_hint=f"get_module_structure(module={s.module!r})"))
    return fit_text("\n".join(lines), budget_tokens)


def search_answer(g: CodeGraph, query: str, kind: str = "", limit: int = 20,
                  budget_tokens: int = DEFAULT_BUDGET_TOKENS) -> str:
    keys = g.search(query, limit=max(limit * 3, limit))
    rows: list[tuple[str, str, str, str]] = []
    for k in keys:
        s = g.symbols[k]
        if kind and s.kind != kind:
            continue
        rows.append((s.kind, k, s.location, s.doc or s.signature))
        if len(rows) >= limit:
            break
    return render_table(["kind", "symbol", "location", "doc / signature"], rows, budget_tokens=budget_tokens,
                        title=f"symbols matching {query!r}:", more_hint="raise limit or narrow the query")


def callers_answer(g: CodeGraph, symbol: str, budget_tokens: int = DEFAULT_BUDGET_TOKENS) -> str:
    key = resolve_one(g, symbol)
    callers = g.callers(key)
    rows = [(c, _where(g, c), ",".join(map(str, lines)), _entry(g, c)) for c, lines in callers]
    name = g.symbols[key].name
    text = render_table(["caller", "defined at", "call lines", "entry point"], rows, budget_tokens=budget_tokens,
                        title=f"{len(callers)} callers of {key} ({_where(g, key)}):",
                        more_hint=f"get_impact_radius(symbol={key!r}) groups them by depth")
    maybe = g.unresolved_named(name)
    if maybe:
        text += (f"\n{maybe} call sites of `.{name}(...)` elsewhere could not be tied to a class "
                 "(receiver type unknown); they are not counted above.")
    return text


def callees_answer(g: CodeGraph, symbol: str, budget_tokens: int = DEFAULT_BUDGET_TOKENS) -> str:
    key = resolve_one(g, symbol)
    callees = g.callees(key)
    rows: list[tuple[str, str, str]] = [(c, _where(g, c), ",".join(map(str, lines))) for c, lines in callees]
    unresolved = Counter(callee for callee, _ in g.unresolved_from(key))
    rows += [(f"{callee} (unresolved{f', x{n}' if n > 1 else ''})", "outside the index or type unknown", "")
             for callee, n in unresolved.most_common()]
    return render_table(["callee", "defined at", "call lines"], rows, budget_tokens=budget_tokens,
                        title=f"{key} calls {len(callees)} indexed symbols and {len(unresolved)} others:")


def impact_answer(g: CodeGraph, symbol: str, depth: int = 3, budget_tokens: int = DEFAULT_BUDGET_TOKENS) -> str:
    if not 1 <= depth <= 10:
        raise LookupError("depth must be between 1 and 10")
    key = resolve_one(g, symbol)
    levels = g.impact(key, depth)
    total = sum(len(v) for v in levels.values())
    entries = [(d, k, _entry(g, k)) for d, keys in levels.items() for k in keys
               if g.entry_kind(k) not in ("", "module")]
    head = [f"impact of {key} ({_where(g, key)}): {total} transitive callers within depth {depth}; "
            f"{len(entries)} entry points reached"]
    for kind, n in Counter(e[2] for e in entries).most_common():
        head.append(f"  {n} x {kind}")
    rows = [(d, k, _where(g, k), _entry(g, k)) for d, keys in levels.items() for k in
            sorted(keys, key=lambda k: (g.entry_kind(k) in ("", "module"), k))]
    return "\n".join(head) + "\n" + render_table(
        ["depth", "caller", "defined at", "entry point"], rows,
        budget_tokens=budget_tokens - estimate_tokens("\n".join(head)),
        more_hint="lower depth, or get_callers on one of the callers")


def structure_answer(g: CodeGraph, module: str, budget_tokens: int = DEFAULT_BUDGET_TOKENS) -> str:
    syms = g.module_symbols(module)
    if not syms:
        prefix = [m for m in sorted(set(g.files.values()))
                  if m.startswith(module) or split_module(m)[1].startswith(module)]
        if prefix:
            return render_table(["module"], [(m,) for m in prefix], budget_tokens=budget_tokens,
                                title=f"{module!r} is a package; its modules:")
        raise LookupError(f"no module or file {module!r} in the index; search_symbols finds names, "
                          "and module names look like 'pkg.sub.mod' (Python), 'com.acme.shop' (Java), "
                          "'internal/db' (Go) or 'src/services/cart' (TypeScript)")
    rows = []
    for s in syms:
        depth = s.local.count(".")
        rows.append((s.path, s.start, "  " * depth + f"{s.kind} {s.name}", s.signature,
                     len(g.callers(s.key))))
    return render_table(["file", "line", "definition", "signature", "callers"], rows, budget_tokens=budget_tokens,
                        title=f"structure of {module}:", more_hint="get_symbol on a class lists its members")


def changed_answer(g: CodeGraph, rev_range: str = "", diff: str = "", depth: int = 2,
                   budget_tokens: int = DEFAULT_BUDGET_TOKENS) -> str:
    if not rev_range and not diff:
        raise LookupError("give rev_range (e.g. 'HEAD~1..HEAD' or a commit) or diff (unified diff text)")
    prefix = ""
    if rev_range:
        if not g.root:
            raise LookupError("the index does not know its repository root; re-index it with `vigil index`")
        try:
            # git prints paths from the top of the work tree; the index's are relative to its root.
            prefix = gitinfo.repo_prefix(g.root)
            diff = gitinfo.range_diff(g.root, rev_range)
        except gitinfo.GitError as exc:
            raise LookupError(f"git could not diff {rev_range!r}: {exc}") from None
    ranges = gitinfo.diff_ranges(diff, prefix)
    rows = []
    touched: list[SymbolRow] = []
    other_files = []
    module_level: list[tuple[str, str, str, int, str]] = []
    for path, spans in sorted(ranges.items()):
        indexed = g.match_path(path)
        if indexed is None:
            other_files.append(path)
            continue
        hits = g.symbols_in_lines(indexed, spans)
        touched.extend(hits)
        # Lines outside every definition: imports, constants, module-level code.
        outside = [(a, b) for a, b in spans if not any(s.start <= b and a <= s.end for s in hits)]
        if outside:
            module_level.append((f"{indexed} (module level)", f"{indexed}:{outside[0][0]}", "module", 0, "-"))
    for s in touched:
        levels = g.impact(s.key, depth)
        reach = [k for keys in levels.values() for k in keys]
        entries = sorted({_entry(g, k) for k in reach if g.entry_kind(k) not in ("", "module")})
        rows.append((s.key, s.location, s.kind, len(reach), ", ".join(entries) or "-"))
    rows.sort(key=lambda r: -r[3])
    rows += module_level
    head = f"{len(touched)} symbols touched in {len(ranges)} files" + (
        f" ({len(other_files)} files not in the index: {', '.join(other_files[:5])})" if other_files else "")
    return head + "\n" + render_table(["symbol", "location", "kind", f"callers (depth {depth})", "entry points"],
                                      rows, budget_tokens=budget_tokens - estimate_tokens(head),
                                      more_hint="get_impact_radius on one symbol shows its callers")


def _frame_symbol(g: CodeGraph, frame: Frame) -> tuple[SymbolRow | None, str]:
    """The definition a frame points at, and how it was found (file+line, or by name).

    A frame in module-level code of an indexed file gives (None, path).
    """
    path = g.match_path(frame.file)
    if path is None and frame.lang == "java":
        parts = name_parts(frame)
        module = ".".join(parts[:-2])
        cands = [p for p, m in g.files.items() if split_module(m)[1] == module and p.endswith("/" + frame.file)]
        path = cands[0] if len(cands) == 1 else None
    if path is not None:
        sym = g.symbol_at(path, frame.line)
        return (sym, "file:line") if sym is not None else (None, path)
    if frame.lang == "javascript" and g.root:
        # Compiled code (dist/, a bundle) is not indexed; its source map leads to the file that is.
        mapped = sourcemap.original_position(Path(g.root), frame.file, frame.line, frame.column)
        source = g.match_path(mapped[0]) if mapped is not None else None
        if mapped is not None and source is not None:
            sym = g.symbol_at(source, mapped[1].line)
            return (sym, f"source map: {source}:{mapped[1].line}") if sym is not None else (None, source)
    # By name, within the frame's language only, and only when exactly one definition fits.
    parts = name_parts(frame)
    family = NAMESPACES.get(frame.lang)
    if len(parts) >= 2 or (parts and frame.lang == "javascript"):
        keys = [k for k in g.find(".".join(parts[-2:])) if family is None or k.startswith(family + ":")]
        if len(keys) == 1:
            return g.symbols[keys[0]], "name"
    return None, ""


def stacktrace_answer(g: CodeGraph, trace: str, commits: int = 3, budget_tokens: int = DEFAULT_BUDGET_TOKENS) -> str:
    parsed = detect_and_parse(trace)
    if not parsed.frames:
        raise LookupError("no stack frames found; paste the trace as logged (Python 'File \"x.py\", line N', "
                          "Go 'pkg.Func(...)' + 'file.go:N', Java 'at a.B.c(B.java:N)', Node 'at f (file.js:N:M)')")
    git_ok = bool(g.root) and gitinfo.is_git_repo(g.root)
    out = [f"{parsed.lang} stack trace, {len(parsed.frames)} frames (innermost first)"
           + (f"; error: {parsed.error}" if parsed.error else "")]
    culprit_done = False
    rows = []
    for frame in parsed.frames:
        sym, how = _frame_symbol(g, frame)
        if sym is None:
            where = f"module-level code of {how}" if how else "not in the index (library code?)"
            rows.append((f"{frame.file}:{frame.line}", frame.function or "?", where))
            continue
        rows.append((f"{frame.file}:{frame.line}", frame.function or "?", f"{sym.key} ({how})"))
        if culprit_done:
            continue
        culprit_done = True
        callers = g.callers(sym.key)
        out.append(f"raised in: {sym.key} at {sym.path}:{sym.start}-{sym.end}")
        out.append(f"  signature: {sym.signature}")
        if sym.doc:
            out.append(f"  doc: {sym.doc}")
        out.append(f"  callers ({len(callers)}): " + ", ".join(c for c, _ in callers[:8])
                   + (" ..." if len(callers) > 8 else ""))
        if git_ok and commits > 0:
            found = gitinfo.commits_touching(g.root, sym.path, sym.start, sym.end, commits)
            if found:
                out.append("  recent commits touching it:")
                out += [f"    {c.sha} {c.date} {c.author}: {c.subject}" for c in found]
            else:
                out.append("  recent commits touching it: none found (uncommitted or outside git)")
    text = "\n".join(out)
    return text + "\n" + render_table(["frame", "function", "symbol"], rows,
                                      budget_tokens=budget_tokens - estimate_tokens(text))

