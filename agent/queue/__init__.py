"""The durable job queue behind Vigil's webhooks: SQLite (WAL) by default, PostgreSQL for replicas."""

from agent.queue.base import AsyncQueue, JobQueue, open_queue
from agent.queue.model import Backoff, Enqueued, Job, JobState, QueueError, ReplayError
from agent.queue.worker import JobContext, PermanentError, WorkerPool

__all__ = ["AsyncQueue", "Backoff", "Enqueued", "Job", "JobContext", "JobQueue", "JobState", "PermanentError",
           "QueueError", "ReplayError", "WorkerPool", "open_queue"]
