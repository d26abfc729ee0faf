"""Index a repository (a working tree or a git commit) into its SQLite database.

Design for speed: files are read and hashed in the parent; only new or changed files are parsed,
by a pool of worker processes (tree-sitter releases nothing to threads, so processes it is); the
per-file facts come back as small tuples; calls are resolved in a second pass in memory; all
writes go in one transaction with `executemany`. A re-index after an edit re-parses that file
and re-resolves it alone, or together with its dependents when its interface (names, bases,
field types, imports) changed, or everything when files appeared or disappeared.
"""

from __future__ import annotations

import fnmatch
import functools
import multiprocessing
import multiprocessing.pool
import os
import re
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from mcp_servers.codegraph.lang import extractor, language_of
from mcp_servers.codegraph.lang.base import as_utf8, sha
from mcp_servers.codegraph.model import FileFacts, decode, encode, module_key
from mcp_servers.codegraph.resolve import FUNC_KINDS, Project, Resolver
from mcp_servers.codegraph.store import SCHEMA_VERSION, Store

DEFAULT_EXCLUDES = (".git", "node_modules", ".venv", "__pycache__", "site-packages", ".tox",
                    ".mypy_cache", ".ruff_cache", ".pytest_cache", "dist", ".eggs", "*.egg-info")
MAX_FILE_BYTES = 2_000_000
"""Default size limit: larger source files are nearly always generated (bundles, vendored
amalgamations, parser tables) and cost more to parse than they tell. `max_file_bytes` changes it."""
PARALLEL_THRESHOLD = 48


@dataclass
class IndexReport:
    root: str
    db: str
    files_seen: int = 0
    parsed: int = 0
    removed: int = 0
    resolved_files: int = 0
    mode: str = "none"
    """none (nothing changed), full, file (only the changed files), dependents (with their dependents)."""
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    too_large: list[tuple[str, int]] = field(default_factory=list)
    """Files skipped for their size, (path, bytes), largest first: said out loud, never silently."""
    max_file_bytes: int = MAX_FILE_BYTES
    phases: dict[str, float] = field(default_factory=dict)
    """Seconds per phase (read, parse, write, resolve, commit): where the time goes."""
    counts: dict[str, int] = field(default_factory=dict)


def too_large_notice(report: IndexReport, shown: int = 5) -> str:
    """One line saying which files were skipped for their size (empty when none): count, largest few."""
    if not report.too_large:
        return ""
    largest = ", ".join(f"{p} ({size / 1_000_000:.1f} MB)" for p, size in report.too_large[:shown])
    more = f" and {len(report.too_large) - shown} more" if len(report.too_large) > shown else ""
    return (f"skipped {len(report.too_large)} files over {report.max_file_bytes:,} bytes: {largest}{more}; "
            "raise codegraph.max_file_bytes (or --max-file-bytes) to index them")


def default_db_path(root: str | Path) -> Path:
    """Where a repository's index lives unless told otherwise: `<root>/.vigil/codegraph.db`."""
    return Path(root) / ".vigil" / "codegraph.db"


def scan_worktree(root: Path, excludes: Iterable[str] = DEFAULT_EXCLUDES, *, max_file_bytes: int = MAX_FILE_BYTES,
                  too_large: list[tuple[str, int]] | None = None) -> dict[str, str]:
    """Indexable files under root (posix paths relative to it) with a "size:mtime_ns" stamp.

    The stamp lets a re-index skip reading files that were not touched, the way git's index does;
    a file whose stamp changed is read and hashed, and re-parsed only if its content changed.
    Files over `max_file_bytes` are left out and, when `too_large` is given, listed there.
    """
    skipped = too_large if too_large is not None else []
    excluded = re.compile("|".join(fnmatch.translate(p) for p in excludes) or "$^")
    out: dict[str, str] = {}
    tracked = _git_listing(root)
    if tracked is not None:
        for rel in tracked:
            parts = rel.split("/")
            if language_of(rel) is None or any(excluded.match(part) for part in parts):
                continue
            try:
                st = os.stat(root / rel)
            except OSError:
                continue
            if st.st_size <= max_file_bytes:
                out[rel] = f"{st.st_size}:{st.st_mtime_ns}"
            else:
                skipped.append((rel, st.st_size))
        skipped.sort(key=lambda item: (-item[1], item[0]))
        return dict(sorted(out.items()))
    for dirpath, dirnames, filenames in os.walk(root):
        # A virtual environment is recognised by its pyvenv.cfg, whatever its name (CPython's own
        # `venv` package must still be indexed).
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".vigil") and not excluded.match(d)
                             and not os.path.exists(os.path.join(dirpath, d, "pyvenv.cfg")))
        rel_dir = os.path.relpath(dirpath, root)
        for name in filenames:
            if language_of(name) is None or excluded.match(name):
                continue
            try:
                st = os.stat(os.path.join(dirpath, name))
            except OSError:
                continue
            rel = name if rel_dir == "." else f"{rel_dir}/{name}".replace(os.sep, "/")
            if st.st_size > max_file_bytes:
                skipped.append((rel, st.st_size))
                continue
            out[rel] = f"{st.st_size}:{st.st_mtime_ns}"
    skipped.sort(key=lambda item: (-item[1], item[0]))
    return dict(sorted(out.items()))


def _git_listing(root: Path) -> list[str] | None:
    """Files git tracks or would track under root (honouring .gitignore: build/, dist/, venvs),
    relative to root; None when root is not in a git work tree, or lies in an ignored part of one
    (a Python installation inside a git-managed ~/.pyenv, say), where the plain walk applies."""
    if not (root / ".git").exists() and not any((p / ".git").exists() for p in root.parents):
        return None
    try:
        ignored = subprocess.run(["git", "-C", str(root), "check-ignore", "-q", "."], capture_output=True,
                                 timeout=30, check=False)
        if ignored.returncode != 1:  # 0: root is ignored; 128: not a work tree after all
            return None
        proc = subprocess.run(["git", "-C", str(root), "ls-files", "-z", "--cached", "--others",
                               "--exclude-standard"], capture_output=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    return [p.decode("utf-8", "replace") for p in proc.stdout.split(b"\0") if p]


def list_files(root: Path, excludes: Iterable[str] = DEFAULT_EXCLUDES) -> list[str]:
    """Indexable files under root, as posix paths relative to it, sorted."""
    return list(scan_worktree(root, excludes))


def python_package_prefix(root: Path) -> str:
    """The dotted package the index root itself lies in, found on disk: walk up while the folder
    holds an `__init__.py`. Indexing `src/requests` then names its modules `requests.sessions`,
    as indexing `src` would find them, and `from . import sessions` resolves the same either way."""
    parts: list[str] = []
    folder = root
    while (folder / "__init__.py").is_file() and folder.name and folder.parent != folder:
        parts.insert(0, folder.name)
        folder = folder.parent
    return ".".join(parts)


def _extract_blob(item: tuple[str, bytes], py_prefix: str = "") -> bytes | str:
    """Worker side: facts travel back as a marshal blob, which is also what the database stores."""
    facts = _extract(item, py_prefix)
    return facts if isinstance(facts, str) else encode(facts)


def _extract(item: tuple[str, bytes], py_prefix: str = "") -> FileFacts | str:
    path, data = item
    lang = language_of(path)
    if lang is None:
        return f"{path}: not an indexed language"
    try:
        facts = extractor(lang)(path, as_utf8(lang, data))
    except Exception as exc:  # a grammar edge case must not stop the whole index
        return f"{path}: {type(exc).__name__}: {exc}"
    facts.sha = sha(data)  # of the bytes on disk, which is what a re-index compares
    if lang == "go":
        # A Go package is its directory; the module key is the directory path.
        facts.module = os.path.dirname(path) or "."
    elif lang == "python" and py_prefix:
        facts.module = f"{py_prefix}.{facts.module}" if facts.module else py_prefix
    facts.module = module_key(lang, facts.module)
    return facts


def _pool(workers: int) -> multiprocessing.pool.Pool:
    ctx = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    return ctx.Pool(workers)


def parse_all(items: list[tuple[str, bytes]], workers: int, py_prefix: str = ""
              ) -> tuple[dict[str, FileFacts], dict[str, bytes], list[str]]:
    """Extract facts from files, in parallel when there are enough; (facts, blobs, errors).

    `py_prefix` is the Python package the index root lies in (`python_package_prefix`)."""
    facts: dict[str, FileFacts] = {}
    blobs: dict[str, bytes] = {}
    errors: list[str] = []
    if workers <= 1 or len(items) < PARALLEL_THRESHOLD:
        for it in items:
            r = _extract(it, py_prefix)
            if isinstance(r, str):
                errors.append(r)
            else:
                facts[r.path] = r
        return facts, blobs, errors
    items = sorted(items, key=lambda it: -len(it[1]))
    with _pool(workers) as pool:
        for blob in pool.imap_unordered(functools.partial(_extract_blob, py_prefix=py_prefix), items, chunksize=4):
            if isinstance(blob, str):
                errors.append(blob)
                continue
            f = decode(blob)
            facts[f.path] = f
            blobs[f.path] = blob
    return facts, blobs, errors


def resolve_paths(resolver: Resolver, paths: Iterable[str]
                  ) -> tuple[list[tuple[str, str, str, int, str]], list[tuple[str, str, int, str]]]:
    """Edge rows (calls, inherits, imports) and unresolved-call rows for the given files."""
    edge_rows: list[tuple[str, str, str, int, str]] = []
    unresolved_rows: list[tuple[str, str, int, str]] = []
    for path in paths:
        calls, missing = resolver.resolve_file(path)
        edge_rows.extend((src, dst, "calls", line, path) for src, dst, line in calls)
        unresolved_rows.extend((src, text, line, path) for src, text, line in missing)
        edge_rows.extend((src, dst, "inherits", 0, path) for src, dst in resolver.resolve_bases(path))
        edge_rows.extend((path, mod, "imports", 0, path) for mod in resolver.resolve_imports(path))
    return edge_rows, unresolved_rows


def interface(facts: FileFacts) -> tuple[object, ...]:
    """What other files' resolution can depend on; a body-only edit leaves it unchanged."""
    funcs = {s.local for s in facts.syms if s.kind in FUNC_KINDS}
    return (
        facts.module,
        tuple(sorted((s.local, s.kind, s.bases, s.returns) for s in facts.syms)),
        tuple(sorted(facts.imports, key=lambda i: (i.alias, i.module, i.member)))
        if facts.lang == "python" else (),
        tuple(sorted((v.scope, v.var, v.kind, v.expr) for v in facts.vars if v.scope not in funcs)),
        facts.default_export,
    )


def _imports(facts: FileFacts) -> tuple[object, ...]:
    return tuple((i.alias, i.module, i.member) for i in facts.imports)


def go_module_path(root: Path) -> str:
    gomod = root / "go.mod"
    if gomod.is_file():
        for line in gomod.read_text(errors="replace").splitlines():
            if line.startswith("module "):
                return line.split()[1].strip()
    return ""


def index_repository(root: str | Path, db_path: str | Path | None = None, *, workers: int = 2,
                     excludes: Iterable[str] = DEFAULT_EXCLUDES, files: dict[str, bytes] | None = None,
                     full: bool = False, with_counts: bool = True,
                     max_file_bytes: int = MAX_FILE_BYTES) -> IndexReport:
    """Bring the database up to date with the repository (or with `files`, e.g. a git commit).

    Files over `max_file_bytes` are not indexed; the report lists them (`too_large`)."""
    if max_file_bytes < 1:
        raise ValueError(f"max_file_bytes must be a positive number of bytes, got {max_file_bytes}")
    t0 = time.perf_counter()
    root = Path(root).resolve()
    db_file = Path(db_path) if db_path else default_db_path(root)
    store = Store(db_file)
    report = IndexReport(root=str(root), db=str(db_file), max_file_bytes=max_file_bytes)
    try:
        py_prefix = python_package_prefix(root)
        has_files = store.db.execute("SELECT 1 FROM files LIMIT 1").fetchone() is not None
        if has_files and (store.get_meta("schema") != SCHEMA_VERSION or store.get_meta("py_package") != py_prefix):
            full = True  # keys changed shape (an older index, a new __init__.py above): rebuild, never mix
        known = {} if full else store.file_state()
        old = {p: digest for p, (digest, _stamp) in known.items()}
        if files is not None:
            for p, data in files.items():
                if len(data) > max_file_bytes:
                    report.too_large.append((p, len(data)))
            report.too_large.sort(key=lambda item: (-item[1], item[0]))
            files = {p: data for p, data in files.items() if len(data) <= max_file_bytes}
            stamps = dict.fromkeys(files, "")
            current: dict[str, bytes] = files
        else:
            stamps = scan_worktree(root, excludes, max_file_bytes=max_file_bytes, too_large=report.too_large)
            current = {}
            for p, stamp in stamps.items():
                if p in known and known[p][1] == stamp:
                    continue
                try:
                    current[p] = (root / p).read_bytes()
                except OSError:
                    continue
        report.files_seen = len(stamps)
        if full:
            store.db.execute("BEGIN")
            store.delete_files(list(store.file_shas()))
            store.db.execute("COMMIT")
        changed = [(p, data) for p, data in current.items() if old.get(p) != sha(data)]
        changed_set = {p for p, _ in changed}
        restamped = [(stamps[p], p) for p in current if p not in changed_set and p in old]
        removed = sorted(set(old) - set(stamps))
        report.removed = len(removed)
        if restamped:
            store.db.executemany("UPDATE files SET stamp=? WHERE path=?", restamped)
        if not changed and not removed:
            if with_counts:
                report.counts = store.counts()
            return report
        mark = time.perf_counter()
        report.phases["read"] = round(mark - t0, 3)
        new, blobs, errors = parse_all(changed, workers, py_prefix)
        changed_paths = [p for p, _ in changed]
        old_paths = set(old)
        del changed, current  # the sources are no longer needed; facts carry what resolution uses
        report.phases["parse"] = round(time.perf_counter() - mark, 3)
        mark = time.perf_counter()
        report.errors.extend(errors)
        report.parsed = len(new)

        structural = bool(removed) or any(p not in old_paths for p in changed_paths) or full or not old
        store.db.execute("PRAGMA synchronous=OFF")
        store.db.execute("BEGIN")
        to_resolve: set[str] = set(new)
        if not structural:
            report.mode = "file"
            touched = set(new)
            shifted = {p for p in new if (f := store.load_facts(p)) is None or interface(f) != interface(new[p])}
            if shifted:
                report.mode = "dependents"
                to_resolve |= store.dependents(shifted)
            del touched
        else:
            report.mode = "full"
        bulk = not old
        if bulk:
            store.drop_indexes()
        failed = set(changed_paths) - set(new)
        store.delete_files([*new, *removed, *failed])
        store.write_files(list(new.values()), blobs, stamps)
        del blobs
        store.set_meta("root", str(root))
        store.set_meta("schema", SCHEMA_VERSION)
        store.set_meta("py_package", py_prefix)
        go_module = go_module_path(root) if files is None else store.get_meta("go_module")
        store.set_meta("go_module", go_module)
        modules = store.modules()
        if report.mode == "full":
            to_resolve = {p for paths in modules.values() for p in paths}

        report.phases["write"] = round(time.perf_counter() - mark, 3)
        mark = time.perf_counter()

        def load(path: str) -> FileFacts | None:
            return new.get(path) or store.load_facts(path)

        def stored_subclasses(key: str) -> list[str]:
            rows = store.db.execute("SELECT src FROM edges WHERE dst=? AND kind='inherits'", (key,))
            return sorted({r[0] for r in rows})

        project = Project(modules, load, go_module=go_module,
                          subclasses=None if report.mode == "full" else stored_subclasses)
        resolver = Resolver(project)
        # Resolution is serial: it runs on memoised lookups that forked workers would each redo,
        # and copy-on-write pages get copied as soon as Python touches their reference counts.
        edge_rows, unresolved_rows = resolve_paths(resolver, sorted(to_resolve))
        report.phases["resolve"] = round(time.perf_counter() - mark, 3)
        mark = time.perf_counter()
        store.replace_edges(to_resolve, edge_rows, unresolved_rows)
        if bulk:
            store.create_indexes()
        store.set_meta("indexed_at", str(int(time.time())))
        store.db.execute("COMMIT")
        store.db.execute("PRAGMA synchronous=NORMAL")
        report.phases["commit"] = round(time.perf_counter() - mark, 3)
        report.resolved_files = len(to_resolve)
        if with_counts:
            report.counts = store.counts()
    finally:
        store.close()
        report.seconds = round(time.perf_counter() - t0, 3)
    return report


def git_files_at(root: str | Path, commit: str) -> dict[str, bytes]:
    """The indexable files of a commit, read from git's object store (no checkout needed)."""
    root = Path(root)
    listing = subprocess.run(["git", "-C", str(root), "ls-tree", "-r", "-z", "--full-tree", commit],
                             capture_output=True, check=True).stdout
    wanted: list[tuple[str, str]] = []
    for entry in listing.split(b"\0"):
        if not entry:
            continue
        meta, _, name = entry.partition(b"\t")
        _mode, otype, oid = meta.split()
        path = name.decode("utf-8", "replace")
        if otype == b"blob" and language_of(path) is not None and not any(
                fnmatch.fnmatch(part, p) for part in path.split("/")[:-1] for p in DEFAULT_EXCLUDES):
            wanted.append((path, oid.decode()))
    if not wanted:
        return {}
    proc = subprocess.run(["git", "-C", str(root), "cat-file", "--batch"],
                          input="".join(f"{oid}\n" for _, oid in wanted).encode(), capture_output=True, check=True)
    out: dict[str, bytes] = {}
    buf = proc.stdout
    pos = 0
    for path, _oid in wanted:
        nl = buf.index(b"\n", pos)
        header = buf[pos:nl].split()
        size = int(header[2])
        out[path] = buf[nl + 1: nl + 1 + size]
        pos = nl + 1 + size + 1
    return out


def index_commit(root: str | Path, commit: str, db_path: str | Path, workers: int = 2,
                 max_file_bytes: int = MAX_FILE_BYTES) -> IndexReport:
    """Index the tree of one commit into its own database."""
    files = git_files_at(root, commit)
    report = index_repository(root, db_path, workers=workers, files=files, max_file_bytes=max_file_bytes)
    store = Store(db_path)
    try:
        store.set_meta("commit", commit)
    finally:
        store.close()
    return report
