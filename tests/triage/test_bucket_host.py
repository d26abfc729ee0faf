"""bucket_host: an object-store client that addresses its bucket virtual-host style (bucket in the hostname) against a
self-hosted store that serves it only path-style, so `<bucket>.<endpoint>` does not resolve (issue #12, round 52
class: path-style addressing dropped).

Written here, not taken from the held-out bundles. Shapes: a Go SDK v2 worker against Ceph RGW whose rollout turned
usePathStyle off ('lookup ...: no such host'); a Java exporter against SeaweedFS whose bucket env names the label in
front of its endpoint (UnknownHostException), no change seen. Twins: the endpoint itself not resolving; a StatefulSet
pod's own name in front of its headless Service (neither a bucket nor an addressing change); AWS's own endpoint.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agent.triage import bucket_host
from agent.triage.facts import Facts, LogEvidence, Ref

AT = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def pod(name: str, ns: str, env: dict[str, str]) -> dict[str, Any]:
    return {"kind": "Pod", "metadata": {"name": name, "namespace": ns},
            "spec": {"containers": [{"name": "app", "env": [{"name": k, "value": v} for k, v in env.items()]
                                     + [{"name": "S3_SECRET", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}]
                                     }]}}


def facts_for(pod_name: str, ns: str, line: str, env: dict[str, str], changes: list[dict[str, Any]]) -> Facts:
    facts = Facts(at=AT, changes={"changes": changes}, changes_id="C1")
    facts.logs = [LogEvidence(pod=pod_name, namespace=ns, evidence_id="L1", top={"example": line}, hosts=[],
                              error_classes={"dns_failure"}, previous=True)]
    facts.reads[bucket_host.STORE] = {f"{ns}/{pod_name}": (pod(pod_name, ns, env), "P1")}
    return facts


def rollout(ns: str, name: str, diff: list[str]) -> dict[str, Any]:
    return {"at": "2026-11-02T09:50:00Z", "type": "rollout", "object": {"kind": "Deployment", "namespace": ns,
                                                                       "name": name},
            "summary": f"Deployment {ns}/{name} rolled out revision 5: " + "; ".join(diff), "diff": diff}


GO = ('level=error msg="put object failed" err="operation error S3: PutObject, https response error: dial tcp: '
      'lookup exports.rgw.ceph-objects.svc.cluster.local on 10.96.0.10:53: no such host"')
JAVA = ("java.net.UnknownHostException: reports-archive.seaweedfs-s3.blobs.svc: Name or service not known")


def test_go_worker_with_path_style_turned_off_names_the_workload() -> None:
    facts = facts_for("report-worker-7c9d8b6f5-x2k4q", "billing", GO,
                      {"S3_ENDPOINT": "http://rgw.ceph-objects.svc:8080", "OUTPUT_PREFIX": "daily/"},
                      [rollout("billing", "report-worker", ["worker env S3_USE_PATH_STYLE='true' -> 'false'"])])
    found = bucket_host.suspects(facts)
    assert len(found) == 1
    ref, finding, evidence, _ = found[0]
    assert ref == Ref("Deployment", "billing", "report-worker")
    assert "path-style" in finding["message"] and "virtual-host" in finding["message"]
    assert finding["details"]["bucket"] == "exports" and "S3_USE_PATH_STYLE" in finding["details"]["setting"]
    assert evidence == ["L1", "P1"]


def test_java_exporter_whose_bucket_env_is_the_label_is_named_without_a_change() -> None:
    facts = facts_for("usage-exporter-5f6d7c8b9-x7k2q", "analytics", JAVA,
                      {"STORAGE_URL": "https://seaweedfs-s3.blobs.svc:8333", "EXPORT_BUCKET": "reports-archive"}, [])
    found = bucket_host.found(facts)
    assert [(m.workload.name, m.bucket, m.endpoint) for m in found] == \
        [("usage-exporter", "reports-archive", "seaweedfs-s3.blobs.svc")]


def test_twin_endpoint_itself_not_resolving_is_not_addressing() -> None:
    line = "Error: getaddrinfo ENOTFOUND rgw.ceph-objects.svc.cluster.local"
    facts = facts_for("report-worker-7c9d8b6f5-x2k4q", "billing", line,
                      {"S3_ENDPOINT": "http://rgw.ceph-objects.svc:8080", "S3_BUCKET": "exports"},
                      [rollout("billing", "report-worker", ["worker env S3_USE_PATH_STYLE='true' -> 'false'"])])
    assert bucket_host.found(facts) == []


def test_twin_statefulset_pod_name_in_front_of_its_headless_service_is_not_a_bucket() -> None:
    line = "java.net.UnknownHostException: kafka-2.kafka-headless.streaming.svc.cluster.local"
    facts = facts_for("ingest-6b7c8d9f4-qwert", "streaming", line,
                      {"KAFKA_BOOTSTRAP": "kafka-headless.streaming.svc:9092", "TOPIC_BUCKET_COUNT": "12"},
                      [rollout("streaming", "ingest", ["ingest image r/ingest:1 -> r/ingest:2"])])
    assert bucket_host.found(facts) == []


def test_twin_aws_endpoint_serves_virtual_host_style() -> None:
    line = "lookup exports.s3.eu-west-1.amazonaws.com: no such host"
    facts = facts_for("report-worker-7c9d8b6f5-x2k4q", "billing", line,
                      {"S3_ENDPOINT": "https://s3.eu-west-1.amazonaws.com", "S3_BUCKET": "exports"}, [])
    assert bucket_host.found(facts) == []
