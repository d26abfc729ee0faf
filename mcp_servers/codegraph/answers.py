"""The answers behind the codegraph tools: typed results computed from the warm graph, within a budget.

Shared by the MCP server and the CLI so both say the same thing. Each `*_result` function takes the
warm `CodeGraph` and plain arguments and returns the tool's model (mcp_servers.codegraph.results),
already cut to `budget_tokens`: lists hold the rows the text shows and `left_out` counts the rest.
Its text is `render.*_text(model)`; the `*_answer` functions return that text. Each raises
`LookupError` with a message a model can act on when a symbol cannot be found or is ambiguous.

Models are made with `model_construct`: every value comes from the graph's typed rows (or is an int
or str computed here), so validating them again would only add latency to every call.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from mcp_servers.codegraph import gitinfo, render, sourcemap
from mcp_servers.codegraph.graph import ENTRY_LABELS, CodeGraph, SymbolRow
from mcp_servers.codegraph.model import NAMESPACES, split_module
from mcp_servers.codegraph.results import (
    CalleesAnswer,
    CallersAnswer,
    CallSite,
    ChangedSymbol,
    ChangedSymbols,
    Commit,
    Culprit,
    Definition,
    EntryPointCount,
    ImpactAnswer,
    ImpactCaller,
    MappedFrame,
    Member,
    ModuleStructure,
    StacktraceAnswer,
    SymbolAnswer,
    SymbolMatch,
    SymbolMatches,
    UnresolvedCall,
)
from mcp_servers.codegraph.stacktrace import Frame, detect_and_parse, name_parts
from mcp_servers.common.compact import DEFAULT_BUDGET_TOKENS, estimate_tokens


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


def _place(g: CodeGraph, key: str) -> tuple[str | None, int | None]:
    """File and first line of a definition; (None, None) for a file key (module-level code)."""
    sym = g.symbols.get(key)
    return (sym.path, sym.start) if sym else (None, None)


def _entry(g: CodeGraph, key: str) -> str:
    kind = g.entry_kind(key)
    return ENTRY_LABELS.get(kind, kind)


def _call_site(g: CodeGraph, key: str, lines: list[int]) -> CallSite:
    file, line = _place(g, key)
    return CallSite.model_construct(symbol=key, file=file, line=line, entry_point=_entry(g, key), call_lines=lines)


# ---- get_symbol --------------------------------------------------------------------------------------


def symbol_result(g: CodeGraph, symbol: str, budget_tokens: int = DEFAULT_BUDGET_TOKENS) -> SymbolAnswer:
    """The members table gets what the head leaves of the budget (at least 200 tokens); when head and
    table together are still over the budget, the table is cut to what the head leaves, so the
    answer always ends with a footer that counts what was left out (never a cut mid-table)."""
    key = resolve_one(g, symbol)
    s = g.symbols[key]
    members = g.members(key)
    a = SymbolAnswer.model_construct(
        symbol=key, kind=s.kind, file=s.path, start=s.start, end=s.end, signature=s.signature, doc=s.doc,
        module=s.module, entry_point=_entry(g, key) if s.entry else "",
        member_of=s.parent if s.parent and s.parent in g.symbols else None,
        inherits=list(g.bases.get(key) or ()), subclassed_by=sorted(g.subclasses.get(key) or ())[:10],
        callers=len(g.callers(key)), callees=len(g.callees(key)), unresolved_calls=len(g.unresolved_from(key)),
        members=[], members_total=0, left_out=0)
    if not members:
        return a
    head_tokens = estimate_tokens(render.symbol_text(a))
    rows = [(m.kind, m.name, m.start, m.signature) for m in members]
    hint = render.symbol_more_hint(s.module)

    def cut(budget: int) -> SymbolAnswer:
        shown = render.rows_within(render.SYMBOL_COLUMNS, rows, budget, title="members:", more_hint=hint)
        return a.model_copy(update={
            "members": [Member.model_construct(kind=m.kind, name=m.name, line=m.start, signature=m.signature)
                        for m in members[:shown]],
            "members_total": len(members), "left_out": len(members) - shown})

    full = cut(max(200, budget_tokens - head_tokens))
    if full.left_out == 0 or estimate_tokens(render.symbol_text(full)) <= budget_tokens:
        return full
    return cut(budget_tokens - head_tokens)


def symbol_answer(g: CodeGraph, symbol: str, budget_tokens: int = DEFAULT_BUDGET_TOKENS) -> str:
    return render.symbol_text(symbol_result(g, symbol, budget_tokens))


# ---- search_symbols ----------------------------------------------------------------------------------


def search_result(g: CodeGraph, query: str, kind: str = "", limit: int = 20,
                  budget_tokens: int = DEFAULT_BUDGET_TOKENS) -> SymbolMatches:
    keys = g.search(query, limit=max(limit * 3, limit))
    found: list[SymbolRow] = []
    for k in keys:
        s = g.symbols[k]
        if kind and s.kind != kind:
            continue
        found.append(s)
        if len(found) >= limit:
            break
    rows = [(s.kind, s.key, s.location, s.doc or s.signature) for s in found]
    shown = render.rows_within(render.SEARCH_COLUMNS, rows, budget_tokens, title=render.search_title(query),
                               more_hint=render.SEARCH_HINT)
    return SymbolMatches.model_construct(
        query=query, kind=kind, total=len(found), left_out=len(found) - shown,
        matches=[SymbolMatch.model_construct(symbol=s.key, kind=s.kind, file=s.path, line=s.start, doc=s.doc,
                                             signature=s.signature) for s in found[:shown]])


def search_answer(g: CodeGraph, query: str, kind: str = "", limit: int = 20,
                  budget_tokens: int = DEFAULT_BUDGET_TOKENS) -> str:
    return render.search_text(search_result(g, query, kind, limit, budget_tokens))


# ---- get_callers / get_callees -----------------------------------------------------------------------


def callers_result(g: CodeGraph, symbol: str, budget_tokens: int = DEFAULT_BUDGET_TOKENS) -> CallersAnswer:
    key = resolve_one(g, symbol)
    callers = g.callers(key)
    file, line = _place(g, key)
    sites = [_call_site(g, c, lines) for c, lines in callers]
    rows = [(c.symbol, render.where(c.file, c.line, c.symbol), ",".join(map(str, c.call_lines)), c.entry_point)
            for c in sites]
    shown = render.rows_within(render.CALLERS_COLUMNS, rows, budget_tokens,
                               title=render.callers_title(len(callers), key, render.where(file, line, key)),
                               more_hint=render.callers_hint(key))
    name = g.symbols[key].name
    return CallersAnswer.model_construct(
        symbol=key, name=name, file=file, line=line, callers_total=len(callers), callers=sites[:shown],
        left_out=len(sites) - shown, unresolved_same_name=g.unresolved_named(name))


def callers_answer(g: CodeGraph, symbol: str, budget_tokens: int = DEFAULT_BUDGET_TOKENS) -> str:
    return render.callers_text(callers_result(g, symbol, budget_tokens))


def callees_result(g: CodeGraph, symbol: str, budget_tokens: int = DEFAULT_BUDGET_TOKENS) -> CalleesAnswer:
    key = resolve_one(g, symbol)
    callees = [_call_site(g, c, lines) for c, lines in g.callees(key)]
    unresolved = Counter(callee for callee, _ in g.unresolved_from(key)).most_common()
    rows: list[tuple[str, str, str]] = [
        (c.symbol, render.where(c.file, c.line, c.symbol), ",".join(map(str, c.call_lines))) for c in callees]
    rows += [(render.unresolved_cell(name, n), render.UNRESOLVED_WHERE, "") for name, n in unresolved]
    shown = render.rows_within(render.CALLEES_COLUMNS, rows, budget_tokens,
                               title=render.callees_title(key, len(callees), len(unresolved)))
    return CalleesAnswer.model_construct(
        symbol=key, callees_total=len(callees), unresolved_total=len(unresolved), callees=callees[:shown],
        unresolved=[UnresolvedCall.model_construct(name=name, count=n)
                    for name, n in unresolved[:max(0, shown - len(callees))]],
        left_out=len(rows) - shown)


def callees_answer(g: CodeGraph, symbol: str, budget_tokens: int = DEFAULT_BUDGET_TOKENS) -> str:
    return render.callees_text(callees_result(g, symbol, budget_tokens))


# ---- get_impact_radius -------------------------------------------------------------------------------


def impact_result(g: CodeGraph, symbol: str, depth: int = 3,
                  budget_tokens: int = DEFAULT_BUDGET_TOKENS) -> ImpactAnswer:
    """Rows are counted at the budget from plain tuples; only the shown ones become models (an impact
    radius of thousands of callers is cut to a few dozen rows)."""
    if not 1 <= depth <= 10:
        raise LookupError("depth must be between 1 and 10")
    key = resolve_one(g, symbol)
    levels = g.impact(key, depth)
    total = sum(len(v) for v in levels.values())
    kinds = Counter(_entry(g, k) for keys in levels.values() for k in keys
                    if g.entry_kind(k) not in ("", "module"))
    file, line = _place(g, key)
    a = ImpactAnswer.model_construct(
        symbol=key, file=file, line=line, depth=depth, callers_total=total, entry_points_total=kinds.total(),
        entry_points=[EntryPointCount.model_construct(entry_point=k, count=n) for k, n in kinds.most_common()],
        callers=[], left_out=0)
    ordered = [(d, k) for d, keys in levels.items()
               for k in sorted(keys, key=lambda k: (g.entry_kind(k) in ("", "module"), k))]
    rows = [(d, k, render.where(*_place(g, k), k), _entry(g, k)) for d, k in ordered]
    shown = render.rows_within(render.IMPACT_COLUMNS, rows, budget_tokens - estimate_tokens(render.impact_head(a)),
                               more_hint=render.IMPACT_HINT)
    callers = []
    for d, k in ordered[:shown]:
        f, n = _place(g, k)
        callers.append(ImpactCaller.model_construct(symbol=k, file=f, line=n, entry_point=_entry(g, k), depth=d))
    return a.model_copy(update={"callers": callers, "left_out": len(rows) - shown})


def impact_answer(g: CodeGraph, symbol: str, depth: int = 3, budget_tokens: int = DEFAULT_BUDGET_TOKENS) -> str:
    return render.impact_text(impact_result(g, symbol, depth, budget_tokens))


# ---- get_module_structure ----------------------------------------------------------------------------


def structure_result(g: CodeGraph, module: str, budget_tokens: int = DEFAULT_BUDGET_TOKENS) -> ModuleStructure:
    syms = g.module_symbols(module)
    if not syms:
        prefix = [m for m in sorted(set(g.files.values()))
                  if m.startswith(module) or split_module(m)[1].startswith(module)]
        if prefix:
            shown = render.rows_within(("module",), [(m,) for m in prefix], budget_tokens,
                                       title=render.package_title(module))
            return ModuleStructure.model_construct(module=module, package=True, modules=prefix[:shown],
                                                   definitions=[], total=len(prefix), left_out=len(prefix) - shown)
        raise LookupError(f"no module or file {module!r} in the index; search_symbols finds names, "
                          "and module names look like 'pkg.sub.mod' (Python), 'com.acme.shop' (Java), "
                          "'internal/db' (Go) or 'src/services/cart' (TypeScript)")
    defs = [Definition.model_construct(symbol=s.key, kind=s.kind, name=s.name, file=s.path, line=s.start,
                                       nesting=s.local.count("."), signature=s.signature,
                                       callers=len(g.callers(s.key))) for s in syms]
    rows = [(d.file, d.line, render.definition_cell(d.nesting, d.kind, d.name), d.signature, d.callers)
            for d in defs]
    shown = render.rows_within(render.STRUCTURE_COLUMNS, rows, budget_tokens, title=render.structure_title(module),
                               more_hint=render.STRUCTURE_HINT)
    return ModuleStructure.model_construct(module=module, package=False, modules=[], definitions=defs[:shown],
                                           total=len(defs), left_out=len(defs) - shown)


def structure_answer(g: CodeGraph, module: str, budget_tokens: int = DEFAULT_BUDGET_TOKENS) -> str:
    return render.structure_text(structure_result(g, module, budget_tokens))


# ---- changed_symbols ---------------------------------------------------------------------------------


def changed_result(g: CodeGraph, rev_range: str = "", diff: str = "", depth: int = 2,
                   budget_tokens: int = DEFAULT_BUDGET_TOKENS) -> ChangedSymbols:
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
    touched: list[SymbolRow] = []
    other_files = []
    module_level: list[ChangedSymbol] = []
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
            module_level.append(ChangedSymbol.model_construct(
                symbol=indexed, module_level=True, file=indexed, line=outside[0][0], kind="module", callers=0,
                entry_points=[]))
    changed = []
    for s in touched:
        reach = [k for keys in g.impact(s.key, depth).values() for k in keys]
        entries = sorted({_entry(g, k) for k in reach if g.entry_kind(k) not in ("", "module")})
        changed.append(ChangedSymbol.model_construct(symbol=s.key, module_level=False, file=s.path, line=s.start,
                                                     kind=s.kind, callers=len(reach), entry_points=entries))
    changed.sort(key=lambda c: -c.callers)
    changed += module_level
    a = ChangedSymbols.model_construct(depth=depth, files_changed=len(ranges), symbols_touched=len(touched),
                                       files_not_indexed_total=len(other_files), files_not_indexed=other_files[:5],
                                       symbols=[], left_out=0)
    rows = [(f"{c.file} (module level)" if c.module_level else c.symbol, f"{c.file}:{c.line}", c.kind, c.callers,
             ", ".join(c.entry_points) or "-") for c in changed]
    shown = render.rows_within(render.changed_columns(depth), rows,
                               budget_tokens - estimate_tokens(render.changed_head(a)), more_hint=render.CHANGED_HINT)
    return a.model_copy(update={"symbols": changed[:shown], "left_out": len(changed) - shown})


def changed_answer(g: CodeGraph, rev_range: str = "", diff: str = "", depth: int = 2,
                   budget_tokens: int = DEFAULT_BUDGET_TOKENS) -> str:
    return render.changed_text(changed_result(g, rev_range, diff, depth, budget_tokens))


# ---- resolve_stacktrace ------------------------------------------------------------------------------


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


def _culprit(g: CodeGraph, sym: SymbolRow, commits: int) -> Culprit:
    callers = g.callers(sym.key)
    found: list[Commit] | None = None
    if commits > 0 and g.root and gitinfo.is_git_repo(g.root):
        found = [Commit.model_construct(sha=c.sha, date=c.date, author=c.author, subject=c.subject)
                 for c in gitinfo.commits_touching(g.root, sym.path, sym.start, sym.end, commits)]
    return Culprit.model_construct(symbol=sym.key, file=sym.path, start=sym.start, end=sym.end,
                                   signature=sym.signature, doc=sym.doc, callers_total=len(callers),
                                   callers=[c for c, _ in callers[:8]], commits=found)


def stacktrace_result(g: CodeGraph, trace: str, commits: int = 3,
                      budget_tokens: int = DEFAULT_BUDGET_TOKENS) -> StacktraceAnswer:
    parsed = detect_and_parse(trace)
    if not parsed.frames:
        raise LookupError("no stack frames found; paste the trace as logged (Python 'File \"x.py\", line N', "
                          "Go 'pkg.Func(...)' + 'file.go:N', Java 'at a.B.c(B.java:N)', Node 'at f (file.js:N:M)')")
    culprit: Culprit | None = None
    frames = []
    for frame in parsed.frames:
        sym, how = _frame_symbol(g, frame)
        frames.append(MappedFrame.model_construct(
            file=frame.file, line=frame.line, function=frame.function, symbol=sym.key if sym else None,
            found_by=how if sym else "", module_code_of=None if sym else (how or None)))
        if sym is not None and culprit is None:
            culprit = _culprit(g, sym, commits)
    a = StacktraceAnswer.model_construct(language=parsed.lang, error=parsed.error, frames_total=len(parsed.frames),
                                         culprit=culprit, frames=[], left_out=0)
    rows = [(f"{f.file}:{f.line}", f.function or "?", render.frame_cell(f.symbol, f.found_by, f.module_code_of))
            for f in frames]
    shown = render.rows_within(render.FRAME_COLUMNS, rows,
                               budget_tokens - estimate_tokens(render.stacktrace_head(a)))
    return a.model_copy(update={"frames": frames[:shown], "left_out": len(frames) - shown})


def stacktrace_answer(g: CodeGraph, trace: str, commits: int = 3, budget_tokens: int = DEFAULT_BUDGET_TOKENS) -> str:
    return render.stacktrace_text(stacktrace_result(g, trace, commits, budget_tokens))
