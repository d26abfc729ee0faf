"""What round 33 of the held-out set alone is held to: each story says which kind of public failure it
re-creates, and where the cause is a change outside the paged object, the bundle really carries the
change, its effect on the data store between them, and the victim's errors.

The checks every round shares (valid bundles, sane keys, new failure types, pages that name only a victim,
culprits carrying their change, questions naming only a host, ...) run for this round from
benchmarks/heldout/test_rounds.py (`-k heldout33`), on the same build (benchmarks/conftest.py). No
investigation runs here.

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout33/test_heldout.py
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from benchmarks.heldout import round_checks as rc
from benchmarks.heldout.rounds import Built, by_name


@pytest.fixture
def built(heldout_built: Callable[[str], Built]) -> Built:
    return heldout_built("heldout33")


def _bundle(built: Built, name: str) -> Path:
    bundles, _ = built
    return next(b for b in bundles if b.name == name)


def _items(root: Path, ns: str, filename: str) -> list[dict[str, Any]]:
    return list(json.loads((root / "cluster" / ns / filename).read_text())["items"])


def _one(root: Path, kind: str, name: str) -> dict[str, Any]:
    return next(i for i in rc.bundle_items(root) if i["kind"] == kind and i["metadata"]["name"] == name)


def _logs(root: Path, ns: str, prefix: str, previous: bool = False) -> dict[str, str]:
    """Pod name -> its current (or previous) logs, for the pods of `ns` whose name starts with `prefix`."""
    out = {}
    for p in sorted((root / "cluster" / ns).iterdir()):
        if p.is_dir() and p.name.startswith(prefix):
            files = sorted(p.glob("*.previous.txt")) if previous else [p / "logs.txt"]
            out[p.name] = "".join(f.read_text() for f in files if f.exists())
    return out


def _env(container: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e.get("value", "") for e in container.get("env", [])}


def _incident(root: Path) -> str:
    return str(yaml.safe_load((root / "manifest.yaml").read_text())["incident_time"])


def _when(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def _last_change(obj: dict[str, Any]) -> str:
    return max(m["time"] for m in obj["metadata"]["managedFields"])


def test_every_story_says_what_it_was_drawn_from() -> None:
    """Each docstring's second paragraph names the kind of published failure it re-creates."""
    builders = by_name("heldout33").generator().ROUND.builders()
    assert len(builders) == 12
    for build in builders:
        paragraphs = [p.strip() for p in (build.__doc__ or "").split("\n\n")]
        assert len(paragraphs) >= 3, build.__name__
        assert paragraphs[1].startswith("after: "), build.__name__


def test_front_doors_and_simple_share(built: Built) -> None:
    """Two chat questions (one naming only a workload, no namespace), PagerDuty events, an SLO burn, a grouped
    notification; three or four incidents are simple (the page names the culprit)."""
    bundles, answers = built
    keys = rc.keys(bundles, answers)
    questions, simple, pagerduty = [], 0, 0
    for name, key in keys.items():
        root = answers.parent / "bundles" / name
        manifest = yaml.safe_load((root / "manifest.yaml").read_text())
        if manifest.get("question"):
            questions.append(manifest["question"])
        pagerduty += any(a.endswith("pagerduty.json") for a in manifest["alerts"])
        said = " ".join((root / a).read_text() for a in manifest["alerts"]) + manifest.get("question", "")
        simple += key["culprit"]["name"] in said
    assert len(questions) == 2 and pagerduty == 2
    namespaces = {k["culprit"]["namespace"] for k in keys.values()}
    assert any("profile-api" in q and not any(f" {ns}" in q for ns in namespaces if ns) for q in questions)
    assert 3 <= simple <= 4
    burn = json.loads((_bundle(built, "statement-downloads-burn") / "alerts" / "alertmanager.json").read_text())
    assert burn["alerts"][0]["labels"]["alertname"] == "ErrorBudgetBurn"


def test_pooler_limit_cut_and_pgbouncer_refuses_the_victim(built: Built) -> None:
    """The Pooler holds max_client_conn 200, edited within the hour before the page; PgBouncer logs the refusal
    only after the edit, and refund-api connects through that pooler and gets the same error."""
    root = _bundle(built, "refund-api-connection-errors-page")
    pooler = _one(root, "Pooler", "payments-db-pooler-rw")
    assert pooler["spec"]["pgbouncer"]["parameters"]["max_client_conn"] == "200"
    edited = _last_change(pooler)
    assert timedelta(0) < _when(_incident(root)) - _when(edited) < timedelta(hours=1)
    bouncer = "".join(_logs(root, "payments-db", "payments-db-pooler-rw").values())
    refusals = [line for line in bouncer.splitlines() if "no more connections allowed (max_client_conn)" in line]
    assert refusals and all(line[:19] > edited[:19] for line in refusals)
    api = next(d for d in _items(root, "payments", "deployments.json") if d["metadata"]["name"] == "refund-api")
    assert _env(api["spec"]["template"]["spec"]["containers"][0])["PGHOST"].startswith("payments-db-pooler-rw.")
    assert "max_client_conn" in "".join(_logs(root, "payments", "refund-api").values())


def test_bucket_encryption_key_is_the_one_walg_is_denied(built: Built) -> None:
    """The cluster-scoped encryption configuration names a KMS key, and Spilo's WAL-G upload errors are denied
    kms:GenerateDataKey on exactly that key; the page names neither the bucket nor the resource."""
    root = _bundle(built, "inventory-db-wal-archive-failing")
    sse = _one(root, "BucketServerSideEncryptionConfiguration", "inventory-wal-archive-sse")
    assert "namespace" not in sse["metadata"]
    rule = sse["spec"]["forProvider"]["rule"][0]["applyServerSideEncryptionByDefault"][0]
    assert rule["sseAlgorithm"] == "aws:kms"
    spilo = _logs(root, "inventory-db", "inventory-db-0")["inventory-db-0"]
    assert f"kms:GenerateDataKey on resource: {rule['kmsMasterKeyId']}" in spilo
    assert "archive command failed" in spilo
    page = (root / "alerts" / "alertmanager.json").read_text()
    assert "acme-pg-wal" not in page and "sse" not in page


def test_kafka_user_acl_no_longer_covers_the_consumer_group(built: Built) -> None:
    """No group ACL of the KafkaUser matches label-dispatcher, the broker denies its JoinGroup, the consumer
    uses that user and group, and the three grouped alerts never name the user."""
    root = _bundle(built, "shipping-labels-stalled-grouped")
    user = _one(root, "KafkaUser", "shipping-svc")
    groups = [a["resource"] for a in user["spec"]["authorization"]["acls"] if a["resource"]["type"] == "group"]

    def covers(res: dict[str, str], group: str) -> bool:
        return group.startswith(res["name"]) if res["patternType"] == "prefix" else group == res["name"]
    assert groups and not any(covers(r, "label-dispatcher") for r in groups)
    broker = "".join(_logs(root, "kafka", "events-kafka").values())
    assert "User:shipping-svc is Denied Operation = Read" in broker and "Group:LITERAL:label-dispatcher" in broker
    dispatcher = next(d for d in _items(root, "shipping", "deployments.json")
                      if d["metadata"]["name"] == "label-dispatcher")
    env = _env(dispatcher["spec"]["template"]["spec"]["containers"][0])
    assert env["KAFKA_USER"] == "shipping-svc" and env["SPRING_KAFKA_CONSUMER_GROUP_ID"] == "label-dispatcher"
    page = (root / "alerts" / "alertmanager.json").read_text()
    assert len(json.loads(page)["alerts"]) == 3 and "shipping-svc" not in page


def test_rename_migration_ran_before_the_other_service_failed(built: Built) -> None:
    """The accounts migration Job's log names the rename and it finished before statements-api (another
    namespace) first logged 42703 on the old column."""
    root = _bundle(built, "statement-downloads-burn")
    job = _one(root, "Job", "accounts-api-migrate-57")
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-upgrade"
    log = "".join(_logs(root, "accounts", "accounts-api-migrate-57").values())
    assert "rename customers.email to email_address" in log
    victim = "".join(_logs(root, "finance", "statements-api").values())
    first = min(line[:20] for line in victim.splitlines() if "42703: column c.email does not exist" in line)
    assert job["status"]["completionTime"] < first


def test_recreated_storage_class_lacks_throughput_and_only_its_new_volume_lags(built: Built) -> None:
    """The StorageClass was (re)created within the day without iops/throughput; the one claim provisioned since
    uses it, and only that replica's ClickHouse logs TOO_MANY_PARTS."""
    root = _bundle(built, "clickstream-ingest-rejected")
    sc = _one(root, "StorageClass", "gp3-clickhouse")
    assert "throughput" not in sc["parameters"] and "iops" not in sc["parameters"]
    assert timedelta(0) < _when(_incident(root)) - _when(sc["metadata"]["creationTimestamp"]) < timedelta(days=1)
    claims = {i["metadata"]["name"]: i for i in rc.bundle_items(root) if i["kind"] == "PersistentVolumeClaim"
              and i["metadata"]["name"].startswith("data-chi-events")}
    newer = [n for n, i in claims.items() if i["metadata"]["creationTimestamp"] > sc["metadata"]["creationTimestamp"]]
    assert newer == ["data-chi-events-events-0-1-0"]
    for name, text in _logs(root, "analytics", "chi-events-events-").items():
        assert ("TOO_MANY_PARTS" in text) == (name == "chi-events-events-0-1-0"), name


def test_host_question_backup_reads_the_database_volume_on_that_node(built: Built) -> None:
    """The question names only a node; the in-progress PodVolumeBackup runs there for ledger-db-0's volume, which
    lives there; the Schedule turned on file-system backups the same day."""
    root = _bundle(built, "node-iowait-high-question")
    question = (root / "alerts" / "question.txt").read_text()
    nodes = [n["metadata"]["name"] for n in json.loads((root / "cluster" / "nodes.json").read_text())["items"]]
    asked = [n for n in nodes if n in question]
    assert len(asked) == 1
    pvb = next(i for i in rc.bundle_items(root) if i["kind"] == "PodVolumeBackup")
    assert pvb["spec"]["node"] == asked[0] and pvb["status"]["phase"] == "InProgress"
    db = next(p for p in _items(root, "ledger", "pods.json") if p["metadata"]["name"] == "ledger-db-0")
    assert db["spec"]["nodeName"] == asked[0]
    schedule = _one(root, "Schedule", "daily-apps")
    assert schedule["spec"]["template"]["defaultVolumesToFsBackup"] is True
    assert _last_change(schedule)[:10] == _incident(root)[:10]


def test_simple_incidents_carry_the_change_in_the_paged_object(built: Built) -> None:
    """events-mongo's two ControllerRevisions differ in the WiredTiger cache size; fraud-feature-builder's newest
    ReplicaSet sets offset reset none with a new group; the failed Job's first pod logs the transaction error."""
    root = _bundle(built, "events-mongo-crashlooping")
    revisions = sorted((i for i in rc.bundle_items(root) if i["kind"] == "ControllerRevision"
                        and i["metadata"]["name"].startswith("events-mongo-")), key=lambda r: r["revision"])
    caches = [next(a for a in r["data"]["spec"]["template"]["spec"]["containers"][0]["args"]
                   if a.startswith("--wiredTigerCacheSizeGB")) for r in revisions]
    assert caches == ["--wiredTigerCacheSizeGB=1.5", "--wiredTigerCacheSizeGB=6"]
    assert "cache_size=6144M" in "".join(_logs(root, "audit", "events-mongo-2", previous=True).values())

    root = _bundle(built, "fraud-feature-builder-crashloop")
    sets = sorted(_items(root, "risk", "replicasets.json"),
                  key=lambda r: int(r["metadata"]["annotations"]["deployment.kubernetes.io/revision"]))
    sets = [r for r in sets if r["metadata"]["ownerReferences"][0]["name"] == "fraud-feature-builder"]
    old, new = (_env(r["spec"]["template"]["spec"]["containers"][0]) for r in sets[-2:])
    assert (old["KAFKA_AUTO_OFFSET_RESET"], new["KAFKA_AUTO_OFFSET_RESET"]) == ("latest", "none")
    assert old["KAFKA_GROUP_ID"] != new["KAFKA_GROUP_ID"]

    root = _bundle(built, "billing-schema-migrate-failed")
    job = _one(root, "Job", "billing-schema-migrate-0412")
    assert job["status"]["failed"] == 3 and job["status"]["conditions"][0]["reason"] == "BackoffLimitExceeded"
    logs = _logs(root, "billing", "billing-schema-migrate-0412")
    assert len(logs) == 3
    assert sum("cannot run inside a transaction block" in t for t in logs.values()) == 1
    assert sum("Dirty database version" in t for t in logs.values()) == 2
