"""scheduling.preempted: the workload whose higher-priority pods the scheduler made room for.

Wordings: kube-scheduler's core/v1 event "Preempted by pod <uid> on node <node>" (the victim is gone,
its workload found through its ReplicaSet), the events.k8s.io/v1 form whose `related` object is the
preemptor, and a message naming only the node (the preemptor is then the one pod above the victim's
priority placed or nominated there). Priorities come from the admitted `spec.priority` or the
PriorityClass. The healthy twin: a pod of equal priority on the node is never blamed.
"""

from __future__ import annotations

from typing import Any

from mcp_servers.kubernetes.scan import ScanResult, Snapshot, scan
from tests.scan.objects import NOW, deployment, event, meta, pod, replicaset, ts


def priority_class(name: str, value: int) -> dict[str, Any]:
    return {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
            "metadata": {"name": name, "creationTimestamp": ts(300)}, "value": value,
            "preemptionPolicy": "PreemptLowerPriority"}


def batch_pod(name: str, node: str, priority: int | None = 100000, cls: str = "batch-high",
              ns: str = "ml") -> dict[str, Any]:
    p = pod(name, ns=ns, owner=("ReplicaSet", "trainer-7c8"))
    p["spec"].update(nodeName=node, priorityClassName=cls)
    if priority is not None:
        p["spec"]["priority"] = priority
    return p


def pending_web(name: str) -> dict[str, Any]:
    p = pod(name, owner=("ReplicaSet", "web-5d4"))
    p["spec"].pop("nodeName")
    p["status"] = {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False",
                                                       "reason": "Unschedulable"}]}
    return p


def world() -> list[dict[str, Any]]:
    return [deployment("trainer", ns="ml", replicas=2), replicaset("trainer-7c8", "trainer", ns="ml"),
            deployment("web", replicas=3, ready=1), replicaset("web-5d4", "web"),
            pod("web-5d4-live", owner=("ReplicaSet", "web-5d4")), pending_web("web-5d4-new1"),
            priority_class("batch-high", 100000)]


def run(objects: list[dict[str, Any]]) -> ScanResult:
    return scan(Snapshot.from_objects(objects), NOW, ["preemption"])


def test_the_preemptor_found_by_uid_is_named_with_both_priorities_and_the_victims() -> None:
    trainer = batch_pod("trainer-7c8-a", "node-2")
    objs = [*world(), trainer,
            event("Pod", "web-5d4-gone1", "Preempted", f"Preempted by pod {trainer['metadata']['uid']} on node node-2",
                  type_="Normal", first=20, last=20),
            event("Pod", "web-5d4-gone2", "Preempted", f"Preempted by pod {trainer['metadata']['uid']} on node node-3",
                  type_="Normal", first=19, last=19)]
    [f] = run(objs).findings
    assert (f.check, str(f.object), f.severity, f.count) == ("scheduling.preempted", "Deployment ml/trainer",
                                                             "critical", 2)
    d = f.details
    assert (d["priority"], d["priority_class"], d["nodes"], d["pending"]) == (100000, "batch-high",
                                                                               ["node-2", "node-3"], 1)
    assert d["victim_priorities"] == {"Deployment shop/web": 0} and d["explains"] == ["Deployment shop/web"]
    assert "PriorityClass batch-high, priority 100000" in f.message and "preempted" in f.message
    assert "2 pods of Deployment shop/web (priority 0), 1 of its pods now Pending" in f.message


def test_the_new_event_api_related_object_and_the_class_value_when_priority_is_not_admitted_yet() -> None:
    trainer = batch_pod("trainer-7c8-b", "node-1", priority=None)
    new = {"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": meta("web-5d4-gone3.preempt"),
           "regarding": {"kind": "Pod", "name": "web-5d4-gone3", "namespace": "shop"},
           "related": {"kind": "Pod", "name": "trainer-7c8-b", "namespace": "ml"},
           "reason": "Preempted", "action": "Preempting", "note": "Preempted by a pod on node node-1",
           "type": "Normal", "eventTime": ts(10)}
    [f] = run([*world(), trainer, new]).findings
    assert str(f.object) == "Deployment ml/trainer" and f.details["priority"] == 100000


def test_a_message_naming_only_the_node_blames_the_higher_priority_pod_there_never_an_equal_one() -> None:
    note = "Preempted by a pod on node node-4"
    objs = [*world(), batch_pod("trainer-7c8-c", "node-4"),
            event("Pod", "web-5d4-gone4", "Preempted", note, type_="Normal", first=5, last=5)]
    [f] = run(objs).findings
    assert str(f.object) == "Deployment ml/trainer"
    equal = [*world(), batch_pod("trainer-7c8-c", "node-4", priority=0, cls=""),
             event("Pod", "web-5d4-gone4", "Preempted", note, type_="Normal", first=5, last=5)]
    equal = [o for o in equal if o["kind"] != "PriorityClass"]
    assert run(equal).findings == []


def test_one_preemption_served_through_both_event_apis_counts_once() -> None:
    trainer = batch_pod("trainer-7c8-a", "node-2")
    said = f"Preempted by pod {trainer['metadata']['uid']} on node node-2"
    core = event("Pod", "web-5d4-gone1", "Preempted", said, type_="Normal", first=8, last=8)
    new = {"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": dict(core["metadata"]),
           "regarding": core["involvedObject"], "reason": "Preempted", "action": "Preempting", "note": said,
           "type": "Normal", "eventTime": ts(8)}
    [f] = run([*world(), trainer, core, new]).findings
    assert f.count == 1 and f.details["victims"] == {"Deployment shop/web": ["web-5d4-gone1"]}
