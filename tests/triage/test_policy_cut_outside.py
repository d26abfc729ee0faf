"""Outside audit of policy_cut's path OUT (a relying party's key/discovery fetch from its IdP cut by a new policy).

Written here from the software's own wording, not from any benchmark bundle. Shapes: a Go relying party's go-oidc
`oidc: get keys failed: Get "http://dex.auth.svc:5556/dex/keys": context deadline exceeded` behind a default-deny
written in the IdP's namespace; a .NET relying party's `IDX20803: Unable to obtain configuration from
'.../.well-known/openid-configuration'` with `A connection attempt failed` behind a policy admitting only the
ingress controller; a Node relying party's jose JWKS fetch from Ory Hydra's public Service timing out. Negative
twins: the fetch answered 404 (the path is open, the URL is wrong), the IdP's name not resolving (`no such host`,
DNS, not a policy), and the same default-deny written three days ago.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import policy_cut as pc
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
GO_OIDC = ('level=error msg="token check failed" err="oidc: get keys failed: Get \\"http://dex.auth.svc:5556/dex/keys'
           '\\": context deadline exceeded"')
DOTNET = ("System.InvalidOperationException: IDX20803: Unable to obtain configuration from: 'http://keycloak.identity."
          "svc.cluster.local:8080/realms/corp/.well-known/openid-configuration'. ---> System.Net.Http."
          "HttpRequestException: A connection attempt failed because the connected party did not properly respond")
JOSE = ("failed to fetch JWKS from http://hydra-public.ory.svc:4444/.well-known/jwks.json: JWKSTimeout: request "
        "timed out")


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _deny_all(ns: str, name: str) -> dict[str, Any]:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": name, "namespace": ns},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}}


def _admit(ns: str, name: str, app: str, admitted: str) -> dict[str, Any]:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": name, "namespace": ns},
            "spec": {"podSelector": {"matchLabels": {"app": app}}, "policyTypes": ["Ingress"],
                     "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {
                         "kubernetes.io/metadata.name": admitted}}}]}]}}


def _suspects(line: str, policy: dict[str, Any], service: str, port: int, hours: float = 0.75) -> list[str]:
    ns, name = policy["metadata"]["namespace"], policy["metadata"]["name"]
    svc = {"kind": "Service", "metadata": {"name": service, "namespace": ns},
           "spec": {"selector": {"app": service}, "ports": [{"port": port, "targetPort": port, "protocol": "TCP"}]}}
    hub = RecordingHub(lists={"customresourcedefinitions": [], "networkpolicies": [
        {"name": name, "namespace": ns, "created": _iso(AT - timedelta(hours=hours))}], "pods": []},
        objects={("networkpolicies", ns, name): policy, ("Service", ns, service): svc})
    log = LogEvidence(pod="ledger-api-6d8c7b9f4d-x2z8q", namespace="finance", evidence_id="E7",
                      top={"message": line, "example": line}, hosts=[], error_classes=set(), previous=False)
    facts = Facts(at=AT, changes={"changes": []}, changes_id="E2", logs=[log])
    asyncio.run(pc.read(Subject(), facts, hub, _iso(AT)))
    return [f"{r} | {f['message']}" for r, f, _, _ in pc.suspects(facts)]


def test_go_oidc_keys_fetch_deadline_behind_a_default_deny() -> None:
    got = _suspects(GO_OIDC, _deny_all("auth", "default-deny"), "dex", 5556)
    assert len(got) == 1 and got[0].startswith("NetworkPolicy auth/default-deny | ")
    assert "cannot fetch the identity provider's JWK set / discovery document" in got[0]


def test_dotnet_discovery_fetch_behind_an_ingress_controller_only_policy() -> None:
    got = _suspects(DOTNET, _admit("identity", "keycloak-ingress", "keycloak", "ingress-nginx"), "keycloak", 8080)
    assert [g.split(" | ")[0] for g in got] == ["NetworkPolicy identity/keycloak-ingress"]
    assert "JWK set / discovery document" in got[0]


def test_jose_jwks_timeout_from_hydra_public() -> None:
    got = _suspects(JOSE, _deny_all("ory", "deny-ingress"), "hydra-public", 4444)
    assert [g.split(" | ")[0] for g in got] == ["NetworkPolicy ory/deny-ingress"]
    assert "(the fetch timed out)" in got[0]


def test_jwks_answered_404_is_no_cut() -> None:
    line = ("Couldn't retrieve remote JWK set: 404 Not Found from GET "
            "http://keycloak.identity.svc:8080/realms/corp/protocol/openid-connect/certs")
    assert _suspects(line, _admit("identity", "keycloak-ingress", "keycloak", "ingress-nginx"), "keycloak", 8080) == []


def test_idp_name_not_resolving_is_no_cut() -> None:
    line = ('oidc: get keys failed: Get "http://dex.auth.svc:5556/dex/keys": dial tcp: lookup dex.auth.svc on '
            '10.96.0.10:53: no such host')
    assert _suspects(line, _deny_all("auth", "default-deny"), "dex", 5556) == []


def test_old_default_deny_is_not_named() -> None:
    assert _suspects(GO_OIDC, _deny_all("auth", "default-deny"), "dex", 5556, hours=72) == []
