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

Stored: tables `screened_leaves` and `screened_answers` hold the keyed digests of clean strings and
texts only; meta `screened_stamp` names the rule set, the index build and the key they were made for.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Iterator

from guardrails import attested
from mcp_servers.codegraph import answers, render
from mcp_servers.codegraph.graph import CodeGraph

TABLES = (
    "CREATE TABLE IF NOT EXISTS screened_leaves (mac BLOB PRIMARY KEY) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS screened_answers (mac BLOB PRIMARY KEY) WITHOUT ROWID",
)
STAMP_KEY = "screened_stamp"
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


def screen(g: CodeGraph, key: bytes) -> dict[str, float]:
    """Screen what is not yet screened under this rule set and key, and store the clean verdicts in
    `g`'s index; returns counts and seconds. Verdicts of other rules, keys or answers are dropped."""
    started = time.perf_counter()
    stamp = _stamp(g, key)
    db = sqlite3.connect(str(g.db_path), isolation_level=None)
    try:
        for statement in TABLES:
            db.execute(statement)
        row = db.execute("SELECT v FROM meta WHERE k=?", (STAMP_KEY,)).fetchone()
        if row is not None and row[0] == stamp:
            return {"screened_leaves": 0, "screened_answers": 0, "seconds": 0.0}
        same_rules = row is not None and row[0].split(":")[0::2] == stamp.split(":")[0::2]
        db.execute("BEGIN")
        counts = {}
        for table, kind, items, clean in (
            ("screened_leaves", attested.LEAF, leaf_strings(g), attested.leaf_clean),
            ("screened_answers", attested.ANSWER, answer_texts(g), attested.answer_clean),
        ):
            stored = {r[0] for r in db.execute(f"SELECT mac FROM {table}")} if same_rules else set()
            current: set[bytes] = set()
            fresh = 0
            for text in items:
                digest = attested.mac(key, kind, text)
                if digest in current:
                    continue
                if digest in stored:
                    current.add(digest)
                    continue
                fresh += 1
                if clean(text):
                    current.add(digest)
            db.execute(f"DELETE FROM {table}")
            db.executemany(f"INSERT INTO {table}(mac) VALUES (?)", [(d,) for d in current])
            counts[table] = fresh
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
