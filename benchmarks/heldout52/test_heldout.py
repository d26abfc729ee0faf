"""What round 52 of the held-out set alone is held to: each story says which kind of public failure it
re-creates, and each bundle really carries the storage change and what it did to the application it hurt.

The checks every round shares (valid bundles, sane keys, new failure types, pages that name only a victim,
culprits carrying their change, questions naming only a host, ...) run for this round from
benchmarks/heldout/test_rounds.py (`-k heldout52`), on the same build (benchmarks/conftest.py). No
investigation runs here.

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout52/test_heldout.py
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from benchmarks.heldout import round_checks as rc
from benchmarks.heldout.rounds import Built, by_name


@pytest.fixture
def built(heldout_built: Callable[[str], Built]) -> Built:
    return heldout_built("heldout52")


def _bundle(built: Built, name: str) -> Path:
    bundles, _ = built
    return next(b for b in bundles if b.name == name)


def _one(root: Path, kind: str, name: str, ns: str | None = None) -> dict[str, Any]:
    return next(i for i in rc.bundle_items(root) if i["kind"] == kind and i["metadata"]["name"] == name
                and (ns is None or i["metadata"].get("namespace", "") == ns))


def _all(root: Path, kind: str) -> list[dict[str, Any]]:
    return [i for i in rc.bundle_items(root) if i["kind"] == kind]


def _logs(root: Path, ns: str, prefix: str, name: str = "*.txt") -> str:
    """The logs of every pod of `ns` whose name starts with `prefix`, joined (`name`: which files)."""
    found = []
    for p in sorted((root / "cluster" / ns).iterdir()):
        if p.is_dir() and p.name.startswith(prefix):
            found += [f.read_text() for f in sorted(p.glob(name))]
    return "".join(found)


def _last_change(obj: dict[str, Any]) -> str:
    return max(m["time"] for m in obj["metadata"]["managedFields"]
               if m["manager"] != "kube-controller-manager" and not m.get("subresource"))


def _incident(root: Path) -> str:
    return str(yaml.safe_load((root / "manifest.yaml").read_text())["incident_time"])


def _manifest(root: Path) -> dict[str, Any]:
    return dict(yaml.safe_load((root / "manifest.yaml").read_text()))


def _events(root: Path) -> list[dict[str, Any]]:
    return _all(root, "Event")


def _revisions(root: Path, owner: str) -> list[dict[str, Any]]:
    return sorted((r for r in _all(root, "ControllerRevision") if r["metadata"]["ownerReferences"][0]["name"] == owner),
                  key=lambda r: r["revision"])


def test_every_story_says_what_it_was_drawn_from() -> None:
    """Each docstring's second paragraph names the kind of published failure it re-creates."""
    builders = by_name("heldout52").generator().ROUND.builders()
    assert len(builders) == 12
    for build in builders:
        paragraphs = [p.strip() for p in (build.__doc__ or "").split("\n\n")]
        assert len(paragraphs) >= 2, build.__name__
        assert paragraphs[1].startswith("after: "), build.__name__


def test_front_doors(built: Built) -> None:
    """Two chat questions (one naming only ml-inference, one only a node), two PagerDuty events, an SLO burn and
    one grouped notification of three alerts that never names the broker."""
    bundles, _ = built
    questions = [_manifest(b).get("question", "") for b in bundles]
    questions = [q for q in questions if q]
    assert len(questions) == 2
    assert any(q.startswith("ml-inference ") and "default" not in q for q in questions)
    assert sum((b / "alerts" / "pagerduty.json").exists() for b in bundles) == 2
    burn = json.loads((_bundle(built, "checkout-publish-burn") / "alerts" / "alertmanager.json").read_text())
    assert burn["alerts"][0]["labels"]["alertname"] == "ErrorBudgetBurn"
    grouped = json.loads((_bundle(built, "notification-publishes-blocked-grouped") / "alerts" /
                          "alertmanager.json").read_text())
    assert len(grouped["alerts"]) == 3
    assert "events-broker" not in json.dumps(grouped) and "rabbit" not in json.dumps(grouped).lower()


def test_custom_culprits_hold_the_changed_setting(built: Built) -> None:
    """The cluster-scoped EC2NodeClass with the 20Gi root volume, the CNPG Cluster restored from the November
    snapshot and the RabbitmqCluster's 60GB disk limit, each changed before the incident and seen in the victim."""
    root = _bundle(built, "inference-evictions-question")
    nc = _one(root, "EC2NodeClass", "default")
    assert "namespace" not in nc["metadata"] and _last_change(nc) < _incident(root)
    assert nc["spec"]["blockDeviceMappings"][0]["ebs"]["volumeSize"] == "20Gi"
    evicted = [e for e in _events(root) if e["reason"] == "Evicted"]
    assert evicted and "ephemeral-storage" in evicted[0]["message"]
    fresh = [n for n in json.loads((root / "cluster" / "nodes.json").read_text())["items"]
             if n["status"]["capacity"]["ephemeral-storage"] == "20893676Ki"]
    assert len(fresh) == 1 and fresh[0]["metadata"]["creationTimestamp"] > _last_change(nc)

    root = _bundle(built, "orders-duplicate-keys-page")
    cluster = _one(root, "Cluster", "orders-db", "orders-data")
    source = cluster["spec"]["bootstrap"]["recovery"]["volumeSnapshots"]["storage"]["name"]
    snapshots = sorted(s["metadata"]["name"] for s in _all(root, "VolumeSnapshot"))
    assert source == snapshots[0] and source != snapshots[-1] and _last_change(cluster) < _incident(root)
    assert "duplicate key value violates unique constraint" in _logs(root, "orders", "orders-api-")
    assert "last known up at 2026-11-04" in _logs(root, "orders-data", "orders-db-")

    root = _bundle(built, "notification-publishes-blocked-grouped")
    broker = _one(root, "RabbitmqCluster", "events-broker", "messaging")
    assert "disk_free_limit.absolute = 60GB" in broker["spec"]["rabbitmq"]["additionalConfig"]
    assert broker["spec"]["persistence"]["storage"] == "50Gi" and _last_change(broker) < _incident(root)
    assert "disk resource limit alarm set" in _logs(root, "messaging", "events-broker-server-")
    assert "Connection blocked: low on disk" in _logs(root, "notify", "notification-outbox-")


def test_builtin_culprits_and_their_effects(built: Built) -> None:
    """Each built-in culprit holds its changed field and the hurt application shows what it did."""
    root = _bundle(built, "partner-feed-stale-alert")
    pv = _one(root, "PersistentVolume", "feeds-dropbox-nfs")
    assert "actimeo=600" in pv["spec"]["mountOptions"] and _last_change(pv) < _incident(root)
    assert "new=0" in _logs(root, "feeds", "feed-reader-") and "written" in _logs(root, "feeds", "sftp-ingest-")

    root = _bundle(built, "uploads-api-crashloop")
    sets = sorted((r for r in _all(root, "ReplicaSet") if r["metadata"]["name"].startswith("uploads-api-")),
                  key=lambda r: r["metadata"]["creationTimestamp"])
    names = [[e["name"] for e in r["spec"]["template"]["spec"]["containers"][0]["env"]] for r in sets]
    assert "S3_FORCE_PATH_STYLE" in names[0] and "S3_FORCE_PATH_STYLE" not in names[1]
    assert "ENOTFOUND user-uploads.minio.storage.svc.cluster.local" in _logs(root, "uploads", "uploads-api-")

    root = _bundle(built, "search-indexer-evicted-alert")
    conf = _one(root, "ConfigMap", "search-indexer-log4j2", "search")
    assert "/app/logs/indexer.log" in conf["data"]["log4j2.xml"] and _last_change(conf) < _incident(root)
    assert any("ephemeral local storage" in e["message"] for e in _events(root) if e["reason"] == "Evicted")

    root = _bundle(built, "checkout-publish-burn")
    envs = [{e["name"]: e["value"] for e in r["data"]["spec"]["template"]["spec"]["containers"][0]["env"]}
            for r in _revisions(root, "events-kafka")]
    assert "KAFKA_CFG_LOG_SEGMENT_BYTES" not in envs[0] and envs[1]["KAFKA_CFG_LOG_SEGMENT_BYTES"] == "1048576"
    assert "Map failed" in _logs(root, "streaming", "events-kafka-")
    assert "_MSG_TIMED_OUT" in _logs(root, "shop-api", "checkout-api-")

    root = _bundle(built, "node-disk-filling-question")
    question = _manifest(root)["question"]
    host = next(n["metadata"]["name"] for n in json.loads((root / "cluster" / "nodes.json").read_text())["items"]
                if n["metadata"]["name"] in question)
    confs = [r["data"]["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"]
             for r in _revisions(root, "node-logrotate")]
    assert "copytruncate" in confs[0] and "copytruncate" not in confs[1] and "create 0644" in confs[1]
    batch = next(p for p in _all(root, "Pod") if p["metadata"]["name"].startswith("settlement-batch-"))
    assert batch["spec"]["nodeName"] == host
    assert "No space left on device" in _logs(root, "batch", "settlement-batch-")

    root = _bundle(built, "invoice-archiver-rollout-stuck")
    secret = _one(root, "Secret", "smb-finance-share", "storage")
    assert secret["metadata"]["managedFields"][-1]["manager"] == "vault-secrets-operator"
    assert _last_change(secret) < _incident(root)
    pv = _one(root, "PersistentVolume", "finance-archive-smb")
    assert pv["spec"]["csi"]["nodeStageSecretRef"]["name"] == "smb-finance-share"
    assert any("mount error(13): Permission denied" in e["message"] for e in _events(root))

    root = _bundle(built, "media-uploads-failing-page")
    cron = _one(root, "CronJob", "upload-tmp-reaper", "media")
    command = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["command"]
    assert "-mmin +1 " in command[-1] and _last_change(cron) < _incident(root)
    assert "ENOENT: no such file or directory" in _logs(root, "media", "media-upload-")

    root = _bundle(built, "thumbnailer-crashloop")
    sets = sorted((r for r in _all(root, "ReplicaSet") if r["metadata"]["name"].startswith("thumbnailer-")),
                  key=lambda r: r["metadata"]["creationTimestamp"])
    media = [r["spec"]["template"]["spec"]["volumes"][0]["emptyDir"].get("medium") for r in sets]
    assert media == [None, "Memory"]
    crashing = [p for p in _all(root, "Pod") if p["metadata"]["name"].startswith(sets[1]["metadata"]["name"])]
    assert crashing[0]["status"]["containerStatuses"][0]["lastState"]["terminated"]["reason"] == "OOMKilled"

    root = _bundle(built, "avatar-errors-alert")
    conf = _one(root, "ConfigMap", "avatar-cache-conf", "edge")
    assert "inactive=30d" in conf["data"]["cache.conf"] and _last_change(conf) < _incident(root)
    assert "(28: No space left on device)" in _logs(root, "edge", "avatar-edge-")
    metrics = (root / "metrics" / "metrics.om.txt").read_text()
    assert "kubelet_volume_stats_inodes_free" in metrics and "kubelet_volume_stats_available_bytes" in metrics
