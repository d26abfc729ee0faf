"""The rollout diff says when a volume's source changed without its name changing: an emptyDir made a
tmpfs (medium: Memory, charged to the memory limit), its sizeLimit changed, a hostPath moved. Before, such a
revision read as 'pod template unchanged' and the OOMKills after it had no cause."""

from __future__ import annotations

from typing import Any

from mcp_servers.kubernetes.reads import template_diff


def _template(volumes: list[dict[str, Any]]) -> dict[str, Any]:
    return {"spec": {"containers": [{"name": "worker", "image": "r/worker:1"}], "volumes": volumes}}


def test_video_transcoder_work_dir_made_tmpfs_is_named() -> None:
    old = _template([{"name": "work", "emptyDir": {}}])
    new = _template([{"name": "work", "emptyDir": {"medium": "Memory"}}])
    lines = template_diff(old, new)
    assert len(lines) == 1
    assert "volume work" in lines[0] and "medium: Memory" in lines[0] and "tmpfs" in lines[0]


def test_pdf_renderer_cache_made_tmpfs_beside_a_size_limit_is_named() -> None:
    old = _template([{"name": "cache", "emptyDir": {"sizeLimit": "20Gi"}},
                     {"name": "conf", "configMap": {"name": "renderer-conf"}}])
    new = _template([{"name": "cache", "emptyDir": {"medium": "Memory", "sizeLimit": "20Gi"}},
                     {"name": "conf", "configMap": {"name": "renderer-conf"}}])
    lines = template_diff(old, new)
    assert len(lines) == 1 and "cache" in lines[0] and "tmpfs" in lines[0]


def test_twin_unchanged_tmpfs_volume_is_not_a_change() -> None:
    vols = [{"name": "work", "emptyDir": {"medium": "Memory"}}]
    assert template_diff(_template(vols), _template(vols)) == []


def test_twin_disk_emptydir_size_limit_change_is_not_called_tmpfs() -> None:
    old = _template([{"name": "cache", "emptyDir": {"sizeLimit": "1Gi"}}])
    new = _template([{"name": "cache", "emptyDir": {"sizeLimit": "4Gi"}}])
    lines = template_diff(old, new)
    assert lines == ["volume cache emptyDir (sizeLimit 1Gi) -> emptyDir (sizeLimit 4Gi)"]
    assert "tmpfs" not in lines[0] and "Memory" not in lines[0]


def test_hostpath_moved_is_named_and_same_path_is_not() -> None:
    old = _template([{"name": "logs", "hostPath": {"path": "/var/log/app"}}])
    new = _template([{"name": "logs", "hostPath": {"path": "/mnt/logs"}}])
    assert template_diff(old, new) == ["volume logs hostPath /var/log/app -> hostPath /mnt/logs"]
    assert template_diff(old, old) == []
