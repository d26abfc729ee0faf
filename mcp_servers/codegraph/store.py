"""One SQLite database per repository: files, symbols, edges, unresolved calls, full-text search.

The per-file extraction facts are kept too (a marshal blob of plain tuples: data only, no code),
so an incremental re-index can resolve the calls of a changed file without re-parsing the files it
depends on.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

from mcp_servers.codegraph.model import FileFacts, decode, encode

SCHEMA_VERSION = "2"
"""Bumped when keys or facts change shape; an index of another version is rebuilt in full.
2: module names carry their language family (`py:shop.cart`), Python modules start at the package."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, lang TEXT NOT NULL, module TEXT NOT NULL, sha TEXT NOT NULL,
    lines INTEGER NOT NULL, facts BLOB NOT NULL, stamp TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS symbols (
    key TEXT PRIMARY KEY, path TEXT NOT NULL, module TEXT NOT NULL, local TEXT NOT NULL,
    name TEXT NOT NULL, kind TEXT NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL,
    signature TEXT NOT NULL, doc TEXT NOT NULL, parent TEXT NOT NULL, entry TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS edges (
    src TEXT NOT NULL, dst TEXT NOT NULL, kind TEXT NOT NULL, line INTEGER NOT NULL, path TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS unresolved (
    src TEXT NOT NULL, callee TEXT NOT NULL, line INTEGER NOT NULL, path TEXT NOT NULL);
CREATE VIRTUAL TABLE IF NOT EXISTS symbols_fts USING fts5(key UNINDEXED, name, qual, doc, tokenize='unicode61');
"""


INDEXES = (
    "CREATE INDEX IF NOT EXISTS files_module ON files(module)",
    "CREATE INDEX IF NOT EXISTS symbols_path ON symbols(path)",
    "CREATE INDEX IF NOT EXISTS symbols_name ON symbols(name)",
    "CREATE INDEX IF NOT EXISTS edges_path ON edges(path)",
    "CREATE INDEX IF NOT EXISTS edges_dst ON edges(dst)",
    "CREATE INDEX IF NOT EXISTS edges_src ON edges(src)",
    "CREATE INDEX IF NOT EXISTS unresolved_path ON unresolved(path)",
    "CREATE INDEX IF NOT EXISTS unresolved_src ON unresolved(src)",
)
"""Secondary indexes: dropped during a bulk load into an empty database and built once after,
which is several times cheaper than maintaining them row by row."""


class Store:
    """Thin wrapper over the database; every write happens inside one transaction per index run."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        self.create_indexes()

    def drop_indexes(self) -> None:
        for statement in INDEXES:
            self.db.execute("DROP INDEX IF EXISTS " + statement.split()[5])

    def create_indexes(self) -> None:
        for statement in INDEXES:
            self.db.execute(statement)

    def close(self) -> None:
        self.db.close()

    # ---- meta ---------------------------------------------------------------------------------
    def get_meta(self, key: str, default: str = "") -> str:
        row = self.db.execute("SELECT v FROM meta WHERE k=?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta(k, v) VALUES (?, ?)", (key, value))

    # ---- files --------------------------------------------------------------------------------
    def file_state(self) -> dict[str, tuple[str, str]]:
        """path -> (content hash, "size:mtime_ns" stamp when it was read)."""
        return {p: (h, st) for p, h, st in self.db.execute("SELECT path, sha, stamp FROM files")}

    def file_shas(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT path, sha FROM files"))

    def modules(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for path, module in self.db.execute("SELECT path, module FROM files ORDER BY path"):
            out.setdefault(module, []).append(path)
        return out

    def load_facts(self, path: str) -> FileFacts | None:
        row = self.db.execute("SELECT facts FROM files WHERE path=?", (path,)).fetchone()
        return decode(row[0]) if row else None

    def delete_files(self, paths: Iterable[str]) -> None:
        rows = [(p,) for p in paths]
        self.db.execute("CREATE TEMP TABLE IF NOT EXISTS gone_keys (key TEXT)")
        self.db.execute("DELETE FROM gone_keys")
        self.db.executemany("INSERT INTO gone_keys SELECT key FROM symbols WHERE path=?", rows)
        self.db.execute("DELETE FROM symbols_fts WHERE key IN (SELECT key FROM gone_keys)")
        self.db.executemany("DELETE FROM symbols WHERE path=?", rows)
        self.db.executemany("DELETE FROM files WHERE path=?", rows)
        self.db.executemany("DELETE FROM edges WHERE path=?", rows)
        self.db.executemany("DELETE FROM unresolved WHERE path=?", rows)

    def write_files(self, facts_list: list[FileFacts], blobs: dict[str, bytes] | None = None,
                    stamps: dict[str, str] | None = None) -> None:
        """Insert files and their symbols (the caller removed older rows for these paths)."""
        blobs = blobs or {}
        stamps = stamps or {}
        self.db.executemany(
            "INSERT OR REPLACE INTO files(path, lang, module, sha, lines, facts, stamp) VALUES (?,?,?,?,?,?,?)",
            [(f.path, f.lang, f.module, f.sha, f.lines, blobs.get(f.path) or encode(f), stamps.get(f.path, ""))
             for f in facts_list])
        sym_rows = []
        for f in facts_list:
            mod = f.module
            for s in f.syms:
                parent = f"{mod}:{s.parent}" if s.parent else f.path
                sym_rows.append((f"{mod}:{s.local}", f.path, mod, s.local, s.name, s.kind, s.start, s.end,
                                 s.signature, s.doc, parent, s.entry))
        self.db.executemany("INSERT OR IGNORE INTO symbols VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", sym_rows)
        self.db.execute("CREATE TEMP TABLE IF NOT EXISTS new_paths (path TEXT PRIMARY KEY)")
        self.db.execute("DELETE FROM new_paths")
        self.db.executemany("INSERT OR IGNORE INTO new_paths VALUES (?)", [(f.path,) for f in facts_list])
        self.db.execute(
            "INSERT INTO symbols_fts(key, name, qual, doc) SELECT key, name, "
            "replace(replace(key, ':', ' '), '.', ' '), doc FROM symbols WHERE path IN (SELECT path FROM new_paths)")

    def replace_edges(self, paths: Iterable[str], edges: list[tuple[str, str, str, int, str]],
                      unresolved: list[tuple[str, str, int, str]]) -> None:
        rows = [(p,) for p in paths]
        self.db.executemany("DELETE FROM edges WHERE path=?", rows)
        self.db.executemany("DELETE FROM unresolved WHERE path=?", rows)
        self.db.executemany("INSERT INTO edges(src, dst, kind, line, path) VALUES (?,?,?,?,?)", edges)
        self.db.executemany("INSERT INTO unresolved(src, callee, line, path) VALUES (?,?,?,?)", unresolved)

    def dependents(self, paths: set[str]) -> set[str]:
        """Files whose resolution may change when `paths` change: importers, callers, same module."""
        if not paths:
            return set()
        out: set[str] = set()
        self.db.execute("CREATE TEMP TABLE IF NOT EXISTS changed_paths (path TEXT)")
        self.db.execute("DELETE FROM changed_paths")
        self.db.executemany("INSERT INTO changed_paths VALUES (?)", [(p,) for p in paths])
        queries = [
            "SELECT DISTINCT e.path FROM edges e JOIN symbols s ON e.dst = s.key "
            "WHERE s.path IN (SELECT path FROM changed_paths)",
            "SELECT DISTINCT e.path FROM edges e JOIN files f ON e.dst = f.module AND e.kind = 'imports' "
            "WHERE f.path IN (SELECT path FROM changed_paths)",
            "SELECT DISTINCT o.path FROM files o JOIN files f ON o.module = f.module "
            "WHERE f.path IN (SELECT path FROM changed_paths)",
        ]
        for q in queries:
            out.update(r[0] for r in self.db.execute(q))
        return out - paths

    # ---- reads used by the graph and the tools -------------------------------------------------
    def counts(self) -> dict[str, int]:
        one = self.db.execute
        return {
            "files": one("SELECT count(*) FROM files").fetchone()[0],
            "symbols": one("SELECT count(*) FROM symbols").fetchone()[0],
            "calls": one("SELECT count(*) FROM edges WHERE kind='calls'").fetchone()[0],
            "unresolved": one("SELECT count(*) FROM unresolved").fetchone()[0],
        }
