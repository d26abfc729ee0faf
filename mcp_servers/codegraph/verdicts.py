"""The guard's screening of an index's answers, done when the server indexes and stored in the index.

Why: get_callers and get_impact_radius answers are computed from an index that does not change between
re-indexes, so their screening (redaction and injection scan of the text, redaction of each string of the
structured copy: most of the guard's CPU on a first-time call) can be done once, before any call. The
server does it after it (re)indexes (`screen`, skipped when neither the index, the rules nor the key
changed) and attests the verdicts at start (`load`); guardrails/attested.py says why a stored verdict
equals a fresh screening and why it cannot be forged by whoever writes the index.

What is screened: the default answer of get_callers and of get_impact_radius (depth 3) for every
symbol, rendered by the same functions the tools use (answers.py, render.py); and the strings those
answers carry as whole leaves (symbol keys, names, file paths, modules). Another depth or budget, or
an answer whose screening found anything, is screened in full on each call, as before.

Where: `screen` runs in a separate, niced process (`screen_in_background`; an index of up to
`INLINE_SYMBOLS` symbols is screened in place), so a server that indexed at start begins answering at
once and its event loop never waits on it (the first screening of CPython's Lib takes some 20 s of CPU:
about 0.6 ms per answer, two answers per symbol); calls made before it ends are screened in full, as
before, and its verdicts are attested when it ends. The process stops when its server is gone.

Stored: tables `screened_leaves` and `screened_answers` hold the keyed digests of clean strings and
texts only; meta `screened_stamp` names the rule set, the index build and the key they were made for.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from guardrails import attested
from mcp_servers.codegraph import answers, render
from mcp_servers.codegraph.graph import CodeGraph

TABLES = (
    "CREATE TABLE IF NOT EXISTS screened_leaves (mac BLOB PRIMARY KEY) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS screened_answers (mac BLOB PRIMARY KEY) WITHOUT ROWID",
)
STAMP_KEY = "screened_stamp"
INLINE_SYMBOLS = 500
"""Indexes up to this many symbols are screened in the server's own process (under half a second of CPU,
less than starting another interpreter costs); larger ones in a separate process."""
IMPACT_DEPTH = 3
"""get_impact_radius's default depth: the answers screened ahead."""


def leaf_strings(g: CodeGraph) -> set[str]:
    """The index's strings that answers carry as whole leaves."""
    out: set[str] = set()
    for sym in g.symbols.values():
        out.update((sym.key, sym.name, sym.path, sym.module, sym.parent))
    out.update(g.files)
    out.update(g.files.values())
    return out


def answer_texts(g: CodeGraph) -> Iterator[str]:
    """The text of every symbol's default get_callers and get_impact_radius answer, as the tools render it."""
    for key in g.symbols:
        try:
            yield render.callers_text(answers.callers_result(g, key))
            yield render.impact_text(answers.impact_result(g, key, IMPACT_DEPTH))
        except LookupError:
            continue


def _stamp(g: CodeGraph, key: bytes) -> str:
    built = g.db.execute("SELECT v FROM meta WHERE k='indexed_at'").fetchone()
    return f"{attested.fingerprint()}:{built[0] if built else ''}:{hashlib.sha256(key).hexdigest()[:16]}"


def is_current(g: CodeGraph, key: bytes) -> bool:
    """The index's stored verdicts were made for this index build, rule set and key."""
    try:
        row = g.db.execute("SELECT v FROM meta WHERE k=?", (STAMP_KEY,)).fetchone()
    except sqlite3.OperationalError:
        return False
    return row is not None and row[0] == _stamp(g, key)


class Abandoned(Exception):
    """The screening was stopped (its server is gone); nothing was stored."""


def screen(g: CodeGraph, key: bytes, stop: Callable[[], bool] | None = None) -> dict[str, float]:
    """Screen what is not yet screened under this rule set and key, and store the clean verdicts in
    `g`'s index; returns counts and seconds. Verdicts of other rules, keys or answers are dropped.
    `stop` is asked every few hundred strings; when it says so, nothing is stored (`Abandoned`)."""
    started = time.perf_counter()
    stamp = _stamp(g, key)
    db = sqlite3.connect(str(g.db_path), isolation_level=None, timeout=30)
    try:
        for statement in TABLES:
            db.execute(statement)
        row = db.execute("SELECT v FROM meta WHERE k=?", (STAMP_KEY,)).fetchone()
        if row is not None and row[0] == stamp:
            return {"screened_leaves": 0, "screened_answers": 0, "seconds": 0.0}
        same_rules = row is not None and row[0].split(":")[0::2] == stamp.split(":")[0::2]
        counts: dict[str, float] = {}
        verdicts: dict[str, set[bytes]] = {}
        # Screened outside any transaction: the index stays writable (a `vigil index` meanwhile) while it runs.
        for table, kind, items, clean in (
            ("screened_leaves", attested.LEAF, leaf_strings(g), attested.leaf_clean),
            ("screened_answers", attested.ANSWER, answer_texts(g), attested.answer_clean),
        ):
            stored = {r[0] for r in db.execute(f"SELECT mac FROM {table}")} if same_rules else set()
            current: set[bytes] = set()
            fresh = 0
            for n, text in enumerate(items):
                if stop is not None and n % 256 == 0 and stop():
                    raise Abandoned
                digest = attested.mac(key, kind, text)
                if digest in current:
                    continue
                if digest in stored:
                    current.add(digest)
                    continue
                fresh += 1
                if clean(text):
                    current.add(digest)
            verdicts[table], counts[table] = current, fresh
        db.execute("BEGIN IMMEDIATE")
        for table, current in verdicts.items():
            db.execute(f"DELETE FROM {table}")
            db.executemany(f"INSERT INTO {table}(mac) VALUES (?)", [(d,) for d in current])
        db.execute("INSERT OR REPLACE INTO meta(k, v) VALUES (?, ?)", (STAMP_KEY, stamp))
        db.execute("COMMIT")
    finally:
        db.close()
    return {**counts, "seconds": round(time.perf_counter() - started, 3)}


def load(g: CodeGraph, key: bytes) -> tuple[int, int]:
    """Attest `g`'s stored verdicts made under this rule set and key; returns (leaves, answers) attested."""
    try:
        row = g.db.execute("SELECT v FROM meta WHERE k=?", (STAMP_KEY,)).fetchone()
        if row is None or row[0] != _stamp(g, key):
            return 0, 0
        leaves = {r[0] for r in g.db.execute("SELECT mac FROM screened_leaves")}
        texts = [r[0] for r in g.db.execute("SELECT mac FROM screened_answers")]
    except sqlite3.OperationalError:  # an index the server never screened: no tables
        return 0, 0
    return attested.attest_leaves(key, leaf_strings(g), leaves), attested.attest_answers(key, texts)


BACKGROUND: list[threading.Thread] = []
"""Screenings started by this process (`screen_in_background`), for `wait_for_screening`."""


def screen_in_background(g: CodeGraph, key: bytes) -> threading.Thread | None:
    """Screen `g`'s index in a separate niced process, then attest its verdicts here; None when the
    stored verdicts are current already, or when the index is small enough to screen here and now.
    The key reaches the process on its stdin, never in its arguments or environment."""
    if is_current(g, key):
        return None
    if len(g.symbols) <= INLINE_SYMBOLS:
        screen(g, key)
        load(g, key)
        return None

    def run() -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        done = subprocess.run([sys.executable, "-m", "mcp_servers.codegraph.verdicts", str(g.db_path)],
                              input=key.hex().encode() + b"\n", capture_output=True, env=env, check=False)
        if done.returncode == 0:
            load(g, key)
        else:
            print(f"vigil-codegraph: screening ahead failed ({done.returncode}): "
                  f"{done.stderr.decode(errors='replace')[-400:]}", file=sys.stderr)

    thread = threading.Thread(target=run, name="vigil-codegraph-screen-ahead", daemon=True)
    thread.start()
    BACKGROUND.append(thread)
    return thread


def wait_for_screening(timeout: float | None = None) -> None:
    """Wait for this process's background screenings to end (tests and benchmarks)."""
    for thread in list(BACKGROUND):
        thread.join(timeout)


def main(argv: list[str]) -> int:
    """`python -m mcp_servers.codegraph.verdicts DB`, the key as hex on stdin: screen, store, exit."""
    parent = os.getppid()
    os.nice(10)  # the server answering calls comes first
    key = bytes.fromhex(sys.stdin.readline().strip())
    try:
        out = screen(CodeGraph(Path(argv[0])), key, stop=lambda: os.getppid() != parent)
    except Abandoned:
        return 3
    print(out, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
