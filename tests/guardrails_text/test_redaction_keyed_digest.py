"""Digest-shaped keys (32-hex, UUID) right after a credential word are secrets; digests elsewhere are not.

Hex strings and UUIDs are exempt from the entropy rule because trace ids, commit SHAs and checksums
have that shape. Many vendors' API keys have it too (Datadog, Mailgun, New Relic 32-hex keys, Heroku
UUID keys), and in prose or `key: value` text the word in front says which it is.
"""

import pytest

from guardrails.redaction import redact_text

HEX = "7d1f0b3a9c8e4d2f6a5b1c0e9d8f7a6b"
UUID = "2f7c9a1e-3b4d-4e5f-8a6b-7c8d9e0f1a2b"


@pytest.mark.parametrize(
    "line, secret",
    [
        (f"my api key is {HEX}", HEX),
        (f"token is {HEX}", HEX),
        (f"api key: {HEX}", HEX),
        (f"the API key {HEX} was rotated yesterday", HEX),
        (f'HEROKU api key = "{UUID}"', UUID),
        (f"level=info msg=\"using license key {HEX}\"", HEX),
        (f"secret: '{HEX}'", HEX),
    ],
)
def test_a_digest_shaped_value_named_by_a_credential_word_is_redacted(line: str, secret: str) -> None:
    out = redact_text(line).text
    assert secret not in out
    assert "[REDACTED:" in out


@pytest.mark.parametrize(
    "line",
    [
        f"trace_id={HEX} auth ok",
        f"token hash {HEX}",
        f"commit {HEX} fixes token refresh",
        f"request_id={UUID} token refreshed",
        f"auth service returned span {HEX}",
        f"token refresh took 12ms (trace {HEX})",
        "password reset for user 1234 at 2026-12-04T10:00:00Z",
    ],
)
def test_digests_not_named_as_credentials_stay(line: str) -> None:
    assert redact_text(line).text == line
