"""agent.triage.secret_store against other providers' wording and other store users (not the round's incident).

Shapes: a ClusterSecretStore on Google Secret Manager (its projectID rewritten) whose users are ExternalSecrets
stamped into two namespaces by a ClusterExternalSecret, each event carrying gRPC's `code = PermissionDenied desc =
Permission 'secretmanager.versions.access' denied`; a namespaced SecretStore on Azure Key Vault (its vaultUrl
rewritten) whose users' events carry autorest's `Message="... does not have secrets get permission on key vault"`;
a ClusterSecretStore whose `spec.conditions` were narrowed so ESO refuses `using cluster store ... is not allowed
from namespace`. The provider's own sentence comes first in the headline, not the SDK wrapper. Twins: one Azure
ExternalSecret's own key missing while its sibling synced through the store after the write; Google failures older
than the write.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from agent.triage.facts import Ref
from agent.triage.secret_store import found, gist, suspects
from tests.triage.test_secret_delivery import WRITTEN, iso
from tests.triage.test_secret_store import external, facts_of

GCP_STORE: dict[str, Any] = {
    "apiVersion": "external-secrets.io/v1beta1", "kind": "ClusterSecretStore", "metadata": {"name": "gcp-sm"},
    "spec": {"provider": {"gcpsm": {"projectID": "acme-prod-2", "auth": {"workloadIdentity": {
        "clusterLocation": "europe-west1", "clusterName": "main", "serviceAccountRef": {"name": "eso"}}}}}}}
AZURE_STORE: dict[str, Any] = {
    "apiVersion": "external-secrets.io/v1beta1", "kind": "SecretStore",
    "metadata": {"name": "kv", "namespace": "billing"},
    "spec": {"provider": {"azurekv": {"vaultUrl": "https://kv-billing-new.vault.azure.net", "authType":
                                      "WorkloadIdentity", "serviceAccountRef": {"name": "eso"}}}}}
GCP_SAID = ("error processing spec.data[0] (key: {key}), err: rpc error: code = PermissionDenied desc = Permission "
            "'secretmanager.versions.access' denied for resource 'projects/acme-prod-2/secrets/{key}/versions/latest' "
            "(or it may not exist).")
AZURE_SAID = ('error processing spec.data[0] (key: {key}), err: keyvault.BaseClient#GetSecret: Failure responding to '
              'request: StatusCode=403 -- Original Error: autorest/azure: Service returned an error. Status=403 '
              'Code="Forbidden" Message="The user, group or application \'appid=1111;oid=2222\' does not have secrets '
              'get permission on key vault \'kv-billing-new;location=westeurope\'." '
              'InnerError={{"code":"AccessDenied"}}')
CONDITION_SAID = 'using cluster store "gcp-sm" is not allowed from namespace "{ns}": denied by spec.condition'


def event(name: str, ns: str, message: str, after: timedelta = timedelta(minutes=2)) -> dict[str, Any]:
    return {"type": "Warning", "reason": "UpdateFailed", "kind": "ExternalSecret", "name": name, "namespace": ns,
            "message": message, "count": 7, "first_seen": iso(WRITTEN + after), "source": "external-secrets"}


def stamped(name: str, ns: str, target: str) -> dict[str, Any]:
    """An ExternalSecret a ClusterExternalSecret created in the namespace (its ownerReference), through gcp-sm."""
    obj = external(name, ns, target, "gcp-sm", "ClusterSecretStore")
    obj["metadata"]["ownerReferences"] = [{"apiVersion": "external-secrets.io/v1beta1",
                                           "kind": "ClusterExternalSecret", "name": "shared-db", "controller": True}]
    return obj


READERS = {"payments": [("Deployment", "charge-api", ["db-creds"], "charge-api-6f7d8c9b5-r2k8p",
                         "CreateContainerConfigError", "W1")],
           "orders": [("Deployment", "orders-api", ["db-creds"], "orders-api-5d6c7b8a9-m4n7q",
                       "CreateContainerConfigError", "W2")]}


def test_a_google_cluster_store_used_through_a_cluster_external_secret_is_blamed_in_googles_words() -> None:
    users = [stamped("shared-db", "payments", "db-creds"), stamped("shared-db", "orders", "db-creds")]
    events = {ns: ([event("shared-db", ns, GCP_SAID.format(key="db-creds"))], f"EV-{ns}")
              for ns in ("payments", "orders")}
    [(ref, finding, _, explains)] = suspects(facts_of(GCP_STORE, users, READERS, events))
    assert ref == Ref("ClusterSecretStore", "", "gcp-sm")
    head = finding["message"][:400]
    assert "2 of 2 in 2 namespaces" in head and "Permission 'secretmanager.versions.access' denied" in head
    assert "gcpsm (project acme-prod-2, auth workloadIdentity)" in finding["message"]
    assert Ref("Deployment", "orders", "orders-api") in explains


def test_an_azure_store_is_blamed_with_key_vaults_own_sentence_first() -> None:
    users = [external(n, "billing", f"{n}-secret", "kv", "SecretStore", ready=True, since=-timedelta(days=3))
             for n in ("ledger", "psp")]
    events = {"billing": ([event(n, "billing", AZURE_SAID.format(key=n)) for n in ("ledger", "psp")], "EV1")}
    readers = {"billing": [("Deployment", "ledger", ["ledger-secret"], "ledger-5c8d7b9f6-q7z2m",
                            "CreateContainerConfigError", "W1")]}
    [(ref, finding, _, _)] = suspects(facts_of(AZURE_STORE, users, readers, events, ns="billing"))
    assert ref == Ref("SecretStore", "billing", "kv")
    head = finding["message"][:400]
    assert "does not have secrets get permission on key vault" in head and "autorest" not in head
    assert "vault https://kv-billing-new.vault.azure.net" in finding["message"]


def test_narrowed_namespace_conditions_of_a_cluster_store_are_blamed() -> None:
    store = {**GCP_STORE, "spec": {**GCP_STORE["spec"], "conditions": [{"namespaces": ["payments-v2"]}]}}
    users = [stamped("shared-db", "payments", "db-creds"), stamped("shared-db", "orders", "db-creds")]
    events = {ns: ([event("shared-db", ns, CONDITION_SAID.format(ns=ns))], f"EV-{ns}") for ns in ("payments", "orders")}
    [(ref, finding, _, _)] = suspects(facts_of(store, users, READERS, events))
    assert ref.name == "gcp-sm" and "is not allowed from namespace" in finding["message"][:400]
    assert "only namespaces payments-v2" in finding["message"]


def test_twin_one_azure_key_missing_while_its_sibling_synced_after_the_write() -> None:
    users = [external("ledger", "billing", "ledger-secret", "kv", "SecretStore"),
             external("psp", "billing", "psp-secret", "kv", "SecretStore", ready=True, since=-timedelta(days=2),
                      refreshed=timedelta(minutes=20))]
    missing = ('error processing spec.data[0] (key: ledger), err: keyvault.BaseClient#GetSecret: Failure responding '
               'to request: StatusCode=404 -- Original Error: autorest/azure: Service returned an error. Status=404 '
               'Code="SecretNotFound" Message="A secret with (name/id) ledger was not found in this key vault."')
    events = {"billing": ([event("ledger", "billing", missing)], "EV1")}
    assert found(facts_of(AZURE_STORE, users, {"billing": []}, events, ns="billing")) == []


def test_twin_google_failures_older_than_the_write_are_not_its_doing() -> None:
    users = [stamped("shared-db", "payments", "db-creds"), stamped("shared-db", "orders", "db-creds")]
    events = {ns: ([event("shared-db", ns, GCP_SAID.format(key="db-creds"), -timedelta(hours=2))], f"EV-{ns}")
              for ns in ("payments", "orders")}
    for user in users:
        user["status"]["conditions"][0]["lastTransitionTime"] = iso(WRITTEN - timedelta(hours=2))
    assert found(facts_of(GCP_STORE, users, READERS, events)) == []


def test_gist_keeps_the_providers_sentence_not_the_sdk_wrapper() -> None:
    assert gist(AZURE_SAID.format(key="x")).startswith("The user, group or application")
    assert gist(GCP_SAID.format(key="x")).startswith("Permission 'secretmanager.versions.access' denied")
    assert gist('Error making API request. Code: 403. Errors: * permission denied') == "permission denied"
