"""agent.triage.cloud_policy against other clouds' refusals and other policy objects (not the round's incident).

Shapes: a Config Connector IAMPolicyMember on a GCS bucket moved to another service account (GCS's own wording:
`<sa> does not have storage.objects.get access ... denied on resource (or it may not exist)`, the bucket only in the
request URL); an Azure Service Operator RoleAssignment on a storage account given another principal
(`AuthorizationFailed
... does not have authorization to perform action ... over scope`); a Crossplane BucketPolicy of a dotted bucket with an
explicit Deny (the resource quoted, as newer AWS messages print it); an ACK KMS Grant whose operations no longer
list Decrypt. Twins: each binding written that still names the refused caller (and, for the Grant, the operation);
a policy of another bucket.
"""

from __future__ import annotations

from typing import Any

import pytest

from agent.triage import cloud_policy
from agent.triage.facts import Ref
from tests.triage.test_cloud_policy import KEY_ARN, policy, run, write

GCS = ("google.api_core.exceptions.Forbidden: 403 GET https://storage.googleapis.com/download/storage/v1/b/"
       "invoices-archive/o/2026%2F10%2Fx.pdf?alt=media: invoices-app@acme.iam.gserviceaccount.com does not have "
       "storage.objects.get access to the Google Cloud Storage object. Permission 'storage.objects.get' denied on "
       "resource (or it may not exist).")
AZURE = ("(AuthorizationFailed) The client 'a1b2c3d4-0000-1111-2222-333344445555' with object id "
         "'7f3c9e2a-1111-2222-3333-444455556666' does not have authorization to perform action "
         "'Microsoft.Storage/storageAccounts/listKeys/action' over scope '/subscriptions/0000/resourceGroups/billing/"
         "providers/Microsoft.Storage/storageAccounts/invoicestore' or the scope is invalid.")
S3_QUOTED = ('An error occurred (AccessDenied) when calling the GetObject operation: User: arn:aws:sts::444455556666:'
             'assumed-role/invoices-app/s1 is not authorized to perform: s3:GetObject on resource: '
             '"arn:aws:s3:::invoices.archive/2026/10/x.pdf" with an explicit deny in a resource-based policy')
KMS = ("An error occurred (AccessDeniedException) when calling the Decrypt operation: User: arn:aws:sts::"
       f"444455556666:assumed-role/invoices-app/s1 is not authorized to perform: kms:Decrypt on resource: {KEY_ARN} "
       "because no resource-based policy allows the kms:Decrypt action")


def gcs_member(sa: str, bucket: str = "invoices-archive") -> dict[str, Any]:
    return {"apiVersion": "iam.cnrm.cloud.google.com/v1beta1", "kind": "IAMPolicyMember",
            "metadata": {"name": "invoices-read", "namespace": "cloud"},
            "spec": {"member": f"serviceAccount:{sa}", "role": "roles/storage.objectViewer",
                     "resourceRef": {"kind": "StorageBucket", "name": bucket}}}


def assignment(principal: str) -> dict[str, Any]:
    return {"apiVersion": "authorization.azure.com/v1api20220401", "kind": "RoleAssignment",
            "metadata": {"name": "invoices-keys", "namespace": "cloud"},
            "spec": {"owner": {"group": "storage.azure.com", "kind": "StorageAccount", "name": "invoicestore"},
                     "principalId": principal, "roleDefinitionReference": {"armId": "/providers/x/roleDefinitions/y"}}}


def grant(operations: list[str]) -> dict[str, Any]:
    return {"apiVersion": "kms.services.k8s.aws/v1alpha1", "kind": "Grant",
            "metadata": {"name": "invoices-decrypt", "namespace": "cloud"},
            "spec": {"granteePrincipal": "arn:aws:iam::444455556666:role/invoices-app", "operations": operations,
                     "keyRef": {"from": {"name": "invoices-cmk"}}, "keyID": KEY_ARN.rsplit("/", 1)[-1]}}


def test_a_gcs_bucket_member_moved_to_another_account_is_named_from_gcs_wording() -> None:
    facts, _ = run(GCS, [write("IAMPolicyMember", "invoices-read")],
                   {("IAMPolicyMember", "cloud", "invoices-read"): gcs_member("reports@acme.iam.gserviceaccount.com")})
    [(ref, finding, _, explains)] = cloud_policy.suspects(facts)
    assert ref == Ref("IAMPolicyMember", "cloud", "invoices-read")
    head = finding["message"][:400]
    assert "storage.objects.get" in head and "invoices-archive" in head
    assert explains == [Ref("", "billing", "invoices")]


def test_an_azure_role_assignment_given_another_principal_is_named() -> None:
    facts, _ = run(AZURE, [write("RoleAssignment", "invoices-keys")],
                   {("RoleAssignment", "cloud", "invoices-keys"): assignment("0c0c0c0c-9999-8888-7777-666655554444")})
    [(ref, finding, _, _)] = cloud_policy.suspects(facts)
    assert ref.name == "invoices-keys" and "listKeys" in finding["message"][:400]


def test_a_dotted_bucket_policy_with_an_explicit_deny_is_named_from_a_quoted_resource() -> None:
    bucket = {"apiVersion": "s3.aws.upbound.io/v1beta1", "kind": "BucketPolicy",
              "metadata": {"name": "invoices.archive", "namespace": "cloud"},
              "spec": {"forProvider": {"policy": policy("invoices-app", action="s3:GetObject", effect="Deny")}}}
    facts, _ = run(S3_QUOTED, [write("BucketPolicy", "invoices.archive")],
                   {("BucketPolicy", "cloud", "invoices.archive"): bucket})
    [(ref, finding, _, _)] = cloud_policy.suspects(facts)
    assert ref.name == "invoices.archive" and "explicit deny" in finding["message"]
    assert "arn:aws:s3:::invoices.archive/2026/10/x.pdf" in finding["message"][:400]


def test_a_kms_grant_that_lost_decrypt_is_named() -> None:
    facts, _ = run(KMS, [write("Grant", "invoices-decrypt")],
                   {("Grant", "cloud", "invoices-decrypt"): grant(["Encrypt", "GenerateDataKey"])})
    [(ref, finding, _, _)] = cloud_policy.suspects(facts)
    assert ref == Ref("Grant", "cloud", "invoices-decrypt") and "kms:Decrypt" in finding["message"][:400]


@pytest.mark.parametrize(("line", "kind", "name", "obj"), [
    (GCS, "IAMPolicyMember", "invoices-read", gcs_member("invoices-app@acme.iam.gserviceaccount.com")),
    (AZURE, "RoleAssignment", "invoices-keys", assignment("7f3c9e2a-1111-2222-3333-444455556666")),
    (KMS, "Grant", "invoices-decrypt", grant(["Encrypt", "Decrypt"])),
    (GCS, "IAMPolicyMember", "invoices-read", gcs_member("reports@acme.iam.gserviceaccount.com", "audit-logs")),
])
def test_a_binding_that_still_grants_the_caller_or_governs_another_resource_is_not_named(
        line: str, kind: str, name: str, obj: dict[str, Any]) -> None:
    facts, _ = run(line, [write(kind, name)], {(kind, "cloud", name): obj})
    assert cloud_policy.suspects(facts) == []
