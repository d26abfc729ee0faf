"""agent.triage.claim_time: a token time-claim setting written before validators refuse fresh tokens as early.

Written here, not taken from the held-out bundles. Shapes: an identity provider's rollout adding an env
`JWT_NBF_OFFSET_SECONDS` while a Node.js API's pods on three nodes say `NotBeforeError: jwt not active`; a Python
validator's own ConfigMap whose `auth.clock-leeway-seconds` went 60 -> 0 while its pods log PyJWT's
`ImmatureSignatureError: The token is not yet valid (iat)`. Twins: the issuer's rollout that changed only its
image under the same refusals; the same not-before write while validators refuse EXPIRED tokens (not early); the
write made after the refusals began; the refusals confined to one node whose clock gauge is off; a certificate
`not yet valid` (not a token).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import claim_time
from agent.triage.facts import Facts, LogEvidence, Ref

AT = datetime(2026, 10, 2, 9, 0, tzinfo=UTC)
NODE_JS = "NotBeforeError: jwt not active at /app/node_modules/jsonwebtoken/verify.js:165 (date: 2026-10-02T08:41:10Z)"
PYJWT = "jwt.exceptions.ImmatureSignatureError: The token is not yet valid (iat)"


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def change(kind: str, ns: str, name: str, minutes_before: int, diff: str) -> dict[str, Any]:
    return {"at": iso(AT - timedelta(minutes=minutes_before)), "type": "rollout" if kind == "Deployment" else "config",
            "object": {"kind": kind, "namespace": ns, "name": name}, "summary": f"{kind} {ns}/{name} written",
            "diff": [diff], "related": []}


ISSUER = change("Deployment", "idp", "login-issuer", 40,
                "login-issuer env JWT_NBF_OFFSET_SECONDS (unset) -> JWT_NBF_OFFSET_SECONDS='45'")
LEEWAY = change("ConfigMap", "billing", "invoice-api-settings", 25,
                "data key auth.clock-leeway-seconds '60' -> '0'")


def refusal(pod: str, ns: str, line: str, first_minutes_before: int = 20) -> LogEvidence:
    entry = {"message": line, "example": line, "severity": "warning",
             "first_seen": iso(AT - timedelta(minutes=first_minutes_before))}
    return LogEvidence(pod=pod, namespace=ns, evidence_id=f"L-{pod}", top=entry, hosts=[],
                       error_classes={"auth_failure"}, previous=False)


def facts_of(changes: list[dict[str, Any]], logs: list[LogEvidence]) -> Facts:
    facts = Facts(at=AT, changes_id="C1", changes={"changes": changes})
    facts.logs = logs
    return facts


NODE_PODS = [refusal(f"cart-api-6d8f9c7b5-{s}", "shop", NODE_JS) for s in ("x2k4q", "p9z7m", "r4t6w")]
PY_PODS = [refusal(f"invoice-api-5f7c9d8b6-{s}", "billing", PYJWT) for s in ("abcde", "fghij")]


def test_an_issuer_not_before_offset_is_named_over_the_refusing_api() -> None:
    [(ref, finding, evidence, explains)] = claim_time.suspects(facts_of([ISSUER], NODE_PODS))
    assert ref == Ref("Deployment", "idp", "login-issuer")
    assert "JWT_NBF_OFFSET_SECONDS" in finding["message"] and "jwt not active" in finding["message"]
    assert explains == [Ref("", "shop", "cart-api")] and "C1" in evidence


def test_a_validator_leeway_cut_to_zero_is_named() -> None:
    [(ref, finding, _, _)] = claim_time.suspects(facts_of([LEEWAY], PY_PODS))
    assert ref == Ref("ConfigMap", "billing", "invoice-api-settings")
    assert "clock-leeway-seconds" in finding["message"] and "not yet valid (iat)" in finding["message"]


def test_an_image_only_rollout_of_the_issuer_is_not_named() -> None:
    image = change("Deployment", "idp", "login-issuer", 40, "login-issuer image idp:4.1.0 -> idp:4.2.0")
    assert claim_time.suspects(facts_of([image], NODE_PODS)) == []


def test_a_not_before_write_while_tokens_are_refused_as_expired_is_not_named() -> None:
    expired = [refusal("cart-api-6d8f9c7b5-x2k4q", "shop", "TokenExpiredError: jwt expired")]
    assert claim_time.suspects(facts_of([ISSUER], expired)) == []


def test_a_write_after_the_refusals_began_is_not_named() -> None:
    late = [refusal(p.pod, "shop", NODE_JS, first_minutes_before=90) for p in NODE_PODS]
    assert claim_time.suspects(facts_of([ISSUER], late)) == []


def test_refusals_on_one_node_whose_clock_is_off_are_left_to_the_clock() -> None:
    clean = LogEvidence(pod="cart-api-6d8f9c7b5-p9z7m", namespace="shop", evidence_id="L2", top=None, hosts=[],
                        error_classes=set(), previous=False)
    facts = facts_of([ISSUER], [NODE_PODS[0], clean])
    facts.topologies = [({"subject": {"kind": "Deployment", "namespace": "shop", "name": "cart-api"},
                          "pods": [{"name": "cart-api-6d8f9c7b5-x2k4q", "node": "node-a", "phase": "Running"},
                                   {"name": "cart-api-6d8f9c7b5-p9z7m", "node": "node-b", "phase": "Running"}]},
                         "T1")]
    facts.metrics = [({"samples": [{"labels": {"__name__": "node_timex_offset_seconds", "node": "node-a"},
                                    "value": -48.0}]}, "M1")]
    assert claim_time.suspects(facts) == []


def test_a_certificate_not_yet_valid_is_not_a_token_claim() -> None:
    cert = [refusal("cart-api-6d8f9c7b5-x2k4q", "shop",
                    "x509: certificate has expired or is not yet valid: current time is before 2026-10-02T09:10:00Z")]
    assert claim_time.suspects(facts_of([ISSUER], cert)) == []


def test_it_is_registered_behind_the_symptoms() -> None:
    from agent.triage import behind
    assert claim_time in behind.MODULES and behind.WEIGHTS[claim_time.CHECK] == claim_time.WEIGHT


# Other libraries' words for an early token (issue #12): panva jose and lestrrat jwx name the claim, then say the
# check failed; both failed before the link knew them. Their "exp" forms are expiry (twins).
JOSE = 'JWTClaimValidationFailed: "nbf" claim timestamp check failed'
JWX = 'failed to validate token: "iat" not satisfied'


def test_a_jose_not_before_refusal_after_the_issuer_offset_names_the_issuer() -> None:
    pods = [refusal(f"orders-api-7b9c6d5f4-{s}", "shop", JOSE) for s in ("a1b2c", "d3e4f")]
    [(ref, finding, _, _)] = claim_time.suspects(facts_of([ISSUER], pods))
    assert ref == Ref("Deployment", "idp", "login-issuer") and "claim timestamp check failed" in finding["message"]


def test_a_jose_expiry_refusal_is_not_an_early_token() -> None:
    pods = [refusal("orders-api-7b9c6d5f4-a1b2c", "shop", JOSE.replace('"nbf"', '"exp"'))]
    assert claim_time.suspects(facts_of([ISSUER], pods)) == []


def test_a_jwx_issued_at_refusal_after_a_leeway_cut_names_the_setting() -> None:
    pods = [refusal("invoice-api-5f7c9d8b6-abcde", "billing", JWX)]
    [(ref, _, _, _)] = claim_time.suspects(facts_of([LEEWAY], pods))
    assert ref == Ref("ConfigMap", "billing", "invoice-api-settings")


def test_a_jwx_expiry_refusal_is_not_an_early_token() -> None:
    pods = [refusal("invoice-api-5f7c9d8b6-abcde", "billing", JWX.replace('"iat"', '"exp"'))]
    assert claim_time.suspects(facts_of([LEEWAY], pods)) == []
