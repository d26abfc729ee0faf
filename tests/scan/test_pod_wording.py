"""Pod findings that name the cause, not only the symptom: what the peers' test suites ask of them.

The shapes come from k8sgpt's pod analyzer and HolmesGPT's fixtures (an init container running a
mistyped command, a liveness probe on the wrong port, a script missing from the image, a worker
that exits 0 under a Deployment, replicas that anti-affinity cannot place); the messages are the
kubelet's, runc's and the scheduler's own wording.
"""

from __future__ import annotations

import copy

from tests.scan.objects import event, set_container, ts
from tests.scan.test_pod_checks import owned, run


def test_exit_127_in_an_init_container_names_its_command() -> None:
    objs = owned(1)
    p = copy.deepcopy(objs[2])
    p["spec"]["initContainers"] = [{"name": "downloader", "image": "busybox:1.36",
                                    "command": ["sh", "-c", "wge -O /work/agent.tgz https://example.com/agent.tgz"]}]
    p["status"]["phase"] = "Pending"
    p["status"]["initContainerStatuses"] = [{
        "name": "downloader", "ready": False, "restartCount": 6,
        "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 2m40s restarting failed"}},
        "lastState": {"terminated": {"exitCode": 127, "reason": "Error", "startedAt": ts(3), "finishedAt": ts(3)}}}]
    p["status"]["containerStatuses"][0]["state"] = {"waiting": {"reason": "PodInitializing"}}
    objs[2] = p
    [f] = run(objs).findings
    assert (f.check, f.details["exit_code"]) == ("pod.init_failed", 127)
    assert f.details["command"].startswith("sh -c wge -O")
    assert "could not find the command" in f.message and "wge -O" in f.message


def test_a_liveness_kill_names_the_probe_and_the_kubelets_reason_not_only_the_kill() -> None:
    objs = owned(1)
    p = set_container(objs[2], state={"waiting": {"reason": "CrashLoopBackOff"}}, restarts=9,
                      last={"exitCode": 137, "reason": "Error", "startedAt": ts(3), "finishedAt": ts(2)})
    p["spec"]["containers"][0]["livenessProbe"] = {"httpGet": {"path": "/healthz", "port": 9091}}
    objs[2] = p
    objs.append(event("Pod", "api-7d9f-0", "Unhealthy", 'Liveness probe failed: Get "http://10.1.2.3:9091/healthz": '
                      "dial tcp 10.1.2.3:9091: connect: connection refused", count=27))
    objs.append(event("Pod", "api-7d9f-0", "Killing", "Container app failed liveness probe, will be restarted",
                      count=9))
    [f] = run(objs).findings
    assert f.details["probe"] == "httpGet :9091/healthz"
    assert f.details["probe_failure"].startswith("Liveness probe failed") and "connection refused" in f.message
    assert "its probe: httpGet :9091/healthz" in f.message


def test_a_start_error_says_runcs_innermost_cause() -> None:
    objs = owned(1)
    objs[2] = set_container(objs[2], state={"waiting": {"reason": "CrashLoopBackOff"}}, restarts=15, last={
        "exitCode": 128, "reason": "StartError", "startedAt": ts(1), "finishedAt": ts(1),
        "message": "failed to create containerd task: failed to create shim task: OCI runtime create failed: runc "
                   'create failed: unable to start container process: exec: "/app/start.sh": stat /app/start.sh: '
                   "no such file or directory: unknown"})
    [f] = run(objs).findings
    assert f.details["termination_message"] == ('exec: "/app/start.sh": stat /app/start.sh: no such file or '
                                                "directory")
    assert "no such file or directory" in f.message


def test_a_process_that_exits_zero_under_a_deployment_is_explained() -> None:
    objs = owned(1)
    objs[2] = set_container(objs[2], state={"waiting": {"reason": "CrashLoopBackOff"}}, restarts=15,
                            last={"exitCode": 0, "reason": "Completed", "startedAt": ts(2), "finishedAt": ts(2)})
    [f] = run(objs).findings
    assert f.check == "pod.crashloop" and "exits 0 (Completed)" in f.message and "restartPolicy Always" in f.message


def test_anti_affinity_is_not_reported_as_affinity_and_names_its_topology() -> None:
    objs = owned(1)
    p = copy.deepcopy(objs[2])
    p["spec"].pop("nodeName")
    p["spec"]["affinity"] = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"labelSelector": {"matchLabels": {"app": "api"}}, "topologyKey": "kubernetes.io/hostname"}]}}
    p["status"] = {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False",
                                                       "reason": "Unschedulable"}]}
    objs[2] = p
    objs.append(event("Pod", "api-7d9f-0", "FailedScheduling", "0/3 nodes are available: 3 node(s) didn't match pod "
                      "anti-affinity rules. preemption: 0/3 nodes are available: 3 No preemption victims found for "
                      "incoming pod.", count=6))
    [f] = run(objs).findings
    assert f.details.get("pod_anti_affinity") and "pod_affinity" not in f.details
    assert f.details["anti_affinity_topology"] == ["kubernetes.io/hostname"]
    assert "pod anti-affinity (required, topologyKey kubernetes.io/hostname" in f.message
    assert "pod affinity;" not in f.message


def test_a_pull_error_ending_in_a_link_gives_the_registrys_code_and_words() -> None:
    from mcp_servers.kubernetes.scan.checks.pods import _cause

    msg = ('Failed to pull image "docker.io/library/python:3.12-slim": failed to copy: httpReadSeeker: failed open: '
           "unexpected status code https://registry-1.docker.io/v2/library/python/manifests/sha256:9f7c: 429 Too Many "
           "Requests - Server message: toomanyrequests: You have reached your pull rate limit. You may increase the "
           "limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit")
    assert _cause(msg).startswith("toomanyrequests: You have reached your pull rate limit")
    assert _cause('rpc error: code = NotFound desc = failed to resolve reference "r/a:1": r/a:1: not found') == \
        "not found"


def test_a_multi_attach_names_the_attach_error_the_holder_and_the_single_node_claim() -> None:
    from tests.scan.objects import pod

    p = pod("cms-7d9f-new", owner=("ReplicaSet", "api-7d9f"))
    p["spec"]["volumes"] = [{"name": "media", "persistentVolumeClaim": {"claimName": "cms-media"}}]
    p["status"].update(phase="Pending", startTime=ts(20))
    p = set_container(p, state={"waiting": {"reason": "ContainerCreating"}})
    pvc = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "cms-media", "namespace": "shop"},
           "spec": {"accessModes": ["ReadWriteOnce"]}, "status": {"phase": "Bound"}}
    objs = [*owned(1), p, pvc,
            event("Pod", "cms-7d9f-new", "FailedAttachVolume", 'Multi-Attach error for volume "pvc-f12a" Volume is '
                  "already used by pod(s) api-7d9f-0", first=19, last=19),
            event("Pod", "cms-7d9f-new", "FailedMount", "Unable to attach or mount volumes: unmounted volumes=[media], "
                  "unattached volumes=[media], failed to process volumes=[]: timed out waiting for the condition",
                  count=9, first=17, last=1)]
    [f] = run(objs).findings
    assert (f.check, f.reason) == ("pod.mount_failed", "FailedAttachVolume")
    assert f.details["held_by"] == ["api-7d9f-0"] and f.details["single_node_claims"] == ["cms-media (ReadWriteOnce)"]
    assert "Multi-Attach error" in f.message and "one node at a time" in f.message
