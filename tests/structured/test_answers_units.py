"""The typed answers built from objects the replayed incidents do not contain: a tainted node under
memory pressure, a pod whose init container fails with every probe handler, a StatefulSet's
ControllerRevisions. The objects are written in the Kubernetes API's documented shapes (core/v1
Node and Pod, apps/v1 ControllerRevision), as a cluster would return them."""

from __future__ import annotations

from typing import Any

from mcp_servers.kubernetes import answers, reads
from mcp_servers.kubernetes import render as r

NODE: dict[str, Any] = {
    "kind": "Node", "metadata": {"name": "n1", "creationTimestamp": "2026-01-01T00:00:00Z"},
    "spec": {"unschedulable": True, "taints": [
        {"key": "node.kubernetes.io/memory-pressure", "effect": "NoSchedule"},
        {"key": "dedicated", "value": "gpu", "effect": "NoExecute"}]},
    "status": {"allocatable": {"cpu": "3500m", "memory": "8Gi", "pods": "58"},
               "nodeInfo": {"kubeletVersion": "v1.31.2"},
               "conditions": [
                   {"type": "MemoryPressure", "status": "True", "reason": "KubeletHasInsufficientMemory",
                    "lastTransitionTime": "2026-05-01T10:00:00Z"},
                   {"type": "Ready", "status": "True", "lastTransitionTime": "2026-01-01T00:00:00Z"}]},
}

POD: dict[str, Any] = {
    "kind": "Pod",
    "metadata": {"name": "api-0", "namespace": "prod", "ownerReferences": [{"kind": "StatefulSet", "name": "api"}]},
    "spec": {"nodeName": "n1",
             "initContainers": [{"name": "migrate", "image": "api:2"}],
             "containers": [{
                 "name": "api", "image": "api:2", "ports": [{"name": "http", "containerPort": 8080}],
                 "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "1Gi"}},
                 "readinessProbe": {"httpGet": {"path": "/ready", "port": "http"}, "periodSeconds": 5},
                 "livenessProbe": {"exec": {"command": ["cat", "/tmp/ok"]}, "failureThreshold": 6},
                 "startupProbe": {"tcpSocket": {"port": 8080}, "initialDelaySeconds": 10},
                 "env": [{"name": "MODE", "value": "prod"},
                         {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "pw"}}}]}]},
    "status": {"phase": "Pending",
               "initContainerStatuses": [{
                   "name": "migrate", "restartCount": 4, "ready": False,
                   "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s"}},
                   "lastState": {"terminated": {"reason": "Error", "exitCode": 2,
                                                "finishedAt": "2026-05-01T10:05:00Z"}}}],
               "containerStatuses": [{"name": "api", "ready": False, "restartCount": 0,
                                      "state": {"waiting": {"reason": "PodInitializing"}}}]},
}


def _revision(n: int, image: str, uid: str = "sts-uid") -> dict[str, Any]:
    return {"kind": "ControllerRevision", "revision": n,
            "metadata": {"name": f"api-{n}", "creationTimestamp": f"2026-05-0{n}T00:00:00Z",
                         "ownerReferences": [{"uid": uid, "kind": "StatefulSet", "name": "api"}]},
            "data": {"spec": {"template": {"spec": {"containers": [{"name": "api", "image": image}]}}}}}


def test_node_taints_pressure_and_requests() -> None:
    row = answers.node_row(NODE, (1.25, 2 * 1024**3, 7))
    assert row.ready and row.unschedulable and row.pressure == ["MemoryPressure"]
    assert row.taints == ["node.kubernetes.io/memory-pressure:NoSchedule", "dedicated=gpu:NoExecute"]
    assert row.problem == "MemoryPressure, SchedulingDisabled"
    assert (row.cpu_allocatable, row.cpu_requested, row.pods, row.pod_capacity) == (3.5, 1.25, 7, 58)
    assert row.memory_allocatable == 8 * 1024**3
    assert [c.bad for c in row.conditions] == [True, False]
    described = answers.object_answer(NODE)
    assert described.taints == row.taints and described.allocatable["pods"] == "58"


def test_pod_with_failing_init_container_and_every_probe_handler() -> None:
    facts = answers.pod_facts(POD)
    assert facts.status == "Init:CrashLoopBackOff" and facts.ready == "0/1" and facts.owners == ["StatefulSet/api"]
    init, app = facts.containers
    assert init.init and init.state == "waiting" and init.reason == "CrashLoopBackOff" and init.restarts == 4
    assert init.last_termination is not None and init.last_termination.exit_code == 2
    assert app.state == "waiting" and app.reason == "PodInitializing" and app.last_termination is None
    probes = {p.type: p for p in app.probes}
    assert (probes["readiness"].handler, probes["readiness"].path, probes["readiness"].port) == ("httpGet", "/ready",
                                                                                                 "http")
    assert probes["readiness"].period_seconds == 5
    assert probes["liveness"].command == ["cat", "/tmp/ok"] and probes["liveness"].failure_threshold == 6
    assert probes["startup"].handler == "tcpSocket" and probes["startup"].initial_delay_seconds == 10
    assert app.ports[0].container_port == 8080 and app.ports[0].name == "http"
    assert app.memory_limit_bytes == 1024**3 and app.requests == {"cpu": "100m", "memory": "128Mi"}
    assert app.env == ["MODE='prod'", "DB_PASSWORD=<secret db/pw>"]


def test_statefulset_history_from_controller_revisions() -> None:
    sts = {"kind": "StatefulSet", "metadata": {"name": "api", "namespace": "prod", "uid": "sts-uid"}}
    items = [_revision(2, "api:2"), _revision(1, "api:1"), _revision(3, "other:1", uid="someone-else")]
    history = answers.rollout_history(sts, reads.revision_rows(sts, items))
    assert [x.revision for x in history.revisions] == [1, 2]
    assert (history.current_revision, history.previous_revision) == (2, 1)
    assert history.revisions[1].changes == ["api image api:1 -> api:2"] and history.revisions[1].pods == "-"


def test_list_rows_follow_the_text_order_and_limit() -> None:
    healthy = {**POD, "metadata": {"name": "api-1", "namespace": "prod"},
               "status": {"phase": "Running", "containerStatuses": [
                   {"name": "api", "ready": True, "restartCount": 0, "state": {"running": {}}}]}}
    listed = answers.list_answer("Pod", [healthy, POD], namespace="prod", hidden=[], limit=1, truncated=False,
                                 problems_only=False)
    assert [x.name for x in listed.rows] == ["api-0"] and listed.left_out == 1
    assert listed.problem_counts == {"Init:CrashLoopBackOff": 1} and listed.unhealthy == 1
    text = r.list_answer("Pod", [healthy, POD], all_namespaces=False, hidden=[], budget=2000, more_hint="x", limit=1)
    assert "api-0" in text and "api-1" not in text
