"""A recent policy on a callee cuts the subject's path OUT to it (agent.triage.policy_cut, `_read_called`).

Written here, not taken from the held-out bundles. The subject is the caller and has no Service of its own (a
relying party, a worker): the callee is the in-cluster Service its failing lines name. Shapes: a Spring resource
server whose JWK set refetch from `keycloak.sso.svc` times out behind a NetworkPolicy admitting only the ingress
controller; a Go service whose OIDC discovery fetch from `dex.auth.svc` is refused by one admitting only `web`.
Negative twins: the same policy admitting the caller's namespace, the same policy written days ago.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import policy_cut as pc
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 10, 20, 16, 0, tzinfo=UTC)
SPRING = ("ERROR o.s.s.o.s.r.w.BearerTokenAuthenticationFilter : An error occurred while attempting to decode the "
          "Jwt: Couldn't retrieve remote JWK set: I/O error on GET request for \"http://keycloak.sso.svc:8080/realms/"
          "a/protocol/openid-connect/certs\": Connect timed out")
GO = ('level=error msg="oidc init failed" err="Get \\"http://dex.auth.svc:5556/dex/.well-known/openid-configuration'
      '\\": dial tcp 10.96.3.4:5556: connect: connection refused"')


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _policy(ns: str, name: str, app: str, admitted: str) -> dict[str, Any]:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": name, "namespace": ns},
            "spec": {"podSelector": {"matchLabels": {"app": app}}, "policyTypes": ["Ingress"],
                     "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {
                         "kubernetes.io/metadata.name": admitted}}}]}]}}


def _run(caller_ns: str, line: str, ns: str, app: str, port: int, admitted: str, hours: float = 1.0) -> Facts:
    policy = _policy(ns, f"{app}-ingress", app, admitted)
    service = {"kind": "Service", "metadata": {"name": app, "namespace": ns},
               "spec": {"selector": {"app": app}, "ports": [{"port": port, "targetPort": port, "protocol": "TCP"}]}}
    hub = RecordingHub(lists={"customresourcedefinitions": [], "networkpolicies": [
        {"name": f"{app}-ingress", "namespace": ns, "created": _iso(AT - timedelta(hours=hours))}], "pods": []},
        objects={("networkpolicies", ns, f"{app}-ingress"): policy, ("Service", ns, app): service})
    log = LogEvidence(pod="caller-mldjdxrhbk-cvl4l", namespace=caller_ns, evidence_id="E7",
                      top={"message": line, "example": line}, hosts=[], error_classes=set(), previous=False)
    facts = Facts(at=AT, changes={"changes": []}, changes_id="E2", logs=[log])
    asyncio.run(pc.read(Subject(), facts, hub, _iso(AT)))
    return facts


def test_jwks_refetch_cut_by_idp_ingress_policy() -> None:
    got = pc.suspects(_run("reports", SPRING, "sso", "keycloak", 8080, "ingress-nginx"))
    assert [str(r) for r, _, _, _ in got] == ["NetworkPolicy sso/keycloak-ingress"]
    message = got[0][1]["message"]
    assert "to Service sso/keycloak port 8080/TCP" in message
    assert "cannot fetch the identity provider's JWK set / discovery document (the fetch timed out)" in message


def test_discovery_refused_by_policy_in_another_namespace() -> None:
    got = pc.suspects(_run("payments", GO, "auth", "dex", 5556, "web"))
    assert [str(r) for r, _, _, _ in got] == ["NetworkPolicy auth/dex-ingress"]
    assert "(the fetch failed)" in got[0][1]["message"]


def test_policy_admitting_the_callers_namespace_is_not_named() -> None:
    assert pc.suspects(_run("reports", SPRING, "sso", "keycloak", 8080, "reports")) == []


def test_old_policy_is_not_named() -> None:
    assert pc.suspects(_run("reports", SPRING, "sso", "keycloak", 8080, "ingress-nginx", hours=72)) == []
