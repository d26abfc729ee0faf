"""Proving a webhook came from who it claims: PagerDuty v3 signatures and Alertmanager credentials.

PagerDuty signs the raw body with HMAC-SHA256 under the subscription's secret and sends
`X-PagerDuty-Signature: v1=<hex>[,v1=<hex>...]` (several signatures while a secret rotates). We
accept the request when any signature matches any configured secret, comparing in constant time.
Alertmanager cannot sign, so its receiver is protected with a bearer token or basic auth, which is
what Alertmanager's `http_config` can send. (Slack's v0 scheme is checked by slack-bolt's own
verifier, the same code Slack's SDK ships.)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable


def pagerduty_signature(secret: str, body: bytes) -> str:
    """The header value PagerDuty would send for `body` (used by tests and the benchmark)."""
    return "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_pagerduty(header: str | None, body: bytes, secrets: Iterable[str]) -> bool:
    """True when one of the `v1=` signatures in the header matches the body under one of the secrets."""
    if not header:
        return False
    offered = [part.strip()[3:] for part in header.split(",") if part.strip().startswith("v1=")]
    if not offered:
        return False
    for secret in secrets:
        expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        if any(hmac.compare_digest(expected, sig.lower()) for sig in offered):
            return True
    return False


def split_secrets(values: Iterable[str | None]) -> list[str]:
    """Secrets from env values that may each hold several, comma-separated (old and new during rotation)."""
    out: list[str] = []
    for value in values:
        out += [s.strip() for s in (value or "").split(",") if s.strip()]
    return out


def verify_http_auth(header: str | None, *, bearer: str | None, basic_user: str | None,
                     basic_password: str | None) -> bool:
    """Bearer token or basic credentials, whichever is configured, compared in constant time."""
    if not header:
        return False
    scheme, _, value = header.partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer" and bearer:
        return hmac.compare_digest(value.strip().encode(), bearer.encode())
    if scheme == "basic" and basic_user and basic_password:
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            return False
        user, _, password = decoded.partition(":")
        return hmac.compare_digest(user.encode(), basic_user.encode()) & hmac.compare_digest(
            password.encode(), basic_password.encode())
    return False
