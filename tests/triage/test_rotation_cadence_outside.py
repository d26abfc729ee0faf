"""agent.triage.rotation_cadence against verifiers other than the round's (a Go gateway, jwks-rsa in Node).

Shapes: an Istio/Envoy sidecar's `Jwks doesn't have key to match kid or alg from Jwt` (no cache setting in the
consumer: the daily bound) under a signing-key CronJob moved to every 6 h; a Spring resource server's `Signed JWT
rejected: ... no matching key(s) found` with its `JWK_SET_CACHE_TTL=6h` env, a roller moved to every 2 h; the
wordings of .NET (IDX10501), lestrrat jwx and auth0's Java client. Twins: a cache (1 h) shorter than the 6-hourly
rotation; a token without a kid (IDX10503); a verifier's plain expired token.
"""

from __future__ import annotations

from agent.triage import rotation_cadence as rc
from agent.triage.rotation_cadence import KID_MISS
from tests.triage.test_rotation_cadence import Hub, _edit, _facts, _found

ENVOY = ("[2026-09-03T14:10:02.118Z] \"GET /v1/orders HTTP/1.1\" 401 - jwt_authn_access_denied{Jwks_doesn't_have_"
         "key_to_match_kid_or_alg_from_Jwt} Jwks doesn't have key to match kid or alg from Jwt")
SPRING = ("org.springframework.security.oauth2.server.resource.InvalidBearerTokenException: An error occurred while "
          "attempting to decode the Jwt: Signed JWT rejected: Another algorithm expected, or no matching key(s) found")


def test_an_istio_sidecars_kid_miss_under_a_six_hourly_rotation_is_named() -> None:
    facts = _facts([_edit("auth", "signing-key-rotate", "0 */6 * * *", 7)], "orders", "orders-api", ENVOY)
    hub = Hub({"signing-key-rotate": ["ghcr.io/acme/keyctl:3", "rotate", "--jwks"]}, "0 */6 * * *")
    [r] = _found(facts, hub)
    head = rc.finding(r)["message"][:400]
    assert r.target.name == "signing-key-rotate" and "every 6 h" in head and "kid" in head


def test_a_spring_resource_servers_no_matching_key_under_a_two_hourly_roller_is_named() -> None:
    facts = _facts([_edit("idp", "jwk-rekey", "0 */2 * * *", 4)], "billing", "invoices", SPRING)
    hub = Hub({"jwk-rekey": ["ghcr.io/acme/idp-tools:5", "rekey"]}, "0 */2 * * *",
              env=[{"name": "JWK_SET_CACHE_TTL", "value": "6h"}])
    [r] = _found(facts, hub)
    assert r.cache is not None and r.cache.total_seconds() == 6 * 3600 and r.every.total_seconds() == 2 * 3600


def test_other_verifiers_wordings_of_a_kid_miss() -> None:
    for line in ("Microsoft.IdentityModel.Tokens.SecurityTokenSignatureKeyNotFoundException: IDX10501: Signature "
                 "validation failed. Unable to match key: kid: 'k-2026-09-03'",
                 'failed to verify jws: failed to find key with key ID "k-2026-09-03" in key set',
                 "com.auth0.jwk.SigningKeyNotFoundException: No key found in https://idp.example.com/.well-known/"
                 "jwks.json with kid k-2026-09-03"):
        assert KID_MISS.search(line), line


def test_twin_a_cache_shorter_than_the_rotation() -> None:
    facts = _facts([_edit("idp", "jwk-rekey", "0 */6 * * *", 8)], "billing", "invoices", SPRING)
    hub = Hub({"jwk-rekey": ["ghcr.io/acme/idp-tools:5", "rekey"]}, "0 */6 * * *",
              env=[{"name": "JWK_SET_CACHE_TTL", "value": "1h"}])
    assert _found(facts, hub) == []


def test_twin_errors_that_are_no_kid_miss() -> None:
    assert not KID_MISS.search("IDX10503: Signature validation failed. Token does not have a kid. Keys tried: '[]'.")
    assert not KID_MISS.search("IDX10223: Lifetime validation failed. The token is expired.")
    facts = _facts([_edit("auth", "signing-key-rotate", "0 */6 * * *", 7)], "orders", "orders-api",
                   'level=warn msg="token rejected" err="Jwt is expired" status=401')
    hub = Hub({"signing-key-rotate": ["ghcr.io/acme/keyctl:3", "rotate"]}, "0 */6 * * *")
    assert _found(facts, hub) == []
