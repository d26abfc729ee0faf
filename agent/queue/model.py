"""The job queue's vocabulary: a job, its states, and the retry schedule.

A job is one unit of work a front door accepted: "investigate this incident and answer there".
Both backends (SQLite for one replica, PostgreSQL for several) store the same columns and follow
the same state machine, so the workers, the CLI and the tests never care which one is in use:

    queued ──claim──▶ running ──complete──▶ done
      ▲                  │
      └──fail (retry)────┤ (after a backoff; a crashed worker's lease expiry does the same)
                         └──fail (attempts spent)──▶ dead      queued ──close──▶ cancelled
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

JobState = Literal["queued", "running", "done", "dead", "cancelled"]
STATES: tuple[JobState, ...] = ("queued", "running", "done", "dead", "cancelled")
ACTIVE_STATES: tuple[JobState, ...] = ("queued", "running")


class QueueError(RuntimeError):
    """The queue's store cannot be reached or used; the message says which and what to check."""


class ReplayError(ValueError):
    """A request whose nonce (signature, delivery id) was already accepted once."""


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff between attempts, capped: base * factor**(attempt-1), at most `cap`."""

    base_seconds: float = 5.0
    factor: float = 3.0
    cap_seconds: float = 600.0

    def delay(self, attempt: int) -> float:
        return float(min(self.cap_seconds, self.base_seconds * self.factor ** max(0, attempt - 1)))


@dataclass
class Job:
    """One row of the jobs table, as both backends return it."""

    id: str
    kind: str
    dedupe_key: str
    state: JobState
    payload: dict[str, Any]
    attempts: int = 0
    max_attempts: int = 4
    deliveries: int = 1
    """How many accepted requests this job stands for (a burst of duplicates is merged, not lost)."""
    source: str = ""
    ref: str | None = None
    """Where the answer goes back, as a lookup key (`slack:C123:1712.0001`, `pagerduty:PABC123`)."""
    incident_status: str = "firing"
    last_error: str | None = None
    result: dict[str, Any] | None = None
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    updated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    run_after: datetime = field(default_factory=lambda: datetime.now(UTC))
    lease_until: datetime | None = None
    worker: str | None = None
    finished_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly view, for `vigil jobs show --json` and the HTTP API."""
        out: dict[str, Any] = {}
        for key, value in self.__dict__.items():
            out[key] = value.isoformat() if isinstance(value, datetime) else value
        return out


@dataclass(frozen=True)
class Enqueued:
    """What `enqueue` did: made a new job, or merged the request into an active one."""

    job_id: str
    created: bool
    state: JobState


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), default=str)


def loads(text: str | None) -> Any:
    return None if text in (None, "") else json.loads(text)  # type: ignore[arg-type]


def utcnow() -> datetime:
    return datetime.now(UTC)


def parse_time(value: Any) -> datetime | None:
    """Both stores keep times as ISO text (SQLite) or timestamptz (PostgreSQL)."""
    if value is None or isinstance(value, datetime):
        return value
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
