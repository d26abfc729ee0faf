"""agent.triage.identity_binding against other clouds' refusals of the token exchange itself (not the round's
incident).

Shapes: an Azure Service Operator FederatedIdentityCredential whose `spec.subject` was rewritten to another
ServiceAccount (`AADSTS70021: No matching federated identity record found ... Assertion Subject:
'system:serviceaccount:images:thumbs'`); a Config Connector IAMPolicyMember granting roles/iam.workloadIdentityUser
to another KSA (`Permission 'iam.serviceAccounts.getAccessToken' denied`, GKE's metadata server); an IRSA
ServiceAccount whose `eks.amazonaws.com/role-arn` was rewritten to a role that does not trust it (`Not authorized to
perform sts:AssumeRoleWithWebIdentity`). Twins: a FederatedIdentityCredential written that still names the pods'
ServiceAccount; an AADSTS70021 with no binding written; a ServiceAccount written (a label) that keeps its
annotation under an IRSA refusal; a workload's own service account refused a storage permission (a policy's
class, nothing read); Vault's Kubernetes-auth refusal is read as an exchange refusal.
"""

from __future__ import annotations

from typing import Any

from agent.triage import identity_binding
from agent.triage.facts import Ref
from tests.triage.test_identity_binding import account, change, run

AAD = ("2026-11-09T13:40:02Z ERROR failed to get token: ClientAssertionCredential authentication failed. POST "
       "https://login.microsoftonline.com/t/oauth2/v2.0/token -- RESPONSE 400 Bad Request -- {\"error\": "
       "\"invalid_request\", \"error_description\": \"AADSTS70021: No matching federated identity record found "
       "for presented assertion. Assertion Issuer: 'https://oidc.prod-aks.azure.com/abc/'. Assertion Subject: "
       "'system:serviceaccount:images:thumbs'. Assertion Audience: 'api://AzureADTokenExchange'.\"}")
GKE_EXCHANGE = ("2026-11-09T13:41:00Z ERROR compute: Received 403 `Unable to generate access token; IAM returned 403 "
                "Forbidden: Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not "
                "exist).`")
IRSA = ("2026-11-09T13:41:30Z ERROR operation error S3: GetObject, get identity: get credentials: failed to refresh "
        "cached credentials, failed to retrieve credentials, operation error STS: AssumeRoleWithWebIdentity, https "
        "response error StatusCode: 403, api error AccessDenied: Not authorized to perform "
        "sts:AssumeRoleWithWebIdentity")
VAULT = ("2026-11-09T13:42:00Z error authenticating: Error making API request. URL: PUT "
         "https://vault.internal:8200/v1/auth/kubernetes/login Code: 403. Errors: * service account name not "
         "authorized")
OWN_GSA = ("2026-11-09T13:41:00Z ERROR 403 thumbs@acme.iam.gserviceaccount.com does not have storage.objects.create "
           "access. Permission 'storage.objects.create' denied on resource (or it may not exist).")


def credential(subject: str) -> dict[str, Any]:
    return {"apiVersion": "managedidentity.azure.com/v1api20230131", "kind": "FederatedIdentityCredential",
            "metadata": {"name": "thumbs-fic", "namespace": "azure-iam"},
            "spec": {"owner": {"name": "thumbs-identity"}, "audiences": ["api://AzureADTokenExchange"],
                     "issuer": "https://oidc.prod-aks.azure.com/abc/", "subject": subject}}


def member(ksa: str) -> dict[str, Any]:
    return {"apiVersion": "iam.cnrm.cloud.google.com/v1beta1", "kind": "IAMPolicyMember",
            "metadata": {"name": "thumbs-wi", "namespace": "gcp-iam"},
            "spec": {"member": f"serviceAccount:acme.svc.id.goog[images/{ksa}]",
                     "role": "roles/iam.workloadIdentityUser",
                     "resourceRef": {"kind": "IAMServiceAccount", "name": "thumbs"}}}


def test_a_federated_credential_rewritten_to_another_account_is_named_by_aadsts70021() -> None:
    written = change("FederatedIdentityCredential", "azure-iam", "thumbs-fic", 60,
                     "spec.subject = 'system:serviceaccount:images:thumbs-v2'")
    facts, _ = run(AAD, [written], {("FederatedIdentityCredential", "azure-iam", "thumbs-fic"):
                                    credential("system:serviceaccount:images:thumbs-v2")})
    [(ref, finding, _, explains)] = identity_binding.suspects(facts)
    assert ref == Ref("FederatedIdentityCredential", "azure-iam", "thumbs-fic")
    head = finding["message"][:400]
    assert "serviceAccount is thumbs-v2" in head and "run as ServiceAccount thumbs" in head
    assert "token exchange" in finding["message"] and "node role" not in finding["message"]
    assert explains == [Ref("", "images", "thumbs")]


def test_a_workload_identity_member_for_another_ksa_is_named_by_the_token_exchange_refusal() -> None:
    written = change("IAMPolicyMember", "gcp-iam", "thumbs-wi", 45, "spec.member changed")
    facts, _ = run(GKE_EXCHANGE, [written], {("IAMPolicyMember", "gcp-iam", "thumbs-wi"): member("thumbs-legacy")})
    [(ref, finding, _, _)] = identity_binding.suspects(facts)
    assert ref == Ref("IAMPolicyMember", "gcp-iam", "thumbs-wi")
    assert "iam.serviceAccounts.getAccessToken" in finding["message"]


def test_an_irsa_annotation_rewritten_to_a_role_that_does_not_trust_it_is_named() -> None:
    written = change("ServiceAccount", "images", "thumbs", 30,
                     "metadata.annotations.eks.amazonaws.com/role-arn = 'arn:aws:iam::1:role/thumbs-reader'")
    facts, _ = run(IRSA, [written], {("ServiceAccount", "images", "thumbs"):
                                     account({"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/thumbs-reader"})})
    [(ref, finding, _, _)] = identity_binding.suspects(facts)
    assert ref == Ref("ServiceAccount", "images", "thumbs")
    assert "role/thumbs-reader" in finding["message"][:400]
    assert "sts:AssumeRoleWithWebIdentity" in finding["message"]


def test_a_federated_credential_that_still_names_the_pods_account_is_not_named() -> None:
    written = change("FederatedIdentityCredential", "azure-iam", "thumbs-fic", 60, "spec.audiences changed")
    facts, _ = run(AAD, [written], {("FederatedIdentityCredential", "azure-iam", "thumbs-fic"):
                                    credential("system:serviceaccount:images:thumbs")})
    assert identity_binding.suspects(facts) == []


def test_an_exchange_refusal_with_no_binding_written_names_nothing() -> None:
    facts, _ = run(AAD, [], {})
    assert [r.exchange for r in identity_binding.refusals(facts)] == [True]
    assert identity_binding.suspects(facts) == []


def test_an_account_written_that_keeps_its_annotation_is_not_named_under_an_irsa_refusal() -> None:
    written = change("ServiceAccount", "images", "thumbs", 30, "metadata.labels.team = 'media'")
    facts, _ = run(IRSA, [written], {("ServiceAccount", "images", "thumbs"):
                                     account({"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/thumbs-writer"})})
    assert identity_binding.suspects(facts) == []


def test_the_workloads_own_account_refused_a_permission_reads_nothing() -> None:
    written = change("ServiceAccount", "images", "thumbs", 30, "metadata.labels.team = 'media'")
    facts, hub = run(OWN_GSA, [written], {})
    assert identity_binding.suspects(facts) == []
    assert hub.calls == []


def test_vaults_kubernetes_auth_refusal_is_an_exchange_refusal() -> None:
    facts, _ = run(VAULT, [], {})
    [refusal] = identity_binding.refusals(facts)
    assert refusal.exchange and refusal.identity == "service account name not authorized"
