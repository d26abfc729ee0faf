"""A change that multiplies small files is named for a volume out of inodes while its bytes are free.

The writer's ENOSPC goes through the real log-facts extractor; the timeline's writes are `k8s_changes` rows
(a config edit that names only its key, a rollout with its env diff); the gauges are `kubelet_volume_stats_*`.
"""

from __future__ import annotations

from typing import Any

from agent.triage.facts import Facts
from agent.triage.inode_change import CHECK, WEIGHT, multiplied
from agent.triage.rank import CHECK_WEIGHT
from tests.triage.test_full_volume import GI, stats, top_of
from tests.triage.test_full_volume_files import GO_WRITE, inode_stats, thumbs

WORKLOAD = {"kind": "Deployment", "namespace": "media", "name": "thumbd"}


def config_edit(at: str = "2026-04-29T09:00:00Z") -> dict[str, Any]:
    return {"at": at, "type": "config", "object": {"kind": "ConfigMap", "namespace": "media", "name": "thumbd-conf"},
            "summary": "ConfigMap media/thumbd-conf updated by kubectl-edit: data key thumbd.yaml set",
            "diff": ["data key thumbd.yaml set by kubectl-edit"], "related": [WORKLOAD]}


def config_map(data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "thumbd-conf", "namespace": "media"},
            "data": {"thumbd.yaml": data}}


def with_change(change: dict[str, Any], objects: list[dict[str, Any]], inodes_spent: bool = True) -> Facts:
    gauges = ([stats("media", "thumb-store", 200 * GI, 120 * GI),
               inode_stats("media", "thumb-store", inodes=13_107_200, inodes_free=0)] if inodes_spent else
              [stats("media", "thumb-store", 200 * GI, 30 * 1024 ** 2),
               inode_stats("media", "thumb-store", inodes=13_107_200, inodes_free=8_000_000)])
    facts = thumbs(GO_WRITE, gauges)
    facts.changes = {"changes": [change]}
    facts.objects += [(o, "E20") for o in objects]
    return facts


def test_a_config_edit_keeping_files_longer_outranks_the_claim() -> None:
    facts = with_change(config_edit(), [config_map("cache:\n  dir: /srv/thumbs\n  max_age: 90d\n")])
    top = top_of(facts, alertname="ThumbnailErrors", namespace="media", deployment="thumbd")
    assert top.check == CHECK and str(top.ref) == "ConfigMap media/thumbd-conf"
    assert "max_age: 90d" in top.cause and "out of inodes (0 free)" in top.cause
    assert "no space left on device" in top.cause


def test_a_rollout_cutting_smaller_chunks_is_named() -> None:
    rollout = {"at": "2026-04-30T18:00:00Z", "type": "rollout", "object": WORKLOAD, "revision": 7,
               "summary": "Deployment media/thumbd rolled out revision 7",
               "diff": ["thumbd env CHUNK_SIZE (unset) -> CHUNK_SIZE='262144'"], "related": []}
    found = multiplied(with_change(rollout, []))
    assert len(found) == 1 and str(found[0].target) == "Deployment media/thumbd"
    assert found[0].setting == "CHUNK_SIZE='262144"


def test_twin_a_config_edit_without_a_file_count_setting_is_not_blamed() -> None:
    facts = with_change(config_edit(), [config_map("log:\n  level: debug\nworkers: 8\n")])
    assert multiplied(facts) == []
    top = top_of(facts, alertname="ThumbnailErrors", namespace="media", deployment="thumbd")
    assert str(top.ref) == "PersistentVolumeClaim media/thumb-store"


def test_twin_an_image_only_rollout_or_another_workload_is_not_blamed() -> None:
    image = {"at": "2026-04-30T18:00:00Z", "type": "rollout", "object": WORKLOAD, "revision": 7,
             "summary": "Deployment media/thumbd rolled out revision 7",
             "diff": ["thumbd image ghcr.io/example/thumbd:2.4 -> ghcr.io/example/thumbd:2.5"], "related": []}
    other = {**config_edit(), "related": [{"kind": "Deployment", "namespace": "media", "name": "resizer"}]}
    for change in (image, other):
        assert multiplied(with_change(change, [config_map("cache:\n  max_age: 90d\n")])) == []


def test_twin_bytes_spent_or_an_old_edit_is_no_inode_change() -> None:
    cm = [config_map("cache:\n  max_age: 90d\n")]
    assert multiplied(with_change(config_edit(), cm, inodes_spent=False)) == []
    assert multiplied(with_change(config_edit(at="2026-03-01T09:00:00Z"), cm)) == []


def test_its_weight_is_registered_above_the_claims() -> None:
    assert CHECK_WEIGHT[CHECK] == WEIGHT > CHECK_WEIGHT["pvc.full"]
