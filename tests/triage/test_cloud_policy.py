"""agent.triage.cloud_policy: a cloud IAM/KMS policy object managed in-cluster that no longer grants the app's call.

Shapes: an ACK KMS `Key` whose `spec.policy` statement for the app's role was replaced (S3 GetObject refused for
kms:Decrypt, `no resource-based policy allows`); a Crossplane-style bucket policy given an explicit Deny for the
role; a Config Connector `IAMPolicyMember` on a KMSCryptoKey (GCP `Permission '...useToDecrypt' denied on resource
'.../cryptoKeys/<key>'`). Twins: a key policy written that still allows the role (another principal added); a key
policy of another key (its ARN is not the refused resource); no refusal in the logs (nothing read).
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import cloud_policy
from agent.triage.facts import Facts, LogEvidence, Ref
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 10, 12, 16, 0, tzinfo=UTC)
POD = "invoices-7d9f8c6b5-x2k4q"
KEY_ARN = "arn:aws:kms:us-east-1:444455556666:key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
AWS_LINE = ("botocore.exceptions.ClientError: An error occurred (AccessDenied) when calling the GetObject "
            "operation: User: arn:aws:sts::444455556666:assumed-role/invoices-app/botocore-session-1 is not "
            f"authorized to perform: kms:Decrypt on resource: {KEY_ARN} because no resource-based policy allows "
            "the kms:Decrypt action")
BUCKET_LINE = ("AccessDenied: User: arn:aws:sts::444455556666:assumed-role/invoices-app/s1 is not authorized to "
               "perform: s3:PutObject on resource: arn:aws:s3:::invoices-archive/2026/10/x.pdf with an explicit deny "
               "in a resource-based policy")
GCP_LINE = ("google.api_core.exceptions.PermissionDenied: 403 Permission 'cloudkms.cryptoKeyVersions.useToDecrypt' "
            "denied on resource 'projects/acme/locations/global/keyRings/billing/cryptoKeys/invoices-key' (or it "
            "may not exist).")


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def policy(*roles: str, action: str = "kms:Decrypt", effect: str = "Allow") -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
         "Action": "kms:*", "Resource": "*"},
        *({"Sid": f"Use{r}", "Effect": effect, "Principal": {"AWS": f"arn:aws:iam::444455556666:role/{r}"},
           "Action": [action, "kms:DescribeKey"], "Resource": "*"} for r in roles)]}, indent=2)


def key(name: str, document: str, arn: str = KEY_ARN) -> dict[str, Any]:
    return {"apiVersion": "kms.services.k8s.aws/v1alpha1", "kind": "Key",
            "metadata": {"name": name, "namespace": "cloud"}, "spec": {"policy": document},
            "status": {"ackResourceMetadata": {"arn": arn}, "keyID": arn.rsplit("/", 1)[-1]}}


def write(kind: str, name: str, minutes_before: int = 30) -> dict[str, Any]:
    return {"at": iso(AT - timedelta(minutes=minutes_before)), "type": "other",
            "object": {"kind": kind, "namespace": "cloud", "name": name},
            "summary": f"{kind} cloud/{name} written by kubectl-edit", "diff": ["spec.policy changed"],
            "related": []}


def run(line: str, changes: list[dict[str, Any]], objects: dict[Any, Any]) -> tuple[Facts, RecordingHub]:
    facts = Facts(at=AT, changes_id="C1")
    facts.changes = {"changes": changes}
    facts.logs = [LogEvidence(pod=POD, namespace="billing", evidence_id="L1",
                              top={"message": line, "severity": "error"}, hosts=[], error_classes=set(),
                              previous=False)]
    hub = RecordingHub(objects=objects)
    asyncio.run(cloud_policy.read(Subject(names=["invoices"]), facts, hub, iso(AT)))
    return facts, hub


def test_a_key_policy_that_dropped_the_apps_role_is_named() -> None:
    facts, _ = run(AWS_LINE, [write("Key", "invoices-cmk")],
                   {("Key", "cloud", "invoices-cmk"): key("invoices-cmk", policy("reporting-job"))})
    [(ref, finding, evidence, explains)] = cloud_policy.suspects(facts)
    assert ref == Ref("Key", "cloud", "invoices-cmk")
    head = finding["message"][:400]
    assert "key policy" in head and "no longer allows role invoices-app kms:Decrypt" in head
    assert "now name only reporting-job" in head and "AccessDenied" in head
    assert explains == [Ref("", "billing", "invoices")]
    assert "L1" in evidence


def test_a_bucket_policy_with_an_explicit_deny_is_named() -> None:
    bucket = {"apiVersion": "s3.aws.upbound.io/v1beta1", "kind": "BucketPolicy",
              "metadata": {"name": "invoices-archive", "namespace": "cloud"},
              "spec": {"forProvider": {"policy": policy("invoices-app", action="s3:PutObject", effect="Deny")}}}
    facts, _ = run(BUCKET_LINE, [write("BucketPolicy", "invoices-archive")],
                   {("BucketPolicy", "cloud", "invoices-archive"): bucket})
    [(ref, finding, _, _)] = cloud_policy.suspects(facts)
    assert ref.name == "invoices-archive" and "s3:PutObject" in finding["message"]
    assert "explicit deny" in finding["message"]


def test_a_config_connector_member_on_the_refused_key_is_named() -> None:
    member = {"apiVersion": "iam.cnrm.cloud.google.com/v1beta1", "kind": "IAMPolicyMember",
              "metadata": {"name": "invoices-decrypt", "namespace": "cloud"},
              "spec": {"member": "serviceAccount:reports@acme.iam.gserviceaccount.com",
                       "role": "roles/cloudkms.cryptoKeyDecrypter",
                       "resourceRef": {"kind": "KMSCryptoKey", "name": "invoices-key"}}}
    facts, _ = run(GCP_LINE, [write("IAMPolicyMember", "invoices-decrypt")],
                   {("IAMPolicyMember", "cloud", "invoices-decrypt"): member})
    [(ref, finding, _, _)] = cloud_policy.suspects(facts)
    assert ref.name == "invoices-decrypt" and "cloudkms.cryptoKeyVersions.useToDecrypt" in finding["message"]


def test_a_key_policy_that_still_allows_the_role_is_not_named() -> None:
    facts, _ = run(AWS_LINE, [write("Key", "invoices-cmk")],
                   {("Key", "cloud", "invoices-cmk"): key("invoices-cmk", policy("invoices-app", "reporting-job"))})
    assert cloud_policy.suspects(facts) == []


def test_the_policy_of_another_key_is_not_named() -> None:
    other = KEY_ARN.replace("0b1c2d3e", "ffffffff")
    facts, _ = run(AWS_LINE, [write("Key", "audit-cmk")],
                   {("Key", "cloud", "audit-cmk"): key("audit-cmk", policy("auditor"), other)})
    assert cloud_policy.suspects(facts) == []


def test_no_refusal_reads_nothing() -> None:
    facts, hub = run("level=error msg=timeout dialing s3", [write("Key", "invoices-cmk")], {})
    assert cloud_policy.suspects(facts) == [] and hub.calls == []
