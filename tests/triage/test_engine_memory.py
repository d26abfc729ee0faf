"""agent.triage.engine_memory: a batch/stream engine's custom resource whose memory field was lowered before its own
pods were killed at their memory limit.

Shapes: a SparkApplication whose `spec.executor.memoryOverhead` a kubectl edit wrote (old value not recorded), the
scan grouping its failed pods under it and one executor pod's status terminated OOMKilled (exit code 137); a
FlinkDeployment whose `spec.taskManager.resource.memory` was lowered 4096m -> 2048m, the kill in the timeline's
event on it. Twins: a memory raise; a write to another field (instances); kills before the write; a kill of
another resource's pods; a Deployment's memory write (the generic bound checks read those).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import engine_memory as em
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 11, 29, 6, 30, tzinfo=UTC)
SPARK = {"kind": "SparkApplication", "namespace": "data", "name": "churn-features"}
FLINK = {"kind": "FlinkDeployment", "namespace": "stream", "name": "fraud-scorer"}


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def write(obj: dict[str, str], ago: timedelta, diff: str, by: str = "kubectl-edit") -> dict[str, Any]:
    return {"at": iso(AT - ago), "type": "other", "object": obj,
            "summary": f"{obj['kind']} {obj['namespace']}/{obj['name']} written by {by} (generation 12): {diff}",
            "diff": [diff]}


def executor_pod(finished: datetime, reason: str = "OOMKilled", code: int = 137) -> dict[str, Any]:
    return {"kind": "Pod", "metadata": {"name": "churn-features-9e1b-exec-6", "namespace": "data"},
            "status": {"phase": "Failed", "containerStatuses": [{"name": "spark-kubernetes-executor", "state": {
                "terminated": {"reason": reason, "exitCode": code, "finishedAt": iso(finished)}}}]}}


def spark_facts(changes: list[dict[str, Any]], pod: dict[str, Any], owner: dict[str, str] = SPARK) -> Facts:
    scan = {"findings": [{"check": "pod.failed", "severity": "warning", "object": owner,
                          "message": f"{owner['kind']} {owner['namespace']}/{owner['name']}: 2/2 pods Failed: pod "
                                     "failed", "pods": [pod["metadata"]["name"]],
                          "since": iso(AT - timedelta(hours=4))}]}
    resource = {"kind": owner["kind"], "metadata": {"name": owner["name"]}}
    hub = RecordingHub(objects={("Pod", "data", pod["metadata"]["name"]): pod,
                                (owner["kind"], owner["namespace"], owner["name"]): resource},
                       answers={"k8s_changes": None})
    facts = Facts(at=AT, changes={"changes": changes}, changes_id="C1", scan=scan, scan_id="S1")
    asyncio.run(em.read(Subject(namespace="data", names=["churn-features"]), facts, hub, iso(AT)))
    return facts


def test_spark_memory_overhead_edit_before_executor_oomkilled() -> None:
    facts = spark_facts([write(SPARK, timedelta(hours=17), "spec.executor.memoryOverhead = '384m'")],
                        executor_pod(AT - timedelta(hours=4)))
    hits = em.suspects(facts)
    assert len(hits) == 1
    ref, finding, evidence, _ = hits[0]
    assert (ref.kind, ref.name) == ("SparkApplication", "churn-features")
    head = finding["message"][:400]
    assert "memoryOverhead" in head and "exit code 137" in head and "executor" in head and "kubectl-edit" in head
    assert "OOMKilled" in finding["message"] and "C1" in evidence


def test_flink_taskmanager_memory_lowered_with_killed_event() -> None:
    killed = {"at": iso(AT - timedelta(minutes=40)), "type": "event", "object": FLINK,
              "summary": "FlinkDeployment stream/fraud-scorer: TaskManagerLost x3, last: pod "
                         "fraud-scorer-taskmanager-1-2 terminated, reason OOMKilled, exit code 137"}
    facts = Facts(at=AT, changes={"changes": [killed, write(
        FLINK, timedelta(hours=2), "spec.taskManager.resource.memory: '4096m' -> '2048m'", "argocd-controller")]},
        changes_id="C1")
    hits = em.suspects(facts)
    assert len(hits) == 1 and hits[0][0].name == "fraud-scorer"
    assert "spec.taskManager.resource.memory lowered 4096m -> 2048m" in hits[0][1]["message"]


def test_memory_raise_is_not_the_cause() -> None:
    facts = spark_facts([write(SPARK, timedelta(hours=17), "spec.executor.memoryOverhead: '2g' -> '4g'")],
                        executor_pod(AT - timedelta(hours=4)))
    assert em.suspects(facts) == []


def test_write_to_another_field_is_not_the_cause() -> None:
    facts = spark_facts([write(SPARK, timedelta(hours=17), "spec.executor.instances = 12")],
                        executor_pod(AT - timedelta(hours=4)))
    assert em.suspects(facts) == []


def test_kills_before_the_write_are_not_explained_by_it() -> None:
    facts = spark_facts([write(SPARK, timedelta(hours=2), "spec.executor.memoryOverhead = '384m'")],
                        executor_pod(AT - timedelta(hours=4)))
    assert em.suspects(facts) == []


def test_pods_failing_without_a_kill_leave_the_write_out() -> None:
    facts = spark_facts([write(SPARK, timedelta(hours=17), "spec.executor.memoryOverhead = '384m'")],
                        executor_pod(AT - timedelta(hours=4), reason="Error", code=1))
    assert em.suspects(facts) == []


def test_another_resources_pods_killed() -> None:
    other = {"kind": "SparkApplication", "namespace": "data", "name": "ltv-model"}
    facts = spark_facts([write(SPARK, timedelta(hours=17), "spec.executor.memoryOverhead = '384m'")],
                        executor_pod(AT - timedelta(hours=4)), owner=other)
    assert em.suspects(facts) == []


def test_deployment_memory_write_is_left_to_the_bound_checks() -> None:
    dep = {"kind": "Deployment", "namespace": "data", "name": "churn-features"}
    facts = spark_facts([write(dep, timedelta(hours=1), "spec.template.spec.containers[0].resources.limits.memory = "
                                                        "'1Gi'")], executor_pod(AT - timedelta(minutes=30)), owner=dep)
    assert em.suspects(facts) == []
