"""limits.injected: a container OOMKilled at a limit its template never set names the admission plugin that set it.

The annotations are the real ones: the LimitRanger plugin's `kubernetes.io/limit-ranger` ("LimitRanger
plugin set: ..."), the VPA admission controller's `vpaUpdates` ("Pod resources updated by <vpa>: container
0: ..."), Kyverno's `policies.kyverno.io/last-applied-patches`. Each positive has a healthy twin that
differs in the one fact under test (the template sets the value; the container is not OOMKilled).
"""

from __future__ import annotations

from typing import Any

from mcp_servers.kubernetes.scan import ScanResult, Snapshot, scan
from tests.scan.objects import NOW, deployment, meta, pod, replicaset, set_container, ts

OOM = {"reason": "OOMKilled", "exitCode": 137, "startedAt": ts(6), "finishedAt": ts(5)}


def limit_range(name: str, memory: str = "256Mi", request: str = "128Mi", ns: str = "shop") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "LimitRange", "metadata": meta(name, ns),
            "spec": {"limits": [{"type": "Container", "default": {"memory": memory, "cpu": "500m"},
                                 "defaultRequest": {"memory": request, "cpu": "100m"}}]}}


def workload(name: str = "worker", template_resources: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    d = deployment(name)
    d["spec"]["template"]["spec"]["containers"][0]["resources"] = template_resources or {}
    rs = replicaset(f"{name}-6b7", name)
    rs["spec"]["template"] = d["spec"]["template"]
    return [d, rs]


def victim(name: str, annotations: dict[str, str], limit: str = "256Mi", oom: bool = True,
           owner: tuple[str, str] = ("ReplicaSet", "worker-6b7")) -> dict[str, Any]:
    p = pod(name, owner=owner, memory_limit=limit)
    p["metadata"]["annotations"] = annotations
    if oom:
        p = set_container(p, state={"waiting": {"reason": "CrashLoopBackOff"}}, last=OOM, restarts=7)
    return p


RANGER = {"kubernetes.io/limit-ranger": "LimitRanger plugin set: cpu, memory request for container app; "
                                        "cpu, memory limit for container app"}


def run(objects: list[dict[str, Any]]) -> ScanResult:
    return scan(Snapshot.from_objects(objects), NOW, ["injected"])


def test_a_limitrange_default_is_named_with_its_value_and_the_template_that_sets_none() -> None:
    objs = [*workload(), limit_range("defaults"), limit_range("bigger", memory="2Gi"),
            victim("worker-6b7-a", RANGER), victim("worker-6b7-b", RANGER)]
    [f] = run(objs).findings
    assert (f.check, str(f.object), f.severity, f.count) == ("limits.injected", "LimitRange shop/defaults",
                                                             "critical", 2)
    d = f.details
    assert (d["workload"], d["container"], d["field"], d["value"], d["template"]) == (
        "Deployment shop/worker", "app", "memory limit", "256Mi", "")
    assert d["explains"] == ["Deployment shop/worker"]
    assert "default memory limit 256Mi" in f.message and "template sets none" in f.message
    assert "OOMKilled" in f.message and any("LimitRanger plugin set" in e for e in f.evidence)


def test_the_one_line_wording_of_the_plugin_and_a_statefulset_owner() -> None:
    sts = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": meta("cache"),
           "spec": {"template": {"spec": {"containers": [{"name": "app", "image": "x", "resources": {
               "requests": {"memory": "64Mi"}}}]}}}}
    p = victim("cache-0", {"kubernetes.io/limit-ranger": "LimitRanger plugin set: memory limit for container app"},
               limit="300Mi", owner=("StatefulSet", "cache"))
    [f] = run([sts, p, limit_range("baseline", memory="300Mi")]).findings
    assert str(f.object) == "LimitRange shop/baseline" and f.details["workload"] == "StatefulSet shop/cache"


def test_no_finding_when_the_template_sets_the_limit_or_the_container_is_not_oomkilled() -> None:
    own = {"limits": {"memory": "256Mi"}, "requests": {"memory": "128Mi", "cpu": "100m"}}
    assert run([*workload(template_resources=own), limit_range("defaults"), victim("worker-6b7-a", RANGER)]
               ).findings == []
    assert run([*workload(), limit_range("defaults"), victim("worker-6b7-a", RANGER, oom=False)]).findings == []


def test_a_vpa_that_rewrote_the_limit_is_named_against_the_templates_own_value() -> None:
    own = {"limits": {"memory": "1Gi"}, "requests": {"memory": "512Mi"}}
    vpa_note = {"vpaUpdates": "Pod resources updated by worker-vpa: container 0: memory request, memory limit",
                "vpaObservedContainers": "app"}
    [f] = run([*workload(template_resources=own), victim("worker-6b7-a", vpa_note, limit="300Mi")]).findings
    assert str(f.object) == "VerticalPodAutoscaler shop/worker-vpa"
    assert (f.details["template"], f.details["value"]) == ("1Gi", "300Mi")
    assert "template sets 1Gi" in f.message and "recommendation memory limit 300Mi" in f.message


def test_a_policy_engines_patch_names_its_mutating_webhook() -> None:
    hook = {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
            "metadata": {"name": "kyverno-resource-mutating-webhook-cfg"},
            "webhooks": [{"name": "mutate.kyverno.svc-fail", "rules": [
                {"operations": ["CREATE", "UPDATE"], "resources": ["*"], "apiGroups": ["*"]}]}]}
    note = {"policies.kyverno.io/last-applied-patches":
            "add-default-resources.set-limits.kyverno.io: added /spec/containers/0/resources/limits/memory"}
    [f] = run([*workload(), hook, victim("worker-6b7-a", note, limit="200Mi")]).findings
    assert str(f.object) == "MutatingWebhookConfiguration kyverno-resource-mutating-webhook-cfg"
    assert "memory limit 200Mi" in f.message


def test_without_annotations_the_value_names_the_limitrange_or_the_vpa_targeting_the_workload() -> None:
    [f] = run([*workload(), limit_range("defaults"), limit_range("other", memory="1Gi"),
               victim("worker-6b7-a", {})]).findings
    assert str(f.object) == "LimitRange shop/defaults" and "the value the pod runs with" in f.evidence[0]
    own = {"limits": {"memory": "1Gi"}}
    targeting = {"apiVersion": "autoscaling.k8s.io/v1", "kind": "VerticalPodAutoscaler", "metadata": meta("rightsize"),
                 "spec": {"targetRef": {"kind": "Deployment", "name": "worker"},
                          "updatePolicy": {"updateMode": "Auto"}}}
    [g] = run([*workload(template_resources=own), targeting, victim("worker-6b7-a", {}, limit="400Mi")]).findings
    assert str(g.object) == "VerticalPodAutoscaler shop/rightsize" and g.details["template"] == "1Gi"
    off = {**targeting, "spec": {**targeting["spec"], "updatePolicy": {"updateMode": "Off"}}}
    assert run([*workload(template_resources=own), off, victim("worker-6b7-a", {}, limit="400Mi")]).findings == []


def unschedulable(name: str, annotations: dict[str, str], cpu: str, message: str) -> dict[str, Any]:
    p = pod(name, owner=("ReplicaSet", "worker-6b7"))
    p["metadata"]["annotations"] = annotations
    p["spec"].pop("nodeName")
    p["spec"]["containers"][0]["resources"]["requests"]["cpu"] = cpu
    p["status"] = {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False",
                                                       "reason": "Unschedulable", "message": message}]}
    return p


def test_a_request_admission_raised_past_what_nodes_have_names_its_source_for_the_pending_pods() -> None:
    msg = "0/6 nodes are available: 6 Insufficient cpu. preemption: 0/6 nodes are available: 6 No preemption victims"
    big = {**limit_range("defaults"), "spec": {"limits": [{"type": "Container", "defaultRequest": {"cpu": "4"}}]}}
    note = {"kubernetes.io/limit-ranger": "LimitRanger plugin set: cpu request for container app"}
    nodes = [{"apiVersion": "v1", "kind": "Node", "metadata": {"name": f"n{i}"},
              "status": {"allocatable": {"cpu": "3800m", "memory": "15Gi"}}} for i in range(2)]
    case = [*workload(template_resources={"requests": {"memory": "128Mi"}}), big,
            unschedulable("worker-6b7-p", note, "4", msg)]
    [f] = run([*case, *nodes]).findings
    assert (str(f.object), f.details["field"], f.details["value"]) == ("LimitRange shop/defaults", "cpu request", "4")
    assert "cannot be scheduled: Insufficient cpu" in f.message
    assert run(case).findings == []  # no node listed: whether 4 CPUs fit anywhere is unknown
    small = {**big, "spec": {"limits": [{"type": "Container", "defaultRequest": {"cpu": "100m"}}]}}
    assert run([*case[:2], small, unschedulable("worker-6b7-p", note, "100m", msg), *nodes]).findings == []
    vpa_note = {"vpaUpdates": "Pod resources updated by worker-vpa: container 0: cpu request"}
    scheduled_msg = "0/3 nodes are available: 3 Insufficient memory."
    assert run([*workload(), unschedulable("worker-6b7-q", vpa_note, "3", scheduled_msg)]).findings == []
    [g] = run([*workload(template_resources={"requests": {"cpu": "500m"}}),
               unschedulable("worker-6b7-q", vpa_note, "3", msg)]).findings
    assert str(g.object) == "VerticalPodAutoscaler shop/worker-vpa" and g.details["template"] == "500m"
    assert run([*workload(template_resources={"requests": {"cpu": "4"}}),
                unschedulable("worker-6b7-q", vpa_note, "3", msg)]).findings == []  # the VPA lowered it
