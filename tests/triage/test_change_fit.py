"""A ConfigMap or Secret content change is never given as the trigger of pods the scheduler cannot place.

Facts are written in the shape of the tools' output schemas (the scan's findings, k8s_changes'
changes); the scheduler's messages are kube-scheduler's own FailedScheduling wording.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from agent.triage import rank, subject_of
from agent.triage.change_fit import can_explain, scheduling_failure
from agent.triage.facts import Facts
from tests.triage.test_rank import alert, finding

AT = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
API = {"kind": "Deployment", "namespace": "orders", "name": "order-api"}

SCHEDULER_SAYS = [
    "0/4 nodes are available: 1 node(s) were unschedulable, 3 node(s) didn't match pod topology spread constraints. "
    "preemption: 0/4 nodes are available: 1 Preemption is not helpful for scheduling, 3 No preemption victims found",
    "0/6 nodes are available: 2 Insufficient cpu, 4 node(s) had untolerated taint {dedicated: gpu}.",
    "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.",
]


def _config_change(kind: str = "ConfigMap", ctype: str = "config") -> dict[str, Any]:
    return {"at": "2026-05-01T11:30:00Z", "type": ctype, "object": {"kind": kind, "namespace": "orders",
                                                                    "name": "order-api-config"},
            "summary": f"{kind} orders/order-api-config updated by kubectl-edit (used by Deployment orders/order-api)",
            "diff": [], "related": [API]}


def _rollout() -> dict[str, Any]:
    return {"at": "2026-05-01T11:40:00Z", "type": "rollout", "object": API,
            "summary": "Deployment orders/order-api rolled out revision 8: order-api resources.requests.cpu "
                       "'500m' -> '4'", "diff": ["order-api resources.requests.cpu '500m' -> '4'"], "related": []}


def _facts(message: str, changes: list[dict[str, Any]], check: str = "pod.pending") -> Facts:
    return Facts(at=AT, scan_id="E1", changes_id="E2", changes={"changes": changes}, scan={"findings": [
        finding(check, "Pod", "orders", "order-api-6d9f-abcde", "Deployment orders/order-api: 2/6 pods "
                "Pending, FailedScheduling" if check == "pod.pending" else message, owner=API,
                pods=["order-api-6d9f-abcde"], reason="FailedScheduling" if check == "pod.pending" else "",
                evidence=[f"FailedScheduling: {message}"] if check == "pod.pending" else [])]})


@pytest.mark.parametrize("message", SCHEDULER_SAYS)
@pytest.mark.parametrize(("kind", "ctype"), [("ConfigMap", "config"), ("Secret", "secret")])
def test_a_content_change_is_not_the_trigger_of_unschedulable_pods(message: str, kind: str, ctype: str) -> None:
    facts = _facts(message, [_config_change(kind, ctype)])
    suspects = rank(subject_of(alert(alertname="KubeDeploymentReplicasMismatch", namespace="orders",
                                     deployment="order-api")), facts)
    assert suspects[0].ref is not None and suspects[0].ref.name == "order-api"
    assert "order-api-config" not in suspects[0].cause and "It started after a change" not in suspects[0].cause


def test_a_pod_template_change_still_counts_for_unschedulable_pods() -> None:
    facts = _facts(SCHEDULER_SAYS[1], [_config_change(), _rollout()])
    suspects = rank(subject_of(alert(alertname="KubeDeploymentReplicasMismatch", namespace="orders",
                                     deployment="order-api")), facts)
    assert "It started after a change: Deployment orders/order-api rolled out revision 8" in suspects[0].cause
    assert "order-api-config" not in suspects[0].cause


def test_a_content_change_still_explains_pods_that_run_and_fail() -> None:
    facts = _facts("Deployment orders/order-api: 2/2 pods CrashLoopBackOff (exit 1)", [_config_change()],
                   check="pod.crashloop")
    suspects = rank(subject_of(alert(alertname="KubePodCrashLooping", namespace="orders", deployment="order-api")),
                    facts)
    assert "It started after a change: ConfigMap orders/order-api-config" in suspects[0].cause


def test_scheduling_failure_reads_the_schedulers_words() -> None:
    assert scheduling_failure({"check": "pod.pending", "reason": "FailedScheduling", "message": "2/6 pods Pending"})
    assert not scheduling_failure({"check": "pod.crashloop", "reason": "CrashLoopBackOff", "message": "exit 1"})
    assert can_explain({"type": "rollout"}, {"check": "pod.pending", "reason": "FailedScheduling"})
    assert not can_explain({"type": "config"}, {"check": "pod.pending", "reason": "Unschedulable"})
