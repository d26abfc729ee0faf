"""Pod checks over small objects built in the test: each problem once, and its healthy twin silent.

The objects follow the API's shapes (core/v1 and events.k8s.io/v1 events, container states as the
kubelet writes them); the messages quoted are the kubelet's and scheduler's own wording.
"""

from __future__ import annotations

import copy
from typing import Any

from mcp_servers.kubernetes.scan import ScanResult, Snapshot, scan
from tests.scan.objects import (
    NOW,
    configmap,
    deployment,
    event,
    new_event,
    pod,
    replicaset,
    secret,
    set_container,
    ts,
)

LISTED = {"Pod", "Event", "Event.events.k8s.io", "ReplicaSet", "Deployment", "ConfigMap", "Secret",
          "PersistentVolumeClaim", "Node"}


def run(objects: list[dict[str, Any]], checks: list[str] | None = None) -> ScanResult:
    return scan(Snapshot.from_objects(objects, listed=LISTED), NOW, checks or ["pods"])


def owned(n: int, deploy: str = "api") -> list[dict[str, Any]]:
    """A Deployment, its ReplicaSet and `n` healthy pods."""
    return [deployment(deploy, replicas=n), replicaset(f"{deploy}-7d9f", deploy, replicas=n),
            *[pod(f"{deploy}-7d9f-{i}", owner=("ReplicaSet", f"{deploy}-7d9f")) for i in range(n)]]


def crashing(p: dict[str, Any], message: str | None = None) -> dict[str, Any]:
    last: dict[str, Any] = {"exitCode": 1, "reason": "Error", "startedAt": ts(3), "finishedAt": ts(2)}
    if message:
        last["message"] = message
    return set_container(p, state={"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s"}},
                         last=last, restarts=7)


def test_healthy_pods_and_completed_job_pods_produce_nothing() -> None:
    done = pod("nightly-abc", owner=("Job", "nightly"))
    done["status"].update(phase="Succeeded")
    done["status"]["containerStatuses"][0]["state"] = {"terminated": {"exitCode": 0, "reason": "Completed"}}
    assert run([*owned(3), done]).findings == []


def test_crash_loop_is_grouped_per_owner_with_exit_code_and_termination_message() -> None:
    objs = owned(3)
    objs[2:] = [crashing(p, "panic: GATEWAY_TIMEOUT must be a number") for p in objs[2:]]
    objs.append(event("Pod", "api-7d9f-0", "BackOff", "Back-off restarting failed container app", count=40))
    [f] = run(objs).findings
    assert (f.check, f.reason, f.count) == ("pod.crashloop", "CrashLoopBackOff", 3)
    assert str(f.object) == "Deployment shop/api" and f.owner is not None and f.owner.kind == "Deployment"
    assert f.details["exit_code"] == 1 and f.details["last_reason"] == "Error"
    assert f.details["termination_message"] == "panic: GATEWAY_TIMEOUT must be a number"
    assert f.message.startswith("Deployment shop/api: 3/3 pods CrashLoopBackOff")
    assert "GATEWAY_TIMEOUT" in f.message and f.since == ts(30)
    assert f.pods == ["api-7d9f-0", "api-7d9f-1", "api-7d9f-2"]


def test_oom_kill_names_the_memory_limit_even_when_the_container_runs_again() -> None:
    objs = owned(2)
    objs[2] = set_container(objs[2], ready=True, state={"running": {"startedAt": ts(1)}}, restarts=4,
                            last={"exitCode": 137, "reason": "OOMKilled", "startedAt": ts(20), "finishedAt": ts(2)})
    [f] = run(objs).findings
    assert (f.check, f.severity, f.reason) == ("pod.oomkilled", "critical", "OOMKilled")
    assert f.details["limit"] == "256Mi" and f.details["exit_code"] == 137 and f.details["restarts"] == 4
    assert "1/2 pods OOMKilled" in f.message and "memory limit 256Mi" in f.message


def test_an_old_oom_kill_is_a_warning_not_an_incident() -> None:
    objs = owned(1)
    objs[2] = set_container(objs[2], ready=True, state={"running": {"startedAt": ts(300)}}, restarts=1,
                            last={"exitCode": 137, "reason": "OOMKilled", "startedAt": ts(900), "finishedAt": ts(301)})
    [f] = run(objs).findings
    assert f.check == "pod.oomkilled" and f.severity == "warning"


def test_image_pull_names_image_and_registry_error_and_keeps_a_sidecar_problem_apart() -> None:
    objs = owned(2)
    image = "registry.example.com/catalog:2.4.1"
    for i in (2, 3):
        objs[i]["spec"]["containers"][0]["image"] = image
        objs[i] = set_container(objs[i], state={"waiting": {"reason": "ImagePullBackOff",
                                                            "message": f'Back-off pulling image "{image}"'}})
        objs.append(event("Pod", objs[i]["metadata"]["name"], "Failed",
                          f'Failed to pull image "{image}": rpc error: code = NotFound desc = failed to pull and '
                          f'unpack image "{image}": manifest unknown', count=5))
    sidecar = copy.deepcopy(objs[3])
    sidecar["spec"]["containers"].append({"name": "proxy", "image": "envoy:bad tag"})
    sidecar["status"]["containerStatuses"].append({"name": "proxy", "ready": False, "restartCount": 0, "image": "",
                                                   "state": {"waiting": {"reason": "InvalidImageName",
                                                                         "message": "couldn't parse image name"}}})
    objs[3] = sidecar
    findings = run(objs).findings
    pulls = sorted((f.reason, f.count, f.details["image"]) for f in findings)
    assert pulls == [("ImagePullBackOff", 2, image), ("InvalidImageName", 1, "envoy:bad tag")]
    main = next(f for f in findings if f.reason == "ImagePullBackOff")
    assert main.details["error"] == "manifest unknown"
    assert f"cannot pull image {image} (manifest unknown)" in main.message
    assert any("Failed to pull image" in e for e in main.evidence)


def test_image_pull_reads_events_k8s_io_events_too() -> None:
    objs = owned(1)
    objs[2] = set_container(objs[2], state={"waiting": {"reason": "ErrImagePull", "message": "pull failed"}})
    objs.append(new_event("Pod", "api-7d9f-0", "Failed", 'Failed to pull image "registry.example.com/app:1.0": '
                          "unexpected status from HEAD request: 401 Unauthorized", count=3))
    [f] = run(objs).findings
    assert f.details["error"] == "401 Unauthorized" and f.since == ts(20) and f.last_seen == ts(2)
    assert f.details["pull_secrets"] == [] and "has no imagePullSecret" in f.message


def test_a_refused_pull_names_the_pull_secret_to_fix() -> None:
    objs = owned(1)
    objs[2]["spec"]["imagePullSecrets"] = [{"name": "harbor-robot"}]
    objs[2] = set_container(objs[2], state={"waiting": {"reason": "ImagePullBackOff", "message": "back-off"}})
    objs.append(event("Pod", objs[2]["metadata"]["name"], "Failed", 'Failed to pull image "harbor.example.com/a:1": '
                      "failed to authorize: failed to fetch oauth token: 401 Unauthorized", count=4))
    [f] = run(objs).findings
    assert f.details["pull_secrets"] == ["harbor-robot"] and "imagePullSecret harbor-robot" in f.message


def test_pending_pod_gets_the_schedulers_reason_and_the_unbound_claim() -> None:
    p = pod("db-0", labels={"app": "db"})
    p["spec"].pop("nodeName")
    p["spec"]["volumes"] = [{"name": "data", "persistentVolumeClaim": {"claimName": "data-db-0"}}]
    p["status"] = {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False",
                                                       "reason": "Unschedulable"}]}
    pvc = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data-db-0", "namespace": "shop"},
           "spec": {}, "status": {"phase": "Pending"}}
    message = ("0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 Insufficient memory. "
               "preemption: 0/3 nodes are available")
    [f] = run([p, pvc, event("Pod", "db-0", "FailedScheduling", message, count=9)]).findings
    assert (f.check, f.reason) == ("pod.pending", "FailedScheduling")
    assert f.details["insufficient"] == ["memory"] and f.details["taints"] == ["dedicated: gpu"]
    assert f.details["pvc"] == ["data-db-0 (Pending)"] and f.details["requests"]["memory"] == "128Mi"
    assert "insufficient memory" in f.message and "0/3 nodes are available" in f.evidence[0]


def test_a_pod_created_seconds_ago_is_not_pending_yet() -> None:
    p = pod("new-0")
    p["spec"].pop("nodeName")
    p["metadata"]["creationTimestamp"] = ts(0.2)
    p["status"] = {"phase": "Pending"}
    assert run([p]).findings == []


def test_running_but_not_ready_names_the_probe_and_its_error() -> None:
    objs = owned(2)
    objs[1]["spec"]["containers"] = [{"name": "app"}]
    for i in (2, 3):
        objs[i]["spec"]["containers"][0]["readinessProbe"] = {"httpGet": {"path": "/ready", "port": 8080}}
        objs[i] = set_container(objs[i], state={"running": {"startedAt": ts(10)}})
        objs.append(event("Pod", objs[i]["metadata"]["name"], "Unhealthy",
                          'Readiness probe failed: Get "http://10.1.2.3:8080/ready": dial tcp 10.1.2.3:8080: '
                          "connect: connection refused", count=60))
    [f] = run(objs).findings
    assert (f.check, f.count) == ("pod.not_ready", 2)
    assert f.details["probe"] == "httpGet :8080/ready" and f.details["probe_port"] == 8080
    assert f.details["error"].endswith("connection refused")


def test_a_container_just_started_and_not_ready_yet_is_fine() -> None:
    objs = owned(1)
    objs[2]["spec"]["containers"][0]["readinessProbe"] = {"tcpSocket": {"port": 5432}}
    objs[2] = set_container(objs[2], state={"running": {"startedAt": ts(0.2)}})
    assert run(objs).findings == []


def test_evicted_pod_says_which_resource_the_node_ran_out_of() -> None:
    p = pod("api-7d9f-x", owner=("ReplicaSet", "api-7d9f"))
    p["status"] = {"phase": "Failed", "reason": "Evicted", "startTime": ts(90),
                   "message": "The node was low on resource: memory. Threshold quantity: 100Mi, available: 42Mi."}
    [f] = run([*owned(1), p]).findings
    assert (f.check, f.reason, f.details["resource"], f.details["node"]) == ("pod.evicted", "Evicted", "memory",
                                                                             "node-1")
    assert "low on memory" in f.message


def test_init_container_failure_names_the_init_container() -> None:
    p = pod("api-7d9f-0", owner=("ReplicaSet", "api-7d9f"))
    p["spec"]["initContainers"] = [{"name": "migrate", "image": "migrate:1"}]
    p["status"].update(phase="Pending", initContainerStatuses=[{
        "name": "migrate", "ready": False, "restartCount": 3,
        "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s"}},
        "lastState": {"terminated": {"exitCode": 2, "reason": "Error", "message": "relation users does not exist",
                                     "startedAt": ts(2), "finishedAt": ts(1)}}}])
    ok = pod("api-7d9f-1", owner=("ReplicaSet", "api-7d9f"))
    ok["spec"]["initContainers"] = [{"name": "migrate", "image": "migrate:1"}]
    ok["status"]["initContainerStatuses"] = [{"name": "migrate", "ready": True, "restartCount": 0,
                                              "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]
    objs = owned(0)
    [f] = run([*objs, p, ok]).findings
    assert (f.check, f.details["container"], f.details["exit_code"]) == ("pod.init_failed", "migrate", 2)
    assert "relation users does not exist" in f.message


def test_config_error_names_the_missing_key_from_the_kubelet_and_from_the_references() -> None:
    objs = owned(1)
    spec = objs[2]["spec"]["containers"][0]
    spec["env"] = [{"name": "DB_HOST", "valueFrom": {"configMapKeyRef": {"name": "app-config", "key": "db_host"}}},
                   {"name": "PW", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}]
    objs[2] = set_container(objs[2], state={"waiting": {
        "reason": "CreateContainerConfigError", "message": "couldn't find key db_host in ConfigMap shop/app-config"}})
    objs += [configmap("app-config", keys=("log_level",)), secret("db", data={"password": "c2VjcmV0"})]
    [f] = run(objs).findings
    assert (f.check, f.details["configmap"], f.details["missing_key"]) == ("pod.config_error", "app-config",
                                                                           "db_host")
    assert f.details["missing"] == ["ConfigMap app-config key db_host (env DB_HOST)"]
    assert "missing key db_host in ConfigMap app-config" in f.message


def test_config_error_found_by_references_when_the_message_says_little() -> None:
    objs = owned(1)
    objs[2]["spec"]["containers"][0]["envFrom"] = [{"secretRef": {"name": "api-credentials"}}]
    objs[2] = set_container(objs[2], state={"waiting": {"reason": "CreateContainerConfigError", "message": ""}})
    [f] = run(objs).findings
    assert f.details["secret"] == "api-credentials" and "missing Secret api-credentials" in f.message


def test_references_that_exist_on_a_running_pod_produce_nothing() -> None:
    objs = owned(1)
    objs[2]["spec"]["containers"][0]["envFrom"] = [{"configMapRef": {"name": "app-config"}}]
    objs.append(configmap("app-config"))
    assert run(objs).findings == []


def test_failed_mount_of_a_missing_configmap_is_a_config_error() -> None:
    objs = owned(1)
    objs[2]["spec"]["volumes"] = [{"name": "cfg", "configMap": {"name": "app-cfg"}}]
    objs[2] = set_container(objs[2], state={"waiting": {"reason": "ContainerCreating"}})
    objs.append(event("Pod", "api-7d9f-0", "FailedMount",
                      'MountVolume.SetUp failed for volume "cfg" : configmap "app-cfg" not found', count=12))
    [f] = run(objs).findings
    assert (f.check, f.reason, f.details["configmap"]) == ("pod.config_error", "FailedMount", "app-cfg")


def test_recent_restart_with_an_error_exit_is_reported_and_an_old_one_is_not() -> None:
    objs = owned(2)
    objs[2] = set_container(objs[2], ready=True, state={"running": {"startedAt": ts(5)}}, restarts=2,
                            last={"exitCode": 2, "reason": "Error", "startedAt": ts(30), "finishedAt": ts(6)})
    objs[3] = set_container(objs[3], ready=True, state={"running": {"startedAt": ts(500)}}, restarts=1,
                            last={"exitCode": 2, "reason": "Error", "startedAt": ts(900), "finishedAt": ts(501)})
    [f] = run(objs).findings
    assert (f.check, f.count, f.details["exit_code"]) == ("pod.restarting", 1, 2)


def test_a_failed_job_pod_is_left_to_the_job_check() -> None:
    p = pod("nightly-x", owner=("Job", "nightly"))
    p["status"].update(phase="Failed", reason=None)
    assert [f.check for f in run([p]).findings] == []


def test_crash_loop_caused_by_a_liveness_probe_says_the_kubelet_killed_it() -> None:
    objs = owned(1)
    objs[2] = set_container(objs[2], state={"waiting": {"reason": "CrashLoopBackOff"}}, restarts=5,
                            last={"exitCode": 137, "reason": "Error", "startedAt": ts(3), "finishedAt": ts(2)})
    objs.append(event("Pod", "api-7d9f-0", "Unhealthy", 'Liveness probe failed: Get "http://10.1.2.3:8080/live": '
                      "context deadline exceeded (Client.Timeout exceeded while awaiting headers)", count=15))
    [f] = run(objs).findings
    assert f.check == "pod.crashloop" and f.details["exit_code"] == 137
    assert f.details["probe_failure"].startswith("Liveness probe failed") and "killed after Liveness" in f.message


def test_a_pod_whose_init_container_is_still_working_is_not_a_problem() -> None:
    p = pod("api-7d9f-0", owner=("ReplicaSet", "api-7d9f"))
    p["spec"]["initContainers"] = [{"name": "wait-for-db", "image": "busybox"}]
    p["status"].update(phase="Pending", initContainerStatuses=[
        {"name": "wait-for-db", "ready": False, "restartCount": 0, "state": {"running": {"startedAt": ts(20)}}}])
    p = set_container(p, state={"waiting": {"reason": "PodInitializing"}})
    assert run([*owned(0), p]).findings == []


def test_a_pod_stuck_terminating_names_its_finalizer_and_one_just_deleted_is_fine() -> None:
    objs = owned(2)
    objs[2]["metadata"].update(deletionTimestamp=ts(30), finalizers=["example.com/drain-connections"])
    objs[3]["metadata"]["deletionTimestamp"] = ts(0.5)
    [f] = run(objs).findings
    assert (f.check, f.reason, f.details["finalizers"]) == ("pod.stuck_terminating", "Terminating",
                                                            ["example.com/drain-connections"])
    assert "held by finalizers example.com/drain-connections" in f.message


def test_start_error_quotes_the_runtime() -> None:
    objs = owned(1)
    message = ('failed to create containerd task: exec: "/app/server": stat /app/server: no such file or directory')
    objs[2] = set_container(objs[2], state={"waiting": {"reason": "RunContainerError", "message": message}},
                            restarts=3)
    [f] = run(objs).findings
    assert (f.check, f.reason) == ("pod.start_error", "RunContainerError") and "no such file" in f.details["error"]


def test_volume_that_cannot_attach_is_a_mount_failure_and_a_young_pod_creating_is_fine() -> None:
    objs = owned(2)
    objs[2] = set_container(objs[2], state={"waiting": {"reason": "ContainerCreating"}})
    objs.append(event("Pod", "api-7d9f-0", "FailedAttachVolume", 'AttachVolume.Attach failed for volume "pvc-1" : '
                      "rpc error: code = Internal desc = volume is attached to another node", count=8))
    objs[3] = set_container(objs[3], state={"waiting": {"reason": "ContainerCreating"}})
    objs[3]["status"]["startTime"] = ts(1)
    [f] = run(objs).findings
    assert (f.check, f.reason, f.count) == ("pod.mount_failed", "FailedAttachVolume", 1)
    assert "attached to another node" in f.details["error"]


def test_a_bare_pod_that_failed_is_reported_with_its_message() -> None:
    p = pod("debug-shell")
    p["spec"]["restartPolicy"] = "Never"
    p["status"].update(phase="Failed", reason="DeadlineExceeded",
                       message="Pod was active on the node longer than the specified deadline")
    [f] = run([p]).findings
    assert (f.check, f.reason, str(f.object)) == ("pod.failed", "DeadlineExceeded", "Pod shop/debug-shell")
    p["status"].update(phase="Succeeded", reason=None, message=None)
    assert run([p]).findings == []
