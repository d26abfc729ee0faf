"""The warm, in-memory view of an index: a networkx call graph plus symbol rows, for fast answers.

The MCP server loads it once at start-up so get_callers and get_impact_radius are dictionary
walks (well under a millisecond), not SQL joins. Symbol keys are `module:Local.name`; a file key
is its repository path (module-level code calls from there).
"""

from __future__ import annotations

import sqlite3
from bisect import bisect_right
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import networkx as nx

from mcp_servers.codegraph.model import split_module

ENTRY_LABELS = {"http": "HTTP handler", "cli": "CLI command", "mcp": "MCP tool", "test": "test",
                "main": "main entry"}


@dataclass(frozen=True, slots=True)
class SymbolRow:
    key: str
    path: str
    module: str
    local: str
    name: str
    kind: str
    start: int
    end: int
    signature: str
    doc: str
    parent: str
    entry: str

    @property
    def location(self) -> str:
        return f"{self.path}:{self.start}"


class CodeGraph:
    """Symbols and call edges of one indexed repository."""

    def __init__(self, db_path: str | Path) -> None:
        self.db_path = Path(db_path)
        if not self.db_path.is_file():
            raise FileNotFoundError(f"no code index at {self.db_path}; run `vigil index PATH` first")
        self.db = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, check_same_thread=False)
        self.reload()

    def reload(self) -> None:
        """Read the database into memory again (after a re-index)."""
        self.symbols: dict[str, SymbolRow] = {}
        self.by_name: dict[str, list[str]] = defaultdict(list)
        by_path: dict[str, list[SymbolRow]] = defaultdict(list)
        for row in self.db.execute("SELECT key, path, module, local, name, kind, start, end, signature, doc,"
                                   " parent, entry FROM symbols"):
            sym = SymbolRow(*row)
            self.symbols[sym.key] = sym
            self.by_name[sym.name].append(sym.key)
            by_path[sym.path].append(sym)
        self._by_path = {p: sorted(rows, key=lambda s: (s.start, -s.end)) for p, rows in by_path.items()}
        members: dict[str, list[SymbolRow]] = defaultdict(list)
        for sym in self.symbols.values():
            members[sym.parent].append(sym)
        self._members = {k: sorted(v, key=lambda s: s.start) for k, v in members.items()}
        self._starts = {p: [s.start for s in rows] for p, rows in self._by_path.items()}
        self.files = {r[0]: r[1] for r in self.db.execute("SELECT path, module FROM files")}
        g: nx.DiGraph = nx.DiGraph()
        g.add_nodes_from(self.symbols)
        for src, dst, line in self.db.execute("SELECT src, dst, line FROM edges WHERE kind='calls'"):
            data = g.get_edge_data(src, dst)
            if data is None:
                g.add_edge(src, dst, lines=[line])
            else:
                data["lines"].append(line)
        self.calls = g
        self.bases: dict[str, list[str]] = defaultdict(list)
        self.subclasses: dict[str, list[str]] = defaultdict(list)
        for src, dst in self.db.execute("SELECT src, dst FROM edges WHERE kind='inherits'"):
            self.bases[src].append(dst)
            self.subclasses[dst].append(src)
        self._unresolved_names: Counter[str] = Counter(
            callee.rsplit(".", 1)[-1] for (callee,) in self.db.execute("SELECT callee FROM unresolved"))
        meta = dict(self.db.execute("SELECT k, v FROM meta"))
        self.root = meta.get("root", "")
        self.commit = meta.get("commit", "")

    # ---- finding symbols ------------------------------------------------------------------------
    def find(self, query: str) -> list[str]:
        """Keys matching a symbol reference: a key, `Class.method`, a bare name, or `path:line`."""
        q = query.strip()
        if q in self.symbols:
            return [q]
        if ":" in q:
            path, _, line = q.rpartition(":")
            if line.isdigit() and path in self._by_path:
                sym = self.symbol_at(path, int(line))
                return [sym.key] if sym else []
            # `shop.cart:Cart.add` without its language family (`py:`): every language's match.
            name = line.rsplit(".", 1)[-1].split("@")[0]
            bare = [k for k in self.by_name.get(name, ()) if k.split(":", 1)[-1] == q]
            if bare:
                return sorted(bare)
        if "." in q or "::" in q:
            q2 = q.replace("::", ".")
            dotted = [k for k in self.by_name.get(q2.rsplit(".", 1)[-1], ())
                      if (kd := k.replace(":", ".").replace("/", ".")) == q2 or kd.endswith("." + q2)
                      or k.split(":", 1)[-1] == q2]
            if dotted:
                return sorted(dotted)
        return sorted(self.by_name.get(q, ()))

    def symbol_at(self, path: str, line: int) -> SymbolRow | None:
        """The innermost definition containing a line of a file."""
        rows = self._by_path.get(path)
        if not rows:
            return None
        i = bisect_right(self._starts[path], line) - 1
        best: SymbolRow | None = None
        while i >= 0:
            s = rows[i]
            if s.start <= line <= s.end and (best is None or s.start >= best.start):
                best = s
                if s.kind in ("function", "method"):
                    break
            i -= 1
        return best

    def match_path(self, path: str) -> str | None:
        """A path as it appears in a stack trace (absolute, container prefix) to an indexed path."""
        p = path.replace("\\", "/")
        if p in self._by_path or p in self.files:
            return p
        parts = p.split("/")
        for i in range(1, len(parts)):
            cand = "/".join(parts[i:])
            if cand in self.files:
                return cand
        return None

    # ---- graph questions -------------------------------------------------------------------------
    def callers(self, key: str) -> list[tuple[str, list[int]]]:
        if key not in self.calls:
            return []
        return sorted(((src, sorted(self.calls[src][key]["lines"])) for src in self.calls.predecessors(key)),
                      key=lambda item: item[0])

    def callees(self, key: str) -> list[tuple[str, list[int]]]:
        if key not in self.calls:
            return []
        return sorted(((dst, sorted(data["lines"])) for dst, data in self.calls[key].items()),
                      key=lambda item: item[0])

    def unresolved_from(self, key: str) -> list[tuple[str, int]]:
        return list(self.db.execute("SELECT callee, line FROM unresolved WHERE src=? ORDER BY line", (key,)))

    def unresolved_named(self, name: str) -> int:
        """How many unresolved call sites end in this name (possible callers the index cannot prove)."""
        return self._unresolved_names.get(name, 0)

    def impact(self, key: str, depth: int = 3) -> dict[int, list[str]]:
        """Transitive callers by distance: {1: direct callers, 2: their callers, ...}."""
        if key not in self.calls:
            return {}
        seen = {key: 0}
        frontier = [key]
        levels: dict[int, list[str]] = {}
        pred = self.calls.pred
        for d in range(1, depth + 1):
            nxt = []
            for node in frontier:
                for src in pred[node]:
                    if src not in seen:
                        seen[src] = d
                        nxt.append(src)
            if not nxt:
                break
            levels[d] = sorted(nxt)
            frontier = nxt
        return levels

    def entry_kind(self, key: str) -> str:
        sym = self.symbols.get(key)
        if sym is not None and sym.entry:
            return sym.entry
        if key in self.files:
            name = key.rsplit("/", 1)[-1]
            if name.startswith("test_") or name.endswith(("_test.py", "_test.go", ".test.ts", ".spec.ts")):
                return "test"
            return "module"
        return ""

    def members(self, key: str) -> list[SymbolRow]:
        return list(self._members.get(key, ()))

    def module_symbols(self, module_or_path: str) -> list[SymbolRow]:
        """Definitions of a module (`py:shop.cart`, or `shop.cart` in any language) or of a file."""
        paths = [p for p, m in self.files.items()
                 if m == module_or_path or p == module_or_path or split_module(m)[1] == module_or_path]
        out: list[SymbolRow] = []
        for p in sorted(paths):
            out.extend(self._by_path.get(p, ()))
        return out

    def search(self, text: str, limit: int = 20) -> list[str]:
        """Full-text search over names, qualified names and docstrings (FTS5, best first)."""
        terms = [t for t in "".join(c if c.isalnum() or c == "_" else " " for c in text).split() if t]
        if not terms:
            return []
        expr = " AND ".join(f'"{t}"*' for t in terms)
        rows = self.db.execute("SELECT key FROM symbols_fts WHERE symbols_fts MATCH ? ORDER BY rank LIMIT ?",
                               (expr, limit))
        return [r[0] for r in rows if r[0] in self.symbols]

    def symbols_in_lines(self, path: str, ranges: list[tuple[int, int]]) -> list[SymbolRow]:
        """Definitions whose span overlaps any of the (start, end) line ranges; innermost first."""
        out = []
        for s in self._by_path.get(path, ()):
            if any(s.start <= end and start <= s.end for start, end in ranges):
                out.append(s)
        # Keep the innermost: drop a class when one of its methods is listed.
        keys = {s.key for s in out}
        return [s for s in out if not any(o.parent == s.key for o in out if o.key in keys and o is not s)
                or s.kind in ("function", "method")]
