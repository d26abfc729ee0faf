"""node.image_fs_full: the workload whose in-use images fill a node's image filesystem.

Wordings: the kubelet's Node events `ImageGCFailed` / `FreeDiskSpaceFailed` ("Failed to garbage
collect required amount of images. Attempted to free N bytes, but only found 0 bytes eligible to
free."), and containerd's pull failure on the pod ("failed to extract layer ...: no space left on
device") with no Node event at all. Sizes come from the node's `status.images`. Healthy twin: a node
with big images but no sign of a full disk is never blamed.
"""

from __future__ import annotations

from typing import Any

from mcp_servers.kubernetes.scan import ScanResult, Snapshot, scan
from tests.scan.objects import NOW, deployment, event, node, pod, replicaset

GIB = 2**30
GC_MESSAGE = ("Failed to garbage collect required amount of images. Attempted to free 4939622604 bytes, but only "
              "found 0 bytes eligible to free.")
PULL_MESSAGE = ('Failed to pull image "registry.example.com/pay:2.0": failed to pull and unpack image: failed to '
                "extract layer sha256:ab12: write /var/lib/containerd/tmp/x: no space left on device: unknown")


def daemonset(name: str, ns: str) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": name, "namespace": ns},
            "spec": {}, "status": {"desiredNumberScheduled": 2, "numberReady": 2}}


def world(images: list[tuple[str, int]]) -> list[dict[str, Any]]:
    n = node("node-2")
    n["status"]["images"] = [{"names": [f"{img}@sha256:{i:064x}", img], "sizeBytes": size}
                             for i, (img, size) in enumerate(images)]
    agent = pod("indexer-x1", ns="search", owner=("DaemonSet", "indexer"), image="registry.example.com/indexer:9")
    agent["spec"]["nodeName"] = "node-2"
    web = pod("web-5d4-a", owner=("ReplicaSet", "web-5d4"), image="registry.example.com/web:1")
    web["spec"]["nodeName"] = "node-2"
    pay = pod("pay-6f7-b", owner=("ReplicaSet", "pay-6f7"), image="registry.example.com/pay:2.0")
    pay["spec"]["nodeName"] = "node-2"
    pay["status"]["phase"] = "Pending"
    return [n, daemonset("indexer", "search"), agent, deployment("web"), replicaset("web-5d4", "web"), web,
            deployment("pay"), replicaset("pay-6f7", "pay"), pay]


IMAGES = [("registry.example.com/web:1", 300 * 2**20), ("registry.example.com/indexer:9", 21 * GIB)]


def run(objects: list[dict[str, Any]]) -> ScanResult:
    return scan(Snapshot.from_objects(objects), NOW, ["imagefs"])


def test_kubelet_gc_event_blames_the_daemonset_with_the_biggest_image() -> None:
    objs = [*world(IMAGES), event("Node", "node-2", "ImageGCFailed", GC_MESSAGE, ns=""),
            event("Pod", "pay-6f7-b", "Failed", PULL_MESSAGE)]
    [f] = run(objs).findings
    assert (f.check, str(f.object)) == ("node.image_fs_full", "DaemonSet search/indexer")
    assert "registry.example.com/indexer:9 (21.0 GiB)" in f.message and "node-2" in f.message
    assert "registry.example.com/web:1" in f.message  # the next biggest, and who keeps it
    assert f.details["explains"] == ["Deployment shop/pay"]
    assert any("ImageGCFailed" in e for e in f.evidence)


def test_runtime_no_space_alone_is_enough() -> None:
    objs = [*world(IMAGES), event("Pod", "pay-6f7-b", "Failed", PULL_MESSAGE)]
    [f] = run(objs).findings
    assert str(f.object) == "DaemonSet search/indexer" and "no space left on device" in f.message


def test_big_images_without_a_full_disk_are_not_a_finding() -> None:
    objs = [*world(IMAGES), event("Pod", "pay-6f7-b", "Failed", 'Failed to pull image "x": not found')]
    assert run(objs).findings == []
