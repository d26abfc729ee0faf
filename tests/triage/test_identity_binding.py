"""agent.triage.identity_binding: a workload identity binding that no longer covers the pods' ServiceAccount.

Shapes: an EKS PodIdentityAssociation whose serviceAccount was renamed away from the one the pods run as, S3
refusing the EC2 node role (`assumed-role/<node role>/i-...`); a GKE ServiceAccount written without its
`iam.gke.io/gcp-service-account` annotation, GCS refusing the node's default compute service account. Twins: a
refusal naming the workload's own role (a policy's class, nothing read); an association written that still covers
the pods' ServiceAccount; a ServiceAccount written that keeps its annotation.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import identity_binding
from agent.triage.facts import Facts, LogEvidence, Ref
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 11, 9, 14, 0, tzinfo=UTC)
POD = "thumbs-7d9f8c6b5-x2k4q"
NODE_ROLE = ('time=2026-11-09T13:40:02Z level=error msg="put failed" err="operation error S3: PutObject, https '
             'response error StatusCode: 403, api error AccessDenied: User: arn:aws:sts::111122223333:assumed-role/'
             'eks-nodes-main/i-0a1b2c3d4e5f60718 is not authorized to perform: s3:PutObject"')
OWN_ROLE = NODE_ROLE.replace("eks-nodes-main/i-0a1b2c3d4e5f60718", "thumbs-writer/aws-sdk-go-v2-1731160802")
GKE = ('2026-11-09T13:41:00Z ERROR upload failed: 403 POST https://storage.googleapis.com/upload/storage/v1/b/'
       'thumbs: 123456789012-compute@developer.gserviceaccount.com does not have storage.objects.create access '
       '(PERMISSION_DENIED)')


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def change(kind: str, namespace: str, name: str, minutes_before: int, diff: str) -> dict[str, Any]:
    return {"at": iso(AT - timedelta(minutes=minutes_before)), "type": "other",
            "object": {"kind": kind, "namespace": namespace, "name": name},
            "summary": f"{kind} {namespace}/{name} written by kubectl-edit", "diff": [diff], "related": []}


def association(account: str) -> dict[str, Any]:
    return {"apiVersion": "eks.services.k8s.aws/v1alpha1", "kind": "PodIdentityAssociation",
            "metadata": {"name": "thumbs-s3", "namespace": "cloud-iam"},
            "spec": {"clusterName": "main", "namespace": "images", "serviceAccount": account,
                     "roleARN": "arn:aws:iam::111122223333:role/thumbs-writer"}}


def account(annotations: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": "thumbs", "namespace": "images", "annotations": annotations}}


POD_SPEC = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": POD, "namespace": "images"},
            "spec": {"serviceAccountName": "thumbs", "containers": [{"name": "thumbs", "image": "thumbs:2"}]}}


def run(line: str, changes: list[dict[str, Any]], objects: dict[Any, Any]) -> tuple[Facts, RecordingHub]:
    facts = Facts(at=AT, changes_id="C1")
    facts.changes = {"changes": changes}
    facts.logs = [LogEvidence(pod=POD, namespace="images", evidence_id="L1", top={"message": line,
                                                                                  "severity": "error"},
                              hosts=[], error_classes={"auth_failure"}, previous=False)]
    hub = RecordingHub(objects={("Pod", "images", POD): POD_SPEC, **objects})
    asyncio.run(identity_binding.read(Subject(names=["thumbs"]), facts, hub, iso(AT)))
    return facts, hub


def test_an_association_renamed_away_from_the_pods_account_is_named_with_the_node_role() -> None:
    written = change("PodIdentityAssociation", "cloud-iam", "thumbs-s3", 90, "spec.serviceAccount = 'thumbs-sa'")
    facts, _ = run(NODE_ROLE, [written], {("PodIdentityAssociation", "cloud-iam", "thumbs-s3"):
                                          association("thumbs-sa"),
                                          ("ServiceAccount", "images", "thumbs"): account({})})
    [(ref, finding, evidence, explains)] = identity_binding.suspects(facts)
    assert ref == Ref("PodIdentityAssociation", "cloud-iam", "thumbs-s3")
    head = finding["message"][:400]
    assert "serviceAccount is thumbs-sa" in head and "run as ServiceAccount thumbs" in head
    assert "node role" in finding["message"] and "eks-nodes-main" in finding["message"]
    assert explains == [Ref("", "images", "thumbs")]
    assert "L1" in evidence


def test_a_gke_account_that_lost_its_annotation_is_named() -> None:
    written = change("ServiceAccount", "images", "thumbs", 30,
                     "metadata.annotations.iam.gke.io/gcp-service-account removed")
    facts, _ = run(GKE, [written], {("ServiceAccount", "images", "thumbs"): account({})})
    [(ref, finding, _, _)] = identity_binding.suspects(facts)
    assert ref == Ref("ServiceAccount", "images", "thumbs")
    assert "no identity annotation" in finding["message"]
    assert "123456789012-compute@developer.gserviceaccount.com" in finding["message"]


def test_a_refusal_of_the_workloads_own_role_reads_nothing() -> None:
    written = change("PodIdentityAssociation", "cloud-iam", "thumbs-s3", 90, "spec.serviceAccount = 'thumbs-sa'")
    facts, hub = run(OWN_ROLE, [written], {})
    assert identity_binding.suspects(facts) == []
    assert hub.calls == []


def test_an_association_that_still_covers_the_pods_account_is_not_named() -> None:
    written = change("PodIdentityAssociation", "cloud-iam", "thumbs-s3", 90, "spec.roleARN = 'x'")
    facts, _ = run(NODE_ROLE, [written], {("PodIdentityAssociation", "cloud-iam", "thumbs-s3"):
                                          association("thumbs")})
    assert identity_binding.suspects(facts) == []


def test_an_account_written_that_keeps_its_annotation_is_not_named() -> None:
    written = change("ServiceAccount", "images", "thumbs", 30, "metadata.labels.team = 'media'")
    facts, _ = run(GKE, [written], {("ServiceAccount", "images", "thumbs"):
                                    account({"iam.gke.io/gcp-service-account": "thumbs@p.iam.gserviceaccount.com"})})
    assert identity_binding.suspects(facts) == []
