"""The text of each codegraph answer, rendered from its typed model (mcp_servers.codegraph.results).

The one place the tools' and the CLI's text is made. A model already holds only what fits the
budget (answers.py cut it), so rendering takes no budget: every table shows the rows it is given and
its footer counts `left_out`, exactly as `render_table` would have cut the full list.

`rows_within` says how many rows `render_table` shows at a budget without building the table; the
answers use it to cut a model before rendering (tests/codegraph/test_typed_answers.py checks it
against `render_table` itself).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mcp_servers.codegraph.results import (
    CalleesAnswer,
    CallersAnswer,
    ChangedSymbols,
    ImpactAnswer,
    ModuleStructure,
    Site,
    StacktraceAnswer,
    SymbolAnswer,
    SymbolMatches,
)
from mcp_servers.common.compact import CHARS_PER_TOKEN, estimate_tokens, render_table

MAX_CELL = 80
UNBOUNDED = 1 << 60
"""Rendering budget: the model was cut already, so the table shows every row it is given."""

SYMBOL_COLUMNS = ("kind", "name", "line", "signature")
SEARCH_COLUMNS = ("kind", "symbol", "location", "doc / signature")
CALLERS_COLUMNS = ("caller", "defined at", "call lines", "entry point")
CALLEES_COLUMNS = ("callee", "defined at", "call lines")
IMPACT_COLUMNS = ("depth", "caller", "defined at", "entry point")
STRUCTURE_COLUMNS = ("file", "line", "definition", "signature", "callers")
FRAME_COLUMNS = ("frame", "function", "symbol")


def changed_columns(depth: int) -> tuple[str, ...]:
    return ("symbol", "location", "kind", f"callers (depth {depth})", "entry points")


def rows_within(columns: Sequence[str], rows: Sequence[Sequence[Any]], budget_tokens: int, *, title: str = "",
                more_hint: str | None = None, max_cell: int = MAX_CELL) -> int:
    """How many of `rows` `render_table(columns, rows, budget_tokens=..., title=..., more_hint=...)` shows.

    The same arithmetic as render_table, on lengths only (a cell is at most `max_cell` characters,
    newlines and pipes are replaced one for one), so the cut costs no string building."""
    head = [title] if title else []
    head += ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    used = estimate_tokens("\n".join(head)) + 40 + estimate_tokens(more_hint or "")
    shown = 0
    for row in rows:
        length = 4 + 3 * (len(row) - 1) + sum(min(len("" if v is None else str(v)), max_cell) for v in row)
        cost = (length + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN + 1
        if used + cost > budget_tokens and shown > 0:
            break
        used += cost
        shown += 1
    return shown


def _table(columns: Sequence[str], rows: Sequence[Sequence[Any]], left_out: int, *, title: str = "",
           more_hint: str | None = None) -> str:
    return render_table(columns, rows, budget_tokens=UNBOUNDED, title=title, more_hint=more_hint,
                        total=len(rows) + left_out, max_cell=MAX_CELL)


def where(file: str | None, line: int | None, key: str) -> str:
    """'path:line' of a definition, or the key itself when it is a file (module-level code)."""
    return f"{file}:{line}" if file is not None else key


def _where(site: Site) -> str:
    return where(site.file, site.line, site.symbol)


def _lines(lines: list[int]) -> str:
    return ",".join(map(str, lines))


def symbol_text(a: SymbolAnswer) -> str:
    lines = [f"{a.kind} {a.symbol}", f"at {a.file}:{a.start}-{a.end}", f"signature: {a.signature}"]
    if a.doc:
        lines.append(f"doc: {a.doc}")
    if a.entry_point:
        lines.append(f"entry point: {a.entry_point}")
    if a.member_of:
        lines.append(f"member of: {a.member_of}")
    if a.inherits:
        lines.append("inherits: " + ", ".join(a.inherits))
    if a.subclassed_by:
        lines.append("subclassed by: " + ", ".join(a.subclassed_by))
    lines.append(f"callers: {a.callers}  callees: {a.callees} resolved, {a.unresolved_calls} unresolved")
    if a.members_total:
        rows = [(m.kind, m.name, m.line, m.signature) for m in a.members]
        lines.append(_table(SYMBOL_COLUMNS, rows, a.left_out, title="members:",
                            more_hint=symbol_more_hint(a.module)))
    return "\n".join(lines)


def symbol_more_hint(module: str) -> str:
    return f"get_module_structure(module={module!r})"


def search_title(query: str) -> str:
    return f"symbols matching {query!r}:"


SEARCH_HINT = "raise limit or narrow the query"


def search_text(a: SymbolMatches) -> str:
    rows = [(m.kind, m.symbol, f"{m.file}:{m.line}", m.doc or m.signature) for m in a.matches]
    return _table(SEARCH_COLUMNS, rows, a.left_out, title=search_title(a.query), more_hint=SEARCH_HINT)


def callers_title(total: int, key: str, location: str) -> str:
    return f"{total} callers of {key} ({location}):"


def callers_hint(key: str) -> str:
    return f"get_impact_radius(symbol={key!r}) groups them by depth"


def callers_text(a: CallersAnswer) -> str:
    rows = [(c.symbol, _where(c), _lines(c.call_lines), c.entry_point) for c in a.callers]
    text = _table(CALLERS_COLUMNS, rows, a.left_out,
                  title=callers_title(a.callers_total, a.symbol, where(a.file, a.line, a.symbol)),
                  more_hint=callers_hint(a.symbol))
    if a.unresolved_same_name:
        text += (f"\n{a.unresolved_same_name} call sites of `.{a.name}(...)` elsewhere could not be tied to a class "
                 "(receiver type unknown); they are not counted above.")
    return text


def callees_title(key: str, callees: int, unresolved: int) -> str:
    return f"{key} calls {callees} indexed symbols and {unresolved} others:"


def unresolved_cell(name: str, count: int) -> str:
    return f"{name} (unresolved{f', x{count}' if count > 1 else ''})"


UNRESOLVED_WHERE = "outside the index or type unknown"


def callees_text(a: CalleesAnswer) -> str:
    rows: list[tuple[str, str, str]] = [(c.symbol, _where(c), _lines(c.call_lines)) for c in a.callees]
    rows += [(unresolved_cell(u.name, u.count), UNRESOLVED_WHERE, "") for u in a.unresolved]
    return _table(CALLEES_COLUMNS, rows, a.left_out, title=callees_title(a.symbol, a.callees_total, a.unresolved_total))


IMPACT_HINT = "lower depth, or get_callers on one of the callers"


def impact_head(a: ImpactAnswer) -> str:
    head = [f"impact of {a.symbol} ({where(a.file, a.line, a.symbol)}): {a.callers_total} transitive callers "
            f"within depth {a.depth}; {a.entry_points_total} entry points reached"]
    head += [f"  {e.count} x {e.entry_point}" for e in a.entry_points]
    return "\n".join(head)


def impact_text(a: ImpactAnswer) -> str:
    rows = [(c.depth, c.symbol, _where(c), c.entry_point) for c in a.callers]
    return impact_head(a) + "\n" + _table(IMPACT_COLUMNS, rows, a.left_out, more_hint=IMPACT_HINT)


def package_title(module: str) -> str:
    return f"{module!r} is a package; its modules:"


def structure_title(module: str) -> str:
    return f"structure of {module}:"


STRUCTURE_HINT = "get_symbol on a class lists its members"


def definition_cell(nesting: int, kind: str, name: str) -> str:
    return "  " * nesting + f"{kind} {name}"


def structure_text(a: ModuleStructure) -> str:
    if a.package:
        return _table(("module",), [(m,) for m in a.modules], a.left_out, title=package_title(a.module))
    rows = [(d.file, d.line, definition_cell(d.nesting, d.kind, d.name), d.signature, d.callers)
            for d in a.definitions]
    return _table(STRUCTURE_COLUMNS, rows, a.left_out, title=structure_title(a.module), more_hint=STRUCTURE_HINT)


CHANGED_HINT = "get_impact_radius on one symbol shows its callers"


def changed_head(a: ChangedSymbols) -> str:
    others = (f" ({a.files_not_indexed_total} files not in the index: {', '.join(a.files_not_indexed)})"
              if a.files_not_indexed_total else "")
    return f"{a.symbols_touched} symbols touched in {a.files_changed} files{others}"


def changed_text(a: ChangedSymbols) -> str:
    rows = [(f"{s.file} (module level)" if s.module_level else s.symbol, f"{s.file}:{s.line}", s.kind, s.callers,
             ", ".join(s.entry_points) or "-") for s in a.symbols]
    return changed_head(a) + "\n" + _table(changed_columns(a.depth), rows, a.left_out, more_hint=CHANGED_HINT)


def stacktrace_head(a: StacktraceAnswer) -> str:
    out = [f"{a.language} stack trace, {a.frames_total} frames (innermost first)"
           + (f"; error: {a.error}" if a.error else "")]
    c = a.culprit
    if c is not None:
        out.append(f"raised in: {c.symbol} at {c.file}:{c.start}-{c.end}")
        out.append(f"  signature: {c.signature}")
        if c.doc:
            out.append(f"  doc: {c.doc}")
        out.append(f"  callers ({c.callers_total}): " + ", ".join(c.callers)
                   + (" ..." if c.callers_total > len(c.callers) else ""))
        if c.commits is not None:
            if c.commits:
                out.append("  recent commits touching it:")
                out += [f"    {m.sha} {m.date} {m.author}: {m.subject}" for m in c.commits]
            else:
                out.append("  recent commits touching it: none found (uncommitted or outside git)")
    return "\n".join(out)


def frame_cell(symbol: str | None, found_by: str, module_code_of: str | None) -> str:
    if symbol is not None:
        return f"{symbol} ({found_by})"
    return f"module-level code of {module_code_of}" if module_code_of else "not in the index (library code?)"


def stacktrace_text(a: StacktraceAnswer) -> str:
    rows = [(f"{f.file}:{f.line}", f.function or "?", frame_cell(f.symbol, f.found_by, f.module_code_of))
            for f in a.frames]
    return stacktrace_head(a) + "\n" + _table(FRAME_COLUMNS, rows, a.left_out)
