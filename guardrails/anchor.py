"""Audit anchors: the log's head copied to a second place, so a rollback to an older state shows.

A keyed chain with a signed head stops anyone without the key from forging or editing records. It
cannot stop someone who kept an old copy of the log and its head from putting them back (or from
cutting the log and restoring the head that matched it then): that older state is genuine. An anchor
is a row (log id, record count, head HMAC, time) in a database the log's writer can append to but the
attacker of the log's file system is not assumed to control, PostgreSQL when one is configured, else
a SQLite file elsewhere. `vigil audit verify --anchor URL` compares the newest row with the log.

The log id is the log's absolute path: two logs never share rows, and a copied log is checked
against the anchors of the path it is verified at only when asked to (`--log-id`).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SQLITE_SCHEMA = """CREATE TABLE IF NOT EXISTS vigil_audit_anchors (
    log_id TEXT NOT NULL, records INTEGER NOT NULL, head_hmac TEXT NOT NULL, anchored_at TEXT NOT NULL)"""
POSTGRES_SCHEMA = """CREATE TABLE IF NOT EXISTS vigil_audit_anchors (
    log_id TEXT NOT NULL, records BIGINT NOT NULL, head_hmac TEXT NOT NULL, anchored_at TIMESTAMPTZ NOT NULL)"""


@dataclass(frozen=True)
class Anchor:
    records: int
    head_hmac: str
    anchored_at: str


def log_id_of(path: str | Path) -> str:
    return str(Path(path).resolve())


class AnchorStore:
    """Anchors in PostgreSQL (`postgresql://…`) or a SQLite file (any other value, a path)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.postgres = url.startswith(("postgresql://", "postgres://"))
        if not self.postgres:
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self._execute(POSTGRES_SCHEMA if self.postgres else SQLITE_SCHEMA)

    def _execute(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        if self.postgres:
            import psycopg  # only where PostgreSQL anchors are configured

            with psycopg.connect(self.url, autocommit=True, connect_timeout=10) as pg:
                cur = pg.execute(sql.replace("?", "%s"), params)  # type: ignore[arg-type]
                return list(cur.fetchall()) if cur.description else []
        with sqlite3.connect(self.url.removeprefix("sqlite:///"), timeout=30) as db:
            return db.execute(sql, params).fetchall()

    def record(self, log_id: str, records: int, head_hmac: str) -> None:
        now: Any = datetime.now(UTC)
        self._execute("INSERT INTO vigil_audit_anchors (log_id, records, head_hmac, anchored_at) VALUES (?,?,?,?)",
                      (log_id, records, head_hmac, now if self.postgres else now.isoformat()))

    def latest(self, log_id: str) -> Anchor | None:
        rows = self._execute("SELECT records, head_hmac, anchored_at FROM vigil_audit_anchors WHERE log_id = ? "
                             "ORDER BY records DESC LIMIT 1", (log_id,))
        if not rows:
            return None
        records, head_hmac, at = rows[0]
        return Anchor(int(records), str(head_hmac), at.isoformat() if isinstance(at, datetime) else str(at))
