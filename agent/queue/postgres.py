"""The multi-replica queue: PostgreSQL with `FOR UPDATE SKIP LOCKED`.

Several `vigil serve` replicas behind one load balancer share this table. A worker claims a job by
locking the oldest runnable row and skipping rows another worker has locked, so two workers never
take the same job and never wait on each other. Duplicate detection takes a transaction-scoped
advisory lock on the dedupe key, so a burst of identical webhooks landing on different replicas at
the same moment still makes exactly one job. psycopg 3, one small pool of connections per process.
"""

from __future__ import annotations

import queue
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from agent.queue.liveness import RECLAIMED, dead_among
from agent.queue.model import (
    STATES,
    Backoff,
    Enqueued,
    Job,
    JobState,
    QueueError,
    ReplayError,
    utcnow,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS vigil_jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    dedupe_key TEXT NOT NULL,
    state TEXT NOT NULL,
    payload JSONB NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL DEFAULT 4,
    deliveries INTEGER NOT NULL DEFAULT 1,
    source TEXT NOT NULL DEFAULT '',
    ref TEXT,
    incident_status TEXT NOT NULL DEFAULT 'firing',
    last_error TEXT,
    result JSONB,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    run_after TIMESTAMPTZ NOT NULL,
    lease_until TIMESTAMPTZ,
    worker TEXT,
    finished_at TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS vigil_jobs_runnable ON vigil_jobs (state, run_after);
CREATE INDEX IF NOT EXISTS vigil_jobs_dedupe ON vigil_jobs (dedupe_key, state);
CREATE INDEX IF NOT EXISTS vigil_jobs_ref ON vigil_jobs (ref);
CREATE TABLE IF NOT EXISTS vigil_nonces (nonce TEXT PRIMARY KEY, seen_at TIMESTAMPTZ NOT NULL);
"""

NONCE_TTL = timedelta(days=2)
_SCHEMA_LOCK = 7306105
"""Advisory lock id held while creating the schema, so replicas starting together do it once."""


class PostgresQueue:
    """A `JobQueue` in PostgreSQL (tables `vigil_jobs`, `vigil_nonces`)."""

    def __init__(self, url: str, backoff: Backoff | None = None, pool_size: int = 8) -> None:
        self.url = url
        self.backoff = backoff or Backoff()
        self._pool: queue.LifoQueue[psycopg.Connection[Any]] = queue.LifoQueue()
        self._all: list[psycopg.Connection[Any]] = []
        self._slots = threading.BoundedSemaphore(pool_size)
        self._guard = threading.Lock()
        self._enqueues = 0
        with self._tx() as db:
            db.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
            db.execute(SCHEMA)  # type: ignore[arg-type]

    # -- connections ----------------------------------------------------------------------------------
    def _connect(self) -> psycopg.Connection[Any]:
        try:
            conn = psycopg.connect(self.url, row_factory=dict_row, connect_timeout=10, autocommit=True)
        except psycopg.Error as exc:
            raise QueueError(f"cannot connect to the PostgreSQL job queue ({_safe(self.url)}): {exc}; check the "
                             "URL, that the server runs and that the role may log in") from exc
        with self._guard:
            self._all.append(conn)
        return conn

    @contextmanager
    def _tx(self) -> Iterator[psycopg.Cursor[Any]]:
        """One transaction on a pooled connection; committed (durably) when the block ends."""
        self._slots.acquire()
        try:
            try:
                conn = self._pool.get_nowait()
            except queue.Empty:
                conn = self._connect()
            if conn.closed or conn.broken:
                conn = self._connect()
            try:
                with conn.transaction(), conn.cursor() as cur:
                    yield cur
            except psycopg.OperationalError as exc:
                conn.close()
                raise QueueError(f"the PostgreSQL job queue failed: {exc}") from exc
            finally:
                if not conn.closed:
                    self._pool.put(conn)
        finally:
            self._slots.release()

    # -- producer side -------------------------------------------------------------------------------
    def enqueue(self, kind: str, dedupe_key: str, payload: dict[str, Any], *, source: str = "",
                nonce: str | None = None, ref: str | None = None, max_attempts: int = 4,
                dedupe_window_seconds: float = 0.0) -> Enqueued:
        now = utcnow()
        with self._tx() as db:
            if nonce is not None:
                db.execute("INSERT INTO vigil_nonces (nonce, seen_at) VALUES (%s, %s) ON CONFLICT DO NOTHING"
                           " RETURNING nonce", (nonce, now))
                if db.fetchone() is None:
                    raise ReplayError("this request was already received once (same signature or delivery id)")
            db.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (f"{kind}:{dedupe_key}",))
            db.execute(
                "SELECT id, state FROM vigil_jobs WHERE dedupe_key = %s AND kind = %s"
                " AND (state IN ('queued', 'running') OR (state = 'done' AND finished_at > %s))"
                " ORDER BY created_at DESC LIMIT 1",
                (dedupe_key, kind, now - timedelta(seconds=dedupe_window_seconds)),
            )
            row = db.fetchone()
            if row is not None:
                db.execute("UPDATE vigil_jobs SET deliveries = deliveries + 1, updated_at = %s WHERE id = %s",
                           (now, row["id"]))
                return Enqueued(row["id"], False, row["state"])
            job_id = f"job_{uuid.uuid4().hex[:16]}"
            db.execute(
                "INSERT INTO vigil_jobs (id, kind, dedupe_key, state, payload, max_attempts, source, ref, created_at,"
                " updated_at, run_after) VALUES (%s, %s, %s, 'queued', %s, %s, %s, %s, %s, %s, %s)",
                (job_id, kind, dedupe_key, Jsonb(payload), max_attempts, source, ref, now, now, now),
            )
            self._enqueues += 1
            if self._enqueues % 256 == 0:  # forget old nonces now and then
                db.execute("DELETE FROM vigil_nonces WHERE seen_at < %s", (now - NONCE_TTL,))
            return Enqueued(job_id, True, "queued")

    def remember(self, nonce: str) -> None:
        """Record a request's nonce on its own (for requests that enqueue nothing); ReplayError if seen."""
        with self._tx() as db:
            db.execute("INSERT INTO vigil_nonces (nonce, seen_at) VALUES (%s, %s) ON CONFLICT DO NOTHING"
                       " RETURNING nonce", (nonce, utcnow()))
            if db.fetchone() is None:
                raise ReplayError("this request was already received once (same signature or delivery id)")

    # -- worker side -----------------------------------------------------------------------------------
    def claim(self, worker: str, lease_seconds: float) -> Job | None:
        now = utcnow()
        with self._tx() as db:
            # A running job whose worker stopped renewing its lease (a crash) runs again, or dies.
            db.execute(
                "UPDATE vigil_jobs SET state = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'queued' END,"
                " last_error = 'the worker stopped renewing its lease (crashed or killed)', worker = NULL,"
                " lease_until = NULL, updated_at = %s,"
                " finished_at = CASE WHEN attempts >= max_attempts THEN %s::timestamptz END"
                " WHERE id IN (SELECT id FROM vigil_jobs WHERE state = 'running' AND lease_until < %s"
                " FOR UPDATE SKIP LOCKED)",
                (now, now, now),
            )
            # One whose worker this host can prove dead runs again now, not when its lease ends.
            db.execute("SELECT id, worker FROM vigil_jobs WHERE state = 'running'")
            running = db.fetchall()
            dead = dead_among([row["worker"] for row in running])
            for row in running:
                if row["worker"] in dead:
                    db.execute(
                        "UPDATE vigil_jobs SET state = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'queued'"
                        " END, last_error = %s, worker = NULL, lease_until = NULL, updated_at = %s,"
                        " finished_at = CASE WHEN attempts >= max_attempts THEN %s::timestamptz END"
                        " WHERE id = %s AND state = 'running' AND worker = %s",
                        (RECLAIMED, now, now, row["id"], row["worker"]),
                    )
            db.execute(
                "UPDATE vigil_jobs SET state = 'running', attempts = attempts + 1, worker = %s, lease_until = %s,"
                " updated_at = %s WHERE id = (SELECT id FROM vigil_jobs WHERE state = 'queued' AND run_after <= %s"
                " ORDER BY run_after, created_at LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING *",
                (worker, now + timedelta(seconds=lease_seconds), now, now),
            )
            row = db.fetchone()
        return _job(row) if row else None

    def heartbeat(self, job_id: str, worker: str, lease_seconds: float) -> bool:
        with self._tx() as db:
            db.execute("UPDATE vigil_jobs SET lease_until = %s WHERE id = %s AND worker = %s AND state = 'running'",
                       (utcnow() + timedelta(seconds=lease_seconds), job_id, worker))
            return db.rowcount == 1

    def save_result(self, job_id: str, worker: str, result: dict[str, Any]) -> bool:
        with self._tx() as db:
            db.execute("UPDATE vigil_jobs SET result = %s, updated_at = %s WHERE id = %s AND worker = %s"
                       " AND state = 'running'", (Jsonb(result), utcnow(), job_id, worker))
            return db.rowcount == 1

    def complete(self, job_id: str, worker: str, result: dict[str, Any] | None = None) -> bool:
        now = utcnow()
        with self._tx() as db:
            db.execute(
                "UPDATE vigil_jobs SET state = 'done', result = COALESCE(%s, result), last_error = NULL,"
                " lease_until = NULL, updated_at = %s, finished_at = %s WHERE id = %s AND worker = %s"
                " AND state = 'running'",
                (None if result is None else Jsonb(result), now, now, job_id, worker),
            )
            return db.rowcount == 1

    def fail(self, job_id: str, worker: str, error: str, *, retry: bool = True) -> JobState:
        now = utcnow()
        with self._tx() as db:
            db.execute("SELECT attempts, max_attempts, state, worker FROM vigil_jobs WHERE id = %s FOR UPDATE",
                       (job_id,))
            row = db.fetchone()
            if row is None or row["state"] != "running" or row["worker"] != worker:
                return row["state"] if row else "dead"  # type: ignore[no-any-return]
            dead = not retry or row["attempts"] >= row["max_attempts"]
            state: JobState = "dead" if dead else "queued"
            db.execute(
                "UPDATE vigil_jobs SET state = %s, last_error = %s, run_after = %s, worker = NULL, lease_until = NULL,"
                " updated_at = %s, finished_at = %s WHERE id = %s",
                (state, error[:2000], now + timedelta(seconds=self.backoff.delay(row["attempts"])), now,
                 now if dead else None, job_id),
            )
            return state

    # -- incident lifecycle and operator actions --------------------------------------------------------
    def close_incident(self, dedupe_key: str, status: str) -> list[str]:
        now = utcnow()
        with self._tx() as db:
            db.execute("UPDATE vigil_jobs SET incident_status = %s, updated_at = %s WHERE dedupe_key = %s"
                       " AND state IN ('queued', 'running', 'done') RETURNING id", (status, now, dedupe_key))
            ids = [r["id"] for r in db.fetchall()]
            if status == "resolved":
                db.execute("UPDATE vigil_jobs SET state = 'cancelled', finished_at = %s,"
                           " last_error = 'resolved before the investigation started'"
                           " WHERE dedupe_key = %s AND state = 'queued'", (now, dedupe_key))
            return ids

    def retry(self, job_id: str) -> bool:
        now = utcnow()
        with self._tx() as db:
            db.execute("UPDATE vigil_jobs SET state = 'queued', attempts = 0, run_after = %s, updated_at = %s,"
                       " finished_at = NULL WHERE id = %s AND state IN ('dead', 'cancelled')", (now, now, job_id))
            return db.rowcount == 1

    # -- reads -------------------------------------------------------------------------------------------
    def get(self, job_id: str) -> Job | None:
        with self._tx() as db:
            db.execute("SELECT * FROM vigil_jobs WHERE id = %s", (job_id,))
            row = db.fetchone()
        return _job(row) if row else None

    def find_by_ref(self, ref: str) -> Job | None:
        with self._tx() as db:
            db.execute("SELECT * FROM vigil_jobs WHERE ref = %s ORDER BY created_at DESC LIMIT 1", (ref,))
            row = db.fetchone()
        return _job(row) if row else None

    def list(self, states: tuple[JobState, ...] | None = None, limit: int = 50) -> list[Job]:
        with self._tx() as db:
            db.execute("SELECT * FROM vigil_jobs WHERE state = ANY(%s) ORDER BY created_at DESC LIMIT %s",
                       (list(states or STATES), limit))
            return [_job(r) for r in db.fetchall()]

    def counts(self) -> dict[str, int]:
        with self._tx() as db:
            db.execute("SELECT state, COUNT(*) AS n FROM vigil_jobs GROUP BY state")
            found = {r["state"]: int(r["n"]) for r in db.fetchall()}
        return {state: found.get(state, 0) for state in STATES}

    def ping(self) -> None:
        with self._tx() as db:
            db.execute("SELECT 1")

    def close(self) -> None:
        with self._guard:
            for conn in self._all:
                conn.close()
            self._all.clear()


def _job(row: dict[str, Any]) -> Job:
    return Job(
        id=row["id"], kind=row["kind"], dedupe_key=row["dedupe_key"], state=row["state"], payload=row["payload"],
        attempts=row["attempts"], max_attempts=row["max_attempts"], deliveries=row["deliveries"], source=row["source"],
        ref=row["ref"], incident_status=row["incident_status"], last_error=row["last_error"], result=row["result"],
        created_at=row["created_at"], updated_at=row["updated_at"], run_after=row["run_after"],
        lease_until=row["lease_until"], worker=row["worker"], finished_at=row["finished_at"],
    )


def _safe(url: str) -> str:
    """The URL without its password, for error messages."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    return f"{scheme}://{creds.split(':', 1)[0]}:***@{host}" if ":" in creds else url
