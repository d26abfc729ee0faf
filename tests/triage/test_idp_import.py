"""A config-import Job rewrote the IdP's client settings (agent.triage.idp_import).

Written here, not taken from the held-out bundles. Shapes: a keycloak-config-cli Job whose `KEYCLOAK_URL` points at
the IdP in another namespace, the refusal (`invalid_redirect_uri`) read from the IdP's pods and the import file
from the Job's own log; a Terraform Job applying the auth0 provider, the refusal (`Callback URL mismatch`) in the
relying app's own logs. Negative twins: a Job that configures no IdP (a database migration) before the same
refusal, and an IdP import followed by no client-setting refusal.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import idp_import as ii
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 10, 22, 10, 0, tzinfo=UTC)
KC = ('2026-10-22 09:50:00,000 WARN [org.keycloak.events] type="LOGIN_ERROR", realmName="shop", '
      'clientId="shop-web", error="invalid_redirect_uri", redirect_uri="https://shop.example.com/cb"')
AUTH0 = 'level=error msg="login failed" error=access_denied error_description="Callback URL mismatch."'


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


def _facts(changes: list[dict[str, Any]], line: str = "request ok") -> Facts:
    log = LogEvidence(pod="shop-web-mldjdxrhbk-cvl4l", namespace="shop", evidence_id="E7",
                      top={"message": line, "example": line}, hosts=[], error_classes=set(), previous=False)
    return Facts(at=AT, changes={"changes": changes}, changes_id="E2", logs=[log])


def _run(facts: Facts, hub: RecordingHub) -> list[ii.Overwrote]:
    asyncio.run(ii.read(Subject(), facts, hub, _iso(AT)))
    return ii.found(facts)


def _keycloak_hub(idp_log: list[str]) -> RecordingHub:
    job = _job("platform", "kc-config-42", "adorsys/keycloak-config-cli:6.1.6",
               {"KEYCLOAK_URL": "http://sso.auth.svc:8080", "IMPORT_FILES_LOCATIONS": "/cfg/dev/shop.json"})
    return RecordingHub(objects={("Job", "kc-config-42"): job},
                        lists={("Pod", "platform"): [{"name": "kc-config-42-x7k2p"}],
                               ("Pod", "auth"): [{"name": "sso-mldjdxrhbk-k2v8q"}]},
                        logs={"kc-config-42-x7k2p": ["Importing file 'file:/cfg/dev/shop.json'"],
                              "sso-mldjdxrhbk-k2v8q": idp_log})


def test_keycloak_config_cli_named_from_the_idp_log() -> None:
    got = _run(_facts([_run_change("platform", "kc-config-42")]), _keycloak_hub([KC]))
    assert [(str(o.target), o.refusal, o.idp) for o in got] == [("Job platform/kc-config-42", "invalid_redirect_uri",
                                                                 "sso")]
    message = ii.finding(got[0])["message"]
    assert message.startswith("Job platform/kc-config-42 (keycloak-config-cli: a realm import")
    assert "importing '/cfg/dev/shop.json'" in message


def test_terraform_auth0_with_the_refusal_in_the_apps_log() -> None:
    job = _job("infra", "tf-apply-auth0-7", "hashicorp/terraform:1.9", {},
               ["apply", "-auto-approve", "-var-file=envs/staging.tfvars", "-target=module.auth0_clients"])
    hub = RecordingHub(objects={("Job", "tf-apply-auth0-7"): job}, lists={("Pod", "infra"): []})
    got = _run(_facts([_run_change("infra", "tf-apply-auth0-7")], AUTH0), hub)
    assert [(o.refusal, o.imported) for o in got] == [("Callback URL mismatch", "envs/staging.tfvars")]


def test_job_that_configures_no_idp_is_not_named() -> None:
    job = _job("shop", "db-migrate-9", "registry.example.com/shop/migrate:2", {"DATABASE_URL": "postgres://db"})
    hub = RecordingHub(objects={("Job", "db-migrate-9"): job}, lists={("Pod", "shop"): []})
    assert _run(_facts([_run_change("shop", "db-migrate-9")], AUTH0), hub) == []


def test_import_without_a_client_refusal_is_not_named() -> None:
    assert _run(_facts([_run_change("platform", "kc-config-42")]), _keycloak_hub(["type=\"LOGIN\" ok"])) == []
