"""A pool of unfenced pods writing to unbounded emptyDirs that arrived on a node shortly before its DiskPressure,
named by the write to their creator just before (agent.triage.disk_arrivals).

Findings in the scan's own shape (a Node under DiskPressure with `since`), pods in Kubernetes' shape, writes in the
timeline's shape. Two shapes: a BuildKit Deployment re-synced by Argo CD (pods named after it, volumes on the pod),
and an Argo Workflows template whose pods carry its name as a label and were read without volumes (the creator's
template says them). Twins: pods still fenced by a nodeSelector, bounded emptyDirs, a creator written days before,
a single pod, pods that came after the pressure began, an
application rollout whose pods only mount /tmp.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agent.triage import disk_arrivals as da
from agent.triage.facts import Facts, Ref

AT = datetime(2026, 6, 2, 12, 0, tzinfo=UTC)
NODE = "worker-b-17"


def _pod(name: str, ns: str, created: str, volumes: list[dict[str, Any]] | None, labels: dict[str, str] | None = None,
         selector: dict[str, str] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"nodeName": NODE, "containers": [
        {"name": "main", "image": "x", "volumeMounts": [{"name": "scratch", "mountPath": "/var/lib/buildkit"}]}]}
    if volumes is not None:
        spec["volumes"] = volumes
    if selector:
        spec["nodeSelector"] = selector
    return {"kind": "Pod", "metadata": {"name": name, "namespace": ns, "creationTimestamp": created,
                                        "labels": labels or {}}, "spec": spec}


UNBOUNDED = [{"name": "scratch", "emptyDir": {}}]
BOUNDED = [{"name": "scratch", "emptyDir": {"sizeLimit": "20Gi"}}]


def _facts(pods: list[dict[str, Any]], write: tuple[str, str, str, str],
           creators: list[tuple[Ref, dict[str, Any]]] | None = None) -> Facts:
    facts = Facts(at=AT)
    facts.scan = {"findings": [{"check": "node.pressure", "severity": "critical", "since": "2026-06-02T11:20:00Z",
                                "object": {"kind": "Node", "name": NODE}, "reason": "DiskPressure",
                                "message": "DiskPressure (kubelet has disk pressure)"}]}
    kind, ns, name, at = write
    facts.changes = {"changes": [{"at": at, "type": "update", "object": {"kind": kind, "namespace": ns, "name": name},
                                  "summary": f"{kind} {ns}/{name} written by argocd-controller: spec.template"}]}
    facts.reads[da.STORE] = {"pods": [{"node": NODE, "pod": p, "evidence": ["L1", f"P{i}"]}
                                      for i, p in enumerate(pods)],
                             "creators": [(r, o, "C1") for r, o in creators or []]}
    return facts


def _buildkit(volumes: list[dict[str, Any]] = UNBOUNDED, written: str = "2026-06-02T10:30:00Z",
              selector: dict[str, str] | None = None, count: int = 3, created_hour: int = 10) -> Facts:
    pods = [_pod(f"buildkitd-6f7c8d9b4-{s}", "ci", f"2026-06-02T{created_hour}:{40 + i}:00Z", volumes,
                 selector=selector) for i, s in enumerate(["k2l8p", "q9r7s", "w4x5z"][:count])]
    return _facts(pods, ("Deployment", "ci", "buildkitd", written))


def test_a_buildkit_pool_resynced_without_its_fence_is_named() -> None:
    [hit] = da.found(_buildkit())
    message = da.finding(hit, AT)["message"]
    assert str(hit.creator) == "Deployment ci/buildkitd" and len(hit.pods) == 3 and hit.dirs == ["/var/lib/buildkit"]
    assert "written by argocd-controller 90 min before" in message and "no nodeSelector" in message


def test_workflow_pods_read_without_volumes_take_them_from_the_written_template() -> None:
    labels = {"workflows.argoproj.io/workflow-template": "nightly-export"}
    pods = [_pod(f"export-run-{i}", "data", f"2026-06-02T10:5{i}:00Z", None, labels) for i in range(2)]
    ref = Ref("WorkflowTemplate", "data", "nightly-export")
    template = {"kind": "WorkflowTemplate", "spec": {"template": {"spec": {"containers": [
        {"name": "main", "volumeMounts": [{"name": "scratch", "mountPath": "/workspace"}]}], "volumes": UNBOUNDED}}}}
    facts = _facts(pods, ("WorkflowTemplate", "data", "nightly-export", "2026-06-02T10:00:00Z"), [(ref, template)])
    [hit] = da.found(facts)
    assert hit.creator == ref and hit.dirs == ["/workspace"]
    assert da.found(_facts(pods, ("WorkflowTemplate", "data", "nightly-export", "2026-06-02T10:00:00Z"))) == []


def test_fenced_bounded_or_single_pods_blame_no_creator() -> None:
    assert da.found(_buildkit(selector={"pool": "ci"})) == []  # still kept to their nodes: not placement
    assert da.found(_buildkit(volumes=BOUNDED)) == []  # their disk use is bounded
    assert da.found(_buildkit(count=1)) == []  # one pod is no pool


def test_an_application_rollout_with_a_tmp_emptydir_is_not_a_disk_hungry_pool() -> None:
    pods = [_pod(f"checkout-6f7c8d9b4-{s}", "shop", f"2026-06-02T10:4{i}:00Z", UNBOUNDED) for i, s in
            enumerate(["k2l8p", "q9r7s"])]
    for p in pods:
        p["spec"]["containers"][0]["volumeMounts"][0]["mountPath"] = "/tmp"
    assert da.found(_facts(pods, ("Deployment", "shop", "checkout", "2026-06-02T10:30:00Z"))) == []


def test_a_creator_written_long_before_or_pods_after_the_pressure_are_not_named() -> None:
    assert da.found(_buildkit(written="2026-05-30T09:00:00Z")) == []  # the pool always ran like this
    assert da.found(_buildkit(created_hour=11)) == []  # arrived after 11:20, when the pressure began


# Issue #12: other CI systems' workspaces (Jenkins agents, Drone, Woodpecker, Buildkite, Bazel's cache).
def _pool(path: str) -> Facts:
    pods = [_pod(f"ci-agent-6f7c8d9b4-{s}", "ci", f"2026-06-02T10:4{i}:00Z", UNBOUNDED) for i, s in
            enumerate(["k2l8p", "q9r7s"])]
    for p in pods:
        p["spec"]["containers"][0]["volumeMounts"][0]["mountPath"] = path
    return _facts(pods, ("Deployment", "ci", "ci-agent", "2026-06-02T10:30:00Z"))


def test_other_ci_systems_workspaces_are_disk_hungry() -> None:
    for path in ("/home/jenkins/agent", "/drone/src", "/woodpecker", "/buildkite/builds", "/root/.cache/bazel"):
        [hit] = da.found(_pool(path))
        assert str(hit.creator) == "Deployment ci/ci-agent" and hit.dirs == [path], path


def test_look_alike_application_dirs_are_not_workspaces() -> None:
    for path in ("/home/jenkins-exporter/tmp", "/var/cache/drone-ui", "/app/.cache/pip"):
        assert da.found(_pool(path)) == [], path
