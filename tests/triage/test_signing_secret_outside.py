"""signing_secret: rejection wordings of other verifiers (issue #12 audit of agent.triage.signing_secret).

Shape: a .NET API validating HS256 tokens with a key from a Secret (`IDX10503: Signature validation failed`),
reloaded after the Secret's write. Wordings: Auth0 java-jwt, Rails MessageVerifier, itsdangerous, go-jose. Twins:
.NET's lifetime failure (`IDX10223: Lifetime validation failed. The token is expired`), which blames time, not the
key, and the same rejection first printed before the write.
"""

from __future__ import annotations

from datetime import timedelta

from agent.triage.signing_secret import rejects, suspects
from tests.triage.test_signing_secret import AT, stripe

DOTNET = ("Microsoft.IdentityModel.Tokens.SecurityTokenSignatureKeyNotFoundException: IDX10503: Signature validation "
          "failed. Token does not have a kid. Keys tried: 'System.Text.StringBuilder'.")


def test_dotnet_hs256_key_secret_rewritten_and_its_before_the_write_twin() -> None:
    [(ref, _, _, explains)] = suspects(stripe(message=DOTNET))
    assert (ref.kind, ref.name) == ("Secret", "psp-signing") and explains[0].name == "hooks"
    assert suspects(stripe(message=DOTNET, first=AT - timedelta(minutes=55))) == []


def test_other_verifiers_wordings_and_a_lifetime_failure() -> None:
    for text in ("com.auth0.jwt.exceptions.SignatureVerificationException: The Token's Signature resulted invalid "
                 "when verified using the Algorithm: HmacSHA256",
                 "ActiveSupport::MessageVerifier::InvalidSignature",
                 "itsdangerous.exc.BadSignature: Signature b'x1' does not match",
                 "invalid bearer token, square/go-jose: error in cryptographic primitive"):
        assert rejects({"message": text}), text
    assert not rejects({"message": "IDX10223: Lifetime validation failed. The token is expired."})
