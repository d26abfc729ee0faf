"""Outside audit of agent.triage.jwt_policy: other gateways' JWT rules and their real refusal wording.

Written here from the software's own wording, not from any benchmark bundle. Shapes: Envoy Gateway's
SecurityPolicy (`jwt.providers[].issuer`) refused in the gateway's access log response details
(`jwt_authn_access_denied{Jwt_issuer_is_not_configured}`); Istio's RequestAuthentication refused with the 401
body a Python client prints (`Audiences in Jwt are not allowed`, spaces, not the underscore detail); Spring Cloud
Gateway's resource server configured from a ConfigMap (`issuer-uri`), refusing with Spring's `The iss claim is not
valid`; oauth2-proxy's ConfigMap (`oidc_issuer_url`) refusing with go-oidc's `id token issued by a different
provider`. Negative twins: the rule written AFTER the refusals began (by the line's own stamp, and by the survey's
first_seen); a ConfigMap write touching no JWT field before the same refusal; an app library's signature error
with a SecurityPolicy written; routine `Jwt is missing` refusals from before the write do not date it.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import jwt_policy as jp
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 11, 3, 14, 0, tzinfo=UTC)
ENVOY_GW = ('[2026-11-03T13:41:07.118Z] "GET /api/v1/invoices HTTP/2" 401 - jwt_authn_access_denied{Jwt_issuer_is_'
            'not_configured} - "-" 0 14 0 - "198.51.100.7" "Mozilla/5.0" "7f1c" "billing.example.com" "-"')
ISTIO_BODY = ("requests.exceptions.HTTPError: 401 Client Error: Unauthorized for url: "
              "http://ledger.finance.svc.cluster.local:8080/v2/entries body='Audiences in Jwt are not allowed'")
SPRING = ('2026-11-03T13:45:12.004Z  WARN 1 --- [ctor-http-nio-3] o.s.s.o.s.r.w.BearerTokenAuthenticationEntryPoint'
          ' : Bearer error="invalid_token", error_description="An error occurred while attempting to decode the Jwt: '
          'The iss claim is not valid"')
OAUTH2_PROXY = ('[2026/11/03 13:44:02] [oauthproxy.go:866] Error loading cookied session: unable to verify bearer '
                'token: oidc: id token issued by a different provider, expected "https://sso.example.com/realms/corp" '
                'got "https://sso.example.com/realms/staff"')


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _write(kind: str, ns: str, name: str, diff: str, minutes: int = 30) -> dict[str, Any]:
    return {"at": _iso(AT - timedelta(minutes=minutes)), "type": "other",
            "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} written by flux-kustomize: {diff}", "diff": [diff]}


def _log(pod: str, ns: str, text: str, first_seen: datetime | None = None,
         more: list[dict[str, Any]] | None = None) -> LogEvidence:
    top: dict[str, Any] = {"message": text, "example": text}
    if first_seen is not None:
        top["first_seen"] = _iso(first_seen)
    return LogEvidence(pod=pod, namespace=ns, evidence_id="E7", top=top, hosts=[], error_classes=set(),
                       previous=False, more=more or [])


def _found(changes: list[dict[str, Any]], logs: list[LogEvidence],
           objects: dict[tuple[str, str], dict[str, Any]] | None = None) -> list[jp.Narrowed]:
    facts = Facts(at=AT, changes={"changes": changes}, changes_id="E2", logs=logs)
    asyncio.run(jp.read(Subject(), facts, RecordingHub(objects=objects or {}), _iso(AT)))
    return jp.found(facts)


def _security_policy() -> dict[tuple[str, str], dict[str, Any]]:
    return {("SecurityPolicy", "billing-jwt"): {
        "kind": "SecurityPolicy", "metadata": {"name": "billing-jwt", "namespace": "edge"},
        "spec": {"targetRefs": [{"kind": "HTTPRoute", "name": "billing"}], "jwt": {"providers": [
            {"name": "corp", "issuer": "https://sso.example.com/realms/staff",
             "remoteJWKS": {"uri": "https://sso.example.com/realms/staff/protocol/openid-connect/certs"}}]}}}}


def test_envoy_gateway_security_policy_issuer_named_with_its_value() -> None:
    got = _found([_write("SecurityPolicy", "edge", "billing-jwt", "spec.jwt.providers[0].issuer")],
                 [_log("envoy-edge-gw-5d8f7c9b6-q2w3e", "envoy-gateway-system", ENVOY_GW)], _security_policy())
    assert [(str(n.target), n.part) for n in got] == [("SecurityPolicy edge/billing-jwt", "issuer")]
    message = jp.finding(got[0])["message"]
    assert message.startswith("SecurityPolicy edge/billing-jwt changed the proxy's jwt validation")
    assert "https://sso.example.com/realms/staff" in message and "iss claim" in message


def test_istio_refusal_as_the_401_body_a_client_prints() -> None:
    got = _found([_write("RequestAuthentication", "finance", "ledger-jwt", "spec.jwtRules[0].audiences")],
                 [_log("statements-7d9c8b5f4-abcde", "reports", ISTIO_BODY)])
    assert [(str(n.target), n.part) for n in got] == [("RequestAuthentication finance/ledger-jwt", "audience")]


def test_spring_cloud_gateway_issuer_uri_in_a_configmap() -> None:
    got = _found([_write("ConfigMap", "edge", "gateway-config",
                         "data.application.yaml: spring.security.oauth2.resourceserver.jwt.issuer-uri")],
                 [_log("api-gateway-6b7c8d9f5-zx8cv", "edge", SPRING)])
    assert [(str(n.target), n.part) for n in got] == [("ConfigMap edge/gateway-config", "issuer")]


def test_oauth2_proxy_issuer_in_its_configmap() -> None:
    got = _found([_write("ConfigMap", "auth", "oauth2-proxy", "data.oauth2_proxy.cfg: oidc_issuer_url")],
                 [_log("oauth2-proxy-5f6d7c8b9-m4n5b", "auth", OAUTH2_PROXY)])
    assert [(str(n.target), n.part) for n in got] == [("ConfigMap auth/oauth2-proxy", "issuer")]


def test_rule_written_after_the_refusals_began_is_not_named() -> None:
    stamped = ENVOY_GW.replace("13:41:07", "13:05:00")  # 25 minutes before the write at 13:30
    assert _found([_write("SecurityPolicy", "edge", "billing-jwt", "spec.jwt.providers[0].issuer")],
                  [_log("envoy-edge-gw-5d8f7c9b6-q2w3e", "envoy-gateway-system", stamped)], _security_policy()) == []
    assert _found([_write("RequestAuthentication", "finance", "ledger-jwt", "spec.jwtRules[0].audiences")],
                  [_log("statements-7d9c8b5f4-abcde", "reports", ISTIO_BODY,
                        first_seen=AT - timedelta(hours=2))]) == []


def test_routine_missing_jwt_refusals_do_not_date_the_rule() -> None:
    missing = {"message": "jwt_authn_access_denied{Jwt_is_missing}", "example": "401 Jwt is missing",
               "first_seen": _iso(AT - timedelta(hours=3))}
    got = _found([_write("RequestAuthentication", "finance", "ledger-jwt", "spec.jwtRules[0].audiences")],
                 [_log("statements-7d9c8b5f4-abcde", "reports", ISTIO_BODY, first_seen=AT - timedelta(minutes=20),
                       more=[missing])])
    assert [str(n.target) for n in got] == ["RequestAuthentication finance/ledger-jwt"]


def test_configmap_write_without_jwt_fields_is_not_named() -> None:
    assert _found([_write("ConfigMap", "edge", "gateway-config", "data.application.yaml: logging.level.root")],
                  [_log("api-gateway-6b7c8d9f5-zx8cv", "edge", SPRING)]) == []


def test_app_library_signature_error_is_no_proxy_refusal() -> None:
    jjwt = ("io.jsonwebtoken.security.SignatureException: JWT signature does not match locally computed signature. "
            "JWT validity cannot be asserted and should not be trusted.")
    assert _found([_write("SecurityPolicy", "edge", "billing-jwt", "spec.jwt.providers[0].issuer")],
                  [_log("billing-6c7d8e9f0-p0o9i", "billing", jjwt)], _security_policy()) == []
