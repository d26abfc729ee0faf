"""requester_pays: a bucket switched to Requester Pays, and a reader from another account denied since.

Shapes of our own: an ACK S3 `Bucket` whose Python (boto3) reader gets `AccessDenied` and whose IRSA role is in
another account than the bucket's owner; a Config Connector `StorageBucket` (`requesterPays: true`) whose Go reader
gets GCS's `requester pays bucket but no user project provided`; an Upbound `BucketRequestPaymentConfiguration`
(`payer: Requester`) whose bucket is named by `forProvider.bucket` (read path, hub double). Twins: a switch back
to BucketOwner, denials before the write, a reader in the owner's own account, a reader of another bucket.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import requester_pays as rp
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 10, 14, 8, 0, tzinfo=UTC)
BOTO = "botocore.exceptions.ClientError: An error occurred (AccessDenied) when calling the GetObject operation: " \
       "Access Denied"
GCS = 'googleapi: Error 400: Bucket is a requester pays bucket but no user project provided., required'


def _t(minutes_before: int) -> str:
    return (AT - timedelta(minutes=minutes_before)).isoformat().replace("+00:00", "Z")


def _log(pod: str, namespace: str, said: str, first_before: int) -> LogEvidence:
    error = {"message": said, "example": said, "severity": "error", "first_seen": _t(first_before)}
    return LogEvidence(pod=pod, namespace=namespace, evidence_id="E7", top=error, hosts=[], error_classes=set(),
                       previous=False)


def _write(kind: str, namespace: str, name: str, minutes_before: int, diff: str) -> dict[str, Any]:
    return {"at": _t(minutes_before), "type": "other", "object": {"kind": kind, "namespace": namespace, "name": name},
            "summary": f"{kind} {namespace}/{name} written by kubectl-patch: {diff}", "diff": [diff]}


def _s3(payer: str = "Requester", first_before: int = 20, role: str = "210987654321",
        bucket_env: str = "vendor-price-drops") -> Facts:
    pod = "price-sync-7c9d8b6f5-x2k4q"
    facts = Facts(at=AT, changes={"changes": [_write("Bucket", "vendors", "vendor-price-drops", 40,
                                                     f"spec.requestPayment.payer = '{payer}'")]},
                  changes_id="E2", logs=[_log(pod, "pricing", BOTO, first_before)])
    facts.reads[rp.STORE] = {
        "pods": {pod: {"words": [("env DROP_BUCKET", bucket_env),
                                 ("env AWS_ROLE_ARN", f"arn:aws:iam::{role}:role/price-sync")], "evidence": "E5"}},
        "buckets": {"Bucket vendors/vendor-price-drops": {"names": ["vendor-price-drops"], "evidence": "E6",
                                                          "owner": "123456789012"}}}
    return facts


def test_an_s3_bucket_switched_to_requester_pays_names_its_cross_account_reader() -> None:
    found = rp.found(_s3())
    assert [(str(s.bucket), s.reader.name, s.accounts) for s in found] == [
        ("Bucket vendors/vendor-price-drops", "price-sync", ("210987654321", "123456789012"))]
    message = rp.finding(found[0], AT)["message"]
    assert message.startswith("Bucket vendors/vendor-price-drops was switched to Requester Pays 40 min before")
    assert "x-amz-request-payer" in message[:400] and "AccessDenied" in message[:400]
    assert rp.suspects(_s3())[0][2] == ["E2", "E7", "E5", "E6"]


def test_a_gcs_bucket_with_requester_pays_names_a_reader_through_its_error() -> None:
    pod = "ingest-5c6d7f8b9-zxcvb"
    said = f"read gs://partner-drop-eu/2026/10/14.csv: {GCS}"
    facts = Facts(at=AT, changes={"changes": [_write("StorageBucket", "data", "partner-drop-eu", 30,
                                                     "spec.requesterPays = true")]},
                  changes_id="E2", logs=[_log(pod, "ingest", said, 25)])
    found = rp.found(facts)
    assert [(s.reader.name, s.where[:9]) for s in found] == [("ingest", "its error")]


def test_twins_switched_back_earlier_denials_the_owners_account_and_another_bucket() -> None:
    assert rp.found(_s3(payer="BucketOwner")) == []
    assert rp.found(_s3(first_before=50)) == []  # denied before the write
    assert rp.found(_s3(role="123456789012")) == []  # the owner's own requests need no payer
    assert rp.found(_s3(bucket_env="vendor-price-archive")) == []


def test_read_follows_an_upbound_payment_configuration_to_its_bucket() -> None:
    pod = "exporter-6d5f7c9b8-qwrtz"
    facts = Facts(at=AT, changes={"changes": [_write("BucketRequestPaymentConfiguration", "", "drops-payment", 30,
                                                     "spec.forProvider.payer = 'Requester'")]},
                  changes_id="E2", logs=[_log(pod, "reports", BOTO, 10)])
    config = {"apiVersion": "s3.aws.upbound.io/v1beta1", "kind": "BucketRequestPaymentConfiguration",
              "metadata": {"name": "drops-payment"},
              "spec": {"forProvider": {"bucket": "acme-report-drops", "payer": "Requester"}}}
    pod_obj = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": pod, "namespace": "reports"},
               "spec": {"containers": [{"name": "app", "args": ["--source=s3://acme-report-drops/daily/"]}]}}
    hub = RecordingHub(objects={("Pod", "reports", pod): pod_obj,
                                ("BucketRequestPaymentConfiguration", "", "drops-payment"): config})
    asyncio.run(rp.read(Subject(), facts, hub, ""))
    assert [s.reader.name for s in rp.found(facts)] == ["exporter"]


def test_registered_with_its_weight() -> None:
    from agent.triage import behind
    assert rp in behind.MODULES and behind.WEIGHTS[rp.CHECK] == rp.WEIGHT
