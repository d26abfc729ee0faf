"""Workers: take jobs from the queue and run them, a bounded number at a time.

A job's handler is an async function. While it runs, a heartbeat renews the job's lease; if the
process dies, the lease runs out and another worker (or this one after a restart) takes the job
again. A handler that raises is retried with backoff until its attempts are spent, then the job is
dead-lettered (`vigil jobs list --state dead`, `vigil jobs retry ID`). `PermanentError` skips the
retries: retrying a payload that can never work only delays the dead letter.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from agent.queue.base import AsyncQueue, JobQueue
from agent.queue.liveness import this_process
from agent.queue.model import Job

log = logging.getLogger("vigil.queue")

Handler = Callable[[Job, "JobContext"], Awaitable[dict[str, Any] | None]]


class PermanentError(Exception):
    """A failure retrying cannot fix (a malformed payload): the job goes straight to dead."""


class JobContext:
    """What a handler may do besides returning: keep partial results so a retry can skip work."""

    def __init__(self, queue: AsyncQueue, job: Job, worker: str) -> None:
        self.queue = queue
        self.job = job
        self.worker = worker

    async def save(self, result: dict[str, Any]) -> None:
        self.job.result = result
        await self.queue.save_result(self.job.id, self.worker, result)


class WorkerPool:
    """Runs up to `concurrency` jobs at once from one queue, until `stop()`."""

    def __init__(self, queue: JobQueue, handlers: dict[str, Handler], *, concurrency: int = 2,
                 lease_seconds: float = 120.0, poll_seconds: float = 0.5, name: str | None = None,
                 on_finish: Callable[[Job, str], None] | None = None) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.queue = AsyncQueue(queue)
        self.handlers = handlers
        self.concurrency = concurrency
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self.name = name or str(this_process())
        """Host, boot id, pid and start time: a restart on this host can prove this worker dead."""
        self.on_finish = on_finish or (lambda job, outcome: None)
        """Told each job's outcome: `done`, `retry` or `dead` (for metrics)."""
        self.running: dict[str, Job] = {}
        self.processed = 0
        self.failed = 0
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()

    def wake(self) -> None:
        """Look for work now instead of at the next poll (called after an enqueue in this process)."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    async def run(self) -> None:
        """Claim and run jobs until stopped; waits for the jobs in flight before returning."""
        slots = asyncio.Semaphore(self.concurrency)
        tasks: set[asyncio.Task[None]] = set()
        try:
            while not self._stop.is_set():
                await slots.acquire()
                if self._stop.is_set():
                    slots.release()
                    break
                try:
                    job = await self.queue.claim(self.name, self.lease_seconds)
                except Exception as exc:  # the store is down: keep serving, try again shortly
                    log.warning("cannot claim a job: %s", exc)
                    job = None
                if job is None:
                    slots.release()
                    self._wake.clear()
                    try:
                        await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
                    except TimeoutError:
                        pass
                    continue
                task = asyncio.create_task(self._run_one(job, slots))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
        finally:
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)

    async def _run_one(self, job: Job, slots: asyncio.Semaphore) -> None:
        self.running[job.id] = job
        beat = asyncio.create_task(self._heartbeat(job))
        try:
            handler = self.handlers.get(job.kind)
            if handler is None:
                raise PermanentError(f"no handler for job kind {job.kind!r}")
            result = await handler(job, JobContext(self.queue, job, self.name))
            await self.queue.complete(job.id, self.name, result)
            self.processed += 1
            self.on_finish(job, "done")
        except Exception as exc:  # every failure is recorded on the job, never lost in a log only
            self.failed += 1
            permanent = isinstance(exc, PermanentError)
            state = await self.queue.fail(job.id, self.name, f"{type(exc).__name__}: {exc}", retry=not permanent)
            self.on_finish(job, "dead" if state == "dead" else "retry")
            log.warning("job %s failed (attempt %d/%d), now %s: %s", job.id, job.attempts, job.max_attempts, state, exc)
        finally:
            beat.cancel()
            self.running.pop(job.id, None)
            slots.release()

    async def _heartbeat(self, job: Job) -> None:
        interval = max(0.05, self.lease_seconds / 3)
        while True:
            await asyncio.sleep(interval)
            try:
                await self.queue.heartbeat(job.id, self.name, self.lease_seconds)
            except Exception as exc:
                log.warning("cannot renew the lease of %s: %s", job.id, exc)
