"""What each actor and team has spent: the rate limiter and the token/money ledger the scoping layer reads.

The rate limiter is per process (a sliding window in memory): it protects the APIs behind one
server from a runaway loop. The ledger is durable (SQLite) because budgets are per day and per team
across processes; `vigil usage` reads it.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path


class RateLimiter:
    """Sliding-window call counter per key (actor name)."""

    def __init__(self) -> None:
        self._calls: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def try_acquire(self, key: str, calls: int, per_seconds: float, now: float | None = None) -> float:
        """Record a call and return 0, or return how many seconds until the next call is allowed."""
        now = time.monotonic() if now is None else now
        with self._lock:
            window = self._calls[key]
            while window and window[0] <= now - per_seconds:
                window.popleft()
            if len(window) >= calls:
                return window[0] + per_seconds - now
            window.append(now)
            return 0.0


@dataclass(frozen=True)
class Spend:
    tokens: int
    usd: float


@dataclass(frozen=True)
class SpendRow:
    """What one team spent on one model on one day (`vigil usage` prints these)."""

    day: str
    team: str
    provider: str
    model: str
    calls: int
    runs: int
    """Distinct investigations (run ids) that made those calls."""
    input_tokens: int
    output_tokens: int
    usd: float


class UsageLedger:
    """Model usage by team, actor, model and day."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        with self._connect() as db:
            db.execute(
                """CREATE TABLE IF NOT EXISTS usage (
                    at TEXT NOT NULL, day TEXT NOT NULL, team TEXT NOT NULL, actor TEXT NOT NULL,
                    provider TEXT NOT NULL, model TEXT NOT NULL, run_id TEXT,
                    input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL, usd REAL NOT NULL)"""
            )
            db.execute("CREATE INDEX IF NOT EXISTS usage_team_day ON usage (team, day)")

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        return db

    def record(self, *, team: str, actor: str, provider: str, model: str, input_tokens: int,
               output_tokens: int, usd: float, run_id: str | None = None, at: datetime | None = None) -> None:
        at = at or datetime.now(UTC)
        with self._lock, self._connect() as db:
            db.execute(
                "INSERT INTO usage VALUES (?,?,?,?,?,?,?,?,?,?)",
                (at.isoformat(), at.date().isoformat(), team, actor, provider, model, run_id,
                 input_tokens, output_tokens, usd),
            )

    def spent_today(self, team: str, now: datetime | None = None) -> Spend:
        day = (now or datetime.now(UTC)).date().isoformat()
        with self._connect() as db:
            row = db.execute(
                "SELECT COALESCE(SUM(input_tokens + output_tokens), 0), COALESCE(SUM(usd), 0) FROM usage "
                "WHERE team=? AND day=?", (team, day)
            ).fetchone()
        return Spend(int(row[0]), float(row[1]))

    def summary(self, days: int = 30, now: datetime | None = None) -> list[tuple[str, str, str, int, int, float]]:
        """(day, team, model, input tokens, output tokens, usd) rows, newest day first."""
        since = ((now or datetime.now(UTC)) - timedelta(days=days)).date().isoformat()
        with self._connect() as db:
            return db.execute(
                "SELECT day, team, model, SUM(input_tokens), SUM(output_tokens), SUM(usd) FROM usage "
                "WHERE day >= ? GROUP BY day, team, model ORDER BY day DESC, team, model", (since,)
            ).fetchall()

    def spend(self, days: int = 30, team: str | None = None, now: datetime | None = None) -> list[SpendRow]:
        """Spend by day, team, provider and model over the last `days` days (today included), newest first."""
        since = ((now or datetime.now(UTC)) - timedelta(days=max(days, 1) - 1)).date().isoformat()
        query = ("SELECT day, team, provider, model, COUNT(*), COUNT(DISTINCT run_id), SUM(input_tokens), "
                 "SUM(output_tokens), SUM(usd) FROM usage WHERE day >= ?")
        params: list[str] = [since]
        if team is not None:
            query += " AND team = ?"
            params.append(team)
        query += " GROUP BY day, team, provider, model ORDER BY day DESC, team, provider, model"
        with self._connect() as db:
            rows = db.execute(query, params).fetchall()
        return [SpendRow(str(r[0]), str(r[1]), str(r[2]), str(r[3]), int(r[4]), int(r[5]), int(r[6]), int(r[7]),
                         float(r[8])) for r in rows]
