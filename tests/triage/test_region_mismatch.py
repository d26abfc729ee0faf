"""agent.triage.region_mismatch: an object store refusing requests signed for a region its bucket is not in.

Shapes: a Thanos object-store ConfigMap written with `region: us-west-2` for a bucket in ap-southeast-1, refused in
aws-sdk-go's words (read through the hub); an uploader Deployment whose AWS_REGION env was written to us-east-1,
refused in the Java SDK's words; a MinIO refusal that names only the region it expects. Twins: the written config
holding the expected region, a region written days ago, a region write with no refusal, an env written to a third
region.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from agent.triage import region_mismatch as rm
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
GO_SDK = ("level=error msg=\"upload block\" err=\"operation error S3: PutObject, https response error StatusCode: "
          "400, api error AuthorizationHeaderMalformed: The authorization header is malformed; the region "
          "'us-west-2' is wrong; expecting 'ap-southeast-1'\"")
JAVA_SDK = ("com.amazonaws.services.s3.model.AmazonS3Exception: The authorization header is malformed; the region "
            "'us-east-1' is wrong; expecting 'eu-central-1' (Service: Amazon S3; Status Code: 400; Error Code: "
            "AuthorizationHeaderMalformed)")
MINIO = "upload failed: The authorization header is malformed; the region is wrong; expecting 'us-east-1'."


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def log(pod: str, namespace: str, line: str) -> LogEvidence:
    return LogEvidence(pod=pod, namespace=namespace, evidence_id="E5", top={"example": line}, hosts=[],
                       error_classes=set(), previous=False)


def write(kind: str, namespace: str, name: str, ago: timedelta, diff: str) -> dict[str, Any]:
    return {"at": iso(AT - ago), "type": "config" if kind == "ConfigMap" else "rollout",
            "object": {"kind": kind, "namespace": namespace, "name": name},
            "summary": f"{kind} {namespace}/{name} updated by helm: {diff}", "diff": [diff]}


def objstore(region: str) -> dict[str, Any]:
    text = (f"type: S3\nconfig:\n  bucket: metrics-apse1\n  endpoint: s3.ap-southeast-1.amazonaws.com\n"
            f"  region: {region}\n")
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "thanos-objstore", "namespace": "monitoring"},
            "data": {"objstore.yml": text}}


def thanos(region: str, ago: timedelta) -> Facts:
    change = write("ConfigMap", "monitoring", "thanos-objstore", ago, "data key objstore.yml set by helm")
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="C1")
    facts.logs.append(log("thanos-store-gateway-0", "monitoring", GO_SDK))
    hub = RecordingHub(objects={("ConfigMap", "monitoring", "thanos-objstore"): yaml.safe_dump(objstore(region))})
    asyncio.run(rm.read(Subject(namespace="monitoring"), facts, hub, iso(AT)))
    return facts


def test_thanos_objstore_config_written_with_the_refused_region() -> None:
    hits = rm.suspects(thanos("us-west-2", timedelta(hours=3)))
    assert len(hits) == 1
    ref, finding, evidence, explains = hits[0]
    assert (ref.kind, ref.name) == ("ConfigMap", "thanos-objstore")
    assert "us-west-2" in finding["message"] and "ap-southeast-1" in finding["message"]
    assert "objstore.yml" in finding["message"] and "E5" in evidence
    assert any(r.name == "thanos-store-gateway" for r in explains)


def test_uploader_env_written_to_the_refused_region() -> None:
    change = write("Deployment", "media", "thumb-uploader", timedelta(hours=20),
                   "uploader env AWS_REGION='eu-central-1' -> AWS_REGION='us-east-1'")
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="C1")
    facts.logs.append(log("thumb-uploader-7d9f8c6b5-k2x4q", "media", JAVA_SDK))
    hits = rm.suspects(facts)
    assert len(hits) == 1 and hits[0][0].name == "thumb-uploader"
    assert "AWS_REGION" in hits[0][1]["message"] and "eu-central-1" in hits[0][1]["message"]


def test_minio_refusal_naming_only_the_expected_region() -> None:
    cm = {"kind": "ConfigMap", "metadata": {"name": "backup-target", "namespace": "ops"},
          "data": {"S3_REGION": "eu-west-2", "S3_BUCKET": "nightly-dumps"}}
    change = write("ConfigMap", "ops", "backup-target", timedelta(hours=6), "data key S3_REGION set by kubectl-edit")
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="C1")
    facts.logs.append(log("db-dump-29391000-abcde", "ops", MINIO))
    hub = RecordingHub(objects={("ConfigMap", "ops", "backup-target"): yaml.safe_dump(cm)})
    asyncio.run(rm.read(Subject(namespace="ops"), facts, hub, iso(AT)))
    hits = rm.suspects(facts)
    assert len(hits) == 1 and hits[0][0].name == "backup-target" and "S3_REGION" in hits[0][1]["message"]


def test_written_config_holding_the_expected_region_names_nothing() -> None:
    assert rm.suspects(thanos("ap-southeast-1", timedelta(hours=3))) == []


def test_region_written_days_ago_names_nothing() -> None:
    assert rm.suspects(thanos("us-west-2", timedelta(days=5))) == []


def test_region_write_without_a_refusal_names_nothing() -> None:
    change = write("Deployment", "media", "thumb-uploader", timedelta(hours=2),
                   "uploader env AWS_REGION='eu-central-1' -> AWS_REGION='us-east-1'")
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="C1")
    facts.logs.append(log("thumb-uploader-7d9f8c6b5-k2x4q", "media", "java.net.SocketTimeoutException: Read timed out"))
    assert rm.suspects(facts) == []


def test_env_written_to_a_third_region_names_nothing() -> None:
    change = write("Deployment", "media", "thumb-uploader", timedelta(hours=2),
                   "uploader env AWS_REGION='eu-central-1' -> AWS_REGION='eu-west-3'")
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="C1")
    facts.logs.append(log("thumb-uploader-7d9f8c6b5-k2x4q", "media", JAVA_SDK))
    assert rm.suspects(facts) == []
