"""The default queue: one SQLite file in WAL mode, every commit fsynced.

Why SQLite: a single replica needs no server, and with `journal_mode=WAL` plus `synchronous=FULL`
a commit that returned is on disk, so a webhook answered 2xx survives a SIGKILL or a power cut.
Writers take the lock up front (`BEGIN IMMEDIATE`), which makes "find a duplicate, else insert"
and "pick a job, mark it running" atomic without row locks. Several worker tasks in one process
share the file safely; several replicas should use PostgreSQL instead.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from agent.queue.liveness import RECLAIMED, dead_among
from agent.queue.model import (
    STATES,
    Backoff,
    Enqueued,
    Job,
    JobState,
    QueueError,
    ReplayError,
    dumps,
    loads,
    parse_time,
    utcnow,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    dedupe_key TEXT NOT NULL,
    state TEXT NOT NULL,
    payload TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL DEFAULT 4,
    deliveries INTEGER NOT NULL DEFAULT 1,
    source TEXT NOT NULL DEFAULT '',
    ref TEXT,
    incident_status TEXT NOT NULL DEFAULT 'firing',
    last_error TEXT,
    result TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    run_after TEXT NOT NULL,
    lease_until TEXT,
    worker TEXT,
    finished_at TEXT
);
CREATE INDEX IF NOT EXISTS jobs_runnable ON jobs (state, run_after);
CREATE INDEX IF NOT EXISTS jobs_dedupe ON jobs (dedupe_key, state);
CREATE INDEX IF NOT EXISTS jobs_ref ON jobs (ref);
CREATE TABLE IF NOT EXISTS nonces (nonce TEXT PRIMARY KEY, seen_at TEXT NOT NULL);
"""

NONCE_TTL = timedelta(days=2)


def _ts(value: datetime) -> str:
    """Fixed-width ISO text, so SQLite compares times correctly as strings."""
    return value.isoformat(timespec="microseconds")


class SQLiteQueue:
    """A `JobQueue` in one SQLite file (one connection per thread)."""

    def __init__(self, path: str | Path, backoff: Backoff | None = None) -> None:
        self.path = Path(path)
        self.url = f"sqlite:///{self.path.resolve()}"
        self.backoff = backoff or Backoff()
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._guard = threading.Lock()
        self._writer = threading.Lock()
        self._enqueues = 0
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn().executescript(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise QueueError(f"cannot open the job queue at {self.path}: {exc}; check the directory exists "
                             "and is writable (state_dir in vigil.yaml)") from exc

    # -- connections and transactions ----------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
            with self._guard:
                self._connections.append(conn)
        return conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction. Writers of this process queue on a lock first: SQLite's own busy
        handler waits by sleeping in growing steps, which turns a burst of webhooks into second-long
        tail latencies; a lock hands the file over as soon as the previous commit is done."""
        conn = self._conn()
        with self._writer:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    # -- producer side -------------------------------------------------------------------------------
    def enqueue(self, kind: str, dedupe_key: str, payload: dict[str, Any], *, source: str = "",
                nonce: str | None = None, ref: str | None = None, max_attempts: int = 4,
                dedupe_window_seconds: float = 0.0) -> Enqueued:
        now = utcnow()
        with self._write() as db:
            if nonce is not None:
                try:
                    db.execute("INSERT INTO nonces (nonce, seen_at) VALUES (?, ?)", (nonce, _ts(now)))
                except sqlite3.IntegrityError as exc:
                    raise ReplayError("this request was already received once (same signature or delivery id)") from exc
            window_start = _ts(now - timedelta(seconds=dedupe_window_seconds))
            row = db.execute(
                "SELECT id, state FROM jobs WHERE dedupe_key = ? AND kind = ? AND (state IN ('queued', 'running')"
                " OR (state = 'done' AND finished_at > ?)) ORDER BY created_at DESC LIMIT 1",
                (dedupe_key, kind, window_start),
            ).fetchone()
            if row is not None:
                db.execute("UPDATE jobs SET deliveries = deliveries + 1, updated_at = ? WHERE id = ?",
                           (_ts(now), row["id"]))
                return Enqueued(row["id"], False, row["state"])
            job_id = f"job_{uuid.uuid4().hex[:16]}"
            db.execute(
                "INSERT INTO jobs (id, kind, dedupe_key, state, payload, max_attempts, source, ref,"
                " created_at, updated_at, run_after) VALUES (?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?)",
                (job_id, kind, dedupe_key, dumps(payload), max_attempts, source, ref, _ts(now), _ts(now), _ts(now)),
            )
            self._enqueues += 1
            if self._enqueues % 256 == 0:  # forget old nonces now and then; replays older than the TTL are stale anyway
                db.execute("DELETE FROM nonces WHERE seen_at < ?", (_ts(now - NONCE_TTL),))
            return Enqueued(job_id, True, "queued")

    def remember(self, nonce: str) -> None:
        """Record a request's nonce on its own (for requests that enqueue nothing); ReplayError if seen."""
        with self._write() as db:
            try:
                db.execute("INSERT INTO nonces (nonce, seen_at) VALUES (?, ?)", (nonce, _ts(utcnow())))
            except sqlite3.IntegrityError as exc:
                raise ReplayError("this request was already received once (same signature or delivery id)") from exc

    # -- worker side -----------------------------------------------------------------------------------
    def claim(self, worker: str, lease_seconds: float) -> Job | None:
        now = utcnow()
        with self._write() as db:
            self._expire_leases(db, now)
            self._reclaim_from_dead(db, now)
            row = db.execute(
                "SELECT id FROM jobs WHERE state = 'queued' AND run_after <= ? ORDER BY run_after, created_at LIMIT 1",
                (_ts(now),),
            ).fetchone()
            if row is None:
                return None
            db.execute(
                "UPDATE jobs SET state = 'running', attempts = attempts + 1, worker = ?, lease_until = ?,"
                " updated_at = ? WHERE id = ?",
                (worker, _ts(now + timedelta(seconds=lease_seconds)), _ts(now), row["id"]),
            )
            claimed = db.execute("SELECT * FROM jobs WHERE id = ?", (row["id"],)).fetchone()
        return _job(claimed)

    def _expire_leases(self, db: sqlite3.Connection, now: datetime) -> None:
        """A running job whose worker stopped renewing its lease (a crash) runs again, or dies."""
        db.execute(
            "UPDATE jobs SET state = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'queued' END,"
            " last_error = 'the worker stopped renewing its lease (crashed or killed)', worker = NULL,"
            " lease_until = NULL, updated_at = ?, finished_at = CASE WHEN attempts >= max_attempts THEN ? END"
            " WHERE state = 'running' AND lease_until < ?",
            (_ts(now), _ts(now), _ts(now)),
        )

    def _reclaim_from_dead(self, db: sqlite3.Connection, now: datetime) -> None:
        """A running job whose worker this host can prove dead runs again now, not when its lease ends."""
        rows = db.execute("SELECT id, worker FROM jobs WHERE state = 'running'").fetchall()
        dead = dead_among([row["worker"] for row in rows])
        for row in rows:
            if row["worker"] in dead:
                db.execute(
                    "UPDATE jobs SET state = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'queued' END,"
                    " last_error = ?, worker = NULL, lease_until = NULL, updated_at = ?,"
                    " finished_at = CASE WHEN attempts >= max_attempts THEN ? END"
                    " WHERE id = ? AND state = 'running' AND worker = ?",
                    (RECLAIMED, _ts(now), _ts(now), row["id"], row["worker"]),
                )

    def heartbeat(self, job_id: str, worker: str, lease_seconds: float) -> bool:
        now = utcnow()
        with self._write() as db:
            cur = db.execute(
                "UPDATE jobs SET lease_until = ? WHERE id = ? AND worker = ? AND state = 'running'",
                (_ts(now + timedelta(seconds=lease_seconds)), job_id, worker),
            )
            return cur.rowcount == 1

    def save_result(self, job_id: str, worker: str, result: dict[str, Any]) -> bool:
        with self._write() as db:
            cur = db.execute("UPDATE jobs SET result = ?, updated_at = ? WHERE id = ? AND worker = ?"
                             " AND state = 'running'", (dumps(result), _ts(utcnow()), job_id, worker))
            return cur.rowcount == 1

    def complete(self, job_id: str, worker: str, result: dict[str, Any] | None = None) -> bool:
        now = _ts(utcnow())
        with self._write() as db:
            cur = db.execute(
                "UPDATE jobs SET state = 'done', result = COALESCE(?, result), last_error = NULL, lease_until = NULL,"
                " updated_at = ?, finished_at = ? WHERE id = ? AND worker = ? AND state = 'running'",
                (None if result is None else dumps(result), now, now, job_id, worker),
            )
            return cur.rowcount == 1

    def fail(self, job_id: str, worker: str, error: str, *, retry: bool = True) -> JobState:
        now = utcnow()
        with self._write() as db:
            row = db.execute("SELECT attempts, max_attempts, state, worker FROM jobs WHERE id = ?",
                             (job_id,)).fetchone()
            if row is None or row["state"] != "running" or row["worker"] != worker:
                return row["state"] if row else "dead"
            dead = not retry or row["attempts"] >= row["max_attempts"]
            state: JobState = "dead" if dead else "queued"
            run_after = now + timedelta(seconds=self.backoff.delay(row["attempts"]))
            db.execute(
                "UPDATE jobs SET state = ?, last_error = ?, run_after = ?, worker = NULL, lease_until = NULL,"
                " updated_at = ?, finished_at = ? WHERE id = ?",
                (state, error[:2000], _ts(run_after), _ts(now), _ts(now) if dead else None, job_id),
            )
            return state

    # -- incident lifecycle and operator actions --------------------------------------------------------
    def close_incident(self, dedupe_key: str, status: str) -> list[str]:
        now = _ts(utcnow())
        with self._write() as db:
            ids = [r["id"] for r in db.execute(
                "SELECT id FROM jobs WHERE dedupe_key = ? AND state IN ('queued', 'running', 'done')", (dedupe_key,))]
            db.execute("UPDATE jobs SET incident_status = ?, updated_at = ? WHERE dedupe_key = ?"
                       " AND state IN ('queued', 'running', 'done')", (status, now, dedupe_key))
            if status == "resolved":
                db.execute("UPDATE jobs SET state = 'cancelled', finished_at = ?,"
                           " last_error = 'resolved before the investigation started'"
                           " WHERE dedupe_key = ? AND state = 'queued'", (now, dedupe_key))
            return ids

    def retry(self, job_id: str) -> bool:
        now = _ts(utcnow())
        with self._write() as db:
            cur = db.execute(
                "UPDATE jobs SET state = 'queued', attempts = 0, run_after = ?, updated_at = ?, finished_at = NULL"
                " WHERE id = ? AND state IN ('dead', 'cancelled')", (now, now, job_id))
            return cur.rowcount == 1

    # -- reads -------------------------------------------------------------------------------------------
    def get(self, job_id: str) -> Job | None:
        row = self._conn().execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return _job(row) if row else None

    def find_by_ref(self, ref: str) -> Job | None:
        row = self._conn().execute("SELECT * FROM jobs WHERE ref = ? ORDER BY created_at DESC LIMIT 1",
                                   (ref,)).fetchone()
        return _job(row) if row else None

    def list(self, states: tuple[JobState, ...] | None = None, limit: int = 50) -> list[Job]:
        wanted = states or STATES
        marks = ",".join("?" for _ in wanted)
        rows = self._conn().execute(
            f"SELECT * FROM jobs WHERE state IN ({marks}) ORDER BY created_at DESC LIMIT ?", (*wanted, limit)
        ).fetchall()
        return [_job(r) for r in rows]

    def counts(self) -> dict[str, int]:
        found = dict(self._conn().execute("SELECT state, COUNT(*) FROM jobs GROUP BY state").fetchall())
        return {state: int(found.get(state, 0)) for state in STATES}

    def ping(self) -> None:
        try:
            self._conn().execute("SELECT 1 FROM jobs LIMIT 1").fetchall()
        except sqlite3.Error as exc:
            raise QueueError(f"the job queue at {self.path} is not readable: {exc}") from exc

    def close(self) -> None:
        with self._guard:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()


def _job(row: Any) -> Job:
    state: JobState = row["state"]
    return Job(
        id=row["id"], kind=row["kind"], dedupe_key=row["dedupe_key"], state=state, payload=loads(row["payload"]) or {},
        attempts=row["attempts"], max_attempts=row["max_attempts"], deliveries=row["deliveries"], source=row["source"],
        incident_status=row["incident_status"], last_error=row["last_error"], result=loads(row["result"]),
        created_at=parse_time(row["created_at"]) or utcnow(), updated_at=parse_time(row["updated_at"]) or utcnow(),
        run_after=parse_time(row["run_after"]) or utcnow(), lease_until=parse_time(row["lease_until"]),
        worker=row["worker"], finished_at=parse_time(row["finished_at"]), ref=row["ref"],
    )
