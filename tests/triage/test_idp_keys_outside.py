"""Outside audit of agent.triage.idp_keys: other identity providers with per-replica keys, other verifiers' words.

Written here from the software's own wording, not from any benchmark bundle. Shapes: Ory Hydra (`oryd/hydra`,
`DSN=memory`) at 3 replicas, a .NET relying party's `IDX10503: Signature validation failed`; Keycloak run with
`--db=dev-mem` at 2 replicas, a Go relying party's go-oidc `failed to verify id token signature`; a home-grown
node oidc-provider whose memory keys show only in its `development-only signing keys` warning (read from its pod,
after a `storage` grep finds nothing), a Node verifier's jose `no applicable key found in the JSON Web Key Set`;
Spring's Nimbus `no matching key(s) found` against a Spring Authorization Server. Negative twins: Hydra on a
Postgres DSN, Keycloak `--db=postgres` at 3 replicas, and a signature error that names no key (a tampered token:
jjwt's `signature does not match`) with an in-memory Hydra scaled.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import idp_keys as ik
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 11, 9, 16, 0, tzinfo=UTC)
DOTNET = ("Microsoft.IdentityModel.Tokens.SecurityTokenSignatureKeyNotFoundException: IDX10503: Signature validation "
          "failed. Token does not have a kid. Keys tried: 'System.Text.StringBuilder'. Number of keys in "
          "TokenValidationParameters: '0'. Number of keys in Configuration: '1'.")
GO_OIDC = ('level=warn msg="rejecting request" err="oidc: failed to verify signature: failed to verify id token '
           'signature" path=/api/orders')
JOSE = "JWKSNoMatchingKey: no applicable key found in the JSON Web Key Set at verify (node_modules/jose/dist)"
NIMBUS = ('Bearer error="invalid_token", error_description="An error occurred while attempting to decode the Jwt: '
          'Signed JWT rejected: Another algorithm expected, or no matching key(s) found"')


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _write(kind: str, ns: str, name: str) -> dict[str, Any]:
    return {"at": _iso(AT - timedelta(minutes=40)), "type": "other",
            "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} written by helm: spec.replicas", "diff": ["spec.replicas"]}


def _workload(kind: str, ns: str, name: str, image: str, replicas: int, env: dict[str, str],
              args: list[str] | None = None) -> dict[str, Any]:
    return {"kind": kind, "metadata": {"name": name, "namespace": ns},
            "spec": {"replicas": replicas, "template": {"spec": {"containers": [
                {"name": name, "image": image, "args": args or [],
                 "env": [{"name": k, "value": v} for k, v in env.items()]}]}}}}


def _found(change: dict[str, Any], miss: str, hub: RecordingHub) -> list[ik.SplitKeys]:
    log = LogEvidence(pod="checkout-7c9d5b8f6-k2j4h", namespace="shop", evidence_id="E7",
                      top={"message": miss, "example": miss}, hosts=[], error_classes=set(), previous=False)
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="E2", logs=[log])
    asyncio.run(ik.read(Subject(), facts, hub, _iso(AT)))
    return ik.found(facts)


def _hydra(dsn: str) -> RecordingHub:
    return RecordingHub(objects={("Deployment", "hydra"): _workload(
        "Deployment", "identity", "hydra", "oryd/hydra:v2.2.0", 3, {"DSN": dsn}, ["serve", "all"])})


def _keycloak(db: str) -> RecordingHub:
    return RecordingHub(objects={("StatefulSet", "keycloak"): _workload(
        "StatefulSet", "iam", "keycloak", "quay.io/keycloak/keycloak:26.0", 2 if db == "dev-mem" else 3, {},
        ["start", f"--db={db}", "--hostname=sso.example.com"])})


def test_hydra_on_memory_dsn_with_a_dotnet_verifier() -> None:
    got = _found(_write("Deployment", "identity", "hydra"), DOTNET, _hydra("memory"))
    assert [(str(s.target), s.replicas) for s in got] == [("Deployment identity/hydra", 3)]
    assert "IDX10503" in ik.finding(got[0])["message"]


def test_keycloak_dev_mem_with_a_go_oidc_verifier() -> None:
    got = _found(_write("StatefulSet", "iam", "keycloak"), GO_OIDC, _keycloak("dev-mem"))
    assert [(str(s.target), s.storage) for s in got] == [("StatefulSet iam/keycloak", "--db=dev-mem")]


def test_oidc_provider_keys_warning_read_from_its_pod_after_storage_finds_nothing() -> None:
    obj = _workload("Deployment", "accounts", "accounts-oidc-provider",
                    "registry.example.com/accounts/oidc-provider:5.4", 2, {"NODE_ENV": "production"})
    warning = ('oidc-provider WARNING: a quick start development-only signing keys are used, you are expected to '
               'provide your own in configuration "jwks" property')
    hub = RecordingHub(objects={("Deployment", "accounts-oidc-provider"): obj},
                       lists={("Pod", "accounts"): [{"name": "accounts-oidc-provider-6f7d8c9b5-aa111"}]},
                       logs={"accounts-oidc-provider-6f7d8c9b5-aa111": [warning, "listening on port 3000"]})
    got = _found(_write("Deployment", "accounts", "accounts-oidc-provider"), JOSE, hub)
    assert [str(s.target) for s in got] == ["Deployment accounts/accounts-oidc-provider"]
    greps = [args.get("grep") for tool, args in hub.calls if tool == "k8s_logs"]
    assert greps == ["storage", "keys"]


def test_spring_authorization_server_in_memory_keys_with_nimbus_verifier() -> None:
    hub = RecordingHub(objects={("Deployment", "authorization-server"): _workload(
        "Deployment", "platform", "authorization-server", "registry.example.com/platform/authorization-server:2.3", 2,
        {"JWT_KEYS": "generated"})})
    got = _found(_write("Deployment", "platform", "authorization-server"), NIMBUS, hub)
    assert [str(s.target) for s in got] == ["Deployment platform/authorization-server"]


def test_shared_database_twins_are_not_named() -> None:
    assert _found(_write("Deployment", "identity", "hydra"), DOTNET,
                  _hydra("postgres://hydra:secret@pg.identity.svc:5432/hydra")) == []
    assert _found(_write("StatefulSet", "iam", "keycloak"), GO_OIDC, _keycloak("postgres")) == []


def test_signature_error_naming_no_key_is_not_a_key_split() -> None:
    jjwt = "io.jsonwebtoken.security.SignatureException: JWT signature does not match locally computed signature."
    hub = _hydra("memory")
    assert _found(_write("Deployment", "identity", "hydra"), jjwt, hub) == []
    assert hub.calls == []
