"""pod.image_digest_split: replicas of one workload run two builds of one mutable tag, the newer one failing.

Pods are shaped as the API server returns them: `status.containerStatuses[].imageID` as containerd
(`repo@sha256:...`) and as dockershim (`docker-pullable://repo@sha256:...`) write it, `Pulled`
events in the kubelet's words. Two shapes: a Deployment on `:stable` with imagePullPolicy Always
whose new pods crash loop, and a StatefulSet on an implicit `:latest` (Always by default) whose new
pod's container exited with an error.
"""

from __future__ import annotations

from typing import Any

from mcp_servers.kubernetes.scan import ScanResult, Snapshot, scan
from tests.scan.objects import NOW, deployment, event, pod, replicaset, set_container, ts

OLD = "sha256:" + "1a" * 32
NEW = "sha256:" + "9f" * 32
STABLE = "registry.example.com/merch/pricer:stable"


def _replica(name: str, image: str, digest: str, minutes_ago: float, owner: tuple[str, str],
             prefix: str = "", policy: str | None = "Always") -> dict[str, Any]:
    p = pod(name, owner=owner, image=image)
    p["metadata"]["creationTimestamp"] = p["status"]["startTime"] = ts(minutes_ago)
    if policy:
        p["spec"]["containers"][0]["imagePullPolicy"] = policy
    p["status"]["containerStatuses"][0]["imageID"] = f"{prefix}{image.rsplit(':', 1)[0]}@{digest}"
    return p


def _crashing(p: dict[str, Any]) -> dict[str, Any]:
    return set_container(p, state={"waiting": {"reason": "CrashLoopBackOff"}}, restarts=9,
                         last={"exitCode": 1, "reason": "Error"})


def run(objects: list[dict[str, Any]]) -> ScanResult:
    return scan(Snapshot.from_objects(objects), NOW, ["digests"])


def _deployment_case(new_fails: bool = True, image: str = STABLE) -> list[dict[str, Any]]:
    owner = ("ReplicaSet", "pricer-6d8")
    objs: list[dict[str, Any]] = [deployment("pricer", replicas=4, image=image), replicaset("pricer-6d8", "pricer")]
    objs += [_replica(f"pricer-6d8-old{i}", image, OLD, 9 * 24 * 60, owner) for i in range(2)]
    for i in range(2):
        new = _replica(f"pricer-6d8-new{i}", image, NEW, 20, owner)
        objs.append(_crashing(new) if new_fails else new)
        objs.append(event("Pod", new["metadata"]["name"], "Pulled", f'Successfully pulled image "{image}" in 2.1s',
                          type_="Normal", first=19, last=1))
    return objs


def test_new_digest_failing_names_the_tag_both_digests_the_policy_and_when_it_was_pulled() -> None:
    [f] = run(_deployment_case()).findings
    assert f.check == "pod.image_digest_split" and f.severity == "critical"
    assert (f.object.kind, f.object.name) == ("Deployment", "pricer")
    assert f.details["new_digest"] == NEW and f.details["old_digest"] == OLD
    assert f.details["tag"] == "stable" and f.details["image_pull_policy"] == "Always"
    assert f.details["new_pulled"] == ts(19) and sorted(f.pods) == ["pricer-6d8-new0", "pricer-6d8-new1"]
    assert "mutable tag stable" in f.message and "imagePullPolicy Always" in f.message
    assert NEW[:19] in f.message and OLD[:19] in f.message and "CrashLoopBackOff" in f.message


def test_two_digests_all_healthy_is_not_a_finding() -> None:
    assert run(_deployment_case(new_fails=False)).findings == []


def test_pinned_by_digest_is_never_a_moved_tag() -> None:
    pinned = f"registry.example.com/merch/pricer@{OLD}"
    assert run(_deployment_case(image=pinned)).findings == []


def test_statefulset_on_implicit_latest_with_dockershim_image_ids() -> None:
    image = "ghcr.io/acme/indexer"  # no tag: `latest`, pulled Always by default
    owner = ("StatefulSet", "indexer")
    sts = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "indexer", "namespace": "shop"},
           "spec": {"replicas": 2}}
    old = _replica("indexer-0", image + ":x", OLD, 3000, owner, prefix="docker-pullable://", policy=None)
    new = _replica("indexer-1", image + ":x", NEW, 5, owner, prefix="docker-pullable://", policy=None)
    for p in (old, new):
        p["spec"]["containers"][0]["image"] = image
        p["status"]["containerStatuses"][0]["image"] = image
    new = set_container(new, state={"terminated": {"exitCode": 137, "reason": "Error"}})
    [f] = run([sts, old, new]).findings
    assert (f.object.kind, f.object.name) == ("StatefulSet", "indexer")
    assert f.details["tag"] == "latest" and f.details["image_pull_policy"] == "Always"
    assert f.details["new_digest"] == NEW and f.pods == ["indexer-1"]
    assert "exit code 137" in f.message


def test_the_older_digest_failing_is_not_blamed_on_a_moved_tag() -> None:
    """Old pods failing while freshly pulled ones run is a sick node or a recovered build, not a moved tag."""
    owner = ("ReplicaSet", "pricer-6d8")
    objs: list[dict[str, Any]] = [deployment("pricer", replicas=2), replicaset("pricer-6d8", "pricer"),
                                  _crashing(_replica("pricer-6d8-a", STABLE, OLD, 5000, owner)),
                                  _replica("pricer-6d8-b", STABLE, NEW, 10, owner)]
    assert run(objs).findings == []
