"""The interface every queue backend implements, and how to open one from a URL.

`sqlite:///path/jobs.db` (the default, one replica) or `postgresql://user@host/db` (several
replicas sharing one queue). The methods are synchronous on purpose: both drivers are, each call is
one short transaction, and the async side (`AsyncQueue`) runs them in a worker thread so that the
web server's event loop never waits on an fsync.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec, Protocol, TypeVar

import anyio.to_thread

from agent.queue.model import Backoff, Enqueued, Job, JobState

P = ParamSpec("P")
T = TypeVar("T")


class JobQueue(Protocol):
    """A durable job store. Every write is committed (and fsynced) before the method returns."""

    backoff: Backoff
    url: str

    def enqueue(self, kind: str, dedupe_key: str, payload: dict[str, Any], *, source: str = "",
                nonce: str | None = None, ref: str | None = None, max_attempts: int = 4,
                dedupe_window_seconds: float = 0.0) -> Enqueued:
        """Store a job, or merge into an active job (queued, running, or done within the window) with
        the same key. A `nonce` seen before raises ReplayError and stores nothing."""
        ...

    def remember(self, nonce: str) -> None:
        """Record a nonce for a request that enqueues nothing; ReplayError when it was seen before."""
        ...

    def claim(self, worker: str, lease_seconds: float) -> Job | None:
        """Take the oldest runnable job (expired leases of crashed workers count as runnable)."""
        ...

    def heartbeat(self, job_id: str, worker: str, lease_seconds: float) -> bool: ...

    def save_result(self, job_id: str, worker: str, result: dict[str, Any]) -> bool:
        """Keep partial results (the report) so a retry after a failed delivery does not redo work."""
        ...

    def complete(self, job_id: str, worker: str, result: dict[str, Any] | None = None) -> bool: ...

    def fail(self, job_id: str, worker: str, error: str, *, retry: bool = True) -> JobState:
        """Back to `queued` after the backoff, or `dead` when attempts are spent or retry is False."""
        ...

    def close_incident(self, dedupe_key: str, status: str) -> list[str]:
        """Record an incident's new status (acknowledged, resolved) on its jobs; resolved cancels
        jobs that have not started. Returns the ids touched."""
        ...

    def retry(self, job_id: str) -> bool:
        """Put a dead (or cancelled) job back in the queue with fresh attempts."""
        ...

    def get(self, job_id: str) -> Job | None: ...

    def find_by_ref(self, ref: str) -> Job | None:
        """The newest job with this reply reference (e.g. a Slack thread)."""
        ...

    def list(self, states: tuple[JobState, ...] | None = None, limit: int = 50) -> list[Job]: ...

    def counts(self) -> dict[str, int]: ...

    def ping(self) -> None:
        """Raise QueueError when the store is unusable (for /readyz)."""
        ...

    def close(self) -> None: ...


def open_queue(url: str, backoff: Backoff | None = None) -> JobQueue:
    """A queue from a URL: `sqlite:////abs/jobs.db`, `sqlite:///relative.db`, a plain path, or `postgresql://...`."""
    if url.startswith(("postgresql://", "postgres://")):
        from agent.queue.postgres import PostgresQueue

        return PostgresQueue(url, backoff=backoff)
    from agent.queue.sqlite import SQLiteQueue

    # SQLAlchemy's spelling: sqlite:///relative.db, sqlite:////absolute/path.db; a bare path works too.
    path = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else url.removeprefix("sqlite:")
    return SQLiteQueue(Path(path), backoff=backoff)


class AsyncQueue:
    """The same queue for async code: each call runs in a worker thread."""

    def __init__(self, queue: JobQueue) -> None:
        self.sync = queue

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        return await anyio.to_thread.run_sync(lambda: fn(*args, **kwargs))

    async def enqueue(self, kind: str, dedupe_key: str, payload: dict[str, Any], **kwargs: Any) -> Enqueued:
        return await self.run(self.sync.enqueue, kind, dedupe_key, payload, **kwargs)

    async def remember(self, nonce: str) -> None:
        await self.run(self.sync.remember, nonce)

    async def claim(self, worker: str, lease_seconds: float) -> Job | None:
        return await self.run(self.sync.claim, worker, lease_seconds)

    async def heartbeat(self, job_id: str, worker: str, lease_seconds: float) -> bool:
        return await self.run(self.sync.heartbeat, job_id, worker, lease_seconds)

    async def save_result(self, job_id: str, worker: str, result: dict[str, Any]) -> bool:
        return await self.run(self.sync.save_result, job_id, worker, result)

    async def complete(self, job_id: str, worker: str, result: dict[str, Any] | None = None) -> bool:
        return await self.run(self.sync.complete, job_id, worker, result)

    async def fail(self, job_id: str, worker: str, error: str, *, retry: bool = True) -> JobState:
        return await self.run(self.sync.fail, job_id, worker, error, retry=retry)

    async def close_incident(self, dedupe_key: str, status: str) -> list[str]:
        return await self.run(self.sync.close_incident, dedupe_key, status)

    async def get(self, job_id: str) -> Job | None:
        return await self.run(self.sync.get, job_id)

    async def find_by_ref(self, ref: str) -> Job | None:
        return await self.run(self.sync.find_by_ref, ref)

    async def counts(self) -> dict[str, int]:
        return await self.run(self.sync.counts)

    async def ping(self) -> None:
        await self.run(self.sync.ping)
