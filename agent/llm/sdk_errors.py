"""Turning the anthropic and openai SDK exceptions into Vigil's ModelError family.

Both SDKs are generated from the same template, so their exceptions share a shape: a status error
carrying the HTTP response, a connection error, and a timeout error that is a connection error.
"""

from __future__ import annotations

import re
from typing import Any

from agent.llm.base import ModelError, ModelRateLimited, ModelTimeout
from agent.llm.retry import RETRYABLE_STATUS, Attempt, parse_retry_after

_KEYISH = re.compile(r"(sk-[A-Za-z0-9_\-*]{4,}|key[-_][A-Za-z0-9_\-*]{8,})")
_NO_RETRY_CODES = frozenset({"insufficient_quota", "billing_hard_limit_reached"})
"""429s that are really billing problems: waiting will not help."""


def _error_fields(body: object) -> tuple[str, str]:
    """(type or code, message) from a provider error body, both possibly empty."""
    if not isinstance(body, dict):
        return "", ""
    err: Any = body.get("error", body)
    if not isinstance(err, dict):
        return "", str(err)[:200]
    kind = str(err.get("code") or err.get("type") or "")
    message = str(err.get("message") or "")
    return kind, message


def classify(
    exc: BaseException,
    provider: str,
    status_error: type[Exception],
    timeout_error: type[Exception],
    connection_error: type[Exception],
) -> Attempt | None:
    """Map one SDK exception to an Attempt; None when it is not an SDK error at all."""
    if isinstance(exc, TimeoutError):
        return Attempt(ModelTimeout(f"{provider} did not answer in time", retryable=True))
    if isinstance(exc, timeout_error):
        return Attempt(ModelTimeout(f"{provider} did not answer in time", retryable=True))
    if isinstance(exc, connection_error):
        return Attempt(ModelError(f"could not reach {provider}: {type(exc).__name__}", retryable=True))
    if isinstance(exc, status_error):
        status = int(getattr(exc, "status_code", 0))
        response = getattr(exc, "response", None)
        headers = dict(response.headers) if response is not None else {}
        kind, message = _error_fields(getattr(exc, "body", None))
        detail = kind
        if message and status not in (401, 403):
            detail = f"{kind}: {_KEYISH.sub('[redacted]', message)[:200]}" if kind else message[:200]
        text = f"{provider} answered HTTP {status}" + (f" ({detail})" if detail else "")
        if status in (401, 403):
            text += "; check that the API key environment variable holds a valid key"
        retryable = status in RETRYABLE_STATUS and kind not in _NO_RETRY_CODES
        cls = ModelRateLimited if status == 429 else ModelError
        return Attempt(cls(text, retryable=retryable, status=status), parse_retry_after(headers))
    return None
