"""agent.triage.header_overflow: a proxy written to forward more headers than its upstream accepts.

Written here, not taken from the held-out bundles. Shapes: a Traefik ForwardAuth middleware whose response headers
gained the access token, a Node upstream refusing `HPE_HEADER_OVERFLOW`; an Envoy config file (the change says only
"data key set", its value read back) allowing the ext_authz JWT header upstream, a Go upstream answering `431
Request Header Fields Too Large`. Twins: a cookie-flag write under the same refusals; the forwarding write while the
upstream refuses expired tokens; the forwarding write after the refusals began; the setting written off.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import behind, header_overflow
from agent.triage.facts import Facts, LogEvidence, Ref

AT = datetime(2026, 10, 21, 14, 0, tzinfo=UTC)
NODE = "Error: Parse Error: Header overflow code=HPE_HEADER_OVERFLOW reason=\"Header overflow\" at Socket.socketOnData"
GO = ("http: 2026/10/21 13:21:07 server.go:3411: 431 Request Header Fields Too Large from 10.8.3.14:51522 "
      "path=/reports")


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def write(kind: str, ns: str, name: str, minutes_before: int, diff: str) -> dict[str, Any]:
    return {"at": iso(AT - timedelta(minutes=minutes_before)), "type": "config",
            "object": {"kind": kind, "namespace": ns, "name": name}, "summary": f"{kind} {ns}/{name} written",
            "diff": [diff], "related": []}


FORWARD_AUTH = write("Middleware", "edge", "sso-forward", 50, "spec.forwardAuth.authResponseHeaders: "
                     "['X-Forwarded-User'] -> ['X-Forwarded-User', 'X-Auth-Request-Access-Token']")
ENVOY = write("ConfigMap", "mesh-edge", "edge-envoy", 45, "data key envoy.yaml set by argocd")
ENVOY_VALUE = ("static_resources:\n  listeners:\n  - filters:\n    - name: envoy.filters.http.ext_authz\n"
               "      authorization_response:\n        allowed_upstream_headers:\n"
               "          patterns: [{exact: x-jwt-payload}, {exact: authorization}]\n")


def upstream(pod: str, ns: str, line: str, first_minutes_before: int = 40) -> LogEvidence:
    entry = {"message": line, "example": line, "severity": "error",
             "first_seen": iso(AT - timedelta(minutes=first_minutes_before))}
    return LogEvidence(pod=pod, namespace=ns, evidence_id=f"L-{pod}", top=entry, hosts=[], error_classes=set(),
                       previous=False)


def configmap(ns: str, name: str, key: str, value: str) -> tuple[dict[str, Any], str]:
    return {"kind": "ConfigMap", "metadata": {"name": name, "namespace": ns}, "data": {key: value}}, "O1"


def facts_of(changes: list[dict[str, Any]], logs: list[LogEvidence],
             objects: list[tuple[dict[str, Any], str]] | None = None) -> Facts:
    return Facts(at=AT, changes_id="C1", changes={"changes": changes}, logs=logs, objects=objects or [])


def test_a_forward_auth_middleware_passing_the_token_is_named_over_the_node_upstream() -> None:
    [(ref, finding, evidence, explains)] = header_overflow.suspects(
        facts_of([FORWARD_AUTH], [upstream("reports-ui-6b7c8d9f5-x2k4q", "reports", NODE)]))
    assert ref == Ref("Middleware", "edge", "sso-forward")
    assert "authResponseHeaders" in finding["message"] and "HPE_HEADER_OVERFLOW" in finding["message"]
    assert explains == [Ref("", "reports", "reports-ui")] and "C1" in evidence


def test_an_envoy_file_allowing_the_jwt_upstream_is_named_from_its_read_value() -> None:
    [(ref, finding, _, _)] = header_overflow.suspects(
        facts_of([ENVOY], [upstream("ledger-web-5d6f7b8c9-q7z2m", "ledger", GO)],
                 [configmap("mesh-edge", "edge-envoy", "envoy.yaml", ENVOY_VALUE)]))
    assert ref == Ref("ConfigMap", "mesh-edge", "edge-envoy")
    assert "allowed_upstream_headers" in finding["message"] and "431 Request Header Fields Too Large" in \
        finding["message"]


def test_a_cookie_flag_write_under_the_same_refusals_is_not_named() -> None:
    cookie = write("ConfigMap", "sso", "auth-proxy", 50, "data key proxy.cfg: cookie_secure = false -> true")
    assert header_overflow.suspects(facts_of([cookie], [upstream("reports-ui-6b7c8d9f5-x2k4q", "reports",
                                                                 NODE)])) == []


def test_the_forwarding_write_while_the_upstream_refuses_expired_tokens_is_not_named() -> None:
    expired = upstream("reports-ui-6b7c8d9f5-x2k4q", "reports", "JsonWebTokenError: jwt expired (401 Unauthorized)")
    assert header_overflow.suspects(facts_of([FORWARD_AUTH], [expired])) == []


def test_a_forwarding_write_after_the_refusals_began_is_not_named() -> None:
    late = upstream("reports-ui-6b7c8d9f5-x2k4q", "reports", NODE, first_minutes_before=120)
    assert header_overflow.suspects(facts_of([FORWARD_AUTH], [late])) == []


def test_a_forwarding_setting_written_off_is_not_named() -> None:
    off = configmap("mesh-edge", "edge-envoy", "proxy.cfg", "pass_authorization_header = false\nset_xauthrequest=off\n")
    written = write("ConfigMap", "mesh-edge", "edge-envoy", 45, "data key proxy.cfg set by kubectl-edit")
    assert header_overflow.suspects(facts_of([written], [upstream("ledger-web-5d6f7b8c9-q7z2m", "ledger", GO)],
                                             [off])) == []


def test_registered_behind_the_survey() -> None:
    assert header_overflow in behind.MODULES and behind.WEIGHTS[header_overflow.CHECK] == header_overflow.WEIGHT
