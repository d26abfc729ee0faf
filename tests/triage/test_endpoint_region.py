"""endpoint_region: a ConfigMap pointing an S3 client at another region's endpoint, answered 301 PermanentRedirect
(issue #12, round 43 class: an object-store endpoint written to the wrong region).

Written here, not taken from the held-out bundles. Shapes: a Loki-style YAML config whose `endpoint:` names
us-west-2 beside `region: us-east-1`, its reader's boto3 refusal already surveyed; an env-style ConfigMap whose
just-written S3_ENDPOINT names ap-southeast-2, the refusal (Java SDK words) found in its reader's log. Twins: an
endpoint of the config's own region not just written, a write after the refusals began, no refusal anywhere.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import endpoint_region
from agent.triage.facts import Facts, LogEvidence, Ref
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
NS = "observability"


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def configmap(name: str, data: dict[str, str], wrote: list[str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "data": data,
            "metadata": {"name": name, "namespace": NS, "managedFields": [
                {"manager": "helm", "time": "2026-09-01T00:00:00Z", "fieldsV1": {"f:data": {"f:other": {}}}},
                {"manager": "kubectl-edit", "time": _iso(AT - timedelta(minutes=30)),
                 "fieldsV1": {"f:data": {f"f:{k}": {} for k in wrote}}}]}}


def change(name: str, written: datetime, related: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"at": _iso(written), "type": "updated", "object": {"kind": "ConfigMap", "namespace": NS, "name": name},
            "summary": f"ConfigMap {NS}/{name} updated by kubectl-edit", "diff": [], "related": related or []}


BOTO = ("botocore.exceptions.ClientError: An error occurred (PermanentRedirect) when calling the PutObject operation: "
        "The bucket you are attempting to access must be addressed using the specified endpoint.")
JAVA = ("2026-11-02T09:35:10Z ERROR ArchiveWriter - upload failed: software.amazon.awssdk.services.s3.model."
        "S3Exception: The bucket you are attempting to access must be addressed using the specified endpoint. Please "
        "send all future requests to this endpoint. (Service: S3, Status Code: 301)")
LOKI = configmap("loki-storage", {"config.yaml": "common:\n  storage:\n    s3:\n      bucketnames: logs-chunks\n"
                                                  "      endpoint: https://s3.us-west-2.amazonaws.com\n"
                                                  "      region: us-east-1\n"}, ["config.yaml"])
ENV = configmap("archive-env", {"S3_ENDPOINT": "https://s3.ap-southeast-2.amazonaws.com", "BUCKET": "cold-archive"},
                ["S3_ENDPOINT"])


def run(obj: dict[str, Any], ch: dict[str, Any], surveyed: str | None, reader_lines: list[str]) -> Facts:
    facts = Facts(at=AT, changes={"changes": [ch]}, changes_id="C1")
    if surveyed:
        facts.logs = [LogEvidence(pod="loki-write-0", namespace=NS, evidence_id="L1",
                                  top={"example": surveyed, "first_seen": _iso(AT - timedelta(minutes=28))},
                                  hosts=[], error_classes=set(), previous=False)]
    name = obj["metadata"]["name"]
    hub = RecordingHub(objects={("ConfigMap", NS, name): obj},
                       lists={("Pod", NS): [{"name": "archive-writer-6d8f9c7b5-k2x9q", "namespace": NS}]},
                       logs={"archive-writer-6d8f9c7b5-k2x9q": reader_lines})
    asyncio.run(endpoint_region.read(Subject(names=["archive"]), facts, hub, _iso(AT)))
    return facts


READER = [{"kind": "Deployment", "namespace": NS, "name": "archive-writer"}]


def test_a_yaml_endpoint_in_another_region_than_its_region_line_is_named() -> None:
    facts = run(LOKI, change("loki-storage", AT - timedelta(minutes=30)), BOTO, [])
    [(ref, finding, _, _)] = endpoint_region.suspects(facts)
    assert ref == Ref("ConfigMap", NS, "loki-storage")
    assert finding["details"]["region"] == "us-west-2" and "us-east-1" in finding["message"]


def test_a_just_written_env_endpoint_is_named_from_its_readers_log() -> None:
    facts = run(ENV, change("archive-env", AT - timedelta(minutes=30), READER), None, [JAVA])
    [(ref, finding, _, victims)] = endpoint_region.suspects(facts)
    assert ref == Ref("ConfigMap", NS, "archive-env") and finding["details"]["key"] == "S3_ENDPOINT"
    assert "PermanentRedirect" in finding["message"] and any(v.name == "archive-writer" for v in victims)


def test_twin_an_endpoint_of_the_configs_own_region_not_just_written_is_not_named() -> None:
    same = configmap("archive-env", {"S3_ENDPOINT": "https://s3.ap-southeast-2.amazonaws.com",
                                     "AWS_REGION": "ap-southeast-2", "BUCKET": "cold-archive"}, ["BUCKET"])
    facts = run(same, change("archive-env", AT - timedelta(minutes=30), READER), None, [JAVA])
    assert endpoint_region.suspects(facts) == []


def test_twin_a_write_after_the_refusals_began_is_not_named() -> None:
    facts = run(LOKI, change("loki-storage", AT - timedelta(minutes=5)), BOTO, [])
    assert endpoint_region.suspects(facts) == []


def test_twin_no_refusal_names_nothing() -> None:
    facts = run(ENV, change("archive-env", AT - timedelta(minutes=30), READER), None,
                ["2026-11-02T09:35:10Z INFO ArchiveWriter - uploaded 120 objects"])
    assert endpoint_region.suspects(facts) == []
