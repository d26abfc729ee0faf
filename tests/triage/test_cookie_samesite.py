"""A session cookie made SameSite=Strict, tied to the auth library's state-lost words (agent.triage.cookie_samesite).

Shapes in other software's words than any benchmark round: a Spring Boot gateway's env and Spring Security's
`authorization_request_not_found`, oauth2-proxy's flag and its missing CSRF cookie. Twins: the same write with
errors that are not about lost state, a write that loosened the cookie, and a Strict write to another workload of
the namespace than the one whose logins fail.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import cookie_samesite as cs
from agent.triage.facts import Facts, LogEvidence

AT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _rollout(name: str, diff: str, minutes: int = 40) -> dict[str, Any]:
    return {"at": (AT - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ"), "type": "rollout",
            "object": {"kind": "Deployment", "namespace": "portal", "name": name},
            "summary": f"Deployment portal/{name} rolled out revision 8: {diff}", "diff": [diff]}


def _log(pod: str, message: str) -> LogEvidence:
    return LogEvidence(pod=pod, namespace="portal", evidence_id="E5",
                       top={"message": message, "count": 40}, hosts=[], error_classes=set(), previous=False)


def _facts(changes: list[dict[str, Any]], logs: list[LogEvidence]) -> Facts:
    return Facts(at=AT, changes={"changes": changes}, changes_id="E2", logs=logs)


SPRING = ("o.s.s.o.c.w.OAuth2LoginAuthenticationFilter : [authorization_request_not_found] "
          "Authentication failed for /login/oauth2/code/okta")
PROXY = ("[2026/11/30 11:31:02] [oauthproxy.go:830] Error while loading CSRF cookie: http: named cookie not present")


def test_a_spring_gateways_session_cookie_made_strict_is_named() -> None:
    diff = ("gateway env SERVER_SERVLET_SESSION_COOKIE_SAME_SITE='lax' -> "
            "SERVER_SERVLET_SESSION_COOKIE_SAME_SITE='strict'")
    facts = _facts([_rollout("web-gateway", diff)], [_log("web-gateway-6f7d8c9b5-x2k4p", SPRING)])
    [h] = cs.hardened(facts)
    found = cs.finding(h)
    assert found["object"] == {"kind": "Deployment", "namespace": "portal", "name": "web-gateway"}
    assert h.old == "lax" and h.new == "strict" and "SameSite=Strict" in found["message"]
    assert "authorization_request_not_found" in found["message"]


def test_an_oauth2_proxy_flag_made_strict_is_named() -> None:
    diff = "oauth2-proxy args '--cookie-samesite=lax' -> '--cookie-samesite=strict'"
    facts = _facts([_rollout("sso-proxy", diff)], [_log("sso-proxy-7c9f5d6b8-q2w9z", PROXY)])
    [h] = cs.hardened(facts)
    assert h.key == "--cookie-samesite" and h.new == "strict"


def test_a_strict_cookie_without_lost_state_is_not_blamed() -> None:
    diff = "oauth2-proxy args '--cookie-samesite=lax' -> '--cookie-samesite=strict'"
    other = _log("sso-proxy-7c9f5d6b8-q2w9z",
                 "error redeeming code: dial tcp 10.0.0.7:443: connect: connection refused")
    assert cs.hardened(_facts([_rollout("sso-proxy", diff)], [other])) == []


def test_a_loosened_cookie_is_not_blamed_for_lost_state() -> None:
    diff = "gateway env SESSION_SAMESITE='Strict' -> SESSION_SAMESITE='Lax'"
    assert cs.hardened(_facts([_rollout("web-gateway", diff)], [_log("web-gateway-6f7d8c9b5-x2k4p", SPRING)])) == []


def test_a_strict_write_to_a_neighbour_does_not_explain_another_workloads_logins() -> None:
    diff = "admin env COOKIE_SAMESITE='lax' -> COOKIE_SAMESITE='strict'"
    facts = _facts([_rollout("admin-ui", diff)], [_log("web-gateway-6f7d8c9b5-x2k4p", SPRING)])
    assert cs.hardened(facts) == []


# Issue #12: other auth libraries' words for the login state that did not come back.
OTHER_LIBRARIES = [
    "production.ERROR: Laravel\\Socialite\\Two\\InvalidStateException in AbstractProvider.php:209",
    "social_core.exceptions.AuthStateMissing: Session value state missing.",
    "org.pac4j.core.exception.TechnicalException: State parameter is different from the one sent in "
    "authentication request. Session expired or possible threat of cross-site request forgery",
    "SimpleSAML\\Error\\NoState: NOSTATE - State information lost, and no way to restart the request",
    "level=error msg=\"oidc callback failed: oauth2 state mismatch\" path=/callback",
]
"""Laravel Socialite, python-social-auth, pac4j, SimpleSAMLphp, a Go OIDC middleware."""
OTHER_STATE = [
    "IllegalStateException: invalid state transition for order 4411: PAID -> NEW",
    "terraform state mismatch between backend and lock table",
    "session state store timed out after 5000ms (redis)",
]
"""The word `state` about something other than a login's stored state."""
STRICT = "gateway env SESSION_COOKIE_SAMESITE='Lax' -> SESSION_COOKIE_SAMESITE='Strict'"


def test_other_libraries_state_lost_words_name_the_strict_write() -> None:
    for message in OTHER_LIBRARIES:
        facts = _facts([_rollout("web-gateway", STRICT)], [_log("web-gateway-6f7d8c9b5-x2k4p", message)])
        [h] = cs.hardened(facts)
        assert h.target.name == "web-gateway" and h.new == "Strict", message


def test_other_state_words_are_not_a_lost_login() -> None:
    for message in OTHER_STATE:
        facts = _facts([_rollout("web-gateway", STRICT)], [_log("web-gateway-6f7d8c9b5-x2k4p", message)])
        assert cs.hardened(facts) == [], message


# Issue #12: the other flag of the same class, a cookie made Secure on a site reached over plain HTTP.
RAILS = "Can't verify CSRF token authenticity."
RAILS_ACCESS = ('10.4.0.9 - - [30/Nov/2026:11:42:10 +0000] "POST /users/sign_in HTTP/1.1" 422 1290 '
                '"http://crm.intra.example/users/sign_in" "Mozilla/5.0"')
ASPNET = ("Microsoft.AspNetCore.Antiforgery.DefaultAntiforgery: The required antiforgery cookie "
          "\".AspNetCore.Antiforgery.Xy1\" is not present.")


def _secure_log(pod: str, message: str, access: str) -> LogEvidence:
    return LogEvidence(pod=pod, namespace="portal", evidence_id="E5", top={"message": message, "count": 30},
                       hosts=[], error_classes=set(), previous=False, last_lines=[access])


def _config_write(name: str, diff: str) -> dict[str, Any]:
    return {"at": (AT - timedelta(minutes=25)).strftime("%Y-%m-%dT%H:%M:%SZ"), "type": "config",
            "object": {"kind": "ConfigMap", "namespace": "portal", "name": name},
            "summary": f"ConfigMap portal/{name} updated: {diff}", "diff": [diff]}


def _configmap(name: str, data: dict[str, str]) -> dict[str, Any]:
    return {"kind": "ConfigMap", "metadata": {"name": name, "namespace": "portal"}, "data": data}


def test_a_rails_apps_secure_cookie_on_a_plain_http_site_is_named() -> None:
    diff = "crm env FORCE_SECURE_COOKIES unset -> 'true'; crm env SESSION_COOKIE_SECURE='false' -> 'true'"
    facts = _facts([_rollout("crm", diff)], [_secure_log("crm-5d8f7b6c4-k2m9x", RAILS, RAILS_ACCESS)])
    [h] = cs.hardened(facts)
    found = cs.finding(h)
    assert found["object"]["name"] == "crm" and found["reason"] == "SecureCookieOnPlainHTTP"
    assert h.plain_site == "http://crm.intra.example" and "plain HTTP" in found["message"]


def test_an_aspnet_configmap_secure_flag_with_http_origins_is_named() -> None:
    diff = "data key Cookie__SecurePolicy_SecureCookie 'false' -> 'true'"
    facts = _facts([_config_write("hr-portal-settings", diff)],
                   [_secure_log("hr-portal-7c6b5d9f8-p4q8r", ASPNET, "GET /Account/Login 200")])
    facts.objects.append((_configmap("hr-portal-settings", {"PublicOrigin": "http://hr.corp.example:8080",
                                                            "Cookie__SecurePolicy_SecureCookie": "true"}), "E3"))
    [h] = cs.hardened(facts)
    assert h.target.kind == "ConfigMap" and h.new == "true" and h.plain_site == "http://hr.corp.example"


def test_a_secure_cookie_on_an_https_site_is_not_blamed() -> None:
    diff = "crm env SESSION_COOKIE_SECURE='false' -> 'true'"
    https = RAILS_ACCESS.replace("http://crm", "https://crm")
    assert cs.hardened(_facts([_rollout("crm", diff)], [_secure_log("crm-5d8f7b6c4-k2m9x", RAILS, https)])) == []


def test_a_configmap_secure_flag_with_https_origins_is_not_blamed() -> None:
    diff = "data key Cookie__SecurePolicy_SecureCookie 'false' -> 'true'"
    facts = _facts([_config_write("hr-portal-settings", diff)],
                   [_secure_log("hr-portal-7c6b5d9f8-p4q8r", ASPNET, "GET /Account/Login 200")])
    facts.objects.append((_configmap("hr-portal-settings", {"PublicOrigin": "https://hr.corp.example"}), "E3"))
    assert cs.hardened(facts) == []


def test_a_secure_write_without_dropped_cookie_words_is_not_blamed() -> None:
    diff = "crm env SESSION_COOKIE_SECURE='false' -> 'true'"
    log = _secure_log("crm-5d8f7b6c4-k2m9x", "PG::ConnectionBad: could not connect to server", RAILS_ACCESS)
    assert cs.hardened(_facts([_rollout("crm", diff)], [log])) == []


def test_a_secure_flag_switched_off_is_not_blamed() -> None:
    diff = "crm env SESSION_COOKIE_SECURE='true' -> 'false'"
    assert cs.hardened(_facts([_rollout("crm", diff)], [_secure_log("crm-5d8f7b6c4-k2m9x", RAILS, RAILS_ACCESS)])) == []
