"""Nodes taken away by a lifecycle controller whose own config was just written (agent.triage.node_lifecycle).

Shapes: a Karpenter NodePool re-applied with `consolidateAfter: 0s` and a 100% budget, its consolidation deleting
nodes every few minutes (Node events from `karpenter`, an alert naming no node); kured rolled out without its reboot
window, draining and rebooting the node a question names (its own log lines, the kubelet's cordon and reboot
events, the template's ControllerRevision as the write); cluster-autoscaler rolled out with a shorter
`--scale-down-unneeded-time`, removing the named node (its `ScaleDown` events). Negative twins: a NodePool that
keeps a delay and a budget; a NodePool written after Karpenter was already consolidating; a NodePool written 40
days ago; kured with its window flags; an autoscaler rollout that moved only its image.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from agent.incident import from_text
from agent.toolhub import ToolOutcome
from agent.triage import node_lifecycle as nl
from agent.triage import rank, subject_of
from agent.triage.facts import Facts, Ref
from agent.triage.subject import Subject
from tests.triage.doubles import outcome

AT = datetime(2026, 10, 8, 11, 0, tzinfo=UTC)
N1, N2, N3 = "ip-10-2-1-11.ec2.internal", "ip-10-2-2-12.ec2.internal", "ip-10-2-3-13.ec2.internal"


def _t(minutes_before: float) -> str:
    return (AT - timedelta(minutes=minutes_before)).isoformat().replace("+00:00", "Z")


@dataclass
class _Hub:
    """What the tools answer: Node events, nodes, pods, one controller's log, objects by name, revisions, history."""

    events: list[dict[str, Any]]
    pods: list[dict[str, Any]] = field(default_factory=list)
    logs: str = ""
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    revisions: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)

    async def call(self, tool: str, args: dict[str, Any], step: str) -> ToolOutcome:
        if tool == "k8s_events":
            return outcome(True, {"events": self.events}, evidence_id="E20")
        if tool == "k8s_nodes":
            return outcome(True, {"nodes": [{"name": n} for n in (N1, N2, N3)]}, evidence_id="E21")
        if tool == "k8s_list":
            rows = self.pods if args["kind"] == "Pod" else self.revisions
            return outcome(True, {"rows": rows}, evidence_id="E22" if args["kind"] == "Pod" else "E23")
        if tool == "k8s_logs":
            return outcome(bool(self.logs), {}, self.logs, "E24")
        if tool == "k8s_get":
            obj = self.objects.get(args["name"])
            return outcome(obj is not None, {}, yaml.safe_dump(obj) if obj else "", "E25")
        if tool == "k8s_changes":
            return outcome(True, {"window_start": _t(72 * 60), "changes": self.history}, evidence_id="E26")
        return outcome(False, None, evidence_id="E99")


def _event(node: str, reason: str, message: str, minutes_before: float, source: str) -> dict[str, Any]:
    return {"kind": "Node", "name": node, "namespace": "default", "reason": reason, "message": message,
            "source": source, "last_seen": _t(minutes_before), "count": 1}


def _run(hub: _Hub, changes: list[dict[str, Any]], subject: Subject) -> Facts:
    facts = Facts(at=AT, changes_id="E2", scan_id="E1", changes={"changes": changes}, scan={"findings": []})
    asyncio.run(nl.read(subject, facts, hub.call, AT.isoformat()))
    return facts


# ---- Karpenter ---------------------------------------------------------------------------------------------------

def _nodepool(after: str, budget: str) -> dict[str, Any]:
    return {"apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": {"name": "default-pool"},
            "spec": {"disruption": {"consolidationPolicy": "WhenEmptyOrUnderutilized", "consolidateAfter": after,
                                    "budgets": [{"nodes": budget}]}}}


def _karpenter(after: str, budget: str, written_minutes_before: float, first_act: float = 70) -> Facts:
    events = [_event(n, "DisruptionTerminating", "Disrupting Node: Underutilized/Delete", m, "karpenter")
              for n, m in ((N1, first_act), (N2, first_act - 15), (N3, first_act - 30), (N1, first_act - 45),
                           (N2, first_act - 60))]
    change = {"at": _t(written_minutes_before), "type": "other",
              "object": {"kind": "NodePool", "namespace": "", "name": "default-pool"},
              "summary": f"NodePool default-pool written by flux: spec.disruption = consolidateAfter {after}",
              "diff": []}
    hub = _Hub(events, objects={"default-pool": _nodepool(after, budget)})
    return _run(hub, [change], subject_of(from_text("KubeDeploymentReplicasMismatch: shop/cart short of replicas")))


def test_a_nodepool_without_delay_or_budget_is_blamed_for_the_consolidation_waves() -> None:
    facts = _karpenter("0s", "100%", 90)
    [v] = nl.found(facts)
    assert v.config == Ref("NodePool", "", "default-pool") and v.writer == "flux" and len(v.acts) == 5
    [top, *_] = rank(subject_of(from_text("KubeDeploymentReplicasMismatch: shop/cart short of replicas")), facts)
    assert top.ref == Ref("NodePool", "", "default-pool")
    head = top.cause[:400]
    assert head.startswith("NodePool default-pool (Karpenter), written 09:30 by flux (90 min before)")
    assert "consolidateAfter 0s" in head and "budget nodes 100%" in head and "no disruption budget caps" in head
    assert "nodes away 5 times" in nl.finding(v, AT)["message"] and "E20" in top.evidence


def test_a_nodepool_keeping_a_delay_and_a_budget_is_not_blamed() -> None:
    assert nl.found(_karpenter("30m", "10%", 90)) == []


def test_a_nodepool_written_after_consolidation_had_begun_is_not_blamed() -> None:
    assert nl.found(_karpenter("0s", "100%", 40, first_act=130)) == []


def test_a_nodepool_written_forty_days_ago_is_not_blamed() -> None:
    assert nl.found(_karpenter("0s", "100%", 40 * 24 * 60)) == []


# ---- kured ---------------------------------------------------------------------------------------------------

def _kured(args: list[str]) -> Facts:
    ds = {"kind": "DaemonSet", "metadata": {"name": "kured", "namespace": "kube-system", "generation": 2},
          "spec": {"template": {"metadata": {"annotations": {"kubernetes.io/change-cause": "helm upgrade kured"}},
                                "spec": {"containers": [{"name": "kured", "command": ["/usr/bin/kured", *args]}]}}}}
    logs = "\n".join([
        f'{_t(62)} time="{_t(62)}" level=info msg="Reboot required"',
        f'{_t(61)} time="{_t(61)}" level=info msg="Draining node {N2}"',
        f'{_t(60)} time="{_t(60)}" level=info msg="evicting pod shop/cart-7c9d8f6b5d-q2w8x" cmd=drain',
        f'{_t(58)} time="{_t(58)}" level=info msg="Triggering reboot for node {N2}"'])
    hub = _Hub([_event(N2, "NodeNotSchedulable", f"Node {N2} status is now: NodeNotSchedulable", 60.5, "kubelet"),
                _event(N2, "Rebooted", f"Node {N2} has been rebooted, boot id: 1f2e", 55, "kubelet")],
               pods=[{"name": "kured-b7x2q", "namespace": "kube-system", "node": N2,
                      "images": ["ghcr.io/kubereboot/kured:1.16.0"]},
                     {"name": "kured-c9w4z", "namespace": "kube-system", "node": N1,
                      "images": ["ghcr.io/kubereboot/kured:1.16.0"]}],
               logs=logs, objects={"kured": ds},
               revisions=[{"name": "kured-5d8f7c9b6d", "created": _t(60 * 20)},
                          {"name": "kured-6c7d9f8b5c", "created": _t(60 * 24 * 30)}])
    return _run(hub, [], subject_of(from_text(f"what happened on {N2} around 10:00? its pods got evicted")))


def test_kured_without_a_reboot_window_is_blamed_for_the_named_nodes_drain() -> None:
    facts = _kured(["--period=1h", "--reboot-sentinel=/var/run/reboot-required"])
    [v] = nl.found(facts)
    assert v.config == Ref("DaemonSet", "kube-system", "kured") and v.writer == "change-cause: helm upgrade kured"
    message = nl.finding(v, AT)["message"]
    assert message.startswith("DaemonSet kube-system/kured, written 2026-10-07 15:00 (change-cause: helm upgrade "
                              "kured)") or message.startswith("DaemonSet kube-system/kured, written 15:00")
    assert "no reboot window" in message and "drains and reboots" in message and f"took node {N2} away" in message
    assert "E23" in v.evidence and "E24" in v.evidence


def test_kured_with_its_window_flags_is_not_blamed() -> None:
    facts = _kured(["--period=1h", "--start-time=22:00", "--end-time=04:00", "--reboot-days=sat,sun"])
    assert nl.found(facts) == []


# ---- cluster-autoscaler --------------------------------------------------------------------------------------

def _autoscaler(diff: list[str]) -> Facts:
    ca = {"kind": "Deployment", "metadata": {"name": "cluster-autoscaler", "namespace": "kube-system"},
          "spec": {"template": {"spec": {"containers": [{"name": "cluster-autoscaler", "command": [
              "./cluster-autoscaler", "--scale-down-unneeded-time=1m"]}]}}}}
    events = [_event(n, "ScaleDown", "marked the node as toBeDeleted/unschedulable", m, "cluster-autoscaler")
              for n, m in ((N3, 50), (N1, 20))]
    change = {"at": _t(120), "type": "rollout",
              "object": {"kind": "Deployment", "namespace": "kube-system", "name": "cluster-autoscaler"},
              "summary": "Deployment kube-system/cluster-autoscaler rolled out revision 4: ... (change-cause: "
                         "argocd sync)", "diff": diff, "revision": 4}
    hub = _Hub(events, pods=[{"name": "cluster-autoscaler-6c9d8f7b5d-k2w4x", "namespace": "kube-system",
                              "node": N2, "images": ["registry.k8s.io/autoscaling/cluster-autoscaler:v1.31.0"]}],
               objects={"cluster-autoscaler": ca})
    return _run(hub, [change], subject_of(from_text(f"why did {N1} disappear and its pods restart?")))


def test_an_autoscaler_rollout_shortening_scale_down_is_blamed() -> None:
    facts = _autoscaler(["cluster-autoscaler args ['--scale-down-unneeded-time=10m'] -> "
                         "['--scale-down-unneeded-time=1m']"])
    [v] = nl.found(facts)
    assert v.config == Ref("Deployment", "kube-system", "cluster-autoscaler") and v.writer == "argocd sync"
    assert v.settings == ["--scale-down-unneeded-time 10m -> 1m"] and [a.node for a in v.acts] == [N3, N1]


def test_an_autoscaler_rollout_of_its_image_only_is_not_blamed() -> None:
    facts = _autoscaler(["cluster-autoscaler image registry.k8s.io/autoscaling/cluster-autoscaler:v1.30.2 -> "
                         "registry.k8s.io/autoscaling/cluster-autoscaler:v1.31.0"])
    assert nl.found(facts) == []


def test_no_node_taken_away_reads_nothing_more() -> None:
    hub = _Hub([_event(N1, "NodeReady", "status is now: NodeReady", 5, "kubelet")])
    facts = _run(hub, [], Subject(nodes=[N1]))
    assert nl.found(facts) == [] and facts.reads[nl.STORE] == {"acts": [], "evidence": []}
