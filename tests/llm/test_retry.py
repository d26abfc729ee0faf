"""Retry policy pieces: Retry-After parsing and the jittered backoff."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from agent.llm import ModelError, ModelRateLimited, RetryPolicy
from agent.llm.retry import Attempt, call_with_retries, parse_retry_after

NOW = datetime(2026, 11, 23, 20, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"retry-after": "1.5"}, 1.5),
        ({"retry-after": "Mon, 23 Nov 2026 20:00:30 GMT"}, 30.0),
        ({"retry-after": "Mon, 23 Nov 2026 19:59:00 GMT"}, 0.0),  # a date in the past: go now
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),  # the precise header wins
        ({"retry-after": "soon"}, None),
        ({}, None),
        (None, None),
    ],
)
def test_parse_retry_after(headers: dict[str, str] | None, seconds: float | None) -> None:
    assert parse_retry_after(headers, now=NOW) == seconds


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    policy = RetryPolicy(base_delay_s=1.0, max_delay_s=5.0, rng=random.Random(7))
    for retry, ceiling in [(0, 1.0), (1, 2.0), (2, 4.0), (3, 5.0), (6, 5.0)]:
        delays = [policy.backoff(retry) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 1  # jittered, not a fixed schedule


@pytest.mark.anyio
async def test_a_long_retry_after_fails_at_once_instead_of_hanging() -> None:
    attempts = 0

    async def attempt() -> str:
        nonlocal attempts
        attempts += 1
        raise RuntimeError("429")

    def classify(exc: BaseException) -> Attempt:
        return Attempt(ModelRateLimited("rate limited", retryable=True, status=429), retry_after_s=3600)

    with pytest.raises(ModelRateLimited, match="asked to wait 3600s"):
        await call_with_retries(attempt, classify, RetryPolicy(max_retry_after_s=60), "test")
    assert attempts == 1


@pytest.mark.anyio
async def test_foreign_exceptions_propagate_untouched() -> None:
    async def attempt() -> str:
        raise KeyError("bug in our code")

    with pytest.raises(KeyError):
        await call_with_retries(attempt, lambda exc: None, RetryPolicy(), "test")


@pytest.mark.anyio
async def test_retries_stop_after_max_retries() -> None:
    attempts = 0

    async def attempt() -> str:
        nonlocal attempts
        attempts += 1
        raise RuntimeError("503")

    def classify(exc: BaseException) -> Attempt:
        return Attempt(ModelError("HTTP 503", retryable=True, status=503))

    with pytest.raises(ModelError, match="503"):
        await call_with_retries(attempt, classify, RetryPolicy(max_retries=2, base_delay_s=0.001), "test")
    assert attempts == 3
