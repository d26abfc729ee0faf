"""A proxy's JWT rule changed, its jwt filter refuses tokens (agent.triage.jwt_policy).

Written here, not taken from the held-out bundles. Shapes: an Istio RequestAuthentication narrowed to one
audience, the refusals only in the app's istio-proxy sidecar (read by `read`, the app container is clean); a Kong
`jwt` KongPlugin whose written config names a new issuer, the refusal in the gateway's own logs. Negative twins:
the same write with no proxy refusal on the path (the 401s are the app's own key miss), a KongPlugin write that
touches no JWT field, a refusal with no JWT rule written.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import jwt_policy as jp
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 10, 7, 9, 0, tzinfo=UTC)
ENVOY = ('[2026-10-07T08:50:01.000Z] "GET /v2/orders HTTP/1.1" 401 - jwt_authn_access_denied{Audiences_in_Jwt_are_'
         'not_allowed} "-" 0 14 0 - "10.1.2.3" "okhttp/4.12" "abc" "shop-api.shop.svc" "-"')
KONG = '2026/10/07 08:55:00 [warn] jwt plugin: No credentials found for given \'iss\' client=203.0.113.9'


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _write(kind: str, ns: str, name: str, diff: str, minutes: int = 30) -> dict[str, Any]:
    return {"at": _iso(AT - timedelta(minutes=minutes)), "type": "other",
            "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} written by argocd-controller: {diff}", "diff": [diff]}


def _log(pod: str, ns: str, text: str) -> LogEvidence:
    return LogEvidence(pod=pod, namespace=ns, evidence_id="E7", top={"message": text, "example": text}, hosts=[],
                       error_classes=set(), previous=False)


def _facts(changes: list[dict[str, Any]], logs: list[LogEvidence], ns: str, pod: str) -> Facts:
    topology = {"subject": {"kind": "Deployment", "namespace": ns, "name": pod.rsplit("-", 2)[0]},
                "pods": [{"name": pod, "namespace": ns}]}
    return Facts(at=AT, changes={"changes": changes}, changes_id="E2", topologies=[(topology, "E3")], logs=logs)


def _istio() -> tuple[Facts, RecordingHub]:
    facts = _facts([_write("RequestAuthentication", "mesh-root", "default-jwt",
                           'spec.jwtRules = [{"audiences": ["https://web.example.com"]}]')],
                   [_log("shop-api-6c9d8-x1x2x", "shop", "request ok")], "shop", "shop-api-6c9d8-x1x2x")
    rule = {"kind": "RequestAuthentication", "metadata": {"name": "default-jwt", "namespace": "mesh-root"},
            "spec": {"jwtRules": [{"issuer": "https://id.example.com", "audiences": ["https://web.example.com"]}]}}
    pod = {"kind": "Pod", "metadata": {"name": "shop-api-6c9d8-x1x2x", "namespace": "shop"},
           "spec": {"containers": [{"name": "shop-api", "image": "shop:1"},
                                   {"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.23.2"}]}}
    hub = RecordingHub(objects={("RequestAuthentication", "default-jwt"): rule, ("Pod", "shop-api-6c9d8-x1x2x"): pod},
                       logs={"shop-api-6c9d8-x1x2x": [ENVOY]})
    return facts, hub


def _run(facts: Facts, hub: RecordingHub) -> list[jp.Narrowed]:
    asyncio.run(jp.read(Subject(), facts, hub, _iso(AT)))
    return jp.found(facts)


def test_istio_audiences_narrowed_named_from_the_sidecar_log() -> None:
    facts, hub = _istio()
    got = _run(facts, hub)
    assert [str(n.target) for n in got] == ["RequestAuthentication mesh-root/default-jwt"]
    assert ("k8s_logs", {"name": "shop-api-6c9d8-x1x2x", "namespace": "shop", "container": "istio-proxy",
                         "grep": "jwt", "tail": 2000}) in hub.calls
    message = jp.finding(got[0])["message"]
    assert message.startswith("RequestAuthentication mesh-root/default-jwt changed the proxy's jwt validation")
    assert "audiences [https://web.example.com]" in message and "aud claim" in message


def test_kong_issuer_in_gateway_logs() -> None:
    facts = _facts([_write("KongPlugin", "edge", "jwt-auth", "config.claims_to_verify, config.key_claim_name = iss")],
                   [_log("kong-7f9c-a1b2c", "edge", KONG)], "edge", "kong-7f9c-a1b2c")
    got = _run(facts, RecordingHub(objects={}))
    assert [n.part for n in got] == ["issuer"]
    assert "iss claim" in jp.finding(got[0])["message"]


def test_no_proxy_refusal_names_nothing() -> None:
    facts, hub = _istio()
    hub.logs = {"shop-api-6c9d8-x1x2x": ['"GET /v2/orders HTTP/1.1" 401 - via_upstream jwt ok']}
    facts.logs = [_log("shop-api-6c9d8-x1x2x", "shop", "token verification failed: JWKSNoMatchingKey")]
    assert _run(facts, hub) == []


def test_proxy_write_without_jwt_fields_is_not_a_rule() -> None:
    facts = _facts([_write("KongPlugin", "edge", "rate-limit", "config.minute = 100")],
                   [_log("kong-7f9c-a1b2c", "edge", KONG)], "edge", "kong-7f9c-a1b2c")
    assert _run(facts, RecordingHub(objects={})) == []


def test_refusal_without_a_rule_written_names_nothing() -> None:
    facts = _facts([], [_log("kong-7f9c-a1b2c", "edge", KONG)], "edge", "kong-7f9c-a1b2c")
    assert jp.denials(facts) and _run(facts, RecordingHub(objects={})) == []
