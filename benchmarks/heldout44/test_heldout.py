"""What round 44 of the held-out set alone is held to: each story says which kind of public failure it
re-creates, and each bundle really carries the data platform's change and what it did to the hurt workload.

The checks every round shares (valid bundles, sane keys, new failure types, pages that name only a victim,
culprits carrying their change, questions naming only a host, ...) run for this round from
benchmarks/heldout/test_rounds.py (`-k heldout44`), on the same build (benchmarks/conftest.py). No
investigation runs here.

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout44/test_heldout.py
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from benchmarks.heldout import round_checks as rc
from benchmarks.heldout.rounds import Built, by_name


@pytest.fixture
def built(heldout_built: Callable[[str], Built]) -> Built:
    return heldout_built("heldout44")


def _bundle(built: Built, name: str) -> Path:
    bundles, _ = built
    return next(b for b in bundles if b.name == name)


def _one(root: Path, kind: str, name: str) -> dict[str, Any]:
    return next(i for i in rc.bundle_items(root) if i["kind"] == kind and i["metadata"]["name"] == name)


def _all(root: Path, kind: str) -> list[dict[str, Any]]:
    return [i for i in rc.bundle_items(root) if i["kind"] == kind]


def _logs(root: Path, ns: str, prefix: str) -> str:
    """The current logs of every pod of `ns` whose name starts with `prefix`, joined."""
    return "".join((p / "logs.txt").read_text() for p in sorted((root / "cluster" / ns).iterdir())
                   if p.is_dir() and p.name.startswith(prefix) and (p / "logs.txt").exists())


def _last_change(obj: dict[str, Any]) -> str:
    return max(m["time"] for m in obj["metadata"]["managedFields"] if m["manager"] != "kube-controller-manager")


def _incident(root: Path) -> str:
    return str(yaml.safe_load((root / "manifest.yaml").read_text())["incident_time"])


def _when(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def _metric(root: Path, name: str, **labels: str) -> list[float]:
    values = []
    for line in (root / "metrics" / "metrics.om.txt").read_text().splitlines():
        if not line.startswith(name + "{"):
            continue
        head, value, _ = line.rsplit(" ", 2)
        if all(f'{k}="{v}"' in head for k, v in labels.items()):
            values.append(float(value))
    return values


def _env(container: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e.get("value", "") for e in container.get("env", [])}


def test_every_story_says_what_it_was_drawn_from() -> None:
    """Each docstring's second paragraph names the kind of published failure it re-creates."""
    builders = by_name("heldout44").generator().ROUND.builders()
    assert len(builders) == 12
    for build in builders:
        paragraphs = [p.strip() for p in (build.__doc__ or "").split("\n\n")]
        assert len(paragraphs) >= 2, build.__name__
        assert paragraphs[1].startswith("after: "), build.__name__


def test_front_doors(built: Built) -> None:
    """Two chat questions (one naming only a workload, one only a node), two PagerDuty events, an SLO burn and
    one grouped notification of three alerts; the rest are single Alertmanager alerts."""
    bundles, _ = built
    questions = [yaml.safe_load((b / "manifest.yaml").read_text()).get("question", "") for b in bundles]
    questions = [q for q in questions if q]
    assert len(questions) == 2
    assert any(q.startswith("feature-backfill ") and "kueue" not in q.lower() for q in questions)
    assert sum((b / "alerts" / "pagerduty.json").exists() for b in bundles) == 2
    burn = json.loads((_bundle(built, "quote-prices-stale-burn") / "alerts" / "alertmanager.json").read_text())
    assert burn["alerts"][0]["labels"]["alertname"] == "ErrorBudgetBurn"
    grouped = json.loads((_bundle(built, "clickstream-enricher-restarting-grouped") / "alerts" / "alertmanager.json")
                         .read_text())
    assert len(grouped["alerts"]) == 3


def test_custom_culprits_hold_the_changed_setting(built: Built) -> None:
    """The SparkApplication's shuffle-tracking timeout, the FlinkDeployment's allowNonRestoredState, the
    cluster-scoped ClusterQueue's quota below the Job's request, and the S3 sink's flush.size."""
    root = _bundle(built, "sessions-table-stale")
    app = _one(root, "SparkApplication", "sessionize-daily")
    assert app["spec"]["sparkConf"]["spark.dynamicAllocation.shuffleTracking.timeout"] == "60s"
    assert _last_change(app) < _incident(root)
    assert "MetadataFetchFailedException: Missing an output location for shuffle" in _logs(root, "etl",
                                                                                           "sessionize-daily-driver")

    root = _bundle(built, "ledger-duplicate-inserts-page")
    flink = _one(root, "FlinkDeployment", "payment-dedup")
    assert flink["spec"]["job"]["allowNonRestoredState"] is True
    assert "Skipping savepoint state for operator" in _logs(root, "streaming", "payment-dedup")
    assert "(SQLSTATE 23505)" in _logs(root, "ledger", "ledger-writer")

    root = _bundle(built, "feature-backfill-question")
    queue = _one(root, "ClusterQueue", "batch-cluster-queue")
    assert "namespace" not in queue["metadata"]
    quota = queue["spec"]["resourceGroups"][0]["flavors"][0]["resources"][0]
    job = next(j for j in _all(root, "Job") if j["metadata"]["name"].startswith("feature-backfill-"))
    request = int(job["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["cpu"])
    assert quota["name"] == "cpu" and int(quota["nominalQuota"]) < request * job["spec"]["parallelism"]
    assert job["spec"]["suspend"] is True and not job["status"].get("startTime")
    assert not [p for p in _all(root, "Pod") if p["metadata"]["name"].startswith("feature-backfill-")]

    root = _bundle(built, "lake-orders-partitions-late")
    sink = _one(root, "KafkaConnector", "orders-s3-sink")
    assert sink["spec"]["config"]["flush.size"] == "500000"
    assert "rotate.schedule.interval.ms" not in sink["spec"]["config"]
    lag = _metric(root, "kafka_consumergroup_lag", consumergroup="connect-orders-s3-sink", partition="0")
    healthy = _metric(root, "kafka_consumergroup_lag", consumergroup="connect-payments-s3-sink", partition="0")
    assert lag == sorted(lag) and lag[-1] > lag[0] > 100 * max(healthy)  # climbing since the change, yesterday


def test_builtin_culprits_and_their_effects(built: Built) -> None:
    """The fail-fast policy, the extract's deadline, the artifact region, the trimmed Role, the commit interval,
    the blob port the policy leaves out and the producer's compression."""
    root = _bundle(built, "embeddings-backfill-failed")
    job = _one(root, "Job", "embeddings-backfill")
    rule = job["spec"]["podFailurePolicy"]["rules"][0]
    assert rule["action"] == "FailJob" and rule["onExitCodes"]["values"] == [1]
    assert [c["reason"] for c in job["status"]["conditions"] if c["type"] == "Failed"] == ["PodFailurePolicy"]
    assert "(SlowDown)" in _logs(root, "ml", "embeddings-backfill-41-")

    root = _bundle(built, "dbt-nightly-build-failed")
    cron = _one(root, "CronJob", "orders-extract")
    deadline = cron["spec"]["jobTemplate"]["spec"]["activeDeadlineSeconds"]
    done = [j for j in _all(root, "Job") if j["metadata"]["name"].startswith("orders-extract-")
            and j["status"].get("completionTime")]
    assert done and all((_when(j["status"]["completionTime"]) - _when(j["status"]["startTime"])).total_seconds()
                        > deadline for j in done)
    reasons = [c.get("reason") for j in _all(root, "Job") for c in j["status"].get("conditions", [])]
    assert "DeadlineExceeded" in reasons
    assert "ERROR STALE freshness of raw.orders" in _logs(root, "warehouse", "dbt-nightly-")

    root = _bundle(built, "churn-pipeline-failing")
    repo = _one(root, "ConfigMap", "artifact-repositories")["data"]["default-v1"]
    assert "region: us-east-1" in repo
    assert "expecting 'eu-west-1'" in _logs(root, "ml-pipelines", "churn-training-")

    root = _bundle(built, "compaction-job-failed-page")
    role = _one(root, "Role", "spark-driver")
    assert all("create" not in r["verbs"] for r in role["rules"])
    assert '"configmaps" in API group' in _logs(root, "lakehouse", "iceberg-compaction-driver")

    root = _bundle(built, "quote-prices-stale-burn")
    revisions = sorted((r for r in _all(root, "ControllerRevision")
                        if r["metadata"]["ownerReferences"][0]["name"] == "price-aggregator"),
                       key=lambda r: r["revision"])
    intervals = [_env(r["data"]["spec"]["template"]["spec"]["containers"][0])["STREAMS_COMMIT_INTERVAL_MS"]
                 for r in revisions]
    assert intervals == ["100", "30000"]
    assert "refusing quote" in _logs(root, "pricing", "quote-api")

    root = _bundle(built, "clickstream-enricher-restarting-grouped")
    policy = _one(root, "NetworkPolicy", "jobmanager-ingress")
    ports = {p["port"] for rule in policy["spec"]["ingress"] for p in rule["ports"]}
    assert 6123 in ports and 6124 not in ports
    assert "Could not connect to BlobServer" in _logs(root, "streaming-jobs", "clickstream-enricher-taskmanager-1-7")

    root = _bundle(built, "events-gateway-errors")
    comps = {_env(r["spec"]["template"]["spec"]["containers"][0])["SPRING_KAFKA_PRODUCER_COMPRESSION_TYPE"]
             for r in _all(root, "ReplicaSet") if r["metadata"]["name"].startswith("events-gateway-")}
    assert comps == {"lz4", "none"}
    assert "RecordTooLargeException" in _logs(root, "ingest", "events-gateway")


def test_the_backfill_saturates_the_question_node(built: Built) -> None:
    """Only the question's node carries the backfill's nodeSelector label, all its pods run there, and only that
    node's bandwidth-allowance counter climbs."""
    root = _bundle(built, "node-timeouts-question")
    question = yaml.safe_load((root / "manifest.yaml").read_text())["question"]
    nodes = json.loads((root / "cluster" / "nodes.json").read_text())["items"]
    labelled = [n["metadata"]["name"] for n in nodes if n["metadata"]["labels"].get("acme.io/local-nvme") == "true"]
    assert len(labelled) == 1 and labelled[0] in question
    pods = [p for p in _all(root, "Pod") if p["metadata"]["name"].startswith("s3-archive-backfill-")]
    assert len(pods) == 6 and {p["spec"]["nodeName"] for p in pods} == set(labelled)
    for n in nodes:
        name = n["metadata"]["name"]
        drops = _metric(root, "node_ethtool_bw_out_allowance_exceeded", node=name)
        assert (drops[-1] > 1000) == (name == labelled[0]), name
