"""agent.triage.secret_store: a shared secret store written, and every delivery object fetching through it failing.

Shapes: a ClusterSecretStore (Vault provider, kubernetes auth role renamed) used by ExternalSecrets in three
namespaces, each `SecretSyncedError`, their readers in CreateContainerConfigError or refused; a namespaced SecretStore
(AWS Secrets Manager, region changed) whose own Ready condition fails and whose two ExternalSecrets' events carry
`AccessDeniedException`; a Vault Secrets Operator VaultAuth whose VaultStaticSecrets fail. Twins: one ExternalSecret's
own remoteRef wrong while a sibling synced through the store after the write; a store written while every user
syncs; failures older than the write; one object failing alone under a healthy store; an ExternalSecret naming a
SecretStore of the same name in another namespace; and `read` going through the hub.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import yaml

from agent.triage.facts import Facts, Ref
from agent.triage.secret_store import STORE, found, gist, read, suspects, uses
from agent.triage.subject import Subject
from tests.triage.test_secret_delivery import AT, WRITTEN, iso, log_data, write_of

VAULT_STORE: dict[str, Any] = {
    "apiVersion": "external-secrets.io/v1beta1", "kind": "ClusterSecretStore", "metadata": {"name": "vault-platform"},
    "spec": {"provider": {"vault": {"server": "https://vault.internal:8200", "path": "kv", "version": "v2",
                                    "auth": {"kubernetes": {"mountPath": "kubernetes", "role": "eso-reader-v2"}}}}},
    "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "Valid", "message": "store validated",
                               "lastTransitionTime": iso(WRITTEN - timedelta(days=9))}]}}


def external(name: str, ns: str, target: str, store: str = "vault-platform", store_kind: str = "ClusterSecretStore",
             ready: bool = False, since: timedelta = timedelta(minutes=3), refreshed: timedelta | None = None
             ) -> dict[str, Any]:
    cond = ({"type": "Ready", "status": "True", "reason": "SecretSynced", "message": "secret synced"} if ready else
            {"type": "Ready", "status": "False", "reason": "SecretSyncedError",
             "message": "could not get secret data from provider"})
    status: dict[str, Any] = {"conditions": [{**cond, "lastTransitionTime": iso(WRITTEN + since)}]}
    if refreshed is not None:
        status["refreshTime"] = iso(WRITTEN + refreshed)
    return {"apiVersion": "external-secrets.io/v1beta1", "kind": "ExternalSecret",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"secretStoreRef": {"kind": store_kind, "name": store}, "target": {"name": target},
                     "data": [{"secretKey": "password", "remoteRef": {"key": f"{ns}/{name}"}}]},
            "status": status}


def facts_of(store: dict[str, Any], users: list[dict[str, Any]], workloads: dict[str, Any],
             events: dict[str, Any] | None = None, logs: dict[str, Any] | None = None, ns: str = "") -> Facts:
    facts = Facts(at=AT, changes_id="C1")
    facts.changes = {"changes": [write_of(store["kind"], ns, store["metadata"]["name"], WRITTEN,
                                          "spec.provider.vault.auth.kubernetes.role")]}
    key = f"{store['kind']} {ns + '/' if ns else ''}{store['metadata']['name']}"
    facts.reads[STORE] = {"stores": [(store, "S1")], "users": {key: [(u, f"U{i}") for i, u in enumerate(users)]},
                          "events": events or {}, "workloads": workloads, "logs": logs or {}}
    return facts


VAULT_USERS = [external("stripe", "payments", "stripe-keys"), external("db", "orders", "orders-db"),
               external("smtp", "notify", "mailer-smtp")]
VAULT_READERS = {
    "payments": [("Deployment", "charge-api", ["stripe-keys"], "charge-api-6f7d8c9b5-r2k8p",
                  "CreateContainerConfigError", "W1")],
    "orders": [("StatefulSet", "orders", ["orders-db"], "orders-0", "Running", "W2"),
               ("Deployment", "unrelated", ["other"], "unrelated-5d6c7b8a9-m4n7q", "Running", "W3")],
    "notify": [("Deployment", "mailer", [], "mailer-7d9f8c6b5-x2k4q", "Running", "W4")],
}
ORDERS_LOG = {"orders-0": (log_data("orders-0", "orders", 'FATAL: password authentication failed for user "orders"'),
                           "L1")}


def test_cluster_secret_store_write_breaking_every_external_secret_across_namespaces_is_blamed() -> None:
    [(ref, finding, evidence, explains)] = suspects(facts_of(VAULT_STORE, VAULT_USERS, VAULT_READERS,
                                                             logs=ORDERS_LOG))
    assert ref == Ref("ClusterSecretStore", "", "vault-platform")
    head = finding["message"][:400]
    assert head.startswith("ClusterSecretStore vault-platform was written 80 min before the alert")
    assert "store, vault (server https://vault.internal:8200, path kv, auth kubernetes, role eso-reader-v2)" in \
        finding["message"]
    assert "every ExternalSecret using this shared store stopped syncing" in head
    assert "3 of 3 in 3 namespaces" in head and "SecretSyncedError: 'could not get secret data from provider'" in head
    assert "so 3 workloads reading their Secrets fail" in head and "CreateContainerConfigError" in finding["message"]
    assert "password authentication failed" in finding["message"]
    assert Ref("Deployment", "payments", "charge-api") in explains and Ref("Deployment", "notify", "mailer") in explains
    assert Ref("Deployment", "orders", "unrelated") not in explains
    assert {"C1", "S1", "W1", "L1"} <= set(evidence)


AWS_STORE: dict[str, Any] = {
    "apiVersion": "external-secrets.io/v1beta1", "kind": "SecretStore",
    "metadata": {"name": "aws-sm", "namespace": "billing"},
    "spec": {"provider": {"aws": {"service": "SecretsManager", "region": "eu-central-1",
                                  "role": "arn:aws:iam::111122223333:role/billing-eso",
                                  "auth": {"jwt": {"serviceAccountRef": {"name": "eso"}}}}}},
    "status": {"conditions": [{"type": "Ready", "status": "False", "reason": "ValidationFailed",
                               "message": "unable to validate store: AccessDeniedException",
                               "lastTransitionTime": iso(WRITTEN + timedelta(minutes=1))}]}}


def _denied(name: str) -> dict[str, Any]:
    return {"type": "Warning", "reason": "UpdateFailed", "kind": "ExternalSecret", "name": name, "namespace": "billing",
            "message": "AccessDeniedException: User: arn:aws:sts::111122223333:assumed-role/billing-eso is not "
                       "authorized to perform: secretsmanager:GetSecretValue", "count": 9,
            "first_seen": iso(WRITTEN + timedelta(minutes=2)), "source": "external-secrets"}


def test_namespaced_aws_secret_store_whose_users_are_denied_is_blamed() -> None:
    users = [external("invoice-db", "billing", "invoice-db", "aws-sm", "SecretStore", ready=True,
                      since=-timedelta(days=3)),
             external("psp", "billing", "billing-psp", "aws-sm", "SecretStore", ready=True, since=-timedelta(days=3))]
    events = {"billing": ([_denied("invoice-db"), _denied("psp")], "EV1")}
    readers = {"billing": [("Deployment", "invoicer", ["invoice-db"], "invoicer-5c8d7b9f6-q7z2m", "Running", "W1"),
                           ("Deployment", "billing-psp", [], "billing-psp-6b7c8d9f5-t5w9k", "Running", "W2")]}
    [(ref, finding, evidence, _)] = suspects(facts_of(AWS_STORE, users, readers, events, ns="billing"))
    assert ref == Ref("SecretStore", "billing", "aws-sm")
    head = finding["message"][:400]
    assert "aws SecretsManager (region eu-central-1, auth jwt, role arn:aws:iam::111122223333:role/billing-eso)" in \
        finding["message"]
    assert "2 of 2 in 1 namespace " in head and "AccessDeniedException" in head
    assert "the store itself: 'unable to validate store: AccessDeniedException'" in finding["message"]
    assert "EV1" in evidence


def test_vault_auth_written_before_its_static_secrets_failed_is_blamed() -> None:
    auth = {"apiVersion": "secrets.hashicorp.com/v1beta1", "kind": "VaultAuth",
            "metadata": {"name": "default", "namespace": "shop"},
            "spec": {"method": "kubernetes", "mount": "k8s-prod", "kubernetes": {"role": "shop-app"}}}
    users = [{"kind": "VaultStaticSecret", "metadata": {"name": n, "namespace": "shop"},
              "spec": {"vaultAuthRef": "default", "mount": "kv", "path": n, "destination": {"name": f"{n}-creds"}}}
             for n in ("cart", "search")]
    events = {"shop": ([{"type": "Warning", "reason": "VaultClientError", "kind": "VaultStaticSecret", "name": n,
                         "message": "Failed to get Vault client: Error making API request. Code: 403. permission "
                                    "denied", "first_seen": iso(WRITTEN + timedelta(minutes=1))}
                        for n in ("cart", "search")], "EV1")}
    readers = {"shop": [("Deployment", "cart", ["cart-creds"], "cart-6f7d8c9b5-r2k8p", "Running", "W1")]}
    [(ref, finding, _, _)] = suspects(facts_of(auth, users, readers, events, ns="shop"))
    assert ref == Ref("VaultAuth", "shop", "default")
    assert "Vault auth (method kubernetes, mount k8s-prod, role shop-app)" in finding["message"]
    assert "every VaultStaticSecret using this shared store" in finding["message"]


def test_twin_one_external_secret_own_remote_ref_wrong_while_a_sibling_synced_after_the_write() -> None:
    users = [external("stripe", "payments", "stripe-keys"),
             external("db", "orders", "orders-db", ready=True, since=-timedelta(days=2),
                      refreshed=timedelta(minutes=20)),
             external("smtp", "notify", "mailer-smtp")]
    assert found(facts_of(VAULT_STORE, users, VAULT_READERS)) == []


def test_twin_store_written_while_every_user_keeps_syncing() -> None:
    users = [external(n, ns, t, ready=True, since=-timedelta(days=2), refreshed=timedelta(minutes=15))
             for n, ns, t in (("stripe", "payments", "stripe-keys"), ("db", "orders", "orders-db"))]
    assert found(facts_of(VAULT_STORE, users, VAULT_READERS)) == []


def test_twin_failures_older_than_the_write_are_not_its_doing() -> None:
    users = [external(n, ns, t, since=-timedelta(hours=3)) for n, ns, t in
             (("stripe", "payments", "stripe-keys"), ("db", "orders", "orders-db"))]
    assert found(facts_of(VAULT_STORE, users, VAULT_READERS)) == []


def test_twin_one_object_failing_alone_under_a_healthy_store_is_its_own_problem() -> None:
    users = [external("stripe", "payments", "stripe-keys"),
             external("db", "orders", "orders-db", ready=True, since=-timedelta(days=2))]
    assert found(facts_of(VAULT_STORE, users, VAULT_READERS)) == []


def test_twin_nobody_reads_the_failing_secrets() -> None:
    assert found(facts_of(VAULT_STORE, VAULT_USERS, {"payments": [("Deployment", "other", ["x"], "other-0",
                                                                   "Running", "W1")]})) == []


def test_uses_reads_each_kinds_documented_reference() -> None:
    store = Ref("SecretStore", "billing", "aws-sm")
    assert uses(external("a", "billing", "t", "aws-sm", "SecretStore"), store)
    assert not uses(external("a", "other", "t", "aws-sm", "SecretStore"), store)  # same name, another namespace
    assert not uses(external("a", "billing", "t", "aws-sm", "ClusterSecretStore"), store)
    bare = external("a", "billing", "t", "aws-sm")
    del bare["spec"]["secretStoreRef"]["kind"]  # kind defaults to SecretStore
    assert uses(bare, store)
    assert uses(external("a", "anywhere", "t"), Ref("ClusterSecretStore", "", "vault-platform"))
    vso = {"kind": "VaultStaticSecret", "metadata": {"namespace": "app"}, "spec": {"vaultAuthRef": "vso/shared"}}
    assert uses(vso, Ref("VaultAuth", "vso", "shared")) and not uses(vso, Ref("VaultAuth", "app", "shared"))


@dataclass
class Outcome:
    ok: bool
    evidence_id: str
    full_text: str = ""
    data: Any = None


@dataclass
class Hub:
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    objects: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)

    async def call(self, tool: str, args: dict[str, Any], step: str) -> Outcome:
        self.calls.append((tool, args))
        if tool == "k8s_get":
            obj = self.objects.get((args["kind"], args["namespace"], args["name"]))
            return Outcome(True, f"G-{args['name']}", yaml.safe_dump(obj)) if obj else Outcome(False, "GX")
        if tool == "k8s_list" and args["kind"] == "ExternalSecret":
            return Outcome(True, "LS", data={"rows": [{"name": k[2], "namespace": k[1]} for k in self.objects
                                                      if k[0] == "ExternalSecret"]})
        if tool == "k8s_list":
            rows = {"payments": [{"name": "charge-api-6f7d8c9b5-r2k8p", "status": "CreateContainerConfigError"}],
                    "orders": [{"name": "orders-0", "status": "Running"}]}.get(args["namespace"], [])
            return Outcome(True, "P1", data={"rows": rows})
        if tool == "k8s_events":
            return Outcome(True, f"E-{args['namespace']}", data={"events": []})
        return Outcome(True, "L1", data=ORDERS_LOG["orders-0"][0])


def test_read_goes_through_the_hub_and_finds_the_store() -> None:
    hub = Hub()
    hub.objects[("ClusterSecretStore", "", "vault-platform")] = VAULT_STORE
    for u in [*VAULT_USERS[:2], external("other", "orders", "x", store="another")]:
        hub.objects[("ExternalSecret", u["metadata"]["namespace"], u["metadata"]["name"])] = u
    hub.objects[("Deployment", "payments", "charge-api")] = {
        "kind": "Deployment", "metadata": {"name": "charge-api", "namespace": "payments"},
        "spec": {"template": {"spec": {"containers": [{"name": "c",
                                                       "envFrom": [{"secretRef": {"name": "stripe-keys"}}]}]}}}}
    hub.objects[("StatefulSet", "orders", "orders")] = {
        "kind": "StatefulSet", "metadata": {"name": "orders", "namespace": "orders"},
        "spec": {"template": {"spec": {"volumes": [{"secret": {"secretName": "orders-db"}}]}}}}
    facts = Facts(at=AT, changes_id="C1")
    facts.changes = {"changes": [write_of("ClusterSecretStore", "", "vault-platform", WRITTEN, "spec.provider")]}
    asyncio.run(read(Subject(), facts, hub.call, iso(AT)))
    assert ("k8s_list", {"kind": "ExternalSecret", "namespace": ""}) in hub.calls  # all namespaces: cluster-scoped
    assert len(facts.reads[STORE]["users"]["ClusterSecretStore vault-platform"]) == 2  # `other` uses another store
    [broken] = found(facts)
    assert [str(r) for r, _ in broken.readers] == ["Deployment payments/charge-api", "StatefulSet orders/orders"]
    assert broken.refusal.startswith("FATAL: password authentication failed")


def test_gist_keeps_the_providers_own_words() -> None:
    vault = ('error processing spec.data[0] (key: a/b), err: Error making API request.\n\nURL: PUT '
             'https://vault:8200/v1/auth/kubernetes/login\nCode: 400. Errors:\n\n* invalid role name "eso-reader-v2"')
    assert gist(vault) == 'invalid role name "eso-reader-v2"'
    assert gist("could not get secret data from provider") == "could not get secret data from provider"
