"""secret_delivery against controllers it was not built from (issue #12: build for the class).

Shapes: a DopplerSecret in the operator's namespace writing its Secret into the consumer's namespace
(`spec.managedSecret.namespace`), failing on its `secrets.doppler.com/SecretSyncReady` condition ("Secret update
failed: Doppler Error: Invalid Service token"); an InfisicalSecret failing on `secrets.infisical.com/
ReadyToSyncSecrets`. Twins: each controller's Secret still synced while a side condition is False (Doppler's
`DeploymentReloadReady`, Infisical's `AutoRedeployReady`): the Secret is delivered, nothing to blame.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from agent.triage.facts import Facts, Ref
from agent.triage.secret_delivery import STORE, found, secret_names, suspects
from tests.triage.test_secret_delivery import AT, WRITTEN, iso, log_data, write_of


def _condition(kind: str, status: str, reason: str, message: str) -> dict[str, str]:
    return {"type": kind, "status": status, "reason": reason, "message": message,
            "lastTransitionTime": iso(WRITTEN + timedelta(minutes=1))}


def _doppler(conditions: list[dict[str, str]]) -> dict[str, Any]:
    return {"apiVersion": "secrets.doppler.com/v1alpha1", "kind": "DopplerSecret",
            "metadata": {"name": "checkout-prd", "namespace": "doppler-operator-system"},
            "spec": {"tokenSecret": {"name": "doppler-token-checkout"},
                     "managedSecret": {"name": "checkout-stripe", "namespace": "payments"}},
            "status": {"conditions": conditions}}


def _infisical(conditions: list[dict[str, str]]) -> dict[str, Any]:
    return {"apiVersion": "secrets.infisical.com/v1alpha1", "kind": "InfisicalSecret",
            "metadata": {"name": "search-env", "namespace": "search"},
            "spec": {"managedSecretReference": {"secretName": "search-api-env", "secretNamespace": "search"}},
            "status": {"conditions": conditions}}


def _facts(obj: dict[str, Any], home: str, workloads: list[tuple[str, str, list[str], str, str]],
           logs: dict[str, Any]) -> Facts:
    meta = obj["metadata"]
    facts = Facts(at=AT, changes_id="C1")
    facts.changes = {"changes": [write_of(obj["kind"], meta["namespace"], meta["name"], WRITTEN, "spec.project")]}
    facts.reads[STORE] = {"objects": [(obj, "O1")], "events": {meta["namespace"]: ([], "EV1")},
                          "workloads": {home: workloads}, "logs": logs}
    return facts


CHECKOUT = [("Deployment", "checkout", ["checkout-stripe"], "checkout-6f7d8c9b5-r2k8p", "W1")]
CHECKOUT_LOG = {"checkout-6f7d8c9b5-r2k8p": (log_data(
    "checkout-6f7d8c9b5-r2k8p", "payments", "2026-09-03T13:10:00Z StripeAuthenticationError: Invalid API Key "
    "provided: sk_live_****7Qx (401)"), "L1")}
SEARCH = [("Deployment", "indexer", ["search-api-env"], "indexer-5d6c7b8a9-m4n7q", "W1")]


def test_doppler_secret_failing_to_sync_into_another_namespace_is_blamed_for_its_reader() -> None:
    obj = _doppler([_condition("secrets.doppler.com/SecretSyncReady", "False", "Error",
                               "Secret update failed: Doppler Error: Invalid Service token")])
    assert secret_names(obj) == ["checkout-stripe"]
    [(ref, finding, _, explains)] = suspects(_facts(obj, "payments", CHECKOUT, CHECKOUT_LOG))
    assert ref == Ref("DopplerSecret", "doppler-operator-system", "checkout-prd")
    assert explains == [Ref("Deployment", "payments", "checkout")]
    assert "Doppler Error: Invalid Service token" in finding["message"][:400]
    assert "Invalid API Key" in finding["message"]


def test_doppler_secret_synced_with_only_its_reload_stopped_is_not_blamed() -> None:
    obj = _doppler([_condition("secrets.doppler.com/SecretSyncReady", "True", "OK",
                               "Controller is continuously syncing secrets"),
                    _condition("secrets.doppler.com/DeploymentReloadReady", "False", "Stopped",
                               "Deployment reload has been stopped due to an error")])
    assert found(_facts(obj, "payments", CHECKOUT, CHECKOUT_LOG)) == []


def test_infisical_secret_failing_to_sync_is_blamed() -> None:
    obj = _infisical([_condition("secrets.infisical.com/ReadyToSyncSecrets", "False", "Error",
                                 "Failed to sync secrets. This can be caused by invalid access token or an invalid "
                                 "API host that is set. Error: 403 Forbidden")])
    [(ref, finding, _, explains)] = suspects(_facts(obj, "search", SEARCH, {}))
    assert ref == Ref("InfisicalSecret", "search", "search-env") and explains == [Ref("Deployment", "search",
                                                                                      "indexer")]
    assert "Failed to sync secrets" in finding["message"][:400]


def test_infisical_secret_synced_with_only_auto_redeploy_false_is_not_blamed() -> None:
    obj = _infisical([_condition("secrets.infisical.com/ReadyToSyncSecrets", "True", "OK",
                                 "Infisical controller has started syncing your secrets"),
                      _condition("secrets.infisical.com/AutoRedeployReady", "False", "Stopped",
                                 "Failed to redeploy: deployment not found")])
    assert found(_facts(obj, "search", SEARCH, {})) == []
