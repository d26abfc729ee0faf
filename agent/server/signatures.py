"""Proving a webhook came from who it claims: PagerDuty v3 signatures and Alertmanager credentials.

PagerDuty signs the raw body with HMAC-SHA256 under the subscription's secret and sends
`X-PagerDuty-Signature: v1=<hex>[,v1=<hex>...]` (several signatures while a secret rotates). We
accept the request when any signature matches any configured secret, comparing in constant time.
Alertmanager cannot sign, so its receiver is protected with a bearer token or basic auth, which is
what Alertmanager's `http_config` can send. Slack signs `v0:{timestamp}:{body}` the same way.

Every comparison is on bytes, and a header that is not plain ASCII (HTTP servers hand such bytes
over as Latin-1 text) is simply a wrong signature: `hmac.compare_digest` refuses non-ASCII `str`
with a TypeError, which would otherwise surface as a 500.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable

SLACK_TOLERANCE_SECONDS = 300
"""Slack's documented freshness window for `X-Slack-Request-Timestamp`, in both directions."""
_SLACK_TS = re.compile(r"[0-9]{1,12}", re.ASCII)
_HEX_SIG = re.compile(rb"[0-9a-f]{64}")


def _ascii(value: str | None) -> bytes | None:
    """The header as bytes when it is plain ASCII, else None (a header nobody honest sends)."""
    if value is None:
        return None
    try:
        return value.encode("ascii")
    except UnicodeEncodeError:
        return None


def pagerduty_signature(secret: str, body: bytes) -> str:
    """The header value PagerDuty would send for `body` (used by tests and the benchmark)."""
    return "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_pagerduty(header: str | None, body: bytes, secrets: Iterable[str]) -> bool:
    """True when one of the `v1=` signatures in the header matches the body under one of the secrets."""
    raw = _ascii(header)
    if not raw:
        return False
    offered = [part.strip()[3:].lower() for part in raw.split(b",") if part.strip().startswith(b"v1=")]
    offered = [sig for sig in offered if _HEX_SIG.fullmatch(sig)]
    if not offered:
        return False
    for secret in secrets:
        expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest().encode()
        if any(hmac.compare_digest(expected, sig) for sig in offered):
            return True
    return False


def slack_signature(secret: str, timestamp: str, body: bytes) -> str:
    """The `X-Slack-Signature` Slack would send (v0: HMAC-SHA256 over `v0:{timestamp}:{body}`)."""
    base = b"v0:" + timestamp.encode("ascii") + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def slack_problem(secret: str, body: bytes, timestamp: str | None, signature: str | None, now: float,
                  tolerance: float = SLACK_TOLERANCE_SECONDS) -> str | None:
    """Why a Slack request is not authentic (a sentence for the 401), or None when it is.

    The timestamp must be whole seconds within `tolerance` of `now` either way (a capture replayed
    later, or a forged far-future one, both fail) and the signature must match the raw bytes.
    """
    if not timestamp or not _SLACK_TS.fullmatch(timestamp):
        return "X-Slack-Request-Timestamp is missing or not a whole number of seconds"
    if abs(now - int(timestamp)) > tolerance:
        return (f"X-Slack-Request-Timestamp is more than {tolerance:.0f}s from this server's clock; a replayed "
                "request, or a clock to fix")
    offered = _ascii(signature)
    if not offered:
        return "X-Slack-Signature is missing or not ASCII"
    expected = slack_signature(secret, timestamp, body).encode()
    if not hmac.compare_digest(expected, offered):
        return "X-Slack-Signature does not match the body; check the app's signing secret"
    return None


def split_secrets(values: Iterable[str | None]) -> list[str]:
    """Secrets from env values that may each hold several, comma-separated (old and new during rotation)."""
    out: list[str] = []
    for value in values:
        out += [s.strip() for s in (value or "").split(",") if s.strip()]
    return out


def verify_http_auth(header: str | None, *, bearer: str | None, basic_user: str | None,
                     basic_password: str | None) -> bool:
    """Bearer token or basic credentials, whichever is configured, compared in constant time."""
    raw = _ascii(header)
    if not raw:
        return False
    scheme, _, value = raw.decode("ascii").partition(" ")
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
