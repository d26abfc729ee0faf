"""The typed answers of the codegraph tools: what each tool found, as data (the MCP output schemas).

Each model is what a tool's text says, field by field, after the token budget has been applied: a
list holds only the rows the text shows, and `left_out` counts the rest, so a program reading the
structured content never sees more (or less) than the model reading the text.

The answers are built from a graph whose rows are already typed (`SymbolRow`, ints, strs), so
`answers.py` creates them with `model_construct` (no re-validation on the hot path of a call); the
schema is still checked where it matters, by the MCP client, against the published output schema.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class Site(BaseModel):
    """A symbol, or a file for its module-level code, and where it is defined."""

    symbol: str = Field(description="Symbol key ('py:pkg.mod:Cls.fn'), or a file path for module-level code.")
    file: str | None = Field(description="File of the definition; null when the key is a file itself.")
    line: int | None = Field(description="First line of the definition; null when the key is a file itself.")
    entry_point: str = Field(description="'HTTP handler', 'CLI command', 'MCP tool', 'test', 'main entry', "
                                         "'module' (module-level code), or '' when not an entry point.")


class CallSite(Site):
    """A caller or callee, with the lines where the call is made."""

    call_lines: list[int]


class Member(BaseModel):
    kind: str
    name: str
    line: int
    signature: str


class SymbolAnswer(BaseModel):
    """get_symbol: what one symbol is."""

    symbol: str
    kind: str
    file: str
    start: int
    end: int
    signature: str
    doc: str
    module: str
    entry_point: str = Field(description="Entry-point label, '' when the symbol is not one.")
    member_of: str | None
    inherits: list[str]
    subclassed_by: list[str] = Field(description="Up to 10 subclasses, sorted by key.")
    callers: int
    callees: int = Field(description="Indexed symbols it calls.")
    unresolved_calls: int = Field(description="Call sites whose target the index could not prove.")
    members: list[Member] = Field(description="Members shown within the budget, in source order.")
    members_total: int
    left_out: int = Field(description="Members not shown (budget).")


class SymbolMatch(BaseModel):
    symbol: str
    kind: str
    file: str
    line: int
    doc: str
    signature: str


class SymbolMatches(BaseModel):
    """search_symbols: full-text matches, best first."""

    query: str
    kind: str = Field(description="The kind filter, '' for any.")
    matches: list[SymbolMatch]
    total: int = Field(description="Matches found up to `limit` (shown + left out).")
    left_out: int


class CallersAnswer(BaseModel):
    """get_callers: who calls a symbol."""

    symbol: str
    name: str
    file: str | None
    line: int | None
    callers_total: int
    callers: list[CallSite]
    left_out: int = Field(description="Callers not shown (budget).")
    unresolved_same_name: int = Field(description="Call sites of a method of this name whose receiver type is "
                                                  "unknown; not counted as callers.")


class UnresolvedCall(BaseModel):
    name: str
    count: int


class CalleesAnswer(BaseModel):
    """get_callees: what a symbol calls; indexed symbols first, then calls the index could not resolve."""

    symbol: str
    callees_total: int
    unresolved_total: int = Field(description="Distinct unresolved call names.")
    callees: list[CallSite]
    unresolved: list[UnresolvedCall] = Field(description="Shown unresolved calls, most frequent first.")
    left_out: int = Field(description="Rows (callees, then unresolved calls) not shown (budget).")


class ImpactCaller(Site):
    depth: int = Field(description="Call distance from the symbol: 1 = direct caller.")


class EntryPointCount(BaseModel):
    entry_point: str
    count: int


class ImpactAnswer(BaseModel):
    """get_impact_radius: transitive callers by depth, entry points marked and counted."""

    symbol: str
    file: str | None
    line: int | None
    depth: int
    callers_total: int = Field(description="Transitive callers within `depth`.")
    entry_points_total: int
    entry_points: list[EntryPointCount] = Field(description="Entry points reached, by kind, most first.")
    callers: list[ImpactCaller] = Field(description="Shown callers by depth, entry points first within a depth.")
    left_out: int


class Definition(BaseModel):
    symbol: str
    kind: str
    name: str
    file: str
    line: int
    nesting: int = Field(description="0 for a top-level definition, 1 for a member, and so on.")
    signature: str
    callers: int


class ModuleStructure(BaseModel):
    """get_module_structure: a module's definitions, or a package's modules."""

    module: str
    package: bool = Field(description="True when `module` is a package: `modules` lists its modules.")
    modules: list[str]
    definitions: list[Definition]
    total: int = Field(description="Rows (definitions, or modules for a package) that exist.")
    left_out: int


class ChangedSymbol(BaseModel):
    symbol: str = Field(description="Symbol key, or the file path when `module_level`.")
    module_level: bool = Field(description="Lines outside every definition (imports, constants, module code).")
    file: str
    line: int
    kind: str
    callers: int = Field(description="Transitive callers within the answer's depth.")
    entry_points: list[str] = Field(description="Entry-point kinds those callers reach.")


class ChangedSymbols(BaseModel):
    """changed_symbols: definitions a diff touches, with how far their callers reach."""

    depth: int
    files_changed: int
    symbols_touched: int
    files_not_indexed_total: int
    files_not_indexed: list[str] = Field(description="Up to 5 changed files outside the index.")
    symbols: list[ChangedSymbol] = Field(description="Shown rows, widest impact first, module-level rows last.")
    left_out: int


class Commit(BaseModel):
    sha: str
    date: str
    author: str
    subject: str


class Culprit(BaseModel):
    """The innermost frame that maps to an indexed definition."""

    symbol: str
    file: str
    start: int
    end: int
    signature: str
    doc: str
    callers_total: int
    callers: list[str] = Field(description="Up to 8 callers.")
    commits: list[Commit] | None = Field(description="Recent commits touching it; null when git was not asked.")


class MappedFrame(BaseModel):
    file: str
    line: int
    function: str
    symbol: str | None = Field(description="The definition the frame maps to; null when none does.")
    found_by: str = Field(description="'file:line', 'name', 'source map: path:line'; '' when unmapped.")
    module_code_of: str | None = Field(description="Indexed file whose module-level code the frame is in.")


class StacktraceAnswer(BaseModel):
    """resolve_stacktrace: a trace's frames mapped to symbols, the raising one described."""

    language: str
    error: str
    frames_total: int
    culprit: Culprit | None
    frames: list[MappedFrame] = Field(description="Shown frames, innermost first.")
    left_out: int
