"""Triage names the injector or the taker, not the workload that suffers (agent.triage.provenance).

The real scan runs over API-shaped objects (tests/scan's builders); ranking reads its `ScanResult`.
Each victim has its own strong finding (pod.oomkilled 0.9, pod.pending); the cause must still come
first because its finding declares the victim in `details.explains`, and the victim is then demoted.
"""

from __future__ import annotations

from typing import Any

from agent.triage import rank, subject_of
from agent.triage.facts import Facts, Ref
from agent.triage.provenance import explained, parse_ref
from mcp_servers.kubernetes.scan import Snapshot, scan
from tests.scan.objects import NOW, event
from tests.scan.test_injected_limits import RANGER, limit_range, victim, workload
from tests.scan.test_preemption import batch_pod, pending_web, world
from tests.scan.test_vpa_hpa_conflict import churn, hpa_v2, vpa
from tests.triage.test_rank import alert


def facts_of(objects: list[dict[str, Any]]) -> Facts:
    return Facts(at=NOW, scan_id="E1", scan=scan(Snapshot.from_objects(objects), NOW).model_dump())


def test_the_limitrange_outranks_the_oomkilled_deployment_it_explains() -> None:
    facts = facts_of([*workload(), limit_range("defaults"), victim("worker-6b7-a", RANGER),
                      victim("worker-6b7-b", RANGER)])
    assert {"pod.oomkilled", "limits.injected"} <= {f["check"] for f in facts.findings()}
    out = rank(subject_of(alert(alertname="KubePodCrashLooping", namespace="shop", pod="worker-6b7-a")), facts)
    assert out[0].ref == Ref("LimitRange", "shop", "defaults")
    assert "256Mi" in out[0].cause and Ref("Deployment", "shop", "worker") in out[0].victims


def test_the_vpa_fighting_the_hpa_outranks_the_rescale() -> None:
    facts = facts_of([vpa(), hpa_v2(), *churn()])
    out = rank(subject_of(alert(alertname="ApiLatencyHigh", namespace="shop", deployment="api")), facts)
    assert out[0].ref == Ref("VerticalPodAutoscaler", "shop", "api-vpa")
    assert "HPA" in out[0].cause and "VPA" in out[0].cause and "evict" in out[0].cause


def test_the_preemptors_workload_outranks_the_pending_replicas() -> None:
    trainer = batch_pod("trainer-7c8-a", "node-2")
    message = ("0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption "
               "victims found for incoming pod.")
    facts = facts_of([*world(), trainer, pending_web("web-5d4-new2"),
                      event("Pod", "web-5d4-new1", "FailedScheduling", message, count=6),
                      event("Pod", "web-5d4-gone", "Preempted", f"Preempted by pod {trainer['metadata']['uid']} on "
                                                                "node node-2", type_="Normal", first=20, last=20)])
    out = rank(subject_of(alert(alertname="KubeDeploymentReplicasMismatch", namespace="shop", deployment="web")),
               facts)
    assert out[0].ref == Ref("Deployment", "ml", "trainer")
    assert "priority 100000" in out[0].cause and "priority 0" in out[0].cause


def test_declared_refs_parse_kube_style_names_only() -> None:
    assert parse_ref("Deployment shop/api") == Ref("Deployment", "shop", "api")
    assert parse_ref("Node ip-10-0-1-2.ec2.internal") == Ref("Node", "", "ip-10-0-1-2.ec2.internal")
    assert parse_ref("two words here/x y") is None
    assert explained([{"details": {"explains": ["Deployment a/b", "Deployment a/b", 3]}}, {"details": {}}]) == [
        Ref("Deployment", "a", "b")]
