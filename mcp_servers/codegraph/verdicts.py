"""Redaction verdicts of the index's strings, screened once when indexing, attested when a server loads.

Why: a get_callers or get_impact_radius answer's structured copy is made of the index's symbol keys,
file paths and names, and the guard redacts every one of them (`redaction.redact_data`). Screened
here once per rule set, a first-time answer pays a set lookup per string instead of a `redact_text`
pass (guardrails/attested.py says why that is exact, and what the fingerprint covers).

Stored: table `screened` holds the strings `redact_text` left unchanged with no finding, and meta
`screened_fingerprint` the rule set's fingerprint they were judged under. `refresh` screens only the
strings not yet stored under the same fingerprint (an incremental re-index screens its new symbols),
drops those the index no longer holds, and starts over when the fingerprint differs. `load` attests
the stored strings when the fingerprint matches this process's, and nothing otherwise.
"""

from __future__ import annotations

import sqlite3

from guardrails import attested

SCREENED_SCHEMA = "CREATE TABLE IF NOT EXISTS screened (text TEXT PRIMARY KEY) WITHOUT ROWID"
FINGERPRINT_KEY = "screened_fingerprint"

ANSWER_STRINGS = (
    "SELECT key FROM symbols UNION SELECT name FROM symbols UNION SELECT path FROM files "
    "UNION SELECT module FROM files UNION SELECT parent FROM symbols"
)
"""The index's strings that answers carry as whole leaves: symbol keys (a caller, the symbol asked
about, a member's parent), names, file paths (`file`, or the key of module-level code) and modules.
Strings the server writes itself (entry-point labels, kinds) go through the memo once per process."""


def refresh(db: sqlite3.Connection) -> tuple[int, int]:
    """Screen the index's answer strings not yet screened under this rule set; returns (screened now,
    stored clean in all). Runs inside the indexer's transaction when it has one."""
    db.execute(SCREENED_SCHEMA)
    fingerprint = attested.fingerprint()
    row = db.execute("SELECT v FROM meta WHERE k=?", (FINGERPRINT_KEY,)).fetchone()
    if row is None or row[0] != fingerprint:
        db.execute("DELETE FROM screened")
        db.execute("INSERT OR REPLACE INTO meta(k, v) VALUES (?, ?)", (FINGERPRINT_KEY, fingerprint))
    db.execute(f"DELETE FROM screened WHERE text NOT IN ({ANSWER_STRINGS})")
    fresh = [s for (s,) in db.execute(
        f"SELECT a.key FROM ({ANSWER_STRINGS}) AS a WHERE NOT EXISTS (SELECT 1 FROM screened s WHERE s.text = a.key)")]
    db.executemany("INSERT OR IGNORE INTO screened(text) VALUES (?)", [(s,) for s in attested.clean_of(fresh)])
    total = db.execute("SELECT count(*) FROM screened").fetchone()[0]
    return len(fresh), total


def stale(db: sqlite3.Connection) -> bool:
    """The index's verdicts were judged under another rule set, or never."""
    try:
        row = db.execute("SELECT v FROM meta WHERE k=?", (FINGERPRINT_KEY,)).fetchone()
    except sqlite3.OperationalError:
        return True
    return row is None or row[0] != attested.fingerprint()


def load(db: sqlite3.Connection) -> int:
    """Attest the index's screened strings when they were judged under this process's rule set;
    returns how many were attested (0 for an index screened under another rule set, or never)."""
    try:
        row = db.execute("SELECT v FROM meta WHERE k=?", (FINGERPRINT_KEY,)).fetchone()
        if row is None or row[0] != attested.fingerprint():
            return 0
        return attested.attest(row[0], (s for (s,) in db.execute("SELECT text FROM screened")))
    except sqlite3.OperationalError:  # an index written before verdicts were stored: no table
        return 0
