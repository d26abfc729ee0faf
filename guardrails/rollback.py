"""The rollback layer: every write action says how to undo it, and the plan is kept by action id.

The pipeline refuses a write action that carries no `RollbackPlan`. Plans live in SQLite so that
`vigil rollback ACTION_ID` works from any process, days later. Executors (e.g. the GitOps revert PR)
register by plan kind; this module only stores and looks up.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from guardrails.action import RollbackPlan


class RollbackStore:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute(
                """CREATE TABLE IF NOT EXISTS rollback_plans (
                    action_id TEXT PRIMARY KEY, kind TEXT NOT NULL, description TEXT NOT NULL,
                    data TEXT NOT NULL, created_at TEXT NOT NULL, executed_at TEXT, result TEXT)"""
            )

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        return db

    def save(self, action_id: str, plan: RollbackPlan) -> None:
        with self._connect() as db:
            db.execute(
                "INSERT OR REPLACE INTO rollback_plans (action_id, kind, description, data, created_at)"
                " VALUES (?,?,?,?,?)",
                (action_id, plan.kind, plan.description, json.dumps(plan.data, sort_keys=True),
                 datetime.now(UTC).isoformat()),
            )

    def get(self, action_id: str) -> RollbackPlan | None:
        with self._connect() as db:
            row = db.execute(
                "SELECT kind, description, data FROM rollback_plans WHERE action_id=?", (action_id,)
            ).fetchone()
        if row is None:
            return None
        return RollbackPlan(kind=row[0], description=row[1], data=json.loads(row[2]))

    def mark_executed(self, action_id: str, result: str) -> None:
        with self._connect() as db:
            db.execute(
                "UPDATE rollback_plans SET executed_at=?, result=? WHERE action_id=?",
                (datetime.now(UTC).isoformat(), result, action_id),
            )

    def executed(self, action_id: str) -> str | None:
        with self._connect() as db:
            row = db.execute("SELECT executed_at FROM rollback_plans WHERE action_id=?", (action_id,)).fetchone()
        return row[0] if row else None
