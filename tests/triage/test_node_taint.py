"""A node someone tainted or cordoned (agent.triage.node_taint): the taint's documented effect, seen in the events.

Shapes: a NoExecute maintenance taint whose taint manager evicted the pods (TaintManagerEviction), a NoSchedule
taint the scheduler's refusals name, a cordon (spec.unschedulable) leaving pods Pending. Negative twins: a taint
nobody's pods felt, evictions that came before the taint, the node lifecycle controller's own not-ready taint, and
refusals that name another taint key.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import yaml

from agent.toolhub import ToolOutcome
from agent.triage import node_taint
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.doubles import outcome

NODE = "ip-10-0-3-17.ec2.internal"
AT = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def _node(taints: list[dict[str, Any]], unschedulable: bool = False, manager: str = "",
          written: str = "2026-11-20T09:02:00Z") -> dict[str, Any]:
    field = "f:unschedulable" if unschedulable else "f:taints"
    managed = [{"manager": "kubelet", "time": "2026-10-01T00:00:00Z", "fieldsV1": {"f:metadata": {"f:labels": {}}}}]
    if manager:
        managed.append({"manager": manager, "time": written, "fieldsV1": {"f:spec": {field: {}}}})
    spec: dict[str, Any] = {"taints": taints}
    if unschedulable:
        spec["unschedulable"] = True
    return {"kind": "Node", "metadata": {"name": NODE, "managedFields": managed}, "spec": spec}


def _evict(pod: str, at: str) -> dict[str, Any]:
    ns, name = pod.split("/")
    return {"type": "Normal", "reason": "TaintManagerEviction", "kind": "Pod", "namespace": ns, "name": name,
            "first_seen": at, "message": f"Marking for deletion Pod {pod}"}


def _refused(pod: str, at: str, message: str) -> dict[str, Any]:
    ns, name = pod.split("/")
    return {"type": "Warning", "reason": "FailedScheduling", "kind": "Pod", "namespace": ns, "name": name,
            "first_seen": at, "message": message}


NOEXEC = {"key": "maintenance", "value": "true", "effect": "NoExecute", "timeAdded": "2026-11-20T09:02:00Z"}


def test_a_noexecute_taint_names_the_node_its_writer_and_the_pods_it_evicted() -> None:
    events = [_evict("shop/cart-7d9f-abcde", "2026-11-20T09:02:03Z"),
              _evict("billing/ledger-0", "2026-11-20T09:02:04Z")]
    found = node_taint.felt(_node([NOEXEC], manager="kubectl-taint"), events)
    assert [(t.taint, t.effect, t.manager) for t in found] == [("maintenance=true:NoExecute", "NoExecute",
                                                                 "kubectl-taint")]
    assert found[0].pods == ["shop/cart-7d9f-abcde", "billing/ledger-0"]
    message = node_taint.finding(found[0])["message"]
    assert message.startswith("NoExecute taint maintenance=true:NoExecute on Node " + NODE)
    assert "kubectl taint" in message and "eviction" in message and "2 pod(s)" in message


def test_a_noschedule_taint_names_the_pods_the_scheduler_refused_for_its_key() -> None:
    taint = {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}
    refused = _refused("ml/trainer-0", "2026-11-20T09:10:00Z",
                       "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, "
                       "2 Insufficient nvidia.com/gpu.")
    found = node_taint.felt(_node([taint], manager="terraform"), [refused])
    assert [(t.taint, t.pods, t.since) for t in found] == [("dedicated=gpu:NoSchedule", ["ml/trainer-0"],
                                                             "2026-11-20T09:02:00Z")]
    finding = node_taint.finding(found[0])
    assert finding["object"] == {"kind": "Node", "namespace": "", "name": NODE}
    assert "Pending" in finding["message"] and "terraform" in finding["message"]


def test_a_cordon_names_the_pods_left_pending() -> None:
    cordon = {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}
    refused = _refused("web/api-5c-xyz12", "2026-11-20T09:20:00Z",
                       "0/1 nodes are available: 1 node(s) were unschedulable.")
    found = node_taint.felt(_node([cordon], unschedulable=True, manager="kubectl-cordon"), [refused])
    assert [(t.effect, t.manager, t.pods) for t in found] == [("NoSchedule", "kubectl-cordon", ["web/api-5c-xyz12"])]
    assert found[0].taint.startswith("cordon")


def test_a_taint_nobody_felt_or_evictions_before_it_name_nothing() -> None:
    assert node_taint.felt(_node([NOEXEC], manager="kubectl-taint"), []) == []
    before = [_evict("shop/cart-7d9f-abcde", "2026-11-20T08:30:00Z")]  # evicted half an hour before the taint
    assert node_taint.felt(_node([NOEXEC], manager="kubectl-taint"), before) == []
    long_after = [_evict("shop/cart-7d9f-abcde", "2026-11-20T11:00:00Z")]  # another cause, hours later
    assert node_taint.felt(_node([NOEXEC], manager="kubectl-taint"), long_after) == []


def test_the_lifecycle_controllers_own_taint_is_a_node_failure_not_this_class() -> None:
    not_ready = {"key": "node.kubernetes.io/not-ready", "effect": "NoExecute", "timeAdded": "2026-11-20T09:02:00Z"}
    events = [_evict("shop/cart-7d9f-abcde", "2026-11-20T09:07:00Z")]
    assert node_taint.felt(_node([not_ready]), events) == []


def test_refusals_naming_another_taint_do_not_blame_this_one() -> None:
    taint = {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}
    refused = _refused("ml/trainer-0", "2026-11-20T09:10:00Z",
                       "0/3 nodes are available: 3 node(s) had untolerated taint {spot: true}.")
    assert node_taint.felt(_node([taint], manager="terraform"), [refused]) == []


def test_read_asks_for_the_named_node_and_the_events_only_when_it_is_tainted() -> None:
    asked: list[str] = []

    def run(node: dict[str, Any]) -> list[node_taint.Taint]:
        async def call(tool: str, args: dict[str, Any], step: str) -> ToolOutcome:
            asked.append(tool)
            if tool == "k8s_nodes":
                return outcome(True, {"nodes": [{"name": NODE}, {"name": "ip-10-0-1-5.ec2.internal"}]}, "", "E1")
            if tool == "k8s_events":
                return outcome(True, {"events": [_evict("shop/cart-7d9f-abcde", "2026-11-20T09:02:03Z")]}, "", "E3")
            return outcome(True, {}, yaml.safe_dump(node), "E2")

        facts = Facts(at=AT, scan={"findings": []}, changes={"changes": []}, changes_id="E0")
        asyncio.run(node_taint.read(Subject(nodes=["ip-10-0-3-17"]), facts, call))
        return node_taint.taints(facts)

    found = run(_node([NOEXEC]))
    assert [(t.node, t.evidence) for t in found] == [(NODE, ["E2", "E3"])]
    asked.clear()
    assert run(_node([])) == []
    assert "k8s_events" not in asked
