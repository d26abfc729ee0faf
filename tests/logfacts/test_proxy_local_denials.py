"""A 401/403 that an Envoy filter answered itself is the proxy's refusal, an error with its filter's words.

Envoy (and Istio's sidecars and gateways built on it) says who produced a response in `%RESPONSE_CODE_DETAILS%`:
`via_upstream` when the upstream answered, or the local filter's detail when the proxy refused on its own
(`jwt_authn_access_denied{...}`, `rbac_access_denied_matched_policy[...]`, `ext_authz_denied`, `ext_authz_error`;
Envoy's "Response code details" reference). Lines below are in Istio's default text access log format and in
Envoy's `json_format` as the Istio docs show them. A 401 the upstream answered stays a counted status, not an error.
"""

from __future__ import annotations

import json

from mcp_servers.common.logfacts.extract import extract

TEXT = ('[2026-12-05T13:40:12.000Z] "GET /v3/feed?page=1 HTTP/1.1" {status} - {details} "-" 0 40 0 - "10.244.2.1" '
        '"okhttp/4.12.0" "4ef1845b-3de6-404b-a976-ba4fcb145aa0" "bff.mobile.svc" "{upstream}"')


def _text(status: int, details: str, upstream: str = "-") -> str:
    return TEXT.format(status=status, details=details, upstream=upstream)


def test_a_jwt_filters_401_is_an_auth_failure_with_the_filters_words() -> None:
    facts = extract([_text(401, "jwt_authn_access_denied{Jwt_audiences_is_not_allowed}")] * 3)
    assert [(e.severity, e.error_class) for e in facts.errors] == [("error", "auth_failure")]
    assert "jwt_authn_access_denied{Jwt_audiences_is_not_allowed}" in facts.errors[0].template
    assert facts.status_codes == {"401": 3}


def test_an_rbac_or_ext_authz_403_is_a_permission_denial() -> None:
    facts = extract([_text(403, "rbac_access_denied_matched_policy[none]"), _text(403, "ext_authz_denied")])
    assert {e.error_class for e in facts.errors} == {"permission_denied"}
    assert len(facts.errors) == 2


def test_envoys_json_access_log_reads_the_same() -> None:
    record = {"start_time": "2026-12-05T13:40:12.000Z", "method": "GET", "path": "/v3/feed", "protocol": "HTTP/1.1",
              "response_code": 401, "response_flags": "-", "response_code_details": "jwt_authn_access_denied{Jwt_"
              "issuer_is_not_configured}", "upstream_host": None, "authority": "bff.mobile.svc", "duration": 0}
    facts = extract([json.dumps(record)] * 2)
    assert [(e.severity, e.error_class) for e in facts.errors] == [("error", "auth_failure")]
    assert "Jwt_issuer_is_not_configured" in facts.errors[0].template


def test_a_401_the_upstream_answered_stays_a_counted_status() -> None:
    facts = extract([_text(401, "via_upstream", "10.244.1.7:8080")] * 4)
    assert facts.errors == [] and facts.status_codes == {"401": 4}
