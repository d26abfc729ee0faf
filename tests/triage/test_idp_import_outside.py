"""Outside audit of agent.triage.idp_import: other IdP config tools, other IdPs' refusal wording, and timing.

Written here from the software's own wording, not from any benchmark bundle. Shapes: Terraform with the Keycloak
provider (its `KEYCLOAK_URL` / `KEYCLOAK_CLIENT_ID` env, nothing IdP in its image or args), Keycloak's own
`LOGIN_ERROR ... error="invalid_redirect_uri"` read from its pod; OpenTofu with the azuread provider (`ARM_TENANT_ID`)
before an MSAL `AADSTS7000215: Invalid client secret provided` in the relying app; the Auth0 Deploy CLI
(`a0deploy import --input_file`) before Auth0's `Callback URL mismatch`; Ory Hydra's CLI (`hydra update
oauth2-client`) before fosite's `does not match any of the OAuth 2.0 Client's pre-registered redirect urls` in
Hydra's pod. Negative twins: Terraform managing no IdP before the same refusal; an app's migration Job that merely
carries `KEYCLOAK_URL`; refusals that began before the import (by Keycloak's line stamp, and by the survey's
first_seen).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import idp_import as ii
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 11, 12, 10, 0, tzinfo=UTC)
KC = ('2026-11-12 09:41:03,221 WARN  [org.keycloak.events] (executor-thread-3) type="LOGIN_ERROR", realmName="corp", '
      'clientId="grafana", userId="null", ipAddress="10.0.3.4", error="invalid_redirect_uri", '
      'redirect_uri="https://grafana.example.com/login/generic_oauth"')
ENTRA = ("MsalServiceException: AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the "
         "request is the client secret value, not the client secret ID, for a secret added to app 'b1c2d3e4'.")
AUTH0 = 'auth callback failed: error=access_denied error_description="Callback URL mismatch." state=9f3a'
HYDRA = ('time="2026-11-12T09:44:10Z" level=error msg="An error occurred" error="invalid_request" '
         'error_hint="The \'redirect_uri\' parameter does not match any of the OAuth 2.0 Client\'s pre-registered '
         'redirect urls."')


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _run_change(ns: str, name: str) -> dict[str, Any]:
    return {"at": _iso(AT - timedelta(minutes=30)), "type": "job",
            "object": {"kind": "Job", "namespace": ns, "name": name},
            "summary": f"Job {ns}/{name} started", "diff": []}


def _job(ns: str, name: str, image: str, env: dict[str, str], args: list[str] | None = None) -> dict[str, Any]:
    return {"kind": "Job", "metadata": {"name": name, "namespace": ns}, "spec": {"template": {"spec": {"containers": [
        {"name": "run", "image": image, "args": args or [],
         "env": [{"name": k, "value": v} for k, v in env.items()]}]}}}}


def _found(job: dict[str, Any], line: str = "GET /healthz 200", first_seen: datetime | None = None,
           lists: dict[tuple[str, str], list[dict[str, str]]] | None = None,
           logs: dict[str, list[str]] | None = None) -> list[ii.Overwrote]:
    ns, name = job["metadata"]["namespace"], job["metadata"]["name"]
    top: dict[str, Any] = {"message": line, "example": line}
    if first_seen is not None:
        top["first_seen"] = _iso(first_seen)
    log = LogEvidence(pod="portal-6d7f8c9b5-h3j4k", namespace="web", evidence_id="E7", top=top, hosts=[],
                      error_classes=set(), previous=False)
    facts = Facts(at=AT, changes={"changes": [_run_change(ns, name)]}, changes_id="E2", logs=[log])
    hub = RecordingHub(objects={("Job", name): job}, lists=lists or {("Pod", ns): []}, logs=logs or {})
    asyncio.run(ii.read(Subject(), facts, hub, _iso(AT)))
    return ii.found(facts)


def _terraform_keycloak(idp_line: str) -> list[ii.Overwrote]:
    job = _job("infra", "tf-sso-clients-118", "hashicorp/terraform:1.9.8",
               {"KEYCLOAK_URL": "http://keycloak.iam.svc:8080", "KEYCLOAK_CLIENT_ID": "terraform",
                "TF_IN_AUTOMATION": "1"}, ["apply", "-auto-approve", "-var-file=env/dev.tfvars"])
    return _found(job, lists={("Pod", "infra"): [], ("Pod", "iam"): [{"name": "keycloak-0"}]},
                  logs={"keycloak-0": [idp_line]})


def test_terraform_keycloak_provider_by_its_env() -> None:
    got = _terraform_keycloak(KC)
    assert [(str(o.target), o.refusal, o.idp, o.imported) for o in got] == [
        ("Job infra/tf-sso-clients-118", "invalid_redirect_uri", "keycloak", "env/dev.tfvars")]
    assert ii.finding(got[0])["message"].startswith("Job infra/tf-sso-clients-118 (terraform: a realm import")


def test_opentofu_azuread_before_an_entra_secret_refusal() -> None:
    job = _job("infra", "tofu-entra-apps-31", "ghcr.io/opentofu/opentofu:1.8.5",
               {"ARM_TENANT_ID": "72f988bf-0000-0000-0000-2d7cd011db47", "ARM_USE_OIDC": "true"}, ["apply"])
    got = _found(job, ENTRA)
    assert [o.refusal for o in got] == ["AADSTS7000215"]


def test_auth0_deploy_cli_with_its_input_file() -> None:
    job = _job("platform", "auth0-deploy-77", "registry.example.com/tools/auth0-deploy:8.2", {},
               ["a0deploy", "import", "--config_file=config.json", "--input_file=tenants/staging.yaml"])
    got = _found(job, AUTH0)
    assert [(o.refusal, o.imported) for o in got] == [("Callback URL mismatch", "tenants/staging.yaml")]


def test_hydra_cli_client_update_with_the_refusal_in_hydras_pod() -> None:
    job = _job("identity", "hydra-clients-5", "oryd/hydra:v2.2.0", {},
               ["update", "oauth2-client", "portal", "--endpoint", "http://hydra-admin.identity.svc:4445",
                "--redirect-uri", "https://portal.staging.example.com/callback"])
    got = _found(job, lists={("Pod", "identity"): [{"name": "hydra-6d8c7b9f4d-x2z8q"}]},
                 logs={"hydra-6d8c7b9f4d-x2z8q": [HYDRA]})
    assert [(str(o.target), o.idp) for o in got] == [("Job identity/hydra-clients-5", "hydra")]
    assert "pre-registered" in got[0].refusal


def test_terraform_for_no_idp_is_not_named() -> None:
    job = _job("infra", "tf-buckets-12", "hashicorp/terraform:1.9.8", {"AWS_REGION": "eu-west-1"}, ["apply"])
    assert _found(job, ENTRA) == []


def test_migration_job_that_only_knows_the_idp_url_is_not_named() -> None:
    job = _job("web", "portal-migrate-3", "registry.example.com/web/portal:4.1",
               {"KEYCLOAK_URL": "http://keycloak.iam.svc:8080", "DATABASE_URL": "postgres://db.web.svc/portal"},
               ["manage.py", "migrate"])
    assert _found(job, AUTH0) == []


def test_refusals_that_began_before_the_import_are_not_its_effect() -> None:
    assert _terraform_keycloak(KC.replace("09:41:03", "09:05:40")) == []
    job = _job("platform", "auth0-deploy-77", "registry.example.com/tools/auth0-deploy:8.2", {},
               ["a0deploy", "import", "--input_file=tenants/staging.yaml"])
    assert _found(job, AUTH0, first_seen=AT - timedelta(hours=3)) == []
    assert _found(job, AUTH0, first_seen=AT - timedelta(minutes=20)) != []
