"""Retries with jittered exponential backoff, the only retry layer around model calls.

The SDKs' own retries are switched off (max_retries=0) so that one policy decides how long Vigil
waits, a Retry-After header is honoured exactly once, and the budget tracker sees the real time.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

import anyio

from agent.llm.base import ModelError, ModelRateLimited

log = logging.getLogger(__name__)

T = TypeVar("T")

RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504, 529})
"""Statuses worth another try: timeouts, conflicts, rate limits, server errors, Anthropic's overload."""


@dataclass
class RetryPolicy:
    """How often and how long to retry a failed call."""

    max_retries: int = 3
    """Retries after the first attempt; 0 means one attempt only."""
    base_delay_s: float = 0.5
    """First backoff delay; doubled each retry. Tests pass milliseconds here to stay fast."""
    max_delay_s: float = 30.0
    """Cap on one computed backoff delay."""
    max_retry_after_s: float = 120.0
    """A server asking us to wait longer than this gets no retry: the call fails at once."""
    rng: random.Random = field(default_factory=random.Random)
    """Source of jitter; seed it for reproducible delays."""

    def backoff(self, retry: int) -> float:
        """Delay before retry number `retry` (0-based): half fixed, half random ("equal jitter").

        The fixed half keeps a floor under the wait; the random half spreads clients apart.
        """
        ceiling = min(self.max_delay_s, self.base_delay_s * (2**retry))
        return ceiling / 2 + self.rng.uniform(0, ceiling / 2)


def parse_retry_after(headers: Mapping[str, str] | None, now: datetime | None = None) -> float | None:
    """Seconds the server asked us to wait, from `retry-after-ms` or `Retry-After`.

    Retry-After may be delta-seconds or an HTTP date (RFC 9110 section 10.2.3); a date in the
    past means "now". Anything unparsable is ignored rather than trusted.
    """
    if not headers:
        return None
    lowered = {k.lower(): v for k, v in headers.items()}
    millis = lowered.get("retry-after-ms")
    if millis is not None:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = lowered.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = now or datetime.now(UTC)
    return max(0.0, (when - current).total_seconds())


@dataclass
class Attempt:
    """What one failed attempt tells the retry loop."""

    error: ModelError
    retry_after_s: float | None = None


async def call_with_retries(
    attempt: Callable[[], Awaitable[T]],
    classify: Callable[[BaseException], Attempt | None],
    policy: RetryPolicy,
    what: str,
) -> T:
    """Run `attempt`, retrying what `classify` marks retryable, and raise a ModelError at the end.

    `classify` turns a provider exception into an Attempt (or None for exceptions that are not
    the provider's, which propagate untouched).
    """
    retry = 0
    while True:
        try:
            return await attempt()
        except Exception as exc:
            failed = classify(exc)
            if failed is None:
                raise
            error = failed.error
            if not error.retryable or retry >= policy.max_retries:
                raise error from exc
            if failed.retry_after_s is not None:
                if failed.retry_after_s > policy.max_retry_after_s:
                    raise ModelRateLimited(
                        f"{error}; the server asked to wait {failed.retry_after_s:.0f}s, more than the "
                        f"{policy.max_retry_after_s:.0f}s Vigil will wait",
                        retryable=False,
                        status=error.status,
                    ) from exc
                delay = failed.retry_after_s
            else:
                delay = policy.backoff(retry)
            log.info("%s failed (%s); retry %d/%d in %.2fs", what, error, retry + 1, policy.max_retries, delay)
            await anyio.sleep(delay)
            retry += 1
