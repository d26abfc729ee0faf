"""A volume out of inodes while its bytes are free, and a storage engine out of file handles or memory maps.

Both end in failed writes that read like a full disk: ENOSPC is returned for a volume with no inode left
as for one with no byte left, and a Kafka broker whose log directories fail for want of file handles says
'all log dirs ... have failed' as it does for a full disk. The volume gauges (`kubelet_volume_stats_inodes*`
beside `*_bytes`) and the writer's own words tell them apart. Logs go through the real log-facts extractor.
"""

from __future__ import annotations

from typing import Any

from agent.triage.facts import Facts, LogEvidence
from agent.triage.full_volume import fillings, finding, handles_exhausted
from tests.triage.test_full_volume import GI, claim_volume, log, pod, pvc, stats, top_of
from tests.triage.test_rank import AT


def inode_stats(namespace: str, claim: str, **values: float) -> dict[str, Any]:
    labels = {"namespace": namespace, "persistentvolumeclaim": claim, "job": "kubelet"}
    return {"samples": [{"labels": {"__name__": f"kubelet_volume_stats_{name}", **labels}, "value": value}
                        for name, value in values.items()]}


def thumbs(lines: list[str], metrics: list[dict[str, Any]]) -> Facts:
    writer = log("thumbd-5c9f7b6d8c-q2w4x", "media", lines, "E5")
    return Facts(at=AT, logs=[writer], objects=[
        (pod("thumbd-5c9f7b6d8c-q2w4x", "media", [claim_volume("thumbs", "thumb-store")],
             [{"name": "thumbs", "mountPath": "/srv/thumbs"}], ("ReplicaSet", "thumbd-5c9f7b6d8c"),
             "ghcr.io/example/thumbd:2.4"), "E7"),
        (pvc("thumb-store", "media", "200Gi"), "E8")],
        metrics=[(m, f"E{9 + i}") for i, m in enumerate(metrics)])


GO_WRITE = ["2026-05-01T11:58:03Z level=error msg=\"store thumbnail\" err=\"open /srv/thumbs/7f/3a/91c2.webp: "
            "no space left on device\""]


def test_inodes_exhausted_with_bytes_free_say_inodes_not_full() -> None:
    facts = thumbs(GO_WRITE, [stats("media", "thumb-store", 200 * GI, 120 * GI),
                              inode_stats("media", "thumb-store", inodes=13_107_200, inodes_free=0)])
    top = top_of(facts, alertname="ThumbnailErrors", namespace="media", deployment="thumbd")
    assert str(top.ref) == "PersistentVolumeClaim media/thumb-store"
    assert "out of inodes (0 free)" in top.cause and "120Gi of bytes are still available" in top.cause
    assert "gp3) is full" not in top.cause


def test_inodes_used_up_without_a_free_gauge_and_a_python_writer() -> None:
    lines = ["Traceback (most recent call last):", "OSError: [Errno 28] No space left on device: "
             "'/srv/thumbs/spool/job-88123.json'"]
    facts = thumbs(lines, [stats("media", "thumb-store", 200 * GI, 90 * GI),
                           inode_stats("media", "thumb-store", inodes=2_000_000, inodes_used=2_000_000)])
    found = fillings(facts)
    assert len(found) == 1 and found[0].inodes.startswith("out of inodes (0 free)")
    assert "multiplies small files" in finding(found[0])[1]["message"]


def test_twin_bytes_exhausted_with_inodes_free_is_a_full_volume() -> None:
    facts = thumbs(GO_WRITE, [stats("media", "thumb-store", 200 * GI, 40 * 1024 ** 2),
                              inode_stats("media", "thumb-store", inodes=13_107_200, inodes_free=9_000_000)])
    found = fillings(facts)
    assert len(found) == 1 and not found[0].inodes
    assert "is full: 40Mi of 200Gi available" in finding(found[0])[1]["message"]


def test_twin_no_inode_left_but_bytes_unknown_is_not_called_inodes() -> None:
    facts = thumbs(GO_WRITE, [inode_stats("media", "thumb-store", inodes_free=0)])
    found = fillings(facts)
    assert len(found) == 1 and not found[0].inodes


def broker(lines: list[str]) -> Facts:
    kafka = log("ledger-kafka-1", "streaming", lines, "E5")
    return Facts(at=AT, logs=[kafka], objects=[
        (pod("ledger-kafka-1", "streaming", [claim_volume("data", "data-ledger-kafka-1")],
             [{"name": "data", "mountPath": "/var/lib/kafka"}], ("StatefulSet", "ledger-kafka"),
             "docker.io/apache/kafka:3.8.0"), "E7"),
        (pvc("data-ledger-kafka-1", "streaming", "1Ti"), "E8")])


DIRS_FAILED = "[2026-05-01 11:58:05,002] ERROR Shutdown broker because all log dirs in /var/lib/kafka/data have " \
              "failed (kafka.log.LogManager)"


def test_kafka_log_dirs_failed_for_open_files_is_no_full_volume() -> None:
    facts = broker([
        "[2026-05-01 11:58:04,881] ERROR Error while loading log dir /var/lib/kafka/data (kafka.log.LogManager)",
        "java.nio.file.FileSystemException: /var/lib/kafka/data/ledger-7/00000000000004410021.timeindex: "
        "Too many open files", DIRS_FAILED])
    assert fillings(facts) == []


def test_kafka_log_dirs_failed_for_memory_maps_is_no_full_volume() -> None:
    facts = broker([
        "[2026-05-01 11:58:04,881] ERROR Failed to mmap index file for segment 4410021 "
        "(max_map_count of the host reached) (kafka.log.OffsetIndex)", DIRS_FAILED])
    assert fillings(facts) == []


def test_twin_kafka_log_dirs_failed_for_space_is_still_a_full_volume() -> None:
    facts = broker(["java.io.IOException: No space left on device", DIRS_FAILED])
    found = fillings(facts)
    assert len(found) == 1 and str(found[0].claim) == "PersistentVolumeClaim streaming/data-ledger-kafka-1"


def _one(line: str) -> LogEvidence:
    return log("x-0", "ns", [line], "E1")


def test_handle_and_map_exhaustion_in_other_engines_wordings() -> None:
    for line in ["[2026-05-01T11:58:01,000][ERROR][o.e.b.Bootstrap] max file descriptors [4096] for "
                 "elasticsearch process is too low, increase to at least [65535]",
                 "[2026-05-01T11:58:01,000][ERROR][o.e.b.BootstrapChecks] bootstrap check failure [1] of [1]: max "
                 "virtual memory areas vm.max_map_count [65530] is too low, increase to at least [262144]",
                 "rocksdb: IO error: While open a file for random read: /data/db/000123.sst: Too many open files",
                 "ERROR [CompactionExecutor:3] FSReadError in /var/lib/cassandra/data/ks/t/nb-12-big-Index.db: "
                 "java.io.IOException: Map failed"]:
        assert handles_exhausted([_one(line)]), line
    for line in ["java.io.IOException: No space left on device", "WARN Map of partitions reloaded in 3 ms",
                 "INFO opened 1200 files for compaction"]:
        assert not handles_exhausted([_one(line)]), line
